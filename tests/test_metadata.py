"""Metadata clean-up: author, title, date, tags, host."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from scraper import extract
from scraper.metadata import clean_author, clean_tags, clean_title, detect_language, host_of, iso_date
from scraper.models import Removal
from scraper.rules import DEFAULT_RULES_DIR, RuleBook, default_rulebook, load_rulebook

RULES = default_rulebook().generic


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bagus Kurniawan - detikNews", "Bagus Kurniawan"),
        ("Liputan6.com", None),
        ("Oleh: Anju Christian", "Anju Christian"),
        ("Penulis: Nabilla Tashandra", "Nabilla Tashandra"),
        ("Silvanus Alvin; Silvanus Alvin", "Silvanus Alvin"),
        ("Jane Doe and John Roe", "Jane Doe; John Roe"),
        ("Kompas.com", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_author(raw: str | None, expected: str | None) -> None:
    removals: list[Removal] = []
    assert clean_author(raw, RULES, removals) == expected


def test_clean_author_logs_what_it_cut() -> None:
    removals: list[Removal] = []
    clean_author("Bagus Kurniawan - detikNews", RULES, removals)
    assert removals and removals[0].stage == "meta"


@pytest.mark.parametrize(
    ("title", "sitename", "host", "expected"),
    [
        (
            "Kadishub DKI: Taksi Uber Tak Berizin - Tribunnews.com",
            None,
            "tribunnews.com",
            "Kadishub DKI: Taksi Uber Tak Berizin",
        ),
        ("Obama speaks | The Guardian", "The Guardian", "theguardian.com", "Obama speaks"),
        ("Liputan6.com - Harga Beras Naik", None, "liputan6.com", "Harga Beras Naik"),
        ("Harga Beras Naik - Ekonomi", None, "liputan6.com", "Harga Beras Naik - Ekonomi"),
        ("A - B story", "X", "x.com", "A - B story"),
        (None, None, None, None),
    ],
)
def test_clean_title(title: str | None, sitename: str | None, host: str | None, expected: str | None) -> None:
    assert clean_title(title, sitename, host) == expected


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.liputan6.com/news/read/1/x", "liputan6.com"),
        ("http://NEWS.Detik.com/berita/1", "news.detik.com"),
        ("liputan6.com", "liputan6.com"),
        ("", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_host_of(url: str | None, host: str | None) -> None:
    assert host_of(url) == host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2015-06-16", "2015-06-16"), ("2026-01-08T10:20:00+07:00", "2026-01-08T10:20:00+07:00"), ("16/06/2015", None)],
)
def test_iso_date(raw: str, expected: str | None) -> None:
    assert iso_date(raw) == expected


def test_clean_tags_splits_strips_and_dedupes() -> None:
    assert clean_tags(["#IHSG, saham", "Saham", " # Purbaya "]) == ("IHSG", "saham", "Purbaya")


PAGE = """<html><head><title>Harga Beras Naik Lagi - Contoh.com</title>
<meta name="author" content="Rina Sari">
<meta property="article:published_time" content="2025-06-18T09:00:00+07:00">
<meta name="keywords" content="beras, harga pangan">
</head><body><article><h1>Harga Beras Naik Lagi</h1>
<p>Harga beras di pasar induk naik untuk ketiga kalinya bulan ini, menurut para pedagang setempat.</p>
<p>Pemerintah berjanji menambah pasokan dari gudang Bulog dalam waktu dekat agar harga kembali stabil.</p>
<p>Pedagang berharap langkah itu segera dilakukan karena pembeli mulai berkurang sejak pekan lalu.</p>
</article></body></html>"""


def test_extract_fills_metadata_from_the_page() -> None:
    article = extract(PAGE, "https://www.contoh.com/ekonomi/123/harga-beras")
    assert article.title == "Harga Beras Naik Lagi"
    assert article.author == "Rina Sari"
    assert article.date is not None and article.date.startswith("2025-06-18")
    assert article.site == "contoh.com"
    assert "beras" in article.tags
    assert "Harga Beras Naik Lagi" not in article.paragraphs


BYLINE_PAGE = """<html lang="en"><head><title>Harga Cabai Turun - Contoh.com</title>
<meta name="author" content="Contoh.com Developer"></head><body>
<div class="byline-box"><span class="penulis">Penulis: Dewi Lestari</span></div>
<article><p>Harga cabai rawit di pasar tradisional turun tajam setelah panen raya di beberapa daerah sentra.</p>
<p>Para pedagang mengatakan pasokan dari petani melimpah sehingga harga jual ikut turun sejak awal pekan ini.</p>
<p>Pemerintah daerah memantau harga agar petani tetap mendapat untung yang layak dari hasil panen mereka.</p>
</article></body></html>"""


def test_site_byline_selector_wins_over_a_cms_account_in_meta() -> None:
    rules = load_rules_with_site("contoh.com", '[author]\nselectors = [".penulis"]\n')
    article = extract(BYLINE_PAGE, "https://contoh.com/berita/1", rules=rules)
    assert article.author == "Dewi Lestari"
    assert extract(BYLINE_PAGE, "https://contoh.com/berita/1").author is None  # the CMS account is dropped


def test_language_is_detected_from_the_text_not_the_declaration() -> None:
    article = extract(BYLINE_PAGE, "https://contoh.com/berita/1")
    assert article.language == "id"  # the page says lang="en"


def test_short_text_keeps_the_declared_language() -> None:
    assert detect_language("Harga turun.", "en") == "en"
    assert detect_language("Harga turun.", None) is None


def test_close_languages_believe_the_declaration() -> None:
    text = "Harga cabai rawit di pasar tradisional turun tajam setelah panen raya di beberapa daerah sentra. " * 3
    assert detect_language(text, "ms") == "ms"
    assert detect_language(text, "id") == "id"


def load_rules_with_site(host: str, body: str) -> RuleBook:
    directory = Path(tempfile.mkdtemp())
    (directory / "sites").mkdir()
    shutil.copy(DEFAULT_RULES_DIR / "generic.toml", directory / "generic.toml")
    (directory / "sites" / f"{host}.toml").write_text(f'[site]\nhosts = ["{host}"]\n{body}', encoding="utf-8")
    return load_rulebook(directory)
