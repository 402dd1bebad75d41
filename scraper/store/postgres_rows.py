"""Records to PostgreSQL parameters, rows back to records: arrays and jsonb for lists, zlib for raw bodies,
timestamptz for times (aware datetimes both ways, handed back in UTC)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import cast, get_args

from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from scraper.errors import StoreError
from scraper.models import Article, Link, Page, Removal, Stage
from scraper.store.records import (
    ArticleChange,
    FrontierEntry,
    FrontierStatus,
    LockInfo,
    RunRecord,
    StoredArticle,
    StoredPage,
    content_hash,
)

# One compression for both backends, so a raw page costs the same space wherever it is kept.
from scraper.store.sqlite_rows import CHANGE_COLUMNS, compress, decompress

__all__ = [
    "article_change",
    "article_columns",
    "article_params",
    "frontier_entry",
    "link_params",
    "lock_info",
    "opt_utc",
    "page_params",
    "run_record",
    "stored_article",
    "stored_page",
    "utc",
]

STAGES: frozenset[str] = frozenset(get_args(Stage))
STATUSES: frozenset[str] = frozenset(get_args(FrontierStatus))


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused here, before PostgreSQL would read it in its own time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the store takes aware datetimes (UTC), not naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def opt_utc(moment: datetime | None) -> datetime | None:
    """`utc` for an optional time."""
    return None if moment is None else utc(moment)


def link_params(link: Link, site: str, now: datetime) -> dict[str, object]:
    """Parameters of `add_link` for one discovered link."""
    return {
        "url": link.url,
        "site": site,
        "source": link.source,
        "title": link.title,
        "published_at": opt_utc(link.published),
        "now": utc(now),
    }


def frontier_entry(row: DictRow) -> FrontierEntry:
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


def page_params(url: str, page: Page, *, keep_raw: bool) -> dict[str, object]:
    """Parameters of `upsert_page`; the body is compressed, or left out when raw pages are not kept."""
    return {
        "url": url,
        "requested_url": page.url,
        "final_url": page.final_url,
        "status": page.status,
        "content_type": page.content_type,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "headers": Jsonb([list(pair) for pair in page.headers]),
        "body": compress(page.content) if keep_raw else None,
        "body_size": len(page.content),
        "fetched_at": utc(page.fetched_at),
    }


def stored_page(row: DictRow) -> StoredPage:
    """A `pages_page` row back to the Page that was fetched."""
    page = Page(
        url=row["requested_url"],
        final_url=row["final_url"],
        status=row["status"],
        content=decompress(row["body"]),
        fetched_at=utc(row["fetched_at"]),
        content_type=row["content_type"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        headers=tuple((name, value) for name, value in row["headers"]),
    )
    return StoredPage(url=row["url"], site=row["site"], page=page)


def article_columns(article: Article) -> dict[str, object]:
    """The columns that hold the `Article` itself as plain values (lists, dicts), its content hash included:
    what `article_row` reads back, so an unchanged article compares equal to its row."""
    return {
        "article_url": article.url,
        "article_site": article.site,
        "title": article.title,
        "author": article.author,
        "date": article.date,
        "dateline": article.dateline,
        "language": article.language,
        "paragraphs": list(article.paragraphs),
        "tags": list(article.tags),
        "removed": [r.to_dict() for r in article.removed],
        "removed_count": len(article.removed),
        "content_hash": content_hash(article),
    }


def article_params(columns: Mapping[str, object]) -> dict[str, object]:
    """`article_columns` (plus the row's other fields) as query parameters: the removals go in as jsonb."""
    return {**columns, "removed": Jsonb(columns["removed"])}


def article_change(old: DictRow | None, new: Mapping[str, object]) -> ArticleChange:
    """What saving `new` over the stored `old` row changes: the text (by hash), else the metadata, else nothing."""
    if old is None:
        return "new"
    if old["content_hash"] != new["content_hash"]:
        return "text_changed"
    if any(old[column] != new[column] for column in CHANGE_COLUMNS):
        return "metadata_changed"
    return "unchanged"


def _article(row: DictRow) -> Article:
    return Article(
        url=row["article_url"],
        site=row["article_site"],
        title=row["title"],
        author=row["author"],
        date=row["date"],
        dateline=row["dateline"],
        language=row["language"],
        paragraphs=tuple(row["paragraphs"]),
        tags=tuple(row["tags"]),
        removed=tuple(_removal(item) for item in row["removed"]),
    )


def _removal(item: dict[str, str]) -> Removal:
    stage = item["stage"]
    if stage not in STAGES:
        raise StoreError(f"stored removal has unknown stage {stage!r}")
    return Removal(text=item["text"], rule=item["rule"], stage=cast(Stage, stage))


def stored_article(row: DictRow) -> StoredArticle:
    """An `articles_page` row: the article and where and when it came from."""
    return StoredArticle(
        url=row["url"],
        site=row["site"],
        requested_url=row["requested_url"],
        canonical_url=row["canonical_url"],
        fetched_at=utc(row["fetched_at"]),
        extracted_at=utc(row["extracted_at"]),
        content_hash=row["content_hash"],
        rules_version=row["rules_version"],
        article=_article(row),
    )


def run_record(row: DictRow) -> RunRecord:
    """A `runs` row."""
    return RunRecord(
        id=row["id"],
        started_at=utc(row["started_at"]),
        finished_at=opt_utc(row["finished_at"]),
        stats={str(k): int(v) for k, v in row["stats"].items()},
    )


def lock_info(row: DictRow) -> LockInfo:
    """A `locks` row."""
    return LockInfo(
        name=row["name"],
        owner=row["owner"],
        acquired_at=utc(row["acquired_at"]),
        expires_at=utc(row["expires_at"]),
    )
