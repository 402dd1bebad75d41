"""Discovery: feed, sitemap, robots.txt and section-page bytes in, normalised article URLs out.

Pure functions: nothing here fetches, sleeps or reads the clock (`now` is an argument). Every
URL that comes out went through `normalize_url`, so the store can deduplicate on it. The
HTML side (`parse_section`, `canonical_url`) lives in `scraper.pagelinks` and is re-exported
here, so the pipeline imports the whole step from one place.

XML is parsed without expanding entities or reading anything outside the bytes given:

- sitemaps by lxml with ``resolve_entities=False, no_network=True, load_dtd=False,
  huge_tree=False``; libxml2 refuses a billion-laughs document outright, and an entity
  reference left unexpanded makes its ``<loc>`` invalid rather than silently shorter;
- feeds by feedparser, which strips every ``<!ENTITY>`` declaration whose value is not plain
  text before parsing and turns off external general entities in expat. It is handed a file
  object, never ``bytes`` or ``str``: given those, ``feedparser.parse`` first tries them as a
  URL to fetch and as a local file name to open.

Gzip is recognised by its magic bytes, not by a ``.gz`` name, and inflated up to a limit.
"""

from __future__ import annotations

import calendar
import email.utils
import io
import logging
import re
import xml.sax as xml_sax
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from lxml import etree
from protego import Protego

from scraper.errors import DiscoveryError
from scraper.models import Link
from scraper.pagelinks import canonical_url, parse_section
from scraper.urls import normalize_url

__all__ = [
    "MAX_FEED_BYTES",
    "MAX_SITEMAP_BYTES",
    "MAX_SITEMAP_ENTRIES",
    "Sitemap",
    "canonical_url",
    "parse_feed",
    "parse_section",
    "parse_sitemap",
    "sitemaps_from_robots",
]

logger = logging.getLogger(__name__)

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # sitemaps.org: at most 50 MB uncompressed per file
MAX_SITEMAP_ENTRIES = 50_000  # sitemaps.org: at most 50,000 URLs per file
MAX_FEED_BYTES = 20 * 1024 * 1024  # a feed larger than this, inflated or not, is refused
GZIP_MAGIC = b"\x1f\x8b"
SITEMAP_ROOTS = ("urlset", "sitemapindex")
# The first element's name, once comments are gone: "<?xml" and "<!DOCTYPE" do not match.
FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
XML_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
SNIFF_BYTES = 65536
NOT_A_PAGE = "an HTML page, not a {} (an error page or a soft 404?)"


@dataclass(frozen=True, slots=True)
class Sitemap:
    """What one sitemap file yields: page links (a urlset) or child sitemaps (an index).

    Nothing is dropped unseen: entries older than `max_age` are counted in `old`, entries
    without a usable http(s) <loc> in `invalid`, and `truncated` says entries past the cap
    were not read.
    """

    links: tuple[Link, ...] = ()
    sitemaps: tuple[str, ...] = ()
    old: int = 0
    invalid: int = 0
    truncated: bool = False


# --- feeds -------------------------------------------------------------------------------


def parse_feed(data: bytes, source_url: str) -> list[Link]:
    """The entries of an RSS 0.9x/2.0, RSS 1.0 (RDF) or Atom feed, in feed order, deduplicated.

    `published` is the entry's published (else updated) date in UTC. FeedBurner's
    `feedburner:origLink` wins over its redirecting `<link>`. Entries without an http(s)
    link are skipped. `DiscoveryError` for an empty body, an HTML page, a document that is
    not a feed, or a feed too broken to yield any entry; a broken feed that still yields
    entries is kept, with a warning.
    """
    xml = _gunzip(data, source_url, MAX_FEED_BYTES)
    if not xml.strip():
        raise DiscoveryError(source_url, "empty feed")
    if _first_element(xml) == "html":
        raise DiscoveryError(source_url, NOT_A_PAGE.format("feed"))
    parsed = feedparser.parse(
        io.BytesIO(xml),  # a file object: bytes or str would be tried as a URL and a path
        response_headers={"content-location": source_url},  # the base for relative links
        sanitize_html=False,  # only links, titles and dates are read: spare the HTML pass
        resolve_relative_uris=False,
    )
    if not parsed.get("version"):
        raise DiscoveryError(source_url, f"not an RSS or Atom feed: {_not_feed_cause(parsed, xml)}")
    links = _feed_links(parsed.entries, source_url)
    _check_well_formed(parsed, links, source_url)
    return links


def _not_feed_cause(parsed: Any, xml: bytes) -> str:
    if isinstance(parsed.get("bozo_exception"), xml_sax.SAXException):
        return _sax_cause(parsed["bozo_exception"])
    return f"the root element is <{_first_element(xml)}>, not <rss>, <rdf:RDF> or <feed>"


def _check_well_formed(parsed: Any, links: list[Link], source_url: str) -> None:
    """A feed that is not well-formed XML is an error when nothing could be read from it."""
    if not (parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), xml_sax.SAXException)):
        return
    cause = _sax_cause(parsed["bozo_exception"])
    if not links:
        raise DiscoveryError(source_url, f"malformed feed: {cause}")
    logger.warning("%s: feed is not well-formed (%s); kept its %d links", source_url, cause, len(links))


def _sax_cause(exc: xml_sax.SAXException) -> str:
    if isinstance(exc, xml_sax.SAXParseException):  # its str() starts with "<unknown>:"
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return _one_line(exc)


def _feed_links(entries: list[Any], source_url: str) -> list[Link]:
    """One link per URL, the first entry's, in feed order."""
    found: dict[str, Link] = {}
    for entry in entries:
        url = _entry_url(entry, source_url)
        if url and url not in found:
            found[url] = Link(url, source_url, _entry_date(entry), (entry.get("title") or "").strip() or None)
    return list(found.values())


def _entry_url(entry: Any, source_url: str) -> str:
    """The entry's normalised link; "" for an entry without an http(s) one (skipped)."""
    raw = entry.get("feedburner_origlink") or entry.get("link") or ""
    try:
        return normalize_url(raw, source_url) if raw.strip() else ""
    except DiscoveryError as exc:
        logger.debug("%s: entry skipped: %s", source_url, exc)
        return ""


def _entry_date(entry: Any) -> datetime | None:
    """feedparser's *_parsed values are struct_time in UTC."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC) if parsed else None


# --- sitemaps ----------------------------------------------------------------------------


def parse_sitemap(
    data: bytes,
    source_url: str,
    *,
    now: datetime,
    max_age: timedelta,
    max_entries: int = MAX_SITEMAP_ENTRIES,
    max_bytes: int = MAX_SITEMAP_BYTES,
) -> Sitemap:
    """The pages of a urlset, or the child sitemaps of a sitemapindex, gzipped or not.

    An entry is dated by its Google News `news:publication_date`, else by `lastmod`, and
    skipped (counted in `old`) when that date is before `now - max_age`: a page or sitemap
    not modified since then holds no newer article. Undated entries are kept. `news:title`
    becomes the link's title. A plain-text sitemap (one URL a line) is read too. Entries
    past `max_entries` are not read (`truncated`). `DiscoveryError` for an HTML page,
    malformed XML, another root element, corrupt gzip, or more than `max_bytes` of XML.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    xml = _gunzip(data, source_url, max_bytes)
    if not xml.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _text_sitemap(xml, source_url, max_entries)
    root = _first_element(xml)
    if root == "html":
        raise DiscoveryError(source_url, NOT_A_PAGE.format("sitemap"))
    if root not in SITEMAP_ROOTS:
        raise DiscoveryError(source_url, f"not a sitemap: the root element is <{root}>, not <urlset> or <sitemapindex>")
    tally = _Tally(source_url, _cutoff(now, max_age), is_index=root == "sitemapindex")
    _read_sitemap_xml(xml, tally, max_entries)
    return tally.sitemap()


@dataclass(slots=True)
class _Tally:
    """What a sitemap yielded so far; frozen into a `Sitemap` at the end."""

    source: str
    cutoff: datetime
    is_index: bool = False
    relative: bool = True  # resolve relative <loc>s against the source (text sitemaps: no)
    links: dict[str, Link] = field(default_factory=dict)  # a dict keeps the first, in order
    sitemaps: dict[str, None] = field(default_factory=dict)
    entries: int = 0
    old: int = 0
    invalid: int = 0
    truncated: bool = False

    def add(self, loc: str, published: datetime | None = None, title: str | None = None) -> None:
        """One entry: counted, dated against the cutoff, normalised, kept if new."""
        self.entries += 1
        if published is not None and published < self.cutoff:
            self.old += 1
            return
        try:
            url = normalize_url(loc, self.source if self.relative else None) if loc else ""
        except DiscoveryError as exc:
            logger.debug("%s: entry skipped: %s", self.source, exc)
            url = ""
        if not url:  # no <loc>, or one that is not an http(s) URL
            self.invalid += 1
            return
        if self.is_index:
            self.sitemaps.setdefault(url, None)
        else:
            self.links.setdefault(url, Link(url, self.source, published, title))

    def sitemap(self) -> Sitemap:
        links, sitemaps = tuple(self.links.values()), tuple(self.sitemaps)
        return Sitemap(links, sitemaps, self.old, self.invalid, self.truncated)


def _read_sitemap_xml(xml: bytes, tally: _Tally, max_entries: int) -> None:
    try:
        for _, entry in _safe_iterparse(xml, ("{*}sitemap",) if tally.is_index else ("{*}url",)):
            if tally.entries >= max_entries:
                tally.truncated = True
                return
            fields = _entry_fields(entry)
            published = _parse_date(fields.get("publication_date")) or _parse_date(fields.get("lastmod"))
            tally.add(fields.get("loc", ""), published, fields.get("title"))
            _release(entry)
    except etree.XMLSyntaxError as exc:
        # .msg holds libxml2's words and position without lxml's "(<string>, line 1)" suffix
        raise DiscoveryError(tally.source, f"malformed sitemap XML: {_one_line(exc.msg or exc)}") from exc


def _safe_iterparse(xml: bytes, tags: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """lxml's incremental parser with every door to the outside shut."""
    events: Iterator[tuple[str, Any]] = etree.iterparse(
        io.BytesIO(xml),
        events=("end",),
        tag=tags,
        resolve_entities=False,  # no entity is expanded: neither billion laughs nor file:// reads
        no_network=True,  # no DTD or entity is fetched
        load_dtd=False,
        huge_tree=False,  # libxml2's depth and size limits stay on
        remove_comments=True,
        remove_pis=True,
    )
    return events


def _entry_fields(entry: Any) -> dict[str, str]:
    """loc and lastmod of a <url>/<sitemap>, and publication_date and title of its <news:news>."""
    fields: dict[str, str] = {}
    for child in entry:
        name = _local_name(child)
        if name in ("loc", "lastmod"):
            fields.setdefault(name, _plain_text(child))
        elif name == "news":
            for item in child:
                if _local_name(item) in ("publication_date", "title"):
                    fields.setdefault(_local_name(item), _plain_text(item))
    return {name: value for name, value in fields.items() if value}


def _local_name(element: Any) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""  # comments and entities: not str


def _plain_text(element: Any) -> str:
    """The element's text, or "" when it holds an unexpanded entity or other markup."""
    return "" if len(element) else (element.text or "").strip()


def _release(element: Any) -> None:
    """Free what iterparse has built so far: a 50 MB sitemap is read in little memory."""
    element.clear(keep_tail=True)
    while element.getprevious() is not None:
        del element.getparent()[0]


def _text_sitemap(data: bytes, source_url: str, max_entries: int) -> Sitemap:
    """sitemaps.org's text format: one URL a line, UTF-8."""
    tally = _Tally(source_url, datetime.min.replace(tzinfo=UTC), relative=False)
    for line in data.decode("utf-8-sig", errors="replace").splitlines():
        if not line.strip():
            continue
        if tally.entries >= max_entries:
            tally.truncated = True
            break
        tally.add(line.strip())
    return tally.sitemap()


def _cutoff(now: datetime, max_age: timedelta) -> datetime:
    try:
        return now - max_age
    except OverflowError:  # timedelta.max: keep everything
        return datetime.min.replace(tzinfo=UTC)


def _parse_date(text: str | None) -> datetime | None:
    """A W3C datetime (ISO 8601 subset) or, as some sites write, an RFC 822 date; in UTC.

    A date without a zone is taken as UTC. An unreadable date is no date: the entry is kept.
    """
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- robots.txt --------------------------------------------------------------------------


def sitemaps_from_robots(robots_txt: bytes | str, base_url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, normalised (relative ones resolved against `base_url`).

    Lines that are not http(s) URLs are skipped; duplicates are listed once, in file order.
    """
    text = robots_txt.decode("utf-8-sig", errors="replace") if isinstance(robots_txt, bytes) else robots_txt
    found: dict[str, None] = {}
    for raw in Protego.parse(text).sitemaps:
        try:
            found.setdefault(normalize_url(raw, base_url), None)
        except DiscoveryError as exc:
            logger.debug("%s: Sitemap line skipped: %s", base_url, exc)
    return list(found)


# --- shared --------------------------------------------------------------------------------


def _gunzip(data: bytes, source_url: str, limit: int) -> bytes:
    """`data`, inflated when it starts with the gzip magic; at most `limit` bytes either way."""
    if not data.startswith(GZIP_MAGIC):
        if len(data) > limit:
            raise DiscoveryError(source_url, f"{len(data)} bytes, over the {limit} byte limit")
        return data
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(data, limit + 1)  # a gzip bomb stops here
    except zlib.error as exc:
        raise DiscoveryError(source_url, f"corrupt gzip: {exc}") from exc
    if len(out) > limit:
        raise DiscoveryError(source_url, f"over the {limit} byte limit once inflated")
    if not inflater.eof:
        raise DiscoveryError(source_url, "truncated gzip")
    return out


def _first_element(data: bytes) -> str | None:
    """The lower-cased local name of the document's first element, from its first bytes."""
    match = FIRST_ELEMENT.search(XML_COMMENT.sub(b"", data[:SNIFF_BYTES]))
    return match[1].decode("ascii", "replace").rpartition(":")[2].lower() if match else None


def _one_line(cause: object) -> str:
    return " ".join(str(cause).split())
