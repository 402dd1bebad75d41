"""The values the store hands back: plain frozen records, the same for every backend."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scraper.models import Article, Page

__all__ = [
    "AppliedMigration",
    "ArticleChange",
    "FrontierEntry",
    "FrontierStatus",
    "LearnedLine",
    "LockInfo",
    "ResourceState",
    "RunRecord",
    "SiteStats",
    "StoredArticle",
    "StoredPage",
    "content_hash",
]

# new: discovered, never tried; retry: failed transiently, due again at next_attempt_at;
# done: fetched and stored (or confirmed unchanged by a 304); failed: given up (permanent error or too many attempts).
FrontierStatus = Literal["new", "retry", "done", "failed"]

# What saving an article did, so `reprocess` can report what changed and a re-clean that changes nothing is no change.
ArticleChange = Literal["new", "text_changed", "metadata_changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class FrontierEntry:
    """A URL the pipeline should fetch, with what a conditional GET needs."""

    url: str  # normalised: the key of the frontier, the page and the article
    site: str
    status: FrontierStatus
    attempts: int  # failed attempts since the last success, across runs
    etag: str | None = None
    last_modified: str | None = None
    last_cause: str | None = None  # of the last failed attempt; cleared by a success
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceState:
    """A discovery input (feed, sitemap, robots.txt, section page) as last read: the validators its next
    conditional GET sends and, for a robots.txt or a sitemap index, the child sitemaps to walk on a 304."""

    url: str  # as requested, not normalised: the URL discovery asks for again next time
    etag: str | None
    last_modified: str | None
    children: tuple[str, ...]  # child sitemaps walked; () for feeds, sections and urlsets
    checked_at: datetime  # the last read, a 200 or a 304


@dataclass(frozen=True, slots=True)
class LearnedLine:
    """A paragraph learned as one host's noise (`scraper.learned`), applied as the rule ``learned:<host>``."""

    host: str  # the store's site the articles came from
    text: str  # as first seen; matched as a whole paragraph, in any case, any number standing for any number
    pages: int  # distinct articles it was seen on (near-duplicates counted once)
    articles: int  # distinct articles of the host it was learned from
    learned_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A raw page kept in the store, for `reprocess`."""

    url: str  # the frontier key
    site: str
    page: Page


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as stored, with where it came from and when: what `export` writes."""

    url: str  # the frontier key (normalised)
    site: str
    requested_url: str  # the URL as requested (Page.url)
    canonical_url: str | None
    fetched_at: datetime
    extracted_at: datetime
    content_hash: str
    rules_version: str
    article: Article


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of the pipeline; `finished_at` is None for a run still going or one that was killed."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    stats: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class LockInfo:
    """Who holds a named lock, and until when."""

    name: str
    owner: str
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SiteStats:
    """Per-site numbers for `stats`."""

    site: str
    urls: int  # in the frontier
    pending: int  # status new or retry
    articles: int
    failures: Mapping[str, int]  # cause -> URLs whose last attempt failed with it (status retry or failed)
    removals: int  # noise cuts recorded across the site's articles
    last_checked_at: datetime | None  # the last attempt (fetch, 304 or failure) at any of its URLs


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    """A schema migration recorded in the `migrations` table."""

    name: str
    applied_at: datetime


def content_hash(article: Article) -> str:
    """sha256 of the article text: equal hashes mean a re-clean did not change the body."""
    return hashlib.sha256(article.text.encode("utf-8")).hexdigest()
