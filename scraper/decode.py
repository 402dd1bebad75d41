"""Turn page bytes into text, whatever charset the page claims.

Pages lie about their charset (one real page declares iso-8859-1 and is UTF-8), so bytes that
are valid UTF-8 are read as UTF-8 first; then the declared charset; then a detector.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from scraper.errors import ExtractError

__all__ = ["MAX_PAGE_BYTES", "declared_charset", "decode_html"]

MAX_PAGE_BYTES = 10 * 1024 * 1024
# Bytes that never occur in text: NUL and most C0 controls.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
BINARY_SHARE = 0.02
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_html(data: bytes | str, source: str | None = None) -> str:
    """The page as text; `ExtractError` for input that is empty, too large or binary."""
    if isinstance(data, str):
        _check_size(len(data), source)
        if _looks_binary(data[:8192].encode("utf-8", "replace")):
            raise ExtractError(source, "input looks binary, not HTML")
        return data
    _check_size(len(data), source)
    for bom, codec in BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if _looks_binary(data[:8192]):
        raise ExtractError(source, "input looks binary, not HTML")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared is not None:
        return data.decode(declared, errors="replace")
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")


def declared_charset(data: bytes) -> str | None:
    """The codec named by the page's <meta charset>, if Python knows it."""
    match = META_CHARSET.search(data[:4096])
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None


def _check_size(size: int, source: str | None) -> None:
    if size > MAX_PAGE_BYTES:
        raise ExtractError(source, f"page is {size / 1e6:.1f} MB, over the {MAX_PAGE_BYTES / 1e6:.0f} MB limit")


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head[:1024]:
        return True
    return len(BINARY_BYTES.findall(head)) > BINARY_SHARE * len(head)
