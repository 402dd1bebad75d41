"""The network end of the fetch step, unit by unit: URL checks, redirect targets, addresses, pinned connections
and the meaning of transport failures. The fetcher's use of them is tested on a real server in test_fetch.py."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpcore
import httpx
import pytest

from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch_transport import (
    LOCATION,
    LocationShield,
    PinnedBackend,
    check_addresses,
    connect_target,
    host_key,
    lookup,
    next_hop,
    parse_url,
    transport_error,
)

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.mark.parametrize(
    "url",
    [
        "http://news.example/a?b=c",
        "https://NEWS.example:8443/",
        "http://münchen.de/",  # an IDN: httpx encodes it to xn--mnchen-3ya.de
        "http://_dmarc.news.example/",
        "http://news.example./",
        "http://127.0.0.1:65535/",
        "http://[::1]:8080/",
        "http://[fe80::1%25eth0]/",
    ],
)
def test_parse_url_accepts_http_urls_with_a_sound_host_and_port(url: str) -> None:
    assert parse_url(url).scheme in ("http", "https")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("data:text/html,hi", "not an http(s) URL"),
        ("mailto:a@news.example", "not an http(s) URL"),
        ("ftp://news.example/", "not an http(s) URL"),
        ("http:///path", "not an http(s) URL"),
        ("http://news.example:99999/", "port 99999 out of range"),
        ("http://news.example:0/", "port 0 out of range"),
        ("http://xn--/", "Malformed A-label"),
        ("http://[::1/", "Invalid port"),
        ("http://a..b/", "bad host"),
        ("http://" + "a" * 64 + ".example/", "bad host"),
        ("http://" + "a." * 130 + "example/", "bad host"),  # past 253 characters
        ("http://%zz/", "bad host"),
        ("http://bad host/", "bad host"),
        ("http://\x00/", "invalid URL"),
    ],
)
def test_parse_url_refuses_what_cannot_be_connected_to(url: str, words: str) -> None:
    with pytest.raises(PermanentFetchError, match=r"invalid URL|not an http") as caught:
        parse_url(url)
    assert caught.value.cause == "invalid-url" and words in str(caught.value) and caught.value.url == url


@pytest.mark.parametrize(
    ("url", "key", "target"),
    [
        ("http://news.example/a", "news.example", ("news.example", 80)),
        ("https://news.example:443/a", "news.example", ("news.example", 443)),
        ("http://news.example:8080/a", "news.example:8080", ("news.example", 8080)),
        ("http://[::1]:8080/a", "[::1]:8080", ("::1", 8080)),
        ("http://[::1]/a", "[::1]", ("::1", 80)),
        ("https://münchen.de/", "xn--mnchen-3ya.de", ("xn--mnchen-3ya.de", 443)),
        ("http://user:pw@news.example/", "news.example", ("news.example", 80)),
    ],
)
def test_host_key_brackets_ipv6_and_connect_target_is_what_httpcore_asks_for(
    url: str, key: str, target: tuple[str, int]
) -> None:
    parsed = parse_url(url)
    assert host_key(parsed) == key and connect_target(parsed) == target
    assert parse_url(f"{parsed.scheme}://{key}/robots.txt").netloc.decode() == key  # an origin that parses back


@pytest.mark.parametrize(
    ("location", "target"),
    [
        ("/b", "http://news.example/b"),
        ("b?x=1#top", "http://news.example/dir/b?x=1"),
        ("//other.example/c", "http://other.example/c"),
        ("https://other.example/d#frag", "https://other.example/d"),
        ("mailto:a@b.example", "mailto:a@b.example"),  # readable: refusing it is the next hop's parse_url
    ],
)
def test_next_hop_resolves_the_location_against_the_hop(location: str, target: str) -> None:
    assert next_hop("http://news.example/dir/a", 302, location, ["http://news.example/dir/a"], 5) == target


@pytest.mark.parametrize(
    ("location", "seen", "words"),
    [
        (None, [], "redirect without a Location"),
        ("", [], "redirect without a Location"),
        ("/a", ["http://news.example/a"], "redirect loop back to http://news.example/a"),
        ("/z", ["1", "2", "3", "4"], "more than 3 redirects"),
        ("http://[::1/", [], "bad redirect Location 'http://[::1/'"),
        ("http://256.1.1.1/", [], "Invalid IPv4 address"),
        ("http://\u200b/", [], "Invalid IDNA hostname"),
        ("/" + "x" * 9000, [], "redirect Location of 9001 characters"),
    ],
)
def test_next_hop_refuses_a_missing_unreadable_or_looping_location(
    location: str | None, seen: list[str], words: str
) -> None:
    with pytest.raises(PermanentFetchError) as caught:
        next_hop("http://news.example/a", 301, location, seen, 3)
    assert caught.value.cause == "redirect" and words in str(caught.value)
    assert len(str(caught.value)) < 400


def test_location_shield_renames_a_redirect_location_and_drops_a_forged_one() -> None:
    def site(request: httpx.Request) -> httpx.Response:
        status = 302 if request.url.path == "/moved" else 201
        return httpx.Response(status, headers=[("Location", "http://[::1/"), (LOCATION, "http://forged.example/")])

    async def go(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=LocationShield(httpx.MockTransport(site))) as client:
            return await client.get(f"http://news.example{path}")

    moved = run(go("/moved"))  # without the shield, httpx raises RemoteProtocolError here
    assert moved.headers.get_list(LOCATION) == ["http://[::1/"] and "location" not in moved.headers
    assert run(go("/created")).headers["location"] == "http://[::1/"  # not a redirect: untouched


def test_check_addresses_refuses_any_non_public_answer() -> None:
    public = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("2606:2800:220:1::1")]
    check_addresses("http://a.example/", public)
    for bad in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fe80::1", "224.0.0.1"):
        with pytest.raises(PermanentFetchError, match=re.escape(f"non-public address {ipaddress.ip_address(bad)} ")):
            check_addresses("http://a.example/", [*public, ipaddress.ip_address(bad)])


def test_lookup_takes_an_ip_literal_as_it_is_and_asks_the_resolver_otherwise() -> None:
    asked: list[tuple[str, int]] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.216.34", "2606:2800:220:1::1"]

    assert run(lookup("http://[::1]/", "::1", 80, resolver)) == [ipaddress.ip_address("::1")]
    assert len(run(lookup("http://a.example/", "a.example", 443, resolver))) == 2
    assert asked == [("a.example", 443)]


@pytest.mark.parametrize(
    "failure",
    [
        socket.gaierror(-2, "Name or service not known"),
        UnicodeError("encoding with 'idna' codec failed (UnicodeError: label too long)"),
        [],  # an empty answer
        ["not-an-address"],
    ],
    ids=["gaierror", "idna", "empty", "garbage"],
)
def test_lookup_turns_every_resolver_failure_into_a_dns_error(failure: Exception | list[str]) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        if isinstance(failure, Exception):
            raise failure
        return failure

    with pytest.raises(TransientFetchError, match=r"cannot resolve a\.example") as caught:
        run(lookup("http://a.example/", "a.example", 80, resolver))
    assert caught.value.cause == "dns"


def test_the_pinned_backend_refuses_a_host_it_was_not_given() -> None:
    backend = PinnedBackend({("a.example", 80): ("127.0.0.1",)})
    with pytest.raises(httpcore.ConnectError, match=r"no checked address for b\.example:80"):
        run(backend.connect_tcp("b.example", 80))
    with pytest.raises(httpcore.ConnectError, match=r"no checked address for a\.example:81"):
        run(backend.connect_tcp("a.example", 81))


def tls_error() -> httpx.ConnectError:
    try:
        raise ssl.SSLCertVerificationError("certificate verify failed")
    except ssl.SSLError as exc:
        try:
            raise httpx.ConnectError(str(exc)) from exc
        except httpx.ConnectError as wrapped:
            return wrapped


@pytest.mark.parametrize(
    ("exc", "kind", "cause"),
    [
        (httpx.RemoteProtocolError("illegal header line"), TransientFetchError, "protocol"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), TransientFetchError, "protocol"),
        (httpx.ReadError(""), TransientFetchError, "connection"),
        (httpx.ConnectError("All connection attempts failed"), TransientFetchError, "connection"),
        (tls_error(), PermanentFetchError, "tls"),
        (httpx.LocalProtocolError("Illegal header value"), PermanentFetchError, "invalid-url"),
        (
            httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'"),
            PermanentFetchError,
            "invalid-url",
        ),
    ],
)
def test_transport_error_says_whether_retrying_can_help(
    exc: httpx.TransportError, kind: type[FetchError], cause: str
) -> None:
    error = transport_error("http://a.example/", exc)
    assert type(error) is kind and error.cause == cause and str(error).startswith("http://a.example/: ")
