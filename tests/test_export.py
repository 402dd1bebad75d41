"""Export: CSV cells a spreadsheet would run as formulas are made inert; JSON lines keep every value raw."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scraper.cli import app
from scraper.export import CSV_FIELDS, FORMULA_STARTS, export_rows, write_csv, write_jsonl
from scraper.models import Article, Link, Page, Removal
from scraper.store import Store, open_store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
HYPERLINK = '=HYPERLINK("http://evil","x")'
# (url, title, first paragraph, author): each text reaches a spreadsheet as a formula unless quoted
HOSTILE = (
    ("https://news.example/read/1", HYPERLINK, "+1 dari pembaca", "-Redaksi"),
    ("https://news.example/read/2", "Harga naik", "-5 persen dari bulan lalu", "@SUM(A1:A9)"),
    ("https://news.example/read/3", "Tab", "@SUM(1+1)*cmd|' /C calc'!A0", "\tPenulis"),
)


def article(address: str, title: str, first: str, author: str) -> Article:
    return Article(
        url=address,
        site="news.example",
        title=title,
        author=author,
        date="2025-03-01",
        language="id",
        paragraphs=(first, "Paragraf kedua tetap utuh."),
        tags=("=cmd", "ekonomi"),
        removed=(Removal("Baca Juga: lain", "generic/baca-juga", "dom"),),
    )


def page(address: str) -> Page:
    return Page(url=address, final_url=address, status=200, content=b"<p>x</p>", fetched_at=T0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store holding the HOSTILE articles."""
    with open_store(str(tmp_path / "x.db")) as opened:
        for address, title, first, author in HOSTILE:
            opened.add_links([Link(address)], "news.example", T0)
            made = article(address, title, first, author)
            opened.save_result(address, page(address), made, canonical_url=None, rules_version="r1", now=T0)
        yield opened


def csv_rows(store: Store) -> list[dict[str, str]]:
    out = io.StringIO()
    assert write_csv(export_rows(store), out) == len(HOSTILE)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_csv_quotes_cells_that_start_a_formula(store: Store) -> None:
    rows = {row["url"]: row for row in csv_rows(store)}
    for address, title, first, author in HOSTILE:
        row = rows[address]
        assert row["title"] == (f"'{title}" if title.startswith(FORMULA_STARTS) else title)
        assert row["text"] == f"'{first}\nParagraf kedua tetap utuh."  # the rest of the value kept intact
        assert row["author"] == f"'{author}"
        assert row["tags"] == "'=cmd; ekonomi"
    assert rows[HOSTILE[0][0]]["title"] == "'" + HYPERLINK


def test_csv_leaves_other_cells_as_they_are(store: Store) -> None:
    row = csv_rows(store)[0]
    assert row["url"].startswith("https://") and row["date"] == "2025-03-01" and row["language"] == "id"
    assert row["removed_count"] == "1"


def test_jsonl_keeps_the_raw_values(store: Store) -> None:
    out = io.StringIO()
    write_jsonl(export_rows(store), out)
    rows = {row["url"]: row for row in map(json.loads, out.getvalue().splitlines())}
    for address, title, first, author in HOSTILE:
        assert (rows[address]["title"], rows[address]["author"]) == (title, author)
        assert rows[address]["text"].startswith(first) and rows[address]["tags"] == ["=cmd", "ekonomi"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_each_formula_start_is_quoted_in_every_text_column(start: str) -> None:
    value = f"{start}1+1"
    row: dict[str, object] = {name: value for name in CSV_FIELDS}
    row.update(tags=[value], removed=[])
    out = io.StringIO()
    write_csv(iter([row]), out)
    [back] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert back.pop("removed_count") == "0"
    assert back == {name: f"'{value}" for name in CSV_FIELDS if name != "removed_count"}


@pytest.mark.parametrize("value", ["Harga naik", "1+1=2", "a-b", "user@example.org", "", "'=already"])
def test_text_that_starts_no_formula_is_written_as_it_is(value: str) -> None:
    out = io.StringIO()
    write_csv(iter([{"title": value, "tags": [], "removed": []}]), out)
    [back] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert back["title"] == value


def test_export_command_writes_inert_csv(store: Store, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "--db", str(tmp_path / "x.db"), "--format", "csv"])
    assert result.exit_code == 0
    titles = {row["title"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert "'" + HYPERLINK in titles and HYPERLINK not in titles
