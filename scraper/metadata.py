"""Metadata clean-up: author without publisher or CMS names, ISO date, tags as a list."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from scraper.models import Removal
from scraper.rules import SiteRules

__all__ = ["clean_author", "clean_tags", "host_of", "iso_date"]

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
