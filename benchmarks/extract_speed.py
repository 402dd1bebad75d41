"""Speed of `scraper.extract` against bare trafilatura on the same pages, in one process and one run.

    .venv/bin/python benchmarks/extract_speed.py [SHARED_DIR] [--rounds N] [--bytes]

Reads every aeb-dev page (html/*.html.gz) and every idnews-dev page (pages/*.html) under SHARED_DIR
(default ../shared beside the checkout), with each page's URL from its gold file. Both extractors get
the page as text decoded as ../shared/eval/score.py does (UTF-8, errors replaced), so neither pays
for charset detection; `--bytes` hands them the raw bytes instead, the way a fetch does.

Each extractor gets a warm-up pass (imports, compiled patterns, caches), then `--rounds` timed
passes, interleaved so that a busy machine slows both alike; the best round is the figure, the
median is shown beside it. Prints figures only: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trafilatura

import scraper

DEFAULT_SHARED = Path(__file__).resolve().parent.parent.parent / "shared"

Html = str | bytes
Extractor = Callable[[Html, "str | None"], object]


@dataclass(frozen=True, slots=True)
class Page:
    """One saved page: its bytes and the URL it was fetched from."""

    name: str
    data: Html
    url: str | None

    def as_text(self) -> Page:
        """The page with its bytes decoded as the scorer decodes them."""
        text = self.data.decode("utf-8", errors="replace") if isinstance(self.data, bytes) else self.data
        return Page(self.name, text, self.url)


def load_pages(shared: Path) -> list[Page]:
    """Every aeb-dev and idnews-dev page under `shared`, with its URL where the gold gives one."""
    return _aeb_pages(shared / "data" / "aeb-dev") + _idnews_pages(shared / "data" / "idnews-dev")


def _aeb_pages(folder: Path) -> list[Page]:
    truth_file = folder / "ground-truth.json"
    truth = json.loads(truth_file.read_text(encoding="utf-8")) if truth_file.exists() else {}
    pages = []
    for path in sorted((folder / "html").glob("*.html.gz")):
        doc_id = path.name.removesuffix(".html.gz")
        pages.append(Page(path.name, gzip.decompress(path.read_bytes()), truth.get(doc_id, {}).get("url")))
    return pages


def _idnews_pages(folder: Path) -> list[Page]:
    urls = {}
    for gold in sorted((folder / "gold").glob("*.json")):
        entry = json.loads(gold.read_text(encoding="utf-8"))
        urls[entry.get("file")] = entry.get("url")
    return [Page(p.name, p.read_bytes(), urls.get(p.name)) for p in sorted((folder / "pages").glob("*.html"))]


def run_scraper(data: Html, url: str | None) -> object:
    """`scraper.extract`; a page without an article is a result too, not a crash."""
    try:
        return scraper.extract(data, url)
    except scraper.ScraperError as exc:
        return exc


def run_trafilatura(data: Html, url: str | None) -> object:
    """Bare trafilatura with its defaults, comments off: the baseline the scraper must not be slower than."""
    return trafilatura.extract(data, url=url, include_comments=False)


def time_pass(extract: Extractor, pages: Sequence[Page]) -> float:
    """Seconds for one pass of `extract` over `pages`."""
    start = time.perf_counter()
    for page in pages:
        extract(page.data, page.url)
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def warm_up(extractors: dict[str, Extractor], pages: Sequence[Page]) -> None:
    """One untimed pass of each extractor (imports, compiled patterns, caches), with the peak RSS after it.

    The peak only grows, so the second figure covers both extractors: its growth is the second's.
    """
    for name, extract in extractors.items():
        time_pass(extract, pages)
        print(f"peak RSS after the {name} warm-up: {peak_rss_mb():.0f} MB")


def measure(extractors: dict[str, Extractor], pages: Sequence[Page], rounds: int) -> dict[str, list[float]]:
    """`rounds` interleaved timed passes of each extractor; the seconds of each."""
    seconds: dict[str, list[float]] = {name: [] for name in extractors}
    for _ in range(rounds):
        for name, extract in extractors.items():
            seconds[name].append(time_pass(extract, pages))
    return seconds


def report(seconds: dict[str, list[float]], pages: Sequence[Page]) -> None:
    """One line per extractor: best and median pages/s, best seconds; then the ratio of the best rounds."""
    for name, times in seconds.items():
        best, median = min(times), statistics.median(times)
        print(
            f"{name:22} {len(pages) / best:7.1f} pages/s (best of {len(times)}; median {len(pages) / median:.1f})"
            f"  {best:.2f} s/pass"
        )
    ours, base = (min(t) for t in seconds.values())
    per_page = {name: 1000 * min(times) / len(pages) for name, times in seconds.items()}
    print("time per page: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_page.items()))
    print(f"ratio to bare trafilatura: {ours / base:.2f} (scraper.extract time over trafilatura.extract time)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: the shared folder, the number of rounds, text or bytes."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shared", type=Path, nargs="?", default=DEFAULT_SHARED, help="the ../shared folder")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per extractor (default 3)")
    parser.add_argument("--bytes", action="store_true", help="pass raw bytes, each extractor decoding them")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Load the pages, warm both extractors up, time them and print the figures."""
    args = parse_args(argv)
    pages = load_pages(args.shared)
    if not pages:
        sys.exit(f"extract_speed: no pages under {args.shared}/data")
    pages = pages if args.bytes else [page.as_text() for page in pages]
    size_mb = sum(len(p.data) for p in pages) / 1e6
    print(f"{len(pages)} pages, {size_mb:.1f} M {'bytes' if args.bytes else 'characters'} of HTML, from {args.shared}")
    print(f"peak RSS after loading the pages: {peak_rss_mb():.0f} MB")
    extractors: dict[str, Extractor] = {"scraper.extract": run_scraper, "trafilatura.extract": run_trafilatura}
    warm_up(extractors, pages)
    report(measure(extractors, pages, max(args.rounds, 1)), pages)


if __name__ == "__main__":
    main()
