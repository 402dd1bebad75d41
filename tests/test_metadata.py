"""Metadata clean-up: author, title, date, tags, host."""

from __future__ import annotations

import pytest

from scraper import extract
from scraper.metadata import clean_author, clean_tags, clean_title, host_of, iso_date
from scraper.models import Removal
from scraper.rules import default_rulebook

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
