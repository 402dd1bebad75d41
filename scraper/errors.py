"""The one exception tree of the project.

::

    ScraperError
    ├── FetchError (.url)
    │   ├── TransientFetchError   timeout, connection reset, 429, 5xx: retried later, with .retry_at
    │   └── PermanentFetchError   404/410, robots disallow, not HTML, too large, TLS failure
    ├── DiscoveryError (.source)  a feed or sitemap that cannot be read, a URL that is not http(s)
    ├── ExtractError (.url)       nothing article-like in the page, not a page, or its cleaning timed out or crashed
    ├── RulesError (.path, .key)  a rules or config file is wrong
    ├── StoreError                the database refused
    └── LockedError (.holder)     another run holds the run lock

Every message is one line that names the input and the cause.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "DiscoveryError",
    "ExtractError",
    "FetchError",
    "LockedError",
    "PermanentFetchError",
    "RulesError",
    "ScraperError",
    "StoreError",
    "TransientFetchError",
]


class ScraperError(Exception):
    """Base of every error this package raises on purpose.

    Every subclass pickles (it crosses the boundary of the cleaning worker processes): the default pickling
    of an exception calls ``cls(*self.args)``, which the subclasses' own ``__init__`` signatures refuse, so an
    error is rebuilt from its class, its message and its attributes instead.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


def _rebuild(cls: type[ScraperError], args: tuple[object, ...], state: dict[str, object]) -> ScraperError:
    """An error as it was pickled, without calling its ``__init__``."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class FetchError(ScraperError):
    """A URL could not be fetched; `.cause` is a short slug for stats ('http-404', 'timeout', 'robots', ...)."""

    def __init__(self, url: str, message: str, *, cause: str = "fetch") -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.cause = cause


class TransientFetchError(FetchError):
    """A failure worth retrying later (timeout, reset, 429, 5xx)."""

    def __init__(self, url: str, message: str, retry_at: datetime | None = None, *, cause: str = "transient") -> None:
        super().__init__(url, message, cause=cause)
        self.retry_at = retry_at


class PermanentFetchError(FetchError):
    """A failure that retrying will not fix (404/410, robots, not HTML, too large, TLS)."""


class DiscoveryError(ScraperError):
    """A feed, sitemap, section page or URL that discovery cannot read; `.source` names it."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.reason = message


class ExtractError(ScraperError):
    """The input holds no article, or is not a page at all; or cleaning it failed in its worker process.

    `.cause`: 'extract' (no article), 'timeout' (the cleaning took too long), 'crash' (the worker died under
    the page: segfault, out of memory) or 'bug' (the cleaner raised something that is not a ScraperError).
    """

    def __init__(self, source: str | None, message: str, *, cause: str = "extract") -> None:
        super().__init__(f"{source or '<input>'}: {message}")
        self.url = source
        self.reason = message
        self.cause = cause


class RulesError(ScraperError):
    """A rules or configuration file is wrong; names the file and the key."""

    def __init__(self, path: str, key: str, message: str) -> None:
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.key = key


class StoreError(ScraperError):
    """The database refused an operation."""


class LockedError(ScraperError):
    """Another run holds the run lock: a scheduled run overlapping the last one exits with this."""

    def __init__(self, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder
