"""PostgreSQL specifics of the store: schema and column types, migrations under the advisory lock, schema
isolation, reconnecting, URL redaction; and the crawl end to end into PostgreSQL, through the CLI.

The contract itself runs on PostgreSQL in tests/test_store.py; these need a server the same way (skipped with
the reason where there is none, failed under CI).
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from scraper.errors import StoreError
from scraper.models import Article, Link
from scraper.store import Store, open_store
from scraper.store.postgres import PostgresStore
from scraper.store.postgres_conn import apply_migrations, connect
from scraper.store.postgres_url import redact_url
from scraper.store.sqlfiles import Migration, load_queries
from tests.site_server import Site, serve
from tests.test_commands import P1, P2, P3, invoke, make_site, wire_feed, write_config
from tests.test_pipeline import config_for, news_site, run, wire
from tests.test_store import (
    SITE,
    T0,
    add,
    fresh_schema,
    make_article,
    make_page,
    require_postgres,
    save,
    url,
    with_search_path,
)

MIGRATION_LOCK_CLASS = 1935897200  # the class id of lock_migrations in sql/postgres/queries.sql


@pytest.fixture(scope="session")
def postgres_server() -> str:
    return require_postgres()


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A fresh schema on the test server, as a store URL."""
    with fresh_schema(postgres_server) as db:
        yield db


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    with open_store(pg_url) as store:
        yield store


def schema_of(db: str) -> str:
    return db.rsplit("%3D", 1)[1]


def raw(db: str) -> psycopg.Connection[tuple[object, ...]]:
    """A plain connection to the store's schema, past the store."""
    return psycopg.connect(db, autocommit=True)


# -- URLs (no server needed)


@pytest.mark.parametrize(
    ("db", "shown"),
    [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("postgres://u:p:w@h:5432/db?sslmode=require", "postgres://u:***@h:5432/db?sslmode=require"),
        ("postgresql://u@h/db?password=pw&sslmode=require", "postgresql://u@h/db?password=***&sslmode=require"),
        ("postgresql://h/db?sslmode=disable&password=pw", "postgresql://h/db?sslmode=disable&password=***"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("scraper.db", "scraper.db"),
    ],
)
def test_redact_url_hides_every_password(db: str, shown: str) -> None:
    assert redact_url(db) == shown


def test_every_store_error_names_the_database_without_the_password(pg_url: str) -> None:
    with PostgresStore(pg_url) as store:
        assert store.db == redact_url(pg_url)
        with pytest.raises(StoreError) as caught:
            store.record_unchanged(url(1), T0)
    assert str(caught.value).startswith(f"{store.db}: ")


# -- schema


def test_times_are_timestamptz_and_urls_sort_bytewise(pg_store: Store, pg_url: str) -> None:
    with raw(pg_url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, collation_name FROM information_schema.columns "
            "WHERE table_schema = %s",
            [schema_of(pg_url)],
        ).fetchall()
    times = {(t, c): d for t, c, d, _ in columns if str(c).endswith("_at")}
    assert len(times) == 13 and set(times.values()) == {"timestamp with time zone"}, times
    assert {(t, c): k for t, c, _, k in columns if c == "url"} == {
        (t, "url"): "C" for t in ("frontier", "pages", "articles", "discovery_resources")
    }


def test_urls_are_ordered_by_code_point_whatever_the_locale(pg_store: Store) -> None:
    # A locale collation would put "a-b" after "ab" (it skips punctuation); Python and SQLite do not.
    addresses = ["https://x.example/ab", "https://x.example/a-b", "https://x.example/B", "https://x.example/a_b"]
    pg_store.add_links([Link(a) for a in addresses], SITE, T0)
    for address in addresses:
        save(pg_store, address)
    assert [a.url for a in pg_store.iter_articles()] == sorted(addresses)
    assert [e.url for e in pg_store.due_urls(T0, limit=10)] == []
    assert [p.url for p in pg_store.iter_pages()] == sorted(addresses)


def test_raw_bodies_are_stored_compressed(pg_store: Store, pg_url: str) -> None:
    body = b"<html>" + b"<p>Paragraf berita yang panjang.</p>" * 2000 + b"</html>"
    add(pg_store, 1)
    pg_store.save_result(
        url(1), make_page(url(1), body), make_article(url(1)), canonical_url=None, rules_version="r", now=T0
    )
    with raw(pg_url) as conn:
        row = conn.execute("SELECT body, body_size FROM pages").fetchone()
    assert row is not None
    blob, size = row
    assert isinstance(blob, bytes) and size == len(body)
    assert len(blob) < len(body) / 10
    assert zlib.decompress(blob) == body


def test_a_nul_character_is_a_one_line_store_error(pg_store: Store, pg_url: str) -> None:
    # PostgreSQL text cannot hold U+0000 (SQLite can). Extracted text never has one (lxml refuses it), but
    # a title from a feed might: the save fails as one StoreError for that URL, not as a crash.
    add(pg_store, 1)
    with pytest.raises(StoreError) as caught:
        save(pg_store, url(1), Article(title="Judul\x00", paragraphs=("Isi.",)))
    assert str(caught.value).startswith(f"{pg_url}: save_result failed: ") and "\n" not in str(caught.value)
    assert list(pg_store.iter_pages()) == []  # rolled back whole


# -- migrations


def test_a_database_from_a_newer_scraper_is_refused(pg_store: Store, pg_url: str) -> None:
    with raw(pg_url) as conn:
        conn.execute("INSERT INTO migrations VALUES ('0999_future', now())")
    with pytest.raises(StoreError, match="unknown migration 0999_future"):
        open_store(pg_url)


def test_a_failing_migration_is_rolled_back_whole_and_not_recorded(pg_url: str) -> None:
    queries = load_queries("postgres")
    good = Migration("0001_a", "CREATE TABLE a (x integer);")
    bad = Migration("0002_b", "CREATE TABLE b (x integer);\nINSERT INTO a VALUES (1);\nTHIS IS NOT SQL;")
    with connect(pg_url) as conn:
        with pytest.raises(psycopg.errors.SyntaxError):
            apply_migrations(conn, [good, bad], queries)
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        assert {row["table_name"] for row in tables} == {"migrations", "a"}  # no table b
        assert conn.execute("SELECT count(*) AS n FROM a").fetchall() == [{"n": 0}]  # the insert is gone too
        assert [row["name"] for row in conn.execute("SELECT name FROM migrations")] == ["0001_a"]
        assert apply_migrations(conn, [good], queries) == []  # recorded: not applied twice


def test_opening_waits_for_the_migration_lock_of_its_schema(pg_url: str) -> None:
    """The lock that makes concurrent openers migrate once: while another session holds it, opening waits."""
    opened = threading.Event()

    def open_one() -> None:
        open_store(pg_url).close()
        opened.set()

    with raw(pg_url) as holder, holder.transaction():
        key = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
        holder.execute(key, [MIGRATION_LOCK_CLASS, schema_of(pg_url)])
        thread = threading.Thread(target=open_one)
        thread.start()
        assert not opened.wait(0.5), "the store opened while the migration lock was held"
    thread.join(timeout=10)
    assert opened.is_set()


# -- schemas and connections


def test_a_search_path_without_an_existing_schema_is_a_clear_store_error(postgres_server: str) -> None:
    db = with_search_path(postgres_server, "no_such_schema_here")
    with pytest.raises(StoreError, match=r"no schema of the search_path \(no_such_schema_here\) exists") as caught:
        open_store(db)
    assert "\n" not in str(caught.value)


def test_stores_in_two_schemas_of_one_database_are_independent(pg_store: Store, postgres_server: str) -> None:
    add(pg_store, 1, 2)
    with fresh_schema(postgres_server) as other_url, open_store(other_url) as other:
        assert other.due_urls(T0, limit=10) == []
        add(other, 3)
        assert [e.url for e in other.due_urls(T0, limit=10)] == [url(3)]
    assert [e.url for e in pg_store.due_urls(T0, limit=10)] == [url(1), url(2)]


def test_fresh_schema_leaves_nothing_behind(postgres_server: str) -> None:
    with fresh_schema(postgres_server) as db, open_store(db) as store:
        add(store, 1)
        name = schema_of(db)
    with raw(postgres_server) as conn:
        found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name]).fetchall()
    assert found == []


def test_the_next_call_reconnects_after_the_server_drops_the_connection(pg_url: str) -> None:
    name = schema_of(pg_url)  # as the application name too, so only this test's connection is terminated
    with open_store(f"{pg_url}&application_name={name}") as store:
        add(store, 1)
        with raw(pg_url) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [name])
        with pytest.raises(StoreError, match="frontier_entry failed"):
            store.frontier_entry(url(1))  # the call that meets the dropped connection fails, as one line
        assert store.frontier_entry(url(1)) is not None  # the next one has a new connection


def test_a_closed_store_stays_closed(pg_url: str) -> None:
    store = open_store(pg_url)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.due_urls(T0, limit=1)


# -- the crawl end to end


def test_a_crawl_stores_into_postgresql_and_exports(pg_url: str) -> None:
    with serve(news_site()) as served, open_store(pg_url) as store:
        site = wire(served)
        report = run(config_for(site), store)
        assert report.ok and report.stats["articles_new"] == 5
        again = run(config_for(site), store)
        assert again.stats["new_urls"] == 0
        articles = {a.requested_url: a for a in store.iter_articles()}
        gone = store.frontier_entry(site.url("/read/5/hilang"))
    assert len(articles) == 5  # no duplicate after the second run
    assert articles[site.url("/read/1/berita-1")].article.paragraphs == (P1, P2, P3)
    assert "café" in articles[site.url("/read/8/kafe")].article.text
    assert gone is not None and (gone.status, gone.last_cause) == ("failed", "http-404")


@pytest.fixture
def small_site() -> Iterator[Site]:
    with serve(make_site(3)) as served:
        wire_feed(served, 3)
        yield served


def test_every_command_takes_a_postgresql_db(small_site: Site, pg_url: str, tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path, small_site))
    code, out, _ = invoke("run", "--config", cfg, "--db", pg_url, "--json")
    assert code == 0 and json.loads(out)["stats"]["articles_new"] == 3

    code, out, _ = invoke("export", "--db", pg_url)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {r["url"] for r in rows} == {small_site.url(f"/read/{i}/berita") for i in range(3)}
    assert all(r["text"] == f"{P1}\n{P2}\n{P3}" for r in rows)
    fetched = [datetime.fromisoformat(r["fetched_at"]) for r in rows]
    assert fetched == sorted(fetched) and all(t.utcoffset() is not None for t in fetched)

    code, out, _ = invoke("stats", "--db", pg_url, "--json")
    stats = json.loads(out)
    assert code == 0 and stats["sites"][0]["articles"] == 3 and stats["runs"][0]["finished_at"]

    code, out, _ = invoke("reprocess", "--db", pg_url, "--json")
    assert code == 0 and json.loads(out) == {"unchanged": 3}


def test_a_command_on_an_unreachable_postgresql_fails_in_one_line_without_the_password() -> None:
    started = time.monotonic()
    code, _, err = invoke("stats", "--db", "postgresql://postgres:s3cret@127.0.0.1:9/test")
    assert code != 0 and "s3cret" not in err
    assert "postgresql://postgres:***@127.0.0.1:9/test" in err and len(err.strip().splitlines()) == 1
    assert time.monotonic() - started < 10
