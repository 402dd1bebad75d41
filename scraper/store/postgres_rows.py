"""How PostgreSQL holds what SQLite keeps as text: timestamptz for times (aware datetimes both ways, handed back
in UTC), text[] and jsonb for lists and dicts, which psycopg reads back as lists and dicts. The conversions
themselves are `scraper.store.rows`, written once for every backend."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from scraper.models import Article
from scraper.store import rows

__all__ = ["CODEC", "article_columns"]

CODEC = rows.Codec(
    time_param=rows.utc,
    time_value=rows.utc,
    data_column=rows.as_is,  # psycopg adapts a list to text[] and reads text[] and jsonb back as lists and dicts
    data_value=rows.as_is,
    json_param=Jsonb,
    stats_param=Jsonb,
)


def article_columns(article: Article) -> dict[str, object]:
    """`rows.article_columns` for PostgreSQL: the store calls it inside `save_result`'s transaction."""
    return rows.article_columns(article, CODEC)
