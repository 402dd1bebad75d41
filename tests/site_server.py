"""A small news site on 127.0.0.1 for the crawl tests: routes are data, every request is logged.

A route is a path mapped to a `Route` (status, body, headers). Pages with an ETag answer 304 to a
matching If-None-Match, so a second run can prove it fetched nothing new. Routes can be changed while the
server runs (`site.routes[path] = ...`), to model a site that changes between runs.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True, slots=True)
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    delay: float = 0.0  # seconds before answering
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Site:
    """The served routes and the log of requested paths (in arrival order)."""

    routes: dict[str, Route] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def requests(self, prefix: str = "/") -> list[str]:
        with self.lock:
            return [p for p in self.log if p.startswith(prefix)]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with site.lock:
                site.log.append(self.path)
            route = site.routes.get(self.path) or site.routes.get(self.path.split("?")[0])
            if route is None:
                self._send(404, b"not found", "text/plain", ())
                return
            if route.delay:
                time.sleep(route.delay)
            if route.etag is not None and self.headers.get("If-None-Match") == route.etag:
                self._send(304, b"", None, (("ETag", route.etag),))
                return
            extra = route.headers + ((("ETag", route.etag),) if route.etag else ())
            self._send(route.status, route.body, route.content_type, extra)

        def _send(self, status: int, body: bytes, ctype: str | None, headers: tuple[tuple[str, str], ...]) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a killed client
                    self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return

    return Handler


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    """Run `site` on a free port of 127.0.0.1 for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def article_html(title: str, paragraphs: list[str], *, canonical: str | None = None) -> bytes:
    """An article page of our own, with noise the cleaner must remove: nav, a teaser, an ad label, a footer."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    first, rest = paragraphs[0], "".join(f"<p>{p}</p>" for p in paragraphs[1:])
    teaser = '<p class="related-news"><strong>Baca juga:</strong> <a href="/lain">Judul Lain</a></p>'
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} - Contoh.com</title>{link}"
        '<meta property="article:published_time" content="2026-11-20T08:00:00+07:00"></head><body>'
        '<nav><a href="/">Beranda</a> <a href="/news">News</a></nav>'
        f"<article><h1>{title}</h1><p>Jakarta - {first}</p>{teaser}{rest}<p>Advertisement</p></article>"
        "<footer>© 2026 Contoh.com</footer></body></html>"
    )
    return page.encode("utf-8")
