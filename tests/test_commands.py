"""The crawl commands through the CLI runner and as real processes, against a local site."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scraper.cli import app
from scraper.commands import parse_interval
from scraper.models import Link
from scraper.store import open_store
from scraper.urls import normalize_url
from tests.site_server import Route, Site, article_html, serve
from tests.test_faults import alive, children

P1 = "Harga beras di pasar induk naik untuk ketiga kalinya bulan ini, menurut para pedagang setempat."
P2 = "Pemerintah berjanji menambah pasokan dari gudang Bulog dalam waktu dekat agar harga kembali stabil."
P3 = "Pedagang berharap langkah itu segera dilakukan karena pembeli mulai berkurang sejak pekan lalu."
runner = CliRunner()


def make_site(n: int, delay: float = 0.0) -> Site:
    site = Site()
    for i in range(n):
        site.routes[f"/read/{i}/berita"] = Route(article_html(f"Berita {i}", [P1, P2, P3]), delay=delay)
    return site


def wire_feed(site: Site, n: int) -> None:
    items = "".join(f"<item><title>t</title><link>{site.url(f'/read/{i}/berita')}</link></item>" for i in range(n))
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{items}</channel></rss>'
    site.routes["/rss"] = Route(feed.encode(), content_type="application/rss+xml")
    site.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")


def write_config(tmp_path: Path, site: Site, **settings: object) -> Path:
    values = {"delay": 0.0, "allow_private": True, "max_retries": 0, "timeout": 5.0, "workers": 1, **settings}
    lines = ["[settings]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    lines += ["[[sources]]", 'name = "contoh"', f'feeds = ["{site.url("/rss")}"]']
    path = tmp_path / "scraper.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(make_site(3)) as served:
        wire_feed(served, 3)
        yield served


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_then_export_stats_reprocess(site: Site, tmp_path: Path) -> None:
    cfg, db = write_config(tmp_path, site), str(tmp_path / "x.db")
    code, out, _ = invoke("run", "--config", str(cfg), "--db", db, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] and report["stats"]["articles_new"] == 3

    code, out, _ = invoke("export", "--db", db)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 3
    assert {r["url"] for r in rows} == {site.url(f"/read/{i}/berita") for i in range(3)}
    assert all(r["text"] == f"{P1}\n{P2}\n{P3}" and r["fetched_at"] and "canonical_url" in r for r in rows)

    code, out, _ = invoke("export", "--db", db, "--format", "csv", "--site", "127.0.0.1")
    table = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(table) == 3 and table[0]["text"].startswith(P1)

    code, out, _ = invoke("export", "--db", db, "--since", (datetime.now(UTC) + timedelta(days=1)).date().isoformat())
    assert code == 0 and out == ""

    code, out, _ = invoke("stats", "--db", db, "--json")
    stats = json.loads(out)
    assert code == 0 and stats["sites"][0]["articles"] == 3 and stats["runs"][0]["finished_at"]

    code, out, _ = invoke("reprocess", "--db", db, "--json")
    assert code == 0 and json.loads(out) == {"unchanged": 3}


def test_fetch_prints_clean_text_and_stores_only_with_db(site: Site, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, site)
    code, out, _ = invoke("fetch", site.url("/read/0/berita"), "--config", str(cfg))
    assert code == 0 and out.strip() == f"{P1}\n{P2}\n{P3}"
    db = str(tmp_path / "one.db")
    code, out, _ = invoke("fetch", site.url("/read/1/berita"), "--config", str(cfg), "--db", db, "--format", "json")
    assert code == 0 and json.loads(out)["dateline"] == "Jakarta -"
    with open_store(db) as store:
        assert len(list(store.iter_articles())) == 1


def test_fetch_failure_is_one_line_and_non_zero(site: Site, tmp_path: Path) -> None:
    code, _, err = invoke("fetch", site.url("/nothing"), "--config", str(write_config(tmp_path, site)))
    assert code == 1
    assert err.count("\n") == 1 and "404" in err and site.url("/nothing") in err


def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[settings]\ndelai = 1\n", encoding="utf-8")
    code, _, err = invoke("run", "--config", str(bad), "--db", str(tmp_path / "x.db"))
    assert code == 2 and str(bad) in err and "settings.delai" in err


def test_locked_run_exits_3(site: Site, tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    with open_store(db) as store:
        store.acquire_lock("run", "other-run", datetime.now(UTC), timedelta(hours=1))
    code, _, err = invoke("run", "--config", str(write_config(tmp_path, site)), "--db", db)
    assert code == 3 and "other-run" in err


def test_unreachable_sources_exit_4(tmp_path: Path) -> None:
    path = tmp_path / "dead.toml"
    path.write_text(
        "[settings]\nallow_private = true\ntimeout = 1.0\nmax_retries = 0\n"
        '[[sources]]\nname = "dead"\nfeeds = ["http://127.0.0.1:9/rss"]\n',
        encoding="utf-8",
    )
    code, _, _ = invoke("run", "--config", str(path), "--db", str(tmp_path / "x.db"))
    assert code == 4


def test_schedule_runs_on_its_interval_and_stops(site: Site, tmp_path: Path) -> None:
    cfg, db = write_config(tmp_path, site), str(tmp_path / "x.db")
    code, _, _ = invoke("schedule", "--every", "1s", "--max-runs", "2", "--config", str(cfg), "--db", db)
    assert code == 0
    with open_store(db) as store:
        assert len(store.recent_runs()) == 2


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("1h", 3600), ("90s", 90), ("1.5h", 5400)])
def test_parse_interval(text: str, seconds: int) -> None:
    assert parse_interval(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "30", "m", "-5m", "0s", "5 weeks"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="--every"):
        parse_interval(text)


def test_every_command_has_help() -> None:
    for command in ("run", "fetch", "export", "reprocess", "stats", "schedule", "reset"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout


def test_sigkill_mid_run_leaves_no_half_article_no_orphan_and_the_next_run_starts_at_once(tmp_path: Path) -> None:
    """A real `scraper run` (default worker processes) killed with SIGKILL mid-crawl, then run again: the dead
    run's lock is taken over at once (its pid is gone), not after lock_ttl; its cleaning workers died with it."""
    n = 12
    with serve(make_site(n, delay=0.3)) as site:
        wire_feed(site, n)
        cfg, db = write_config(tmp_path, site, concurrency=1, lock_ttl=3600), str(tmp_path / "kill.db")
        scraper_bin = str(Path(sys.executable).parent / "scraper")
        env = {**os.environ, "SCRAPER_DB": db}
        proc = subprocess.Popen([scraper_bin, "run", "--config", str(cfg)], env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while _count_or_zero(db, "articles") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = children(proc.pid)
        assert workers, "the run cleans in worker processes by default"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert 0 < _count(db, "articles") < n
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers), "cleaning workers outlived a kill -9 of their run"

        with sqlite3.connect(db) as conn:
            orphans = conn.execute("SELECT count(*) FROM articles WHERE url NOT IN (SELECT url FROM pages)").fetchone()
        assert orphans == (0,)
        started = time.monotonic()
        done = subprocess.run([scraper_bin, "run", "--config", str(cfg)], env=env, capture_output=True, timeout=90)
        assert done.returncode == 0, done.stderr
        assert b"taking over the run lock" in done.stderr and b"that process is gone" in done.stderr
        assert time.monotonic() - started < 60  # not the hour of lock_ttl
        assert _count(db, "articles") == n
        assert _count(db, "pages") == n


def _count(db: str, table: str) -> int:
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)


def _count_or_zero(db: str, table: str) -> int:
    """Rows so far: 0 while the database or its schema does not exist yet."""
    try:
        return _count(db, table) if Path(db).exists() else 0
    except sqlite3.Error:
        return 0


def test_stats_as_a_table(site: Site, tmp_path: Path) -> None:
    cfg, db = write_config(tmp_path, site), str(tmp_path / "x.db")
    invoke("run", "--config", str(cfg), "--db", db)
    code, out, _ = invoke("stats", "--db", db)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["site", "urls", "pending", "articles"]
    assert lines[1].split()[:4] == ["127.0.0.1", "3", "0", "3"]
    assert lines[2].startswith("run 1: started ") and "finished" in lines[2]


# -- a bad setting from any source: one line, exit 2, no traceback


def empty_config(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("flags", "env", "toml", "named"),
    [
        (["--delay", "nan"], {}, "", "<command line>: --delay: delay must be"),
        (["--delay", "inf"], {}, "", "<command line>: --delay: delay must be"),
        (["--concurrency", "99999999999999999999"], {}, "", "--concurrency: concurrency must be"),
        ([], {"SCRAPER_DELAY": "nan"}, "", "environment: SCRAPER_DELAY: delay must be"),
        ([], {"SCRAPER_DELAY": "inf"}, "", "environment: SCRAPER_DELAY: delay must be"),
        ([], {"SCRAPER_MAX_ATTEMPTS": "99999999999999999999"}, "", "SCRAPER_MAX_ATTEMPTS: max_attempts must be"),
        ([], {"SCRAPER_USER_AGENT": "bot (+mailto:a@b.example)\r\nX: 1"}, "", "SCRAPER_USER_AGENT: user_agent"),
        ([], {}, "[settings]\ndelay = nan\n", "settings.delay: delay must be"),
        ([], {}, "[settings]\ndelay = inf\n", "settings.delay: delay must be"),
        ([], {}, "[settings]\nlock_ttl = 1e300\n", "settings.lock_ttl: lock_ttl must be"),
        (["--db", ""], {}, "", "<command line>: --db: db must name a database"),
    ],
)
def test_a_bad_setting_from_flag_env_or_file_exits_2_with_one_line(
    tmp_path: Path, flags: list[str], env: dict[str, str], toml: str, named: str
) -> None:
    cfg = empty_config(tmp_path, toml)
    result = runner.invoke(app, ["run", "--config", str(cfg), "--db", str(tmp_path / "x.db"), *flags], env=env)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("scraper: ") and result.stderr.count("\n") == 1, result.stderr
    assert named in result.stderr and result.stdout == ""
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


@pytest.mark.parametrize(("flags", "env"), [(["--delay", "nan"], {}), ([], {"SCRAPER_BACKOFF_MAX": "inf"})])
def test_a_bad_setting_in_a_real_process_is_one_line_without_a_traceback(
    tmp_path: Path, flags: list[str], env: dict[str, str]
) -> None:
    scraper_bin = str(Path(sys.executable).parent / "scraper")
    args = [scraper_bin, "run", "--config", str(empty_config(tmp_path)), "--db", str(tmp_path / "x.db"), *flags]
    done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and "must be a number" in done.stderr


# -- reset


def test_reset_gives_failed_urls_to_the_next_run(site: Site, tmp_path: Path) -> None:
    cfg, db = write_config(tmp_path, site), str(tmp_path / "x.db")
    given_up = normalize_url(site.url("/read/0/berita"))
    with open_store(db) as store:
        now = datetime.now(UTC)
        store.add_links([Link(given_up)], "127.0.0.1", now)
        store.record_failure(given_up, cause="timeout", message="t", retry_at=None, permanent=True, now=now)
    assert invoke("run", "--config", str(cfg), "--db", db)[0] == 0
    assert _count(db, "articles") == 2  # the given-up URL is not fetched again by itself

    code, out, _ = invoke("reset", "--db", db, "--cause", "timeout")
    assert code == 0 and out == "reset 1 failed URLs (cause timeout): due at the next run\n"
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT status, attempts, last_cause FROM frontier WHERE url = ?", (given_up,)).fetchone()
    assert row == ("new", 0, "timeout")
    assert invoke("run", "--config", str(cfg), "--db", db)[0] == 0
    assert _count(db, "articles") == 3


def _failed_frontier(db: str) -> None:
    """Four URLs: given up on a 404, given up on a timeout, retrying on a timeout (another site), and new."""
    now = datetime.now(UTC)
    with open_store(db) as store:
        for n, host, cause, permanent in (
            (1, "a.example", "http-404", True),
            (2, "a.example", "timeout", True),
            (3, "b.example", "timeout", False),
            (4, "a.example", None, False),
        ):
            address = f"https://{host}/read/{n}"
            store.add_links([Link(address)], host, now)
            if cause is not None:
                store.record_failure(address, cause=cause, message=cause, retry_at=None, permanent=permanent, now=now)


def _statuses(db: str) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT url, status, attempts FROM frontier").fetchall()
    return {url.rsplit("/", 1)[1]: (status, attempts) for url, status, attempts in found}


def test_reset_filters_by_site_and_cause_and_prints_json(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    _failed_frontier(db)
    code, out, _ = invoke("reset", "--db", db, "--site", "a.example", "--cause", "timeout", "--json")
    assert code == 0 and json.loads(out) == {"reset": 1}
    assert _statuses(db) == {"1": ("failed", 1), "2": ("new", 0), "3": ("retry", 1), "4": ("new", 0)}
    code, out, _ = invoke("reset", "--db", db, "--site", "b.example")
    assert code == 0 and out.startswith("reset 1 failed URLs (site b.example)")
    code, out, _ = invoke("reset", "--db", db, "--all-failed")
    assert code == 0 and out.startswith("reset 1 failed URLs (every site)")
    assert {status for status, _ in _statuses(db).values()} == {"new"}


def test_reset_without_a_filter_asks_for_all_failed_and_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    _failed_frontier(db)
    before = _statuses(db)
    code, out, err = invoke("reset", "--db", db)
    assert code == 2 and out == "" and err.count("\n") == 1 and "--all-failed" in err
    assert _statuses(db) == before
