"""Records to query parameters and rows back to records, for every backend.

The backends hold the same columns; they differ only in how they hold times and structured values (lists,
dicts). That difference is a `Codec` each backend module defines (`sqlite_rows.CODEC`, `postgres_rows.CODEC`);
everything else here is written once.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast, get_args

from scraper.errors import StoreError
from scraper.models import Article, Link, Page, Removal, Stage
from scraper.store.records import (
    ArticleChange,
    FrontierEntry,
    FrontierStatus,
    LearnedLine,
    LockInfo,
    ResourceState,
    RunRecord,
    SiteStats,
    StoredArticle,
    StoredPage,
    content_hash,
)

__all__ = [
    "CHANGE_COLUMNS",
    "Codec",
    "Row",
    "article_change",
    "article_columns",
    "article_params",
    "as_is",
    "compress",
    "decompress",
    "frontier_entry",
    "learned_line",
    "learned_params",
    "link_params",
    "lock_info",
    "page_params",
    "resource_params",
    "resource_state",
    "run_record",
    "site_stats",
    "stored_article",
    "stored_page",
    "utc",
]

STAGES: frozenset[str] = frozenset(get_args(Stage))
STATUSES: frozenset[str] = frozenset(get_args(FrontierStatus))

# The article columns that, when they differ from the stored row, make a save a "metadata_changed"
# (the text itself is compared by content_hash).
CHANGE_COLUMNS = (
    "canonical_url",
    "article_url",
    "article_site",
    "title",
    "author",
    "date",
    "dateline",
    "language",
    "paragraphs",
    "tags",
    "removed",
)


class Row(Protocol):
    """A result row, read by column name: `sqlite3.Row` and psycopg's dict rows both are one."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class Codec:
    """How one backend holds the values SQL gives no common type to: times, and lists or dicts."""

    time_param: Callable[[datetime], object]  # an aware datetime as a parameter; a naive one raises ValueError
    time_value: Callable[[Any], datetime]  # a time column back to an aware UTC datetime
    data_column: Callable[[object], object]  # a list or dict as its column reads back (so the two compare)
    data_value: Callable[[Any], Any]  # such a column back to the list or dict
    json_param: Callable[[object], object]  # a `data_column` value as the parameter of a JSON column
    stats_param: Callable[[dict[str, int]], object]  # a run's counters as the parameter of `runs.stats`

    def opt_time_param(self, moment: datetime | None) -> object:
        """`time_param` for an optional time."""
        return None if moment is None else self.time_param(moment)

    def opt_time_value(self, value: object) -> datetime | None:
        """`time_value` for a column that may be NULL."""
        return None if value is None else self.time_value(value)


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused, before a database would read it in a time zone of its own."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the store takes aware datetimes (UTC), not naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def as_is(value: object) -> object:
    """A value that goes in and comes out as it is (a `Codec` part a backend does not need)."""
    return value


def compress(content: bytes) -> bytes:
    """A raw body as stored, the same on every backend: HTML compresses to a fifth or less."""
    return zlib.compress(content, 6)


def decompress(blob: bytes) -> bytes:
    """The raw body `compress` stored."""
    return zlib.decompress(blob)


def link_params(link: Link, site: str, now: datetime, codec: Codec) -> dict[str, object]:
    """Parameters of `add_link` for one discovered link."""
    return {
        "url": link.url,
        "site": site,
        "source": link.source,
        "title": link.title,
        "published_at": codec.opt_time_param(link.published),
        "now": codec.time_param(now),
    }


def frontier_entry(row: Row) -> FrontierEntry:
    """A frontier row as the pipeline sees it."""
    status = row["status"]
    if status not in STATUSES:
        raise StoreError(f"frontier row {row['url']} has unknown status {status!r}")
    return FrontierEntry(
        url=row["url"],
        site=row["site"],
        status=cast(FrontierStatus, status),
        attempts=row["attempts"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_cause=row["last_cause"],
        last_error=row["last_error"],
    )


def page_params(url: str, page: Page, codec: Codec, *, keep_raw: bool) -> dict[str, object]:
    """Parameters of `upsert_page`; the body is compressed, or left out when raw pages are not kept."""
    return {
        "url": url,
        "requested_url": page.url,
        "final_url": page.final_url,
        "status": page.status,
        "content_type": page.content_type,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "headers": codec.json_param(codec.data_column([list(pair) for pair in page.headers])),
        "body": compress(page.content) if keep_raw else None,
        "body_size": len(page.content),
        "fetched_at": codec.time_param(page.fetched_at),
    }


def stored_page(row: Row, codec: Codec) -> StoredPage:
    """A `pages_page` row back to the Page that was fetched."""
    page = Page(
        url=row["requested_url"],
        final_url=row["final_url"],
        status=row["status"],
        content=decompress(row["body"]),
        fetched_at=codec.time_value(row["fetched_at"]),
        content_type=row["content_type"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        headers=tuple((name, value) for name, value in codec.data_value(row["headers"])),
    )
    return StoredPage(url=row["url"], site=row["site"], page=page)


def article_columns(article: Article, codec: Codec) -> dict[str, object]:
    """The columns that hold the `Article` itself, its content hash included, as `article_row` reads them
    back: an unchanged article compares equal to its row."""
    return {
        "article_url": article.url,
        "article_site": article.site,
        "title": article.title,
        "author": article.author,
        "date": article.date,
        "dateline": article.dateline,
        "language": article.language,
        "paragraphs": codec.data_column(list(article.paragraphs)),
        "tags": codec.data_column(list(article.tags)),
        "removed": codec.data_column([r.to_dict() for r in article.removed]),
        "removed_count": len(article.removed),
        "content_hash": content_hash(article),
    }


def article_params(columns: Mapping[str, object], codec: Codec) -> dict[str, object]:
    """`article_columns` (plus the row's other fields) as query parameters: the removals go in as JSON."""
    return {**columns, "removed": codec.json_param(columns["removed"])}


def article_change(old: Row | None, new: Mapping[str, object]) -> ArticleChange:
    """What saving `new` over the stored `old` row changes: the text (by hash), else the metadata, else nothing."""
    if old is None:
        return "new"
    if old["content_hash"] != new["content_hash"]:
        return "text_changed"
    if any(old[column] != new[column] for column in CHANGE_COLUMNS):
        return "metadata_changed"
    return "unchanged"


def _article(row: Row, codec: Codec) -> Article:
    return Article(
        url=row["article_url"],
        site=row["article_site"],
        title=row["title"],
        author=row["author"],
        date=row["date"],
        dateline=row["dateline"],
        language=row["language"],
        paragraphs=tuple(codec.data_value(row["paragraphs"])),
        tags=tuple(codec.data_value(row["tags"])),
        removed=tuple(_removal(item) for item in codec.data_value(row["removed"])),
    )


def _removal(item: dict[str, str]) -> Removal:
    stage = item["stage"]
    if stage not in STAGES:
        raise StoreError(f"stored removal has unknown stage {stage!r}")
    return Removal(text=item["text"], rule=item["rule"], stage=cast(Stage, stage))


def stored_article(row: Row, codec: Codec) -> StoredArticle:
    """An `articles_page` row: the article and where and when it came from."""
    return StoredArticle(
        url=row["url"],
        site=row["site"],
        requested_url=row["requested_url"],
        canonical_url=row["canonical_url"],
        fetched_at=codec.time_value(row["fetched_at"]),
        extracted_at=codec.time_value(row["extracted_at"]),
        content_hash=row["content_hash"],
        rules_version=row["rules_version"],
        article=_article(row, codec),
    )


def resource_params(state: ResourceState, codec: Codec) -> dict[str, object]:
    """Parameters of `save_resource`."""
    return {
        "url": state.url,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "children": codec.data_column(list(state.children)),
        "checked_at": codec.time_param(state.checked_at),
    }


def resource_state(row: Row, codec: Codec) -> ResourceState:
    """A `discovery_resources` row."""
    return ResourceState(
        url=row["url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        children=tuple(codec.data_value(row["children"])),
        checked_at=codec.time_value(row["checked_at"]),
    )


def learned_params(
    host: str, lines: Mapping[str, int], articles: int, now: datetime, codec: Codec
) -> list[dict[str, object]]:
    """Parameters of `add_learned`, one set per line (text -> the distinct articles it was seen on)."""
    learned_at = codec.time_param(now)
    return [
        {"host": host, "line": text, "pages": pages, "articles": articles, "learned_at": learned_at}
        for text, pages in lines.items()
    ]


def learned_line(row: Row, codec: Codec) -> LearnedLine:
    """A `learned_lines` row."""
    return LearnedLine(
        host=row["host"],
        text=row["line"],
        pages=row["pages"],
        articles=row["articles"],
        learned_at=codec.time_value(row["learned_at"]),
    )


def run_record(row: Row, codec: Codec) -> RunRecord:
    """A `runs` row."""
    return RunRecord(
        id=row["id"],
        started_at=codec.time_value(row["started_at"]),
        finished_at=codec.opt_time_value(row["finished_at"]),
        stats={str(k): int(v) for k, v in codec.data_value(row["stats"]).items()},
    )


def lock_info(row: Row, codec: Codec) -> LockInfo:
    """A `locks` row."""
    return LockInfo(
        name=row["name"],
        owner=row["owner"],
        acquired_at=codec.time_value(row["acquired_at"]),
        expires_at=codec.time_value(row["expires_at"]),
    )


def site_stats(frontier: Row, articles: Row | None, failures: Sequence[Row], codec: Codec) -> SiteStats:
    """One site's `site_frontier` row, with its `site_articles` row (None: no articles) and every
    `site_failures` row (those of other sites are passed over)."""
    site = frontier["site"]
    return SiteStats(
        site=site,
        urls=frontier["urls"],
        pending=frontier["pending"] or 0,
        articles=0 if articles is None else articles["articles"],
        failures={row["cause"]: row["urls"] for row in failures if row["site"] == site},
        removals=0 if articles is None else int(articles["removals"] or 0),
        last_checked_at=codec.opt_time_value(frontier["last_checked_at"]),
    )
