"""The PostgreSQL store: timestamptz columns, one transaction per unit of work, SQL from `sql/postgres/`.

Open it with `open_store("postgresql://user@host/db")`. The tables live in the first schema of the connection's
search_path, so several stores can share one database, each in its schema:
`postgresql://user@host/db?options=-csearch_path%3Dscraper` (the schema must exist). What the store does is
`base.SQLStore`; this is how PostgreSQL does it.

Threads: one connection per store, shared under a lock, like the SQLite store. Every call is one short
transaction, and the pipeline calls the store from one thread at a time, so a connection per thread would buy
no throughput; it would cost a server connection per thread (PostgreSQL's scarcest resource, 100 by default)
and connections that `close()`, called from another thread, could not reach. Processes each open their own store.

If the server drops the connection (a restart, an idle timeout), the call that meets it raises `StoreError`
and the next call reconnects, so a long run survives a database restart between two units of work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager

import psycopg
from psycopg.rows import DictRow

from scraper.models import Article
from scraper.store import postgres_rows
from scraper.store.base import SQLStore
from scraper.store.postgres_conn import Connection, apply_migrations, connect, transaction
from scraper.store.postgres_url import redact_url
from scraper.store.sqlfiles import Migration

__all__ = ["PostgresStore"]


class PostgresStore(SQLStore[Connection]):
    """The `Store` on PostgreSQL. Open it with `scraper.store.open_store`; see `scraper.store.Store` for the contract.

    `db` is the URL without its password: what every `StoreError` names.
    """

    DIALECT = "postgres"
    CODEC = postgres_rows.CODEC
    DRIVER_ERROR = psycopg.Error
    SITE_QUERY = "frontier_site_for_update"
    PAGE_QUERY = "page_site_for_update"
    ARTICLES_START = None  # articles_page reads a NULL after_time as "from the first row"

    def __init__(self, url: str, *, keep_raw: bool = True) -> None:
        self._url = url
        super().__init__(redact_url(url), keep_raw=keep_raw)

    def _connect(self) -> Connection:
        return connect(self._url)

    def _migrate(self, conn: Connection, migrations: Sequence[Migration]) -> None:
        apply_migrations(conn, migrations, self._queries)

    def _transaction(self, *, write: bool) -> AbstractContextManager[Connection]:
        return transaction(self._live(), write=write)

    def _live(self) -> Connection:
        """The connection, opened again if the server dropped it (a closed store stays closed)."""
        if self._conn.broken and not self._closed:
            self._conn.close()
            self._conn = connect(self._url)  # the schema is migrated already: it was when the store opened
        return self._conn

    def _run(self, conn: Connection, query: str, params: Mapping[str, object]) -> psycopg.Cursor[DictRow]:
        return conn.execute(self._queries[query], params)

    def _run_many(self, what: str, query: str, params: Sequence[Mapping[str, object]]) -> int:
        if not params:
            return 0
        with self._unit(what) as conn, conn.cursor() as cursor:
            cursor.executemany(self._queries[query], params)  # rowcount: the rows changed, over all the sets
            return cursor.rowcount

    def _run_for_id(self, conn: Connection, query: str, params: Mapping[str, object]) -> int | None:
        row = self._run(conn, query, params).fetchone()  # the query ends in RETURNING id
        return None if row is None else int(row["id"])

    def _article_columns(self, article: Article) -> dict[str, object]:
        return postgres_rows.article_columns(article)
