"""The store contract suite: every test taking `store` or `db_url` runs on each backend in BACKENDS.

SQLite runs on a file in the test's tmp_path. PostgreSQL runs on the server at $SCRAPER_TEST_POSTGRES (by default
the local one, postgresql://postgres@127.0.0.1:5432/test), in a schema of its own per test: `fresh_schema`
creates `test_<random>`, hands out a URL whose search_path is that schema, and drops it with everything in it
afterwards, so tests never see each other's rows and leave no table behind. Where that server is unreachable the
PostgreSQL half is skipped with the reason, except under CI, where it fails: CI must test both backends.

Tests near the bottom are SQLite-specific (file format, WAL, pragmas); PostgreSQL-specific ones, and the
pipeline run end to end into PostgreSQL, are in tests/test_store_postgres.py.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from scraper.errors import StoreError
from scraper.models import Article, Link, Page, Removal
from scraper.store import (
    FrontierEntry,
    LockInfo,
    ResourceState,
    SQLiteStore,
    Store,
    content_hash,
    open_store,
    postgres_conn,
    sqlite_conn,
)
from scraper.store.postgres_url import redact_url
from scraper.store.sqlfiles import Migration, load_migrations, load_queries, parse_queries
from scraper.store.sqlite_conn import apply_migrations, split_statements

BACKENDS = ["sqlite", "postgresql"]
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}  # backend -> its folder under scraper/store/sql/
POSTGRES_URL = os.environ.get("SCRAPER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
SITE = "news.example"
TTL = timedelta(minutes=30)
FEED = f"https://{SITE}/rss"
INDEX = f"https://{SITE}/sitemap_index.xml"
CHILDREN = (f"https://{SITE}/sitemap-news.xml", f"https://{SITE}/sitemap-2025-03.xml")
LAST_MODIFIED = "Sat, 01 Mar 2025 07:00:00 GMT"

Reopen = Callable[..., Store]


def at(minutes: float) -> datetime:
    """T0 plus `minutes`: every test moves its own clock."""
    return T0 + timedelta(minutes=minutes)


def url(n: int, site: str = SITE) -> str:
    return f"https://{site}/read/{n:04d}/judul"


def make_page(address: str, body: bytes = b"<html><p>Isi berita.</p></html>", *, when: datetime = T0) -> Page:
    return Page(
        url=address + "?utm_source=feed",
        final_url=address,
        status=200,
        content=body,
        fetched_at=when,
        content_type="text/html; charset=utf-8",
        etag='"v1"',
        last_modified="Sat, 01 Mar 2025 07:00:00 GMT",
        headers=(("content-type", "text/html; charset=utf-8"), ("etag", '"v1"')),
    )


def make_article(address: str, text: str = "Paragraf satu.\nParagraf dua.", **fields: str) -> Article:
    return Article(
        url=address,
        site=SITE,
        title=fields.get("title", "Judul"),
        author=fields.get("author", "Penulis"),
        date="2025-03-01",
        dateline="Jakarta -",
        language="id",
        paragraphs=tuple(text.split("\n")),
        tags=("politik", "ekonomi"),
        removed=(
            Removal("Baca Juga: lain", "generic/baca-juga", "dom"),
            Removal("[ab/cd]", "generic/initials", "text"),
        ),
    )


def save(store: Store, address: str, article: Article | None = None, *, when: datetime = T0, rules: str = "r1") -> str:
    """Fetch-and-store `address` the way the pipeline will; returns what changed."""
    page = make_page(address, when=when)
    return store.save_result(
        address,
        page,
        article or make_article(address),
        canonical_url=address + "#canonical",
        rules_version=rules,
        now=when,
    )


def state(store: Store, address: str) -> FrontierEntry:
    """The frontier entry of `address`, which the test expects to exist."""
    entry = store.frontier_entry(address)
    assert entry is not None, f"{address} is not in the frontier"
    return entry


def holder(store: Store, name: str, now: datetime) -> LockInfo:
    info = store.lock_holder(name, now)
    assert info is not None, f"nobody holds {name} at {now}"
    return info


def add(store: Store, *numbers: int, site: str = SITE, when: datetime = T0) -> int:
    return store.add_links([Link(url(n, site), source=f"https://{site}/rss") for n in numbers], site, when)


# -- fixtures


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a reachable PostgreSQL (checked once per session)."""
    return require_postgres()


def require_postgres() -> str:
    """The URL of a reachable PostgreSQL; skipped with the reason where there is none, failed in CI."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        reason = f"PostgreSQL at {redact_url(POSTGRES_URL)} is unreachable ({' '.join(str(exc).split())})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the store suite on PostgreSQL too")
        pytest.skip(f"{reason}; set SCRAPER_TEST_POSTGRES to a server to test the PostgreSQL backend")
    return POSTGRES_URL


def with_search_path(server: str, schema: str) -> str:
    """`server` with `schema` as the connection's search_path (libpq takes `=` in a URL value as %3D)."""
    return f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """A new empty schema on `server`, as a store URL; dropped with all it holds when the block ends."""
    name = f"test_{secrets.token_hex(6)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield with_search_path(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute("SET lock_timeout = '20s'")  # a store left open by a failed test: fail, do not hang
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database of one backend, as the URL `open_store` takes."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'scraper.db'}"
    elif backend == "postgresql":
        # Asked for here, not as a parameter: a SQLite-only run (-k sqlite) needs no PostgreSQL.
        with fresh_schema(request.getfixturevalue("postgres_server")) as url:
            yield url
    else:
        raise AssertionError(f"no fixture for backend {backend}")


@pytest.fixture
def db_name(db_url: str) -> str:
    """How a StoreError names the database: the SQLite path, or the PostgreSQL URL (without a password)."""
    return db_url.removeprefix("sqlite:///")


@pytest.fixture
def reopen(db_url: str) -> Iterator[Reopen]:
    """Open another connection to the same database (a second run, a second process); all closed at teardown."""
    opened: list[Store] = []

    def _open(**options: bool) -> Store:
        store = open_store(db_url, **options)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(reopen: Reopen) -> Store:
    return reopen()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "scraper.db"


# -- schema and migrations


def test_migrations_are_applied_and_recorded(store: Store, backend: str) -> None:
    names = [m.name for m in store.migrations()]
    assert names == [m.name for m in load_migrations(DIALECTS[backend])]
    assert names[0] == "0001_initial"


def migrate_to_first(db_url: str, backend: str) -> None:
    """Leave the database as a scraper from before 0002 did: only the first migration applied."""
    dialect = DIALECTS[backend]
    first, queries = load_migrations(dialect)[:1], load_queries(dialect)
    if backend == "postgresql":
        with postgres_conn.connect(db_url) as pg:
            postgres_conn.apply_migrations(pg, first, queries)
        return
    lite = sqlite_conn.connect(db_url.removeprefix("sqlite:///"), busy_timeout=5.0)
    try:
        sqlite_conn.apply_migrations(lite, first, queries)
    finally:
        lite.close()


def test_an_older_database_is_upgraded_and_each_migration_recorded_once(
    db_url: str, backend: str, reopen: Reopen
) -> None:
    migrate_to_first(db_url, backend)
    upgraded = reopen()
    names = [m.name for m in upgraded.migrations()]
    assert names == ["0001_initial", "0002_discovery_resources", "0003_learned_lines"]
    assert names == [m.name for m in load_migrations(DIALECTS[backend])]
    upgraded.save_resource(ResourceState(FEED, '"f1"', None, (), T0))  # the new tables are there
    upgraded.save_learned(SITE, {"Iklan": 9}, articles=20, now=T0)
    upgraded.close()
    again = reopen()
    assert [m.name for m in again.migrations()] == names  # reopening records nothing twice
    assert again.resource_state(FEED) == ResourceState(FEED, '"f1"', None, (), T0)


def test_reopening_applies_nothing_again_and_keeps_data(store: Store, reopen: Reopen) -> None:
    before = store.migrations()
    add(store, 1)
    store.close()
    again = reopen()
    assert again.migrations() == before  # same names and the same applied_at: nothing re-applied
    assert state(again, url(1)).status == "new"


# -- frontier


def test_add_links_counts_only_new_urls_and_never_duplicates(store: Store) -> None:
    assert add(store, 1, 2, 3) == 3
    assert add(store, 1, 2, 3) == 0
    assert add(store, 3, 4, 4) == 1  # a URL twice in one batch is one row
    assert store.add_links([], SITE, T0) == 0
    due = store.due_urls(at(1), limit=100)
    assert [e.url for e in due] == [url(n) for n in (1, 2, 3, 4)]


def test_add_links_leaves_a_known_url_as_it_is(store: Store) -> None:
    add(store, 1, 2)
    save(store, url(1))
    store.record_failure(url(2), cause="http-404", message="404", retry_at=None, permanent=True, now=T0)
    assert add(store, 1, 2, site=SITE, when=at(5)) == 0
    assert state(store, url(1)).status == "done"
    assert state(store, url(2)).status == "failed"
    assert store.due_urls(at(10), limit=10) == []


def test_new_entry_carries_site_and_no_conditional_headers(store: Store) -> None:
    add(store, 1)
    [entry] = store.due_urls(T0, limit=10)
    assert (entry.url, entry.site, entry.status, entry.attempts) == (url(1), SITE, "new", 0)
    assert entry.etag is None and entry.last_modified is None


def test_due_urls_respects_next_attempt_at(store: Store) -> None:
    add(store, 1, 2)
    store.record_failure(url(1), cause="timeout", message="read timeout", retry_at=at(10), permanent=False, now=T0)
    assert [e.url for e in store.due_urls(at(9), limit=10)] == [url(2)]
    assert [e.url for e in store.due_urls(at(10), limit=10)] == [url(2), url(1)]  # due exactly at retry_at


def test_links_discovered_later_are_not_due_earlier(store: Store) -> None:
    add(store, 1, when=at(5))
    assert store.due_urls(at(4), limit=10) == []
    assert len(store.due_urls(at(5), limit=10)) == 1


def test_due_urls_limit_and_site_filter(store: Store) -> None:
    add(store, 1, 2, 3)
    add(store, 7, site="other.example")
    assert len(store.due_urls(T0, limit=2)) == 2
    assert [e.url for e in store.due_urls(T0, limit=10, site="other.example")] == [url(7, "other.example")]
    assert {e.site for e in store.due_urls(T0, limit=10)} == {SITE, "other.example"}


def test_a_negative_limit_is_refused(store: Store) -> None:
    add(store, 1)
    with pytest.raises(ValueError, match="limit"):
        store.due_urls(T0, limit=-1)
    assert store.due_urls(T0, limit=0) == []


def test_transient_failure_is_retried_with_attempts_and_last_error(store: Store) -> None:
    add(store, 1)
    store.record_failure(
        url(1), cause="http-503", message="503 Service Unavailable", retry_at=at(5), permanent=False, now=T0
    )
    store.record_failure(
        url(1), cause="timeout", message="read timeout after 20s", retry_at=at(20), permanent=False, now=at(5)
    )
    entry = state(store, url(1))
    assert (entry.status, entry.attempts) == ("retry", 2)
    assert (entry.last_cause, entry.last_error) == ("timeout", "read timeout after 20s")
    [due] = store.due_urls(at(20), limit=10)
    assert due.attempts == 2


def test_transient_failure_without_retry_at_is_due_at_once(store: Store) -> None:
    add(store, 1)
    store.record_failure(url(1), cause="reset", message="connection reset", retry_at=None, permanent=False, now=at(3))
    assert [e.url for e in store.due_urls(at(3), limit=10)] == [url(1)]


def test_permanent_failure_leaves_the_url_failed(store: Store) -> None:
    add(store, 1)
    store.record_failure(url(1), cause="http-404", message="404 Not Found", retry_at=at(1), permanent=True, now=T0)
    entry = state(store, url(1))
    assert (entry.status, entry.attempts, entry.last_cause) == ("failed", 1, "http-404")
    assert store.due_urls(at(60 * 24 * 365), limit=10) == []


def test_success_after_failures_clears_attempts_and_error(store: Store) -> None:
    add(store, 1)
    store.record_failure(url(1), cause="timeout", message="t", retry_at=T0, permanent=False, now=T0)
    save(store, url(1), when=at(1))
    entry = state(store, url(1))
    assert (entry.status, entry.attempts, entry.last_cause, entry.last_error) == ("done", 0, None, None)
    assert (entry.etag, entry.last_modified) == ('"v1"', "Sat, 01 Mar 2025 07:00:00 GMT")
    assert store.due_urls(at(2), limit=10) == []


def test_calls_about_an_unknown_url_raise_and_store_nothing(store: Store, db_name: str) -> None:
    assert db_name.endswith("scraper.db") or db_name.startswith("postgresql://")
    with pytest.raises(StoreError, match=rf"{re.escape(db_name)}: .*read/0009/judul is not in the frontier"):
        save(store, url(9))
    with pytest.raises(StoreError, match="not in the frontier"):
        store.record_unchanged(url(9), T0)
    with pytest.raises(StoreError, match="not in the frontier"):
        store.record_failure(url(9), cause="x", message="x", retry_at=None, permanent=True, now=T0)
    assert store.frontier_entry(url(9)) is None
    assert list(store.iter_articles()) == [] and list(store.iter_pages()) == []


def test_reset_failed_makes_failed_and_retrying_urls_new_and_due_now(store: Store) -> None:
    add(store, 1, 2, 3, 4)
    store.record_failure(url(1), cause="http-404", message="404 Not Found", retry_at=None, permanent=True, now=T0)
    for minute in (1, 2):
        store.record_failure(url(2), cause="timeout", message="t", retry_at=at(60), permanent=False, now=at(minute))
    save(store, url(3), when=at(3))
    assert store.reset_failed(site=None, cause=None, now=at(5)) == 2
    one, two = state(store, url(1)), state(store, url(2))
    assert (one.status, one.attempts, one.last_cause, one.last_error) == ("new", 0, "http-404", "404 Not Found")
    assert (two.status, two.attempts, two.last_cause) == ("new", 0, "timeout")  # the cause stays as the record
    assert state(store, url(3)).status == "done" and state(store, url(4)).status == "new"
    assert [e.url for e in store.due_urls(at(4), limit=10)] == [url(4)]  # due at the reset, not before
    assert [e.url for e in store.due_urls(at(5), limit=10)] == [url(4), url(1), url(2)]  # not at(60)
    assert store.reset_failed(site=None, cause=None, now=at(6)) == 0  # nothing failed is left


def test_reset_urls_are_no_longer_counted_as_failures(store: Store) -> None:
    add(store, 1)
    store.record_failure(url(1), cause="timeout", message="t", retry_at=at(9), permanent=False, now=T0)
    store.reset_failed(site=SITE, cause=None, now=at(1))
    [stats] = store.site_stats()
    assert (stats.pending, stats.failures) == (1, {})
    store.record_failure(url(1), cause="reset", message="connection reset", retry_at=None, permanent=False, now=at(2))
    entry = state(store, url(1))
    assert (entry.status, entry.attempts, entry.last_cause) == ("retry", 1, "reset")  # counting starts again


def test_reset_failed_filters_by_site_and_cause(store: Store) -> None:
    other = "other.example"
    add(store, 1, 2, 3)
    add(store, 7, site=other)
    fail = {url(1): ("http-404", True), url(2): ("timeout", False), url(3): ("timeout", True)}
    for address, (cause, permanent) in {**fail, url(7, other): ("timeout", False)}.items():
        store.record_failure(address, cause=cause, message=cause, retry_at=at(60), permanent=permanent, now=T0)
    assert store.reset_failed(site=SITE, cause="timeout", now=at(1)) == 2
    assert [state(store, url(n)).status for n in (1, 2, 3)] == ["failed", "new", "new"]
    assert state(store, url(7, other)).status == "retry"
    assert store.reset_failed(site=None, cause="http-404", now=at(1)) == 1
    assert store.reset_failed(site="nowhere.example", cause=None, now=at(1)) == 0
    assert store.reset_failed(site=other, cause=None, now=at(1)) == 1
    assert all(state(store, a).status == "new" for a in (url(1), url(2), url(3), url(7, other)))


def test_reset_failed_at_a_naive_time_is_refused_and_changes_nothing(store: Store) -> None:
    add(store, 1)
    store.record_failure(url(1), cause="http-404", message="404", retry_at=None, permanent=True, now=T0)
    with pytest.raises(ValueError, match="naive"):
        store.reset_failed(site=None, cause=None, now=datetime(2025, 3, 1, 9, 0))
    assert state(store, url(1)).status == "failed"


# -- pages and articles


def test_save_result_stores_page_article_and_marks_done(store: Store) -> None:
    add(store, 1)
    assert save(store, url(1)) == "new"
    [stored] = list(store.iter_articles())
    assert stored.url == url(1)
    assert stored.requested_url == url(1) + "?utm_source=feed"
    assert stored.canonical_url == url(1) + "#canonical"
    assert stored.fetched_at == T0 and stored.extracted_at == T0
    assert stored.rules_version == "r1"
    assert stored.content_hash == content_hash(make_article(url(1)))
    assert stored.article == make_article(url(1))  # every Article field round-trips


def test_article_fields_round_trip_exactly(store: Store) -> None:
    add(store, 1)
    article = Article(
        url=None,
        site=None,
        title='Judul "kutip" & <tag>',
        paragraphs=("Satu; dua.", "Ünïcödé — ✓", "   spasi   "),
        removed=(Removal("Foto: x", "site/caption", "meta"),),
    )
    save(store, url(1), article)
    [stored] = list(store.iter_articles())
    assert stored.article == article


def test_saving_the_same_url_twice_keeps_one_updated_row(store: Store) -> None:
    add(store, 1)
    assert save(store, url(1), when=T0) == "new"
    assert save(store, url(1), when=at(60), rules="r2") == "unchanged"
    [stored] = list(store.iter_articles())
    assert stored.rules_version == "r2"  # the article is current with the newer rules
    assert stored.extracted_at == T0  # an identical re-clean is not a change
    assert stored.fetched_at == at(60)  # but the page was fetched again


def test_saving_changed_text_is_a_text_change(store: Store) -> None:
    add(store, 1)
    save(store, url(1))
    changed = make_article(url(1), text="Paragraf satu.\nParagraf dua, diperbarui.")
    assert save(store, url(1), changed, when=at(5)) == "text_changed"
    [stored] = list(store.iter_articles())
    assert stored.article.text.endswith("diperbarui.")
    assert stored.content_hash == content_hash(changed) != content_hash(make_article(url(1)))
    assert stored.extracted_at == at(5)


def test_saving_changed_metadata_with_the_same_text_is_a_metadata_change(store: Store) -> None:
    add(store, 1)
    save(store, url(1))
    assert save(store, url(1), make_article(url(1), author="Penulis Lain"), when=at(5)) == "metadata_changed"
    [stored] = list(store.iter_articles())
    assert stored.article.author == "Penulis Lain"


def test_304_keeps_the_article_and_marks_checked(store: Store) -> None:
    add(store, 1)
    save(store, url(1), when=T0)
    store.record_unchanged(url(1), at(90))
    [stored] = list(store.iter_articles())
    assert stored.article == make_article(url(1)) and stored.fetched_at == T0
    entry = state(store, url(1))
    assert entry.status == "done" and entry.etag == '"v1"'
    [stats] = store.site_stats()
    assert stats.last_checked_at == at(90)
    assert store.due_urls(at(91), limit=10, recheck_before=at(90)) == []  # checked at 90: not before it


def test_done_urls_come_back_for_a_conditional_get_only_when_asked(store: Store) -> None:
    add(store, 1, 2)
    save(store, url(1), when=T0)
    assert [e.url for e in store.due_urls(at(60), limit=10)] == [url(2)]
    due = store.due_urls(at(60), limit=10, recheck_before=at(30))
    assert [e.url for e in due] == [url(2), url(1)]  # pending URLs before rechecks
    assert (due[1].status, due[1].etag, due[1].last_modified) == ("done", '"v1"', "Sat, 01 Mar 2025 07:00:00 GMT")


def test_raw_page_round_trips_byte_for_byte(store: Store) -> None:
    add(store, 1)
    body = b"<html>" + "Berita \u00e9\u4e2d".encode() * 5000 + bytes(range(256)) + b"</html>"
    page = make_page(url(1), body, when=at(1))
    store.save_result(url(1), page, make_article(url(1)), canonical_url=None, rules_version="r1", now=at(1))
    [stored] = list(store.iter_pages())
    assert (stored.url, stored.site) == (url(1), SITE)
    assert stored.page == page  # content, headers, status, etag, times: all as fetched


def test_pages_are_not_kept_raw_when_told_not_to(reopen: Reopen) -> None:
    store = reopen(keep_raw=False)
    add(store, 1)
    save(store, url(1))
    assert list(store.iter_pages()) == []
    assert [a.url for a in store.iter_articles()] == [url(1)]


def test_a_page_that_yielded_no_article_is_kept_for_reprocess(store: Store) -> None:
    add(store, 1)
    page = make_page(url(1), b"<html>menu only</html>")
    store.record_failure(
        url(1), cause="extract", message="no article text", retry_at=None, permanent=True, now=T0, page=page
    )
    assert [p.page.content for p in store.iter_pages()] == [b"<html>menu only</html>"]
    assert list(store.iter_articles()) == []
    assert store.site_stats()[0].failures == {"extract": 1}


def test_reprocess_saves_a_recleaned_article_and_reports_the_change(store: Store) -> None:
    add(store, 1)
    save(store, url(1), when=T0)
    [stored_page] = list(store.iter_pages())
    same = make_article(url(1))
    assert (
        store.save_article(stored_page.url, same, canonical_url=url(1) + "#canonical", rules_version="r2", now=at(1))
        == "unchanged"
    )
    better = make_article(url(1), text="Paragraf satu.")
    assert (
        store.save_article(stored_page.url, better, canonical_url=None, rules_version="r3", now=at(2)) == "text_changed"
    )
    [stored] = list(store.iter_articles())
    assert (stored.article.text, stored.rules_version, stored.extracted_at) == ("Paragraf satu.", "r3", at(2))
    assert stored.requested_url == url(1) + "?utm_source=feed"  # still the page's


def test_reprocess_rescues_a_url_whose_page_failed_to_extract(store: Store) -> None:
    add(store, 1)
    page = make_page(url(1))
    store.record_failure(url(1), cause="extract", message="no text", retry_at=None, permanent=True, now=T0, page=page)
    change = store.save_article(url(1), make_article(url(1)), canonical_url=None, rules_version="r2", now=at(1))
    assert change == "new"
    entry = state(store, url(1))
    assert (entry.status, entry.last_cause) == ("done", None)
    assert store.site_stats()[0].failures == {}


def test_save_article_needs_a_stored_page(store: Store) -> None:
    add(store, 1)
    with pytest.raises(StoreError, match="has no stored page"):
        store.save_article(url(1), make_article(url(1)), canonical_url=None, rules_version="r1", now=T0)
    assert list(store.iter_articles()) == []


def test_iter_pages_filters_by_site(store: Store) -> None:
    add(store, 1)
    add(store, 2, site="other.example")
    save(store, url(1))
    save(store, url(2, "other.example"))
    assert [p.url for p in store.iter_pages(site="other.example")] == [url(2, "other.example")]
    assert len(list(store.iter_pages())) == 2


# -- export


def _export_fixture(store: Store) -> None:
    add(store, 1, 2, 3)
    add(store, 4, site="other.example")
    save(store, url(3), when=at(10))
    save(store, url(1), when=at(20))
    save(store, url(2), when=at(30))
    save(store, url(4, "other.example"), when=at(20))


def test_export_orders_by_fetch_time_and_filters_by_site_and_since(store: Store) -> None:
    _export_fixture(store)
    assert [a.url for a in store.iter_articles()] == [url(3), url(1), url(4, "other.example"), url(2)]
    assert [a.url for a in store.iter_articles(site=SITE)] == [url(3), url(1), url(2)]
    assert [a.url for a in store.iter_articles(since=at(20))] == [url(1), url(4, "other.example"), url(2)]
    assert [a.url for a in store.iter_articles(site=SITE, since=at(21))] == [url(2)]
    assert list(store.iter_articles(site="nowhere.example")) == []


def test_export_since_compares_times_not_text(store: Store) -> None:
    _export_fixture(store)
    jakarta = datetime(2025, 3, 1, 15, 20, tzinfo=timezone(timedelta(hours=7)))  # the same moment as at(20)
    assert jakarta == at(20)
    assert [a.url for a in store.iter_articles(since=jakarta)] == [url(1), url(4, "other.example"), url(2)]


def test_export_walks_every_article_once_past_a_batch(store: Store) -> None:
    numbers = range(1, 251)
    add(store, *numbers)
    for n in numbers:  # many share a fetch time, so paging must break ties by URL
        save(store, url(n), make_article(url(n), text=f"Berita {n}."), when=at(n % 7))
    exported = list(store.iter_articles())
    assert len(exported) == 250
    assert {a.url for a in exported} == {url(n) for n in numbers}
    keys = [(a.fetched_at, a.url) for a in exported]
    assert keys == sorted(keys)
    assert len(list(store.iter_pages())) == 250


# -- discovery inputs


def test_a_discovery_input_never_read_has_no_state(store: Store) -> None:
    assert store.resource_state(FEED) is None


def test_a_discovery_input_round_trips_with_its_validators_and_children(store: Store, reopen: Reopen) -> None:
    index = ResourceState(INDEX, '"i1"', LAST_MODIFIED, CHILDREN, at(5))
    feed = ResourceState(FEED, None, LAST_MODIFIED, (), at(6))
    store.save_resource(index)
    store.save_resource(feed)
    assert store.resource_state(INDEX) == index  # the children in their order: the newest sitemaps first
    store.close()
    again = reopen()
    assert again.resource_state(FEED) == feed and again.resource_state(INDEX) == index


def test_reading_a_discovery_input_again_replaces_what_was_kept(store: Store) -> None:
    store.save_resource(ResourceState(INDEX, '"i1"', LAST_MODIFIED, CHILDREN, T0))
    store.save_resource(ResourceState(FEED, '"f1"', None, (), T0))
    newer = ResourceState(INDEX, None, None, (), at(30))  # the server dropped its validators, the index emptied
    store.save_resource(newer)
    assert store.resource_state(INDEX) == newer
    assert store.resource_state(FEED) == ResourceState(FEED, '"f1"', None, (), T0)  # other inputs keep theirs


def test_discovery_urls_are_compared_as_given(store: Store) -> None:
    store.save_resource(ResourceState(FEED, '"f1"', None, (), T0))
    assert store.resource_state(FEED.upper()) is None
    assert store.resource_state(FEED + "/") is None


def test_a_discovery_input_read_at_a_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.save_resource(ResourceState(FEED, '"f1"', None, (), datetime(2025, 3, 1, 8, 0)))
    assert store.resource_state(FEED) is None


# -- locks


def test_lock_is_exclusive_between_connections(store: Store, reopen: Reopen) -> None:
    other = reopen()
    assert store.acquire_lock("run", "first", T0, TTL)
    assert not other.acquire_lock("run", "second", at(1), TTL)
    info = holder(other, "run", at(1))
    assert (info.owner, info.acquired_at, info.expires_at) == ("first", T0, T0 + TTL)


def test_a_stale_lock_is_taken_over(store: Store, reopen: Reopen) -> None:
    assert store.acquire_lock("run", "crashed", T0, TTL)
    other = reopen()
    assert not other.acquire_lock("run", "next", T0 + TTL - timedelta(seconds=1), TTL)
    assert other.acquire_lock("run", "next", T0 + TTL, TTL)  # expired exactly now
    assert holder(other, "run", T0 + TTL).owner == "next"
    assert not store.release_lock("run", "crashed")  # the old owner cannot release the new owner's lock
    assert other.lock_holder("run", T0 + TTL) is not None


def test_lock_release_and_refresh(store: Store) -> None:
    assert store.acquire_lock("run", "me", T0, TTL)
    assert store.acquire_lock("run", "me", at(20), TTL)  # a holder may extend its lock
    assert holder(store, "run", at(20)).expires_at == at(20) + TTL
    assert store.release_lock("run", "me")
    assert store.lock_holder("run", at(21)) is None
    assert store.acquire_lock("run", "you", at(21), TTL)


def test_locks_are_independent_by_name_and_an_expired_lock_has_no_holder(store: Store) -> None:
    assert store.acquire_lock("run", "a", T0, TTL)
    assert store.acquire_lock("reprocess", "b", T0, TTL)
    assert store.lock_holder("run", T0 + TTL) is None


def test_lock_ttl_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.acquire_lock("run", "me", T0, timedelta(0))


# -- runs and stats


def test_runs_are_recorded_with_their_stats(store: Store) -> None:
    first = store.start_run(T0)
    store.finish_run(first, {"fetched": 12, "saved": 10, "failed": 2}, at(5))
    killed = store.start_run(at(10))
    runs = store.recent_runs()
    assert [r.id for r in runs] == [killed, first]  # newest first
    assert runs[0].finished_at is None and runs[0].stats == {}
    assert (runs[1].started_at, runs[1].finished_at) == (T0, at(5))
    assert runs[1].stats == {"fetched": 12, "saved": 10, "failed": 2}
    assert len(store.recent_runs(limit=1)) == 1


def test_finishing_an_unknown_run_raises(store: Store) -> None:
    with pytest.raises(StoreError, match="no run 999"):
        store.finish_run(999, {}, T0)


def test_site_stats_counts_articles_failures_removals_and_last_check(store: Store) -> None:
    add(store, 1, 2, 3, 4, 5)
    add(store, 9, site="other.example")
    save(store, url(1), when=at(1))
    save(store, url(2), when=at(2))
    store.record_failure(url(3), cause="http-404", message="404", retry_at=None, permanent=True, now=at(3))
    store.record_failure(url(4), cause="timeout", message="t", retry_at=at(9), permanent=False, now=at(4))
    stats = {s.site: s for s in store.site_stats()}
    news = stats[SITE]
    assert (news.urls, news.pending, news.articles, news.removals) == (5, 2, 2, 4)
    assert news.failures == {"http-404": 1, "timeout": 1}
    assert news.last_checked_at == at(4)
    other = stats["other.example"]
    assert (other.urls, other.pending, other.articles, other.removals, other.failures) == (1, 1, 0, 0, {})
    assert other.last_checked_at is None


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.add_links([Link(url(1))], SITE, datetime(2025, 3, 1, 8, 0))
    assert store.due_urls(T0, limit=10) == []


def test_content_hash_is_of_the_text() -> None:
    one = make_article(url(1))
    assert content_hash(one) == content_hash(make_article(url(2), title="Other"))
    assert content_hash(one) != content_hash(make_article(url(1), text="Paragraf satu."))


# -- opening


def test_open_store_takes_a_path_or_a_sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for db, file in (
        ("plain.db", "plain.db"),
        ("sqlite:///rel.db", "rel.db"),
        (f"sqlite:///{tmp_path}/abs.db", "abs.db"),
    ):
        with open_store(db) as store:
            assert isinstance(store, SQLiteStore)
            add(store, 1)
        assert (tmp_path / file).exists(), db


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_an_unreachable_postgresql_is_a_one_line_store_error_without_the_password(scheme: str) -> None:
    # Port 9 (discard) has no server on the test machines: the connection is refused at once.
    with pytest.raises(StoreError, match="cannot open the database") as caught:
        open_store(f"{scheme}://postgres:s3cret@127.0.0.1:9/test?password=s3cret")
    message = str(caught.value)
    assert message.startswith(f"{scheme}://postgres:***@127.0.0.1:9/test")
    assert "s3cret" not in message and "\n" not in message


def test_without_psycopg_a_postgresql_url_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [m for m in sys.modules if m.startswith(("psycopg", "scraper.store.postgres"))]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` finds where it is not installed
    with pytest.raises(StoreError, match=r"pip install 'scraper\[postgres\]'") as caught:
        open_store("postgresql://postgres:s3cret@127.0.0.1:5432/test")
    assert "s3cret" not in str(caught.value) and "\n" not in str(caught.value)
    with open_store("sqlite:///:memory:") as store:  # SQLite users need none of it
        assert add(store, 1) == 1


@pytest.mark.parametrize("db", ["mysql://localhost/db", "sqlite://no-third-slash.db", "sqlite:///", "sqlite:x.db"])
def test_open_store_refuses_unknown_urls(db: str) -> None:
    with pytest.raises(StoreError):
        open_store(db)


def test_a_missing_directory_is_a_one_line_store_error(tmp_path: Path) -> None:
    db = tmp_path / "no" / "such" / "dir" / "scraper.db"
    with pytest.raises(StoreError) as caught:
        open_store(str(db))
    assert str(db) in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_not_a_database_is_a_store_error(sqlite_path: Path) -> None:
    sqlite_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=f"{sqlite_path}.*not a database"):
        open_store(str(sqlite_path))


# -- SQLite specifics


def test_sqlite_file_is_in_wal_mode_with_a_migrations_table(sqlite_path: Path) -> None:
    open_store(str(sqlite_path)).close()
    with sqlite3.connect(sqlite_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = raw.execute("SELECT name, applied_at FROM migrations").fetchall()
    assert [name for name, _ in rows] == ["0001_initial", "0002_discovery_resources", "0003_learned_lines"]
    assert datetime.fromisoformat(rows[0][1]).tzinfo is not None


def test_sqlite_connection_enforces_foreign_keys(sqlite_path: Path) -> None:
    with SQLiteStore(str(sqlite_path)) as store:
        # Reaching into the connection: the store's own calls never violate a foreign key, by design.
        conn = store._conn
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO pages (url, requested_url, final_url, status, body_size, fetched_at) "
                "VALUES ('https://x', 'https://x', 'https://x', 200, 0, 'now')"
            )


def test_raw_bodies_are_stored_compressed(sqlite_path: Path) -> None:
    body = b"<html>" + b"<p>Paragraf berita yang panjang.</p>" * 2000 + b"</html>"
    with open_store(str(sqlite_path)) as store:
        add(store, 1)
        store.save_result(
            url(1), make_page(url(1), body), make_article(url(1)), canonical_url=None, rules_version="r", now=T0
        )
    with sqlite3.connect(sqlite_path) as raw:
        blob, size = raw.execute("SELECT body, body_size FROM pages").fetchone()
    assert size == len(body)
    assert len(blob) < len(body) / 10
    assert zlib.decompress(blob) == body


def test_a_database_from_a_newer_scraper_is_refused(sqlite_path: Path) -> None:
    open_store(str(sqlite_path)).close()
    with sqlite3.connect(sqlite_path) as raw:
        raw.execute("INSERT INTO migrations VALUES ('0999_future', '2030-01-01T00:00:00.000000+00:00')")
    with pytest.raises(StoreError, match="unknown migration 0999_future"):
        open_store(str(sqlite_path))


def test_a_failing_migration_is_rolled_back_whole_and_not_recorded() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    queries = load_queries("sqlite")
    good = Migration("0001_a", "CREATE TABLE a (x INTEGER);")
    bad = Migration("0002_b", "CREATE TABLE b (x INTEGER);\nINSERT INTO a VALUES (1);\nTHIS IS NOT SQL;")
    with pytest.raises(sqlite3.OperationalError):
        apply_migrations(conn, [good, bad], queries)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"migrations", "a"}  # no table b, and the insert into a is gone too
    assert conn.execute("SELECT count(*) FROM a").fetchone()[0] == 0
    assert [row["name"] for row in conn.execute("SELECT name FROM migrations")] == ["0001_a"]
    assert apply_migrations(conn, [good], queries) == []  # recorded: not applied twice


def test_split_statements_respects_strings_comments_and_triggers() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE t (x TEXT DEFAULT 'a;b');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET x = 'c;d' WHERE rowid = new.rowid;
    END;
    -- trailing comment
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[0].endswith("DEFAULT 'a;b');")
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_a_query_defined_twice_is_an_error() -> None:
    with pytest.raises(StoreError, match="'q' is defined twice"):
        parse_queries("-- name: q\nSELECT 1;\n-- name: q\nSELECT 2;\n")


# -- several connections, threads and processes (every backend)


def test_many_connections_opening_a_new_database_at_once_migrate_it_once(db_url: str, backend: str) -> None:
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            with open_store(db_url) as store:
                add(store, 1)
        except BaseException as exc:  # collected for the assertion below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(db_url) as store:
        assert [m.name for m in store.migrations()] == [m.name for m in load_migrations(DIALECTS[backend])]


def test_concurrent_writers_wait_for_each_other_instead_of_failing(db_url: str) -> None:
    with open_store(db_url) as first:
        add(first, *range(100))
    errors: list[BaseException] = []

    def write(numbers: range) -> None:
        try:
            with open_store(db_url) as store:
                for n in numbers:
                    save(store, url(n))
        except BaseException as exc:  # collected for the assertion below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(range(k, 100, 4),)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(db_url) as store:
        assert len(list(store.iter_articles())) == 100


def test_one_store_can_be_shared_by_threads(db_url: str) -> None:
    with open_store(db_url) as store:
        add(store, *range(40))
        threads = [threading.Thread(target=save, args=(store, url(n))) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(list(store.iter_articles())) == 40


# -- SIGKILL

# The module whose article_columns each backend calls inside save_result's transaction: the writer pauses there.
ROWS_MODULE = {"sqlite": "scraper.store.sqlite_rows", "postgresql": "scraper.store.postgres_rows"}

KILL_WRITER = """
import importlib, os, sys, time
from datetime import UTC, datetime, timedelta
from scraper.models import Article, Link, Page
from scraper.store import open_store

db, total, pause_at, rows_module = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
now = datetime(2025, 3, 1, tzinfo=UTC)
rows = importlib.import_module(rows_module)
article_columns = rows.article_columns


def paused_article_columns(article):
    # Called inside save_result's transaction, after the page row is written and before the article row.
    print("mid-save", article.url, flush=True)
    time.sleep(60)
    return article_columns(article)


with open_store(db) as store:
    store.acquire_lock("run", f"pid-{os.getpid()}", now, timedelta(hours=1))
    store.add_links([Link(f"https://kill.example/{i:04d}") for i in range(total)], "kill.example", now)
    print("ready", flush=True)
    for count, entry in enumerate(store.due_urls(now, total)):
        if count == pause_at:
            rows.article_columns = paused_article_columns
        n = entry.url.rsplit("/", 1)[1]
        body = f"<p>page {n}</p>".encode() + os.urandom(60_000)  # incompressible: every save writes a lot
        page = Page(url=entry.url, final_url=entry.url, status=200, content=body, fetched_at=now)
        article = Article(url=entry.url, paragraphs=tuple(f"article {n} paragraph {k}" for k in range(200)))
        store.save_result(entry.url, page, article, canonical_url=None, rules_version="1", now=now)
        print("saved", n, flush=True)
    store.release_lock("run", f"pid-{os.getpid()}")
print("finished", flush=True)
"""


def _run_writer(
    db: str, backend: str, total: int, *, kill_after: int | None = None, delay: float = 0.0, pause_at: int = -1
) -> list[str]:
    """Run the writer and return its output lines. It is killed with SIGKILL `delay` seconds after its
    `kill_after`-th save, or as soon as it says it is paused inside the save at index `pause_at`."""
    argv = [sys.executable, "-c", KILL_WRITER, db, str(total), str(pause_at), ROWS_MODULE[backend]]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line.strip())
        saves = sum(x.startswith("saved") for x in lines)
        if line.startswith("mid-save") or (kill_after is not None and saves >= kill_after):
            time.sleep(delay)  # lands somewhere inside the next save, or between two
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.stdout.close()
    proc.wait(timeout=60)
    return lines


# (url, paragraphs as JSON text or as a list, compressed body, frontier status), done URLs, pages
SavedRows = tuple[list[tuple[str, str | list[str], bytes | None, str | None]], int, int]

SAVED_ARTICLES = (
    "SELECT a.url, a.paragraphs, p.body, f.status FROM articles a "
    "LEFT JOIN pages p ON p.url = a.url LEFT JOIN frontier f ON f.url = a.url"
)
DONE_URLS = "SELECT count(*) FROM frontier WHERE status = 'done'"
SAVED_PAGES = "SELECT count(*) FROM pages"


def _saved_rows(db: str) -> SavedRows:
    """Read straight from the database, past the store: every article with its page and status, the number of
    done URLs and of pages. Only committed rows are seen, as the next run would see them."""
    if db.startswith("sqlite:///"):
        with sqlite3.connect(db.removeprefix("sqlite:///")) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            return (
                raw.execute(SAVED_ARTICLES).fetchall(),
                raw.execute(DONE_URLS).fetchone()[0],
                raw.execute(SAVED_PAGES).fetchone()[0],
            )
    with psycopg.connect(db) as pg:
        done, pages = (pg.execute(query).fetchone() for query in (DONE_URLS, SAVED_PAGES))
        assert done is not None and pages is not None
        return pg.execute(SAVED_ARTICLES).fetchall(), done[0], pages[0]


def _check_no_half_written_article(db: str) -> int:
    """Every article has its page and a done frontier row, and all three are of the same save. Articles found."""
    rows, done, pages = _saved_rows(db)
    for address, paragraphs, body, status in rows:
        n = address.rsplit("/", 1)[1]
        assert body is not None, f"article {address} has no page"
        assert zlib.decompress(body).startswith(f"<p>page {n}</p>".encode())
        # SQLite keeps the paragraphs as JSON text, PostgreSQL as an array: `in` finds the last one in either
        assert f"article {n} paragraph 199" in paragraphs, f"article {address} is cut short"
        assert status == "done"
    assert done == pages == len(rows)  # no URL done, and no page, without its article
    return len(rows)


def test_sigkill_inside_a_save_leaves_neither_page_nor_article(db_url: str, backend: str) -> None:
    lines = _run_writer(db_url, backend, 20, pause_at=4)
    assert lines[-1].startswith("mid-save"), lines
    killed_url = lines[-1].split()[1]
    assert _check_no_half_written_article(db_url) == 4
    with open_store(db_url) as store:
        assert state(store, killed_url).status == "new"  # fetched again by the next run
        assert killed_url not in {p.url for p in store.iter_pages()}


def test_sigkill_leaves_no_half_written_article_and_the_next_run_resumes(db_url: str, backend: str) -> None:
    total = 120
    saved = 0
    for round_, delay in enumerate((0.0, 0.002, 0.005, 0.009), start=1):
        lines = _run_writer(db_url, backend, total, kill_after=3 * round_, delay=delay)
        assert "finished" not in lines, "the writer ended before it was killed: the test proved nothing"
        found = _check_no_half_written_article(db_url)
        assert saved + 3 * round_ <= found < total  # progress kept, and resumed where it stopped
        saved = found
    with open_store(db_url) as store:
        # the killed run's lock still blocks the next run until it expires
        assert not store.acquire_lock("run", "next", datetime(2025, 3, 1, 0, 59, tzinfo=UTC), TTL)
        assert store.acquire_lock("run", "next", datetime(2025, 3, 1, 1, 0, tzinfo=UTC), TTL)
        store.release_lock("run", "next")
    lines = _run_writer(db_url, backend, total)
    assert lines[-1] == "finished"
    assert sum(x.startswith("saved") for x in lines) == total - saved  # only what was left was fetched
    assert _check_no_half_written_article(db_url) == total
    with open_store(db_url) as store:
        assert store.due_urls(datetime(2025, 3, 2, tzinfo=UTC), limit=1000) == []  # a run right after: nothing new
        assert len({a.url for a in store.iter_articles()}) == len(list(store.iter_articles())) == total
