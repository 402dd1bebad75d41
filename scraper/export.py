"""Stored articles out as JSON lines or CSV: the `Article` fields plus where and when they came from."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from scraper.store import Store
from scraper.store.records import RunRecord, SiteStats, StoredArticle

__all__ = ["CSV_FIELDS", "FORMULA_STARTS", "export_rows", "parse_since", "stats_report", "write_csv", "write_jsonl"]

CSV_FIELDS = (
    "url",
    "canonical_url",
    "site",
    "title",
    "author",
    "date",
    "dateline",
    "language",
    "tags",
    "text",
    "fetched_at",
    "extracted_at",
    "rules_version",
    "removed_count",
)
# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list); a CSV cell starting so is quoted.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_rows(store: Store, *, site: str | None = None, since: datetime | None = None) -> Iterator[dict[str, object]]:
    """One dict per stored article: `Article.to_dict()` (url as requested) plus provenance."""
    for stored in store.iter_articles(site=site, since=since):
        yield _row(stored)


def _row(stored: StoredArticle) -> dict[str, object]:
    row = stored.article.to_dict()
    row.update(
        url=stored.requested_url,
        canonical_url=stored.canonical_url,
        fetched_at=stored.fetched_at.isoformat(),
        extracted_at=stored.extracted_at.isoformat(),
        rules_version=stored.rules_version,
        content_hash=stored.content_hash,
    )
    return row


def write_jsonl(rows: Iterator[dict[str, object]], out: TextIO) -> int:
    """Rows as JSON lines (UTF-8, not ASCII-escaped); how many."""
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterator[dict[str, object]], out: TextIO) -> int:
    """Rows as CSV with a header: lists joined with '; ', removals as a count; how many.

    Text that a spreadsheet would run as a formula (a cell starting with =, +, -, @, TAB or CR: CSV injection,
    https://owasp.org/www-community/attacks/CSV_Injection) gets a leading single quote, so a title such as
    ``=HYPERLINK("http://evil","x")`` is shown as text. The rest of the value is kept as it is; strip that one
    quote to get the stored value back. Only text cells change (`removed_count` is a number); JSON lines are
    written raw, since no spreadsheet reads them.
    """
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(_csv_row(row))
        count += 1
    return count


def _csv_row(row: dict[str, object]) -> dict[str, object]:
    """An export row flattened for CSV, every text cell made inert for spreadsheets."""
    tags, removed = row.get("tags"), row.get("removed")
    flat = dict(row, tags="; ".join(tags) if isinstance(tags, list) else "")
    flat["removed_count"] = len(removed) if isinstance(removed, list) else 0
    return {key: _inert(value) for key, value in flat.items()}


def _inert(value: object) -> object:
    """`value` with a leading quote if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def parse_since(text: str) -> datetime:
    """'2026-11-20' or an ISO date-time; naive values are UTC. ValueError names the text."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"--since {text!r} is not an ISO date such as 2026-11-20") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def stats_report(store: Store, *, runs: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Per-site numbers and the last `runs` runs, JSON-ready: what `scraper stats` prints."""
    return {
        "sites": [_site_row(s) for s in store.site_stats()],
        "runs": [_run_row(r) for r in store.recent_runs(runs)],
    }


def _site_row(stats: SiteStats) -> dict[str, Any]:
    return {
        "site": stats.site,
        "urls": stats.urls,
        "pending": stats.pending,
        "articles": stats.articles,
        "failures": dict(stats.failures),
        "removals": stats.removals,
        "last_checked_at": _iso(stats.last_checked_at),
    }


def _run_row(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": _iso(run.finished_at),
        "stats": dict(run.stats),
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None
