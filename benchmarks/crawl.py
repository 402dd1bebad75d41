"""End-to-end crawl benchmark: `scraper run` against a local site of N article URLs, no delay.

The site serves copies of the dev pages (aeb-dev + idnews-dev, read from ../shared) under N different URLs,
listed in a sitemap that robots.txt names. It prints pages/s end to end, `scraper.extract`'s single-process
rate on the same pages, and the peak RSS of the crawling process.

    python benchmarks/crawl.py [--urls 2000] [--concurrency 16] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import scraper
from scraper.errors import ScraperError


def load_pages(shared: Path) -> list[bytes]:
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((shared / "data" / "aeb-dev" / "html").glob("*.gz"))]
    pages += [p.read_bytes() for p in sorted((shared / "data" / "idnews-dev" / "pages").glob("*.html"))]
    if not pages:
        sys.exit(f"crawl.py: no pages under {shared}/data")
    return pages


def make_handler(pages: list[bytes], n: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = self.headers.get("Host", "")
            if self.path == "/robots.txt":
                self._send(f"User-agent: *\nAllow: /\nSitemap: http://{host}/sitemap.xml\n".encode(), "text/plain")
            elif self.path == "/sitemap.xml":
                locs = "".join(f"<url><loc>http://{host}/article/{i}</loc></url>" for i in range(n))
                body = (
                    f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
                )
                self._send(body.encode(), "application/xml")
            elif self.path.startswith("/article/"):
                self._send(pages[int(self.path.rsplit("/", 1)[1]) % len(pages)], "text/html; charset=utf-8")
            else:
                self._send(b"not found", "text/plain", 404)

        def _send(self, body: bytes, ctype: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def extract_rate(pages: list[bytes]) -> float:
    """Pages/s of scraper.extract in this process, one thread, on the distinct pages (after a warm-up)."""
    for page in pages[:5]:
        _extract(page)
    start = time.perf_counter()
    for page in pages:
        _extract(page)
    return len(pages) / (time.perf_counter() - start)


def _extract(page: bytes) -> None:
    with contextlib.suppress(ScraperError):
        scraper.extract(page, "http://127.0.0.1/article/1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urls", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared")
    args = ap.parse_args()
    pages = load_pages(args.shared)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(pages, args.urls))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(
            "[settings]\ndelay = 0.0\nallow_private = true\nmax_retries = 0\n"
            f"concurrency = {args.concurrency}\nmax_urls_per_source = {args.urls}\n"
            f'[[sources]]\nname = "bench"\nsitemaps = ["{base}/robots.txt"]\n',
            encoding="utf-8",
        )
        command = [str(Path(sys.executable).parent / "scraper"), "run", "--config", str(config), "--json"]
        command += ["--db", str(Path(tmp) / "bench.db")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    server.shutdown()
    if done.returncode != 0:
        sys.exit(f"crawl.py: scraper run failed ({done.returncode}): {done.stderr[-2000:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"scraper run: {args.urls} URLs in {seconds:.1f} s = {args.urls / seconds:.1f} pages/s end to end "
        f"(concurrency {args.concurrency}, delay 0), peak RSS {peak_mb:.0f} MB"
    )
    print(f"summary: {done.stdout.strip()}")
    rate = extract_rate(pages)
    print(f"scraper.extract alone, one process: {rate:.1f} pages/s on the same {len(pages)} distinct pages")


if __name__ == "__main__":
    main()
