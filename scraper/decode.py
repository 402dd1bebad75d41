"""Turn page bytes into text, whatever charset the page claims.

Bytes -> str, or `ExtractError` for input that is empty-sized, too large or not text. Pure: no I/O.

The order of evidence, strongest first:

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. the bytes are valid UTF-8, or nearly so: pages lie about their charset (a real page declares
   iso-8859-1 and is UTF-8), and text in a single-byte code page almost never forms valid multi-byte
   UTF-8 sequences by accident, so a page whose valid sequences outnumber its invalid bytes is UTF-8
   with a few stray bytes (pasted Windows quotes), not a code-page page;
3. the charset the page declares (<meta charset>, http-equiv, <?xml encoding>), if Python knows it
   and it reads ASCII as ASCII, as a <meta> tag written in ASCII must; iso-8859-1 and us-ascii mean
   windows-1252, as they do in every browser (https://encoding.spec.whatwg.org/#names-and-labels);
4. charset-normalizer's guess, except that among the Latin single-byte code pages, which it cannot
   tell apart on news text, windows-1252 (the web's usual one) wins;
5. windows-1252.

Whatever the route, the text comes out without NUL and other C0 control characters (which lxml
refuses and PostgreSQL cannot store), without the XML-forbidden U+FFFE and U+FFFF, and without lone
surrogates (which cannot be written as UTF-8).
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from charset_normalizer import from_bytes

from scraper.errors import ExtractError

__all__ = [
    "MAX_PAGE_BYTES",
    "check_size",
    "declared_charset",
    "decode_html",
    "decode_text",
    "sanitize_text",
    "usable_codec",
]

MAX_PAGE_BYTES = 10 * 1024 * 1024
# How much of the page the binary sniffing, the charset declaration and the detector look at.
HEAD_BYTES = 8192
DECLARATION_BYTES = 16_384
DETECTOR_BYTES = 200_000

# UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one.
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# File signatures of what people feed a cleaner by mistake; named in the error.
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an executable"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
)
# Bytes that never occur in text: NUL and the C0 controls but tab, newlines, form feed and escape.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
BINARY_SHARE = 0.02
DECLARATION = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})"""
    rb"""|<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""",
    re.IGNORECASE,
)
VALID_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# Web labels Python does not know.
LABEL_ALIASES = {
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
    "x-gbk": "gbk",
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
}
# What browsers decode a declared charset as: its Windows superset (the WHATWG Encoding Standard).
WEB_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gbk",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
# Codecs that read ASCII as ASCII but are no page encoding (they rewrite backslashes and dots).
NOT_PAGE_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "charmap"})
# Code pages charset-normalizer confuses with each other on Latin-script text.
LATIN_SINGLE_BYTE = re.compile(r"^(cp125[0247]|cp85[08]|iso8859-(1|2|3|4|9|10|13|14|15|16)|mac-.*)$")
# What no text should hold: C0 controls but tab, newlines and form feed; DEL; U+FFFE and U+FFFF, which
# XML forbids (trafilatura builds an XML tree and loses a paragraph holding one); lone surrogates.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
# Every printable ASCII byte, tab and newlines: a codec that reads these differently cannot be what
# an ASCII <meta> tag declared (UTF-16, UTF-7, EBCDIC, punycode, unicode_escape, ...).
ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def decode_html(data: bytes | str, source: str | None = None) -> str:
    """The page as text; `ExtractError` (naming `source`) for input too large or not text at all."""
    check_size(len(data), source)
    if isinstance(data, str):
        if _looks_binary(data[:HEAD_BYTES].encode("utf-8", "replace")):
            raise ExtractError(source, "input looks binary, not HTML")
        return sanitize_text(data)
    return sanitize_text(_decode_bytes(data, source))


def decode_text(data: bytes, source: str | None = None) -> str:
    """Extracted text (one paragraph a line) as str: UTF-8, or UTF-16/32 with a byte-order mark.

    Unlike a page, a text file declares nothing, so there is nothing to fall back on: bytes that
    are not UTF-8 are an `ExtractError` naming the first bad byte, as are binary files.
    """
    check_size(len(data), source)
    for bom, codec in BOMS:
        if data.startswith(bom):
            return sanitize_text(data[len(bom) :].decode(codec, errors="replace"))
    _check_not_binary(data, source, "text")
    try:
        return sanitize_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        raise ExtractError(source, f"not UTF-8 text: byte 0x{bad:02x} at offset {exc.start} ({exc.reason})") from exc


def sanitize_text(text: str) -> str:
    """`text` without NUL and other C0 controls (nor U+FFFE, U+FFFF), lone surrogates replaced by U+FFFD."""
    if CONTROL.search(text):
        text = CONTROL.sub("", text)
    if SURROGATE.search(text):
        text = SURROGATE.sub("\ufffd", text)
    return text


def declared_charset(data: bytes) -> str | None:
    """The codec the page declares in its first bytes, if Python knows it and it reads ASCII as ASCII."""
    match = DECLARATION.search(data[:DECLARATION_BYTES])
    if match is None:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii")
    return usable_codec(label)


@lru_cache(maxsize=64)
def usable_codec(label: str) -> str | None:
    """Python's codec for a charset label, as a browser reads it (iso-8859-1 is windows-1252);
    None for an unknown label or a codec that is not an ASCII-compatible text encoding."""
    label = label.strip().lower()
    try:
        name = codecs.lookup(LABEL_ALIASES.get(label, label)).name
    except LookupError:
        return None
    name = WEB_SUPERSETS.get(name, name)
    return name if name not in NOT_PAGE_CODECS and _reads_ascii(name) else None


def _reads_ascii(codec: str) -> bool:
    try:
        return ASCII_PROBE.decode(codec) == ASCII_PROBE.decode("ascii")
    except (LookupError, UnicodeError):
        # LookupError: a bytes-to-bytes codec (base64, rot13); UnicodeError: UTF-7, UTF-32, hz, undefined.
        return False


def _decode_bytes(data: bytes, source: str | None) -> str:
    for bom, codec in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    _check_not_binary(data, source, "HTML")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if _mostly_utf8(data):
            return data.decode("utf-8", errors="replace")
    declared = declared_charset(data)
    # A page that says UTF-8 and is not is in some code page its author never named.
    if declared in (None, "utf-8", "utf-8-sig"):
        declared = _guessed_charset(data)
    return _decode_with(data, declared)


def _check_not_binary(data: bytes, source: str | None, expected: str) -> None:
    for magic, kind in MAGIC:
        if data.startswith(magic):
            raise ExtractError(source, f"input is {kind}, not {expected}")
    if _looks_binary(data[:HEAD_BYTES]):
        raise ExtractError(source, f"input looks binary (or UTF-16 without a byte-order mark), not {expected}")


def _mostly_utf8(data: bytes) -> bool:
    """More valid multi-byte UTF-8 sequences than invalid bytes: UTF-8 with some stray bytes."""
    valid = len(VALID_MULTIBYTE.findall(data))
    invalid = len(data.decode("utf-8", errors="replace")) - len(data.decode("utf-8", errors="ignore"))
    return valid > invalid


def _guessed_charset(data: bytes) -> str:
    best = from_bytes(data[:DETECTOR_BYTES]).best()
    guess = usable_codec(best.encoding) if best is not None and best.encoding else None
    if guess is None or LATIN_SINGLE_BYTE.match(guess):
        return "cp1252"
    return guess


def _decode_with(data: bytes, codec: str) -> str:
    """`data` in `codec`, undecodable bytes replaced; windows-1252 if the codec itself fails."""
    try:
        return data.decode(codec, errors="replace")
    except (LookupError, UnicodeError):
        return data.decode("cp1252", errors="replace")


def check_size(size: int, source: str | None) -> None:
    """`ExtractError` for input past `MAX_PAGE_BYTES` bytes (or characters), checked before any work."""
    if size > MAX_PAGE_BYTES:
        raise ExtractError(source, f"input is {size / 1e6:.1f} MB, over the {MAX_PAGE_BYTES / 1e6:.0f} MB limit")


def _looks_binary(head: bytes) -> bool:
    """More than a few bytes that never occur in text (a stray NUL in a real page is not enough)."""
    if not head:
        return False
    return len(BINARY_BYTES.findall(head)) > BINARY_SHARE * len(head)
