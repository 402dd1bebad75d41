"""The network end of the fetch step: which URLs may be asked for, which address a request connects to, and what
a transport failure means.

::

    parse_url(url) ─► connect_target ─► lookup (resolver) ─► check_addresses ─► Pins ─► PinnedTransport

- `parse_url` accepts only http(s) URLs with a well-formed host and a port in range, so nothing a hostile
  Location header says reaches the socket layer as an OverflowError or an IDNA error;
- `check_addresses` refuses loopback, private, link-local and reserved answers (the SSRF guard);
- `LocationShield` keeps httpx's client from parsing a redirect's Location (it does even with redirects off,
  and raises on a hostile one before the fetcher sees the response); `next_hop` reads it instead;
- `PinnedTransport` is httpx's own transport whose connections go to the addresses the fetcher resolved and
  checked for that host (`Pins`), never to a second DNS answer (DNS rebinding). TLS still verifies the
  certificate against the host name, sent as SNI, and the Host header still names the host;
- `transport_error` turns an httpx transport failure into a `TransientFetchError` or `PermanentFetchError`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence

import httpcore
import httpx

from scraper.errors import FetchError, PermanentFetchError, TransientFetchError

__all__ = [
    "LOCATION",
    "REDIRECTS",
    "Address",
    "LocationShield",
    "PinnedBackend",
    "PinnedTransport",
    "Pins",
    "Resolver",
    "check_addresses",
    "connect_target",
    "host_key",
    "ip_literal",
    "lookup",
    "next_hop",
    "parse_url",
    "resolve",
    "shorten",
    "transport_error",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (ASCII host, port) -> the addresses checked for it: written by the fetcher, read when a connection is made.
Pins = dict[tuple[str, int], tuple[str, ...]]
Resolver = Callable[[str, int], Awaitable[list[str]]]  # (host, port) -> addresses, as strings

DEFAULT_PORTS = {"http": 80, "https": 443}
LOCATION = "x-scraper-location"  # where `LocationShield` puts a redirect's Location
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# RFC 1123 host names, plus "_" that real DNS names carry; IDNs arrive here already as xn-- A-labels.
LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
MAX_HOST_LENGTH = 253
MAX_LOCATION_LENGTH = 8192  # no link to an article is longer; a 1 MB data: URL is refused before parsing
MESSAGE_URL_LENGTH = 200  # a 100 KB data: URL in a Location still makes a one-line, readable error


def parse_url(url: str) -> httpx.URL:
    """`url` parsed, or `PermanentFetchError` 'invalid-url': not http(s), a malformed host, a port out of range."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decodes xn-- labels, and raises on a malformed one ("xn--") that parsing let through
    except (httpx.InvalidURL, ValueError) as exc:  # idna.IDNAError is a UnicodeError, not an InvalidURL
        raise PermanentFetchError(url, f"invalid URL: {shorten(str(exc))}", cause="invalid-url") from exc
    if parsed.scheme not in DEFAULT_PORTS or not parsed.raw_host:
        raise PermanentFetchError(url, "not an http(s) URL", cause="invalid-url")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise PermanentFetchError(url, f"invalid URL: port {parsed.port} out of range", cause="invalid-url")
    if not _valid_host(parsed.raw_host.decode("ascii", errors="replace")):
        raise PermanentFetchError(url, f"invalid URL: bad host {shorten(host)!r}", cause="invalid-url")
    return parsed


def _valid_host(host: str) -> bool:
    if ip_literal(host) is not None:
        return True
    labels = host.removesuffix(".").split(".")
    return len(host) <= MAX_HOST_LENGTH and all(LABEL.fullmatch(label) for label in labels)


def ip_literal(host: str) -> Address | None:
    """`host` as an IP address if it is one (IPv6 without brackets), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def next_hop(url: str, status: int, location: str | None, seen: Sequence[str], cap: int) -> str:
    """The absolute URL a redirect from `url` points to, without fragment; `PermanentFetchError` 'redirect' if
    there is none, it cannot be read, it was `seen` or the chain is past `cap` hops. Whether it may be fetched
    is `parse_url`'s question, at that hop."""
    target = _redirect_target(url, status, location)
    if target in seen:
        raise PermanentFetchError(url, f"redirect loop back to {shorten(target)}", cause="redirect")
    if len(seen) > cap:
        raise PermanentFetchError(url, f"more than {cap} redirects", cause="redirect")
    return target


def _redirect_target(url: str, status: int, location: str | None) -> str:
    if not location:
        raise PermanentFetchError(url, f"HTTP {status} redirect without a Location", cause="redirect")
    if len(location) > MAX_LOCATION_LENGTH:
        message = f"redirect Location of {len(location)} characters: {shorten(location)!r}"
        raise PermanentFetchError(url, message, cause="redirect")
    try:
        return str(httpx.URL(url).join(location).copy_with(fragment=None))
    except (httpx.InvalidURL, ValueError) as exc:  # idna.IDNAError is a UnicodeError (a ValueError)
        message = f"bad redirect Location {shorten(location)!r} ({shorten(str(exc))})"
        raise PermanentFetchError(url, message, cause="redirect") from exc


def connect_target(url: httpx.URL) -> tuple[str, int]:
    """The (ASCII host, port) a request for `url` connects to: the key of `Pins`, as httpcore spells it."""
    return url.raw_host.decode("ascii"), url.port or DEFAULT_PORTS[url.scheme]


def host_key(url: httpx.URL) -> str:
    """host[:port], IPv6 in brackets: the unit of politeness, and with the scheme the origin robots.txt covers."""
    return url.netloc.decode("ascii")


def shorten(text: str) -> str:
    """`text` cut to a length that keeps an error message one readable line."""
    return text if len(text) <= MESSAGE_URL_LENGTH else text[: MESSAGE_URL_LENGTH - 1] + "…"


async def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (the fetcher's default resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def lookup(url: str, host: str, port: int, resolver: Resolver) -> list[Address]:
    """The addresses of `host`: itself if an IP literal, else `resolver`'s answer; `TransientFetchError` 'dns'."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        addresses = [ipaddress.ip_address(found) for found in await resolver(host, port)]
    except (OSError, ValueError) as exc:  # ValueError: UnicodeError from the idna codec, or an answer not an address
        message = f"cannot resolve {host}: {shorten(f'{type(exc).__name__}: {exc}')}"
        raise TransientFetchError(url, message, cause="dns") from exc
    if not addresses:
        raise TransientFetchError(url, f"cannot resolve {host}: no addresses", cause="dns")
    return addresses


def check_addresses(url: str, addresses: Iterable[Address]) -> None:
    """`PermanentFetchError` 'private-address' if any address is not public (SSRF guard)."""
    bad = next((a for a in addresses if not a.is_global or a.is_multicast), None)
    if bad is not None:
        message = f"refusing non-public address {bad} (allow_private is off)"
        raise PermanentFetchError(url, message, cause="private-address")


class PinnedBackend(httpcore.AnyIOBackend):
    """Connects to the pinned addresses of a host, in order, instead of resolving the name again."""

    def __init__(self, pins: Pins) -> None:
        self._pins = pins

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self._pins.get((host, port))
        if not addresses:  # every hop is pinned before its request; an unpinned host is a bug, not a fallback
            raise httpcore.ConnectError(f"no checked address for {host}:{port}")
        for address in addresses[:-1]:
            try:
                return await super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue  # a dual-stack host whose first address is unreachable: the next one
        return await super().connect_tcp(addresses[-1], port, timeout, local_address, socket_options)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with `PinnedBackend` under its pool: httpx takes no network backend, httpcore does."""

    def __init__(self, pins: Pins, limits: httpx.Limits) -> None:
        super().__init__(verify=True, limits=limits)
        # `_pool` is private, but handle_async_request only uses it; the news.test tests fail if that changes.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=True),  # verification on, hostname checked via SNI
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(pins),
        )


class LocationShield(httpx.AsyncBaseTransport):
    """Wraps a transport; a redirect comes back with its Location header renamed to `LOCATION`.

    httpx's client builds the next request of every redirect, `follow_redirects` or not, and raises
    RemoteProtocolError, InvalidURL or an IDNA UnicodeError on a Location it cannot parse: the fetcher would lose
    the response and the Location it wants to name in its error.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if response.status_code not in REDIRECTS:
            return response
        headers = [(k, v) for k, v in response.headers.raw if k.lower() != LOCATION.encode()]
        renamed = [(LOCATION.encode() if k.lower() == b"location" else k, v) for k, v in headers]
        return httpx.Response(
            response.status_code, headers=renamed, stream=response.stream, extensions=response.extensions
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def transport_error(url: str, exc: httpx.TransportError | ssl.SSLError) -> FetchError:
    """What a transport failure means for `url`: permanent if retrying cannot help, else transient.

    A bare `ssl.SSLError` is one after the handshake (a record that does not decrypt): the certificate was fine,
    so it reads as a broken connection; httpcore wraps handshake failures in ConnectError.
    """
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):  # our request is wrong; no retry helps
        return PermanentFetchError(url, f"cannot send the request: {exc}", cause="invalid-url")
    if isinstance(exc, httpx.ConnectError) and _caused_by_tls(exc):
        # A bad certificate or handshake will not heal by retrying, and verification is never turned off.
        return PermanentFetchError(url, f"TLS failure: {exc}", cause="tls")
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.RemoteProtocolError):  # a malformed response, or a hang-up before one: may pass
        return TransientFetchError(url, f"bad HTTP response ({shorten(detail)})", cause="protocol")
    return TransientFetchError(url, f"connection failed ({shorten(detail)})", cause="connection")


def _caused_by_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
