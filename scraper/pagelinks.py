"""Links read from HTML pages: a section page's article links and a page's canonical URL.

Part of the discovery step (`scraper.discover` re-exports both functions); split out because
HTML pages and XML feeds and sitemaps share nothing but `scraper.urls`. Pure: no network,
no clock. Pages are parsed by lxml's HTML parser, which reads no DTD and fetches nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from scraper.errors import DiscoveryError
from scraper.models import Link
from scraper.urls import normalize_url, same_site

__all__ = ["canonical_url", "parse_section"]

logger = logging.getLogger(__name__)


def parse_section(html: bytes | str, page_url: str, links: str | re.Pattern[str]) -> list[Link]:
    """The article links of a section page, in page order, each once.

    An <a href> is kept when its normalised URL is on the page's site (`same_site`) and
    `links` (a regular expression) is found in it. Relative hrefs are resolved against the
    page's <base href>, else `page_url`. A link's title is the first non-empty anchor text
    among its anchors (an image link often comes before the headline link).
    """
    pattern = _compile(links, page_url)
    doc = _parse_html(html)
    if doc is None:
        return []
    found: dict[str, Link] = {}
    for url, text in _anchors(doc, _base_url(doc, page_url)):
        if not same_site(url, page_url) or not pattern.search(url):
            continue
        known = found.setdefault(url, Link(url, page_url, None, text))
        if known.title is None and text is not None:
            found[url] = replace(known, title=text)
    return list(found.values())


def canonical_url(html: bytes | str, page_url: str) -> str | None:
    """The page's <link rel=canonical>, else its og:url, normalised; None when it has neither.

    A candidate on another site is ignored: syndicated copies point their canonical at the
    original publisher, and following it would file this site's article under another site
    and let any page steer the crawl off the source. A canonical at the site's root from a
    page that is not the root is ignored too: CMS templates that set one canonical on every
    page would otherwise fold all articles into the home page.
    """
    doc = _parse_html(html)
    if doc is None:
        return None
    base = _base_url(doc, page_url)
    for candidate in _canonical_candidates(doc):
        url = _usable_canonical(candidate, base, page_url)
        if url is not None:
            return url
    return None


def _compile(links: str | re.Pattern[str], page_url: str) -> re.Pattern[str]:
    try:
        return re.compile(links)
    except re.error as exc:
        raise DiscoveryError(page_url, f"bad links pattern {links!r}: {exc}") from exc


def _parse_html(html: bytes | str) -> Any:
    """The document, or None when there is none (empty input)."""
    data = html.encode("utf-8") if isinstance(html, str) else html
    # lxml guesses a charset from <meta> only when not told; UTF-8 bytes are told so.
    parser = lxml.html.HTMLParser(encoding="utf-8" if _is_utf8(data) else None, no_network=True)
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except etree.ParserError:  # "Document is empty"
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _base_url(doc: Any, page_url: str) -> str:
    """The page's <base href> resolved against `page_url`, else `page_url`."""
    base = doc.find(".//base[@href]")
    try:
        return normalize_url(base.get("href"), page_url) if base is not None else page_url
    except DiscoveryError:
        return page_url  # a broken <base> is ignored, as browsers do


def _anchors(doc: Any, base: str) -> Iterator[tuple[str, str | None]]:
    """(normalised URL, anchor text or title) of every <a href> that is an http(s) link."""
    for anchor in doc.iter("a"):
        try:
            url = normalize_url(anchor.get("href") or "", base)
        except DiscoveryError:
            continue  # mailto:, javascript:, tel: and broken hrefs are not articles
        text = " ".join(anchor.text_content().split()) or (anchor.get("title") or "").strip()
        yield url, text or None


def _canonical_candidates(doc: Any) -> Iterator[str]:
    for link in doc.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            yield link.get("href")
    for meta in doc.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url" and meta.get("content"):
            yield meta.get("content")


def _usable_canonical(candidate: str, base: str, page_url: str) -> str | None:
    try:
        url = normalize_url(candidate, base)
    except DiscoveryError:
        return None
    if not same_site(url, page_url):
        logger.debug("%s: canonical %s is on another site; ignored", page_url, url)
        return None
    if _is_root(url) and not _is_root(normalize_url(page_url)):
        logger.debug("%s: canonical is the site root; ignored", page_url)
        return None
    return url


def _is_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path == "/" and not parts.query
