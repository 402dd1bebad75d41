"""Hostile input: `extract` and `clean_text` return an Article or raise ExtractError, never anything else.

Each input once did something worse (times measured before the guards, on the development machine):
100 000 nested <div> took 15 s to parse; a tag with 200 000 attributes did not finish in minutes;
1 M tiny paragraphs took 46 s and 1.5 GB; a page declaring charset "rot13" or "undefined" raised
LookupError / UnicodeError; "<head " repeated 20 000 times in a page with a body hint took 9 s.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable

import pytest

import scraper
from scraper import Article, ExtractError
from scraper.cleaner import _head_of
from scraper.rules import RuleBook, SiteRules, default_rulebook
from tests.conftest import FIXTURES

URL = "https://example.com/news/hostile"
ARTICLE = (FIXTURES / "robust_article.html").read_text(encoding="utf-8")
PARAGRAPHS = re.findall(r"<p>(.*?)</p>", ARTICLE)
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")


def in_article(markup: str) -> str:
    """The fixture article with `markup` after its paragraphs."""
    return ARTICLE.replace("</article>", f"{markup}</article>")


HOSTILE: dict[str, Callable[[], str | bytes]] = {
    "empty str": lambda: "",
    "empty bytes": lambda: b"",
    "whitespace": lambda: " \n\t\r \x0c ",
    "NUL bytes only": lambda: b"\x00" * 1000,
    "PNG": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    "gzip": lambda: gzip.compress(ARTICLE.encode("utf-8")),
    "PDF": lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 8,
    "random bytes": lambda: bytes((i * 7919) % 251 for i in range(50_000)),
    "50 MB": lambda: ARTICLE.encode("utf-8") + b"<p>x</p>" * (50 * 1024 * 1024 // 8),
    "50 MB str": lambda: ARTICLE + "<p>x</p>" * (50 * 1024 * 1024 // 8),
    "100k nested divs": lambda: "<div>" * 100_000,
    "100k nested divs around the article": lambda: "<div>" * 100_000 + ARTICLE + "</div>" * 100_000,
    "100k nested divs inside the article": lambda: in_article("<div>" * 100_000 + BODY),
    "100k nested bold": lambda: "<b>" * 100_000 + BODY,
    "10k nested tables": lambda: "<table><tr><td>" * 10_000 + BODY,
    "50k nested blockquotes": lambda: "<blockquote>" * 50_000 + BODY,
    "100k nested svg groups": lambda: "<svg>" + "<g>" * 100_000 + "</svg>" + BODY,
    "100k distinct custom tags": lambda: "".join(f"<x{i}>" for i in range(100_000)) + BODY,
    "tag soup": lambda: "<<<>>><p<<a>>" * 100_000,
    "invalid UTF-8": lambda: b"<p>" + bytes(range(0x80, 0x100)) * 50 + b"</p>",
    "invalid byte in the article": lambda: ARTICLE.encode("utf-8").replace(b"Braga", b"Bra\xffga"),
    "lone surrogates": lambda: ARTICLE.replace("Braga", "Bra\ud800ga").replace("Bandung", "\udfffBandung"),
    "NUL in str": lambda: ARTICLE.replace("Braga", "Bra\x00ga"),
    "NUL in bytes": lambda: ARTICLE.encode("utf-8").replace(b"Braga", b"Bra\x00ga"),
    "control characters": lambda: ARTICLE.replace("Braga", "Bra\x01\x0b\x1bga"),
    "noncharacters": lambda: ARTICLE.replace("Braga", "Bra\ufffe\uffffga\U0010ffff"),
    "no text": lambda: "<html><head><title>t</title></head><body><div></div><img src=x></body></html>",
    "comment only": lambda: "<!-- " + "komentar " * 100 + "-->",
    "unclosed comment": lambda: "<!--" + BODY * 100,
    "doctype only": lambda: "<!DOCTYPE html>",
    "script only": lambda: "<script>" + "var x = 1;" * 100_000 + "</script>",
    "huge attribute": lambda: '<html><body><div class="' + "a" * 5_000_000 + '">' + BODY + "</div></body></html>",
    "huge unterminated attribute": lambda: '<div title="' + "a" * 5_000_000,
    "200k attributes": lambda: "<div " + " ".join(f"a{i}=x" for i in range(200_000)) + ">" + BODY + "</div>",
    "1M tiny paragraphs": lambda: "<html><body>" + "<p>a</p>" * 1_000_000 + "</body></html>",
    "1M line breaks": lambda: "<html><body><p>" + "kata<br>" * 1_000_000 + "</p></body></html>",
    "5M-character word": lambda: "<p>" + "a" * 5_000_000 + "</p>",
    "2M entities": lambda: "<p>" + "&amp;" * 2_000_000 + "</p>",
    "10 MB of plain text": lambda: "kata " * 2_000_000,
    "formatting re-created in every paragraph": lambda: (
        "<p>" + "".join(f"<b id=x{i}>" for i in range(900)) + "</p>" + "<p>x</p>" * 900
    ),
    "charset rot13": lambda: ARTICLE.replace('charset="utf-8"', 'charset="rot13"').encode("cp1252"),
    "charset undefined": lambda: ARTICLE.replace('charset="utf-8"', 'charset="undefined"').encode("cp1252"),
    "charset punycode": lambda: ARTICLE.replace('charset="utf-8"', 'charset="punycode"').encode("cp1252"),
    "charset utf-16 on ASCII bytes": lambda: ARTICLE.replace('charset="utf-8"', 'charset="utf-16"').encode("cp1252"),
    "UTF-16 without a BOM": lambda: ARTICLE.encode("utf-16-le"),
    "UTF-32 with a BOM": lambda: ARTICLE.encode("utf-32"),
    "XML declaration in a str": lambda: '<?xml version="1.0" encoding="iso-8859-1"?>' + ARTICLE,
    "CDATA": lambda: "<![CDATA[" + BODY * 10,
    "frameset": lambda: "<frameset>" * 1000 + BODY,
    "plaintext": lambda: "<plaintext>" + BODY,
}
# The cause each refused input must name (the rest may fail as "no article" or succeed).
CAUSES = {
    "empty str": "empty page",
    "empty bytes": "empty page",
    "whitespace": "empty page",
    "NUL bytes only": "looks binary",
    "PNG": "input is a PNG image",
    "gzip": "input is gzip-compressed data",
    "PDF": "input is a PDF document",
    "random bytes": "looks binary",
    "50 MB": "over the 10 MB limit",
    "50 MB str": "over the 10 MB limit",
    "100k nested divs": "deeper than 1,000 levels",
    "100k nested divs around the article": "deeper than 1,000 levels",
    "100k nested divs inside the article": "deeper than 1,000 levels",
    "100k nested bold": "deeper than 1,000 levels",
    "10k nested tables": "deeper than 1,000 levels",
    "50k nested blockquotes": "deeper than 1,000 levels",
    "100k nested svg groups": "deeper than 1,000 levels",
    "100k distinct custom tags": "deeper than 1,000 levels",
    "tag soup": "deeper than 1,000 levels",
    "no text": "no article text",
    "comment only": "no article text",
    "doctype only": "no article text",
    "huge attribute": "characters of text and tags",
    "200k attributes": "more than 256 attributes",
    "1M tiny paragraphs": "more than 30,000 elements",
    "1M line breaks": "more than 30,000 elements",
    "5M-character word": "characters of text and tags",
    "2M entities": "characters of text and tags",
    "10 MB of plain text": "characters of text and tags",
    "formatting re-created in every paragraph": "more than 30,000 elements",
    "UTF-16 without a BOM": "looks binary",
}
# Pages that hold the article despite the noise around it: the article must come out whole.
SURVIVES = [
    "invalid byte in the article",
    "lone surrogates",
    "NUL in str",
    "NUL in bytes",
    "control characters",
    "noncharacters",
    "charset rot13",
    "charset undefined",
    "charset punycode",
    "charset utf-16 on ASCII bytes",
    "UTF-32 with a BOM",
    "XML declaration in a str",
]


def run_extract(data: str | bytes) -> Article | ExtractError:
    try:
        return scraper.extract(data, URL)
    except ExtractError as exc:
        return exc


def assert_well_formed(article: Article) -> None:
    assert article.text == "\n".join(article.paragraphs)
    assert all(p.strip() for p in article.paragraphs)
    assert not any(CONTROL.search(p) for p in article.paragraphs)
    # Storable and printable: JSON-serialisable and encodable as UTF-8.
    json.dumps(article.to_dict(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_extract_returns_an_article_or_a_one_line_extract_error(name: str) -> None:
    result = run_extract(HOSTILE[name]())
    if isinstance(result, ExtractError):
        message = str(result)
        assert message.startswith(f"{URL}: ")
        assert "\n" not in message
        assert result.url == URL
        if name in CAUSES:
            assert CAUSES[name] in message
    else:
        assert name not in CAUSES, f"expected ExtractError naming {CAUSES.get(name)!r}"
        assert_well_formed(result)


@pytest.mark.parametrize("name", SURVIVES)
def test_article_survives_bad_characters_and_charsets(name: str) -> None:
    result = run_extract(HOSTILE[name]())
    assert isinstance(result, Article), result
    assert_well_formed(result)
    assert len(result.paragraphs) == len(PARAGRAPHS)
    assert "Bandung" in result.text
    assert "Jalan Bra" in result.text


def test_error_without_url_names_the_input() -> None:
    with pytest.raises(ExtractError, match=r"^<input>: empty page$"):
        scraper.extract(b"   ")


def test_article_nested_as_deep_as_allowed_is_extracted() -> None:
    article = scraper.extract("<div>" * 200 + BODY + "</div>" * 200)
    assert article.paragraphs == tuple(PARAGRAPHS)


def test_article_nested_300_deep_is_extracted() -> None:
    article = scraper.extract("<div>" * 300 + BODY + "</div>" * 300)
    assert article.paragraphs == tuple(PARAGRAPHS)


def test_head_search_is_linear_and_finds_the_first_head() -> None:
    page = "<html><head><title>T</title></head><body>" + "<head " * 50_000 + "</body></html>"
    assert _head_of(page) == "<head><title>T</title></head>"
    assert _head_of("<body>" + "<head " * 50_000) == ""
    assert _head_of("<HEAD><title>T</title></HEAD >") == "<HEAD><title>T</title></HEAD >"


def test_page_with_a_body_hint_and_many_head_openings_is_cleaned() -> None:
    # A site body hint makes the cleaner wrap the body in the page's <head>: the search for it once
    # took 9 s on this page, and minutes on a 500 KB one.
    site = SiteRules(name="example.com", hosts=("example.com",), body=("div.story",))
    book = RuleBook(generic=default_rulebook().generic, sites=(site,))
    page = f'<html><body><div class="story">{BODY}</div><script>{"<head " * 20_000}</script></body></html>'
    article = scraper.extract(page, URL, rules=book)
    assert article.paragraphs == tuple(PARAGRAPHS)


TEXTS: dict[str, Callable[[], str]] = {
    "empty": lambda: "",
    "whitespace": lambda: " \n\t\r\n ",
    "controls only": lambda: "\x00\x01\x02\n\x7f",
    "50 MB": lambda: "kata " * (10 * 1024 * 1024),
    "1M lines": lambda: "baris\n" * 1_000_000,
    "one 2M-character line": lambda: "a" * 2_000_001,
    "1M newlines then a word": lambda: "\n" * 1_000_000 + "kata",
    "lone surrogates": lambda: "ber\ud800ita hari ini\nkedua \udfff baris",
    "NUL and controls": lambda: "ber\x00ita\x01 hari\x1b ini",
    "unicode line separators": lambda: "satu\u2028dua\u2029tiga\x85empat\x1cl\x1dima",
    "all noise": lambda: "Baca Juga: Judul lain\nADVERTISEMENT\nSCROLL TO CONTINUE WITH CONTENT",
    "brackets": lambda: "[" * 100_000 + "ab/ka" + "]" * 100_000,
    "dateline repeated": lambda: "Jakarta - " * 100_000,
}
TEXT_CAUSES = {
    "empty": "empty text",
    "whitespace": "empty text",
    "controls only": "empty text",
    "50 MB": "over the 10 MB limit",
    "1M lines": "more than 30,000 lines",
    "one 2M-character line": "more than 2,000,000 characters",
}


@pytest.mark.parametrize("name", list(TEXTS))
def test_clean_text_returns_an_article_or_a_one_line_extract_error(name: str) -> None:
    try:
        article = scraper.clean_text(TEXTS[name](), url=URL)
    except ExtractError as exc:
        assert str(exc).startswith(f"{URL}: ")
        assert "\n" not in str(exc)
        assert TEXT_CAUSES.get(name, "<no error expected>") in str(exc)
        return
    assert name not in TEXT_CAUSES, f"expected ExtractError naming {TEXT_CAUSES.get(name)!r}"
    assert_well_formed(article)


def test_clean_text_all_noise_is_an_article_without_paragraphs() -> None:
    article = scraper.clean_text(TEXTS["all noise"]())
    assert article.paragraphs == ()
    assert article.removed


def test_clean_text_replaces_lone_surrogates_and_drops_controls() -> None:
    article = scraper.clean_text("ber\ud800ita hari\x00 ini")
    assert article.paragraphs == ("ber\ufffdita hari ini",)
