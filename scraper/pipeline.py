"""The one orchestrator: discover -> fetch -> clean -> store, one pass at a time.

This is the only module that catches `ScraperError` per URL: every failure becomes a row in the store
(the frontier's last cause and error) and a count in the run's stats, and the run goes on. It is also the one
boundary, per URL and per source, for exceptions nobody meant (cause 'bug', logged with its traceback): a bug
met on one page costs that page, never the run. Cleaning runs in worker processes (`scraper.workers`), so a page
that hangs or crashes its cleaner costs that page too. The pass holds the run lock (`scraper.runlock`) on a timer
and stops if it loses it; cancelled (SIGINT, SIGTERM), it records the run as stopped and releases the lock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from contextlib import suppress
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
    StoreError,
    TransientFetchError,
)
from scraper.fetch import Fetcher
from scraper.learned import with_learned
from scraper.metadata import host_of
from scraper.models import Article, Link, Page
from scraper.rules import RuleBook, default_rulebook
from scraper.runlock import RUN_LOCK, acquire_run_lock, keep_run_lock, owner_name
from scraper.store import Store
from scraper.store.records import FrontierEntry, ResourceState
from scraper.urls import normalize_url, same_site
from scraper.workers import WORKER_START, CleanFn, CleaningPool

__all__ = ["Clock", "Progress", "RunReport", "clean_page", "failure_cause", "reprocess", "run_pass", "utcnow"]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]
MAX_SITEMAP_DEPTH = 2  # robots.txt -> index -> urlset
LOG_EVERY = 50  # URLs between progress log lines


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
    """A short cause for stats: the fetch error's own ('http-404', 'timeout', 'robots', ...), the cleaning
    error's ('extract', 'timeout', 'crash', 'bug'), 'discovery', or the error's class for anything else."""
    if isinstance(exc, FetchError | ExtractError):
        return exc.cause
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
    clean: CleanFn | None = None,
) -> RunReport:
    """One pass: take the run lock, discover, fetch what is due, clean, store; the report of it.

    `clean` is what the worker processes call on each page (a module-level function, default `clean_page`).
    Raises `LockedError` if another run holds the lock (after waiting up to the lock's TTL with `wait`), or if
    the pass lost it; cancelled, the run is recorded with ``stopped`` and the lock released.
    """
    settings = config.settings
    owner = owner_name()
    await acquire_run_lock(store, owner, settings, clock, wait)
    report = RunReport(sources=len(config.sources))
    try:
        book = with_learned(rules or default_rulebook(), store.learned_lines())  # lines learned from stored pages
        report.run_id = store.start_run(clock())
        crawl = _crawl(config, store, clock, fetcher, book, report, progress, clean)
        await _holding_lock(store, owner, settings, clock, crawl, report)
    finally:
        store.release_lock(RUN_LOCK, owner)
    return report


async def _crawl(
    config: Config,
    store: Store,
    clock: Clock,
    fetcher: Fetcher | None,
    rules: RuleBook,
    report: RunReport,
    progress: Progress | None,
    clean: CleanFn | None,
) -> None:
    settings = config.settings
    workers = settings.workers or usable_cpus()
    pool = CleaningPool(
        workers, rules, clean or clean_page, timeout=settings.clean_timeout, memory_mb=settings.worker_memory_mb
    )
    async with _fetcher(settings, clock, fetcher) as client, pool:
        # Pages fetched ahead of the cleaners wait in memory: as many as keep fetchers and workers busy, no more.
        in_flight = asyncio.Semaphore(settings.concurrency + 2 * workers)
        crawl = _Crawl(settings, store, client, clock, rules, report, progress, pool.clean, in_flight)
        await crawl.discover_all(config.sources)
        await crawl.fetch_due(limit=settings.max_urls_per_source * max(1, len(config.sources)))


async def _holding_lock(
    store: Store, owner: str, settings: Settings, clock: Clock, work: Coroutine[object, object, None], report: RunReport
) -> None:
    """Run `work` while a timer keeps the lock; stop it if the lock is lost. The run row is finished either way."""
    task = asyncio.ensure_future(work)
    lost: list[str] = []

    def on_lost(why: str) -> None:
        lost.append(why)
        task.cancel()

    keeper = asyncio.create_task(keep_run_lock(store, owner, settings, clock, on_lost))
    try:
        await task
    except BaseException:  # cancelled (a signal), the lock lost, or the database gone: recorded, then raised
        report.stats["stopped"] += 1
        if lost:
            raise LockedError(f"stopped: {lost[0]}", None) from None
        raise
    finally:
        keeper.cancel()
        with suppress(asyncio.CancelledError, StoreError):
            await keeper
        _finish(store, report, clock)


def _finish(store: Store, report: RunReport, clock: Clock) -> None:
    if report.run_id is None:
        return
    with suppress(StoreError):  # the database may be why the pass ended: the run row stays unfinished then
        store.finish_run(report.run_id, dict(report.stats), clock())


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
    progress: Progress | None
    clean: Cleaner
    in_flight: asyncio.Semaphore

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
                self._source_failed(source, failure_cause(exc), str(exc))
                continue
            except StoreError:
                raise
            except Exception as exc:  # the per-input boundary: a parser's bug on one feed costs that feed
                logger.exception("bug while reading %s", url, extra={"url": url, "site": source.name})
                self._source_failed(source, "bug", _bug_message(url, exc))
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
            except StoreError:
                raise
            except Exception as exc:  # as for a source's own inputs: one bad sitemap costs that sitemap
                logger.exception("bug while reading %s", child, extra={"url": child})
                self.report.source_errors.append(_bug_message(child, exc))
        return links

    def _source_failed(self, source: Source, cause: str, message: str) -> None:
        self.report.stats["source_failures"] += 1
        self.report.stats[f"source_failed_{cause}"] += 1
        self.report.source_errors.append(f"{source.name}: {message}")
        logger.warning("source %s: %s", source.name, message, extra={"site": source.name})

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
            async with self.in_flight:
                await self.process(entry)
            done += 1
            self._tick(done, len(due))

        # A TaskGroup, not gather: if the pass must end (the database refused, the run was stopped), the other
        # URLs' tasks are cancelled with it instead of going on behind its back.
        try:
            async with asyncio.TaskGroup() as group:
                for entry in due:
                    group.create_task(one(entry))
        except BaseExceptionGroup as group:  # what ended the pass (a database refusal), as one exception
            raise _first_leaf(group) from None

    def _tick(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)
        if done and done % LOG_EVERY == 0:  # a long run says where it is
            logger.info("%d/%d URLs done", done, total)

    async def process(self, entry: FrontierEntry) -> None:
        """Fetch one URL, clean it, store the result or the failure. Only a `StoreError` (the database refused:
        nothing more can be recorded) or a cancellation ends the pass; anything else is this URL's failure."""
        try:
            await self._process(entry)
        except StoreError:
            raise
        except ScraperError as exc:
            self._failed(entry, exc, None)
        except Exception as exc:  # the per-URL boundary: a bug met on one page costs that page, not the run
            logger.exception("bug while processing %s", entry.url, extra={"url": entry.url, "site": entry.site})
            self._record(entry, "bug", _bug_message(entry.url, exc), None, page=None)

    async def _process(self, entry: FrontierEntry) -> None:
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
        """Record `exc` against the URL: a transient one is retried later (its own time, or our backoff) until
        `max_attempts`; anything else is given up at once (`scraper reset` gives it another chance)."""
        retry_at: datetime | None = None
        if _transient(exc) and entry.attempts + 1 < self.settings.max_attempts:
            own = exc.retry_at if isinstance(exc, TransientFetchError) else None
            retry_at = own or self.clock() + _backoff(entry.attempts, self.settings)
        self._record(entry, failure_cause(exc), str(exc), retry_at, page=page)

    def _record(
        self, entry: FrontierEntry, cause: str, message: str, retry_at: datetime | None, *, page: Page | None
    ) -> None:
        """One failure: a row in the store (retried at `retry_at`, or given up when None) and a count. A page
        that cannot be kept with it (say, it does not compress) is dropped from the record, not the record."""

        def record(kept: Page | None) -> None:
            permanent = retry_at is None
            now = self.clock()
            self.store.record_failure(
                entry.url, cause=cause, message=message, retry_at=retry_at, permanent=permanent, now=now, page=kept
            )

        try:
            record(page)
        except StoreError:
            raise
        except Exception:
            if page is None:
                raise
            logger.exception("cannot keep the page of %s with its failure", entry.url)
            record(None)
        self.report.stats[f"failed_{cause}"] += 1
        logger.info("failed (%s): %s", cause, message, extra={"url": entry.url, "site": entry.site})


Cleaner = Callable[[Page], Coroutine[object, object, tuple[Article, str | None]]]


def clean_page(page: Page, rules: RuleBook | None) -> tuple[Article, str | None]:
    """The article of a fetched page (site rules by its final URL, `url` as requested) and its canonical URL."""
    article = extract(page.content, page.final_url, rules=rules or default_rulebook())
    return dataclasses.replace(article, url=page.url), canonical_url(page.content, page.final_url)


def _bug_message(where: str, exc: Exception) -> str:
    """How an exception nobody meant is recorded against the URL it was met on: 'URL: bug: KeyError: ...'."""
    return f"{where}: bug: {type(exc).__name__}: {exc}"


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _transient(exc: ScraperError) -> bool:
    """A failure that says nothing of the URL itself: a server or network hiccup, or no cleaning worker."""
    return isinstance(exc, TransientFetchError) or (isinstance(exc, ExtractError) and exc.cause == WORKER_START)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, as a container's cpuset limits it), not the host's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


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
    book = with_learned(rules or default_rulebook(), store.learned_lines())
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
