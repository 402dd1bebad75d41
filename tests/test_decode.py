"""decode.decode_html: bytes to text whatever the page claims, and a clear error for what is not a page."""

from __future__ import annotations

import codecs
import gzip

import pytest

import scraper
from scraper.decode import MAX_PAGE_BYTES, declared_charset, decode_html, decode_text, sanitize_text, usable_codec
from scraper.errors import ExtractError
from tests.conftest import FIXTURES

# What every robust_*.html fixture says, in whatever bytes it is stored.
NAME = "José Peña"
QUOTED = "kafe “Kopi Kita” di Jalan Braga"
DASH = "Sabtu sore — antrean"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "robust_article.html",
        # The real-world lie: the page says iso-8859-1 and is UTF-8.
        "robust_declared_latin1_is_utf8.html",
        "robust_cp1252.html",
        # iso-8859-1 declared, 0x93/0x94/0x97 used as quotes and dash: browsers read it as windows-1252.
        "robust_latin1.html",
        "robust_unknown_charset.html",
        # Declared iso-8859-1, UTF-8 in fact, with one stray windows-1252 byte: still UTF-8.
        "robust_utf8_stray_byte.html",
    ],
)
def test_fixture_pages_decode_to_the_same_text(name: str) -> None:
    text = decode_html(fixture(name))
    assert NAME in text
    assert QUOTED in text
    assert DASH in text


def test_stray_byte_becomes_one_replacement_character() -> None:
    text = decode_html(fixture("robust_utf8_stray_byte.html"))
    assert "pemilik kafe\ufffds" in text
    assert text.count("\ufffd") == 1


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_byte_order_marks_pick_the_codec_and_vanish(codec: str) -> None:
    page = fixture("robust_article.html").decode("utf-8")
    data = page.encode(codec)
    if codec.endswith("-be"):
        bom = codecs.BOM_UTF16_BE if "16" in codec else codecs.BOM_UTF32_BE
        data = bom + data
    text = decode_html(data)
    assert text == page


def test_bom_beats_the_declared_charset() -> None:
    page = fixture("robust_cp1252.html").decode("cp1252")
    assert decode_html(codecs.BOM_UTF8 + page.encode("utf-8")) == page


@pytest.mark.parametrize(
    ("declaration", "codec"),
    [
        ('<meta charset="utf-8">', "utf-8"),
        ("<meta charset=ISO-8859-1>", "cp1252"),
        ("<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=windows-1252'>", "cp1252"),
        ('<?xml version="1.0" encoding="iso-8859-1"?>', "cp1252"),
        ('<meta charset="shift_jis">', "cp932"),
        ('<meta charset="gb2312">', "gbk"),
        ('<meta charset="koi8-r">', "koi8-r"),
        ('<meta charset="windows-874">', "cp874"),
    ],
)
def test_declared_charset_reads_the_web_labels(declaration: str, codec: str) -> None:
    assert declared_charset(f"<html><head>{declaration}</head>".encode("ascii")) == codec


@pytest.mark.parametrize(
    "label",
    # Unknown, ASCII-incompatible, bytes-to-bytes, or not for pages: each once raised or gave garbage.
    ["x-klingon", "utf-16", "utf-32", "utf-7", "rot13", "base64", "punycode", "idna", "unicode_escape", "undefined"],
)
def test_unusable_declared_charsets_are_ignored(label: str) -> None:
    assert usable_codec(label) is None
    assert declared_charset(f'<meta charset="{label}">'.encode("ascii")) is None


@pytest.mark.parametrize("label", ["rot13", "undefined", "punycode", "utf-16", "unicode_escape", "x-klingon"])
def test_page_declaring_an_unusable_charset_still_decodes(label: str) -> None:
    page = fixture("robust_cp1252.html").replace(b'charset="windows-1252"', f'charset="{label}"'.encode("ascii"))
    text = decode_html(page)
    assert NAME in text
    assert QUOTED in text


def test_page_falsely_declaring_utf8_is_read_in_its_real_code_page() -> None:
    page = fixture("robust_cp1252.html").replace(b'charset="windows-1252"', b'charset="utf-8"')
    assert NAME in decode_html(page)


def test_page_without_declaration_is_guessed() -> None:
    russian = "<html><body><p>" + "Привет, мир! Это новости дня из Москвы. " * 40 + "</p></body></html>"
    assert "новости дня" in decode_html(russian.encode("koi8-r"))


def test_latin_guess_prefers_windows_1252() -> None:
    page = fixture("robust_cp1252.html").replace(b'<meta charset="windows-1252">', b"")
    assert NAME in decode_html(page)


def test_str_input_passes_through_sanitized() -> None:
    filler = "<p>" + "kata " * 40 + "</p>"
    assert decode_html(f"{filler}<p>a\x00b\x01c\td\ud800e</p>") == f"{filler}<p>abc\td\ufffde</p>"


def test_sanitize_text_keeps_whitespace_controls() -> None:
    assert sanitize_text("a\tb\nc\rd\x0ce") == "a\tb\nc\rd\x0ce"
    assert sanitize_text("a\x00\x07\x0b\x1b\x7f\ufffe\uffffb") == "ab"
    assert sanitize_text("a\U0010ffff\ufdd0b") == "a\U0010ffff\ufdd0b"  # XML allows these


def test_stray_nul_in_a_page_is_dropped_not_refused() -> None:
    page = fixture("robust_article.html").replace(b"Braga,", b"Bra\x00ga,", 1)
    text = decode_html(page)
    assert "\x00" not in text
    assert "Jalan Braga, Bandung" in text


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (gzip.compress(b"<html><body><p>zipped</p></body></html>"), "gzip-compressed data"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a ZIP archive"),
    ],
)
def test_known_binary_formats_are_named(data: bytes, kind: str) -> None:
    with pytest.raises(ExtractError, match=f"input is {kind}, not HTML"):
        decode_html(data, "https://example.com/x")


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 40, "<p>hello</p>".encode("utf-16-le"), b"\x00" * 100],
)
def test_unknown_binary_is_refused(data: bytes) -> None:
    with pytest.raises(ExtractError, match="looks binary"):
        decode_html(data)


def test_binary_str_is_refused() -> None:
    with pytest.raises(ExtractError, match="looks binary"):
        decode_html(bytes(range(32)).decode("latin-1") * 100)


def test_oversized_input_is_refused_before_decoding() -> None:
    with pytest.raises(ExtractError, match=r"over the 10 MB limit") as info:
        decode_html(b" " * (MAX_PAGE_BYTES + 1), "https://example.com/big")
    assert str(info.value).startswith("https://example.com/big: input is 10.5 MB")


def test_empty_bytes_decode_to_empty_text() -> None:
    # Emptiness is the cleaner's to judge ("empty page"), not the decoder's.
    assert decode_html(b"") == ""


def test_extract_reads_the_lying_page_in_utf8() -> None:
    article = scraper.extract(fixture("robust_declared_latin1_is_utf8.html"))
    assert article.title == "Kafe di Braga ramai pengunjung"
    assert NAME in article.text
    assert QUOTED in article.paragraphs[0]


def test_decode_text_reads_utf8_and_byte_order_marks() -> None:
    text = "Kafe milik José Peña ramai.\nBaris kedua."
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(codecs.BOM_UTF8 + text.encode("utf-8")) == text
    assert decode_text(text.encode("utf-16")) == text


def test_decode_text_names_the_first_byte_that_is_not_utf8() -> None:
    with pytest.raises(ExtractError, match=r"^a\.txt: not UTF-8 text: byte 0xe9 at offset 14 "):
        decode_text("Kafe milik José Peña".encode("latin-1"), "a.txt")


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + bytes(64), bytes(range(32)) * 10])
def test_decode_text_refuses_binary(data: bytes) -> None:
    with pytest.raises(ExtractError, match=r"not text$"):
        decode_text(data)
