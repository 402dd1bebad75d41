"""The PostgreSQL store: timestamptz columns, one transaction per unit of work, SQL from `sql/postgres/`.

Open it with `open_store("postgresql://user@host/db")`. The tables live in the first schema of the connection's
search_path, so several stores can share one database, each in its schema:
`postgresql://user@host/db?options=-csearch_path%3Dscraper` (the schema must exist).

Threads: one connection per store, shared under a lock, like the SQLite store. Every call is one short
transaction, and the pipeline calls the store from one thread at a time, so a connection per thread would buy
no throughput; it would cost a server connection per thread (PostgreSQL's scarcest resource, 100 by default)
and connections that `close()`, called from another thread, could not reach. Processes each open their own store.

If the server drops the connection (a restart, an idle timeout), the call that meets it raises `StoreError`
and the next call reconnects, so a long run survives a database restart between two units of work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

import psycopg
from psycopg.rows import DictRow

from scraper.errors import StoreError
from scraper.models import Article, Link, Page
from scraper.store import postgres_rows, rows
from scraper.store.postgres_conn import Connection, apply_migrations, connect, transaction
from scraper.store.postgres_rows import CODEC, utc
from scraper.store.postgres_url import redact_url
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

__all__ = ["PostgresStore"]

DIALECT = "postgres"
BATCH = 100  # rows per query when iterating, so no transaction stays open across a caller's writes


class PostgresStore:
    """The `Store` on PostgreSQL. Open it with `scraper.store.open_store`; see `scraper.store.Store` for the contract.

    `db` is the URL without its password: what every `StoreError` names.
    """

    def __init__(self, url: str, *, keep_raw: bool = True) -> None:
        self.db = redact_url(url)
        self.keep_raw = keep_raw
        self._url = url
        self._queries = load_queries(DIALECT)
        self._lock = threading.RLock()
        self._closed = False
        self._conn = self._open()

    def _open(self) -> Connection:
        conn: Connection | None = None
        try:
            conn = connect(self._url)
            apply_migrations(conn, load_migrations(DIALECT), self._queries)
        except (psycopg.Error, StoreError) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(f"{self.db}: cannot open the database: {_one_line(exc)}") from exc
        return conn

    def close(self) -> None:
        """Close the connection; the store cannot be used after."""
        with self._lock:
            self._closed = True
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- plumbing

    @contextmanager
    def _unit(self, what: str, *, write: bool = True) -> Iterator[Connection]:
        """One unit of work in one transaction; any psycopg error becomes a one-line StoreError naming the URL."""
        try:
            with self._lock, transaction(self._live(), write=write) as conn:
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"{self.db}: {what} failed: {_one_line(exc)}") from exc

    def _live(self) -> Connection:
        """The connection, opened again if the server dropped it (a closed store stays closed)."""
        if self._conn.broken and not self._closed:
            self._conn.close()
            self._conn = connect(self._url)  # the schema is migrated already: it was when the store opened
        return self._conn

    def _run(self, conn: Connection, query: str, params: Mapping[str, object]) -> psycopg.Cursor[DictRow]:
        return conn.execute(self._queries[query], params)

    def _one(self, conn: Connection, query: str, params: Mapping[str, object]) -> DictRow | None:
        return self._run(conn, query, params).fetchone()

    def _site_of(self, conn: Connection, url: str) -> str:
        """The site of `url`, whose frontier row stays locked until the unit of work ends."""
        row = self._one(conn, "frontier_site_for_update", {"url": url})
        if row is None:
            raise StoreError(f"{self.db}: {url} is not in the frontier (add it with add_links first)")
        return str(row["site"])

    # -- schema

    def migrations(self) -> list[AppliedMigration]:
        """The migrations recorded in the database, in the order they were applied."""
        with self._unit("migrations", write=False) as conn:
            found = self._run(conn, "applied_migrations", {}).fetchall()
        return [AppliedMigration(row["name"], utc(row["applied_at"])) for row in found]

    # -- frontier

    def add_links(self, links: Iterable[Link], site: str, now: datetime) -> int:
        """Add discovered links to the frontier as `new`; known URLs are left as they are. Returns how many were new."""
        params = [rows.link_params(link, site, now, CODEC) for link in links]
        if not params:
            return 0
        with self._unit("add_links") as conn, conn.cursor() as cursor:
            cursor.executemany(self._queries["add_link"], params)  # rowcount: the rows inserted, over all links
            return cursor.rowcount

    def due_urls(
        self, now: datetime, limit: int, site: str | None = None, *, recheck_before: datetime | None = None
    ) -> list[FrontierEntry]:
        """URLs to fetch now: `new` or `retry` with next_attempt_at <= now, then (if `recheck_before` is given)
        `done` URLs last checked before it, for a conditional GET. At most `limit`, oldest first."""
        if limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")  # PostgreSQL would refuse it as a query error
        params = {"now": utc(now), "limit": limit, "site": site, "recheck_before": CODEC.opt_time_param(recheck_before)}
        with self._unit("due_urls", write=False) as conn:
            return [rows.frontier_entry(row) for row in self._run(conn, "due_urls", params)]

    def frontier_entry(self, url: str) -> FrontierEntry | None:
        """The frontier state of `url`, or None if it was never added."""
        with self._unit("frontier_entry", write=False) as conn:
            row = self._one(conn, "frontier_entry", {"url": url})
        return None if row is None else rows.frontier_entry(row)

    def record_unchanged(self, url: str, now: datetime) -> None:
        """A 304 answer: the stored page and article stay, the URL is `done` and checked at `now`."""
        params = {"url": url, "now": utc(now)}
        with self._unit("record_unchanged") as conn:
            self._site_of(conn, url)
            self._run(conn, "mark_unchanged", params)

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
            "retry_at": None if permanent else utc(retry_at or now),
            "cause": cause,
            "message": message,
            "now": utc(now),
        }
        page_row = None if page is None else rows.page_params(url, page, CODEC, keep_raw=self.keep_raw)
        with self._unit("record_failure") as conn:
            self._site_of(conn, url)
            self._run(conn, "mark_failed", params)
            if page_row is not None:
                self._run(conn, "upsert_page", page_row)

    # -- results

    def save_result(
        self, url: str, page: Page, article: Article, *, canonical_url: str | None, rules_version: str, now: datetime
    ) -> ArticleChange:
        """Store a fetched page and its article in one transaction and mark `url` done: after a crash both
        rows are there or neither is. Saving the same URL again updates the rows; returns what changed."""
        fetched = {"url": url, "etag": page.etag, "last_modified": page.last_modified, "now": utc(now)}
        extraction = {"canonical_url": canonical_url, "rules_version": rules_version, "extracted_at": utc(now)}
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
        extraction = {"canonical_url": canonical_url, "rules_version": rules_version, "extracted_at": utc(now)}
        with self._unit("save_article") as conn:
            found = self._one(conn, "page_site_for_update", {"url": url})
            if found is None:
                raise StoreError(f"{self.db}: {url} has no stored page to attach an article to")
            self._run(conn, "mark_extracted", {"url": url})
            origin = {"url": url, "site": found["site"], "requested_url": found["requested_url"]}
            return self._put_article(conn, article, {**origin, **extraction})

    def _put_article(self, conn: Connection, article: Article, fields: Mapping[str, object]) -> ArticleChange:
        """Insert or update the article row; an identical article only records the rules version it was made by."""
        new = {**fields, **postgres_rows.article_columns(article)}
        change = rows.article_change(self._one(conn, "article_row", {"url": new["url"]}), new)
        self._run(conn, "touch_article" if change == "unchanged" else "upsert_article", rows.article_params(new, CODEC))
        return change

    # -- locks

    def acquire_lock(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take the lock `name` for `owner` until now + ttl. True when taken: it was free, expired (a crashed
        holder), or already `owner`'s (then its expiry moves on). False when someone else holds it."""
        if ttl <= timedelta(0):
            raise ValueError(f"lock ttl must be positive, not {ttl}")
        params = {"name": name, "owner": owner, "now": utc(now), "expires_at": utc(now + ttl)}
        with self._unit("acquire_lock") as conn:
            return self._run(conn, "acquire_lock", params).rowcount == 1

    def release_lock(self, name: str, owner: str) -> bool:
        """Release `name` if `owner` holds it; False if it did not (expired and taken over, or never held)."""
        with self._unit("release_lock") as conn:
            return self._run(conn, "release_lock", {"name": name, "owner": owner}).rowcount == 1

    def lock_holder(self, name: str, now: datetime) -> LockInfo | None:
        """Who holds `name` at `now` (an expired lock is held by nobody), for a clear "busy" message."""
        params = {"name": name, "now": utc(now)}
        with self._unit("lock_holder", write=False) as conn:
            row = self._one(conn, "lock_holder", params)
        return None if row is None else rows.lock_info(row, CODEC)

    # -- runs

    def start_run(self, now: datetime) -> int:
        """Record a run starting at `now`; its id, for `finish_run`."""
        params = {"now": utc(now)}
        with self._unit("start_run") as conn:
            row = self._one(conn, "start_run", params)
        if row is None:
            raise StoreError(f"{self.db}: start_run failed: no run id returned")
        return int(row["id"])

    def finish_run(self, run_id: int, stats: Mapping[str, int], now: datetime) -> None:
        """Record that run `run_id` ended at `now` with its counters."""
        params = {"id": run_id, "now": utc(now), "stats": CODEC.stats_param(dict(stats))}
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
        params: dict[str, object] = {
            "site": site,
            "since": CODEC.opt_time_param(since),
            "after_time": None,
            "after_url": None,
        }
        for batch in self._batches("iter_articles", "articles_page", params):
            yield from (rows.stored_article(row, CODEC) for row in batch)
            params.update(after_time=batch[-1]["fetched_at"], after_url=batch[-1]["url"])

    def iter_pages(self, site: str | None = None) -> Iterator[StoredPage]:
        """Stored raw pages (those whose body was kept), by URL; only `site`'s if given."""
        params: dict[str, object] = {"site": site, "after_url": ""}
        for batch in self._batches("iter_pages", "pages_page", params):
            yield from (rows.stored_page(row, CODEC) for row in batch)
            params.update(after_url=batch[-1]["url"])

    def _batches(self, what: str, query: str, params: dict[str, object]) -> Iterator[list[DictRow]]:
        """Keyset pages of `query`; the caller moves the `after_*` keys in `params` between batches.

        Not a server-side cursor: that would keep a transaction open on the shared connection while the caller
        (reprocess) writes through the same store between two rows.
        """
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


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
