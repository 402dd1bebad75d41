"""PostgreSQL plumbing: a configured connection, one transaction per unit of work, and the migrations runner."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row

from scraper.errors import StoreError
from scraper.store.sqlfiles import Migration, refuse_unknown

__all__ = ["Connection", "apply_migrations", "connect", "transaction"]

logger = logging.getLogger(__name__)

Connection = psycopg.Connection[DictRow]

# Defaults for what the URL (or libpq's environment variable) leaves unsaid. libpq waits forever for an
# unreachable host by default; a scraper run should fail in seconds with a message instead.
CONNECT_DEFAULTS = {
    "connect_timeout": ("PGCONNECT_TIMEOUT", "10"),
    "application_name": ("PGAPPNAME", "scraper"),
}


def connect(url: str) -> Connection:
    """An autocommit connection with dict rows: `transaction()` opens one transaction per unit of work, so
    no transaction is left open between calls (an idle-in-transaction session would hold locks)."""
    conn = psycopg.connect(url, autocommit=True, row_factory=dict_row, **_defaults(url))
    try:
        _require_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _defaults(url: str) -> dict[str, Any]:
    given = conninfo_to_dict(url)
    return {key: value for key, (env, value) in CONNECT_DEFAULTS.items() if key not in given and env not in os.environ}


def _require_schema(conn: Connection) -> None:
    """Tables go into the first schema of the search_path that exists; with none, say so before CREATE fails."""
    row = conn.execute("SELECT current_schema() AS name, current_setting('search_path') AS path").fetchone()
    if row is None or row["name"] is None:
        path = "" if row is None else row["path"]
        raise StoreError(f"no schema of the search_path ({path}) exists: CREATE SCHEMA it first")


@contextmanager
def transaction(conn: Connection, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed whole when the block ends, rolled back whole when it raises.

    Readers get one snapshot across their statements (REPEATABLE READ, as SQLite's BEGIN gives), and are
    READ ONLY so a write slipped into a reading call fails loudly. Writers use READ COMMITTED and lock the
    frontier row they work on (see queries.sql), which serialises two saves of one URL.
    """
    with conn.transaction():
        if not write:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn


def apply_migrations(conn: Connection, migrations: Sequence[Migration], queries: Mapping[str, str]) -> list[str]:
    """Apply the migrations not yet recorded in `migrations`, each in its own transaction; the names applied.

    Each transaction first takes a transaction-level advisory lock, so processes opening a new store at once
    queue up and apply each migration once (a plain `CREATE TABLE IF NOT EXISTS` races on the catalog).
    PostgreSQL's DDL is transactional: a migration that fails leaves nothing behind. A database that knows a
    migration we do not was made by a newer scraper: refuse it.
    """
    with transaction(conn, write=True):
        conn.execute(queries["lock_migrations"])
        conn.execute(queries["create_migrations_table"])
    applied: list[str] = []
    for migration in migrations:
        with transaction(conn, write=True):
            conn.execute(queries["lock_migrations"])
            if migration.name in _applied(conn, queries):
                continue
            conn.execute(migration.sql)  # without parameters: several statements in one call
            conn.execute(queries["record_migration"], {"name": migration.name})
            applied.append(migration.name)
            logger.info("applied migration %s", migration.name)
    refuse_unknown(_applied(conn, queries), migrations)
    return applied


def _applied(conn: Connection, queries: Mapping[str, str]) -> set[str]:
    return {str(row["name"]) for row in conn.execute(queries["applied_migrations"])}
