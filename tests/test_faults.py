"""The crawl survives every bad page, redirect and signal: no run dies or sticks.

Every test runs the crawl with the default worker setting (one cleaning process per core, spawned) against a
real HTTP server on 127.0.0.1 and a real SQLite file; the signal tests drive a real `scraper` process. The
misbehaving cleaner of `tests.fault_cleaners` hangs, segfaults, is killed or raises on marked pages, as a bad
page can make the real one do.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import scraper.errors
from scraper.config import Config, Settings, Source
from scraper.errors import (
    DiscoveryError,
    ExtractError,
    FetchError,
    LockedError,
    PermanentFetchError,
    RulesError,
    ScraperError,
    StoreError,
    TransientFetchError,
)
from scraper.models import Article, Page
from scraper.pipeline import RunReport, run_pass
from scraper.runlock import RUN_LOCK
from scraper.store import Store, open_store
from scraper.store.records import ArticleChange
from scraper.store.sqlite import SQLiteStore
from tests import fault_cleaners
from tests.fault_cleaners import marker
from tests.site_server import Route, Site, article_html, serve
from tests.test_pipeline import run

P1 = "Harga beras di pasar induk naik untuk ketiga kalinya bulan ini, menurut para pedagang setempat."
P2 = "Pemerintah berjanji menambah pasokan dari gudang Bulog dalam waktu dekat agar harga kembali stabil."
P3 = "Pedagang berharap langkah itu segera dilakukan karena pembeli mulai berkurang sejak pekan lalu."
SCRAPER = str(Path(sys.executable).parent / "scraper")


def settings(**changes: object) -> Settings:
    """Test settings that keep the default `workers` (0: one cleaning process per core)."""
    base = Settings(delay=0.0, allow_private=True, max_retries=0, timeout=5.0, backoff_base=0.01, clean_timeout=4.0)
    assert base.workers == Settings().workers == 0
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def good_page(n: int) -> Route:
    return Route(article_html(f"Berita Nomor {n}", [P1, P2, P3]))


def faulty_page(kind: str) -> Route:
    """A good article that carries the marker making `fault_cleaners.clean` misbehave as `kind`."""
    return Route(marker(kind) + article_html(f"Berita {kind}", [P1, P2, P3]))


def wire_feed(site: Site, paths: list[str]) -> None:
    items = "".join(f"<item><title>t</title><link>{site.url(p)}</link></item>" for p in paths)
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{items}</channel></rss>'
    site.routes["/rss"] = Route(feed.encode(), content_type="application/rss+xml")
    site.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")


def config_for(site: Site, **changes: object) -> Config:
    return Config(settings=settings(**changes), sources=(Source(name="contoh", feeds=(site.url("/rss"),)),))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "faults.db")) as opened:
        yield opened


def cause_of(store: Store, url: str) -> str | None:
    entry = store.frontier_entry(url)
    assert entry is not None, url
    return entry.last_cause


# --- every exception crosses a process boundary ----------------------------------------------------------------

EXAMPLES: dict[type[ScraperError], ScraperError] = {
    ScraperError: ScraperError("plain"),
    FetchError: FetchError("https://a.example/x", "refused", cause="connect"),
    TransientFetchError: TransientFetchError(
        "https://a.example/x", "HTTP 503", datetime(2026, 12, 5, 8, 0, tzinfo=UTC), cause="http-5xx"
    ),
    PermanentFetchError: PermanentFetchError("https://a.example/x", "HTTP 404 (not found)", cause="http-404"),
    DiscoveryError: DiscoveryError("https://a.example/rss", "not a feed"),
    ExtractError: ExtractError("https://a.example/x", "cleaning took longer than 60 s", cause="timeout"),
    RulesError: RulesError("rules/x.toml", "drop_selectors", "bad selector"),
    StoreError: StoreError("database is locked"),
    LockedError: LockedError("another run holds the lock", "vm:1:abc"),
}


def test_the_examples_cover_every_exception_class() -> None:
    classes = {c for c in vars(scraper.errors).values() if isinstance(c, type) and issubclass(c, ScraperError)}
    assert classes == set(EXAMPLES)


@pytest.mark.parametrize("error", EXAMPLES.values(), ids=lambda e: type(e).__name__)
def test_every_exception_round_trips_pickle(error: ScraperError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error) and copy.args == error.args
    assert vars(copy) == vars(error)


# --- a page that breaks its cleaner costs that page alone ------------------------------------------------------

FAULT_CAUSES = {"hang": "timeout", "segfault": "crash", "killed": "crash", "memory": "crash", "bug": "bug"}


def test_a_page_that_hangs_crashes_or_breaks_its_worker_is_recorded_and_the_run_goes_on(store: Store) -> None:
    site = Site()
    paths = []
    for n in range(6):  # good pages around and after the faulty ones, so replaced workers must serve them
        site.routes[f"/read/{n}/berita"] = good_page(n)
        paths.append(f"/read/{n}/berita")
        if n < len(FAULT_CAUSES):
            kind = list(FAULT_CAUSES)[n]
            site.routes[f"/fault/{kind}"] = faulty_page(kind)
            paths.append(f"/fault/{kind}")
    site.routes["/empty"] = Route(b"<html><body><nav><a href='/'>Beranda</a></nav></body></html>")
    site.routes["/binary"] = Route(bytes(range(256)) * 64)  # served as text/html
    paths += ["/empty", "/binary"]
    with serve(site):
        wire_feed(site, paths)
        started = time.monotonic()
        report = run(config_for(site, concurrency=4), store, clean=fault_cleaners.clean)
        took = time.monotonic() - started

        assert {a.requested_url for a in store.iter_articles()} == {site.url(f"/read/{n}/berita") for n in range(6)}
        for kind, cause in FAULT_CAUSES.items():
            assert cause_of(store, site.url(f"/fault/{kind}")) == cause, kind
        assert cause_of(store, site.url("/empty")) == "extract"
        assert cause_of(store, site.url("/binary")) in {"extract", "not-html"}
        hang = store.frontier_entry(site.url("/fault/hang"))
        segv = store.frontier_entry(site.url("/fault/segfault"))
        bug = store.frontier_entry(site.url("/fault/bug"))
        assert hang is not None and "longer than 4 s" in (hang.last_error or "")
        assert segv is not None and "SIGSEGV" in (segv.last_error or "")
        assert bug is not None and "KeyError" in (bug.last_error or "")
        assert report.stats["failed_timeout"] == 1 and report.stats["failed_crash"] == 3
        assert report.stats["failed_bug"] == 1 and report.stats["articles_new"] == 6
        assert took < 60  # the hang cost its clean_timeout, not the hour it sleeps

        again = run(config_for(site, concurrency=4), store, clean=fault_cleaners.clean)
        assert again.ok and again.stats["fetched"] == 0  # given up at once, not retried into the same crash


def test_the_real_cleaner_with_default_workers_records_pages_without_an_article(store: Store) -> None:
    """The crash of issue 6: an ExtractError raised in a worker process used to break the whole pool."""
    site = Site()
    site.routes["/read/1/berita"] = good_page(1)
    site.routes["/empty"] = Route(b"<html><body><nav><a href='/'>Beranda</a></nav></body></html>")
    site.routes["/read/2/berita"] = good_page(2)
    with serve(site):
        wire_feed(site, ["/read/1/berita", "/empty", "/read/2/berita"])
        first = run(config_for(site), store)
        second = run(config_for(site), store)
    assert first.stats["articles_new"] == 2 and first.stats["failed_extract"] == 1
    assert cause_of(store, site.url("/empty")) == "extract"
    assert second.ok and second.stats["fetched"] == 0


def test_an_unexpected_error_for_one_url_is_recorded_as_a_bug(tmp_path: Path) -> None:
    """Outside the cleaner too: a store that breaks on one URL (not a StoreError) costs that URL."""

    class Flaky(SQLiteStore):
        def save_result(self, url: str, page: Page, article: Article, **kwargs: Any) -> ArticleChange:
            if url.endswith("/read/2/berita"):
                raise RuntimeError("unexpected")
            return super().save_result(url, page, article, **kwargs)

    site = Site()
    for n in (1, 2, 3):
        site.routes[f"/read/{n}/berita"] = good_page(n)
    with serve(site), Flaky(str(tmp_path / "flaky.db"), keep_raw=True) as flaky:
        wire_feed(site, [f"/read/{n}/berita" for n in (1, 2, 3)])
        report = run(config_for(site), flaky)
        entry = flaky.frontier_entry(site.url("/read/2/berita"))
    assert report.stats["articles_new"] == 2 and report.stats["failed_bug"] == 1
    assert entry is not None and entry.last_cause == "bug" and "RuntimeError: unexpected" in (entry.last_error or "")


def test_a_database_that_refuses_ends_the_pass_and_stops_the_other_urls(tmp_path: Path) -> None:
    """The one error that ends a pass (nothing more can be recorded) cancels the URLs in flight and frees the lock."""

    class Refusing(SQLiteStore):
        def save_result(self, url: str, page: Page, article: Article, **kwargs: Any) -> ArticleChange:
            raise StoreError("disk full")

    site = Site()
    for n in range(20):
        site.routes[f"/read/{n}/berita"] = dataclasses.replace(good_page(n), delay=0.2)
    with serve(site), Refusing(str(tmp_path / "refusing.db"), keep_raw=True) as refusing:
        wire_feed(site, [f"/read/{n}/berita" for n in range(20)])
        with pytest.raises(StoreError, match="disk full"):
            run(config_for(site, concurrency=2), refusing)
        asked = len(site.requests("/read/"))
        time.sleep(0.6)
        assert len(site.requests("/read/")) == asked < 20  # nothing went on behind the ended pass
        assert refusing.lock_holder(RUN_LOCK, datetime.now(UTC)) is None
        (stats,) = [run.stats for run in refusing.recent_runs(1)]
    assert stats["stopped"] == 1


# --- hostile redirects inside a crawl ---------------------------------------------------------------------------

HOSTILE = {
    "data": "data:text/html,<h1>hi</h1>",
    "mailto": "mailto:editor@news.example",
    "javascript": "javascript:alert(1)",
    "about": "about:blank",
    "urn": "urn:isbn:0451450523",
    "port": "http://127.0.0.1:99999/read/1/berita",
    "bracket": "http://[::1/",
    "ipv6": "http://[::1]:9/read/1/berita",
    "nul": "http://news.example/\x00",
}


def test_hostile_redirects_are_failures_of_their_urls_and_the_run_goes_on(store: Store) -> None:
    site = Site()
    for n in (1, 2):
        site.routes[f"/read/{n}/berita"] = good_page(n)
    for name, location in HOSTILE.items():
        site.routes[f"/go/{name}"] = Route(b"", status=302, headers=(("Location", location),))
    with serve(site):
        wire_feed(site, ["/read/1/berita", *(f"/go/{name}" for name in HOSTILE), "/read/2/berita"])
        report = run(config_for(site), store)
    assert report.ok and report.stats["articles_new"] == 2
    for name in HOSTILE:
        entry = store.frontier_entry(site.url(f"/go/{name}"))
        assert entry is not None and entry.status != "done" and entry.last_cause, name
        assert "\n" not in (entry.last_error or "") and site.url(f"/go/{name}") in (entry.last_error or ""), name
    assert report.stats.get("failed_bug", 0) == 0


# --- the run lock: refreshed on a timer; a run that loses it stops ----------------------------------------------


def slow_site(n: int, delay: float) -> Site:
    site = Site()
    for i in range(n):
        site.routes[f"/read/{i}/berita"] = dataclasses.replace(good_page(i), delay=delay)
    wire_feed(site, [f"/read/{i}/berita" for i in range(n)])
    return site


def test_the_lock_is_refreshed_on_a_timer_so_it_never_expires_under_a_live_run(store: Store, tmp_path: Path) -> None:
    ttl = 0.9
    site = slow_site(8, 0.3)  # one at a time: about 2.5 s, almost three lock lifetimes
    thefts: list[bool] = []

    async def go(other: Store) -> RunReport:
        crawl = asyncio.create_task(run_pass(config_for(site, concurrency=1, lock_ttl=ttl), store))
        while not crawl.done():
            await asyncio.sleep(0.1)
            if crawl.done():  # it released its lock as it ended
                break
            thefts.append(other.acquire_lock(RUN_LOCK, "thief", datetime.now(UTC), timedelta(seconds=ttl)))
        return await crawl

    with serve(site), open_store(str(tmp_path / "faults.db")) as other:
        report = asyncio.run(go(other))
    assert report.stats["articles_new"] == 8 and "stopped" not in report.stats
    assert len(thefts) > 15 and not any(thefts)


def test_a_run_that_lost_its_lock_stops(store: Store, tmp_path: Path) -> None:
    ttl = 0.9
    site = slow_site(12, 0.3)

    async def go(other: Store) -> None:
        crawl = asyncio.create_task(run_pass(config_for(site, concurrency=1, lock_ttl=ttl), store))
        while not any(True for _ in other.iter_articles()):
            await asyncio.sleep(0.05)
        holder = other.lock_holder(RUN_LOCK, datetime.now(UTC))
        assert holder is not None
        other.release_lock(RUN_LOCK, holder.owner)  # as if the lock had expired under a suspended machine
        assert other.acquire_lock(RUN_LOCK, "thief", datetime.now(UTC), timedelta(hours=1))
        await crawl

    with serve(site), open_store(str(tmp_path / "faults.db")) as other:
        with pytest.raises(LockedError, match="stopped: the run lock is now held by thief"):
            asyncio.run(go(other))
        holder = other.lock_holder(RUN_LOCK, datetime.now(UTC))
    assert holder is not None and holder.owner == "thief"  # the stopped run did not release the thief's lock
    assert 0 < sum(1 for _ in store.iter_articles()) < 12
    (last,) = store.recent_runs(1)
    assert last.finished_at is not None and last.stats["stopped"] == 1


# --- signals on a real `scraper` process ------------------------------------------------------------------------


def write_config(tmp_path: Path, site: Site, **values: object) -> Path:
    """A config file with the default `workers`."""
    merged = {"delay": 0.0, "allow_private": True, "max_retries": 0, "timeout": 5.0, **values}
    lines = ["[settings]"] + [f"{k} = {json.dumps(v)}" for k, v in merged.items()]
    lines += ["[[sources]]", 'name = "contoh"', f'feeds = ["{site.url("/rss")}"]']
    path = tmp_path / "scraper.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scraper_env(tmp_path: Path, site: Site, name: str) -> tuple[Path, str, dict[str, str]]:
    """For a `scraper` process crawling `site` one page at a time: its config file, its database (NAME.db) and
    the environment that points it there."""
    db = str(tmp_path / f"{name}.db")
    return write_config(tmp_path, site, concurrency=1), db, {**os.environ, "SCRAPER_DB": db}


def children(pid: int) -> set[int]:
    """The pids whose parent is `pid` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def count(db: str, query: str) -> int:
    if not Path(db).exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute(query).fetchone()[0])
    except sqlite3.Error:  # the schema is not there yet
        return 0


def wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("sig", "code", "said"), [(signal.SIGTERM, 143, b"terminated"), (signal.SIGINT, 130, b"interrupted")]
)
def test_a_signal_stops_the_run_releases_its_lock_and_its_workers(
    tmp_path: Path, sig: signal.Signals, code: int, said: bytes
) -> None:
    n = 14
    site = slow_site(n, 0.3)
    with serve(site):
        cfg, db, env = scraper_env(tmp_path, site, "signal")
        proc = subprocess.Popen([SCRAPER, "run", "--config", str(cfg)], env=env, stderr=subprocess.PIPE)
        assert wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 2, 60)
        workers = children(proc.pid)
        assert workers, "the run cleans in worker processes by default"
        stopped_at = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - stopped_at < 10
        assert proc.returncode == code, err
        last = err.decode().strip().splitlines()[-1]
        assert last.startswith("scraper: ") and said.decode() in last and b"Traceback" not in err
        assert count(db, "SELECT count(*) FROM locks") == 0
        assert count(db, "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL AND stats LIKE '%stopped%'") == 1
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 10), "cleaning workers outlived their run"

        started = time.monotonic()
        done = subprocess.run([SCRAPER, "run", "--config", str(cfg)], env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert b"taking over" not in done.stderr and b"waiting" not in done.stderr  # the lock was free
        assert time.monotonic() - started < 60
    assert count(db, "SELECT count(*) FROM articles") == n


@pytest.mark.parametrize("after", [0.0, 0.3])
def test_ctrl_c_while_a_worker_starts_is_one_line_without_a_traceback(tmp_path: Path, after: float) -> None:
    """Ctrl-C signals the whole process group, workers too, even while a worker is still importing."""
    site = slow_site(6, 0.3)
    with serve(site):
        cfg, _, env = scraper_env(tmp_path, site, "ctrl-c")
        proc = subprocess.Popen(
            [SCRAPER, "run", "--config", str(cfg)], env=env, stderr=subprocess.PIPE, start_new_session=True
        )
        assert wait_for(lambda: children(proc.pid), 60)
        time.sleep(after)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and b"Fatal Python error" not in err, err.decode()[-2000:]
    assert err.decode().strip().splitlines()[-1].startswith("scraper: interrupted")


def test_sigterm_stops_a_schedule_and_its_pass_in_progress(tmp_path: Path) -> None:
    site = slow_site(14, 0.3)
    with serve(site):
        cfg, db, env = scraper_env(tmp_path, site, "schedule")
        proc = subprocess.Popen(
            [SCRAPER, "schedule", "--every", "1h", "--config", str(cfg)], env=env, stderr=subprocess.PIPE
        )
        assert wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 2, 60)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"schedule stopped after 1 runs" in err and b"Traceback" not in err
    assert count(db, "SELECT count(*) FROM articles") < 14  # the pass was stopped, not waited for
    assert count(db, "SELECT count(*) FROM locks") == 0


# --- the pool's own failures, memory, backlog (review of issue 6) -----------------------------------------------


def test_a_worker_that_cannot_start_is_the_pools_failure_and_its_urls_are_retried(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import unstartable

    monkeypatch.setenv(unstartable.PARENT, str(os.getpid()))

    site = Site()
    for n in (1, 2):
        site.routes[f"/read/{n}/berita"] = good_page(n)
    with serve(site):
        wire_feed(site, ["/read/1/berita", "/read/2/berita"])
        first = run(config_for(site, backoff_base=0.001, clean_timeout=4.0), store, clean=unstartable.clean)
        entry = store.frontier_entry(site.url("/read/1/berita"))
        assert first.stats["failed_worker-start"] == 2 and first.stats.get("failed_crash", 0) == 0, first.stats
        assert entry is not None and entry.status == "retry" and "did not start" in (entry.last_error or "")
        time.sleep(0.5)  # the backoff: 0.001 min * 2**0
        second = run(config_for(site), store)
    assert second.stats["articles_new"] == 2


def test_the_memory_cap_counts_from_the_workers_own_size(store: Store) -> None:
    """A worker holds about 250 MiB once its libraries are loaded: a cap of 128 MiB must be 128 MiB more for the
    page, not an address space the worker never fits in (every page a 'crash'); a page past it is one."""
    site = Site()
    site.routes["/read/1/berita"] = good_page(1)
    site.routes["/fault/memory"] = faulty_page("memory")
    with serve(site):
        wire_feed(site, ["/read/1/berita", "/fault/memory"])
        report = run(config_for(site, worker_memory_mb=128), store, clean=fault_cleaners.clean)
    assert report.stats["articles_new"] == 1 and report.stats["failed_crash"] == 1


def test_the_package_starts_numpy_with_one_thread() -> None:
    """numpy's BLAS would start a thread per core in the crawl and in every worker (tens of MiB of address
    space each, and threads a Ctrl-C can land on): importing scraper asks it for one, unless the user said."""
    code = "import os, scraper; print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]
    env["OPENBLAS_NUM_THREADS"] = "3"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "3"


def test_fetched_pages_never_pile_up_ahead_of_the_cleaners(store: Store, tmp_path: Path) -> None:
    """Pages waiting for a worker hold their content in memory: at most concurrency + 2 * workers at a time."""
    n, concurrency, workers = 30, 2, 1
    site = Site()
    for i in range(n):
        site.routes[f"/read/{i}/berita"] = good_page(i)
    wire_feed(site, [f"/read/{i}/berita" for i in range(n)])
    ahead: list[int] = []

    async def go(other: Store) -> RunReport:
        crawl = asyncio.create_task(
            run_pass(config_for(site, concurrency=concurrency, workers=workers), store, clean=fault_cleaners.slow_clean)
        )
        while not crawl.done():
            await asyncio.sleep(0.02)
            stored = sum(1 for _ in other.iter_articles())
            ahead.append(len(site.requests("/read/")) - stored)
        return await crawl

    with serve(site), open_store(str(tmp_path / "faults.db")) as other:
        report = asyncio.run(go(other))
    assert report.stats["articles_new"] == n
    assert max(ahead) <= concurrency + 2 * workers


def test_a_refresh_the_database_refuses_is_tried_again_and_the_run_finishes(tmp_path: Path) -> None:
    class Hiccup(SQLiteStore):
        refusals = 0

        def acquire_lock(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
            if owner != "thief" and self.refusals < 1 and any(True for _ in self.iter_articles()):
                self.refusals += 1
                raise StoreError("database is locked")
            return super().acquire_lock(name, owner, now, ttl)

    site = slow_site(8, 0.3)
    with serve(site), Hiccup(str(tmp_path / "hiccup.db"), keep_raw=True) as hiccup:
        report = run(config_for(site, concurrency=1, lock_ttl=0.9), hiccup)
        (last,) = hiccup.recent_runs(1)
    assert hiccup.refusals == 1
    assert report.stats["articles_new"] == 8 and "stopped" not in report.stats
    assert last.finished_at is not None


def test_a_dead_holder_is_told_from_a_live_one_by_boot_namespace_and_start_time() -> None:
    import socket

    from scraper.runlock import holder_is_dead, owner_name

    host, mine = socket.gethostname(), owner_name()
    boot, namespace, started, _ = mine.split(":")[2].split(".")
    assert not holder_is_dead(mine, host)  # this very process
    assert holder_is_dead(f"{host}:{2**22 + 7}:{boot}.{namespace}.{started}.dead", host)  # a pid no process has
    assert holder_is_dead(f"{host}:{os.getpid()}:{boot}.{namespace}.1.reused", host)  # our pid, another start
    assert not holder_is_dead(f"{host}:{2**22 + 7}:other0boot.{namespace}.{started}.x", host)  # not our boot
    assert not holder_is_dead(f"{host}:{2**22 + 7}:{boot}.123.{started}.x", host)  # another pid namespace
    assert not holder_is_dead(f"elsewhere:{2**22 + 7}:{boot}.{namespace}.{started}.x", host)


def test_a_second_ctrl_c_while_the_pass_stops_changes_nothing(tmp_path: Path) -> None:
    site = slow_site(14, 0.3)
    with serve(site):
        cfg, db, env = scraper_env(tmp_path, site, "twice")
        proc = subprocess.Popen(
            [SCRAPER, "run", "--config", str(cfg)], env=env, stderr=subprocess.PIPE, start_new_session=True
        )
        assert wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 2, 60)
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.003)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and b"Task was destroyed" not in err, err.decode()[-2000:]
    assert count(db, "SELECT count(*) FROM locks") == 0
    assert count(db, "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL") == 1
