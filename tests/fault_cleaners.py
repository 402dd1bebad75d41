"""A cleaner that misbehaves on request, for the fault tests and `benchmarks/faults.py`.

`clean` is the real cleaner, except on pages that carry a marker comment ``<!--FAULT:kind-->``: then it hangs,
segfaults, is killed as the OOM killer kills, runs out of memory, or raises an exception that is not ours. It must
be a module-level function: the spawned cleaning workers import it by name.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

from scraper.models import Article, Page
from scraper.pipeline import clean_page
from scraper.rules import RuleBook

FAULTS = ("hang", "segfault", "killed", "memory", "bug")


def marker(kind: str) -> bytes:
    """The comment that makes `clean` misbehave as `kind`."""
    return f"<!--FAULT:{kind}-->".encode()


def clean(page: Page, rules: RuleBook) -> tuple[Article, str | None]:
    head = page.content[:4096]
    if marker("hang") in head:
        time.sleep(3600)
    if marker("segfault") in head:
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    if marker("killed") in head:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer does
    if marker("memory") in head:
        hog = bytearray(64 * 1024**3)  # past any worker_memory_mb: MemoryError under RLIMIT_AS
        hog[-1] = 1
    if marker("bug") in head:
        raise KeyError("a bug in the cleaner")
    return clean_page(page, rules)


def slow_clean(page: Page, rules: RuleBook) -> tuple[Article, str | None]:
    """The real cleaner, a little slower than the fetcher: pages queue up for the workers."""
    time.sleep(0.15)
    return clean_page(page, rules)
