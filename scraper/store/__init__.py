"""The store step: frontier state, raw pages, articles, discovery inputs, runs and locks, behind one interface.

>>> from scraper.store import open_store
>>> with open_store("scraper.db") as store:   # or "sqlite:///scraper.db", "postgresql://user@host/db"
...     store.add_links(links, site="liputan6.com", now=now)
...     for entry in store.due_urls(now, limit=100):
...         ...   # fetch (conditional GET with entry.etag / entry.last_modified), clean, then one of:
...         store.save_result(entry.url, page, article, canonical_url=..., rules_version=..., now=now)
...         store.record_unchanged(entry.url, now)   # 304
...         store.record_failure(entry.url, cause=..., message=..., retry_at=..., permanent=..., now=now)
...     store.reset_failed(site=None, cause="timeout", now=now)   # give failed URLs another chance
...     store.save_learned("liputan6.com", {"ADVERTISEMENT": 412}, articles=460, now=now)   # scraper.learned

Contract, for every backend (tests/test_store.py runs the same suite on each):

- Every URL is the *normalised* URL, as discovery produced it; it keys the frontier, the page and the article.
  The store compares URLs as given and normalises nothing.
- The clock comes in as `now` (an aware datetime); the store never reads the time itself (the one exception
  is the `applied_at` of a migration, stamped by the database while opening).
- Each call is one unit of work in one transaction: after a crash (even SIGKILL) it happened whole or not at
  all, so no article exists without its page and frontier row.
- Saving is idempotent: the same URL saved twice is one row, updated.
- A database failure raises `StoreError` with one line naming the database; a call about a URL that is not in
  the frontier raises `StoreError` too. A naive datetime raises `ValueError` (a bug in the caller).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from scraper.errors import StoreError
from scraper.models import Article, Link, Page
from scraper.store.postgres_url import is_postgres_url, redact_url
from scraper.store.records import (
    AppliedMigration,
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
from scraper.store.sqlite import SQLiteStore

__all__ = [
    "AppliedMigration",
    "ArticleChange",
    "FrontierEntry",
    "FrontierStatus",
    "LearnedLine",
    "LockInfo",
    "ResourceState",
    "RunRecord",
    "SQLiteStore",
    "SiteStats",
    "Store",
    "StoredArticle",
    "StoredPage",
    "content_hash",
    "open_store",
]

SQLITE_PREFIX = "sqlite:///"


class Store(Protocol):
    """What the pipeline and the CLI need from a database. See the module docstring for the contract."""

    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def migrations(self) -> list[AppliedMigration]:
        """The schema migrations recorded in the database, in order."""

    def add_links(self, links: Iterable[Link], site: str, now: datetime) -> int:
        """Add links to the frontier as `new`, leaving known URLs alone; how many were new."""

    def due_urls(
        self, now: datetime, limit: int, site: str | None = None, *, recheck_before: datetime | None = None
    ) -> list[FrontierEntry]:
        """`new`/`retry` URLs due at `now`, then `done` URLs last checked before `recheck_before` (if given)."""

    def frontier_entry(self, url: str) -> FrontierEntry | None:
        """The frontier state of `url`; None if it was never added."""

    def save_result(
        self, url: str, page: Page, article: Article, *, canonical_url: str | None, rules_version: str, now: datetime
    ) -> ArticleChange:
        """Page + article + frontier `done`, in one transaction; what changed in the article."""

    def save_article(
        self, url: str, article: Article, *, canonical_url: str | None, rules_version: str, now: datetime
    ) -> ArticleChange:
        """An article re-cleaned from the stored page of `url` (reprocess); what changed."""

    def record_unchanged(self, url: str, now: datetime) -> None:
        """A 304: keep page and article, mark `url` done and checked at `now`."""

    def record_failure(
        self,
        url: str,
        *,
        cause: str,
        message: str,
        retry_at: datetime | None,
        permanent: bool,
        now: datetime,
        page: Page | None = None,
    ) -> None:
        """attempts + 1, cause and message kept; `failed` if permanent, else `retry` at `retry_at` (or now)."""

    def reset_failed(self, *, site: str | None, cause: str | None, now: datetime) -> int:
        """`failed` and `retry` URLs (only `site`'s, only those whose last cause is `cause`, when given) back to
        `new` with no attempts, due at `now`; last cause and error stay as the record; how many were reset."""

    def resource_state(self, url: str) -> ResourceState | None:
        """What the discovery input `url` (feed, sitemap, robots.txt, section page) answered when last read:
        the validators for a conditional GET and its child sitemaps; None if it was never read."""

    def save_resource(self, state: ResourceState) -> None:
        """Record a read of a discovery input (a 200 or a 304), replacing what was kept of its last read."""

    def save_learned(self, host: str, lines: Mapping[str, int], *, articles: int, now: datetime) -> None:
        """Replace `host`'s learned noise lines (text -> distinct articles it was seen on, learned from `articles`
        distinct articles) as one unit of work; no lines forgets them."""

    def learned_lines(self, host: str | None = None) -> list[LearnedLine]:
        """The learned noise lines, by host then most pages first; only `host`'s if given."""

    def acquire_lock(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take `name` for `owner` until now + ttl if free, expired or already ours; False if held by another."""

    def release_lock(self, name: str, owner: str) -> bool:
        """Release `name` if `owner` holds it."""

    def lock_holder(self, name: str, now: datetime) -> LockInfo | None:
        """Who holds `name` at `now`; None when free or expired."""

    def start_run(self, now: datetime) -> int:
        """Record a run starting; its id."""

    def finish_run(self, run_id: int, stats: Mapping[str, int], now: datetime) -> None:
        """Record a run's end and its counters."""

    def recent_runs(self, limit: int = 10) -> list[RunRecord]:
        """The last runs, newest first (a killed run has no `finished_at`)."""

    def iter_articles(self, site: str | None = None, since: datetime | None = None) -> Iterator[StoredArticle]:
        """Articles by fetch time, for export; filtered by site and fetched at or after `since`."""

    def iter_pages(self, site: str | None = None) -> Iterator[StoredPage]:
        """Raw pages kept in the store, for reprocess."""

    def site_stats(self) -> list[SiteStats]:
        """Per-site numbers for `stats`."""


def open_store(db: str, *, keep_raw: bool = True) -> Store:
    """Open (creating and migrating if needed) the store at `db`: a path, `sqlite:///PATH`, or a PostgreSQL URL
    (`postgresql://user@host/db`, `postgres://...`; `?options=-csearch_path%3Dname` keeps the tables in schema
    `name`, which must exist).

    `keep_raw=False` stores page metadata without the raw body (then `reprocess` has nothing to re-clean).
    An unknown scheme raises `StoreError`: never a silent fallback to SQLite.
    """
    if is_postgres_url(db):
        return _open_postgres(db, keep_raw=keep_raw)
    if db.startswith(SQLITE_PREFIX):
        return SQLiteStore(_sqlite_path(db), keep_raw=keep_raw)
    if "://" in db or db.startswith("sqlite:"):
        raise StoreError(
            f"{redact_url(db)}: unknown database URL (expected a path, sqlite:///PATH or postgresql://...)"
        )
    return SQLiteStore(db, keep_raw=keep_raw)


def _open_postgres(db: str, *, keep_raw: bool) -> Store:
    """The PostgreSQL store, imported only now: psycopg is an optional extra, and SQLite users need none of it."""
    try:
        from scraper.store.postgres import PostgresStore
    except ImportError as exc:
        if not (exc.name or "").startswith("psycopg"):
            raise
        raise StoreError(f"{redact_url(db)}: PostgreSQL needs psycopg: pip install 'scraper[postgres]'") from exc
    return PostgresStore(db, keep_raw=keep_raw)


def _sqlite_path(url: str) -> str:
    """`sqlite:///data/x.db` is the relative path `data/x.db`; `sqlite:////srv/x.db` the absolute `/srv/x.db`."""
    path = url.removeprefix(SQLITE_PREFIX)
    if not path:
        raise StoreError(f"{url}: no database path after {SQLITE_PREFIX}")
    return path
