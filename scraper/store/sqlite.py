"""The SQLite store: one file, WAL, one transaction per unit of work, SQL from `sql/sqlite/`.

One connection per store, shared by threads under a lock (SQLite serialises writers anyway); another process
opening the same file waits up to `busy_timeout` for the write lock instead of failing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from scraper.errors import StoreError
from scraper.models import Article, Link, Page
from scraper.store import rows, sqlite_rows
from scraper.store.records import (
    AppliedMigration,
    ArticleChange,
    FrontierEntry,
    LockInfo,
    RunRecord,
    SiteStats,
    StoredArticle,
    StoredPage,
)
from scraper.store.sqlfiles import load_migrations, load_queries
from scraper.store.sqlite_conn import apply_migrations, connect, from_text, to_text, transaction
from scraper.store.sqlite_rows import CODEC

__all__ = ["SQLiteStore"]

DIALECT = "sqlite"
BATCH = 100  # rows per query when iterating, so no read cursor stays open across a caller's writes


class SQLiteStore:
    """The `Store` on SQLite. Open it with `scraper.store.open_store`; see `scraper.store.Store` for the contract."""

    def __init__(self, path: str, *, keep_raw: bool = True, busy_timeout: float = 30.0) -> None:
        self.db = path
        self.keep_raw = keep_raw
        self._queries = load_queries(DIALECT)
        self._lock = threading.RLock()
        self._conn = self._open(busy_timeout)

    def _open(self, busy_timeout: float) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.db, busy_timeout)
            apply_migrations(conn, load_migrations(DIALECT), self._queries)
        except (sqlite3.Error, StoreError) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(f"{self.db}: cannot open the database: {_one_line(exc)}") from exc
        return conn

    def close(self) -> None:
        """Close the connection; the store cannot be used after."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- plumbing

    @contextmanager
    def _unit(self, what: str, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One unit of work in one transaction; any sqlite3 error becomes a one-line StoreError naming the file."""
        try:
            with self._lock, transaction(self._conn, write=write) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"{self.db}: {what} failed: {_one_line(exc)}") from exc

    def _run(self, conn: sqlite3.Connection, query: str, params: Mapping[str, object]) -> sqlite3.Cursor:
        return conn.execute(self._queries[query], params)

    def _site_of(self, conn: sqlite3.Connection, url: str) -> str:
        row = self._run(conn, "frontier_entry", {"url": url}).fetchone()
        if row is None:
            raise StoreError(f"{self.db}: {url} is not in the frontier (add it with add_links first)")
        return str(row["site"])

    # -- schema

    def migrations(self) -> list[AppliedMigration]:
        """The migrations recorded in the database, in the order they were applied."""
        with self._unit("migrations", write=False) as conn:
            found = self._run(conn, "applied_migrations", {}).fetchall()
        return [AppliedMigration(row["name"], from_text(row["applied_at"])) for row in found]

    # -- frontier

    def add_links(self, links: Iterable[Link], site: str, now: datetime) -> int:
        """Add discovered links to the frontier as `new`; known URLs are left as they are. Returns how many were new."""
        params = [rows.link_params(link, site, now, CODEC) for link in links]
        with self._unit("add_links") as conn:
            return conn.executemany(self._queries["add_link"], params).rowcount

    def due_urls(
        self, now: datetime, limit: int, site: str | None = None, *, recheck_before: datetime | None = None
    ) -> list[FrontierEntry]:
        """URLs to fetch now: `new` or `retry` with next_attempt_at <= now, then (if `recheck_before` is given)
        `done` URLs last checked before it, for a conditional GET. At most `limit`, oldest first."""
        if limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")  # SQLite reads a negative LIMIT as "no limit"
        params = {"now": to_text(now), "limit": limit, "site": site, "recheck_before": _opt_text(recheck_before)}
        with self._unit("due_urls", write=False) as conn:
            return [rows.frontier_entry(row) for row in self._run(conn, "due_urls", params)]

    def frontier_entry(self, url: str) -> FrontierEntry | None:
        """The frontier state of `url`, or None if it was never added."""
        with self._unit("frontier_entry", write=False) as conn:
            row = self._run(conn, "frontier_entry", {"url": url}).fetchone()
        return None if row is None else rows.frontier_entry(row)

    def record_unchanged(self, url: str, now: datetime) -> None:
        """A 304 answer: the stored page and article stay, the URL is `done` and checked at `now`."""
        with self._unit("record_unchanged") as conn:
            self._site_of(conn, url)
            self._run(conn, "mark_unchanged", {"url": url, "now": to_text(now)})

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
        """A failed attempt: attempts + 1, last cause and message kept; `failed` if permanent, else `retry` due
        at `retry_at` (or `now`). A `page` that was fetched but yielded no article is kept for `reprocess`."""
        params = {
            "url": url,
            "status": "failed" if permanent else "retry",
            "retry_at": None if permanent else to_text(retry_at or now),
            "cause": cause,
            "message": message,
            "now": to_text(now),
        }
        with self._unit("record_failure") as conn:
            self._site_of(conn, url)
            self._run(conn, "mark_failed", params)
            if page is not None:
                self._run(conn, "upsert_page", rows.page_params(url, page, CODEC, keep_raw=self.keep_raw))

    # -- results

    def save_result(
        self, url: str, page: Page, article: Article, *, canonical_url: str | None, rules_version: str, now: datetime
    ) -> ArticleChange:
        """Store a fetched page and its article in one transaction and mark `url` done: after a crash both
        rows are there or neither is. Saving the same URL again updates the rows; returns what changed."""
        fetched = {"url": url, "etag": page.etag, "last_modified": page.last_modified, "now": to_text(now)}
        extraction = {"canonical_url": canonical_url, "rules_version": rules_version, "extracted_at": to_text(now)}
        with self._unit("save_result") as conn:
            site = self._site_of(conn, url)
            self._run(conn, "mark_fetched", fetched)
            self._run(conn, "upsert_page", rows.page_params(url, page, CODEC, keep_raw=self.keep_raw))
            origin = {"url": url, "site": site, "requested_url": page.url}
            return self._put_article(conn, article, {**origin, **extraction})

    def save_article(
        self, url: str, article: Article, *, canonical_url: str | None, rules_version: str, now: datetime
    ) -> ArticleChange:
        """Store an article re-cleaned from the page already stored for `url` (`reprocess`); returns what changed.
        A URL whose page had failed to yield an article becomes `done`."""
        extraction = {"canonical_url": canonical_url, "rules_version": rules_version, "extracted_at": to_text(now)}
        with self._unit("save_article") as conn:
            found = self._run(conn, "page_site", {"url": url}).fetchone()
            if found is None:
                raise StoreError(f"{self.db}: {url} has no stored page to attach an article to")
            self._run(conn, "mark_extracted", {"url": url})
            origin = {"url": url, "site": found["site"], "requested_url": found["requested_url"]}
            return self._put_article(conn, article, {**origin, **extraction})

    def _put_article(self, conn: sqlite3.Connection, article: Article, fields: Mapping[str, object]) -> ArticleChange:
        """Insert or update the article row; an identical article only records the rules version it was made by."""
        new = {**fields, **sqlite_rows.article_columns(article)}
        old = self._run(conn, "article_row", {"url": new["url"]}).fetchone()
        change = rows.article_change(old, new)
        self._run(conn, "touch_article" if change == "unchanged" else "upsert_article", new)
        return change

    # -- locks

    def acquire_lock(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take the lock `name` for `owner` until now + ttl. True when taken: it was free, expired (a crashed
        holder), or already `owner`'s (then its expiry moves on). False when someone else holds it."""
        if ttl <= timedelta(0):
            raise ValueError(f"lock ttl must be positive, not {ttl}")
        params = {"name": name, "owner": owner, "now": to_text(now), "expires_at": to_text(now + ttl)}
        with self._unit("acquire_lock") as conn:
            return self._run(conn, "acquire_lock", params).rowcount == 1

    def release_lock(self, name: str, owner: str) -> bool:
        """Release `name` if `owner` holds it; False if it did not (expired and taken over, or never held)."""
        with self._unit("release_lock") as conn:
            return self._run(conn, "release_lock", {"name": name, "owner": owner}).rowcount == 1

    def lock_holder(self, name: str, now: datetime) -> LockInfo | None:
        """Who holds `name` at `now` (an expired lock is held by nobody), for a clear "busy" message."""
        with self._unit("lock_holder", write=False) as conn:
            row = self._run(conn, "lock_holder", {"name": name, "now": to_text(now)}).fetchone()
        return None if row is None else rows.lock_info(row, CODEC)

    # -- runs

    def start_run(self, now: datetime) -> int:
        """Record a run starting at `now`; its id, for `finish_run`."""
        with self._unit("start_run") as conn:
            run_id = self._run(conn, "start_run", {"now": to_text(now)}).lastrowid
        if run_id is None:
            raise StoreError(f"{self.db}: start_run failed: no run id returned")
        return run_id

    def finish_run(self, run_id: int, stats: Mapping[str, int], now: datetime) -> None:
        """Record that run `run_id` ended at `now` with its counters."""
        params = {"id": run_id, "now": to_text(now), "stats": CODEC.stats_param(dict(stats))}
        with self._unit("finish_run") as conn:
            if self._run(conn, "finish_run", params).rowcount != 1:
                raise StoreError(f"{self.db}: finish_run failed: no run {run_id}")

    def recent_runs(self, limit: int = 10) -> list[RunRecord]:
        """The last `limit` runs, newest first."""
        with self._unit("recent_runs", write=False) as conn:
            return [rows.run_record(row, CODEC) for row in self._run(conn, "recent_runs", {"limit": limit})]

    # -- reading

    def iter_articles(self, site: str | None = None, since: datetime | None = None) -> Iterator[StoredArticle]:
        """Stored articles, by fetch time then URL; only `site`'s, only those fetched at or after `since`."""
        params: dict[str, object] = {"site": site, "since": _opt_text(since), "after_time": "", "after_url": ""}
        for batch in self._batches("iter_articles", "articles_page", params):
            yield from (rows.stored_article(row, CODEC) for row in batch)
            params.update(after_time=batch[-1]["fetched_at"], after_url=batch[-1]["url"])

    def iter_pages(self, site: str | None = None) -> Iterator[StoredPage]:
        """Stored raw pages (those whose body was kept), by URL; only `site`'s if given."""
        params: dict[str, object] = {"site": site, "after_url": ""}
        for batch in self._batches("iter_pages", "pages_page", params):
            yield from (rows.stored_page(row, CODEC) for row in batch)
            params.update(after_url=batch[-1]["url"])

    def _batches(self, what: str, query: str, params: dict[str, object]) -> Iterator[list[sqlite3.Row]]:
        """Keyset pages of `query`; the caller moves the `after_*` keys in `params` between batches."""
        while True:
            with self._unit(what, write=False) as conn:
                batch = self._run(conn, query, {**params, "limit": BATCH}).fetchall()
            if batch:
                yield batch
            if len(batch) < BATCH:
                return

    def site_stats(self) -> list[SiteStats]:
        """Per site: URLs, pending URLs, articles, failures by cause, noise removed, last check; by site name."""
        with self._unit("site_stats", write=False) as conn:
            frontier = self._run(conn, "site_frontier", {}).fetchall()
            articles = {row["site"]: row for row in self._run(conn, "site_articles", {})}
            failures = self._run(conn, "site_failures", {}).fetchall()
        return [rows.site_stats(row, articles.get(row["site"]), failures, CODEC) for row in frontier]


def _opt_text(moment: datetime | None) -> str | None:
    return None if moment is None else to_text(moment)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
