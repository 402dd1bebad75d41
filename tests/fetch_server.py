"""A real HTTP server on 127.0.0.1 for the fetch tests: one route per behaviour, and a log of what it was asked.

Routes (GET):

- ``/robots.txt``                 the server's robots text, or its status code if it was given an int
- ``/page``, ``/private/...``     a small HTML page (robots.txt disallows ``/private``)
- ``/status/<code>``              that status, empty body
- ``/flaky/<token>?fails=N&code=C&retry_after=R``  status C (with Retry-After R; ``date:S`` means an HTTP-date
  S seconds ahead) for the first N requests of that token, then the page
- ``/slow?seconds=S``             the page after S seconds
- ``/drip?seconds=S``             one byte every 0.1 s for S seconds: no single read ever times out
- ``/reset``                      promises 10000 bytes, sends 100, then resets the connection
- ``/redirect/<n>``               a chain of n redirects ending at ``/redirect/0`` (the page)
- ``/loop/a``, ``/loop/b``        redirect to each other
- ``/big?size=N&length=0|1``      N bytes of HTML, with or without Content-Length
- ``/bomb``                       Content-Encoding gzip of 30 MB of zeros (about 30 KB on the wire)
- ``/gzip``                       the page, gzip-encoded
- ``/charset``                    UTF-8 bytes under a header that claims iso-8859-1
- ``/png``, ``/untyped/png``, ``/untyped/html``   binary and HTML, with and without Content-Type
- ``/feed``                       an RSS feed (application/rss+xml)
- ``/etag``                       the page with ETag and Last-Modified; 304 when either matches
- ``/to?location=L``              302 to L, sent as its UTF-8 bytes whatever they are (an empty L: an empty header)
- ``/raw/<name>``                 the bytes of ``RAW[name]`` written straight to the socket, then a hang-up
- ``/tls_garbage``                over TLS: the headers and 6 of 1000 bytes, then a record that cannot be decrypted

`serve` listens on 127.0.0.1, or on ``::1``, over TLS if given a context; `sni_server` only records the name a TLS
client asks for.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = "<!doctype html><html><head><title>Berita</title></head><body><p>Isi berita: café.</p></body></html>"
PAGE_BYTES = PAGE.encode("utf-8")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
DEFAULT_ROBOTS = "User-agent: *\nDisallow: /private\n"

# Responses no well-behaved server sends, each one breaking HTTP/1.1 in its own way.
RAW = {
    "bad-length": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: abc\r\n\r\n<html>",
    "superscript-length": b"HTTP/1.1 200 OK\r\nContent-Length: \xc2\xb2\r\n\r\n<html>",
    "two-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 9\r\n\r\n<html>",
    "bad-chunk": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"zz\r\nhi\r\n0\r\n\r\n",
    "huge-chunk": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"f" * 40
    + b"\r\nhi",
    "short-body": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n<html>",
    "no-response": b"",
    "not-http": b"hello, this is not HTTP\r\n\r\n",
    "bad-status": b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
    "no-colon": b"HTTP/1.1 200 OK\r\nthis line has no colon\r\nContent-Length: 0\r\n\r\n",
    "nul-header": b"HTTP/1.1 200 OK\r\nX-Note: a\x00b\r\nContent-Length: 0\r\n\r\n",
    "huge-header": b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * 300_000 + b"\r\nContent-Length: 0\r\n\r\n",
    "status-999": b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
    "status-101": b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: weird\r\n\r\nxx",
    "latin1-headers": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xff\r\nX-Note: caf\xe9\r\n"
    + b"Content-Length: 6\r\n\r\n<html>",
    "latin1-location": b"HTTP/1.1 302 Found\r\nLocation: /\xff\xfe\x80\r\nContent-Length: 0\r\n\r\n",
    "superscript-retry-after": b"HTTP/1.1 503 Busy\r\nRetry-After: \xc2\xb2\r\nContent-Length: 0\r\n\r\n",
    "far-retry-after": b"HTTP/1.1 503 Busy\r\nRetry-After: Fri, 31 Dec 9999 23:59:59 -0100\r\n"
    + b"Content-Length: 0\r\n\r\n",
}


@dataclass(slots=True)
class Seen:
    """One request as the server saw it: logged on arrival, so a client that has its answer finds it here.

    `start` is when the request arrived and `replied` when the answer began (monotonic): a client cannot have
    read a response before `replied`, so `next.start >= previous.replied` proves the requests did not overlap.
    """

    path: str
    headers: dict[str, str]
    start: float
    replied: float = float("inf")


class Server(ThreadingHTTPServer):
    """The test server: its robots answer, the request log, and per-token counters for /flaky."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, robots: str | int, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6  # read by the base __init__ when it creates the socket
        super().__init__((host, 0), Handler)
        self.scheme = "http" if tls is None else "https"
        if tls is not None:  # the handshake happens in accept(); a failed one is an OSError the server shrugs off
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.robots = robots
        self.log: list[Seen] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT, or http://[::1]:PORT (https when serving TLS)"""
        host = str(self.server_address[0])
        return f"{self.scheme}://[{host}]:{self.port}" if ":" in host else f"{self.scheme}://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, prefix: str) -> list[Seen]:
        """The requests whose path starts with `prefix`, in arrival order."""
        with self.lock:
            return [seen for seen in self.log if seen.path.startswith(prefix)]

    def count(self, key: str) -> int:
        """How many times `key` was asked for, this one included."""
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients that hang up on a big body or a slow answer are the point of several tests."""


class Handler(BaseHTTPRequestHandler):
    """Routes a GET to the method named after the first path segment."""

    server: Server

    seen: Seen

    def do_GET(self) -> None:
        self.seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        with self.server.lock:
            self.server.log.append(self.seen)
        parts = urlsplit(self.path)
        route = parts.path.strip("/").split("/")[0].replace(".", "_") or "page"
        with contextlib.suppress(OSError):  # the client hung up: expected for caps and timeouts
            getattr(self, f"route_{route}", self.route_missing)(parts.path, parse_qs(parts.query))

    def send_response(self, code: int, message: str | None = None) -> None:
        self.seen.replied = min(self.seen.replied, time.monotonic())
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_page(self) -> None:
        self.send(200, PAGE_BYTES, {"Content-Type": "text/html; charset=utf-8"})

    def route_missing(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(404)

    def route_robots_txt(self, path: str, query: dict[str, list[str]]) -> None:
        robots = self.server.robots
        if isinstance(robots, int):
            self.send(robots)
        else:
            self.send(200, robots.encode(), {"Content-Type": "text/plain"})

    def route_page(self, path: str, query: dict[str, list[str]]) -> None:
        self.send_page()

    route_private = route_page

    def route_status(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(int(path.rsplit("/", 1)[1]))

    def route_flaky(self, path: str, query: dict[str, list[str]]) -> None:
        if self.server.count(path) > int(query["fails"][0]):
            self.send_page()
            return
        headers = {}
        if "retry_after" in query:
            value = query["retry_after"][0]
            if value.startswith("date:"):
                value = formatdate(time.time() + float(value[5:]), usegmt=True)
            headers["Retry-After"] = value
        self.send(int(query.get("code", ["503"])[0]), b"busy", headers)

    def route_slow(self, path: str, query: dict[str, list[str]]) -> None:
        time.sleep(float(query["seconds"][0]))
        self.send_page()

    def route_drip(self, path: str, query: dict[str, list[str]]) -> None:
        ticks = int(float(query["seconds"][0]) / 0.1)
        self.send(200, b"", {"Content-Type": "text/html", "Content-Length": str(ticks)})
        for _ in range(ticks):
            time.sleep(0.1)
            self.wfile.write(b"a")

    def route_reset(self, path: str, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "10000")
        self.end_headers()
        self.wfile.write(b"<html>" + b"x" * 94)
        # SO_LINGER 0: close() sends RST, so the client sees a reset, not a clean end of stream.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def route_redirect(self, path: str, query: dict[str, list[str]]) -> None:
        hops = int(path.rsplit("/", 1)[1])
        if hops == 0:
            self.send_page()
        else:
            self.send(302, b"", {"Location": f"/redirect/{hops - 1}"})

    def route_loop(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(301, b"", {"Location": "/loop/b" if path.endswith("/a") else "/loop/a"})

    def route_big(self, path: str, query: dict[str, list[str]]) -> None:
        size = int(query["size"][0])
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if query.get("length") != ["0"]:  # without it the body ends when the connection closes (HTTP/1.0)
            self.send_header("Content-Length", str(size))
        self.end_headers()
        for offset in range(0, size, 65536):
            self.wfile.write(b"a" * min(65536, size - offset))

    def route_bomb(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(200, gzip_bomb(), {"Content-Type": "text/html", "Content-Encoding": "gzip"})

    def route_gzip(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(200, gzip.compress(PAGE_BYTES), {"Content-Type": "text/html", "Content-Encoding": "gzip"})

    def route_charset(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(200, PAGE_BYTES, {"Content-Type": "text/html; charset=iso-8859-1"})

    def route_png(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(200, PNG, {"Content-Type": "image/png"})

    def route_untyped(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(200, PNG if path.endswith("/png") else PAGE_BYTES)

    def route_feed(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(200, FEED, {"Content-Type": "application/rss+xml; charset=utf-8"})

    def route_etag(self, path: str, query: dict[str, list[str]]) -> None:
        if self.headers.get("If-None-Match") == ETAG or self.headers.get("If-Modified-Since") == LAST_MODIFIED:
            self.send(304, b"", {"ETag": ETAG})
        else:
            self.send(200, PAGE_BYTES, {"Content-Type": "text/html", "ETag": ETAG, "Last-Modified": LAST_MODIFIED})

    def route_to(self, path: str, query: dict[str, list[str]]) -> None:
        location = query.get("location", [""])[0].encode("utf-8", errors="surrogateescape")
        # send_header would encode as Latin-1 and refuse the rest; a hostile server sends any bytes.
        self.write_raw(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")

    def route_tls_garbage(self, path: str, query: dict[str, list[str]]) -> None:
        self.send(200, b"<html>", {"Content-Type": "text/html", "Content-Length": "1000"})
        # A TLS application-data record of garbage written under the TLS layer: the client cannot decrypt it.
        os.write(self.connection.fileno(), b"\x17\x03\x03\x00\x20" + b"garbage!" * 4)

    def route_raw(self, path: str, query: dict[str, list[str]]) -> None:
        self.write_raw(RAW[path.rsplit("/", 1)[1]])

    def write_raw(self, response: bytes) -> None:
        self.seen.replied = time.monotonic()
        self.wfile.write(response)
        self.close_connection = True


@functools.cache
def gzip_bomb() -> bytes:
    """30 MB of zeros, gzip-compressed to about 30 KB."""
    return gzip.compress(bytes(30 * 1024 * 1024), compresslevel=9)


@contextmanager
def serve(
    robots: str | int = DEFAULT_ROBOTS, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
) -> Iterator[Server]:
    """A running `Server` on a free port of `host` (127.0.0.1 or ::1), over TLS if given; shut down on exit."""
    server = Server(robots, host, tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def sni_server() -> Iterator[tuple[int, list[str]]]:
    """A TLS listener on 127.0.0.1 that has no certificate: it records the SNI name of each handshake, which then
    fails. Yields (port, the names seen)."""
    listener = socket.create_server(("127.0.0.1", 0))
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

    def record(connection: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        names.append(name or "")

    context.sni_callback = record
    thread = threading.Thread(target=_handshake_once, args=(listener, context), daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], names
    finally:
        listener.close()
        thread.join(timeout=5)


def _handshake_once(listener: socket.socket, context: ssl.SSLContext) -> None:
    with contextlib.suppress(OSError):  # the handshake fails: this server has no certificate, only a callback
        connection, _ = listener.accept()
        with connection, context.wrap_socket(connection, server_side=True):
            pass
