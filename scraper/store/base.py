"""What every SQL backend of the store does, written once: `SQLStore` holds each `Store` method's logic.

A backend (`sqlite.SQLiteStore`, `postgres.PostgresStore`) names its SQL dialect, its `Codec` and its driver's
error class, and fills in a few small hooks: connect, migrate, open a transaction, run a named query (once, over
many parameter sets, or returning the new row's id). Its SQL stays in `sql/<dialect>/queries.sql`, under the
same query names.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import ClassVar, Generic, Protocol, Self, TypeVar

from scraper.errors import StoreError
from scraper.models import Article, Link, Page
from scraper.store import rows
from scraper.store.records import (
    AppliedMigration,
    ArticleChange,
    FrontierEntry,
    LearnedLine,
    LockInfo,
    ResourceState,
    RunRecord,
    SiteStats,
    StoredArticle,
    StoredPage,
)
from scraper.store.rows import Codec, Row
from scraper.store.sqlfiles import Migration, load_migrations, load_queries

__all__ = ["Cursor", "SQLStore"]

BATCH = 100  # rows per query when iterating, so no transaction stays open across a caller's writes


class Connection(Protocol):
    """All the base needs of a driver's connection: to close it when opening fails."""

    def close(self) -> None: ...


class Cursor(Protocol):
    """What the store reads from a query it ran: `sqlite3.Cursor` and psycopg's cursor both are one."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> Sequence[Row]: ...

    def __iter__(self) -> Iterator[Row]: ...


C = TypeVar("C", bound=Connection)


class SQLStore(ABC, Generic[C]):
    """The `Store` contract on a SQL database reached through connections of type `C`; see `scraper.store.Store`.

    One connection per store, shared by threads under a lock; every call is one unit of work in one transaction.
    `db` is what every `StoreError` names (a path, or a URL without its password).
    """

    DIALECT: ClassVar[str]  # the folder of the backend's SQL under scraper/store/sql/
    CODEC: ClassVar[Codec]
    DRIVER_ERROR: ClassVar[type[Exception]]  # what the driver raises; it becomes a StoreError
    SITE_QUERY: ClassVar[str]  # url -> site of a frontier row, the row locked where the database can
    PAGE_QUERY: ClassVar[str]  # url -> site and requested_url of a stored page, locked likewise
    ARTICLES_START: ClassVar[str | None]  # after_time and after_url of the first `articles_page` batch

    def __init__(self, db: str, *, keep_raw: bool) -> None:
        self.db = db
        self.keep_raw = keep_raw
        self._queries = load_queries(self.DIALECT)
        self._lock = threading.RLock()
        self._closed = False
        self._conn = self._open()

    def _open(self) -> C:
        conn: C | None = None
        try:
            conn = self._connect()
            self._migrate(conn, load_migrations(self.DIALECT))
        except (self.DRIVER_ERROR, StoreError) as exc:
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

    # -- the backend's hooks

    @abstractmethod
    def _connect(self) -> C:
        """A new connection, configured."""

    @abstractmethod
    def _migrate(self, conn: C, migrations: Sequence[Migration]) -> None:
        """Apply the `migrations` the database has not recorded yet."""

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[C]:
        """One transaction on the store's connection, committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def _run(self, conn: C, query: str, params: Mapping[str, object]) -> Cursor:
        """Run the named `query` with `params`."""

    @abstractmethod
    def _run_many(self, what: str, query: str, params: Sequence[Mapping[str, object]]) -> int:
        """Run the named `query` once per parameter set in one unit of work `what`; the rows it changed."""

    @abstractmethod
    def _run_for_id(self, conn: C, query: str, params: Mapping[str, object]) -> int | None:
        """Run the named INSERT `query`; the id of the row it made (None: the database named none)."""

    @abstractmethod
    def _article_columns(self, article: Article) -> dict[str, object]:
        """`rows.article_columns` with the backend's codec, called through the backend's rows module (the tests
        pause a save there, inside its transaction)."""

    # -- plumbing

    @contextmanager
    def _unit(self, what: str, *, write: bool = True) -> Iterator[C]:
        """One unit of work in one transaction; any driver error becomes a one-line StoreError naming the database."""
        try:
            with self._lock, self._transaction(write=write) as conn:
                yield conn
        except self.DRIVER_ERROR as exc:
            raise StoreError(f"{self.db}: {what} failed: {_one_line(exc)}") from exc

    def _time(self, moment: datetime) -> object:
        """`moment` as a query parameter; a naive datetime raises ValueError, before any SQL runs."""
        return self.CODEC.time_param(moment)

    def _site_of(self, conn: C, url: str) -> str:
        """The site of `url`, whose frontier row stays locked until the unit of work ends (where rows lock)."""
        row = self._run(conn, self.SITE_QUERY, {"url": url}).fetchone()
        if row is None:
            raise StoreError(f"{self.db}: {url} is not in the frontier (add it with add_links first)")
        return str(row["site"])

    # -- schema

    def migrations(self) -> list[AppliedMigration]:
        """The migrations recorded in the database, in the order they were applied."""
        with self._unit("migrations", write=False) as conn:
            found = self._run(conn, "applied_migrations", {}).fetchall()
        return [AppliedMigration(row["name"], self.CODEC.time_value(row["applied_at"])) for row in found]

    # -- frontier

    def add_links(self, links: Iterable[Link], site: str, now: datetime) -> int:
        """Add discovered links to the frontier as `new`; known URLs are left as they are. Returns how many were new."""
        params = [rows.link_params(link, site, now, self.CODEC) for link in links]
        return self._run_many("add_links", "add_link", params)

    def due_urls(
        self, now: datetime, limit: int, site: str | None = None, *, recheck_before: datetime | None = None
    ) -> list[FrontierEntry]:
        """URLs to fetch now: `new` or `retry` with next_attempt_at <= now, then (if `recheck_before` is given)
        `done` URLs last checked before it, for a conditional GET. At most `limit`, oldest first."""
        if limit < 0:
            # SQLite reads a negative LIMIT as "no limit"; PostgreSQL would refuse it as a query error
            raise ValueError(f"limit must be >= 0, not {limit}")
        recheck = self.CODEC.opt_time_param(recheck_before)
        params = {"now": self._time(now), "limit": limit, "site": site, "recheck_before": recheck}
        with self._unit("due_urls", write=False) as conn:
            return [rows.frontier_entry(row) for row in self._run(conn, "due_urls", params)]

    def frontier_entry(self, url: str) -> FrontierEntry | None:
        """The frontier state of `url`, or None if it was never added."""
        with self._unit("frontier_entry", write=False) as conn:
            row = self._run(conn, "frontier_entry", {"url": url}).fetchone()
        return None if row is None else rows.frontier_entry(row)

    def record_unchanged(self, url: str, now: datetime) -> None:
        """A 304 answer: the stored page and article stay, the URL is `done` and checked at `now`."""
        params = {"url": url, "now": self._time(now)}
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
            "retry_at": None if permanent else self._time(retry_at or now),
            "cause": cause,
            "message": message,
            "now": self._time(now),
        }
        page_row = None if page is None else rows.page_params(url, page, self.CODEC, keep_raw=self.keep_raw)
        with self._unit("record_failure") as conn:
            self._site_of(conn, url)
            self._run(conn, "mark_failed", params)
            if page_row is not None:
                self._run(conn, "upsert_page", page_row)

    def reset_failed(self, *, site: str | None, cause: str | None, now: datetime) -> int:
        """Another chance for failed URLs: `failed` and `retry` ones become `new` with no attempts, due at `now`,
        so the next run fetches them. Only `site`'s and only those whose last cause is `cause`, when given. Their
        last cause and error stay as the record of why they had failed, until the next attempt replaces or clears
        them. Returns how many URLs were reset."""
        params = {"site": site, "cause": cause, "now": self._time(now)}
        with self._unit("reset_failed") as conn:
            return self._run(conn, "reset_failed", params).rowcount

    # -- results

    def save_result(
        self, url: str, page: Page, article: Article, *, canonical_url: str | None, rules_version: str, now: datetime
    ) -> ArticleChange:
        """Store a fetched page and its article in one transaction and mark `url` done: after a crash both
        rows are there or neither is. Saving the same URL again updates the rows; returns what changed."""
        fetched = {"url": url, "etag": page.etag, "last_modified": page.last_modified, "now": self._time(now)}
        extraction = self._extraction(canonical_url, rules_version, now)
        with self._unit("save_result") as conn:
            site = self._site_of(conn, url)
            self._run(conn, "mark_fetched", fetched)
            self._run(conn, "upsert_page", rows.page_params(url, page, self.CODEC, keep_raw=self.keep_raw))
            origin = {"url": url, "site": site, "requested_url": page.url}
            return self._put_article(conn, article, {**origin, **extraction})

    def save_article(
        self, url: str, article: Article, *, canonical_url: str | None, rules_version: str, now: datetime
    ) -> ArticleChange:
        """Store an article re-cleaned from the page already stored for `url` (`reprocess`); returns what changed.
        A URL whose page had failed to yield an article becomes `done`."""
        extraction = self._extraction(canonical_url, rules_version, now)
        with self._unit("save_article") as conn:
            found = self._run(conn, self.PAGE_QUERY, {"url": url}).fetchone()
            if found is None:
                raise StoreError(f"{self.db}: {url} has no stored page to attach an article to")
            self._run(conn, "mark_extracted", {"url": url})
            origin = {"url": url, "site": found["site"], "requested_url": found["requested_url"]}
            return self._put_article(conn, article, {**origin, **extraction})

    def _extraction(self, canonical_url: str | None, rules_version: str, now: datetime) -> dict[str, object]:
        """The article row's fields that say how and when it was made."""
        return {"canonical_url": canonical_url, "rules_version": rules_version, "extracted_at": self._time(now)}

    def _put_article(self, conn: C, article: Article, fields: Mapping[str, object]) -> ArticleChange:
        """Insert or update the article row; an identical article only records the rules version it was made by."""
        new = {**fields, **self._article_columns(article)}
        change = rows.article_change(self._run(conn, "article_row", {"url": new["url"]}).fetchone(), new)
        query = "touch_article" if change == "unchanged" else "upsert_article"
        self._run(conn, query, rows.article_params(new, self.CODEC))
        return change

    # -- discovery inputs

    def resource_state(self, url: str) -> ResourceState | None:
        """What the discovery input `url` answered when last read (validators, child sitemaps); None if never."""
        with self._unit("resource_state", write=False) as conn:
            row = self._run(conn, "resource_state", {"url": url}).fetchone()
        return None if row is None else rows.resource_state(row, self.CODEC)

    def save_resource(self, state: ResourceState) -> None:
        """Record a read of a discovery input, replacing what was kept of its last read."""
        params = rows.resource_params(state, self.CODEC)
        with self._unit("save_resource") as conn:
            self._run(conn, "save_resource", params)

    # -- learned noise

    def save_learned(self, host: str, lines: Mapping[str, int], *, articles: int, now: datetime) -> None:
        """Replace `host`'s learned lines (text -> distinct articles it was seen on) in one transaction;
        no lines forgets the host's rule."""
        params = rows.learned_params(host, lines, articles, now, self.CODEC)
        with self._unit("save_learned") as conn:
            self._run(conn, "forget_learned", {"host": host})
            for line in params:
                self._run(conn, "add_learned", line)

    def learned_lines(self, host: str | None = None) -> list[LearnedLine]:
        """The learned lines, by host then most pages first; only `host`'s if given."""
        with self._unit("learned_lines", write=False) as conn:
            return [rows.learned_line(row, self.CODEC) for row in self._run(conn, "learned_lines", {"host": host})]

    # -- locks

    def acquire_lock(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take the lock `name` for `owner` until now + ttl. True when taken: it was free, expired (a crashed
        holder), or already `owner`'s (then its expiry moves on). False when someone else holds it."""
        if ttl <= timedelta(0):
            raise ValueError(f"lock ttl must be positive, not {ttl}")
        params = {"name": name, "owner": owner, "now": self._time(now), "expires_at": self._time(now + ttl)}
        with self._unit("acquire_lock") as conn:
            return self._run(conn, "acquire_lock", params).rowcount == 1

    def release_lock(self, name: str, owner: str) -> bool:
        """Release `name` if `owner` holds it; False if it did not (expired and taken over, or never held)."""
        with self._unit("release_lock") as conn:
            return self._run(conn, "release_lock", {"name": name, "owner": owner}).rowcount == 1

    def lock_holder(self, name: str, now: datetime) -> LockInfo | None:
        """Who holds `name` at `now` (an expired lock is held by nobody), for a clear "busy" message."""
        params = {"name": name, "now": self._time(now)}
        with self._unit("lock_holder", write=False) as conn:
            row = self._run(conn, "lock_holder", params).fetchone()
        return None if row is None else rows.lock_info(row, self.CODEC)

    # -- runs

    def start_run(self, now: datetime) -> int:
        """Record a run starting at `now`; its id, for `finish_run`."""
        params = {"now": self._time(now)}
        with self._unit("start_run") as conn:
            run_id = self._run_for_id(conn, "start_run", params)
        if run_id is None:
            raise StoreError(f"{self.db}: start_run failed: no run id returned")
        return run_id

    def finish_run(self, run_id: int, stats: Mapping[str, int], now: datetime) -> None:
        """Record that run `run_id` ended at `now` with its counters."""
        params = {"id": run_id, "now": self._time(now), "stats": self.CODEC.stats_param(dict(stats))}
        with self._unit("finish_run") as conn:
            if self._run(conn, "finish_run", params).rowcount != 1:
                raise StoreError(f"{self.db}: finish_run failed: no run {run_id}")

    def recent_runs(self, limit: int = 10) -> list[RunRecord]:
        """The last `limit` runs, newest first."""
        with self._unit("recent_runs", write=False) as conn:
            return [rows.run_record(row, self.CODEC) for row in self._run(conn, "recent_runs", {"limit": limit})]

    # -- reading

    def iter_articles(self, site: str | None = None, since: datetime | None = None) -> Iterator[StoredArticle]:
        """Stored articles, by fetch time then URL; only `site`'s, only those fetched at or after `since`."""
        since_param, start = self.CODEC.opt_time_param(since), self.ARTICLES_START
        params: dict[str, object] = {"site": site, "since": since_param, "after_time": start, "after_url": start}
        for batch in self._batches("iter_articles", "articles_page", params):
            yield from (rows.stored_article(row, self.CODEC) for row in batch)
            params.update(after_time=batch[-1]["fetched_at"], after_url=batch[-1]["url"])

    def iter_pages(self, site: str | None = None) -> Iterator[StoredPage]:
        """Stored raw pages (those whose body was kept), by URL; only `site`'s if given."""
        params: dict[str, object] = {"site": site, "after_url": ""}
        for batch in self._batches("iter_pages", "pages_page", params):
            yield from (rows.stored_page(row, self.CODEC) for row in batch)
            params.update(after_url=batch[-1]["url"])

    def _batches(self, what: str, query: str, params: dict[str, object]) -> Iterator[Sequence[Row]]:
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
        return [rows.site_stats(row, articles.get(row["site"]), failures, self.CODEC) for row in frontier]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
