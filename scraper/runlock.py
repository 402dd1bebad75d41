"""The run lock: one pass at a time per store, held by a named owner and kept alive on a timer.

The owner is ``host:pid:token``. A holder on this host whose process is gone (``kill -9``, a crash, a reboot) is
taken over at once; a holder on another host keeps the lock until it expires (``lock_ttl``). A live run refreshes
its lock every third of ``lock_ttl``, so the lock never expires under it; a run that finds it taken by someone
else (its refresh came too late: the machine was suspended, the database unreachable) stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from scraper.config import Settings
from scraper.errors import LockedError
from scraper.store import Store
from scraper.store.records import LockInfo

__all__ = ["LOCK_POLL_SECONDS", "RUN_LOCK", "acquire_run_lock", "holder_is_dead", "keep_run_lock", "owner_name"]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RUN_LOCK = "run"
LOCK_POLL_SECONDS = 5.0
REFRESHES_PER_TTL = 3


def owner_name() -> str:
    """This process's name for the lock: host, pid and a token (two passes in one process are two owners)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str, host: str) -> bool:
    """Whether `owner` names a process on `host` that no longer exists (its lock is stale)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False  # another host, or a name we did not make: only its expiry frees the lock
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False  # alive under another user, or no pid at all
    return False


async def acquire_run_lock(store: Store, owner: str, settings: Settings, clock: Clock, wait: bool) -> None:
    """Take the run lock for `owner`; `LockedError` if a live run holds it (after up to ``lock_ttl`` with `wait`)."""
    ttl = timedelta(seconds=settings.lock_ttl)
    deadline = clock() + ttl
    while not store.acquire_lock(RUN_LOCK, owner, clock(), ttl):
        holder = store.lock_holder(RUN_LOCK, clock())
        if holder is not None and holder_is_dead(holder.owner, socket.gethostname()):
            logger.warning("taking over the run lock of %s: that process is gone", holder.owner)
            store.release_lock(RUN_LOCK, holder.owner)
            continue
        who = _describe(holder)
        if not wait or clock() >= deadline:
            raise LockedError(f"another run holds the lock ({who}); not starting", holder.owner if holder else None)
        logger.info("waiting for the run lock held by %s", who)
        await asyncio.sleep(LOCK_POLL_SECONDS)


async def keep_run_lock(
    store: Store, owner: str, settings: Settings, clock: Clock, lost: Callable[[str], None]
) -> None:
    """Refresh `owner`'s lock every third of its TTL until cancelled; call `lost` (and end) if someone took it."""
    ttl = timedelta(seconds=settings.lock_ttl)
    while True:
        await asyncio.sleep(settings.lock_ttl / REFRESHES_PER_TTL)
        if not store.acquire_lock(RUN_LOCK, owner, clock(), ttl):
            holder = store.lock_holder(RUN_LOCK, clock())
            lost(f"the run lock is now held by {holder.owner if holder else 'another run'}")
            return


def _describe(holder: LockInfo | None) -> str:
    if holder is None:  # released between our attempt and our look: the next attempt will tell
        return "?"
    return f"{holder.owner} since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC, until {holder.expires_at:%H:%M:%S}"
