"""The cleaner: a raw page or extracted text in, a clean `Article` out.

``extract``:    bytes/str -> decode -> prune (selectolax) -> trafilatura -> text rules -> metadata
``clean_text``: text -> paragraphs -> text rules
"""

from __future__ import annotations

import re

from scraper.clean import Pruned, prune_html
from scraper.decode import check_size, decode_html, sanitize_text
from scraper.errors import ExtractError
from scraper.extraction import (
    Evidence,
    extract_main,
    extract_page_metadata,
    improves,
    is_lost,
    json_ld_article_body,
    split_paragraphs,
)
from scraper.guard import check_lines, check_markup
from scraper.metadata import clean_author, clean_tags, clean_title, detect_language, host_of, iso_date, outlet_names
from scraper.models import Article, Removal
from scraper.rules import RuleBook, default_rulebook
from scraper.textrules import apply_text_rules

__all__ = ["clean_text", "extract"]

# Two searches, not one lazy "<head\b.*?</head>": that regex rescans the page from every "<head"
# when no "</head>" follows, quadratic time (9 s for 120 KB of "<head " in a script).
HEAD_START = re.compile(r"<head\b", re.IGNORECASE)
HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)


def extract(html: str | bytes, url: str | None = None, *, rules: RuleBook | None = None) -> Article:
    """Clean a raw page: its article text without site noise, its metadata, and the log of every cut.

    Raises `ExtractError` (naming `url`) when the input is not a page or holds no article.
    """
    text = _page_text(html, url)
    site = host_of(url)
    site_rules = (rules or default_rulebook()).for_host(site)
    pruned = prune_html(text, site_rules)
    paragraphs = _main_paragraphs(text, pruned, url)
    # Metadata from the pruned page: a third of the cost of the raw one, and the same fields, since
    # pruning keeps <head> and JSON-LD and the site's byline was read before it ran.
    meta = extract_page_metadata(pruned.html, url)
    title = clean_title(meta.title, meta.sitename, site)
    result = apply_text_rules(paragraphs, site_rules, title=title, outlets=outlet_names(meta.sitename, site))
    if not result.paragraphs:
        raise ExtractError(url, "nothing but noise in the page")
    removals: list[Removal] = [*pruned.removals, *result.removals]
    author = clean_author(pruned.byline, site_rules, removals) or clean_author(meta.author, site_rules, removals)
    return Article(
        url=url,
        site=site,
        title=title,
        author=author,
        date=iso_date(meta.date),
        dateline=result.dateline,
        language=detect_language("\n".join(result.paragraphs), meta.language),
        paragraphs=result.paragraphs,
        tags=clean_tags(meta.tags),
        removed=tuple(removals),
    )


def _page_text(html: str | bytes, url: str | None) -> str:
    """The page as text, refused before any parser sees it if it is empty, binary or hostile markup."""
    text = decode_html(html, url)
    if not text.strip():
        raise ExtractError(url, "empty page")
    check_markup(text, url)
    return text


def _main_paragraphs(text: str, pruned: Pruned, url: str | None) -> tuple[str, ...]:
    """The article paragraphs: from the site's body container if it has any, else from the pruned page;
    if that lost part of the article, recovered (`_recover`)."""
    page = pruned.html if pruned.body_html is None else _with_head(text, pruned.body_html)
    paragraphs = extract_main(page, url)
    if not paragraphs and pruned.body_html is not None:
        page, paragraphs = pruned.html, extract_main(pruned.html, url)
    paragraphs = _recover(paragraphs, page, text, pruned, url)
    if not paragraphs:
        raise ExtractError(url, "no article text found in the page")
    return paragraphs


def _recover(found: tuple[str, ...], page: str, text: str, pruned: Pruned, url: str | None) -> tuple[str, ...]:
    """`found` (extracted from `page`), or more of the article when that is much less than the page shows.

    First the article's parts read together, when it is split over containers of one kind (trafilatura
    reads the first); then trafilatura's readability/justext comparison on the same input, which finds
    an article the fast pass missed for a teaser box that carries a body class.
    """
    evidence = Evidence(pruned.main_chars, json_ld_article_body(text))
    if pruned.parts and is_lost(found, evidence):
        joined = extract_main(_with_head(text, "".join(pruned.parts)), url)
        found = joined if improves(found, joined, evidence, keep=True) else found
    if is_lost(found, evidence):
        compared = extract_main(page, url, fast=False)
        found = compared if improves(found, compared, evidence, keep=False) else found
    return found


def clean_text(text: str, *, site: str | None = None, url: str | None = None, rules: RuleBook | None = None) -> Article:
    """Clean text another tool already extracted (one paragraph a line) with the same rules.

    Raises `ExtractError` (naming `url`) for text that is empty or too long; text that is all noise
    gives an `Article` without paragraphs, its removals saying why.
    """
    check_size(len(text), url)
    paragraphs = split_paragraphs(sanitize_text(text))
    if not paragraphs:
        raise ExtractError(url, "empty text")
    check_lines(paragraphs, url)
    host = host_of(site) if site else host_of(url)
    site_rules = (rules or default_rulebook()).for_host(host)
    result = apply_text_rules(paragraphs, site_rules, outlets=outlet_names(None, host))
    body, title, removed = result.paragraphs, None, result.removals
    if result.headings:  # 'Headline / deck / Jakarta, IDN Times - ...': the first line is the title
        title, body = body[0], body[1:]
        removed = (*removed, Removal(title, "generic/headline", "meta"))
    return Article(
        url=url,
        site=host,
        title=title,
        dateline=result.dateline,
        language=detect_language("\n".join(body), None),
        paragraphs=body,
        removed=removed,
    )


def _with_head(page: str, body_html: str) -> str:
    """The page's <head> (for metadata) around the site's body container alone."""
    return f"<html>{_head_of(page[:500_000])}<body><article>{body_html}</article></body></html>"


def _head_of(page: str) -> str:
    """The page's first <head>...</head>, or "" if it has none."""
    start = HEAD_START.search(page)
    end = HEAD_END.search(page, start.end()) if start else None
    return page[start.start() : end.end()] if start and end else ""
