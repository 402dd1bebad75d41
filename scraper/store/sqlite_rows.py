"""How SQLite holds what has no column type of its own: ISO-8601 UTC text for times, JSON text for lists and
dicts. The conversions themselves are `scraper.store.rows`, written once for every backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from scraper.models import Article
from scraper.store import rows

__all__ = ["CODEC", "article_columns", "from_text", "to_text"]


def to_text(moment: datetime) -> str:
    """`moment` as fixed-width ISO-8601 UTC text, which sorts as the time does; naive datetimes are refused."""
    return rows.utc(moment).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """The aware UTC datetime `to_text` wrote."""
    return datetime.fromisoformat(text).astimezone(UTC)


def _json(value: object) -> str:
    # Deterministic text, so an unchanged list compares equal to the stored one as a string.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _stats(stats: dict[str, int]) -> str:
    # JSON's default spacing, as `runs.stats` has always been written (nothing compares it as text).
    return json.dumps(stats, sort_keys=True)


CODEC = rows.Codec(
    time_param=to_text,
    time_value=from_text,
    data_column=_json,
    data_value=json.loads,
    json_param=rows.as_is,  # the column value is JSON text already
    stats_param=_stats,
)


def article_columns(article: Article) -> dict[str, object]:
    """`rows.article_columns` for SQLite: the store calls it inside `save_result`'s transaction."""
    return rows.article_columns(article, CODEC)
