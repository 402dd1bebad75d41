"""Discovery: feeds, sitemaps, robots.txt, section pages and canonicals, on hand-written fixtures."""

from __future__ import annotations

import gzip
import http.server
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from scraper.discover import (
    MAX_SITEMAP_ENTRIES,
    Sitemap,
    canonical_url,
    parse_feed,
    parse_section,
    parse_sitemap,
    sitemaps_from_robots,
)
from scraper.errors import DiscoveryError
from scraper.models import Link
from tests.conftest import FIXTURES

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
TWO_DAYS = timedelta(days=2)
SITE = "https://www.example.com"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"discover_{name}").read_bytes()


def sitemap(data: bytes, *, max_age: timedelta = TWO_DAYS, **limits: int) -> Sitemap:
    return parse_sitemap(data, f"{SITE}/sitemap.xml", now=NOW, max_age=max_age, **limits)


def urls(links: list[Link] | tuple[Link, ...]) -> list[str]:
    return [link.url for link in links]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def assert_one_line_error(caught: pytest.ExceptionInfo[DiscoveryError], source: str, *causes: str) -> None:
    message = str(caught.value)
    assert caught.value.source == source
    assert message.startswith(f"{source}: ")
    assert "\n" not in message
    for cause in causes:
        assert cause in message


# --- a loopback server that records every request: proof that parsing fetched nothing ----


@dataclass
class Recorder:
    url: str
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    paths: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            body = b'<!ENTITY leak "LEAKED"><rss version="2.0"><channel><item><link>https://leak.example/x</link></item></channel></rss>'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Recorder(f"http://127.0.0.1:{server.server_address[1]}", paths)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- feeds ---------------------------------------------------------------------------------


def test_rss20_links_in_feed_order_normalised_and_deduplicated() -> None:
    links = parse_feed(fixture("rss20.xml"), f"{SITE}/rss")
    assert urls(links) == [
        f"{SITE}/read/1001/banjir-jakarta",
        f"{SITE}/read/1002/harga-beras",  # relative <link>, resolved against the feed URL
        f"{SITE}/read/1003/pemilu",  # a permalink <guid> stands in for a missing <link>
        f"{SITE}/read/1005/ekonomi",  # feedburner:origLink, not the redirecting feedproxy link
    ]
    assert all(link.source == f"{SITE}/rss" for link in links)


def test_rss20_titles_and_dates() -> None:
    first, second, third, _ = parse_feed(fixture("rss20.xml"), f"{SITE}/rss")
    assert first.title == "Banjir di Jakarta & sekitarnya"  # CDATA, stripped; the duplicate's title lost
    assert first.published == utc(2024, 5, 10, 1, 0)  # 08:00 +0700
    assert second.published == utc(2024, 5, 10, 2, 30)  # dc:date
    assert third.published is None


def test_atom_takes_the_alternate_link_resolved_against_xml_base() -> None:
    links = parse_feed(fixture("atom.xml"), "https://blog.example.org/feed.atom")
    assert urls(links) == [
        "https://blog.example.org/posts/2024/05/first-post",
        "https://blog.example.org/posts/2024/05/second-post",
    ]
    assert links[0].published == utc(2024, 5, 9, 8, 0)  # <published>, not <updated>
    assert links[1].published == utc(2024, 5, 10, 11, 15)  # only <updated>
    assert links[1].title == "Only updated"


def test_rdf_rss10() -> None:
    links = parse_feed(fixture("rdf.xml"), "https://www.example.net/index.rdf")
    assert urls(links) == ["https://www.example.net/news/alpha", "https://www.example.net/news/beta"]
    assert [link.title for link in links] == ["Alpha", "Beta"]
    assert links[0].published == utc(2024, 5, 9, 16, 2, 3)  # +09:00 to UTC
    assert links[1].published is None


@pytest.mark.parametrize("name", ["rss20.xml", "atom.xml", "rdf.xml"])
def test_feed_dates_are_aware_utc(name: str) -> None:
    dates = [link.published for link in parse_feed(fixture(name), f"{SITE}/feed")]
    assert any(dates)
    assert all(d.utcoffset() == timedelta(0) for d in dates if d is not None)


def test_gzipped_feed_is_recognised_by_its_magic_bytes() -> None:
    plain = parse_feed(fixture("rdf.xml"), "https://www.example.net/index.rdf")
    assert parse_feed(gzip.compress(fixture("rdf.xml")), "https://www.example.net/index.rdf") == plain


def test_malformed_feed_is_a_one_line_error_naming_source_and_cause() -> None:
    with pytest.raises(DiscoveryError) as caught:
        parse_feed(fixture("malformed_feed.xml"), f"{SITE}/rss")
    assert_one_line_error(caught, f"{SITE}/rss", "malformed feed", "line 7")


def test_broken_feed_that_still_yields_links_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scraper.discover"):
        links = parse_feed(fixture("broken_feed.xml"), f"{SITE}/rss")
    # feedparser's lenient pass reads "&page" as text: the query survives whole
    assert urls(links) == [f"{SITE}/read?id=7&page=2", f"{SITE}/read?id=8"]
    assert "not well-formed" in caplog.text and f"{SITE}/rss" in caplog.text


def test_html_page_served_as_a_feed_is_an_error() -> None:
    with pytest.raises(DiscoveryError) as caught:
        parse_feed(fixture("html_as_feed.html"), f"{SITE}/rss")
    assert_one_line_error(caught, f"{SITE}/rss", "HTML page, not a feed")


@pytest.mark.parametrize("data", [b"", b"  \n\t", gzip.compress(b"")])
def test_empty_feed_is_an_error(data: bytes) -> None:
    with pytest.raises(DiscoveryError, match="empty feed"):
        parse_feed(data, f"{SITE}/rss")


def test_xml_that_is_not_a_feed_is_an_error() -> None:
    with pytest.raises(DiscoveryError) as caught:
        parse_feed(fixture("sitemap.xml"), f"{SITE}/rss")
    assert_one_line_error(caught, f"{SITE}/rss", "not an RSS or Atom feed", "<urlset>")


def test_plain_text_is_not_a_feed() -> None:
    with pytest.raises(DiscoveryError, match="not an RSS or Atom feed"):
        parse_feed(b"Service temporarily unavailable", f"{SITE}/rss")


def test_well_formed_feed_without_items_is_empty_not_an_error() -> None:
    data = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet day</title></channel></rss>'
    assert parse_feed(data, f"{SITE}/rss") == []


def test_feed_bytes_that_name_a_local_file_are_not_opened(tmp_path: Path) -> None:
    # feedparser.parse(b"/some/path") would read that file; parse_feed must treat bytes as content
    secret = tmp_path / "feed.xml"
    secret.write_bytes(fixture("rss20.xml"))
    with pytest.raises(DiscoveryError):
        parse_feed(str(secret).encode(), f"{SITE}/rss")


def test_feed_bytes_that_name_a_url_are_not_fetched(recorder: Recorder) -> None:
    with pytest.raises(DiscoveryError):
        parse_feed(f"{recorder.url}/feed.xml".encode(), f"{SITE}/rss")
    assert recorder.paths == []


def test_feed_billion_laughs_does_not_expand() -> None:
    started = time.monotonic()
    links = parse_feed(fixture("billion_laughs_feed.xml"), f"{SITE}/rss")
    assert time.monotonic() - started < 2
    assert urls(links) == [f"{SITE}/read/plain"]
    assert all(len(link.title or "") < 100 and "lollol" not in (link.title or "") for link in links)


def test_feed_external_entity_is_not_read() -> None:
    links = parse_feed(fixture("xxe_feed.xml"), f"{SITE}/rss")
    assert urls(links) == [f"{SITE}/read/plain"]
    assert "root:" not in repr(links)


def test_feed_external_entity_of_a_local_file_is_not_read(tmp_path: Path) -> None:
    marker = tmp_path / "secret.txt"
    marker.write_text("SECRET-MARKER")
    data = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY s SYSTEM "{marker.as_uri()}">]>
<rss version="2.0"><channel><item><title>&s;</title><link>{SITE}/a?x=&s;</link></item></channel></rss>"""
    links = parse_feed(data.encode(), f"{SITE}/rss")
    assert "SECRET-MARKER" not in repr(links)


def test_feed_external_dtd_and_entities_are_not_fetched(recorder: Recorder) -> None:
    data = f"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "{recorder.url}/rss.dtd" [
<!ENTITY ext SYSTEM "{recorder.url}/entity">
<!ENTITY % param SYSTEM "{recorder.url}/param"> %param;
]>
<rss version="2.0"><channel><item><title>&ext;&leak;</title><link>{SITE}/a</link></item></channel></rss>"""
    links = parse_feed(data.encode(), f"{SITE}/rss")
    assert recorder.paths == []
    assert "LEAKED" not in repr(links) and "leak.example" not in repr(links)


# --- sitemaps ------------------------------------------------------------------------------


def test_sitemap_urlset_links_dates_and_counts() -> None:
    result = sitemap(fixture("sitemap.xml"))
    assert urls(result.links) == [
        f"{SITE}/read/2001/date-only",
        f"{SITE}/read/2002/with-zone",
        f"{SITE}/read/2003/rfc822",
        f"{SITE}/read/2004/no-date",  # undated: kept
        f"{SITE}/read/2007/a&b",
    ]
    assert [link.published for link in result.links[:4]] == [
        utc(2024, 5, 9),  # a date alone is midnight UTC
        utc(2024, 5, 9, 23, 0),
        utc(2024, 5, 9, 22, 0),
        None,
    ]
    assert (result.old, result.invalid, result.truncated, result.sitemaps) == (1, 1, False, ())
    assert all(link.source == f"{SITE}/sitemap.xml" and link.title is None for link in result.links)


def test_sitemap_index_lists_child_sitemaps_newer_than_max_age() -> None:
    result = sitemap(fixture("sitemap_index.xml"))
    assert result.sitemaps == (
        f"{SITE}/sitemap-news.xml",
        f"{SITE}/sitemap-pages.xml",  # relative <loc>, undated
        f"{SITE}/sitemap-tags.xml",  # wrapped <loc>, unreadable lastmod: kept
    )
    assert result.links == ()
    assert result.old == 1  # sitemap-2019-01: not modified since 2019, holds nothing newer
    assert result.invalid == 1  # the <sitemap> without a <loc>


def test_sitemap_index_keeps_everything_when_max_age_is_unbounded() -> None:
    result = sitemap(fixture("sitemap_index.xml"), max_age=timedelta.max)
    assert f"{SITE}/sitemap-2019-01.xml.gz" in result.sitemaps
    assert result.old == 0


def test_news_sitemap_skips_articles_published_before_max_age() -> None:
    result = sitemap(fixture("news_sitemap.xml"))
    assert urls(result.links) == [f"{SITE}/read/3001/fresh", f"{SITE}/read/3002/yesterday"]
    fresh, yesterday = result.links
    assert fresh.title == "Fresh: Gempa & tsunami"
    assert fresh.published == utc(2024, 5, 10, 1, 0)
    # news:publication_date wins over lastmod, both to keep (3002) and to skip (3003, edited today)
    assert yesterday.published == utc(2024, 5, 9, 13, 0)
    assert result.old == 2


def test_news_sitemap_image_loc_is_not_the_page_loc() -> None:
    result = sitemap(fixture("news_sitemap.xml"), max_age=timedelta.max)
    assert not any("img.example.com" in url for url in urls(result.links))
    assert len(result.links) == 4


def test_entry_exactly_at_the_cutoff_is_kept() -> None:
    data = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://www.example.com/a</loc><lastmod>2024-05-08T12:00:00Z</lastmod></url><url><loc>https://www.example.com/b</loc><lastmod>2024-05-08T11:59:59Z</lastmod></url></urlset>'
    result = sitemap(data)
    assert urls(result.links) == [f"{SITE}/a"]
    assert result.old == 1


def test_gzipped_sitemap_is_recognised_by_magic_bytes_not_by_name() -> None:
    plain = sitemap(fixture("sitemap.xml"))
    zipped = parse_sitemap(gzip.compress(fixture("sitemap.xml")), f"{SITE}/sitemap.xml", now=NOW, max_age=TWO_DAYS)
    assert zipped == plain
    named_gz = parse_sitemap(fixture("sitemap.xml"), f"{SITE}/sitemap.xml.gz", now=NOW, max_age=TWO_DAYS)
    assert urls(named_gz.links) == urls(plain.links)  # a .gz name on plain XML (servers inflate for us)


def test_corrupt_gzip_is_an_error() -> None:
    with pytest.raises(DiscoveryError) as caught:
        sitemap(b"\x1f\x8b" + b"not deflate at all")
    assert_one_line_error(caught, f"{SITE}/sitemap.xml", "corrupt gzip")


def test_truncated_gzip_is_an_error_not_a_shorter_sitemap() -> None:
    with pytest.raises(DiscoveryError, match="truncated gzip"):
        sitemap(gzip.compress(fixture("sitemap.xml"))[:-40])


def test_gzip_bomb_stops_at_the_byte_limit() -> None:
    bomb = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + b" " * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(DiscoveryError, match="limit once inflated"):
        sitemap(bomb, max_bytes=1_000_000)


def test_plain_sitemap_over_the_byte_limit_is_an_error() -> None:
    with pytest.raises(DiscoveryError, match="over the 100 byte limit"):
        sitemap(fixture("sitemap.xml"), max_bytes=100)


def test_sitemap_of_50001_urls_is_capped_at_50000() -> None:
    body = b"".join(b"<url><loc>https://www.example.com/a/%d</loc></url>" % i for i in range(50_001))
    data = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + body + b"</urlset>"
    result = sitemap(data)
    assert MAX_SITEMAP_ENTRIES == 50_000
    assert len(result.links) == 50_000
    assert result.truncated is True
    assert result.links[-1].url == f"{SITE}/a/49999"


@pytest.mark.parametrize(("entries", "truncated"), [(3, False), (4, True)])
def test_entry_cap_boundary(entries: int, truncated: bool) -> None:
    body = b"".join(b"<url><loc>https://www.example.com/%d</loc></url>" % i for i in range(entries))
    result = sitemap(b"<urlset>" + body + b"</urlset>", max_entries=3)
    assert (len(result.links), result.truncated) == (3, truncated)


def test_old_and_invalid_entries_count_towards_the_cap() -> None:
    body = b"<url><loc>mailto:x@y</loc></url>" * 2 + b"<url><loc>https://www.example.com/ok</loc></url>"
    result = sitemap(b"<urlset>" + body + b"</urlset>", max_entries=2)
    assert (result.links, result.invalid, result.truncated) == ((), 2, True)


@pytest.mark.parametrize(
    "root",
    [
        b"<urlset>",  # no namespace
        b'<urlset xmlns="http://www.google.com/schemas/sitemap/0.84">',  # Google's old namespace
        b'<?xml version="1.0"?>\n<!-- generated -->\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ],
)
def test_sitemap_namespaces(root: bytes) -> None:
    result = sitemap(root + b"<url><loc>https://www.example.com/x</loc></url></urlset>")
    assert urls(result.links) == [f"{SITE}/x"]


def test_text_sitemap_one_url_a_line() -> None:
    data = b"\xef\xbb\xbfhttps://www.example.com/a\n\n  https://www.example.com/b?utm_source=x \nnot a url\nhttps://www.example.com/a\n"
    result = sitemap(data)
    assert urls(result.links) == [f"{SITE}/a", f"{SITE}/b"]
    assert result.invalid == 1


def test_text_sitemap_is_capped_too() -> None:
    data = b"\n".join(b"https://www.example.com/%d" % i for i in range(5))
    result = sitemap(data, max_entries=2)
    assert (len(result.links), result.truncated) == (2, True)


def test_html_page_served_as_a_sitemap_is_an_error() -> None:
    with pytest.raises(DiscoveryError) as caught:
        sitemap(fixture("html_as_feed.html"))
    assert_one_line_error(caught, f"{SITE}/sitemap.xml", "HTML page, not a sitemap")


def test_feed_served_as_a_sitemap_is_an_error() -> None:
    with pytest.raises(DiscoveryError, match=re.escape("the root element is <rss>")):
        sitemap(fixture("rss20.xml"))


def test_malformed_sitemap_is_an_error_naming_the_line() -> None:
    data = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n<url><loc>https://www.example.com/a?x=1&y=2</loc></url>\n</urlset>'
    with pytest.raises(DiscoveryError) as caught:
        sitemap(data)
    # strict on purpose: libxml2's recovery would turn "?x=1&y=2" into "?x=1=2", a wrong URL
    assert_one_line_error(caught, f"{SITE}/sitemap.xml", "malformed sitemap XML", "line 2")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_sitemap(fixture("sitemap.xml"), f"{SITE}/s.xml", now=datetime(2024, 5, 10), max_age=TWO_DAYS)


def test_now_in_another_zone_means_the_same_instant() -> None:
    jakarta = NOW.astimezone(timezone(timedelta(hours=7)))
    in_utc = sitemap(fixture("news_sitemap.xml"))
    in_jakarta = parse_sitemap(fixture("news_sitemap.xml"), f"{SITE}/sitemap.xml", now=jakarta, max_age=TWO_DAYS)
    assert in_jakarta == in_utc


def test_sitemap_billion_laughs_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(DiscoveryError) as caught:
        sitemap(fixture("billion_laughs_sitemap.xml"))
    assert time.monotonic() - started < 2
    assert_one_line_error(caught, f"{SITE}/sitemap.xml", "malformed sitemap XML")
    assert "lollol" not in str(caught.value)


def test_sitemap_with_a_small_entity_tree_does_not_expand_it() -> None:
    # Under libxml2's amplification limit, so nothing refuses it: only resolve_entities=False
    # keeps "&b;" from becoming "aaaa"; the entry is invalid rather than silently shortened.
    data = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]>
<urlset><url><loc>https://www.example.com/x&b;</loc></url><url><loc>https://www.example.com/y</loc></url></urlset>"""
    result = sitemap(data)
    assert urls(result.links) == [f"{SITE}/y"]
    assert result.invalid == 1


def test_sitemap_external_entity_is_not_read() -> None:
    result = sitemap(fixture("xxe_sitemap.xml"))
    assert urls(result.links) == [f"{SITE}/read/plain"]  # not ".../read/" cut before "&xxe;"
    assert result.invalid == 2
    assert "root:" not in repr(result)


def test_sitemap_external_entity_of_a_local_file_is_not_read(tmp_path: Path) -> None:
    marker = tmp_path / "secret.txt"
    marker.write_text("https://www.example.com/SECRET-MARKER")
    data = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY s SYSTEM "{marker.as_uri()}">]>
<urlset><url><loc>&s;</loc></url></urlset>"""
    result = sitemap(data.encode())
    assert "SECRET-MARKER" not in repr(result)
    assert result.invalid == 1


def test_sitemap_external_dtd_and_entities_are_not_fetched(recorder: Recorder) -> None:
    data = f"""<?xml version="1.0"?>
<!DOCTYPE urlset SYSTEM "{recorder.url}/sitemap.dtd" [
<!ENTITY ext SYSTEM "{recorder.url}/entity">
<!ENTITY % param SYSTEM "{recorder.url}/param"> %param;
]>
<urlset><url><loc>&ext;</loc></url><url><loc>https://www.example.com/ok</loc></url></urlset>"""
    result = sitemap(data.encode())
    assert recorder.paths == []
    assert urls(result.links) == [f"{SITE}/ok"]


# --- robots.txt ----------------------------------------------------------------------------


def test_sitemaps_from_robots() -> None:
    found = sitemaps_from_robots(fixture("robots.txt"), f"{SITE}/robots.txt")
    assert found == [
        f"{SITE}/sitemap.xml",
        f"{SITE}/sitemap-news.xml",  # any case of "Sitemap:", any user-agent group
        f"{SITE}/sitemap-relative.xml",  # relative, resolved against the robots.txt URL
    ]  # the "#duplicate" copy and the ftp:// line are gone


def test_sitemaps_from_robots_accepts_text_and_a_bom() -> None:
    text = fixture("robots.txt").decode()
    assert sitemaps_from_robots(text, f"{SITE}/robots.txt") == sitemaps_from_robots(
        b"\xef\xbb\xbf" + fixture("robots.txt"), f"{SITE}/robots.txt"
    )


def test_robots_without_sitemap_lines() -> None:
    assert sitemaps_from_robots(b"User-agent: *\nDisallow: /private\n", f"{SITE}/robots.txt") == []


# --- section pages -------------------------------------------------------------------------

SECTION = "https://www.example.co.id/nasional"


def test_section_links_same_site_matching_deduplicated_in_page_order() -> None:
    links = parse_section(fixture("section.html"), SECTION, r"/read/\d+")
    assert urls(links) == [
        "https://www.example.co.id/read/5001/harga-cabai-naik",  # image link and headline: one
        "https://www.example.co.id/read/5002/banjir-bandang",  # relative, fragment dropped
        "https://nasional.example.co.id/read/5003/sidang-mk?page=2",  # subdomain; fbclid gone, page kept
        "https://www.example.co.id/read/5004/kurs-rupiah",  # scheme-relative
        "https://www.example.co.id/read/5005/video",
    ]  # the partner site and the look-alike host are not the site
    assert all(link.source == SECTION and link.published is None for link in links)


def test_section_link_titles() -> None:
    titles = [link.title for link in parse_section(fixture("section.html"), SECTION, r"/read/\d+")]
    # 5001: the image anchor comes first; the headline's text is taken, whitespace collapsed
    # 5002: the first anchor's text wins over the sidebar's
    # 5005: an empty anchor falls back to its title attribute
    assert titles == ["Harga cabai naik", "Banjir bandang", "Sidang MK", "Kurs rupiah", "Video: longsor"]


def test_section_with_an_empty_pattern_takes_every_same_site_link() -> None:
    found = urls(parse_section(fixture("section.html"), SECTION, ""))
    assert found[:3] == ["https://www.example.co.id/", SECTION, "https://www.example.co.id/tag/pemilu"]
    assert "https://www.example.co.id/tentang-kami" in found
    assert not any(url.startswith(("mailto", "javascript")) or "other-news" in url for url in found)


def test_section_pattern_matches_the_normalised_url() -> None:
    # the href says "?utm_source=homepage"; the normalised URL has no query left to match
    assert parse_section(fixture("section.html"), SECTION, r"utm_source") == []
    assert urls(parse_section(fixture("section.html"), SECTION, r"\?page=2$")) == [
        "https://nasional.example.co.id/read/5003/sidang-mk?page=2"
    ]


def test_section_accepts_a_compiled_pattern_and_text() -> None:
    html = fixture("section.html")
    assert parse_section(html.decode(), SECTION, re.compile(r"/read/")) == parse_section(html, SECTION, "/read/")


def test_section_honours_base_href() -> None:
    html = '<html><head><base href="https://www.example.com/berita/"></head><body><a href="read/1">x</a></body></html>'
    assert urls(parse_section(html, f"{SITE}/index.php", "/read/")) == [f"{SITE}/berita/read/1"]


def test_section_ignores_a_broken_base_href() -> None:
    html = '<base href="http://[broken/"><a href="/read/1">x</a>'
    assert urls(parse_section(html, f"{SITE}/news", "/read/")) == [f"{SITE}/read/1"]


def test_section_bad_pattern_is_an_error() -> None:
    with pytest.raises(DiscoveryError) as caught:
        parse_section(fixture("section.html"), SECTION, "/read/(")
    assert_one_line_error(caught, SECTION, "bad links pattern")


@pytest.mark.parametrize("html", [b"", "", b"   "])
def test_section_empty_page_has_no_links(html: bytes | str) -> None:
    assert parse_section(html, SECTION, "") == []


def test_section_in_a_legacy_charset() -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body><a href="/read/café">Café</a></body></html>'
    links = parse_section(html.encode("latin-1"), f"{SITE}/", "/read/")
    assert urls(links) == [f"{SITE}/read/caf%C3%A9"]
    assert links[0].title == "Café"


def test_section_xhtml_text_with_an_xml_declaration() -> None:
    html = '<?xml version="1.0" encoding="utf-8"?><html><body><a href="/read/é">é</a></body></html>'
    assert urls(parse_section(html, f"{SITE}/", "/read/")) == [f"{SITE}/read/%C3%A9"]


# --- canonical -----------------------------------------------------------------------------


def test_canonical_of_the_section_fixture() -> None:
    assert canonical_url(fixture("section.html"), SECTION + "?page=2") == SECTION


@pytest.mark.parametrize(
    ("head", "page", "expected"),
    [
        # relative, tracking stripped, rel case and extra tokens ignored
        ('<link rel="Canonical" href="/read/1?utm_source=x#top">', f"{SITE}/read/1?amp=1", f"{SITE}/read/1"),
        ('<link rel="canonical amphtml" href="/read/1">', f"{SITE}/amp/read/1", f"{SITE}/read/1"),
        # a mobile or AMP host pointing at the desktop host is the same site
        (
            '<link rel="canonical" href="https://www.example.com/read/1">',
            "https://m.example.com/read/1",
            f"{SITE}/read/1",
        ),
        # og:url is the second choice, when there is no canonical
        ('<meta property="og:url" content="https://www.example.com/read/2">', f"{SITE}/read/2?x", f"{SITE}/read/2"),
        ('<meta name="og:url" content="/read/2">', f"{SITE}/x", f"{SITE}/read/2"),
        # canonical wins over og:url
        ('<meta property="og:url" content="/og"><link rel="canonical" href="/canon">', f"{SITE}/x", f"{SITE}/canon"),
        # an off-site canonical is ignored (a syndicated copy): og:url on the site is used
        (
            '<link rel="canonical" href="https://wire.example.org/a"><meta property="og:url" content="/b">',
            f"{SITE}/x",
            f"{SITE}/b",
        ),
        # a root canonical from an article page is a template bug: ignored
        (
            '<link rel="canonical" href="https://www.example.com/"><meta property="og:url" content="/c">',
            f"{SITE}/c",
            f"{SITE}/c",
        ),
        # ... but the home page's own root canonical stands
        ('<link rel="canonical" href="https://www.example.com/">', "https://example.com/?utm_source=x", f"{SITE}/"),
        # a canonical that is not http(s) is skipped
        (
            '<link rel="canonical" href="javascript:void(0)"><meta property="og:url" content="/d">',
            f"{SITE}/x",
            f"{SITE}/d",
        ),
        # a base href applies
        ('<base href="/berita/"><link rel="canonical" href="read/9">', f"{SITE}/x", f"{SITE}/berita/read/9"),
    ],
)
def test_canonical_url(head: str, page: str, expected: str) -> None:
    assert canonical_url(f"<html><head>{head}</head><body><p>x</p></body></html>", page) == expected


@pytest.mark.parametrize(
    "head",
    [
        "",
        '<link rel="stylesheet" href="/style.css">',
        '<link rel="canonical">',
        '<link rel="canonical" href="https://wire.example.org/a">',
        '<meta property="og:url" content="https://wire.example.org/a">',
    ],
)
def test_no_usable_canonical(head: str) -> None:
    assert canonical_url(f"<html><head>{head}</head><body>x</body></html>", f"{SITE}/read/1") is None


def test_canonical_of_an_empty_page_is_none() -> None:
    assert canonical_url(b"", f"{SITE}/read/1") is None
