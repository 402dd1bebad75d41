"""Noise learned from a site's own pages: the thresholds, the near-duplicate guard, the rule it makes, its
storage on both backends, and its use by a run, `reprocess`, `explain` and the `rules learn` / `rules learned`
commands. The articles are synthetic (distinct bodies drawn from a word list, a footer line shared by many);
one test reads the 2025 texts of ../shared."""

from __future__ import annotations

import asyncio
import collections
import csv
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scraper.cleaner import clean_text, extract
from scraper.cli import app
from scraper.config import Config, Settings, Source
from scraper.learned import (
    THRESHOLDS,
    Thresholds,
    learn_lines,
    learn_site,
    learned_name,
    learned_rules,
    learning_paragraphs,
    line_key,
    with_learned,
)
from scraper.metadata import host_of
from scraper.models import Article, Link, Page, Removal
from scraper.pipeline import reprocess, run_pass
from scraper.rules import RuleBook, default_rulebook
from scraper.store import LearnedLine, Store, open_store
from tests.conftest import require_shared
from tests.site_server import Route, Site, serve
from tests.test_store import fresh_schema, require_postgres

HOST = "kabar.example"
OTHER = "lain.example"
FOOTER = "Kabar Kita terbit setiap pagi untuk pembaca di seluruh negeri."
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
# Words to draw article bodies from (a text split, not a literal list, to keep it readable).
WORD_TEXT = (
    "warga desa membangun jembatan bambu baru tepi sungai petani menyambut panen gembira harga beras pasar "
    "induk naik pedagang pemerintah pasokan gudang stabil sekolah guru murid hujan banjir jalan rusak dinas "
    "perbaikan kota pelabuhan kapal nelayan ikan musim angin laut pulau bandara pesawat jadwal tiket wisata "
    "pantai hotel kamar tamu festival musik panggung penonton"
)
WORDS = tuple(WORD_TEXT.split())
runner = CliRunner()


def body(seed: int, paragraphs: int = 4) -> list[str]:
    """Paragraphs of an article of its own: words drawn by `seed`, so no two articles share a sentence. No
    digits, which a line key masks: numbered sentences would all be one line."""
    draw = random.Random(seed)
    return [" ".join(draw.sample(WORDS, 12)).capitalize() + "." for _ in range(paragraphs)]


def site_articles(n: int, *, first_seed: int = 0, footer: str | None = FOOTER) -> list[list[str]]:
    """`n` distinct articles, each ending with `footer` (when given)."""
    return [body(first_seed + i) + ([footer] if footer else []) for i in range(n)]


def with_line(articles: list[list[str]], line: str, pages: int) -> list[list[str]]:
    """`articles` with `line` inserted as the second paragraph of the first `pages` of them."""
    return [[*a[:1], line, *a[1:]] if i < pages else a for i, a in enumerate(articles)]


def learned_texts(articles: list[list[str]], thresholds: Thresholds = THRESHOLDS) -> set[str]:
    return {line.text for line in learn_lines(articles, thresholds).lines}


# -- what is learned


def test_a_footer_on_every_page_is_learned_with_its_page_count() -> None:
    learned = learn_lines(site_articles(30))
    assert learned.enough and learned.articles == learned.distinct == 30
    assert [(line.text, line.pages) for line in learned.lines] == [(FOOTER, 30)]


@pytest.mark.parametrize(("pages", "learned"), [(2, False), (4, False), (5, False), (6, True), (9, True)])
def test_a_line_must_be_on_min_pages_and_min_share_of_the_pages(pages: int, learned: bool) -> None:
    # 30 articles: 5 pages pass min_pages (5) but not min_share (a fifth of 30 is 6)
    line = "Simak ulasan lengkapnya di rubrik Ekonomi Kabar Kita."
    assert (line in learned_texts(with_line(site_articles(30), line, pages))) is learned


def test_min_pages_holds_where_the_share_would_be_less() -> None:
    line = "Simak ulasan lengkapnya di rubrik Ekonomi Kabar Kita."
    articles = with_line(site_articles(20), line, 4)  # 4 of 20 is a fifth, but fewer than 5 pages
    assert line not in learned_texts(articles)
    assert line in learned_texts(with_line(site_articles(20), line, 5))


def test_nothing_is_learned_from_too_few_articles() -> None:
    learned = learn_lines(site_articles(19))
    assert not learned.enough and learned.lines == () and learned.distinct == 19
    assert FOOTER in learned_texts(site_articles(19), Thresholds(min_articles=19))
    assert learn_lines([body(1)]).distinct == 1 and learn_lines([]).distinct == 0


def test_long_paragraphs_and_lines_without_a_letter_are_never_learned() -> None:
    long = "Disclaimer panjang tentang isi artikel ini. " * 5  # 220 characters
    articles = with_line(with_line(site_articles(30), long, 30), "***", 30)
    assert learned_texts(articles) == {FOOTER}
    assert long.strip() in learned_texts(articles, Thresholds(max_chars=300))


def test_case_blanks_and_numbers_make_no_difference_to_a_line() -> None:
    articles = site_articles(30, footer=None)
    for i, article in enumerate(articles):
        article.append(f"Halaman {i % 3 + 1}  dari {i % 4 + 2}" if i % 2 else f"HALAMAN {i} DARI {i + 1}")
    assert [(line.text, line.pages) for line in learn_lines(articles).lines] == [("HALAMAN 0 DARI 1", 30)]
    assert line_key(" Halaman 12\u00a0dari 3 ") == line_key("halaman 4 dari 56") == "halaman 0 dari 0"


def test_a_story_republished_many_times_does_not_teach_its_sentences() -> None:
    story = body(1000, paragraphs=6)
    copies = [[*story, f"Pembaruan {word} pukul pagi."] for word in WORDS[:8]]  # 8 copies, one line updated
    articles = site_articles(30) + copies
    learned = learn_lines(articles)
    assert learned.distinct == 31  # the copies count once
    assert {line.text for line in learned.lines} == {FOOTER}
    # the guard is what keeps them out: with no near-duplicates counted, the copies' 8 pages are over a fifth
    unguarded = learned_texts(articles, Thresholds(near_duplicate=1.01))
    assert set(story) <= unguarded


def test_a_footer_on_near_duplicates_counts_once_per_story() -> None:
    story = body(2000, paragraphs=6)
    line = "Artikel ini hasil kerja sama dengan mitra kami."
    articles = (
        site_articles(30) + [[*story, line] for _ in range(7)] + with_line(site_articles(3, first_seed=50), line, 3)
    )
    found = {line.text: line.pages for line in learn_lines(articles).lines}
    assert line not in found  # on 10 pages, but those are 4 stories: the 7 copies are one
    assert found[FOOTER] == 33
    assert line in learned_texts(articles, Thresholds(near_duplicate=1.01))  # 10 of 40 pages, counted as pages


def test_short_articles_that_share_only_template_lines_are_not_near_duplicates() -> None:
    block = [FOOTER, "Ikuti saluran Kabar Kita di aplikasi pesan."]  # far longer than the bodies
    short = [[f"{word.capitalize()} hadir di kota.", *block] for word in WORDS[:30]]
    learned = learn_lines(short)
    assert learned.distinct == 30 and {line.text for line in learned.lines} == set(block)


def test_a_page_that_is_all_template_is_no_article() -> None:
    learned = learn_lines(site_articles(25) + [[FOOTER]] * 10)
    assert learned.articles == 35 and learned.distinct == 25
    assert [(line.text, line.pages) for line in learned.lines] == [(FOOTER, 25)]
    assert not learn_lines([[FOOTER]] * 40).enough


def test_lines_cut_by_an_earlier_learned_rule_are_learned_again() -> None:
    recleaned = [
        Article(paragraphs=tuple(body(i)), removed=(Removal(FOOTER, learned_name(HOST), "text"),)) for i in range(30)
    ]
    assert learning_paragraphs(recleaned[0])[-1] == FOOTER
    assert [line.text for line in learn_site(recleaned).lines] == [FOOTER]
    other_rule = [
        Article(paragraphs=tuple(body(i)), removed=(Removal(FOOTER, "generic/x", "text"),)) for i in range(30)
    ]
    assert learn_site(other_rule).lines == ()  # what a written rule cuts is that rule's business


# -- the rule


def book_with(lines: dict[str, list[str]], book: RuleBook | None = None) -> RuleBook:
    learned = [LearnedLine(host, text, 30, 30, T0) for host, texts in lines.items() for text in texts]
    return with_learned(book or default_rulebook(), learned)


def test_the_learned_rule_cuts_the_line_on_its_host_only_and_names_itself() -> None:
    book = book_with({HOST: [FOOTER]})
    text = "\n".join([*body(7), FOOTER, f"Menurut warga, {FOOTER.lower()}"])
    article = clean_text(text, url=f"https://{HOST}/berita/1", rules=book)
    assert FOOTER not in article.paragraphs
    assert f"Menurut warga, {FOOTER.lower()}" in article.paragraphs  # whole lines only
    assert [r for r in article.removed if r.rule.startswith("learned:")] == [
        Removal(FOOTER, "learned:kabar.example", "text")
    ]
    elsewhere = clean_text(text, url=f"https://{OTHER}/berita/1", rules=book)
    assert FOOTER in elsewhere.paragraphs
    assert FOOTER in clean_text(text, url=f"https://www.{HOST}/berita/1", rules=default_rulebook()).paragraphs


def test_the_rule_matches_any_case_and_number_but_nothing_longer() -> None:
    rules = learned_rules(HOST, ["Halaman 1 dari 3", "Foto: Istimewa (A.B)"])
    (pattern,) = rules.line[0].patterns
    assert pattern.search("HALAMAN 12 dari 30") and pattern.search("foto: istimewa (a.b)")
    assert not pattern.search("Halaman dari 3") and not pattern.search("Halaman 1 dari 3 artikel")
    assert not pattern.search("Foto: Istimewa (AxB)")  # the text is escaped, never read as a regex
    with pytest.raises(ValueError, match="no learned lines"):
        learned_rules(HOST, [])


def test_a_subdomain_learns_for_itself_and_keeps_its_site_rules() -> None:
    book = book_with({"oto.detik.com": [FOOTER]})
    oto, sport = book.for_host("oto.detik.com"), book.for_host("sport.detik.com")
    assert oto.line[-1].name == "learned:oto.detik.com"
    assert sport == default_rulebook().for_host("sport.detik.com")
    assert oto.hosts == sport.hosts == ("detik.com",)  # the site's hosts, not the learned host
    assert book.for_host("example.org") is book.generic


def test_the_version_names_the_learned_lines() -> None:
    base = default_rulebook()
    one, two = book_with({HOST: [FOOTER]}), book_with({HOST: [FOOTER, "Halaman 1 dari 3"]})
    assert one.version.startswith(base.version + "+learned-") and one.version != two.version
    assert book_with({HOST: [FOOTER]}, two).version == one.version  # replaced, never stacked
    assert with_learned(one, []).version == base.version and with_learned(one, []).learned == ()


# -- the store, on both backends


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scraper.db'}"
        return
    with fresh_schema(require_postgres()) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as opened:
        yield opened


def test_learned_lines_are_kept_by_host_most_pages_first(store: Store, db_url: str) -> None:
    store.save_learned(HOST, {FOOTER: 30, "Halaman 1 dari 3": 41}, articles=50, now=T0)
    store.save_learned(OTHER, {"Iklan": 9}, articles=20, now=T0 + timedelta(hours=1))
    expected = [
        LearnedLine(OTHER, "Iklan", 9, 20, T0 + timedelta(hours=1)),
        LearnedLine(HOST, "Halaman 1 dari 3", 41, 50, T0),
        LearnedLine(HOST, FOOTER, 30, 50, T0),
    ]
    assert store.learned_lines() == sorted(expected, key=lambda line: (line.host, -line.pages))
    assert store.learned_lines(OTHER) == expected[:1]
    with open_store(db_url) as again:  # kept: another connection sees them
        assert again.learned_lines(HOST) == expected[1:]


def test_learning_again_replaces_a_hosts_lines_and_none_forgets_them(store: Store) -> None:
    store.save_learned(HOST, {FOOTER: 30, "Halaman 1 dari 3": 41}, articles=50, now=T0)
    store.save_learned(OTHER, {"Iklan": 9}, articles=20, now=T0)
    store.save_learned(HOST, {FOOTER: 33}, articles=55, now=T0 + timedelta(days=1))
    assert store.learned_lines(HOST) == [LearnedLine(HOST, FOOTER, 33, 55, T0 + timedelta(days=1))]
    store.save_learned(HOST, {}, articles=60, now=T0)
    assert store.learned_lines(HOST) == [] and len(store.learned_lines()) == 1


def test_save_learned_refuses_a_naive_time_before_any_sql(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.save_learned(HOST, {FOOTER: 30}, articles=30, now=datetime(2025, 6, 1))
    assert store.learned_lines() == []


# -- a run, reprocess, explain and the commands


def page_html(seed: int) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in [*body(seed), FOOTER])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Berita {WORDS[seed % len(WORDS)]}</title></head>"
        f"<body><article><h1>Berita {WORDS[seed % len(WORDS)]}</h1>{paragraphs}</article></body></html>"
    ).encode()


def kabar_site(n: int) -> Site:
    site = Site()
    for i in range(n):
        site.routes[f"/berita/{i}"] = Route(page_html(i))
    return site


def crawl(store: Store, site: Site) -> None:
    """One pass over every page of `site`, listed in a sitemap."""
    locs = "".join(f"<url><loc>{site.url(path)}</loc></url>" for path in sorted(site.routes))
    urlset = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    site.routes["/sitemap.xml"] = Route(urlset.encode(), content_type="application/xml")
    settings = Settings(delay=0.0, allow_private=True, max_retries=0, timeout=5.0, workers=1)
    config = Config(settings=settings, sources=(Source(name="kabar", sitemaps=(site.url("/sitemap.xml"),)),))
    assert asyncio.run(run_pass(config, store)).ok


def test_a_run_applies_the_lines_learned_for_its_host(tmp_path: Path) -> None:
    with serve(kabar_site(3)) as site, open_store(str(tmp_path / "scraper.db")) as store:
        host = host_of(site.base) or ""
        store.save_learned(host, {FOOTER: 30}, articles=30, now=T0)
        crawl(store, site)
        stored = list(store.iter_articles())
    assert len(stored) == 3
    for item in stored:
        assert FOOTER not in item.article.paragraphs
        assert Removal(FOOTER, f"learned:{host}", "text") in item.article.removed
        assert "+learned-" in item.rules_version


def test_reprocess_applies_learned_lines_and_learning_again_finds_them(tmp_path: Path) -> None:
    with serve(kabar_site(25)) as site, open_store(str(tmp_path / "scraper.db")) as store:
        host = host_of(site.base) or ""
        crawl(store, site)
        assert all(FOOTER in a.article.paragraphs for a in store.iter_articles())
        learned = learn_site(a.article for a in store.iter_articles(site=host))
        assert [(line.text, line.pages) for line in learned.lines] == [(FOOTER, 25)]
        store.save_learned(host, learned.as_mapping(), articles=learned.distinct, now=T0)
        assert reprocess(store) == collections.Counter(text_changed=25)
        recleaned = [a.article for a in store.iter_articles()]
        assert not any(FOOTER in a.paragraphs for a in recleaned)
        assert all(Removal(FOOTER, f"learned:{host}", "text") in a.removed for a in recleaned)
        assert learn_site(recleaned).lines == learned.lines  # stable: the cut lines are still evidence


def stored_site(db: str, host: str, n: int, *, footer: str = FOOTER) -> None:
    """`n` articles of `host` stored as the pipeline stores them."""
    with open_store(db) as store:
        for i in range(n):
            url = f"https://{host}/berita/{i}"
            store.add_links([Link(url)], host, T0)
            page = Page(url=url, final_url=url, status=200, content=b"<html></html>", fetched_at=T0)
            article = Article(url=url, site=host, paragraphs=(*body(i), footer))
            store.save_result(url, page, article, canonical_url=None, rules_version="r1", now=T0)


def test_rules_learn_prints_what_it_learned_and_rules_learned_lists_it(tmp_path: Path) -> None:
    db = str(tmp_path / "scraper.db")
    stored_site(db, HOST, 24)
    stored_site(db, OTHER, 5)
    result = runner.invoke(app, ["rules", "learn", "--db", db])
    assert result.exit_code == 0, result.output
    assert f"learned:{HOST}: 1 line from 24 distinct articles\n      24  {FOOTER}\n" in result.stdout
    assert f"{OTHER}: too few distinct articles to learn from (5), nothing learned" in result.stdout
    assert "scraper reprocess" in result.stdout
    listed = runner.invoke(app, ["rules", "learned", "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    (entry,) = json.loads(listed.stdout)
    assert entry["rule"] == f"learned:{HOST}" and entry["articles"] == 24
    assert entry["lines"] == [{"text": FOOTER, "pages": 24}]
    text = runner.invoke(app, ["rules", "learned", "--db", db])
    assert text.stdout.startswith(f"learned:{HOST}: 1 line from 24 distinct articles, 2") and FOOTER in text.stdout


def test_rules_learn_for_one_site_as_json_and_learning_nothing_forgets(tmp_path: Path) -> None:
    db = str(tmp_path / "scraper.db")
    stored_site(db, HOST, 24)
    with open_store(db) as store:
        store.save_learned(HOST, {"Iklan": 9}, articles=20, now=T0)  # a line the site no longer prints
    result = runner.invoke(app, ["rules", "learn", "--db", db, "--site", HOST, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "host": HOST,
            "rule": f"learned:{HOST}",
            "articles": 24,
            "distinct": 24,
            "learned": True,
            "lines": [{"text": FOOTER, "pages": 24}],
        }
    ]
    with open_store(db) as store:
        assert [line.text for line in store.learned_lines()] == [FOOTER]


def test_rules_learn_of_a_site_without_articles_is_one_line_and_exit_1(tmp_path: Path) -> None:
    db = str(tmp_path / "scraper.db")
    stored_site(db, HOST, 3)
    result = runner.invoke(app, ["rules", "learn", "--db", db, "--site", OTHER])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"scraper: rules learn: no stored articles of {OTHER}\n"
    empty = runner.invoke(app, ["rules", "learned", "--db", db])
    assert empty.exit_code == 0 and empty.stdout.startswith("no learned lines")


def test_explain_with_db_shows_the_cut_of_a_learned_rule(tmp_path: Path) -> None:
    db = str(tmp_path / "scraper.db")
    with open_store(db) as store:
        store.save_learned(HOST, {FOOTER: 30}, articles=30, now=T0)
    page = tmp_path / "page.html"
    page.write_bytes(page_html(3))
    args = ["explain", str(page), "--url", f"https://{HOST}/berita/3"]
    with_db = runner.invoke(app, [*args, "--db", db])
    assert with_db.exit_code == 0, with_db.output
    assert f"[text] learned:{HOST}: {FOOTER}" in with_db.stdout
    without = runner.invoke(app, args)
    assert "learned:" not in without.stdout and FOOTER in without.stdout.split("--- removed")[0]


def test_the_learned_rule_on_a_page_matches_what_extract_gives(tmp_path: Path) -> None:
    book = book_with({HOST: [FOOTER]})
    article = extract(page_html(4), f"https://{HOST}/berita/4", rules=book)
    assert FOOTER not in article.paragraphs and article.paragraphs == tuple(body(4))


# -- real texts


def test_lines_learned_from_raw_2025_texts_are_noise_the_written_rules_cut_too() -> None:
    """From the texts as scraped (noise left in), learning finds the template lines of each host, and none of
    them is a paragraph of any article as the written rules clean it: it learns what a person wrote rules for."""
    path = require_shared("data", "idnews-text-2025", "dev.csv")
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    raw: dict[str, list[list[str]]] = collections.defaultdict(list)
    cleaned: set[str] = set()
    for row in rows:
        raw[host_of(row["url"]) or ""].append(row["isi_berita"].split("\n"))
        cleaned.update(line_key(p) for p in clean_text(row["isi_berita"], url=row["url"]).paragraphs)
    learned = {host: learned_texts(articles) for host, articles in raw.items()}
    assert {"Advertisement", "Baca Juga"} <= learned["liputan6.com"]
    assert all(
        "SCROLL TO CONTINUE WITH CONTENT" in learned[h] for h in raw if h.endswith("detik.com") and len(raw[h]) >= 40
    )
    every = {line for lines in learned.values() for line in lines}
    assert every and not {line_key(line) for line in every} & cleaned
