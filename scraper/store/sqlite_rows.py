"""Records to SQLite parameters, rows back to records: JSON text for lists, zlib for raw bodies, ISO text for times."""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import datetime
from typing import cast, get_args

from scraper.errors import StoreError
from scraper.models import Article, Link, Page, Removal, Stage
from scraper.store.records import (
    FrontierEntry,
    FrontierStatus,
    LockInfo,
    RunRecord,
    StoredArticle,
    StoredPage,
    content_hash,
)
from scraper.store.sqlite_conn import from_text, to_text

__all__ = [
    "CHANGE_COLUMNS",
    "article_columns",
    "compress",
    "decompress",
    "frontier_entry",
    "link_params",
    "lock_info",
    "page_params",
    "run_record",
    "stored_article",
    "stored_page",
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


def compress(content: bytes) -> bytes:
    """A raw body as stored: HTML compresses to a fifth or less."""
    return zlib.compress(content, 6)


def decompress(blob: bytes) -> bytes:
    """The raw body `compress` stored."""
    return zlib.decompress(blob)


def _json(value: object) -> str:
    # Deterministic text, so an unchanged list compares equal to the stored one as a string.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _opt_time(text: str | None) -> datetime | None:
    return None if text is None else from_text(text)


def link_params(link: Link, site: str, now: datetime) -> dict[str, object]:
    """Parameters of `add_link` for one discovered link."""
    published = None if link.published is None else to_text(link.published)
    return {
        "url": link.url,
        "site": site,
        "source": link.source,
        "title": link.title,
        "published_at": published,
        "now": to_text(now),
    }


def frontier_entry(row: sqlite3.Row) -> FrontierEntry:
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
        "headers": _json([list(pair) for pair in page.headers]),
        "body": compress(page.content) if keep_raw else None,
        "body_size": len(page.content),
        "fetched_at": to_text(page.fetched_at),
    }


def stored_page(row: sqlite3.Row) -> StoredPage:
    """A `pages_page` row back to the Page that was fetched."""
    page = Page(
        url=row["requested_url"],
        final_url=row["final_url"],
        status=row["status"],
        content=decompress(row["body"]),
        fetched_at=from_text(row["fetched_at"]),
        content_type=row["content_type"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        headers=tuple((name, value) for name, value in json.loads(row["headers"])),
    )
    return StoredPage(url=row["url"], site=row["site"], page=page)


def article_columns(article: Article) -> dict[str, object]:
    """The columns that hold the `Article` itself, its content hash included."""
    return {
        "article_url": article.url,
        "article_site": article.site,
        "title": article.title,
        "author": article.author,
        "date": article.date,
        "dateline": article.dateline,
        "language": article.language,
        "paragraphs": _json(list(article.paragraphs)),
        "tags": _json(list(article.tags)),
        "removed": _json([r.to_dict() for r in article.removed]),
        "removed_count": len(article.removed),
        "content_hash": content_hash(article),
    }


def _article(row: sqlite3.Row) -> Article:
    return Article(
        url=row["article_url"],
        site=row["article_site"],
        title=row["title"],
        author=row["author"],
        date=row["date"],
        dateline=row["dateline"],
        language=row["language"],
        paragraphs=tuple(json.loads(row["paragraphs"])),
        tags=tuple(json.loads(row["tags"])),
        removed=tuple(_removal(item) for item in json.loads(row["removed"])),
    )


def _removal(item: dict[str, str]) -> Removal:
    stage = item["stage"]
    if stage not in STAGES:
        raise StoreError(f"stored removal has unknown stage {stage!r}")
    return Removal(text=item["text"], rule=item["rule"], stage=cast(Stage, stage))


def stored_article(row: sqlite3.Row) -> StoredArticle:
    """An `articles_page` row: the article and where and when it came from."""
    return StoredArticle(
        url=row["url"],
        site=row["site"],
        requested_url=row["requested_url"],
        canonical_url=row["canonical_url"],
        fetched_at=from_text(row["fetched_at"]),
        extracted_at=from_text(row["extracted_at"]),
        content_hash=row["content_hash"],
        rules_version=row["rules_version"],
        article=_article(row),
    )


def run_record(row: sqlite3.Row) -> RunRecord:
    """A `runs` row."""
    return RunRecord(
        id=row["id"],
        started_at=from_text(row["started_at"]),
        finished_at=_opt_time(row["finished_at"]),
        stats={str(k): int(v) for k, v in json.loads(row["stats"]).items()},
    )


def lock_info(row: sqlite3.Row) -> LockInfo:
    """A `locks` row."""
    return LockInfo(
        name=row["name"],
        owner=row["owner"],
        acquired_at=from_text(row["acquired_at"]),
        expires_at=from_text(row["expires_at"]),
    )
