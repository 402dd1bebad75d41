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
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import socket
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

    def __init__(self, robots: str | int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.robots = robots
        self.log: list[Seen] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.server_address[1]}"

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


@functools.cache
def gzip_bomb() -> bytes:
    """30 MB of zeros, gzip-compressed to about 30 KB."""
    return gzip.compress(bytes(30 * 1024 * 1024), compresslevel=9)


@contextmanager
def serve(robots: str | int = DEFAULT_ROBOTS) -> Iterator[Server]:
    """A running `Server` on a free port of 127.0.0.1, shut down on exit."""
    server = Server(robots)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
