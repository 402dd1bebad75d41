"""The body half of the fetch step: which media types a fetch accepts, and reading a body under both caps.

`read_body` streams the raw bytes and undoes Content-Encoding itself, so ``max_body_bytes`` (on the wire) and
``max_decompressed_bytes`` (decoded) are both enforced chunk by chunk; `read_head` keeps the first bytes of a
body that may be longer (robots.txt); `check_type` refuses what the caller did not ask for, by the Content-Type
header before the body is read, or by sniffing when there is none.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import httpx

from scraper.config import Settings
from scraper.errors import PermanentFetchError

__all__ = ["ANY", "HTML", "XML", "Accept", "check_type", "media_type", "read_body", "read_head", "sniff"]


@dataclass(frozen=True, slots=True)
class Accept:
    """The media types a fetch accepts (empty: any) and the Accept header that asks for them."""

    name: str  # in the error: "not HTML (image/png)"
    types: frozenset[str]
    header: str

    def allows(self, media_type: str) -> bool:
        """Whether a response of `media_type` (lower case, no parameters) is wanted."""
        return not self.types or media_type in self.types


HTML = Accept(
    "HTML",
    frozenset({"text/html", "application/xhtml+xml"}),
    "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
)
# Feeds and sitemaps: misconfigured servers label them text/html or text/plain, and serve .xml.gz as
# gzip or octet-stream; the discovery parser decides what the bytes are. Images and PDFs stay out.
XML = Accept(
    "XML",
    frozenset(
        {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml"}
        | {"text/html", "text/plain", "application/gzip", "application/x-gzip", "application/octet-stream"}
    ),
    "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1",
)
ANY = Accept("any", frozenset(), "*/*")

SIGNATURES = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF", "application/pdf"),
    (b"\x1f\x8b", "application/gzip"),
    (b"PK\x03\x04", "application/zip"),
)
XML_ROOTS = (b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf")


def check_type(url: str, media: str, accept: Accept) -> None:
    """`PermanentFetchError` "not HTML (image/png)" unless `accept` allows the media type `media`."""
    if not accept.allows(media):
        raise PermanentFetchError(url, f"not {accept.name} ({media})", cause=f"not-{accept.name.lower()}")


def media_type(content_type: str) -> str:
    """``text/html; charset=utf-8`` -> ``text/html``."""
    return content_type.split(";", 1)[0].strip().lower()


def sniff(content: bytes) -> str:
    """The media type of a body sent without Content-Type, from its first bytes."""
    for magic, media_type in SIGNATURES:
        if content.startswith(magic):
            return media_type
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<html" in head or head.startswith(b"<!doctype html"):
        return "text/html"
    if head.startswith(XML_ROOTS):
        return "application/xml"
    if head.startswith(b"<"):
        return "text/html"
    return "application/octet-stream" if b"\x00" in head else "text/plain"


async def read_body(url: str, response: httpx.Response, settings: Settings) -> bytes:
    """The body, decoded, aborted as soon as it passes either cap."""
    limit = settings.max_body_bytes
    length = response.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > limit:  # "²" is a digit to str.isdigit, not to int
        raise PermanentFetchError(url, f"too large: Content-Length {length} > {limit} bytes", cause="too-large")
    inflater = _Inflater(url, response.headers.get("content-encoding"), settings.max_decompressed_bytes)
    chunks = []
    async for chunk in response.aiter_raw():
        if response.num_bytes_downloaded > limit:
            raise PermanentFetchError(url, f"too large: over {limit} bytes", cause="too-large")
        chunks.append(inflater.feed(chunk))
    chunks.append(inflater.feed(b"", final=True))
    return b"".join(chunks)


async def read_head(url: str, response: httpx.Response, limit: int) -> bytes:
    """The body, decoded, if it is at most `limit` bytes; else its first `limit` bytes cut after the last newline.

    The rest is never downloaded. Reading also stops after `limit` bytes on the wire, which bounds a compressed
    stream that inflates to nothing.
    """
    inflater = _Inflater(url, response.headers.get("content-encoding"), limit, strict=False)
    chunks = []
    async for chunk in response.aiter_raw():
        chunks.append(inflater.feed(chunk))
        if inflater.total > limit or response.num_bytes_downloaded > limit:
            head = b"".join(chunks)[:limit]
            return head[: head.rfind(b"\n") + 1]  # a line cut in the middle could change its meaning: dropped
    chunks.append(inflater.feed(b"", final=True))
    return b"".join(chunks)


class _Inflater:
    """Undoes Content-Encoding chunk by chunk, never inflating past `limit` bytes: a gzip bomb stops there.

    httpx's own decoders inflate a whole network chunk at once (a 64 KB chunk of zeros is 64 MB), hence this.
    Past `limit`, a `strict` inflater raises 'too-large'; otherwise its caller stops feeding it (`total` tells).
    """

    def __init__(self, url: str, encoding: str | None, limit: int, *, strict: bool = True) -> None:
        self._url, self._limit, self._strict, self.total = url, limit, strict, 0
        self._encoding = (encoding or "identity").strip().lower()
        if self._encoding in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self._encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self._encoding == "identity":
            self._zlib = None
        else:
            message = f"unsupported Content-Encoding {self._encoding!r}"
            raise PermanentFetchError(url, message, cause="bad-encoding")

    def feed(self, data: bytes, *, final: bool = False) -> bytes:
        """The decoded bytes of `data`; `final` flushes what the decompressor still holds."""
        out = data if self._zlib is None else self._inflate(data, final)
        self.total += len(out)
        if self._strict and self.total > self._limit:
            message = f"too large: decompresses past {self._limit} bytes"
            raise PermanentFetchError(self._url, message, cause="too-large")
        return out

    def _inflate(self, data: bytes, final: bool) -> bytes:
        assert self._zlib is not None
        room = max(1, self._limit - self.total + 1)  # one byte more than allowed tells "over the cap"
        try:
            return self._zlib.flush() if final else self._zlib.decompress(data, room)
        except zlib.error as exc:
            if self._encoding == "deflate" and self.total == 0:
                # "deflate" should be zlib-wrapped, but some servers send raw deflate (httpx tolerates it too).
                self._encoding, self._zlib = "raw deflate", zlib.decompressobj(-zlib.MAX_WBITS)
                return self._inflate(data, final)
            message = f"corrupt {self._encoding} body: {exc}"
            raise PermanentFetchError(self._url, message, cause="bad-encoding") from exc
