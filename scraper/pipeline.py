"""The one orchestrator: discover -> fetch -> clean -> store, one pass at a time.

This is the only module that catches `ScraperError` per URL: every failure becomes a row in the store
(the frontier's last cause and error) and a count in the run's stats, and the run goes on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from scraper.cleaner import extract
from scraper.config import Config, Settings, Source
from scraper.discover import canonical_url
from scraper.discovery_input import InputKind, InputRead, read_input
from scraper.errors import (
    DiscoveryError,
    ExtractError,
    FetchError,
    LockedError,
    ScraperError,
    TransientFetchError,
)
from scraper.fetch import Fetcher
from scraper.metadata import host_of
from scraper.models import Article, Link, Page
from scraper.rules import RuleBook, default_rulebook
from scraper.store import Store
from scraper.store.records import FrontierEntry, ResourceState
from scraper.urls import normalize_url, same_site

__all__ = ["Clock", "Progress", "RunReport", "clean_page", "failure_cause", "reprocess", "run_pass", "utcnow"]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]
RUN_LOCK = "run"
LOCK_POLL_SECONDS = 5.0
MAX_SITEMAP_DEPTH = 2  # robots.txt -> index -> urlset
LOG_EVERY = 50  # URLs between progress log lines (and lock refreshes)


def utcnow() -> datetime:
    """The real clock; everything below takes the clock as an argument."""
    return datetime.now(UTC)


@dataclass
class RunReport:
    """What one pass did: counts for the summary line and the `runs` table."""

    run_id: int | None = None
    sources: int = 0
    sources_reached: int = 0
    stats: Counter[str] = field(default_factory=Counter)
    source_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The pass completed and at least one source answered (or there were none)."""
        return self.sources == 0 or self.sources_reached > 0

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "sources": self.sources,
            "sources_reached": self.sources_reached,
            "stats": dict(sorted(self.stats.items())),
            "source_errors": list(self.source_errors),
        }


def failure_cause(exc: ScraperError) -> str:
    """A short cause for stats: the fetch error's own ('http-404', 'timeout', 'robots', ...), 'extract',
    'discovery', or the error's class for anything else."""
    if isinstance(exc, FetchError):
        return exc.cause
    if isinstance(exc, ExtractError):
        return "extract"
    if isinstance(exc, DiscoveryError):
        return "discovery"
    return type(exc).__name__


async def run_pass(
    config: Config,
    store: Store,
    *,
    clock: Clock = utcnow,
    fetcher: Fetcher | None = None,
    rules: RuleBook | None = None,
    wait: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """One pass: take the run lock, discover, fetch what is due, clean, store; the report of it.

    Raises `LockedError` if another run holds the lock (after waiting up to the lock's TTL with `wait`).
    """
    settings = config.settings
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    await _acquire(store, owner, settings, clock, wait)
    report = RunReport(sources=len(config.sources))
    try:
        report.run_id = store.start_run(clock())
        async with _fetcher(settings, clock, fetcher) as client, _cleaner(settings, rules) as clean:
            crawl = _Crawl(settings, store, client, clock, rules or default_rulebook(), report, owner, progress, clean)
            await crawl.discover_all(config.sources)
            await crawl.fetch_due(limit=settings.max_urls_per_source * max(1, len(config.sources)))
        store.finish_run(report.run_id, dict(report.stats), clock())
    finally:
        store.release_lock(RUN_LOCK, owner)
    return report


async def _acquire(store: Store, owner: str, settings: Settings, clock: Clock, wait: bool) -> None:
    ttl = timedelta(seconds=settings.lock_ttl)
    deadline = clock() + ttl
    while not store.acquire_lock(RUN_LOCK, owner, clock(), ttl):
        holder = store.lock_holder(RUN_LOCK, clock())
        who = (
            f"{holder.owner} since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC, until {holder.expires_at:%H:%M:%S}"
            if holder
            else "?"
        )
        if not wait or clock() >= deadline:
            raise LockedError(f"another run holds the lock ({who}); not starting", holder.owner if holder else None)
        logger.info("waiting for the run lock held by %s", who)
        await asyncio.sleep(LOCK_POLL_SECONDS)


class _OwnedFetcher:
    """`async with` over a fetcher we made (closed at the end) or one the caller lent (left open)."""

    def __init__(self, fetcher: Fetcher, owned: bool) -> None:
        self.fetcher, self.owned = fetcher, owned

    async def __aenter__(self) -> Fetcher:
        return self.fetcher

    async def __aexit__(self, *exc: object) -> None:
        if self.owned:
            await self.fetcher.aclose()


def _fetcher(settings: Settings, clock: Clock, fetcher: Fetcher | None) -> _OwnedFetcher:
    return _OwnedFetcher(fetcher, False) if fetcher is not None else _OwnedFetcher(Fetcher(settings, clock=clock), True)


@dataclass
class _Crawl:
    settings: Settings
    store: Store
    fetcher: Fetcher
    clock: Clock
    rules: RuleBook
    report: RunReport
    owner: str
    progress: Progress | None
    clean: Cleaner

    # ------------------------------------------------------------------ discovery

    async def discover_all(self, sources: Iterable[Source]) -> None:
        for source in sources:
            read: list[ResourceState] = []
            links, reached = await self.discover_source(source, read)
            self.report.sources_reached += reached
            self.report.stats["discovered"] += len(links)
            self.report.stats["new_urls"] += self._add_links(links[: self.settings.max_urls_per_source])
            # Kept only once the links are in the frontier: after a crash in between, the next run must read
            # the inputs in full, not get a 304 over links that were never stored.
            for state in read:
                self.store.save_resource(state)

    async def discover_source(self, source: Source, read: list[ResourceState]) -> tuple[list[Link], bool]:
        """Every article link the source's inputs give; whether any input answered. An input that answers 304
        gives none (they are in the frontier since it was last read). What each input answered is appended to
        `read`, to be kept for the next run's conditional GET."""
        links: list[Link] = [Link(u, source="config") for u in source.urls]
        reached = bool(source.urls)
        inputs: list[tuple[InputKind, str]] = [("feed", u) for u in source.feeds]
        inputs += [("sitemap", u) for u in source.sitemaps] + [("section", s.url) for s in source.sections]
        patterns = {s.url: s.links for s in source.sections}
        for kind, url in inputs:
            try:
                found = await self._discover_input(kind, url, patterns.get(url, ""), 0, read)
            except (FetchError, DiscoveryError) as exc:
                self._source_failed(source, exc)
                continue
            reached = True
            links.extend(link for link in found if same_site(link.url, url))
        return _unique(links), reached

    async def _discover_input(
        self, kind: InputKind, url: str, pattern: str, depth: int, read: list[ResourceState]
    ) -> list[Link]:
        """The links of one input and of the child sitemaps it lists, however deep they are walked."""
        max_age = timedelta(days=self.settings.max_age_days)
        known = self.store.resource_state(url)
        found = await read_input(
            self.fetcher, kind, url, known=known, clock=self.clock, max_age=max_age, pattern=pattern
        )
        read.append(found.state)
        self._count_read(found)
        children = found.children if depth < MAX_SITEMAP_DEPTH else ()
        return list(found.links) + await self._child_sitemaps(children, depth, read)

    def _count_read(self, found: InputRead) -> None:
        if found.unchanged:
            self.report.stats["discovery_unchanged"] += 1
        if found.old:
            self.report.stats["sitemap_old"] += found.old

    async def _child_sitemaps(self, urls: tuple[str, ...], depth: int, read: list[ResourceState]) -> list[Link]:
        links: list[Link] = []
        for child in urls:
            try:
                links.extend(await self._discover_input("sitemap", child, "", depth + 1, read))
            except (FetchError, DiscoveryError) as exc:
                self.report.source_errors.append(str(exc))
                logger.warning("child sitemap failed: %s", exc, extra={"url": child})
        return links

    def _source_failed(self, source: Source, exc: ScraperError) -> None:
        self.report.stats["source_failures"] += 1
        self.report.stats[f"source_failed_{failure_cause(exc)}"] += 1
        self.report.source_errors.append(f"{source.name}: {exc}")
        logger.warning("source %s: %s", source.name, exc, extra={"site": source.name})

    def _add_links(self, links: list[Link]) -> int:
        by_site: dict[str, list[Link]] = {}
        for link in links:
            by_site.setdefault(host_of(link.url) or "", []).append(link)
        return sum(self.store.add_links(group, site, self.clock()) for site, group in by_site.items())

    # ------------------------------------------------------------------ fetch, clean, store

    async def fetch_due(self, limit: int) -> None:
        now = self.clock()
        hours = self.settings.recheck_hours
        recheck = now - timedelta(hours=hours) if hours > 0 else None
        due = self.store.due_urls(now, limit, recheck_before=recheck)
        done = 0
        self._tick(done, len(due))

        async def one(entry: FrontierEntry) -> None:
            nonlocal done
            await self.process(entry)
            done += 1
            self._tick(done, len(due))

        await asyncio.gather(*(one(entry) for entry in due))

    def _tick(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)
        if done and done % LOG_EVERY == 0:  # a long run keeps its lock alive, and says where it is
            self.store.acquire_lock(RUN_LOCK, self.owner, self.clock(), timedelta(seconds=self.settings.lock_ttl))
            logger.info("%d/%d URLs done", done, total)

    async def process(self, entry: FrontierEntry) -> None:
        """Fetch one URL, clean it, store the result or the failure: never raises a ScraperError."""
        try:
            page = await self.fetcher.fetch_page(entry.url, etag=entry.etag, last_modified=entry.last_modified)
        except FetchError as exc:
            self._failed(entry, exc, None)
            return
        if page.not_modified:
            self.store.record_unchanged(entry.url, self.clock())
            self.report.stats["unchanged"] += 1
            return
        self.report.stats["fetched"] += 1
        try:
            article, canonical = await self.clean(page)
        except ExtractError as exc:
            self._failed(entry, exc, page)
            return
        change = self.store.save_result(
            entry.url, page, article, canonical_url=canonical, rules_version=self.rules.version, now=self.clock()
        )
        self.report.stats[f"articles_{change}"] += 1

    def _failed(self, entry: FrontierEntry, exc: ScraperError, page: Page | None) -> None:
        cause = failure_cause(exc)
        transient = isinstance(exc, TransientFetchError)
        permanent = not transient or entry.attempts + 1 >= self.settings.max_attempts
        retry_at = None if permanent else (exc.retry_at if isinstance(exc, TransientFetchError) else None)
        if not permanent and retry_at is None:
            retry_at = self.clock() + _backoff(entry.attempts, self.settings)
        self.store.record_failure(
            entry.url,
            cause=cause,
            message=str(exc),
            retry_at=retry_at,
            permanent=permanent,
            now=self.clock(),
            page=page,
        )
        self.report.stats[f"failed_{cause}"] += 1
        logger.info("failed (%s): %s", cause, exc, extra={"url": entry.url, "site": entry.site})


Cleaner = Callable[[Page], Awaitable[tuple[Article, str | None]]]


@asynccontextmanager
async def _cleaner(settings: Settings, rules: RuleBook | None) -> AsyncIterator[Cleaner]:
    """Cleaning off the event loop: in worker processes (`workers` > 1, the packaged rules), else a thread.

    Extraction is CPU-bound Python, so threads share one core; processes use them all. Workers load the
    packaged rules themselves, so only the page crosses the process boundary.
    """
    workers = settings.workers or (os.cpu_count() or 1)
    if workers <= 1 or rules is not None:
        book = rules or default_rulebook()
        yield lambda page: asyncio.to_thread(clean_page, page, book)
        return
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield lambda page: loop.run_in_executor(pool, clean_page, page, None)


def clean_page(page: Page, rules: RuleBook | None) -> tuple[Article, str | None]:
    """The article of a fetched page (site rules by its final URL, `url` as requested) and its canonical URL."""
    article = extract(page.content, page.final_url, rules=rules or default_rulebook())
    return dataclasses.replace(article, url=page.url), canonical_url(page.content, page.final_url)


def _backoff(attempts: int, settings: Settings) -> timedelta:
    """When to try a URL again across runs: exponential in the failed attempts, capped."""
    seconds = min(settings.backoff_base * 60 * (2**attempts), settings.backoff_max)
    return timedelta(seconds=seconds)


def _unique(links: list[Link]) -> list[Link]:
    seen: set[str] = set()
    out = []
    for link in links:
        try:
            url = normalize_url(link.url)
        except DiscoveryError:
            continue
        if url not in seen:
            seen.add(url)
            out.append(dataclasses.replace(link, url=url))
    return out


def reprocess(
    store: Store, *, rules: RuleBook | None = None, site: str | None = None, clock: Clock = utcnow
) -> Counter[str]:
    """Re-clean every stored raw page with the current rules; counts of what changed.

    Keys: 'new', 'text_changed', 'metadata_changed', 'unchanged' (from the store), and 'failed_extract'.
    """
    book = rules or default_rulebook()
    counts: Counter[str] = Counter()
    for stored in store.iter_pages(site):
        try:
            article, canonical = clean_page(stored.page, book)
        except ExtractError as exc:
            counts["failed_extract"] += 1
            logger.info("reprocess: %s", exc, extra={"url": stored.url, "site": stored.site})
            continue
        change = store.save_article(
            stored.url, article, canonical_url=canonical, rules_version=book.version, now=clock()
        )
        counts[change] += 1
    return counts
