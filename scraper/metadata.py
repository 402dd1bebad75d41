"""Metadata clean-up: author without publisher or CMS names, ISO date, tags as a list."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import py3langid

from scraper.models import Removal
from scraper.rules import SiteRules

__all__ = ["clean_author", "clean_tags", "clean_title", "detect_language", "host_of", "iso_date", "outlet_names"]

WS = re.compile(r"\s+")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]+)?$")
AUTHOR_SPLIT = re.compile(r"\s*(?:;|\||,|\bdan\b|\band\b|&)\s*")


def host_of(url: str | None) -> str | None:
    """The lower-case host of `url` without a leading www., or None."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def clean_author(author: str | None, rules: SiteRules, removals: list[Removal]) -> str | None:
    """The author without publisher names, CMS labels and duplicates; None when nothing is left."""
    if not author:
        return None
    names: list[str] = []
    for part in AUTHOR_SPLIT.split(author):
        cleaned = part
        for pattern in rules.author_drop:
            cleaned = pattern.sub("", cleaned)
        cleaned = WS.sub(" ", cleaned).strip(" -–—:,.")
        if cleaned != part.strip():
            removals.append(Removal(part.strip(), "generic/author", "meta"))
        if len(cleaned) > 1 and cleaned.casefold() not in {n.casefold() for n in names}:
            names.append(cleaned)
    return "; ".join(names) or None


TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·]\s+")


def clean_title(title: str | None, sitename: str | None, host: str | None) -> str | None:
    """The headline without the ' - Site.com' / ' | Site' suffix (or prefix) that pages add to <title>."""
    if not title:
        return None
    title = WS.sub(" ", title).strip()
    names = {_squash(n) for n in (sitename, _site_label(host)) if n}
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) > 1 and names and any(n in _squash(parts[-1]) for n in names):
        parts = parts[:-1]
    if len(parts) > 1 and names and any(n in _squash(parts[0]) for n in names):
        parts = parts[1:]
    return title if len(parts) == len(TITLE_SEPARATORS.split(title)) else _rejoin(title, parts)


def _rejoin(title: str, parts: list[str]) -> str:
    """The span of `title` from the first kept part to the last (keeps the original separators)."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip()


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def outlet_names(sitename: str | None, host: str | None) -> tuple[str, ...]:
    """The page's names for its own outlet, squashed to letters and digits: its host's label ('detik' for
    news.detik.com) and its site name's first word ('kompas' for og:site_name 'KOMPAS.com')."""
    names = [_site_label(host), *(_squash(word) for word in re.split(r"[\s.]+", sitename or "")[:1])]
    return tuple(dict.fromkeys(n for n in names if n))


def _site_label(host: str | None) -> str | None:
    """'news.detik.com' -> 'detik': the label that names the site in titles."""
    if not host:
        return None
    labels = [x for x in host.split(".") if x not in ("www", "com", "co", "id", "org", "net", "go", "ac", "or")]
    return max(labels, key=len) if labels else None


def iso_date(date: str | None) -> str | None:
    """`date` if it is an ISO 8601 date or date-time, else None."""
    if date and ISO_DATE.match(date.strip()):
        return date.strip()
    return None


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags split on commas, stripped of '#', de-duplicated in order."""
    out: list[str] = []
    for tag in tags:
        for part in tag.split(","):
            part = WS.sub(" ", part).strip(" #")
            if part and part.casefold() not in {t.casefold() for t in out}:
                out.append(part)
    return tuple(out)


# Below this much text a language guess is noise; the page's declaration is all we have.
MIN_LANGUAGE_CHARS = 200
LANGUAGE_SAMPLE_CHARS = 3000
# Close pairs the classifier confuses on news text: a declaration naming the other one is believed.
CLOSE_LANGUAGES = {frozenset({"id", "ms"})}


def detect_language(text: str, declared: str | None) -> str | None:
    """The language of the article text (ISO 639-1), by py3langid; pages often declare the wrong one
    (kompas and suara 2015 say lang="en" over Indonesian text)."""
    if len(text) < MIN_LANGUAGE_CHARS:
        return declared
    # py3langid loads its model (about 0.7 s) on the first call and keeps it: a static cache, not state.
    guess, _ = py3langid.classify(text[:LANGUAGE_SAMPLE_CHARS])
    if declared and frozenset({guess, declared}) in CLOSE_LANGUAGES:
        return declared
    return str(guess)
