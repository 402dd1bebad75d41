"""Extraction step: trafilatura turns a pruned page into paragraphs, and reads its metadata.

Pruned HTML -> paragraphs; pruned HTML -> PageMeta (title, author, date, ...). Pure: no I/O.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from configparser import ConfigParser
from dataclasses import dataclass
from html import unescape

import lxml.html
import trafilatura
from lxml.etree import ParserError
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document, set_date_params, use_config

__all__ = [
    "Evidence",
    "PageMeta",
    "extract_main",
    "extract_page_metadata",
    "improves",
    "is_lost",
    "json_ld_article_body",
]

logger = logging.getLogger(__name__)

WS = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
WORD = re.compile(r"\w+")
SHINGLE_WORDS = 3
TAG = re.compile(r"<[^>]*>")
JSON_LD_START = re.compile(r"<script\b[^>]*?application/ld\+json[^>]*>", re.IGNORECASE)
# The page's JSON-LD articleBody is evidence too: extraction that covers less than this share of its word
# triples lost part of the article. A shorter articleBody is a summary, no evidence of what the page lost.
MIN_REFERENCE_COVER = 0.5
MIN_REFERENCE_SHINGLES = 50
# The fast pass lost part of the article when it found less than this share of the paragraph text of the
# page's main text container(s). On aeb-dev and idnews-dev, a page whose article was found whole never
# falls below 0.7 but for a short post under a long comment thread (recovery then changes nothing).
LOST_SHARE = 0.7
# A recovery must grow the text found by this factor, stay within this multiple of the page's evidence
# (readability, given a page of teasers, takes them all), and, if it is a guess of our own, keep this
# share of the word triples found.
MIN_GAIN = 1.1
MAX_OVERSHOOT = 2.0
KEEP_SHARE = 0.8
# trafilatura discards trees past this many elements; ours are pruned first, so it rarely bites.
MAX_TREE_SIZE = 200_000
# trafilatura's own parser settings (trafilatura/utils.py HTML_PARSER) plus huge_tree: without it libxml2
# stops at depth 256 and silently drops everything deeper, so an article nested 300 levels deep was lost.
# scraper.guard refuses pages nested deeper than its limit before they get here.
HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
)


def extract_main(html: str, url: str | None, *, fast: bool = True) -> tuple[str, ...]:
    """The article paragraphs trafilatura finds in a pruned page (no comments, tables kept).

    `fast` skips trafilatura's comparison with readability and justext: on a pruned page it costs a
    third of the time and mostly scores lower (it reaches back into the boilerplate we cut), so it is
    run only when the fast pass lost the article (`is_lost`).

    Metadata is not read here but by `extract_page_metadata`, on the whole pruned page: with a site's body
    hint, this page is only the <head> and the body container.
    """
    tree = parse_html(html)
    if tree is None:
        return ()
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
        config=_CONFIG,
    )
    return split_paragraphs(doc.text or "") if isinstance(doc, Document) else ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the page itself shows of its article, to tell a lost article from a short one.

    `chars`: the paragraph text of the page's main text container(s), as the DOM stage measured it.
    `reference`: the page's JSON-LD articleBody. Publishers cut it short (500 characters) or fill it
    with the whole page's text, so it is evidence of what the article holds, never the output.
    """

    chars: int = 0
    reference: str = ""

    @property
    def expected(self) -> int:
        """The most article text the page vouches for."""
        return max(self.chars, _chars(self.reference))


def is_lost(paragraphs: tuple[str, ...], evidence: Evidence) -> bool:
    """Whether extraction found much less than the page shows: less text than its main text containers
    hold, or too little of its articleBody (a cut-short articleBody is still covered by the article)."""
    if _chars(" ".join(paragraphs)) < LOST_SHARE * evidence.chars:
        return True
    reference = _shingles([evidence.reference])
    return len(reference) >= MIN_REFERENCE_SHINGLES and _cover(reference, paragraphs) < MIN_REFERENCE_COVER


def improves(found: tuple[str, ...], candidate: tuple[str, ...], evidence: Evidence, *, keep: bool) -> bool:
    """Whether `candidate` is a better extraction than `found` of an article `is_lost` found lost.

    It must add text, yet stay within the page's evidence (given a page of teasers, readability takes
    them all), and cover no less of the articleBody. With `keep`, it must also hold what `found` held:
    a wider guess of our own (the article's parts) may extend the text found, never replace it, since
    a comment thread can be the page's biggest text.
    """
    size, grown = _chars(" ".join(found)), _chars(" ".join(candidate))
    if not MIN_GAIN * size < grown <= MAX_OVERSHOOT * evidence.expected:
        return False
    if keep and _cover(_shingles(found), candidate) < KEEP_SHARE:
        return False
    reference = _shingles([evidence.reference])
    return _cover(reference, candidate) >= _cover(reference, found)


def _chars(text: str) -> int:
    """Characters that are not blanks, as the DOM stage counts them."""
    return len("".join(text.split()))


def _shingles(paragraphs: Iterable[str]) -> set[tuple[str, ...]]:
    """The text's word triples: the unit in which two texts are said to share text."""
    words = WORD.findall(" ".join(paragraphs).casefold())
    return {tuple(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _cover(shingles: set[tuple[str, ...]], paragraphs: Iterable[str]) -> float:
    """The share of `shingles` found in `paragraphs` (1.0 when there is nothing to find)."""
    return len(shingles & _shingles(paragraphs)) / len(shingles) if shingles else 1.0


def json_ld_article_body(page: str) -> str:
    """The first articleBody of the page's JSON-LD blocks, or "" (no block, bad JSON, no such key)."""
    for block in _json_ld_blocks(page):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        body = next((v for v in _values_of(data, "articleBody") if isinstance(v, str) and v.strip()), None)
        if body is not None:
            # Some publishers put the body's HTML there ("<p class=...>"), entities and all.
            return unescape(TAG.sub(" ", body))
    return ""


def _json_ld_blocks(page: str) -> Iterator[str]:
    """The text of each <script type="application/ld+json"> block, found by two plain searches a block
    (one lazy regex would rescan the page from every script start that has no end)."""
    for start in JSON_LD_START.finditer(page):
        end = page.find("</script", start.end())
        if end < 0:
            return
        yield page[start.end() : end]


def _values_of(data: object, key: str) -> Iterator[object]:
    """Every value under `key` in nested JSON (an @graph, a list of things), depth first."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if key in item:
                yield item[key]
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """The page as the lxml tree trafilatura works on, however deep it nests; None if lxml finds none."""
    try:
        return lxml.html.fromstring(html.encode("utf-8", "surrogatepass"), parser=HTML_PARSER)
    except (ParserError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class PageMeta:
    """Metadata read from the whole original page (meta tags, JSON-LD, bylines), before any pruning."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()


LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")


def extract_page_metadata(html: str, url: str | None) -> PageMeta:
    """trafilatura's metadata (extensive date search) of a whole page: a site's body hint hands trafilatura
    only the <head> and the body container, so the article text and its metadata come from different trees."""
    tree = parse_html(html)
    if tree is None:
        return PageMeta()
    doc = extract_metadata(tree, url, date_config=set_date_params(True), extensive=True)
    return PageMeta(
        title=doc.title or None,
        author=doc.author or None,
        date=doc.date or None,
        sitename=doc.sitename or None,
        language=_page_language(tree),
        tags=tuple(t for t in (doc.tags or []) + (doc.categories or []) if t),
    )


def _page_language(tree: lxml.html.HtmlElement) -> str | None:
    """The language the page declares: <html lang>, then og:locale / content-language; ISO 639-1 only."""
    candidates = [tree.get("lang"), tree.get("xml:lang")]
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("http-equiv") or meta.get("name") or "").lower()
        if key in ("og:locale", "content-language", "language"):
            candidates.append(meta.get("content"))
    for value in candidates:
        value = (value or "").strip()
        if LANG.match(value):
            return re.split(r"[-_]", value)[0].lower()
    return None


def split_paragraphs(text: str) -> tuple[str, ...]:
    """One paragraph a non-empty line, inner whitespace collapsed."""
    lines = (WS.sub(" ", line).strip() for line in text.splitlines())
    return tuple(line for line in lines if line)


def _make_config() -> ConfigParser:
    config = use_config()
    # Short articles and short paragraphs are real news too (a 3-line breaking item).
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "100")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    config.set("DEFAULT", "MAX_TREE_SIZE", str(MAX_TREE_SIZE))
    return config


_CONFIG = _make_config()
