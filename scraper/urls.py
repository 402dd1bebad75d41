"""URL normalisation and the same-site test: the keys discovery deduplicates and filters on.

`normalize_url` is written on `urllib.parse`, not on `courlan.normalize_url`, because courlan's
query cleaning sorts the parameters, drops valueless ones (`/read?123` loses its `123`),
re-encodes the rest (`%20` becomes `+`), and its tracker pattern also removes `ref`, `source`,
`uid`, `cid` and the like, which news sites use as article ids: two articles would collapse
into one URL. Where courlan is right, it is used: `same_site` asks `courlan.extract_domain`
(the public suffix list shipped by `tld`, no network) for the registrable domain, so
`news.detik.com` and `www.detik.com` are one site while `a.blogspot.com` and `b.blogspot.com`
are two.

A URL that is not http(s), has no host, or has a bad port or host raises `DiscoveryError`
naming it; the callers that read many links (sections, sitemaps) skip and count those.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, quote, unquote_plus, urljoin, urlsplit, urlunsplit

import idna
from courlan import extract_domain

from scraper.errors import DiscoveryError

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "normalize_url", "same_site"]

# Query parameters that only say how a reader arrived, never which page it is (names compared
# lower-cased). Kept explicit rather than a broad pattern: a wrong removal merges two articles.
TRACKING_PARAMS = frozenset(
    [
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "wickedid",
        "pk_campaign",
        "pk_kwd",
        "pk_keyword",
        "pk_source",
        "pk_medium",
        "pk_content",
        "pk_cid",
    ]
)
TRACKING_PREFIXES = ("utm_", "mtm_", "hsa_")  # Google Analytics, Matomo, HubSpot ads campaigns
DEFAULT_PORTS = {"http": 80, "https": 443}
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Reserved characters and "%" stay as written: an escaped "/" or "&" means something else unescaped.
KEEP = "!#$%&'()*+,/:;=?@[]~"
ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
HOST_LABEL = re.compile(r"[a-z0-9_-]{1,63}")  # "_" is invalid in DNS names but served in the wild
ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# WHATWG URL parsing removes tabs and newlines anywhere; a newline's indentation goes with it
# too, since sitemaps and feeds wrap long URLs onto indented lines. Other spaces are kept (%20).
LINE_BREAK = re.compile(r"[ \t]*[\r\n][ \t\r\n]*|\t")


def normalize_url(url: str, base: str | None = None) -> str:
    """`url` resolved against `base` and normalised: the form two links to one page share.

    Lower-case scheme and host, IDN host in ASCII (punycode), no default port, path at least
    "/", dot segments removed, percent-escapes upper-cased and unreserved ones decoded,
    non-ASCII escaped as UTF-8, tracking parameters removed (others kept in order, as
    written), no fragment. Raises `DiscoveryError` for anything that is not an absolute
    http(s) URL once resolved.
    """
    raw = LINE_BREAK.sub("", url).strip()
    parts = _split(raw, base, url)
    scheme = parts.scheme.lower()
    if not scheme:
        raise DiscoveryError(url, "relative URL and no base URL to resolve it against")
    if scheme not in DEFAULT_PORTS:
        raise DiscoveryError(url, f"not an http(s) URL (scheme {scheme!r})")
    netloc = _netloc(parts, scheme, url)
    path = _remove_dot_segments(_escape(parts.path) or "/")
    return urlunsplit((scheme, netloc, path, _query(parts.query), ""))


def same_site(url: str, reference: str) -> bool:
    """True when `url` is on `reference`'s host, a subdomain of it, or its registrable domain.

    Both are absolute URLs (normalised or not). Hosts the public suffix list does not know
    (localhost, IP addresses, .test) match only themselves and their subdomains.
    """
    host, ref = _host_of(url), _host_of(reference)
    if not host or not ref:
        return False
    if host == ref or host.endswith("." + ref):
        return True
    site = _registrable_domain(ref)
    return site is not None and _registrable_domain(host) == site


def _split(url: str, base: str | None, original: str) -> SplitResult:
    try:
        # urljoin returns an absolute URL unchanged: skip it, a third of the time of a 50,000-URL sitemap
        return urlsplit(urljoin(base, url) if base and not ABSOLUTE.match(url) else url)
    except ValueError as exc:  # "Invalid IPv6 URL" and the like
        raise DiscoveryError(original, f"not a URL: {exc}") from exc


def _netloc(parts: SplitResult, scheme: str, original: str) -> str:
    """userinfo@host:port with the host in ASCII and the scheme's default port dropped."""
    try:
        port = parts.port
    except ValueError as exc:
        raise DiscoveryError(original, f"bad port: {exc}") from exc
    host = _ascii_host((parts.hostname or "").rstrip("."), original)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    return f"{userinfo}{at}{host}"


def _ascii_host(host: str, original: str) -> str:
    if not host:
        raise DiscoveryError(original, "URL has no host")
    if host.isascii():
        host = host.lower()
        if ":" in host or all(HOST_LABEL.fullmatch(label) for label in host.split(".")):
            return host  # urlsplit has already checked an IPv6 literal's brackets
        raise DiscoveryError(original, f"bad host name {host!r}")
    try:
        return _idna(host)
    except idna.IDNAError as exc:
        raise DiscoveryError(original, f"bad international host name: {exc}") from exc


@lru_cache(maxsize=4096)
def _idna(host: str) -> str:
    # UTS 46 non-transitional, as browsers resolve it: "faß.de" stays distinct from "fass.de".
    return idna.encode(host, uts46=True, transitional=False).decode("ascii")


def _escape(part: str) -> str:
    """Non-ASCII, spaces and controls escaped; existing escapes in one canonical form."""
    return ESCAPE.sub(_canonical_escape, quote(part, safe=KEEP))


def _canonical_escape(match: re.Match[str]) -> str:
    char = chr(int(match[1], 16))
    return char if char in UNRESERVED else f"%{match[1].upper()}"


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path: "/a/./b/../c" is "/a/c"."""
    if "/." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")[1:]
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    result = "/" + "/".join(out)
    if segments[-1] in (".", "..") and not result.endswith("/"):
        result += "/"  # "/a/b/.." names the directory "/a/"
    return result


def _query(query: str) -> str:
    """The query without tracking parameters and empty pieces, the rest in their order."""
    kept = [piece for piece in query.split("&") if piece and not _is_tracking(piece)]
    return _escape("&".join(kept))


def _is_tracking(piece: str) -> bool:
    name = unquote_plus(piece.partition("=")[0]).strip().lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


@lru_cache(maxsize=4096)
def _registrable_domain(host: str) -> str | None:
    """ "kompas.com" for "nasional.kompas.com" (public suffix list); None where it has none."""
    domain: str | None = extract_domain(f"http://{host}/")
    return domain
