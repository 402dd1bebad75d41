"""The records that flow between the steps: plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Stage = Literal["dom", "text", "meta"]


@dataclass(frozen=True, slots=True)
class Removal:
    """One cut the cleaner made: the text it removed, the rule that matched, and the stage."""

    text: str
    rule: str
    stage: Stage

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "rule": self.rule, "stage": self.stage}


@dataclass(frozen=True, slots=True)
class Article:
    """A clean article: body paragraphs without site noise, metadata, and the log of every cut."""

    url: str | None = None
    site: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    dateline: str | None = None
    language: str | None = None
    paragraphs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    removed: tuple[Removal, ...] = field(default=())

    @property
    def text(self) -> str:
        """The body: paragraphs joined by newlines."""
        return "\n".join(self.paragraphs)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field, `text` included."""
        return {
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "dateline": self.dateline,
            "language": self.language,
            "text": self.text,
            "paragraphs": list(self.paragraphs),
            "tags": list(self.tags),
            "removed": [r.to_dict() for r in self.removed],
        }


@dataclass(frozen=True, slots=True)
class Link:
    """A URL found by discovery (feed, sitemap, section page), normalised, with what the source said of it."""

    url: str
    source: str = ""  # the feed / sitemap / section URL it came from
    published: datetime | None = None  # feed date, news:publication_date or sitemap lastmod (UTC)
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One HTTP response as fetched: what the store keeps raw, so pages can be re-cleaned later."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content: bytes
    fetched_at: datetime
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def not_modified(self) -> bool:
        """A 304 answer to a conditional GET: the page did not change."""
        return self.status == 304
