"""The fetch step: URL ─► Page, politely, over async httpx.

::

    async with Fetcher(settings) as fetcher:
        page = await fetcher.fetch_page(url, etag=known.etag, last_modified=known.last_modified)
        feed = await fetcher.fetch_page(feed_url, accept=XML)

Every hop of a request (the URL, then each redirect target) passes, in order:

1. the URL check: http(s) only, a well-formed host and port; the host is resolved once and must resolve to
   public addresses unless ``allow_private``; the connection then goes to one of exactly those addresses
   (pinned, so a second DNS answer cannot point it elsewhere);
2. robots.txt of the hop's origin (cached ``robots_ttl``; its Crawl-delay raises the host's delay; its first
   500 KiB are read, RFC 9309 §2.5);
3. the host's turn: one request in flight per host and ``delay`` seconds between request starts,
   then a slot of the global ``concurrency`` cap (held only while the request runs);
4. the request: timeouts, status, Content-Type, the body streamed under ``max_body_bytes`` on the wire
   and ``max_decompressed_bytes`` once decoded.

Transient failures (timeout, broken connection, 408, 429, 5xx) are retried in-run up to ``max_retries``
times with exponential backoff and jitter, honouring Retry-After; a wait longer than ``max_retry_wait``
is left to a later run. Errors, all with ``.url`` = the URL asked for:

- `TransientFetchError` (``.retry_at``): timeout, connection reset, 408/429/5xx, robots.txt unreachable;
- `PermanentFetchError`: 404/410 and other 4xx, robots disallow, not the accepted type, too large,
  redirect loop or too many, a redirect to a URL that is not http(s) or not well formed, non-public address,
  TLS failure (never retried, never with verification off).

Nothing else escapes `Fetcher.fetch_page`, whatever the server sends.

``Page.content`` is the body with Content-Encoding undone and nothing else: charset decoding is the cleaner's job.
Reading the body under its caps and the content-type rules live in `scraper.fetch_body`; URL checks, address
pinning and the meaning of transport failures in `scraper.fetch_transport`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType

import httpx
from protego import Protego

from scraper import fetch_transport as net
from scraper.config import Settings
from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch_body import ANY, HTML, XML, Accept, check_type, media_type, read_body, read_head, sniff
from scraper.models import Page

__all__ = ["ANY", "HTML", "XML", "Accept", "Fetcher", "backoff_delay", "parse_retry_after"]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# A server that drips one byte per `timeout` never trips the per-read timeout; this bounds a whole request.
TOTAL_TIMEOUT_FACTOR = 6
MAX_RETRY_AFTER = timedelta(days=365)  # a bigger Retry-After is nonsense and would overflow datetime
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least the first 500 KiB; the rest is ignored


@dataclass(slots=True)
class _HostSlot:
    """One host's politeness state: its lock (one request in flight) and when the next may start."""

    delay: float
    not_before: datetime
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True, slots=True)
class _Robots:
    """An origin's robots.txt: its rules (None: allow all) or why it is unavailable, and until when."""

    expires_at: datetime
    rules: Protego | None = None
    unavailable: str | None = None  # set: disallow everything until expires_at


@dataclass(frozen=True, slots=True)
class _Ask:
    """What a fetch asks for: its headers, the media types it takes, whether robots.txt applies, how to read."""

    headers: dict[str, str]
    accept: Accept
    robots: bool
    head: int | None = None  # read only the first `head` bytes of a longer body instead of refusing it


@dataclass(frozen=True, slots=True)
class _Response:
    """What one hop returned; `content` is read only for 2xx."""

    url: str
    status: int
    headers: httpx.Headers
    fetched_at: datetime
    content: bytes = b""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Fetcher:
    """Fetches pages politely; one per run, used as ``async with Fetcher(settings) as fetcher``.

    `clock`, `sleep`, `transport`, `resolver` and `rng` are seams for tests: a fake clock and sleep make
    politeness and backoff testable without waiting, `httpx.MockTransport` needs no network, and a fake
    resolver maps names to addresses. Without a `transport`, connections go to the addresses `resolver`
    answered for the host, and nowhere else; with one, `resolver` serves only the ``allow_private`` check.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = _utcnow,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: net.Resolver = net.resolve,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._resolve = resolver
        self._rng = rng or random.Random()
        limits = httpx.Limits(max_connections=settings.concurrency)
        pins: net.Pins = {}
        self._pins = pins if transport is None else None
        self._client = httpx.AsyncClient(
            # Ours unless a test brings one; it also keeps out environment proxies, which would resolve for us.
            transport=net.LocationShield(transport or net.PinnedTransport(pins, limits)),
            follow_redirects=False,  # every hop is checked here: cap, loop, address, robots
            verify=True,  # and it stays on: a TLS failure is permanent, never retried without verification
            timeout=httpx.Timeout(settings.timeout),
            # We undo the encoding ourselves to cap it chunk by chunk; brotli is not installed, so not asked for.
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self._slots: dict[str, _HostSlot] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._running = asyncio.Semaphore(settings.concurrency)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def fetch_page(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, accept: Accept = HTML
    ) -> Page:
        """`url` as a `Page` (status 2xx, or 304 when `etag` / `last_modified` still match).

        Raises `TransientFetchError` (retry at ``.retry_at``) or `PermanentFetchError`; see the module doc.
        `accept` is `HTML` for article pages, `XML` for feeds and sitemaps, `ANY` for anything.
        """
        headers = {"Accept": accept.header, **_validators(etag, last_modified)}
        response = await self._follow(url, _Ask(headers, accept, self.settings.respect_robots))
        if not (200 <= response.status < 300 or response.status == 304):
            reason = {404: "not found", 410: "gone"}.get(response.status, "refused")
            where = "" if response.url == url else f" at {response.url}"
            cause = {404: "http-404", 410: "http-410"}.get(response.status, "http-4xx")
            raise PermanentFetchError(url, f"HTTP {response.status} ({reason}){where}", cause=cause)
        return _page(url, response, etag, last_modified)

    async def _follow(self, url: str, ask: _Ask) -> _Response:
        """The response at the end of `url`'s redirects; errors on any hop are reported against `url`."""
        seen = [url]
        try:
            while True:
                await self._check_allowed(seen[-1], robots=ask.robots)
                response = await self._with_retries(seen[-1], ask)
                if response.status not in net.REDIRECTS:
                    return response
                location = response.headers.get(net.LOCATION)
                seen.append(net.next_hop(response.url, response.status, location, seen, self.settings.max_redirects))
        except FetchError as exc:
            if exc.url == url:
                raise
            raise _against(exc, url) from exc

    async def _with_retries(self, url: str, ask: _Ask) -> _Response:
        attempt = 0
        while True:
            try:
                return await self._attempt(url, ask)
            except TransientFetchError as exc:
                now = self._clock()
                # Never sooner than the server asked, nor than our own backoff.
                retry_at = max(exc.retry_at or now, now + self._backoff(attempt))
                wait = (retry_at - now).total_seconds()
                if attempt >= self.settings.max_retries or wait > self.settings.max_retry_wait:
                    exc.retry_at = retry_at
                    raise
                logger.info("retrying in %.1f s: %s", wait, exc, extra={"url": url})
                await self._sleep(wait)
                attempt += 1

    def _backoff(self, attempt: int) -> timedelta:
        seconds = backoff_delay(attempt, base=self.settings.backoff_base, cap=self.settings.backoff_max, rng=self._rng)
        return timedelta(seconds=seconds)

    async def _attempt(self, url: str, ask: _Ask) -> _Response:
        async with self._turn(url):
            try:
                async with asyncio.timeout(self.settings.timeout * TOTAL_TIMEOUT_FACTOR):
                    async with self._client.stream("GET", url, headers=ask.headers) as response:
                        return await self._receive(url, response, ask)
            except (httpx.TimeoutException, TimeoutError) as exc:
                raise TransientFetchError(url, "timed out", cause="timeout") from exc
            except (httpx.TransportError, ssl.SSLError) as exc:  # httpcore leaves a TLS error mid-body unwrapped
                raise net.transport_error(url, exc) from exc

    async def _receive(self, url: str, response: httpx.Response, ask: _Ask) -> _Response:
        status, headers = response.status_code, response.headers
        if status in (408, 429) or status >= 500:
            retry_at = parse_retry_after(headers.get("retry-after"), self._clock())
            if retry_at is not None:  # the host asked for a pause: no request of ours goes there before it
                slot = self._slot(url)
                slot.not_before = max(slot.not_before, retry_at)
            cause = "http-5xx" if status >= 500 else f"http-{status}"
            raise TransientFetchError(url, f"HTTP {status}", retry_at, cause=cause)
        if not 200 <= status < 300:  # redirects, 304 and errors: the body is not wanted
            return _Response(url, status, headers, self._clock())
        declared = headers.get("content-type")
        if declared:  # checked before the body, so a 50 MB PDF is never downloaded
            check_type(url, media_type(declared), ask.accept)
        if ask.head is None:
            content = await read_body(url, response, self.settings)
        else:
            content = await read_head(url, response, ask.head)
        if not declared:
            check_type(url, sniff(content), ask.accept)
        return _Response(url, status, headers, self._clock(), content)

    @asynccontextmanager
    async def _turn(self, url: str) -> AsyncIterator[None]:
        """The host's lock, after its delay since the last start, then a global slot for the request itself."""
        slot = self._slot(url)
        async with slot.lock:
            wait = (slot.not_before - self._clock()).total_seconds()
            if wait > self.settings.max_retry_wait:
                message = f"host asked for a pause of {wait:.0f} s"
                raise TransientFetchError(url, message, slot.not_before, cause="host-pause")
            if wait > 0:
                await self._sleep(wait)
            async with self._running:
                slot.not_before = self._clock() + timedelta(seconds=slot.delay)
                yield

    def _slot(self, url: str) -> _HostSlot:
        key = net.host_key(net.parse_url(url))
        if key not in self._slots:
            self._slots[key] = _HostSlot(self.settings.delay, self._clock())
        return self._slots[key]

    async def _check_allowed(self, url: str, *, robots: bool) -> None:
        parsed = net.parse_url(url)
        await self._pin(url, parsed)
        if robots and not await self._robots_allow(url, parsed):
            raise PermanentFetchError(url, "disallowed by robots.txt", cause="robots")

    async def _pin(self, url: str, parsed: httpx.URL) -> None:
        """Resolve the host once, refuse non-public answers, and make the connection go to exactly those."""
        if self._pins is None and self.settings.allow_private:
            return  # a test's transport connects nowhere: nothing to check or pin
        host, port = net.connect_target(parsed)
        try:
            addresses = await net.lookup(url, host, port, self._resolve)
        except TransientFetchError as exc:  # not retried in-run: a name that does not resolve now rarely does soon
            exc.retry_at = self._clock() + self._backoff(self.settings.max_retries)
            raise
        if not self.settings.allow_private:
            net.check_addresses(url, addresses)
        if self._pins is not None:
            self._pins[(host, port)] = tuple(str(address) for address in addresses)

    async def _robots_allow(self, url: str, parsed: httpx.URL) -> bool:
        robots = await self._robots_for(parsed)
        if robots.unavailable is not None:
            message = f"robots.txt unavailable ({robots.unavailable}); not fetching for now"
            raise TransientFetchError(url, message, robots.expires_at, cause="robots-unavailable")
        return robots.rules is None or bool(robots.rules.can_fetch(url, self.settings.user_agent))

    async def _robots_for(self, parsed: httpx.URL) -> _Robots:
        origin = f"{parsed.scheme}://{net.host_key(parsed)}"
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):  # one robots.txt fetch per origin
            robots = self._robots.get(origin)
            if robots is None or robots.expires_at <= self._clock():
                robots = self._robots[origin] = await self._fetch_robots(origin)
                crawl_delay = robots.rules.crawl_delay(self.settings.user_agent) if robots.rules else None
                # Capped: "Crawl-delay: 1e308" would overflow the datetime arithmetic of every later turn.
                pause = min(float(crawl_delay or 0), MAX_RETRY_AFTER.total_seconds())
                self._slot(origin).delay = max(self.settings.delay, pause)
            return robots

    async def _fetch_robots(self, origin: str) -> _Robots:
        """RFC 9309 §2.3.1: 2xx is parsed, 4xx means allow all, 5xx or unreachable means disallow all."""
        try:
            ask = _Ask({"Accept": "text/plain"}, ANY, robots=False, head=ROBOTS_MAX_BYTES)
            response = await self._follow(f"{origin}/robots.txt", ask)
        except TransientFetchError as exc:
            # Google's reading too: a server error may hide a Disallow, so crawl nothing there until it answers.
            # Remembered for max_retry_wait at least, so the host's other URLs fail fast instead of each
            # retrying robots.txt with backoff.
            floor = self._clock() + timedelta(seconds=self.settings.max_retry_wait)
            return _Robots(max(exc.retry_at or floor, floor), unavailable=str(exc))
        except PermanentFetchError as exc:  # too many redirects, refused address, not http(s): "unavailable"
            logger.warning("robots.txt ignored: %s", exc, extra={"url": exc.url})
            return self._robots_expiring()
        if 200 <= response.status < 300:
            return self._robots_expiring(Protego.parse(response.content.decode("utf-8", errors="replace")))
        return self._robots_expiring()

    def _robots_expiring(self, rules: Protego | None = None) -> _Robots:
        return _Robots(self._clock() + timedelta(seconds=self.settings.robots_ttl), rules)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """When a Retry-After header (delay-seconds or HTTP-date) says to come back; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # "²" is a digit to str.isdigit, not to int
        return now + min(timedelta(seconds=int(text[:12])), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # HTTP-dates are always GMT; the "-0000" spelling makes the parser return a naive datetime.
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    # Year 9999 (or 100) would overflow the first datetime arithmetic done on it.
    return min(max(when, now - MAX_RETRY_AFTER), now + MAX_RETRY_AFTER)


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait before retry `attempt` + 1 (`attempt` counts from 0): ``base * 2**attempt``, capped.

    "Equal jitter": half the delay is fixed, half random, so clients that failed together do not retry together
    and the wait never collapses to zero.
    """
    ceiling = min(cap, base * 2.0 ** min(attempt, 64))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def _page(url: str, response: _Response, etag: str | None, last_modified: str | None) -> Page:
    headers = response.headers
    if response.status == 304:  # a 304 may omit the validators; keep the ones that still match
        etag, last_modified = headers.get("etag", etag), headers.get("last-modified", last_modified)
    else:
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
    return Page(
        url=url,
        final_url=response.url,
        status=response.status,
        content=response.content,
        fetched_at=response.fetched_at,
        content_type=headers.get("content-type"),
        etag=etag,
        last_modified=last_modified,
        headers=tuple(headers.multi_items()),
    )


def _validators(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The conditional-GET headers; a validator that is not printable ASCII (raw UTF-8, a control character from
    a server) cannot be sent back: dropped."""
    pairs = (("If-None-Match", etag), ("If-Modified-Since", last_modified))
    return {name: value for name, value in pairs if value and value.isascii() and value.isprintable()}


def _against(exc: FetchError, url: str) -> FetchError:
    """`exc`, which happened at a redirect hop, reported against the URL asked for."""
    message = f"redirected to {net.shorten(exc.url)}: {str(exc).removeprefix(f'{exc.url}: ')}"
    if isinstance(exc, TransientFetchError):
        return TransientFetchError(url, message, exc.retry_at, cause=exc.cause)
    return PermanentFetchError(url, message, cause=exc.cause)
