"""The fetch step against a real HTTP server on 127.0.0.1, plus narrow unit tests on httpx.MockTransport.

Coroutines run under `asyncio.run` inside plain tests. Time-sensitive tests assert order and minimum gaps with
generous margins; the ones about backoff and Retry-After inject a sleep that records instead of waiting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import itertools
import random
import ssl
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from scraper.config import Settings
from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch import ANY, HTML, XML, Accept, Fetcher, backoff_delay, parse_retry_after
from scraper.fetch_body import sniff
from scraper.models import Page
from tests.fetch_server import ETAG, FEED, LAST_MODIFIED, PAGE_BYTES, Server, serve

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


async def fetch(
    url: str,
    config: Settings = SETTINGS,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    accept: Accept = HTML,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Page:
    async with Fetcher(config, sleep=sleep) as fetcher:
        return await fetcher.fetch_page(url, accept=accept, etag=etag, last_modified=last_modified)


def fetch_error(url: str, config: Settings = SETTINGS, *, sleep: Sleeps | None = None) -> FetchError:
    with pytest.raises(FetchError) as caught:
        run(fetch(url, config, sleep=sleep or Sleeps()))
    return caught.value


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
