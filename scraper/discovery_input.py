"""Reading one discovery input (a feed, a sitemap, a robots.txt or a section page) with a conditional GET.

Part of the orchestrator, split out of `scraper.pipeline`, which calls it: the network through the `Fetcher`,
the parsing through the pure `scraper.discover`. What the input answered last time comes in as a
`ResourceState`, and what to keep for next time goes out in one; reading and writing the store, walking child
sitemaps and catching errors stay in the pipeline.

On a 304 nothing is parsed: the input's links went into the frontier when it was last read, so there is nothing
to add. Its child sitemaps are kept all the same, because an unchanged index must still be walked: the children
change on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from scraper.discover import parse_feed, parse_section, parse_sitemap, sitemaps_from_robots
from scraper.fetch import ANY, HTML, XML, Accept, Fetcher
from scraper.models import Link, Page
from scraper.store.records import ResourceState

__all__ = ["MAX_CHILD_SITEMAPS", "InputKind", "InputRead", "read_input"]

InputKind = Literal["feed", "sitemap", "section"]  # a sitemap URL ending in /robots.txt is read as a robots.txt
MAX_CHILD_SITEMAPS = 20  # per sitemap index or robots.txt: the newest first, archives are not news
ACCEPT: dict[str, Accept] = {"feed": XML, "sitemap": XML, "robots": ANY, "section": HTML}


@dataclass(frozen=True, slots=True)
class InputRead:
    """What one read of a discovery input gave: its article links, and the state to keep for the next read
    (which holds the child sitemaps to walk)."""

    state: ResourceState
    links: tuple[Link, ...] = ()
    old: int = 0  # sitemap entries skipped as older than max_age
    unchanged: bool = False  # a 304: nothing parsed; the children are those of the last read

    @property
    def children(self) -> tuple[str, ...]:
        """The child sitemaps to walk (from a robots.txt or a sitemap index), at most MAX_CHILD_SITEMAPS."""
        return self.state.children


async def read_input(
    fetcher: Fetcher,
    kind: InputKind,
    url: str,
    *,
    known: ResourceState | None,
    clock: Callable[[], datetime],
    max_age: timedelta,
    pattern: str = "",
) -> InputRead:
    """Fetch `url` with the validators of its last read (`known`) and parse it as `kind`, unless it answers 304.

    `pattern` is a section's link pattern; `max_age` drops old sitemap entries. Raises `FetchError` or
    `DiscoveryError`, and then nothing should be kept: the next run reads the input in full again.
    """
    real = "robots" if kind == "sitemap" and url.rstrip("/").endswith("/robots.txt") else kind
    etag, last_modified = (known.etag, known.last_modified) if known else (None, None)
    page = await fetcher.fetch_page(url, accept=ACCEPT[real], etag=etag, last_modified=last_modified)
    if page.not_modified and known is not None:
        return InputRead(_state(page, known.children, clock()), unchanged=True)
    return _parse(real, page, pattern, clock(), max_age)


def _parse(kind: str, page: Page, pattern: str, now: datetime, max_age: timedelta) -> InputRead:
    if kind == "section":
        return InputRead(_state(page, (), now), tuple(parse_section(page.content, page.final_url, pattern)))
    if kind == "feed":
        return InputRead(_state(page, (), now), tuple(parse_feed(page.content, page.final_url)))
    if kind == "robots":
        return InputRead(_state(page, sitemaps_from_robots(page.content, page.final_url), now))
    sitemap = parse_sitemap(page.content, page.final_url, now=now, max_age=max_age)
    return InputRead(_state(page, sitemap.sitemaps, now), sitemap.links, old=sitemap.old)


def _state(page: Page, children: Sequence[str], now: datetime) -> ResourceState:
    # Only the children that are walked are kept: an index of years of daily archives would otherwise be a
    # large row, rewritten on every run. Keyed by the URL as requested, the one the next run asks for.
    walked = tuple(children[:MAX_CHILD_SITEMAPS])
    return ResourceState(page.url, page.etag, page.last_modified, walked, now)
