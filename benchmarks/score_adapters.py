"""Adapters for ../shared/eval/score.py --call: the scorer's signatures over our API."""

from __future__ import annotations

import trafilatura

import scraper
from scraper.errors import ScraperError
from scraper.metadata import host_of
from scraper.rules import RuleBook, default_rulebook


def page_html(html: str, url: str | None) -> str:
    """`scraper.extract` as f(html, url) -> text; a page with no article scores as empty."""
    try:
        return scraper.extract(html, url).text
    except ScraperError:
        return ""


def seed_text(text: str) -> str:
    """`scraper.clean_text` as f(text) -> text."""
    return scraper.clean_text(text).text


def bare_trafilatura(html: str, url: str | None) -> str:
    """The baseline: trafilatura 2.3.1 alone, without comments."""
    return trafilatura.extract(html, url=url, include_comments=False) or ""


_GENERIC_ONLY = RuleBook(generic=default_rulebook().generic, sites=())


def page_html_generic(html: str, url: str | None) -> str:
    """`scraper.extract` with the generic rules only: how the cleaner does on a site it has no file for."""
    try:
        return scraper.extract(html, url, rules=_GENERIC_ONLY).text
    except ScraperError:
        return ""


def _without_own_site(url: str | None) -> RuleBook:
    """Every rule file but the one of the page's own site: the page scored as if its outlet were unseen."""
    book = default_rulebook()
    own = book.site_for(host_of(url))
    return RuleBook(generic=book.generic, sites=tuple(site for site in book.sites if site is not own))


def page_html_loso(html: str, url: str | None) -> str:
    """Leave-one-site-out: `scraper.extract` without the page's own site file (the other sites' files kept)."""
    try:
        return scraper.extract(html, url, rules=_without_own_site(url)).text
    except ScraperError:
        return ""
