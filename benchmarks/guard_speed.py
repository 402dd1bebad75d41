"""Speed of `guard.check_markup`: milliseconds per development page, and seconds per hostile page.

    .venv/bin/python benchmarks/guard_speed.py [SHARED_DIR] [--rounds N]

Reads every aeb-dev page (html/*.html.gz) and every idnews-dev page (pages/*.html) under SHARED_DIR
(default ../shared beside the checkout), decoded as text the way the scorer decodes them, and times
`check_markup` over all of them (best and median of `--rounds` passes after a warm-up). Then times
each hostile page (best of 5), with what the guard said of it: the guard must stay linear on all of them.
Prints figures only: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from scraper.errors import ExtractError
from scraper.guard import DEFAULT_LIMITS, check_markup
from scraper.markup_screen import screen_passes

DEFAULT_SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def bomb(formatting: int, paragraphs: int) -> str:
    """Formatting elements left open in one paragraph, re-created in each of the next ones."""
    return "<p>" + "".join(f"<b id={i}>" for i in range(formatting)) + "</p>" + "<p>x</p>" * paragraphs


# Each once cost a parser seconds to minutes, or would cost a careless guard as much.
HOSTILE: dict[str, Callable[[], str]] = {
    "100k nested divs": lambda: "<div>" * 100_000,
    "100k nested bold": lambda: "<b>" * 100_000,
    "10k nested tables": lambda: "<table><tr><td>" * 10_000,
    "200k attributes": lambda: "<div " + " ".join(f"a{i}=x" for i in range(200_000)) + ">",
    "1M <br>": lambda: "<p>" + "<br>" * 1_000_000,
    "1M tiny paragraphs": lambda: "<p>a</p>" * 1_000_000,
    "reconstruction bomb": lambda: bomb(1000, 1000),
    "reconstruction bomb, 900": lambda: bomb(900, 900),
    "10 MB comment": lambda: "<!--" + "x" * 10_000_000 + "-->",
    "unclosed comment": lambda: "<!--" + "<div>" * 2_000_000,
    "unclosed script": lambda: "<script>" + "<div>" * 2_000_000,
    "quotes hiding '>'": lambda: '<div title="' + ">" * 5_000_000 + '">',
    "quotes hiding '<'": lambda: "<div title='" + "<div>" * 1_000_000 + "'>",
    "unterminated quote": lambda: '<div title="' + "<div>" * 1_000_000,
    "unfinished tags": lambda: "<div " * 1_000_000,
    "5 MB attribute": lambda: '<div class="' + "a" * 5_000_000 + '">',
    "10 MB of text": lambda: "kata " * 2_000_000,
    "tag soup": lambda: "<<<>>><p<<a>>" * 100_000,
    "1M bogus comments": lambda: "<!x>" * 1_000_000,
    "1M lone '<'": lambda: "< " * 1_000_000,
    # Under 30 000 tags, so the screen reads them to the end: its searches down the stack must stay short.
    "29k tags, deep end tags": lambda: ("<b>" + "<span>" * 30 + "</b>") * 900,
    "29k list items": lambda: "<ul>" + "<li>x" * 29_000,
    "29k comments": lambda: "<!---->" * 29_000,
    "29k odd tags": lambda: '<i a ="b">' * 29_000,
}


def load_pages(shared: Path) -> list[str]:
    """Every aeb-dev and idnews-dev page under `shared`, decoded as UTF-8 with errors replaced."""
    paths = [
        *sorted((shared / "data" / "aeb-dev" / "html").glob("*.html.gz")),
        *sorted((shared / "data" / "idnews-dev" / "pages").glob("*.html")),
    ]
    return [_read(path).decode("utf-8", errors="replace") for path in paths]


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def time_pass(pages: Sequence[str]) -> float:
    """Seconds for one pass of the guard over `pages` (a refusal counts as a result)."""
    start = time.perf_counter()
    for page in pages:
        _verdict(page)
    return time.perf_counter() - start


def _verdict(html: str) -> str:
    try:
        check_markup(html, "page")
    except ExtractError as exc:
        return str(exc).removeprefix("page: ")
    return "passes"


def report_pages(pages: Sequence[str], rounds: int) -> None:
    """Milliseconds per page: best and median of `rounds` passes, after one warm-up pass."""
    time_pass(pages)
    times = [time_pass(pages) for _ in range(max(rounds, 1))]
    per_page = [1000 * t / len(pages) for t in times]
    tags = sum(page.count("<") for page in pages) / len(pages)
    screened = sum(screen_passes(page, DEFAULT_LIMITS) for page in pages)
    print(f"{len(pages)} pages, {tags:,.0f} '<' per page on average; the screen alone passes {screened}")
    print(f"check_markup: {min(per_page):.3f} ms/page (best of {len(times)}; median {statistics.median(per_page):.3f})")


def report_hostile() -> None:
    """Each hostile page: its size, the guard's time on it (best of 5), and its verdict."""
    for name, build in HOSTILE.items():
        html = build()
        seconds = min(_timed(html) for _ in range(5))
        print(f"{name:24} {len(html) / 1e6:6.2f} M chars {1000 * seconds:9.1f} ms  {_verdict(html)}")


def _timed(html: str) -> float:
    start = time.perf_counter()
    _verdict(html)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> None:
    """Time the guard on the development pages, then on each hostile page."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shared", type=Path, nargs="?", default=DEFAULT_SHARED, help="the ../shared folder")
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the pages (default 20)")
    args = parser.parse_args(argv)
    pages = load_pages(args.shared)
    if not pages:
        sys.exit(f"guard_speed: no pages under {args.shared}/data")
    report_pages(pages, args.rounds)
    report_hostile()


if __name__ == "__main__":
    main()
