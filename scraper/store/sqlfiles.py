"""SQL kept in files, one folder per backend: numbered migrations and a file of named queries.

::

    scraper/store/sql/<dialect>/0001_initial.sql   migrations, applied in name order, each recorded once
    scraper/store/sql/<dialect>/queries.sql        "-- name: <name>" headers, each followed by one statement
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from scraper.errors import StoreError

__all__ = ["Migration", "load_migrations", "load_queries", "refuse_unknown"]

MIGRATION_FILE = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")
QUERY_HEADER = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema change: its name (the file name without `.sql`) and its SQL."""

    name: str
    sql: str


@cache
def load_migrations(dialect: str) -> tuple[Migration, ...]:
    """The migrations of `dialect`, in the order they apply."""
    folder = resources.files("scraper.store").joinpath("sql", dialect)
    names = sorted(entry.name for entry in folder.iterdir() if MIGRATION_FILE.match(entry.name))
    if not names:
        raise StoreError(f"no migrations found for {dialect} in {folder}")
    return tuple(Migration(name.removesuffix(".sql"), folder.joinpath(name).read_text("utf-8")) for name in names)


def refuse_unknown(applied: Iterable[str], migrations: Sequence[Migration]) -> None:
    """A database that recorded a migration we do not know was made by a newer scraper: refuse it."""
    unknown = sorted(set(applied) - {m.name for m in migrations})
    if unknown:
        raise StoreError(f"the schema is newer than this scraper (unknown migration {unknown[0]}); upgrade scraper")


@cache
def load_queries(dialect: str) -> Mapping[str, str]:
    """The named queries of `dialect`: name -> SQL text (comments included, which every database accepts)."""
    text = resources.files("scraper.store").joinpath("sql", dialect, "queries.sql").read_text("utf-8")
    return parse_queries(text)


def parse_queries(text: str) -> dict[str, str]:
    """Split a queries file at its `-- name:` headers; a name given twice is an error, not a silent override."""
    parts = QUERY_HEADER.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise StoreError(f"queries.sql: query {name!r} is defined twice")
        queries[name] = body.strip()
    return queries
