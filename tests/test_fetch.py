"""The fetch step against a real HTTP server on 127.0.0.1, plus narrow unit tests on httpx.MockTransport.

Coroutines run under `asyncio.run` inside plain tests. Time-sensitive tests assert order and minimum gaps with
generous margins; the ones about backoff and Retry-After inject a sleep that records instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import itertools
import random
import shutil
import socket
import ssl
import subprocess
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from scraper.config import Settings
from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch import ANY, HTML, ROBOTS_MAX_BYTES, XML, Accept, Fetcher, backoff_delay, parse_retry_after
from scraper.fetch_body import read_head, sniff
from scraper.fetch_transport import resolve
from scraper.models import Page
from tests.fetch_server import ETAG, FEED, LAST_MODIFIED, PAGE_BYTES, RAW, Server, serve, sni_server

T = TypeVar("T")

SETTINGS = Settings(
    allow_private=True,  # the test server is on 127.0.0.1
    delay=0.0,
    timeout=2.0,
    max_retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    max_body_bytes=1024 * 1024,
    max_decompressed_bytes=1024 * 1024,
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def settings(**changes: Any) -> Settings:
    return dataclasses.replace(SETTINGS, **changes)


class Sleeps:
    """A sleep that records how long it was asked to wait, and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class FakeTime:
    """A clock and a sleep that moves it: politeness and backoff in fake time."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def fetch(
    url: str,
    config: Settings = SETTINGS,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    accept: Accept = HTML,
    etag: str | None = None,
    last_modified: str | None = None,
    resolver: Resolver | None = None,
) -> Page:
    async with Fetcher(config, sleep=sleep, resolver=resolver or resolve) as fetcher:
        return await fetcher.fetch_page(url, accept=accept, etag=etag, last_modified=last_modified)


def fetch_error(
    url: str, config: Settings = SETTINGS, *, sleep: Sleeps | None = None, resolver: Resolver | None = None
) -> FetchError:
    with pytest.raises(FetchError) as caught:
        run(fetch(url, config, sleep=sleep or Sleeps(), resolver=resolver))
    return caught.value


def assert_one_line_about(error: FetchError, url: str) -> None:
    """The error contract: reported against the URL asked for, in one line of readable length."""
    assert error.url == url and str(error).startswith(url)
    assert "\n" not in str(error) and "\r" not in str(error) and len(str(error)) < len(url) + 700, str(error)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve() as running:
        yield running


def token() -> str:
    return uuid.uuid4().hex


# --- a real server -------------------------------------------------------------------------------------------


def test_page_comes_back_as_bytes_with_status_type_and_final_url(server: Server) -> None:
    page = run(fetch(server.url("/page")))
    assert (page.status, page.content, page.url, page.final_url) == (200, PAGE_BYTES, page.url, server.url("/page"))
    assert page.content_type == "text/html; charset=utf-8"
    assert page.fetched_at.tzinfo is not None and not page.not_modified


def test_user_agent_with_contact_reaches_the_server(server: Server) -> None:
    run(fetch(server.url("/page?ua")))
    assert server.hits("/page?ua")[-1].headers["user-agent"] == SETTINGS.user_agent


def test_robots_disallow_is_permanent_and_robots_txt_is_fetched_once(server: Server) -> None:
    before = len(server.hits("/robots.txt"))

    async def three() -> list[Page | BaseException]:
        async with Fetcher(settings(respect_robots=True)) as fetcher:
            urls = [server.url("/page?r1"), server.url("/private/secret"), server.url("/page?r2")]
            return await asyncio.gather(*(fetcher.fetch_page(u) for u in urls), return_exceptions=True)

    first, private, second = run(three())
    assert isinstance(first, Page) and isinstance(second, Page)
    assert isinstance(private, PermanentFetchError) and "robots.txt" in str(private)
    assert len(server.hits("/robots.txt")) == before + 1
    assert server.hits("/private") == []


def test_crawl_delay_larger_than_delay_spaces_requests() -> None:
    with serve("User-agent: *\nCrawl-delay: 0.3\n") as slow:

        async def three() -> None:
            async with Fetcher(settings(respect_robots=True)) as fetcher:
                await asyncio.gather(*(fetcher.fetch_page(slow.url(f"/page?{i}")) for i in range(3)))

        run(three())
        starts = [seen.start for seen in slow.hits("/page")]
    assert len(starts) == 3
    assert all(b - a >= 0.25 for a, b in itertools.pairwise(starts))


def test_robots_txt_404_allows_everything() -> None:
    with serve(404) as open_site:
        page = run(fetch(open_site.url("/private/x"), settings(respect_robots=True)))
    assert page.status == 200


def test_robots_txt_5xx_disallows_for_now() -> None:
    with serve(503) as down:
        error = fetch_error(down.url("/page"), settings(respect_robots=True, max_retries=0))
        assert down.hits("/page") == []
    assert isinstance(error, TransientFetchError) and "robots.txt unavailable" in str(error)
    assert error.retry_at is not None and error.url == down.url("/page")


def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(server: Server) -> None:
    sleeps, path = Sleeps(), f"/flaky/{token()}?fails=1&code=429&retry_after=1"
    page = run(fetch(server.url(path), settings(max_retry_wait=5.0), sleep=sleeps))
    assert page.status == 200 and len(server.hits(path.split("?")[0])) == 2
    assert any(0.9 <= s <= 1.1 for s in sleeps.calls), sleeps.calls


def test_429_with_retry_after_http_date_waits_until_then(server: Server) -> None:
    sleeps, path = Sleeps(), f"/flaky/{token()}?fails=1&code=429&retry_after=date:2"
    page = run(fetch(server.url(path), settings(max_retry_wait=5.0), sleep=sleeps))
    assert page.status == 200
    assert any(0.5 <= s <= 3.0 for s in sleeps.calls), sleeps.calls  # HTTP-dates have whole seconds


def test_retry_after_beyond_max_retry_wait_is_left_to_a_later_run(server: Server) -> None:
    sleeps, path = Sleeps(), f"/flaky/{token()}?fails=9&code=429&retry_after=3600"
    error = fetch_error(server.url(path), settings(max_retry_wait=60.0), sleep=sleeps)
    assert isinstance(error, TransientFetchError) and "HTTP 429" in str(error)
    assert error.retry_at is not None
    assert timedelta(minutes=59) < error.retry_at - datetime.now(UTC) <= timedelta(hours=1)
    assert sleeps.calls == [] and len(server.hits(path.split("?")[0])) == 1


def test_503_then_200_is_retried_with_backoff(server: Server) -> None:
    sleeps, path = Sleeps(), f"/flaky/{token()}?fails=1&code=503"
    page = run(fetch(server.url(path), sleep=sleeps))
    assert page.status == 200 and len(server.hits(path.split("?")[0])) == 2
    assert len(sleeps.calls) == 1 and 0.005 <= sleeps.calls[0] <= 0.01


def test_persistent_5xx_gives_up_after_max_retries_with_a_retry_time(server: Server) -> None:
    path = f"/flaky/{token()}?fails=99&code=500"
    error = fetch_error(server.url(path), settings(max_retries=2))
    assert isinstance(error, TransientFetchError) and "HTTP 500" in str(error)
    assert error.retry_at is not None and error.retry_at > datetime.now(UTC) - timedelta(seconds=1)
    assert len(server.hits(path.split("?")[0])) == 3


def test_a_response_slower_than_the_timeout_is_transient(server: Server) -> None:
    started = time.monotonic()
    error = fetch_error(server.url("/slow?seconds=1.5"), settings(timeout=0.3, max_retries=0))
    assert isinstance(error, TransientFetchError) and "timed out" in str(error)
    assert time.monotonic() - started < 1.2


def test_a_body_dripped_slower_than_the_whole_request_deadline_times_out(server: Server) -> None:
    started = time.monotonic()  # timeout 0.2 s per read, so the deadline is 0.2 * TOTAL_TIMEOUT_FACTOR = 1.2 s
    error = fetch_error(server.url("/drip?seconds=4"), settings(timeout=0.2, max_retries=0))
    assert isinstance(error, TransientFetchError) and "timed out" in str(error)
    assert time.monotonic() - started < 3.0


def test_a_connection_reset_mid_body_is_transient(server: Server) -> None:
    error = fetch_error(server.url("/reset"), settings(max_retries=0))
    assert isinstance(error, TransientFetchError) and "connection failed" in str(error)


def test_a_redirect_chain_is_followed_to_the_final_url(server: Server) -> None:
    page = run(fetch(server.url("/redirect/3")))
    assert page.url == server.url("/redirect/3") and page.final_url == server.url("/redirect/0")
    assert page.content == PAGE_BYTES


def test_exactly_max_redirects_is_allowed_one_more_is_not(server: Server) -> None:
    assert run(fetch(server.url("/redirect/5"), settings(max_redirects=5))).status == 200
    error = fetch_error(server.url("/redirect/6"), settings(max_redirects=5))
    assert isinstance(error, PermanentFetchError) and "more than 5 redirects" in str(error)
    assert error.url == server.url("/redirect/6")


def test_a_redirect_loop_is_permanent(server: Server) -> None:
    error = fetch_error(server.url("/loop/a"))
    assert isinstance(error, PermanentFetchError) and "redirect loop" in str(error)


@pytest.mark.parametrize("length", ["1", "0"], ids=["content-length", "no-content-length"])
def test_an_oversized_body_is_refused(server: Server, length: str) -> None:
    error = fetch_error(server.url(f"/big?size={3 * 1024 * 1024}&length={length}"))
    assert isinstance(error, PermanentFetchError) and "too large" in str(error)


def test_a_body_just_under_the_cap_is_read_whole(server: Server) -> None:
    page = run(fetch(server.url("/big?size=1000000&length=0")))
    assert len(page.content) == 1_000_000


def test_a_gzip_bomb_stops_at_the_decompression_cap(server: Server) -> None:
    error = fetch_error(server.url("/bomb"))
    assert isinstance(error, PermanentFetchError) and "decompresses past 1048576 bytes" in str(error)


def test_a_gzip_page_is_decoded(server: Server) -> None:
    page = run(fetch(server.url("/gzip")))
    assert page.content == PAGE_BYTES
    assert server.hits("/gzip")[-1].headers["accept-encoding"] == "gzip, deflate"


def test_a_wrong_charset_header_leaves_the_bytes_untouched(server: Server) -> None:
    page = run(fetch(server.url("/charset")))
    assert page.content == PAGE_BYTES and page.content_type == "text/html; charset=iso-8859-1"


@pytest.mark.parametrize("path", ["/png", "/untyped/png"])
def test_binary_content_is_not_html(server: Server, path: str) -> None:
    error = fetch_error(server.url(path))
    assert isinstance(error, PermanentFetchError) and str(error).endswith("not HTML (image/png)")


def test_html_without_a_content_type_is_sniffed(server: Server) -> None:
    page = run(fetch(server.url("/untyped/html")))
    assert page.content == PAGE_BYTES and page.content_type is None


def test_a_feed_is_fetched_as_xml_and_refused_as_html(server: Server) -> None:
    assert run(fetch(server.url("/feed"), accept=XML)).content == FEED
    assert run(fetch(server.url("/png"), accept=ANY)).status == 200
    error = fetch_error(server.url("/feed"))
    assert "not HTML (application/rss+xml)" in str(error)


@pytest.mark.parametrize(("status", "word"), [(404, "not found"), (410, "gone"), (403, "refused")])
def test_client_errors_are_permanent(server: Server, status: int, word: str) -> None:
    error = fetch_error(server.url(f"/status/{status}"))
    assert isinstance(error, PermanentFetchError) and f"HTTP {status} ({word})" in str(error)


def test_conditional_get_with_a_matching_etag_is_not_modified(server: Server) -> None:
    fresh = run(fetch(server.url("/etag")))
    assert (fresh.status, fresh.etag, fresh.last_modified) == (200, ETAG, LAST_MODIFIED)
    again = run(fetch(server.url("/etag"), etag=fresh.etag))
    assert again.not_modified and again.content == b"" and again.etag == ETAG
    assert server.hits("/etag")[-1].headers["if-none-match"] == ETAG


def test_conditional_get_with_last_modified_is_not_modified(server: Server) -> None:
    again = run(fetch(server.url("/etag"), last_modified=LAST_MODIFIED))
    assert again.not_modified and again.last_modified == LAST_MODIFIED and again.etag == ETAG


def test_one_host_gets_one_request_at_a_time_spaced_by_delay(server: Server) -> None:
    marker = token()

    async def four() -> None:
        async with Fetcher(settings(delay=0.2)) as fetcher:
            await asyncio.gather(
                *(fetcher.fetch_page(server.url(f"/slow?seconds=0.05&{marker}={i}")) for i in range(4))
            )

    run(four())
    seen = sorted((s for s in server.hits("/slow") if marker in s.path), key=lambda s: s.start)
    assert len(seen) == 4
    for before, after in itertools.pairwise(seen):
        assert after.start >= before.replied, "two requests to one host overlapped"
        assert after.start - before.start >= 0.15, "requests to one host closer than delay"


def test_a_private_address_is_refused_unless_allowed(server: Server) -> None:
    path = f"/page?{token()}"
    error = fetch_error(server.url(path), settings(allow_private=False))
    assert isinstance(error, PermanentFetchError) and "non-public address 127.0.0.1" in str(error)
    assert server.hits(path) == []


def test_a_tls_failure_is_permanent_and_not_retried(server: Server) -> None:
    sleeps = Sleeps()
    error = fetch_error(server.url("/page").replace("http://", "https://"), sleep=sleeps)
    assert isinstance(error, PermanentFetchError) and "TLS failure" in str(error)
    assert sleeps.calls == []


# --- narrow unit tests: httpx.MockTransport, fake time -------------------------------------------------------


Handler = Callable[[httpx.Request], httpx.Response] | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


def mock_fetcher(
    handler: Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]],
    config: Settings = SETTINGS,
    **seams: Any,
) -> Fetcher:
    return Fetcher(config, transport=httpx.MockTransport(handler), **seams)


def respond(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> httpx.Response:
    """A response still to be streamed: with `content=` httpx hands MockTransport responses back already read."""
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def html(request: httpx.Request) -> httpx.Response:
    return respond(200, PAGE_BYTES, {"Content-Type": "text/html"})


NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        (" 0 ", NOW),
        ("Thu, 01 Jan 2026 12:05:00 GMT", NOW + timedelta(minutes=5)),
        ("Thu, 01 Jan 2026 12:05:00 -0000", NOW + timedelta(minutes=5)),
        ("Thu, 01 Jan 2026 11:00:00 GMT", NOW - timedelta(hours=1)),  # past: retry at once (backoff still applies)
        ("99999999999999999999", NOW + timedelta(days=365)),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: datetime | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    def delays(seed: int) -> list[float]:
        rng = random.Random(seed)
        return [backoff_delay(n, base=2.0, cap=30.0, rng=rng) for n in range(8)]

    for attempt, delay in enumerate(delays(7)):
        ceiling = min(30.0, 2.0 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert delays(7) == delays(7) != delays(8)  # reproducible under a seed, and really random
    assert 15.0 <= backoff_delay(10_000, base=2.0, cap=30.0, rng=random.Random(7)) <= 30.0


def test_politeness_in_fake_time_spaces_starts_by_delay() -> None:
    fake, starts = FakeTime(), []

    def record(request: httpx.Request) -> httpx.Response:
        starts.append((fake.now - FakeTime().now).total_seconds())
        return html(request)

    async def three() -> None:
        config = settings(delay=5.0, respect_robots=False)
        async with mock_fetcher(record, config, clock=fake.clock, sleep=fake.sleep) as fetcher:
            await asyncio.gather(*(fetcher.fetch_page(f"http://a.example/{i}") for i in range(3)))

    run(three())
    assert starts == [0.0, 5.0, 10.0]


def test_the_global_cap_bounds_requests_in_flight() -> None:
    in_flight, peak = 0, 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return html(request)

    async def six_hosts() -> None:
        async with mock_fetcher(slow, settings(concurrency=2)) as fetcher:
            await asyncio.gather(*(fetcher.fetch_page(f"http://h{i}.example/") for i in range(6)))

    run(six_hosts())
    assert peak == 2


def test_a_redirect_to_a_private_address_is_refused_at_that_hop() -> None:
    asked: list[str] = []
    addresses = {"news.example": ["93.184.216.34"], "intranet.example": ["10.0.0.5"]}

    def redirect(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        return respond(302, headers={"Location": "http://intranet.example/admin"})

    async def resolve(host: str, port: int) -> list[str]:
        return addresses[host]

    async def go() -> Page:
        config = settings(allow_private=False, respect_robots=False)
        async with mock_fetcher(redirect, config, resolver=resolve) as fetcher:
            return await fetcher.fetch_page("http://news.example/a")

    with pytest.raises(PermanentFetchError) as caught:
        run(go())
    assert caught.value.url == "http://news.example/a" and "10.0.0.5" in str(caught.value)
    assert "intranet.example/admin" in str(caught.value) and asked == ["news.example"]


def test_a_redirect_to_another_scheme_is_permanent() -> None:
    def to_ftp(request: httpx.Request) -> httpx.Response:
        return respond(301, headers={"Location": "ftp://files.example/x"})

    async def go() -> Page:
        async with mock_fetcher(to_ftp, settings(respect_robots=False)) as fetcher:
            return await fetcher.fetch_page("http://news.example/a")

    with pytest.raises(PermanentFetchError, match="not an http"):
        run(go())


def test_a_far_retry_after_pauses_the_whole_host() -> None:
    asked: list[str] = []

    def busy(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return respond(503, headers={"Retry-After": "3600"})

    async def two() -> tuple[BaseException | Page, ...]:
        async with mock_fetcher(busy, settings(respect_robots=False), sleep=Sleeps()) as fetcher:
            first = await asyncio.gather(fetcher.fetch_page("http://busy.example/a"), return_exceptions=True)
            second = await asyncio.gather(fetcher.fetch_page("http://busy.example/b"), return_exceptions=True)
            return (*first, *second)

    first, second = run(two())
    assert isinstance(first, TransientFetchError) and isinstance(second, TransientFetchError)
    assert "pause" in str(second) and second.retry_at == first.retry_at
    assert asked == ["/a"]


def test_a_tls_verification_error_is_tried_once() -> None:
    calls = 0

    def bad_certificate(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
        except ssl.SSLError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    async def go() -> Page:
        async with mock_fetcher(bad_certificate, settings(respect_robots=False), sleep=Sleeps()) as fetcher:
            return await fetcher.fetch_page("https://selfsigned.example/")

    with pytest.raises(PermanentFetchError, match="TLS failure"):
        run(go())
    assert calls == 1


def test_a_plain_connect_error_is_retried_then_transient() -> None:
    calls = 0

    def refused(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("connection refused", request=request)

    async def go() -> Page:
        async with mock_fetcher(refused, settings(respect_robots=False), sleep=Sleeps()) as fetcher:
            return await fetcher.fetch_page("http://down.example/")

    with pytest.raises(TransientFetchError, match="connection failed"):
        run(go())
    assert calls == SETTINGS.max_retries + 1


def test_robots_txt_is_cached_for_its_ttl_and_then_fetched_again() -> None:
    fake, robots_hits = FakeTime(), []

    def site(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            robots_hits.append(fake.now)
            return respond(200, b"User-agent: *\nDisallow: /private\n", {"Content-Type": "text/plain"})
        return html(request)

    async def go() -> None:
        config = settings(respect_robots=True, robots_ttl=100.0)
        async with mock_fetcher(site, config, clock=fake.clock, sleep=fake.sleep) as fetcher:
            await fetcher.fetch_page("http://site.example/1")
            fake.now += timedelta(seconds=50)
            await fetcher.fetch_page("http://site.example/2")
            fake.now += timedelta(seconds=60)
            await fetcher.fetch_page("http://site.example/3")

    run(go())
    assert len(robots_hits) == 2


def test_raw_deflate_is_decoded_too() -> None:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = packer.compress(PAGE_BYTES) + packer.flush()

    def deflated(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "deflate"}
        return respond(200, raw, headers)

    async def go() -> Page:
        async with mock_fetcher(deflated, settings(respect_robots=False)) as fetcher:
            return await fetcher.fetch_page("http://old.example/")

    assert run(go()).content == PAGE_BYTES


def test_a_corrupt_gzip_body_is_permanent() -> None:
    def corrupt(request: httpx.Request) -> httpx.Response:
        body = gzip.compress(PAGE_BYTES)[:10] + b"garbage!"
        return respond(200, body, {"Content-Type": "text/html", "Content-Encoding": "gzip"})

    async def go() -> Page:
        async with mock_fetcher(corrupt, settings(respect_robots=False)) as fetcher:
            return await fetcher.fetch_page("http://broken.example/")

    with pytest.raises(PermanentFetchError, match="corrupt gzip body"):
        run(go())


def test_an_unreachable_robots_txt_is_remembered_so_other_urls_fail_fast() -> None:
    robots_hits = 0

    def down(request: httpx.Request) -> httpx.Response:
        nonlocal robots_hits
        robots_hits += request.url.path == "/robots.txt"
        return respond(502)

    async def two() -> list[Page | BaseException]:
        config = settings(respect_robots=True, max_retries=1)
        async with mock_fetcher(down, config, sleep=Sleeps()) as fetcher:
            urls = ("http://down.example/a", "http://down.example/b")
            return [*(await asyncio.gather(*(fetcher.fetch_page(u) for u in urls), return_exceptions=True))]

    errors = run(two())
    assert all(isinstance(e, TransientFetchError) and "robots.txt unavailable" in str(e) for e in errors)
    assert robots_hits == 2  # one try and one retry, for both URLs


def test_a_non_ascii_validator_is_not_sent_back() -> None:
    sent: list[httpx.Headers] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return html(request)

    async def go() -> Page:
        async with mock_fetcher(record, settings(respect_robots=False)) as fetcher:
            return await fetcher.fetch_page("http://site.example/", etag='"café"', last_modified=LAST_MODIFIED)

    assert run(go()).status == 200
    assert "if-none-match" not in sent[0] and sent[0]["if-modified-since"] == LAST_MODIFIED


def test_a_name_that_does_not_resolve_is_transient_with_a_retry_time() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    async def go() -> Page:
        async with mock_fetcher(html, settings(allow_private=False), resolver=nowhere) as fetcher:
            return await fetcher.fetch_page("http://gone.example/")

    with pytest.raises(TransientFetchError, match=r"cannot resolve gone\.example") as caught:
        run(go())
    assert caught.value.retry_at is not None and caught.value.retry_at > datetime.now(UTC)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xef\xbb\xbf  <!DOCTYPE html><html>", "text/html"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "text/html"),
        (b'<?xml version="1.0"?><urlset>', "application/xml"),
        (b"<rss version='2.0'>", "application/xml"),
        (b"<div>a fragment</div>", "text/html"),
        (b"%PDF-1.7", "application/pdf"),
        (b"\x1f\x8b\x08\x00", "application/gzip"),
        (b"\x00\x01\x02 binary", "application/octet-stream"),
        (b"just words", "text/plain"),
        (b"", "text/plain"),
    ],
)
def test_sniff_names_a_body_sent_without_content_type(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("/status/404", "http-404"),
        ("/status/410", "http-410"),
        ("/status/403", "http-4xx"),
        ("/status/503", "http-5xx"),
        ("/private/page", "robots"),
        ("/png", "not-html"),
        ("/loop/a", "redirect"),
        ("/big?size=20000000&length=1", "too-large"),
    ],
)
def test_every_failure_names_its_cause_for_the_stats(server: Server, path: str, cause: str) -> None:
    assert fetch_error(server.url(path), settings(max_retries=0)).cause == cause


# --- hostile servers: nothing but a FetchError comes out ------------------------------------------------------


LONG_HOST = "a" * 300


@pytest.mark.parametrize(
    ("location", "cause"),
    [
        ("data:text/html,<h1>hi</h1>", "invalid-url"),
        ("mailto:editor@news.example", "invalid-url"),
        ("javascript:alert(1)", "invalid-url"),
        ("about:blank", "invalid-url"),
        ("urn:isbn:0451450523", "invalid-url"),
        ("ftp://files.example/x", "invalid-url"),
        ("http://127.0.0.1:99999/", "invalid-url"),  # was an OverflowError from the socket layer
        ("http://news.example:99999/", "invalid-url"),
        ("http://127.0.0.1:0/", "invalid-url"),
        ("http://news.example:-1/", "invalid-url"),
        ("http://xn--/", "invalid-url"),  # was an idna.IDNAError from httpx.URL.host
        ("http://a..b/", "invalid-url"),
        ("http://" + "a" * 64 + ".example/", "invalid-url"),  # a label longer than 63: UnicodeError in getaddrinfo
        (f"http://{LONG_HOST}/", "invalid-url"),
        ("http://%zz/", "invalid-url"),
        ("http://bad host/", "invalid-url"),
        ("//:80/", "invalid-url"),
        ("https://:443", "invalid-url"),
        ("http://user:pw@/x", "invalid-url"),
        ("http://[::1/", "redirect"),  # these four were httpx.RemoteProtocolError or IDNAError from httpx's client
        ("http://256.1.1.1/", "redirect"),
        ("http://[v1.x]/", "redirect"),
        ("http://\u200b/", "redirect"),
        ("http://\udcff/", "redirect"),  # a lone 0xff byte on the wire
        ("http://" + "x" * 10_000, "redirect"),
        ("", "redirect"),
        ("http:", "redirect"),  # the same URL again: a loop
    ],
    ids=lambda value: repr(value)[:40],
)
def test_a_hostile_redirect_location_is_a_one_line_permanent_error(server: Server, location: str, cause: str) -> None:
    url = server.url("/to?location=" + quote(location, safe="", errors="surrogateescape"))
    error = fetch_error(url, settings(max_retries=0))
    assert isinstance(error, PermanentFetchError) and error.cause == cause, str(error)
    assert_one_line_about(error, url)


@pytest.mark.parametrize(
    ("location", "cause"),
    [("http://[::ffff:127.0.0.1]:1/", "private-address"), ("http://0x7f.1/", "private-address")],
)
def test_a_redirect_to_a_disguised_loopback_address_is_refused(location: str, cause: str) -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        return respond(302, headers={"Location": location})

    async def public(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "0x7f.1" else ["93.184.216.34"]  # what getaddrinfo answers for 0x7f.1

    async def go() -> Page:
        async with mock_fetcher(redirect, settings(allow_private=False), resolver=public) as fetcher:
            return await fetcher.fetch_page("http://news.example/a")

    with pytest.raises(PermanentFetchError) as caught:
        run(go())
    assert caught.value.cause == cause and "127.0.0.1" in str(caught.value)


LOCATION_PARTS = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(
            ["http://", "https://", "//", "ftp://", "data:", "", "HTTP://", "javascript:", "http:", "\\\\"]
        ),
        st.one_of(
            st.text(max_size=15),
            st.sampled_from(["[::1]", "[fe80::1%eth0]", "xn--", "xn--a", "a..b", "0x7f.1", "[v1.x]", "münchen.de"]),
            st.sampled_from(["ß.de", "[::ffff:10.0.0.1]", "10.0.0.1", "news.example", "u:p@h", "@", "a" * 70]),
        ),
        st.one_of(st.just(""), st.integers(-10, 10**6).map(lambda port: f":{port}"), st.text(max_size=5)),
        st.text(max_size=15),
    ),
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=40), LOCATION_PARTS))
def test_fetch_page_raises_only_fetch_errors_whatever_the_location(location: str) -> None:
    def site(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(302, headers=[(b"Location", location.encode("utf-8", errors="surrogatepass"))])
        return respond(404) if request.url.path == "/robots.txt" else html(request)

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    async def go() -> Page:
        async with mock_fetcher(site, settings(allow_private=False, max_retries=0), resolver=public) as fetcher:
            return await fetcher.fetch_page("http://news.example/start")

    try:
        run(go())
    except FetchError as error:  # anything else fails the test
        assert_one_line_about(error, "http://news.example/start")


@pytest.mark.parametrize(
    ("name", "kind", "cause"),
    [
        ("bad-length", TransientFetchError, "protocol"),
        ("superscript-length", TransientFetchError, "protocol"),
        ("two-lengths", TransientFetchError, "protocol"),
        ("bad-chunk", TransientFetchError, "protocol"),
        ("huge-chunk", TransientFetchError, "protocol"),
        ("short-body", TransientFetchError, "protocol"),
        ("no-response", TransientFetchError, "protocol"),
        ("not-http", TransientFetchError, "protocol"),
        ("bad-status", TransientFetchError, "protocol"),
        ("no-colon", TransientFetchError, "protocol"),
        ("nul-header", TransientFetchError, "protocol"),
        ("huge-header", TransientFetchError, "protocol"),
        ("status-101", TransientFetchError, "protocol"),
        ("status-999", TransientFetchError, "http-5xx"),
        ("superscript-retry-after", TransientFetchError, "http-5xx"),  # was a ValueError from int("²")
        ("far-retry-after", TransientFetchError, "http-5xx"),
        ("latin1-location", PermanentFetchError, "http-404"),  # followed, percent-encoded, to a missing page
    ],
)
def test_a_malformed_response_is_a_fetch_error_with_a_cause(
    server: Server, name: str, kind: type[FetchError], cause: str
) -> None:
    url = server.url(f"/raw/{name}")
    error = fetch_error(url, settings(max_retries=0))
    assert isinstance(error, kind) and error.cause == cause, str(error)
    assert_one_line_about(error, url)
    if isinstance(error, TransientFetchError) and error.retry_at is not None:
        assert error.retry_at - datetime.now(UTC) <= timedelta(days=366)


def test_every_malformed_response_is_covered() -> None:
    tested = {"bad-length", "superscript-length", "two-lengths", "bad-chunk", "huge-chunk", "short-body"}
    tested |= {"no-response", "not-http", "bad-status", "no-colon", "nul-header", "huge-header", "status-101"}
    tested |= {"status-999", "superscript-retry-after", "far-retry-after", "latin1-location", "latin1-headers"}
    assert tested == set(RAW)


def test_latin1_header_bytes_are_read_not_fatal(server: Server) -> None:
    page = run(fetch(server.url("/raw/latin1-headers")))
    assert page.status == 200 and ("x-note", "café") in page.headers


def test_a_content_length_that_only_looks_like_a_number_is_not_fatal() -> None:
    def superscript(request: httpx.Request) -> httpx.Response:  # h11 refuses it on the wire; a transport may not
        headers = [(b"Content-Type", b"text/html"), (b"Content-Length", "²".encode())]
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(PAGE_BYTES))

    async def go() -> Page:
        async with mock_fetcher(superscript, settings(respect_robots=False)) as fetcher:
            return await fetcher.fetch_page("http://odd.example/")

    assert run(go()).content == PAGE_BYTES


@pytest.mark.parametrize("etag", ['"café"', '"a\tb"', '"a\x7fb"'])
def test_a_validator_that_is_not_printable_ascii_is_not_sent_back(etag: str) -> None:
    sent: list[httpx.Headers] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return html(request)

    async def go() -> Page:
        async with mock_fetcher(record, settings(respect_robots=False)) as fetcher:
            return await fetcher.fetch_page("http://site.example/", etag=etag)

    assert run(go()).status == 200 and "if-none-match" not in sent[0]


HTTP_DATE_LIKE = r"(Mon|Fri|Xyz), \d{2} (Jan|Dec|Foo) \d{1,5} \d\d:\d\d:\d\d ([+-]\d{4}|GMT)"


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.from_regex(HTTP_DATE_LIKE, fullmatch=True)))
def test_parse_retry_after_never_raises_and_stays_within_a_year(value: str) -> None:
    when = parse_retry_after(value, NOW)
    if when is not None:
        assert abs(when.astimezone(UTC) - NOW) <= timedelta(days=365)


# --- robots.txt past the body cap: its first 500 KiB count (RFC 9309 §2.5) -------------------------------------


def robots_of(size: int, *, late: str = "") -> str:
    """Disallow /private, then comment lines up to `size` characters, then `late` (past 500 KiB if size is)."""
    head = "User-agent: *\nDisallow: /private\n"
    filler = "# " + "x" * 97 + "\n"
    return head + filler * ((size - len(head)) // len(filler)) + late


def test_a_2_mb_robots_txt_is_read_up_to_its_first_500_kib() -> None:
    with serve(robots_of(2 * 1024 * 1024, late="Disallow: /late\n")) as big:
        config = settings(respect_robots=True, max_retries=0)

        async def three() -> list[Page | BaseException]:
            async with Fetcher(config) as fetcher:
                urls = [big.url("/private/x"), big.url("/page"), big.url("/late")]
                return [*(await asyncio.gather(*(fetcher.fetch_page(u) for u in urls), return_exceptions=True))]

        private, page, late = run(three())
        assert isinstance(private, PermanentFetchError) and private.cause == "robots"
        assert isinstance(page, Page) and page.status == 200
        # The Disallow past 500 KiB is not read: /late is asked for (and is missing).
        assert isinstance(late, PermanentFetchError) and late.cause == "http-404" and big.hits("/late")
        assert big.hits("/private") == []


def test_a_robots_txt_larger_than_max_body_bytes_still_applies() -> None:
    config = settings(respect_robots=True, max_body_bytes=64 * 1024, max_decompressed_bytes=64 * 1024)
    with serve(robots_of(300 * 1024)) as site:
        error = fetch_error(site.url("/private/x"), config)
        assert run(fetch(site.url("/page"), config)).status == 200
        assert site.hits("/private") == []
    assert isinstance(error, PermanentFetchError) and error.cause == "robots"


@pytest.mark.parametrize(
    ("body", "limit", "expected"),
    [
        (b"a\nb\n", 10, b"a\nb\n"),  # shorter than the limit: whole, even the last line without newline
        (b"a\nbb", 10, b"a\nbb"),
        (b"a\nbbbb\ncc", 6, b"a\n"),  # longer: cut after the last whole line within the limit
        (b"a\nbbbb\ncc", 7, b"a\nbbbb\n"),
        (b"x" * 20, 6, b""),  # no whole line at all
    ],
)
def test_read_head_keeps_whole_lines_within_the_limit(body: bytes, limit: int, expected: bytes) -> None:
    response = respond(200, body)
    assert run(read_head("http://h.example/robots.txt", response, limit)) == expected


def test_read_head_inflates_gzip_only_as_far_as_the_limit() -> None:
    body = gzip.compress(b"Disallow: /x\n" * 1_000_000)  # 13 MB of text, 40 KB on the wire
    response = respond(200, body, {"Content-Encoding": "gzip"})
    head = run(read_head("http://h.example/robots.txt", response, ROBOTS_MAX_BYTES))
    assert len(head) <= ROBOTS_MAX_BYTES and head.endswith(b"\n") and head.startswith(b"Disallow: /x\n")
    assert len(head) > ROBOTS_MAX_BYTES - 20


# --- IPv6 literals, and connections pinned to the checked address ---------------------------------------------


@pytest.fixture(scope="module")
def server6() -> Iterator[Server]:
    """The test server on ::1; skipped only where ::1 cannot be bound."""
    with contextlib.ExitStack() as stack:
        try:
            if not socket.has_ipv6:
                raise OSError("Python built without IPv6")
            running = stack.enter_context(serve(host="::1"))
        except OSError as exc:
            pytest.skip(f"cannot bind ::1: {exc}")
        yield running


def test_an_ipv6_literal_host_fetches_the_page_and_its_robots_txt(server6: Server) -> None:
    assert server6.base.startswith("http://[::1]:")
    config = settings(respect_robots=True)
    page = run(fetch(server6.url("/page?v6"), config))
    error = fetch_error(server6.url("/private/x"), config)
    assert page.status == 200 and page.final_url == server6.url("/page?v6")
    assert isinstance(error, PermanentFetchError) and error.cause == "robots"
    assert server6.hits("/robots.txt") and server6.hits("/private") == []
    assert server6.hits("/page?v6")[-1].headers["host"] == f"[::1]:{server6.port}"


def test_a_resolved_name_connects_to_the_address_the_resolver_gave(server: Server) -> None:
    asked: list[tuple[str, int]] = []

    async def news_test(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["127.0.0.1"]

    marker = token()
    page = run(
        fetch(f"http://news.test:{server.port}/page?{marker}", settings(respect_robots=True), resolver=news_test)
    )
    assert page.status == 200 and page.content == PAGE_BYTES
    assert server.hits(f"/page?{marker}")[-1].headers["host"] == f"news.test:{server.port}"
    assert set(asked) == {("news.test", server.port)}  # resolved by our resolver, for the page and its robots.txt


def test_a_name_with_two_addresses_falls_back_to_the_second(server: Server) -> None:
    async def dual(host: str, port: int) -> list[str]:
        return ["127.0.0.2", "127.0.0.1"]  # nothing listens on 127.0.0.2 (Linux routes all of 127/8 to loopback)

    page = run(fetch(f"http://dual.test:{server.port}/page", settings(respect_robots=False), resolver=dual))
    assert page.status == 200


@pytest.mark.parametrize("respect_robots", [True, False])
def test_dns_rebinding_cannot_reach_a_private_address(respect_robots: bool) -> None:
    """The check sees a public address; a second answer, or the system's own (localhost is 127.0.0.1),
    must never be what the connection uses."""
    answers: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        answers.append("93.184.216.34" if not answers else "127.0.0.1")
        return answers[-1:]

    with serve() as local:
        url = f"http://localhost:{local.port}/page"
        config = settings(allow_private=False, respect_robots=respect_robots, timeout=0.5, max_retries=1)
        error = fetch_error(url, config, resolver=rebinding)
        assert local.log == []
    assert isinstance(error, TransientFetchError) and error.cause in ("connection", "timeout"), str(error)
    assert answers == (["93.184.216.34", "127.0.0.1"] if respect_robots else ["93.184.216.34"])


def test_tls_names_the_host_while_connecting_to_the_pinned_address() -> None:
    async def news_test(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with sni_server() as (port, names):
        error = fetch_error(f"https://news.test:{port}/", settings(respect_robots=False), resolver=news_test)
    assert isinstance(error, PermanentFetchError) and error.cause == "tls"  # verification stays on
    assert names == ["news.test"]


@pytest.fixture(scope="module")
def news_test_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """The test server over TLS with a self-signed certificate for news.test, and that certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=news.test"]
    command += ["-addext", "subjectAltName=DNS:news.test", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with serve(tls=context) as running:
        yield running, cert


async def loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def test_https_verifies_the_name_while_connecting_to_the_pinned_address(
    news_test_tls: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = news_test_tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, and nothing is unverified
    page = run(fetch(f"https://news.test:{server.port}/page", resolver=loopback))
    assert page.status == 200 and page.content == PAGE_BYTES
    assert server.hits("/page")[-1].headers["host"] == f"news.test:{server.port}"
    for name in ("other.test", "127.0.0.1"):  # same address, but not the name the certificate is for
        error = fetch_error(f"https://{name}:{server.port}/page", resolver=loopback)
        assert isinstance(error, PermanentFetchError) and error.cause == "tls" and "mismatch" in str(error)


def test_a_tls_record_that_does_not_decrypt_mid_body_is_transient(
    news_test_tls: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = news_test_tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    url = f"https://news.test:{server.port}/tls_garbage"
    error = fetch_error(url, settings(max_retries=0), resolver=loopback)  # was a bare ssl.SSLError
    assert isinstance(error, TransientFetchError) and error.cause == "connection" and "SSLError" in str(error)
    assert_one_line_about(error, url)


def test_a_huge_crawl_delay_pauses_the_host_instead_of_overflowing() -> None:
    with serve("User-agent: *\nCrawl-delay: 1e308\n") as slow:

        async def two() -> list[Page | BaseException]:
            async with Fetcher(settings(respect_robots=True)) as fetcher:
                first = await fetcher.fetch_page(slow.url("/page?1"))
                return [first, *(await asyncio.gather(fetcher.fetch_page(slow.url("/page?2")), return_exceptions=True))]

        first, second = run(two())
    assert isinstance(first, Page)
    assert isinstance(second, TransientFetchError) and second.cause == "host-pause"


ROBOTS_LINE = st.one_of(
    st.text(max_size=30),
    st.builds(
        "{}: {}".format,
        st.sampled_from(["User-agent", "Disallow", "Allow", "Crawl-delay", "Request-rate", "Sitemap", "Visit-time"]),
        st.one_of(
            st.text(max_size=20), st.sampled_from(["*", "/", "1e308", "1e999", "-1", "nan", "1/0", "/%zz", "/["])
        ),
    ),
)


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROBOTS_LINE, max_size=8), st.sampled_from(["/page", "/p%zz", "/p?q=%ff", "/[x]", "/%00"]))
def test_fetch_page_raises_only_fetch_errors_whatever_robots_txt_says(lines: list[str], path: str) -> None:
    robots = ("User-agent: *\n" + "\n".join(lines)).encode("utf-8", errors="surrogatepass")

    def site(request: httpx.Request) -> httpx.Response:
        return (
            respond(200, robots, {"Content-Type": "text/plain"}) if request.url.path == "/robots.txt" else html(request)
        )

    async def two() -> None:
        async with mock_fetcher(site, settings(respect_robots=True, max_retries=0)) as fetcher:
            for url in ("http://news.example" + path, "http://news.example/second"):
                with contextlib.suppress(FetchError):  # anything else fails the test
                    await fetcher.fetch_page(url)

    run(two())
