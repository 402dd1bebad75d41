"""PostgreSQL URLs as the store names them in messages: no psycopg needed, so `open_store` can say which URL
it refused even where the `postgres` extra is not installed.
"""

from __future__ import annotations

import re

__all__ = ["POSTGRES_SCHEMES", "is_postgres_url", "redact_url"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

# libpq also takes the password as a query parameter (`?password=...`), not only in the user info.
QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


def is_postgres_url(db: str) -> bool:
    """True for the URL schemes libpq accepts."""
    return db.startswith(POSTGRES_SCHEMES)


def redact_url(db: str) -> str:
    """`db` without its password, so an error message can be shown and logged."""
    scheme, sep, rest = db.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return QUERY_PASSWORD.sub(r"\1***", f"{scheme}{sep}{rest}")
