"""Cleaning in worker processes, one page at a time each, so a page that raises, hangs or kills its worker
costs that page alone and never the run.

::

    async with CleaningPool(2, rules, timeout=60.0) as pool:
        article, canonical = await pool.clean(page)  # or ExtractError with .cause

Every failure is an `ExtractError` against the page's URL, with `.cause`:

- ``extract``: the page holds no article (the cleaner's own error, carried back as it was raised);
- ``timeout``: the page took longer than `timeout` seconds; its worker is killed and replaced;
- ``crash``: the worker died under the page (segfault, out of memory, killed); it is replaced;
- ``bug``: the cleaner raised something that is not a `ScraperError` (ours or a library's).

Workers are spawned, not forked (the crawl's event loop, sockets and database connection must not be copied),
lazily, and killed with the pool; on Linux they also die with their parent, so a ``kill -9`` of the crawl
orphans nothing.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType

from scraper.errors import ExtractError, ScraperError
from scraper.models import Article, Page
from scraper.rules import RuleBook

__all__ = ["WORKER_START", "CleanFn", "CleaningPool"]

CleanFn = Callable[[Page, RuleBook], tuple[Article, "str | None"]]
STARTUP_TIMEOUT = 120.0  # seconds a new worker may take to import the cleaner (a loaded 2-core machine: ~1-5 s)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
WARM_URL = "https://warm-up.invalid/"
WORKER_START = "worker-start"  # the cause of a page no worker could take: retried, never given up for it
_LIVE: set[BaseProcess] = set()  # every started worker not yet killed, for the exit hook


class CleaningPool:
    """`size` worker processes that clean pages with `clean(page, rules)`; use as ``async with``."""

    def __init__(self, size: int, rules: RuleBook, clean: CleanFn, *, timeout: float, memory_mb: int = 0) -> None:
        self._rules, self._clean = rules, clean
        self._timeout, self._memory_mb = timeout, memory_mb
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._slots = asyncio.Semaphore(size)

    async def __aenter__(self) -> CleaningPool:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Kill every worker (a page in cleaning is abandoned: the pool closes when the run stops)."""
        for worker in list(self._live):
            self._retire(worker)

    async def clean(self, page: Page) -> tuple[Article, str | None]:
        """The page's article and canonical URL, cleaned in a worker; `ExtractError` (with `.cause`) otherwise."""
        async with self._slots:
            worker = self._take(page)
            try:
                kind, value = await self._ask(worker, page)
            except BaseException:  # a timeout, a crash, or the run cancelled mid-page: the worker is not reused
                self._retire(worker)
                raise
            self._give_back(worker, value)
        if kind == "ok":
            return value  # type: ignore[return-value]
        raise value  # type: ignore[misc]

    def _take(self, page: Page) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            self._retire(worker)  # died between pages (killed from outside): not this page's fault
        try:
            worker = _Worker(self._rules, self._clean, self._memory_mb)
        except Exception as exc:  # no process (a pids limit, no fds), or a cleaner that cannot be sent to one
            raise ExtractError(page.url, f"cannot start a cleaning worker: {exc}", cause=WORKER_START) from exc
        self._live.add(worker)
        return worker

    def _give_back(self, worker: _Worker, value: object) -> None:
        if isinstance(value, ExtractError) and value.cause == "crash":  # out of memory: its state is unknown
            self._retire(worker)
        else:
            self._idle.append(worker)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        self._live.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)

    async def _ask(self, worker: _Worker, page: Page) -> tuple[str, object]:
        # A worker that never starts, or is gone before the page reaches it, is the pool's failure, not the
        # page's: cause 'worker-start', which the crawl retries later instead of giving the URL up.
        if not worker.ready and not await worker.wait_ready():
            message = f"cleaning worker did not start ({worker.describe_exit()})"
            raise ExtractError(page.url, message, cause=WORKER_START)
        try:
            worker.conn.send(page)
        except OSError as exc:
            message = f"cleaning worker gone before the page reached it ({worker.describe_exit()})"
            raise ExtractError(page.url, message, cause=WORKER_START) from exc
        if not await worker.readable(self._timeout):
            message = f"cleaning took longer than {self._timeout:g} s; worker killed"
            raise ExtractError(page.url, message, cause="timeout")
        try:
            answer: tuple[str, object] = worker.conn.recv()
        except (EOFError, OSError) as exc:
            raise ExtractError(page.url, f"cleaning worker died ({worker.describe_exit()})", cause="crash") from exc
        return answer


class _Worker:
    """One spawned process and the parent's end of its pipe."""

    def __init__(self, rules: RuleBook, clean: CleanFn, memory_mb: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=serve, args=(child, rules, clean, memory_mb), name="scraper-cleaner", daemon=True
        )
        try:
            with _children_block_stop_signals():
                self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            child.close()
        _LIVE.add(self.process)
        self.ready = False

    async def wait_ready(self) -> bool:
        """Whether the worker said it is ready (imports done) within the startup time."""
        if await self.readable(STARTUP_TIMEOUT):
            with contextlib.suppress(EOFError, OSError):
                self.ready = self.conn.recv() == ("ready", None)
        return self.ready

    async def readable(self, timeout: float) -> bool:
        """Whether the worker answered (or hung up) within `timeout` seconds, without blocking the event loop."""
        if self.conn.poll(0):
            return True
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()
        fd = self.conn.fileno()
        loop.add_reader(fd, _settle, answered)
        try:
            await asyncio.wait_for(answered, timeout)
        except TimeoutError:
            return False
        finally:
            loop.remove_reader(fd)
        return True

    def kill(self) -> None:
        """Stop the process now (SIGKILL: a hung cleaner ignores politer signals) and reap it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()
        _LIVE.discard(self.process)

    def describe_exit(self) -> str:
        """How the process ended: 'killed by SIGSEGV', 'exit code 1', or 'still running'."""
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is None:
            return "still running"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"


@contextlib.contextmanager
def _children_block_stop_signals() -> Iterator[None]:
    """Processes started inside are born with Ctrl-C and SIGTERM blocked (a signal mask is inherited across fork
    and exec): the whole process group gets these signals, and a worker signalled while it still imports would
    die with a traceback; `serve` ignores them, then unblocks them, once it is up. Here they are held back for
    the 5-10 ms of a spawn, then handled as before: blocked, never lost. multiprocessing's resource tracker,
    started on a process's first spawn, unblocks both signals when it starts, so it is started first."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX
        yield
        return
    resource_tracker.ensure_running()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def serve(conn: Connection, rules: RuleBook, clean: CleanFn, memory_mb: int) -> None:
    """A worker's life: say ready, then clean each page received until the parent hangs up."""
    # Ctrl-C and `systemctl stop` signal the whole process group; the parent decides when its workers stop.
    for stop in STOP_SIGNALS:  # blocked since birth (`_children_block_stop_signals`): ignored, pending ones dropped
        signal.signal(stop, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _die_with_parent()
    _warm_up(clean, rules)
    _cap_memory(memory_mb)
    conn.send(("ready", None))
    while True:
        try:
            page = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed the pool or died
        _reply(conn, page, _answer(page, rules, clean))


def _answer(page: Page, rules: RuleBook, clean: CleanFn) -> tuple[str, object]:
    try:
        return "ok", clean(page, rules)
    except ScraperError as exc:
        return "error", exc
    except MemoryError:
        return "error", ExtractError(page.url, "cleaning ran out of memory (worker_memory_mb)", cause="crash")
    except Exception as exc:  # the boundary of one page: a bug on one page must cost that page, not the run
        return "error", ExtractError(page.url, f"cleaner bug: {type(exc).__name__}: {exc}", cause="bug")


def _reply(conn: Connection, page: Page, answer: tuple[str, object]) -> None:
    try:
        conn.send(answer)
    except (EOFError, OSError):
        sys.exit(0)  # the parent is gone
    except Exception as exc:  # an answer that does not pickle is a bug of the cleaner, reported as one
        conn.send(("error", ExtractError(page.url, f"cleaner bug: unpicklable result: {exc}", cause="bug")))


def _warm_up(clean: CleanFn, rules: RuleBook) -> None:
    """Clean a small page of our own once, so what every page needs (models and caches the libraries load on
    first use: the language detector's, trafilatura's) is there before the memory cap, and counts against no
    page."""
    sentence = "Pemerintah kota membuka jembatan baru yang menghubungkan dua desa di tepi sungai besar itu. "
    html = f"<html><head><title>Warm</title></head><body><article><p>{sentence * 4}</p><p>{sentence * 3}</p></article>"
    page = Page(url=WARM_URL, final_url=WARM_URL, status=200, content=html.encode(), fetched_at=datetime.now(UTC))
    with contextlib.suppress(Exception):
        clean(page, rules)


def _cap_memory(memory_mb: int) -> None:
    """Let cleaning add at most `memory_mb` MiB of address space to what the worker holds once it is up (the
    interpreter, lxml, trafilatura): a cap on the page's cost, whatever the libraries map. POSIX only."""
    if memory_mb <= 0:
        return
    try:
        import resource  # POSIX: absent on Windows, where workers run uncapped

        size = _address_space()
        limit = size + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # no such limit here: uncapped, like Windows
        return


def _address_space() -> int:
    """This process's mapped address space in bytes (Linux /proc; 0 where unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@atexit.register
def _kill_live_workers() -> None:
    """At exit, kill workers a pool did not close (a crash of the caller): multiprocessing's own exit hook would
    send them SIGTERM, which they ignore, and wait for them forever. Registered after multiprocessing's, so run
    before it."""
    for process in list(_LIVE):
        with contextlib.suppress(Exception):
            process.kill()
            process.join(timeout=5)
    _LIVE.clear()


def _die_with_parent() -> None:
    """Linux: the kernel sends this worker SIGKILL when its parent dies (even by kill -9). Elsewhere the
    worker still ends when it next reads from the pipe and finds it closed."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
