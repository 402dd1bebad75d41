"""SQLite plumbing: a configured connection, one transaction per unit of work, and the migrations runner."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from scraper.errors import StoreError
from scraper.store.sqlfiles import Migration, refuse_unknown

__all__ = ["apply_migrations", "connect", "split_statements", "transaction"]

logger = logging.getLogger(__name__)

MEMORY = ":memory:"
WAL_RETRY_SECONDS = 0.02


def connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    """A connection in WAL mode with foreign keys on, that waits `busy_timeout` seconds for another writer.

    `isolation_level=None` hands transactions to us: Python's implicit BEGIN would open them lazily and
    DEFERRED, and a deferred reader that later writes can fail with "database is locked" at once, without
    waiting; `transaction()` says BEGIN IMMEDIATE instead.
    """
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        _configure(conn, path, busy_timeout)
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection, path: str, busy_timeout: float) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    mode = _journal_mode_wal(conn, busy_timeout)
    if mode != "wal" and path != MEMORY:
        raise StoreError(f"cannot switch the database to WAL mode (journal_mode is {mode})")
    # In WAL mode NORMAL never corrupts the database and keeps every transaction atomic on a crash;
    # a power cut may lose the last commits, which the next run fetches again.
    conn.execute("PRAGMA synchronous = NORMAL")


def _journal_mode_wal(conn: sqlite3.Connection, busy_timeout: float) -> str:
    """Switch to WAL, waiting while another connection converts a new file: SQLite answers "database is
    locked" at once there, without its busy handler, so several processes opening a new database together
    would fail now and then (about one time in ten with six of them)."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool) -> Iterator[sqlite3.Connection]:
    """One transaction: committed whole when the block ends, rolled back whole when it raises.

    Writers take the write lock up front (IMMEDIATE), so a busy database makes them wait `busy_timeout`
    rather than fail half-way; readers get one consistent snapshot across several statements.
    """
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def apply_migrations(
    conn: sqlite3.Connection, migrations: Sequence[Migration], queries: Mapping[str, str]
) -> list[str]:
    """Apply the migrations not yet recorded in `migrations`, each in its own transaction; the names applied.

    The check happens inside the write transaction, so two processes opening a new database at once apply
    each migration once. A database that knows a migration we do not was made by a newer scraper: refuse it.
    """
    conn.execute(queries["create_migrations_table"])
    applied: list[str] = []
    for migration in migrations:
        with transaction(conn, write=True):
            if _is_applied(conn, queries, migration.name):
                continue
            for statement in split_statements(migration.sql):
                conn.execute(statement)
            conn.execute(queries["record_migration"], {"name": migration.name})
            applied.append(migration.name)
            logger.info("applied migration %s", migration.name)
    refuse_unknown((row["name"] for row in conn.execute(queries["applied_migrations"])), migrations)
    return applied


def _is_applied(conn: sqlite3.Connection, queries: Mapping[str, str], name: str) -> bool:
    return any(row["name"] == name for row in conn.execute(queries["applied_migrations"]))


def split_statements(script: str) -> list[str]:
    """The statements of a SQL script, split at the semicolons SQLite itself says end a statement.

    `sqlite3.complete_statement` knows string literals, comments and trigger bodies, so a `;` inside them
    does not split. `executescript` is not used because it commits any open transaction first.
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return [s for s in statements if not _only_comments(s)]


def _only_comments(statement: str) -> bool:
    lines = (line.strip() for line in statement.splitlines())
    return all(not line or line.startswith("--") or line == ";" for line in lines)
