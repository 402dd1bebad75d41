"""The crawl end to end against a real HTTP server on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from scraper.cleaner import extract
from scraper.config import Config, Section, Settings, Source
from scraper.errors import DiscoveryError, ExtractError, LockedError, PermanentFetchError, TransientFetchError
from scraper.fetch import Fetcher
from scraper.pipeline import RunReport, failure_cause, reprocess, run_pass
from scraper.store import Store, open_store
from tests.conftest import require_shared, shared_score
from tests.site_server import Route, Site, article_html, serve

P1 = "Harga beras di pasar induk naik untuk ketiga kalinya bulan ini, menurut para pedagang setempat."
P2 = "Pemerintah berjanji menambah pasokan dari gudang Bulog dalam waktu dekat agar harga kembali stabil."
P3 = "Pedagang berharap langkah itu segera dilakukan karena pembeli mulai berkurang sejak pekan lalu."
XML = "application/xml"
ETAGS = {"/rss": '"rss-1"', "/robots.txt": '"robots-1"', "/sitemap.xml": '"sitemap-1"'}

Exchange = tuple[str, str | None, int]  # path, the If-None-Match sent, the status answered


def settings(**changes: object) -> Settings:
    base = Settings(delay=0.0, allow_private=True, max_retries=0, timeout=5.0, backoff_base=0.01, workers=1)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def news_site() -> Site:
    site = Site()
    for n in (1, 2, 3, 4):
        site.routes[f"/read/{n}/berita-{n}"] = Route(article_html(f"Berita Nomor {n}", [P1, P2, P3]), etag=f'"a{n}"')
    site.routes["/read/5/hilang"] = Route(b"gone", status=404, content_type="text/plain")
    site.routes["/read/6/sibuk"] = Route(b"busy", status=503, content_type="text/plain")
    site.routes["/read/7/gambar"] = Route(b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png")
    latin = article_html("Kafe Baru", [P1.replace("pasar", "café"), P2, P3]).decode().replace("utf-8", "iso-8859-1")
    site.routes["/read/8/kafe"] = Route(latin.encode("utf-8"), content_type="text/html; charset=iso-8859-1")
    return site


def wire(site: Site) -> Site:
    """Feeds, sitemaps and sections that point at the site's own URLs (known only once it is served)."""
    urls = [site.url(f"/read/{n}/berita-{n}") for n in (1, 2)] + [site.url("/read/5/hilang")]
    items = "".join(f"<item><title>t</title><link>{u}?utm_source=rss#top</link></item>" for u in urls)
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{items}</channel></rss>'
    site.routes["/rss"] = Route(feed.encode(), content_type="application/rss+xml")
    paths = ("/read/3/berita-3", "/read/6/sibuk", "/read/7/gambar")
    locs = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in paths)
    urlset = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    site.routes["/sitemap.xml"] = Route(urlset.encode(), content_type=XML)
    robots = f"User-agent: *\nDisallow: /private\nSitemap: {site.url('/sitemap.xml')}\n"
    site.routes["/robots.txt"] = Route(robots.encode(), content_type="text/plain")
    links = (
        '<a href="/read/4/berita-4">4</a> <a href="/read/8/kafe">8</a> <a href="/tag/x">tag</a>'
        ' <a href="https://other.example/read/9">x</a>'
    )
    site.routes["/news"] = Route(f"<html><body>{links}</body></html>".encode())
    return site


def with_etags(site: Site) -> Site:
    """The feed, robots.txt and sitemap of a wired site with ETags; the section page, like most, has none."""
    for path, etag in ETAGS.items():
        site.routes[path] = dataclasses.replace(site.routes[path], etag=etag)
    return site


def feed_of(*urls: str) -> bytes:
    items = "".join(f"<item><title>t</title><link>{u}</link></item>" for u in urls)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{items}</channel></rss>'.encode()


def sitemap_of(*locs: str, index: bool = False) -> bytes:
    tag, entry = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    body = "".join(f"<{entry}><loc>{loc}</loc></{entry}>" for loc in locs)
    return f'<?xml version="1.0"?><{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</{tag}>'.encode()


def config_for(site: Site, **changes: object) -> Config:
    source = Source(
        name="contoh",
        feeds=(site.url("/rss"),),
        sitemaps=(site.url("/robots.txt"),),
        sections=(Section(site.url("/news"), links=r"/read/\d+/"),),
    )
    return Config(settings=settings(**changes), sources=(source,))


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(news_site()) as served:
        yield wire(served)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "scraper.db")) as opened:
        yield opened


def run(config: Config, store: Store, **kwargs: object) -> RunReport:
    return asyncio.run(run_pass(config, store, **kwargs))  # type: ignore[arg-type]


class Recorder(httpx.AsyncBaseTransport):
    """The real transport, logging what the server's log of paths cannot show: the If-None-Match sent and the
    status answered."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.exchanges.append((request.url.path, request.headers.get("If-None-Match"), response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def run_recorded(config: Config, store: Store) -> tuple[RunReport, list[Exchange]]:
    """A pass through a fetcher on a `Recorder`: its report, and every exchange it had with the server."""
    recorder = Recorder()

    async def crawl() -> RunReport:
        async with Fetcher(config.settings, transport=recorder) as fetcher:
            return await run_pass(config, store, fetcher=fetcher)

    return asyncio.run(crawl()), recorder.exchanges


def stored_urls(store: Store) -> set[str]:
    return {a.requested_url for a in store.iter_articles()}


def test_first_run_discovers_fetches_cleans_and_stores(site: Site, store: Store) -> None:
    report = run(config_for(site), store)
    assert report.ok and report.sources_reached == 1
    articles = {a.requested_url: a for a in store.iter_articles()}
    expected = {site.url(f"/read/{n}/berita-{n}") for n in (1, 2, 3, 4)} | {site.url("/read/8/kafe")}
    assert set(articles) == expected
    stored = articles[site.url("/read/1/berita-1")].article
    assert stored.paragraphs == (P1, P2, P3)
    assert stored.dateline == "Jakarta -"
    assert stored.title == "Berita Nomor 1"
    assert any(r.rule == "generic/ad-label" for r in stored.removed)
    assert "café" in articles[site.url("/read/8/kafe")].article.text  # UTF-8 under an iso-8859-1 label
    assert report.stats["articles_new"] == 5


def test_cleaning_in_worker_processes_stores_the_same_articles(site: Site, store: Store) -> None:
    report = run(config_for(site, workers=2), store)
    assert report.stats["articles_new"] == 5
    stored = {a.requested_url: a.article for a in store.iter_articles()}
    assert stored[site.url("/read/3/berita-3")].paragraphs == (P1, P2, P3)
    assert stored[site.url("/read/3/berita-3")].url == site.url("/read/3/berita-3")


def test_tracking_params_and_offsite_links_never_reach_the_frontier(site: Site, store: Store) -> None:
    run(config_for(site), store)
    assert not [p for p in site.requests() if "utm_source" in p]
    assert store.frontier_entry("https://other.example/read/9") is None
    assert store.frontier_entry(site.url("/tag/x")) is None


def test_failures_are_recorded_with_their_cause_and_the_run_goes_on(site: Site, store: Store) -> None:
    report = run(config_for(site), store)
    gone = store.frontier_entry(site.url("/read/5/hilang"))
    busy = store.frontier_entry(site.url("/read/6/sibuk"))
    image = store.frontier_entry(site.url("/read/7/gambar"))
    assert gone is not None and gone.status == "failed" and gone.last_cause == "http-404"
    assert busy is not None and busy.status == "retry" and busy.last_cause == "http-5xx" and busy.attempts == 1
    assert image is not None and image.status == "failed" and image.last_cause == "not-html"
    assert report.stats["failed_http-404"] == 1 and report.stats["failed_http-5xx"] == 1
    assert report.ok


def test_second_run_fetches_nothing_new_and_stores_no_duplicate(site: Site, store: Store) -> None:
    run(config_for(site), store)
    fetched_before = len(site.requests("/read/"))
    report = run(config_for(site), store)
    article_fetches = [p for p in site.requests("/read/")[fetched_before:] if not p.startswith("/read/6")]
    assert article_fetches == []  # known URLs are not fetched again; the 503 is not due yet
    assert report.stats["new_urls"] == 0
    assert len(list(store.iter_articles())) == 5


def test_a_retry_that_comes_due_is_fetched_again_and_stored_once_it_works(site: Site, store: Store) -> None:
    run(config_for(site), store)
    site.routes["/read/6/sibuk"] = Route(article_html("Berita Sibuk", [P1, P2, P3]))
    later = datetime.now(UTC) + timedelta(days=1)
    run(config_for(site), store, clock=lambda: later)
    entry = store.frontier_entry(site.url("/read/6/sibuk"))
    assert entry is not None and entry.status == "done"
    assert site.url("/read/6/sibuk") in {a.requested_url for a in store.iter_articles()}


def test_recheck_uses_a_conditional_get_and_a_304_keeps_the_article(site: Site, store: Store) -> None:
    run(config_for(site), store)
    entry = store.frontier_entry(site.url("/read/1/berita-1"))
    assert entry is not None and entry.etag == '"a1"'
    later = datetime.now(UTC) + timedelta(hours=7)
    report = run(config_for(site, recheck_hours=6.0), store, clock=lambda: later)
    assert report.stats["unchanged"] == 4  # the four pages with an ETag answered 304
    assert report.stats.get("articles_new", 0) == 0
    assert len(list(store.iter_articles())) == 5


def test_discovery_keeps_what_each_input_answered(site: Site, store: Store) -> None:
    with_etags(site)
    run(config_for(site), store)
    feed, robots = store.resource_state(site.url("/rss")), store.resource_state(site.url("/robots.txt"))
    assert feed is not None and (feed.etag, feed.children) == ('"rss-1"', ())
    assert robots is not None and robots.children == (site.url("/sitemap.xml"),)  # walked again on a 304
    section = store.resource_state(site.url("/news"))
    assert section is not None and section.etag is None and section.last_modified is None  # nothing to ask with


def test_a_second_run_gets_304_for_unchanged_inputs_and_still_fetches_a_new_article(site: Site, store: Store) -> None:
    with_etags(site)
    run(config_for(site), store)
    # Another input, the section page (no ETag), now links to a new article.
    site.routes["/news"] = Route(b'<html><body><a href="/read/9/baru">9</a></body></html>')
    site.routes["/read/9/baru"] = Route(article_html("Berita Baru", [P1, P2, P3]))
    report, exchanges = run_recorded(config_for(site), store)
    asked = [e for e in exchanges if e[0] in ("/rss", "/sitemap.xml")]
    assert asked == [("/rss", '"rss-1"', 304), ("/sitemap.xml", '"sitemap-1"', 304)]
    # The sitemap was reached through the stored children of the unchanged robots.txt. (The fetcher's own
    # robots check still reads robots.txt without a validator, once per run.)
    assert ("/robots.txt", '"robots-1"', 304) in exchanges
    assert ("/news", None, 200) in exchanges
    assert report.stats["discovery_unchanged"] == 3
    assert report.stats["new_urls"] == 1 and report.stats["articles_new"] == 1
    assert site.url("/read/9/baru") in stored_urls(store)


def test_a_changed_feed_is_read_again_and_its_new_article_stored(site: Site, store: Store) -> None:
    with_etags(site)
    run(config_for(site), store)
    new = site.url("/read/9/baru")
    site.routes["/read/9/baru"] = Route(article_html("Berita Baru", [P1, P2, P3]))
    site.routes["/rss"] = Route(
        feed_of(site.url("/read/1/berita-1"), new), content_type="application/rss+xml", etag='"rss-2"'
    )
    report, exchanges = run_recorded(config_for(site), store)
    assert ("/rss", '"rss-1"', 200) in exchanges  # asked with the old ETag; it changed, so read in full
    assert report.stats["discovery_unchanged"] == 2  # robots.txt and the sitemap
    assert report.stats["new_urls"] == 1 and new in stored_urls(store)
    _, exchanges = run_recorded(config_for(site), store)
    assert ("/rss", '"rss-2"', 304) in exchanges  # the new ETag was kept


def test_an_unchanged_sitemap_index_still_walks_its_children(store: Store) -> None:
    with serve(news_site()) as site:
        child = [site.url("/read/1/berita-1")]
        site.routes["/sitemap_index.xml"] = Route(
            sitemap_of(site.url("/news.xml"), index=True), content_type=XML, etag='"i1"'
        )
        site.routes["/news.xml"] = Route(sitemap_of(*child), content_type=XML, etag='"n1"')
        config = Config(settings=settings(), sources=(Source(name="peta", sitemaps=(site.url("/sitemap_index.xml"),)),))
        run(config, store)
        child.append(site.url("/read/2/berita-2"))
        site.routes["/news.xml"] = Route(sitemap_of(*child), content_type=XML, etag='"n2"')
        report, exchanges = run_recorded(config, store)
    assert [e for e in exchanges if e[0].endswith(".xml")] == [
        ("/sitemap_index.xml", '"i1"', 304),
        ("/news.xml", '"n1"', 200),
    ]
    assert report.stats["discovery_unchanged"] == 1
    assert stored_urls(store) == set(child)


def test_an_input_that_fails_to_parse_keeps_nothing_and_is_read_in_full_next_time(site: Site, store: Store) -> None:
    with_etags(site)
    site.routes["/rss"] = Route(b"<html><body>maintenance</body></html>", content_type=XML, etag='"rss-1"')
    report = run(config_for(site), store)
    assert report.stats["source_failed_discovery"] == 1
    assert store.resource_state(site.url("/rss")) is None
    # Had its ETag been kept, a 304 would hide the feed from a parser that can read it: asked in full instead.
    site.routes["/rss"] = Route(feed_of(site.url("/read/1/berita-1")), content_type=XML, etag='"rss-1"')
    report, exchanges = run_recorded(config_for(site), store)
    assert ("/rss", None, 200) in exchanges and report.stats["source_failures"] == 0


def test_no_source_reachable_is_not_ok(store: Store) -> None:
    dead = Config(settings=settings(timeout=1.0), sources=(Source(name="dead", feeds=("http://127.0.0.1:9/rss",)),))
    report = run(dead, store)
    assert not report.ok
    assert report.source_errors and "127.0.0.1:9/rss" in report.source_errors[0]
    assert report.stats["source_failed_robots-unavailable"] == 1  # robots.txt is the first thing it asks
    (stored,) = store.recent_runs(1)
    assert stored.stats["source_failures"] == 1  # the run's row keeps the failure


def test_a_held_lock_stops_a_second_run(site: Site, store: Store) -> None:
    now = datetime.now(UTC)
    assert store.acquire_lock("run", "someone-else", now, timedelta(hours=1))
    with pytest.raises(LockedError, match="someone-else"):
        run(config_for(site), store)


def test_an_expired_lock_does_not_block(site: Site, store: Store) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    assert store.acquire_lock("run", "crashed-run", past, timedelta(hours=1))
    assert run(config_for(site), store).ok


def test_reprocess_reports_what_new_rules_change(site: Site, store: Store) -> None:
    run(config_for(site), store)
    unchanged = reprocess(store)
    assert unchanged["unchanged"] == 5 and unchanged.get("text_changed", 0) == 0


def test_failure_causes() -> None:
    assert failure_cause(PermanentFetchError("u", "HTTP 404 (not found)", cause="http-404")) == "http-404"
    assert failure_cause(TransientFetchError("u", "timed out", cause="timeout")) == "timeout"
    assert failure_cause(TransientFetchError("u", "something odd")) == "transient"
    assert failure_cause(ExtractError("u", "no article text found in the page")) == "extract"
    assert failure_cause(DiscoveryError("u", "not a feed (an HTML page)")) == "discovery"


def test_crawl_of_the_real_dev_pages_stores_what_the_cleaner_makes_of_them(store: Store) -> None:
    """The 16 idnews-dev pages served from 127.0.0.1 (so only the generic rules apply), found in a sitemap."""
    gold_dir = require_shared("data", "idnews-dev", "gold")
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))]
    site = Site()
    for gold in golds:
        page = (gold_dir.parent / "pages" / gold["file"]).read_bytes()
        site.routes[f"/dev/{gold['file']}"] = Route(page)
    with serve(site) as served:
        locs = "".join(f"<url><loc>{served.url('/dev/' + g['file'])}</loc></url>" for g in golds)
        urlset = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
        served.routes["/sitemap.xml"] = Route(urlset.encode(), content_type=XML)
        config = Config(settings=settings(), sources=(Source(name="dev", sitemaps=(served.url("/sitemap.xml"),)),))
        report = run(config, store)
        assert report.stats["articles_new"] == len(golds)
        stored = {a.requested_url: a.article for a in store.iter_articles()}
        score = shared_score()
        triples = []
        for gold in golds:
            url = served.url(f"/dev/{gold['file']}")
            expected = extract(site.routes[f"/dev/{gold['file']}"].body, url)
            assert stored[url].paragraphs == expected.paragraphs  # the pipeline stores what the cleaner makes
            triples.append(score.tp_fp_fn("\n".join(gold["body"]), stored[url].text))
        assert score.prf(triples)["f1"] >= 0.95  # generic rules only: no site file applies to 127.0.0.1
