"""The SQLite store: one file, WAL, one transaction per unit of work, SQL from `sql/sqlite/`.

One connection per store, shared by threads under a lock (SQLite serialises writers anyway); another process
opening the same file waits up to `busy_timeout` for the write lock instead of failing. What the store does is
`base.SQLStore`; this is how SQLite does it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager

from scraper.models import Article
from scraper.store import sqlite_rows
from scraper.store.base import SQLStore
from scraper.store.sqlfiles import Migration
from scraper.store.sqlite_conn import apply_migrations, connect, transaction

__all__ = ["SQLiteStore"]


class SQLiteStore(SQLStore[sqlite3.Connection]):
    """The `Store` on SQLite. Open it with `scraper.store.open_store`; see `scraper.store.Store` for the contract."""

    DIALECT = "sqlite"
    CODEC = sqlite_rows.CODEC
    DRIVER_ERROR = sqlite3.Error
    # No row locks to take: SQLite's one writer at a time (BEGIN IMMEDIATE) already serialises two saves.
    SITE_QUERY = "frontier_entry"
    PAGE_QUERY = "page_site"
    ARTICLES_START = ""  # (fetched_at, url) > ('', ''): every row

    def __init__(self, path: str, *, keep_raw: bool = True, busy_timeout: float = 30.0) -> None:
        self._busy_timeout = busy_timeout
        super().__init__(path, keep_raw=keep_raw)

    def _connect(self) -> sqlite3.Connection:
        return connect(self.db, self._busy_timeout)

    def _migrate(self, conn: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
        apply_migrations(conn, migrations, self._queries)

    def _transaction(self, *, write: bool) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._conn, write=write)

    def _run(self, conn: sqlite3.Connection, query: str, params: Mapping[str, object]) -> sqlite3.Cursor:
        return conn.execute(self._queries[query], params)

    def _run_many(self, what: str, query: str, params: Sequence[Mapping[str, object]]) -> int:
        with self._unit(what) as conn:
            return conn.executemany(self._queries[query], params).rowcount

    def _run_for_id(self, conn: sqlite3.Connection, query: str, params: Mapping[str, object]) -> int | None:
        return self._run(conn, query, params).lastrowid

    def _article_columns(self, article: Article) -> dict[str, object]:
        return sqlite_rows.article_columns(article)
