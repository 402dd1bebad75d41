"""Every fault case of issue 6, end to end: one line per case, with the time it took and the memory it used.

Each case runs in a fresh process (its peak RSS is its own) against a real HTTP server on 127.0.0.1 and a real
SQLite file, with the default worker setting (``workers = 0``: one spawned cleaning process per core). The page
cases use the misbehaving cleaner of `tests.fault_cleaners`; the signal, ``kill -9`` and settings cases drive a real
``scraper run`` process (signals go to its process group, as Ctrl-C and ``systemctl stop`` send them). A case is
``ok`` when the scraper behaved as issue 6 requires, ``FAIL`` (with the reason at the end of its line) otherwise;
the exit status is 1 if any case failed.

Columns: the case; its outcome; the cause the scraper recorded (or its exit status); the seconds that matter for
the case (the crawl; for a signal, signal to exit; for ``kill -9``, the rerun); the peak RSS of the crawling
process and of its largest cleaning worker (``getrusage`` in process; for a ``scraper`` subprocess, VmHWM from
/proc sampled every 50 ms).

    python benchmarks/faults.py [CASE ...]    # all cases, or only those named
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import functools
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

# `tests` (the site server, the faulty cleaner, the fault tests' helpers) lives beside `benchmarks`. The spawned
# cleaning workers inherit this path, so they can import `tests.fault_cleaners.clean` by name. Everything else is
# imported inside the cases: the workers re-run this module's top level, and must not carry the harness's imports.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from scraper.config import Config
    from scraper.pipeline import RunReport
    from scraper.store import Store
    from scraper.workers import CleanFn
    from tests.site_server import Route, Site

CLEAN_TIMEOUT = 3.0  # seconds: the hang case costs this, not the hour the faulty cleaner sleeps
CASE_TIMEOUT = 150.0  # seconds a case process may take before it is stopped and failed
SLOW_PAGES, SLOW_DELAY = 14, 0.3  # the signal cases: pages served one at a time, each this slow
SAMPLE_EVERY = 0.05  # seconds between /proc samples of a `scraper` subprocess and its workers
RESULT = "RESULT "  # the case process's last stdout line: this prefix, then the result as JSON
MIB = 1024  # ru_maxrss and VmHWM are in KiB


@dataclass
class Result:
    """What one case found: its outcome (the failed checks), the cause seen, its seconds and peak RSS (KiB)."""

    cause: str = "-"
    seconds: float = 0.0
    crawl_kib: int = 0
    worker_kib: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, condition: object, reason: str) -> bool:
        """Record `reason` as a failure unless `condition` holds; whether it held."""
        if not condition:
            self.failures.append(reason)
        return bool(condition)

    def own_rss(self) -> None:
        """This process's peak RSS as the crawl's, the largest reaped child's (the workers) as the worker's."""
        self.crawl_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


# --- page cases: a crawl of good pages around one that breaks its cleaner ----------------------------------------


@dataclass(frozen=True)
class PageFault:
    marker: str | None  # the `tests.fault_cleaners` marker; None: the page itself is the fault, the real cleaner
    causes: frozenset[str]  # the causes the faulty URL may be recorded with
    error: str = ""  # what its recorded error must say


PAGE_FAULTS = {
    "no-article": PageFault(None, frozenset({"extract"})),
    "binary": PageFault(None, frozenset({"extract", "not-html"})),
    "hang": PageFault("hang", frozenset({"timeout"}), f"longer than {CLEAN_TIMEOUT:g} s"),
    "segfault": PageFault("segfault", frozenset({"crash"}), "SIGSEGV"),
    "oom-killed": PageFault("killed", frozenset({"crash"}), "SIGKILL"),
    "memory": PageFault("memory", frozenset({"crash"}), "out of memory"),
    "bug": PageFault("bug", frozenset({"bug"}), "KeyError"),
}


def faulty_route(name: str) -> Route:
    from tests.site_server import Route
    from tests.test_faults import faulty_page

    fault = PAGE_FAULTS[name]
    if fault.marker is not None:
        return faulty_page(fault.marker)
    if name == "binary":
        return Route(bytes(range(256)) * 64)  # served as text/html
    return Route(b"<html><body><nav><a href='/'>Beranda</a></nav></body></html>")


def page_case(name: str) -> Result:
    from tests import fault_cleaners
    from tests.site_server import Site, serve
    from tests.test_faults import good_page

    fault, result = PAGE_FAULTS[name], Result()
    site = Site()
    good = [f"/read/{n}/berita" for n in range(3)]
    for n, path in enumerate(good):
        site.routes[path] = good_page(n)
    site.routes["/fault"] = faulty_route(name)
    clean = fault_cleaners.clean if fault.marker is not None else None
    with serve(site), temporary_store() as store:
        # The faulty page second: the good pages after it are served by the worker that replaced its own.
        report, again, result.seconds = crawl_twice(site, [good[0], "/fault", *good[1:]], store, clean)
        entry = store.frontier_entry(site.url("/fault"))
        stored = {a.requested_url for a in store.iter_articles()}
    result.own_rss()
    if not result.check(entry is not None, "the faulty URL is not in the frontier") or entry is None:
        return result
    result.cause = entry.last_cause or "-"
    result.check(entry.last_cause in fault.causes, f"cause {entry.last_cause}, expected {'/'.join(fault.causes)}")
    result.check(fault.error in (entry.last_error or ""), f"error does not say {fault.error!r}: {entry.last_error}")
    result.check(report.ok, "the run reached no source")
    result.check(stored == {site.url(p) for p in good}, f"stored {len(stored)} of the {len(good)} good pages")
    result.check(report.stats[f"failed_{entry.last_cause}"] == 1, f"stats {dict(report.stats)}")
    if "bug" not in fault.causes:
        result.check(report.stats["failed_bug"] == 0, "a failed_bug count")
    result.check(result.seconds < CLEAN_TIMEOUT + 30, f"the crawl took {result.seconds:.0f} s")
    result.check(again.ok and again.stats["fetched"] == 0, f"the next run fetched again: {dict(again.stats)}")
    return result


def crawl_twice(
    site: Site, paths: list[str], store: Store, clean: CleanFn | None
) -> tuple[RunReport, RunReport, float]:
    """Two passes over a feed of `paths` (the second must give up on what the first could not store): the
    reports, and the seconds of the first."""
    from tests.test_faults import wire_feed

    wire_feed(site, paths)
    config = fault_config(site)
    started = time.monotonic()
    report = crawl(config, store, clean)
    took = time.monotonic() - started
    return report, crawl(config, store, clean), took


def fault_config(site: Site, **changes: object) -> Config:
    """The fault tests' config (default workers, no delay, private addresses allowed), cleaning timeout 3 s."""
    from tests.test_faults import config_for

    return config_for(site, **{"concurrency": 4, "clean_timeout": CLEAN_TIMEOUT, **changes})


def crawl(config: Config, store: Store, clean: CleanFn | None = None) -> RunReport:
    from scraper.pipeline import run_pass

    return asyncio.run(run_pass(config, store, clean=clean))


@contextlib.contextmanager
def temporary_store() -> Iterator[Store]:
    from scraper.store import open_store

    with tempfile.TemporaryDirectory() as tmp, open_store(str(Path(tmp) / "faults.db")) as store:
        yield store


# --- hostile redirects in a crawl -----------------------------------------------------------------------------


REDIRECTS = ("data", "mailto", "javascript", "about", "urn", "ipv6", "bracket", "port", "nul")


def redirect_case(name: str) -> Result:
    from tests.site_server import Route, Site, serve
    from tests.test_faults import HOSTILE, good_page, wire_feed

    result, site = Result(), Site()
    good = ["/read/1/berita", "/read/2/berita"]
    for n, path in enumerate(good, 1):
        site.routes[path] = good_page(n)
    site.routes["/go"] = Route(b"", status=302, headers=(("Location", HOSTILE[name]),))
    with serve(site), temporary_store() as store:
        wire_feed(site, [good[0], "/go", good[1]])
        started = time.monotonic()
        report = crawl(fault_config(site), store)
        result.seconds = time.monotonic() - started
        entry = store.frontier_entry(site.url("/go"))
        stored = {a.requested_url for a in store.iter_articles()}
    result.own_rss()
    if not result.check(entry is not None, "the redirecting URL is not in the frontier") or entry is None:
        return result
    error = entry.last_error or ""
    result.cause = entry.last_cause or "-"
    result.check(entry.status != "done" and entry.last_cause, f"not recorded as failed: {entry.status}")
    result.check("\n" not in error and "\r" not in error, f"the error is not one line: {error!r}")
    result.check(site.url("/go") in error, f"the error does not name the URL: {error!r}")
    result.check(report.ok and stored == {site.url(p) for p in good}, f"stored {len(stored)} of the good pages")
    result.check(report.stats["failed_bug"] == 0, f"recorded as a bug: {error}")
    return result


# --- robots.txt over 500 KiB --------------------------------------------------------------------------------------


def robots_case() -> Result:
    from scraper.fetch import ROBOTS_MAX_BYTES
    from tests.site_server import Route, Site, serve
    from tests.test_faults import good_page, wire_feed

    comment = b"# " + b"x" * 77 + b"\n"  # 80 bytes
    rule = b"Disallow: /private\n"
    head = b"User-agent: *\n" + comment * (300 * 1024 // len(comment))
    body = head + rule + comment * (300 * 1024 // len(comment))  # 600 KiB: over the cap, the rule within it
    result, site = Result(), Site()
    result.check(300 * 1024 <= len(head) < ROBOTS_MAX_BYTES < len(body), "robots.txt of the wrong shape")
    good = ["/read/1/berita", "/read/2/berita"]
    for n, path in enumerate(good, 1):
        site.routes[path] = good_page(n)
    site.routes["/private/1/berita"] = good_page(3)
    with serve(site), temporary_store() as store:
        wire_feed(site, [good[0], "/private/1/berita", good[1]])
        site.routes["/robots.txt"] = Route(body, content_type="text/plain")
        started = time.monotonic()
        report = crawl(fault_config(site), store)
        result.seconds = time.monotonic() - started
        entry = store.frontier_entry(site.url("/private/1/berita"))
        stored = {a.requested_url for a in store.iter_articles()}
    result.own_rss()
    result.cause = (entry.last_cause if entry else None) or "-"
    result.check(site.requests("/robots.txt"), "robots.txt was never asked for")
    result.check(not site.requests("/private"), "the disallowed URL was fetched")
    result.check(result.cause == "robots", f"cause {result.cause}, expected robots")
    result.check(report.ok and stored == {site.url(p) for p in good}, f"stored {len(stored)} of the good pages")
    return result


# --- a real `scraper run`: signals, kill -9, bad settings -----------------------------------------------------


class PeakSampler:
    """The peak RSS (VmHWM) of a process and, separately, of its largest cleaning worker, sampled from /proc
    until stopped; the workers seen, so a case can tell whether they outlived their run."""

    def __init__(self, pid: int) -> None:
        self.pid, self.crawl_kib, self.worker_kib = pid, 0, 0
        self.workers: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(SAMPLE_EVERY):
                return

    def sample(self) -> None:
        from tests.test_faults import children

        self.crawl_kib = max(self.crawl_kib, vm_hwm(self.pid))
        for pid in children(self.pid):
            with contextlib.suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():  # not multiprocessing's tracker
                    self.workers.add(pid)
        for pid in self.workers:
            self.worker_kib = max(self.worker_kib, vm_hwm(pid))


def vm_hwm(pid: int) -> int:
    """The peak RSS of a live process in KiB (0 if it is gone)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


@dataclass
class Finished:
    """A `scraper` process that ended: its exit code, stderr, seconds from start, and what was sampled."""

    code: int
    stderr: str
    seconds: float
    sampler: PeakSampler


class ScraperRun:
    """``scraper run --config FILE`` in its own process group (a signal to the group is Ctrl-C's or
    ``systemctl stop``'s), its peak RSS sampled; killed if the case ends while it runs."""

    def __init__(self, tmp: Path, args: Sequence[str], env: dict[str, str]) -> None:
        from tests.test_faults import SCRAPER

        self.err_path = tmp / f"stderr-{time.monotonic_ns()}.txt"
        self._err: IO[bytes] = self.err_path.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [SCRAPER, "run", *args], env=env, stdout=subprocess.DEVNULL, stderr=self._err, start_new_session=True
        )
        self.sampler = PeakSampler(self.proc.pid).__enter__()

    def finish(self, timeout: float) -> Finished:
        """Wait for the process to end (killed after `timeout` seconds)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        took = time.monotonic() - self.started
        self.sampler.__exit__()
        self._err.close()
        return Finished(code, self.err_path.read_text(errors="replace"), took, self.sampler)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sampler.__exit__()
        self._err.close()


@contextlib.contextmanager
def scraper_runs() -> Iterator[list[ScraperRun]]:
    """A list to put the case's `ScraperRun`s in: any still running when the case ends is killed."""
    runs: list[ScraperRun] = []
    try:
        yield runs
    finally:
        for run in runs:
            run.kill()


def slow_site_config(tmp: Path, site: Site) -> tuple[list[str], dict[str, str], str]:
    """The arguments, environment and database of a `scraper run` over `site`, one page at a time."""
    from tests.test_faults import write_config

    db = str(tmp / "faults.db")
    return ["--config", str(write_config(tmp, site, concurrency=1))], {**os.environ, "SCRAPER_DB": db}, db


def articles(db: str) -> int:
    from tests.test_faults import count

    return count(db, "SELECT count(*) FROM articles")


def started_run(tmp: Path, site: Site, runs: list[ScraperRun], result: Result) -> tuple[ScraperRun, str] | None:
    """A `scraper run` over `site` that has stored two articles; None (and a failure) if it did not in time."""
    from tests.test_faults import wait_for

    args, env, db = slow_site_config(tmp, site)
    run = ScraperRun(tmp, args, env)
    runs.append(run)
    if not result.check(wait_for(lambda: articles(db) >= 2 or run.proc.poll() is not None, 60), "no 2 articles"):
        return None
    if not result.check(run.proc.poll() is None, f"the run ended early ({run.proc.returncode})"):
        return None
    run.sampler.sample()
    return run, db


def rerun(tmp: Path, site: Site, runs: list[ScraperRun]) -> Finished:
    args, env, _ = slow_site_config(tmp, site)
    runs.append(ScraperRun(tmp, args, env))
    return runs[-1].finish(timeout=120)


def workers_gone(workers: set[int]) -> bool:
    from tests.test_faults import alive, wait_for

    return wait_for(lambda: not any(alive(pid) for pid in workers), 10)


def signal_case(sig: signal.Signals, code: int, said: str) -> Result:
    from tests.site_server import serve
    from tests.test_faults import count, slow_site

    result, site = Result(), slow_site(SLOW_PAGES, SLOW_DELAY)
    with tempfile.TemporaryDirectory() as tmp, serve(site), scraper_runs() as runs:
        started = started_run(Path(tmp), site, runs, result)
        if started is None:
            return result
        run, db = started
        workers = set(run.sampler.workers)
        result.check(workers, "no cleaning worker seen")
        stopped_at = time.monotonic()
        os.killpg(run.proc.pid, sig)  # the whole group, as Ctrl-C and `systemctl stop` do
        stopped = run.finish(timeout=30)
        result.seconds = time.monotonic() - stopped_at
        result.cause = f"exit {stopped.code}"
        lines = stopped.stderr.strip().splitlines()
        said_lines = [line for line in lines if line.startswith("scraper: ")]
        result.check(stopped.code == code, f"exit {stopped.code}, expected {code}")
        result.check(result.seconds < 10, f"{result.seconds:.0f} s from the signal to the exit")
        result.check(len(said_lines) == 1 and lines[-1] == said_lines[0], f"stderr ends {lines[-1:]}")
        result.check(said in (lines or [""])[-1], f"stderr does not say {said!r}")
        result.check("Traceback" not in stopped.stderr, "a traceback on stderr")
        result.check(count(db, "SELECT count(*) FROM locks") == 0, "the lock was not released")
        stopped_runs = count(db, "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL AND stats LIKE '%stopped%'")
        result.check(stopped_runs == 1, "the run is not recorded as stopped")
        result.check(workers_gone(workers), "cleaning workers outlived their run")

        again = rerun(Path(tmp), site, runs)
        result.check(again.code == 0, f"the rerun exited {again.code}")
        result.check("taking over" not in again.stderr and "waiting" not in again.stderr, "the rerun met a lock")
        result.check(again.seconds < 60, f"the rerun took {again.seconds:.0f} s")
        result.check(articles(db) == SLOW_PAGES, f"{articles(db)} of {SLOW_PAGES} articles after the rerun")
    peaks(result, stopped, again)
    return result


def peaks(result: Result, *finished: Finished) -> None:
    result.crawl_kib = max(f.sampler.crawl_kib for f in finished)
    result.worker_kib = max(f.sampler.worker_kib for f in finished)


def kill9_case() -> Result:
    from tests.site_server import serve
    from tests.test_faults import count, slow_site

    result, site = Result(), slow_site(SLOW_PAGES, SLOW_DELAY)
    with tempfile.TemporaryDirectory() as tmp, serve(site), scraper_runs() as runs:
        started = started_run(Path(tmp), site, runs, result)
        if started is None:
            return result
        run, db = started
        workers = set(run.sampler.workers)
        os.kill(run.proc.pid, signal.SIGKILL)  # the crawl alone: its workers must die with it
        killed = run.finish(timeout=30)
        result.check(killed.code == -signal.SIGKILL, f"the killed run exited {killed.code}")
        result.check(workers and workers_gone(workers), "cleaning workers outlived the killed run")
        result.check(count(db, "SELECT count(*) FROM locks") == 1, "the killed run left no lock to take over")

        again = rerun(Path(tmp), site, runs)
        result.seconds = again.seconds
        took_over = "taking over the run lock" in again.stderr
        result.cause = f"exit {again.code}, took over" if took_over else f"exit {again.code}"
        result.check(again.code == 0, f"the rerun exited {again.code}: {again.stderr.strip()[-200:]}")
        result.check(took_over, "the rerun did not say it took over the lock")
        result.check(again.seconds < 60, f"the rerun took {again.seconds:.0f} s (lock_ttl 3600)")
        result.check(articles(db) == SLOW_PAGES, f"{articles(db)} of {SLOW_PAGES} articles after the rerun")
    peaks(result, killed, again)
    return result


@dataclass(frozen=True)
class BadSetting:
    flags: tuple[str, ...]
    env: dict[str, str]
    setting: str
    names: tuple[str, ...]  # what the one line on stderr must name


BAD_SETTINGS = {
    "settings-nan": BadSetting(("--delay", "nan"), {}, "delay", ("--delay", "delay must be")),
    "settings-user-agent-crlf": BadSetting(
        (),
        {"SCRAPER_USER_AGENT": "bot (+mailto:a@b.example)\r\nX-Injected: 1"},
        "user_agent",
        ("SCRAPER_USER_AGENT", "user_agent"),
    ),
}


def settings_case(name: str) -> Result:
    from tests.site_server import Site

    bad, result = BAD_SETTINGS[name], Result()
    with tempfile.TemporaryDirectory() as tmp, scraper_runs() as runs:
        args, env, db = slow_site_config(Path(tmp), Site(base="http://127.0.0.1:9"))  # never asked: no server
        runs.append(ScraperRun(Path(tmp), [*args, *bad.flags], {**env, **bad.env}))
        done = runs[-1].finish(timeout=60)
        created = Path(db).exists()
    result.seconds, result.cause = done.seconds, f"exit {done.code}, {bad.setting}"
    result.crawl_kib, result.worker_kib = done.sampler.crawl_kib, done.sampler.worker_kib
    lines = done.stderr.strip().splitlines()
    result.check(done.code == 2, f"exit {done.code}, expected 2")
    result.check(len(lines) == 1 and lines[0].startswith("scraper: "), f"stderr is not one line: {lines[:3]}")
    result.check(all(n in done.stderr for n in bad.names), f"stderr does not name {' and '.join(bad.names)}")
    result.check("\r" not in done.stderr, "a raw CR on stderr")
    result.check(not created, "the database was created")
    return result


# --- the lock lost under a live run ---------------------------------------------------------------------------


def lock_lost_case() -> Result:
    from datetime import UTC, datetime, timedelta

    from scraper.errors import LockedError
    from scraper.pipeline import run_pass
    from scraper.runlock import RUN_LOCK
    from scraper.store import open_store
    from tests.site_server import serve
    from tests.test_faults import slow_site

    result, site, ttl = Result(), slow_site(12, 0.3), 0.9

    async def go(store: Store, other: Store) -> tuple[BaseException | None, float]:
        config = fault_config(site, concurrency=1, lock_ttl=ttl)
        pass_ = asyncio.create_task(run_pass(config, store))
        while not pass_.done() and not any(True for _ in other.iter_articles()):
            await asyncio.sleep(0.05)
        holder = other.lock_holder(RUN_LOCK, datetime.now(UTC))
        if holder is not None:  # as if the lock had expired under a suspended machine, and another run took it
            other.release_lock(RUN_LOCK, holder.owner)
            other.acquire_lock(RUN_LOCK, "thief", datetime.now(UTC), timedelta(hours=1))
        stolen = time.monotonic()
        try:
            await pass_
        except Exception as exc:
            return exc, time.monotonic() - stolen
        return None, time.monotonic() - stolen

    with tempfile.TemporaryDirectory() as tmp, serve(site):
        db = str(Path(tmp) / "faults.db")
        with open_store(db) as store, open_store(db) as other:
            error, result.seconds = asyncio.run(go(store, other))
            holder = other.lock_holder(RUN_LOCK, datetime.now(UTC))
            stored = sum(1 for _ in store.iter_articles())
            last = store.recent_runs(1)
    result.own_rss()
    result.cause = type(error).__name__ if error is not None else "none"
    message = str(error)
    result.check(isinstance(error, LockedError), f"the run ended with {error!r}")
    result.check(message.startswith("stopped: the run lock is now held by thief"), f"it said {message!r}")
    result.check(result.seconds < ttl + 5, f"it stopped {result.seconds:.1f} s after the theft")
    result.check(holder is not None and holder.owner == "thief", "the stopped run released the thief's lock")
    result.check(0 < stored < 12, f"{stored} of 12 articles stored")
    result.check(last and last[0].finished_at and last[0].stats.get("stopped") == 1, "the run is not recorded stopped")
    return result


# --- CSV export -------------------------------------------------------------------------------------------------


def csv_case() -> Result:
    from datetime import UTC, datetime

    from scraper.export import export_rows, write_csv
    from scraper.models import Article, Link, Page
    from tests.test_faults import P1

    result, title = Result(), '=HYPERLINK("http://evil.example/","klik")'
    url, now = "https://news.example/read/1/berita", datetime.now(UTC)
    started = time.monotonic()
    with temporary_store() as store:
        store.add_links([Link(url, source="faults")], "news.example", now)
        page = Page(url=url, final_url=url, status=200, content=b"<html></html>", fetched_at=now)
        article = Article(url=url, site="news.example", title=title, paragraphs=(P1,))
        store.save_result(url, page, article, canonical_url=None, rules_version="faults", now=now)
        out = io.StringIO()
        written = write_csv(export_rows(store), out)
    result.seconds = time.monotonic() - started
    result.own_rss()
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    cell = rows[0]["title"] if rows else ""
    result.cause = f"title {cell[:12]}..."
    result.check(written == 1 and len(rows) == 1, f"{written} rows written")
    result.check(cell == "'" + title, f"the title cell is {cell!r}")
    return result


# --- the cases, each in a process of its own --------------------------------------------------------------------


def all_cases() -> dict[str, Callable[[], Result]]:
    cases: dict[str, Callable[[], Result]] = {}
    for name in PAGE_FAULTS:
        cases[name] = functools.partial(page_case, name)
    for name in REDIRECTS:
        cases[f"redirect-{name}"] = functools.partial(redirect_case, name)
    cases["robots-600KiB"] = robots_case
    cases["sigterm"] = functools.partial(signal_case, signal.SIGTERM, 143, "terminated")
    cases["sigint"] = functools.partial(signal_case, signal.SIGINT, 130, "interrupted")
    cases["kill-9-rerun"] = kill9_case
    cases["lock-lost"] = lock_lost_case
    for name in BAD_SETTINGS:
        cases[name] = functools.partial(settings_case, name)
    cases["csv-formula"] = csv_case
    return cases


CASES = all_cases()
WIDTHS = (max(map(len, CASES)), len("outcome"), 24, len("seconds"))


def run_case(name: str) -> None:
    """The case process: run one case and print its result as the last line."""

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit("stopped by SIGTERM")  # so the case's cleanup kills the `scraper` processes it started

    signal.signal(signal.SIGTERM, terminated)
    try:
        result = CASES[name]()
    except Exception as exc:
        traceback.print_exc()
        result = Result(failures=[f"{type(exc).__name__}: {exc}".splitlines()[0][:160]])
    print(RESULT + json.dumps(vars(result)), flush=True)


def case_in_process(name: str) -> Result:
    """`name` run in a fresh process (its peak RSS its own); a FAIL if that process broke or took too long."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--case", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = child.communicate(timeout=CASE_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.terminate()
        try:
            out, err = child.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
        return Result(failures=[f"the case took over {CASE_TIMEOUT:.0f} s"])
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT):
            result = Result(**json.loads(line[len(RESULT) :]))
            if result.failures and err.strip():
                sys.stderr.write(f"--- {name}: stderr of the case process ---\n{err[-4000:]}\n")
            return result
    last = (err.strip().splitlines() or ["no output"])[-1]
    return Result(failures=[f"the case process exited {child.returncode}: {last[:160]}"])


def mib(kib: int) -> str:
    return f"{kib / MIB:.0f} MiB" if kib else "-"


def row(case: str, outcome: str, cause: str, seconds: str, rss: str, note: str = "") -> str:
    cells = (case, outcome, cause, seconds)
    line = "  ".join(c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, WIDTHS, strict=True)))
    return f"{line}  {rss}" + (f"  ({note})" if note else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", metavar="CASE", help=f"Cases to run (default: all): {', '.join(CASES)}.")
    ap.add_argument("--case", help=argparse.SUPPRESS)  # the case process
    args = ap.parse_args()
    if args.case is not None:
        run_case(args.case)
        return
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        ap.error(f"unknown case {unknown[0]!r}; the cases: {', '.join(CASES)}")
    started, failed = time.monotonic(), 0
    print(row("case", "outcome", "cause", "seconds", "peak RSS"), flush=True)
    for name in args.cases or CASES:
        result = case_in_process(name)
        failed += bool(result.failures)
        rss = f"crawl {mib(result.crawl_kib)}, worker {mib(result.worker_kib)}"
        outcome = "FAIL" if result.failures else "ok"
        print(row(name, outcome, result.cause, f"{result.seconds:.1f}", rss, "; ".join(result.failures)), flush=True)
    total = len(args.cases or CASES)
    summary = f"{failed} of {total} cases FAILED" if failed else f"all {total} cases ok"
    print(f"faults: {summary} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
