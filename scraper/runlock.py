"""The run lock: one pass at a time per store, held by a named owner and kept alive on a timer.

The owner is ``host:pid:boot.pidns.start.token``: the host name, the pid, and what makes that pid mean one
process (the kernel's boot id, the pid namespace, the process's start time; Linux, else left empty). A holder
whose process is provably gone (same boot and pid namespace, and its pid is free or now another process's: a
``kill -9``, a crash) is taken over at once; any other holder (another host, another container's namespace, a
reboot we cannot tell from another machine) keeps the lock until it expires (``lock_ttl``). A live run
refreshes its lock every third of ``lock_ttl``, so the lock never expires under it; a refresh the database
refuses is tried again at the next tick, and a run whose lock was taken by someone else, or could not be
refreshed for a whole ``lock_ttl``, stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from scraper.config import Settings
from scraper.errors import LockedError, StoreError
from scraper.store import Store
from scraper.store.records import LockInfo

__all__ = ["LOCK_POLL_SECONDS", "RUN_LOCK", "acquire_run_lock", "holder_is_dead", "keep_run_lock", "owner_name"]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RUN_LOCK = "run"
LOCK_POLL_SECONDS = 5.0
REFRESHES_PER_TTL = 3


def owner_name() -> str:
    """This process's name for the lock (two passes in one process are two owners: the token differs)."""
    pid = os.getpid()
    boot, namespace = _kernel_identity()
    return f"{socket.gethostname()}:{pid}:{boot}.{namespace}.{_start_time(pid) or ''}.{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str, host: str) -> bool:
    """Whether `owner` names a process on `host`, in our kernel and pid namespace, that no longer exists."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False  # another host, or a name we did not make: only its expiry frees the lock
    pid, identity = int(parts[1]), parts[2].split(".")
    if len(identity) != 4:  # a name of an earlier version: host and pid alone
        return not _pid_alive(pid)
    boot, namespace, started, _ = identity
    if (boot, namespace) != _kernel_identity():
        return False  # rebooted, another machine of that name, or another container: its pid means nothing here
    if not _pid_alive(pid):
        return True
    now = _start_time(pid)
    return bool(started and now and now != started)  # the pid was reused: the holder is gone


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # alive under another user, or no pid at all: not provably gone
    return True


def _kernel_identity() -> tuple[str, str]:
    """This boot of the kernel and this pid namespace ('' where unknown: not Linux)."""
    boot = namespace = ""
    with contextlib.suppress(OSError):
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip().replace("-", "")[:12]
    with contextlib.suppress(OSError):
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    return boot, namespace


def _start_time(pid: int) -> str | None:
    """When process `pid` started, in clock ticks since boot (Linux /proc; None where unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()
        return fields[19]
    except (OSError, IndexError):
        return None


async def acquire_run_lock(store: Store, owner: str, settings: Settings, clock: Clock, wait: bool) -> None:
    """Take the run lock for `owner`; `LockedError` if a live run holds it (after up to ``lock_ttl`` with `wait`)."""
    ttl = timedelta(seconds=settings.lock_ttl)
    deadline = clock() + ttl
    while not store.acquire_lock(RUN_LOCK, owner, clock(), ttl):
        holder = store.lock_holder(RUN_LOCK, clock())
        if holder is None:  # released or expired between our attempt and our look: try again
            continue
        if holder_is_dead(holder.owner, socket.gethostname()):
            logger.warning("taking over the run lock of %s: that process is gone", holder.owner)
            store.release_lock(RUN_LOCK, holder.owner)
            continue
        who = _describe(holder)
        if not wait or clock() >= deadline:
            raise LockedError(f"another run holds the lock ({who}); not starting", holder.owner)
        logger.info("waiting for the run lock held by %s", who)
        await asyncio.sleep(LOCK_POLL_SECONDS)


async def keep_run_lock(
    store: Store, owner: str, settings: Settings, clock: Clock, lost: Callable[[str], None]
) -> None:
    """Refresh `owner`'s lock every third of its TTL until cancelled; call `lost` (and end) if someone took it,
    or if the database refused every refresh for a whole TTL (the lock may have expired under us)."""
    ttl = timedelta(seconds=settings.lock_ttl)
    refreshed = clock()
    while True:
        await asyncio.sleep(settings.lock_ttl / REFRESHES_PER_TTL)
        try:
            if store.acquire_lock(RUN_LOCK, owner, clock(), ttl):
                refreshed = clock()
                continue
            holder = store.lock_holder(RUN_LOCK, clock())
        except StoreError as exc:
            if clock() - refreshed >= ttl:
                lost(f"the run lock could not be refreshed for {settings.lock_ttl:g} s ({exc})")
                return
            logger.warning("could not refresh the run lock, trying again: %s", exc)
            continue
        if holder is not None:
            lost(f"the run lock is now held by {holder.owner}")
            return


def _describe(holder: LockInfo) -> str:
    return f"{holder.owner} since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC, until {holder.expires_at:%H:%M:%S}"
