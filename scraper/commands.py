"""The crawl commands (run, fetch, export, reprocess, stats, schedule, reset): a thin shell over the pipeline.

Exit codes: 0 done; 1 a failure named on stderr; 2 bad configuration; 3 another run holds the lock;
4 the run completed but no source could be reached; 130 stopped by SIGINT (Ctrl-C); 143 stopped by SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from scraper.config import DEFAULT_CONFIG_PATH, Config, load_config
from scraper.errors import LockedError, RulesError, ScraperError
from scraper.export import export_rows, parse_since, stats_report, write_csv, write_jsonl
from scraper.fetch import Fetcher
from scraper.metadata import host_of
from scraper.models import Article, Link, Page
from scraper.pipeline import Progress, RunReport, clean_page, reprocess, run_pass, utcnow
from scraper.rules import default_rulebook
from scraper.store import Store, open_store
from scraper.urls import normalize_url

__all__ = ["fail", "register"]

logger = logging.getLogger("scraper")

EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED, EXIT_UNREACHED = 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # Ctrl-C and `systemctl stop`: both stop a pass the same way
STOPPED = "the pass stopped; what it stored is kept and the next run goes on from there"
T = TypeVar("T")
INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (default: ./scraper.toml if present).")
]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="SQLite path, sqlite:///PATH or postgresql://... (default: settings.db).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")]


def register(app: typer.Typer) -> None:
    """Add the crawl commands to the CLI app."""
    app.command("run")(run_command)
    app.command("fetch")(fetch_command)
    app.command("export")(export_command)
    app.command("reprocess")(reprocess_command)
    app.command("stats")(stats_command)
    app.command("schedule")(schedule_command)
    app.command("reset")(reset_command)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """The CLI's one way out on an error: one line on stderr, then the exit code."""
    typer.echo(f"scraper: {message}", err=True)
    raise typer.Exit(code)


def _setup_logging(json_lines: bool = False, verbose: bool = False) -> None:
    """The CLI, never the library, configures logging: plain lines, or JSON lines when asked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("scraper")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"time": self.formatTime(record), "level": record.levelname, "message": record.getMessage()}
        for key in ("url", "site"):
            if key in record.__dict__:
                data[key] = record.__dict__[key]
        return json.dumps(data, ensure_ascii=False)


def _config(path: Path | None, db: str | None, overrides: dict[str, object] | None = None) -> Config:
    chosen = path if path is not None else (DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None)
    try:
        return load_config(chosen, env=os.environ, overrides={**(overrides or {}), "db": db})
    except RulesError as exc:
        fail(str(exc), EXIT_CONFIG)


@contextmanager
def _store(db: str, keep_raw: bool = True) -> Iterator[Store]:
    try:
        store = open_store(db, keep_raw=keep_raw)
    except ScraperError as exc:
        fail(str(exc))
    try:
        yield store
    finally:
        store.close()


def run_command(
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for a running pass to finish instead of exiting.")] = False,
    delay: Annotated[float | None, typer.Option(help="Seconds between requests to one host.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight overall.")] = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log as JSON lines.")] = False,
) -> None:
    """One pass: discover, fetch what is due, clean, store; a summary at the end."""
    _setup_logging(log_json)
    cfg = _config(config, db, {"delay": delay, "concurrency": concurrency})
    report = _run_once(cfg, wait=wait, progress=not json_out and sys.stderr.isatty())
    _print_report(report, json_out)
    if not report.ok:
        raise typer.Exit(EXIT_UNREACHED)


def _run_once(cfg: Config, *, wait: bool, progress: bool) -> RunReport:
    with _store(cfg.settings.db, cfg.settings.keep_raw) as store, _progress(progress) as tick:
        try:
            return asyncio.run(_until_terminated(run_pass(cfg, store, wait=wait, progress=tick)))
        except LockedError as exc:
            fail(str(exc), EXIT_LOCKED)
        except ScraperError as exc:
            fail(str(exc))
        except (KeyboardInterrupt, _Stopped) as exc:
            sig = exc.signal if isinstance(exc, _Stopped) else signal.SIGINT
            said = "interrupted" if sig == signal.SIGINT else "terminated (SIGTERM)"
            fail(f"{said}; {STOPPED}", EXIT_INTERRUPTED if sig == signal.SIGINT else EXIT_TERMINATED)


class _Stopped(Exception):
    """The pass was cancelled by a signal."""

    def __init__(self, sig: signal.Signals) -> None:
        super().__init__(sig.name)
        self.signal = sig


async def _until_terminated(work: Coroutine[object, object, T]) -> T:
    """`work`, cancelled by the first Ctrl-C or SIGTERM (``systemctl stop``), so the pass stops its workers,
    records its run and releases its lock; a second signal while it does so is ignored, never a
    KeyboardInterrupt in the middle of that cleanup."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    received: list[signal.Signals] = []

    def stop(sig: signal.Signals) -> None:
        if not received:
            received.append(sig)
            task.cancel()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop, sig)
    try:
        return await task
    except asyncio.CancelledError:
        if received:
            raise _Stopped(received[0]) from None
        raise
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal; nothing otherwise (log lines carry the news)."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        task = bar.add_task("fetching", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


def _print_report(report: RunReport, json_out: bool) -> None:
    if json_out:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    stats = ", ".join(f"{k} {v}" for k, v in sorted(report.stats.items())) or "nothing to do"
    typer.echo(f"run {report.run_id}: {report.sources_reached}/{report.sources} sources reached; {stats}")
    for error in report.source_errors:
        typer.echo(f"  source error: {error}", err=True)


def fetch_command(
    url: Annotated[str, typer.Argument(help="The article URL.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
    config: ConfigOpt = None,
    db: Annotated[str | None, typer.Option("--db", help="Also store the page and article here.")] = None,
) -> None:
    """Fetch one URL, clean it, print it (stored only with --db)."""
    if fmt not in ("text", "json"):
        fail(f"--format {fmt!r}: use text or json")
    cfg = _config(config, None)
    try:
        page, article, canonical = asyncio.run(_fetch_one(cfg, url))
    except ScraperError as exc:
        fail(str(exc))
    if db is not None:
        _store_one(db, url, page, article, canonical)
    typer.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2) if fmt == "json" else article.text)


async def _fetch_one(cfg: Config, url: str) -> tuple[Page, Article, str | None]:
    async with Fetcher(cfg.settings) as fetcher:
        page = await fetcher.fetch_page(url)
    article, canonical = clean_page(page, default_rulebook())
    return page, article, canonical


def _store_one(db: str, url: str, page: Page, article: Article, canonical: str | None) -> None:
    key = normalize_url(url)
    with _store(db) as store:
        now = utcnow()
        store.add_links([Link(key, source="fetch")], host_of(key) or "", now)
        store.save_result(
            key, page, article, canonical_url=canonical, rules_version=default_rulebook().version, now=now
        )


def export_command(
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv")] = "jsonl",
    site: Annotated[str | None, typer.Option(help="Only this site's articles (host, e.g. liputan6.com).")] = None,
    since: Annotated[str | None, typer.Option(help="Only articles fetched at or after this ISO date.")] = None,
) -> None:
    """Stored articles to stdout: JSON lines (the Article fields plus canonical_url, fetched_at) or CSV."""
    if fmt not in ("jsonl", "csv"):
        fail(f"--format {fmt!r}: use jsonl or csv")
    try:
        since_at = parse_since(since) if since else None
    except ValueError as exc:
        fail(str(exc))
    cfg = _config(None, db)
    with _store(cfg.settings.db) as store:
        rows = export_rows(store, site=site, since=since_at)
        count = write_csv(rows, sys.stdout) if fmt == "csv" else write_jsonl(rows, sys.stdout)
    typer.echo(f"exported {count} articles", err=True)


def reprocess_command(
    db: DbOpt = None,
    site: Annotated[str | None, typer.Option(help="Only this site's pages.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Re-clean stored raw pages with the current rules; report what changed."""
    cfg = _config(None, db)
    with _store(cfg.settings.db) as store:
        try:
            counts = reprocess(store, site=site)
        except ScraperError as exc:
            fail(str(exc))
    if json_out:
        typer.echo(json.dumps(dict(counts)))
    else:
        typer.echo("reprocessed: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no stored pages"))


def stats_command(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Per site: articles, failures by cause, noise removed, last check; and the last runs."""
    cfg = _config(None, db)
    with _store(cfg.settings.db) as store:
        report = stats_report(store)
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo(f"{'site':<28} {'urls':>6} {'pending':>7} {'articles':>8} {'removed':>8}  failures")
    for site in report["sites"]:
        failures = ", ".join(f"{k} {v}" for k, v in sorted(site["failures"].items())) or "-"
        typer.echo(
            f"{site['site']:<28} {site['urls']:>6} {site['pending']:>7} {site['articles']:>8} "
            f"{site['removals']:>8}  {failures}"
        )
    for run in report["runs"]:
        state = f"finished {run['finished_at']}" if run["finished_at"] else "unfinished"
        typer.echo(f"run {run['id']}: started {run['started_at']}, {state}")


def reset_command(
    db: DbOpt = None,
    site: Annotated[str | None, typer.Option(help="Only this site's URLs (host, e.g. liputan6.com).")] = None,
    cause: Annotated[
        str | None, typer.Option(help="Only URLs whose last failure had this cause, as `stats` lists (e.g. timeout).")
    ] = None,
    all_failed: Annotated[
        bool, typer.Option("--all-failed", help="Reset every failed URL of every site (needed without a filter).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Give failed and retrying URLs another chance: status new, attempts 0, due now, so the next run fetches them.
    Their last cause and error are kept for the record until that attempt."""
    if site is None and cause is None and not all_failed:
        # a bare `reset` would also undo every 404 and robots refusal: resetting all of them is asked for by name
        fail("reset: choose URLs with --site and/or --cause, or give --all-failed to reset every one", EXIT_CONFIG)
    cfg = _config(None, db)
    with _store(cfg.settings.db) as store:
        try:
            count = store.reset_failed(site=site, cause=cause, now=utcnow())
        except ScraperError as exc:
            fail(str(exc))
    typer.echo(json.dumps({"reset": count}) if json_out else _reset_summary(count, site, cause))


def _reset_summary(count: int, site: str | None, cause: str | None) -> str:
    scope = ", ".join(f"{k} {v}" for k, v in (("site", site), ("cause", cause)) if v is not None) or "every site"
    return f"reset {count} failed URLs ({scope}): due at the next run"


def parse_interval(text: str) -> timedelta:
    """'30m', '1h', '90s', '1.5h' as a timedelta; ValueError names the text."""
    match = INTERVAL.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"--every {text!r}: use a number and a unit, such as 30m, 2h or 90s")
    return timedelta(seconds=float(match.group(1)) * UNIT_SECONDS[match.group(2)])


def schedule_command(
    every: Annotated[str, typer.Option("--every", help="Interval between run starts: 30m, 1h, 90s.")] = "30m",
    config: ConfigOpt = None,
    db: DbOpt = None,
    max_runs: Annotated[int, typer.Option("--max-runs", help="Stop after this many runs (0: never).")] = 0,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log as JSON lines.")] = False,
) -> None:
    """For users without cron: start `run` every interval (same lock), until SIGINT/SIGTERM."""
    _setup_logging(log_json)
    try:
        interval = parse_interval(every)
    except ValueError as exc:
        fail(str(exc), EXIT_CONFIG)
    cfg = _config(config, db)
    asyncio.run(_schedule(cfg, interval, max_runs))


async def _schedule(cfg: Config, interval: timedelta, max_runs: int) -> None:
    """Runs start on a fixed grid (start + k * interval), so a slow run never shifts the ones after it;
    a tick that finds the previous run still holding the lock is skipped, not queued. SIGINT or SIGTERM stops
    the schedule and the pass in progress (which records its run and releases its lock)."""
    stop = asyncio.Event()
    current: list[asyncio.Task[None]] = []

    def on_signal() -> None:
        stop.set()
        for task in current:
            task.cancel()

    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal)
    start, runs = utcnow(), 0
    while not stop.is_set():
        current[:] = [asyncio.create_task(_scheduled_run(cfg))]
        with suppress(asyncio.CancelledError):
            await current[0]
        runs += 1
        if stop.is_set() or (max_runs and runs >= max_runs):
            break
        ticks = int((utcnow() - start) / interval) + 1
        wait = (start + ticks * interval - utcnow()).total_seconds()
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, wait))
    logger.info("schedule stopped after %d runs", runs)


async def _scheduled_run(cfg: Config) -> None:
    try:
        with _store(cfg.settings.db, cfg.settings.keep_raw) as store:
            report = await run_pass(cfg, store)
        logger.info("run %s: %s", report.run_id, json.dumps(report.to_dict()["stats"]))
    except LockedError as exc:
        logger.warning("skipped: %s", exc)
    except (ScraperError, typer.Exit) as exc:
        logger.error("run failed: %s", exc)
    except Exception:  # one bad pass must not end the schedule
        logger.exception("run failed")
