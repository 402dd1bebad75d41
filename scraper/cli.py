"""The command line: a thin shell over the library.

Every failure is one line on stderr naming the input and the cause, and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from scraper.cleaner import clean_text, extract
from scraper.commands import DbOpt, JsonOpt, _config, _store, fail
from scraper.commands import register as register_crawl_commands
from scraper.decode import MAX_PAGE_BYTES, decode_text
from scraper.errors import ExtractError, ScraperError
from scraper.learned import Learned, learn_site, learned_name, with_learned
from scraper.metadata import host_of
from scraper.models import Article
from scraper.pipeline import utcnow
from scraper.rules import DEFAULT_RULES_DIR, RuleBook, default_rulebook, load_rulebook
from scraper.store import LearnedLine, Store

__all__ = ["app", "main"]

app = typer.Typer(
    name="scraper",
    help="A news scraper whose cleaner removes site noise and keeps every sentence of the article.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="Validate and inspect the cleaning rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


class TextFormat(StrEnum):
    text = "text"
    json = "json"


FILE_ARG = Annotated[str, typer.Argument(help="A file path, or - for standard input.", metavar="FILE|-")]
FORMAT_OPT = Annotated[TextFormat, typer.Option("--format", "-f", help="Output: clean text or JSON.")]
URL_OPT = Annotated[str | None, typer.Option(help="The page's URL: picks the site rules.")]
SITE_OPT = Annotated[str | None, typer.Option(help="The site host (e.g. liputan6.com): picks the rules.")]


def _label(name: str) -> str:
    return "<stdin>" if name == "-" else name


def _read_input(name: str) -> bytes:
    """FILE's bytes (stdin for "-"), read to one byte past the size limit, never a whole 5 GB file."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_PAGE_BYTES + 1)
        else:
            with open(name, "rb") as file:
                data = file.read(MAX_PAGE_BYTES + 1)
    except OSError as exc:
        fail(f"{name}: cannot read: {exc.strerror or exc}")
    if len(data) > MAX_PAGE_BYTES:
        fail(f"{_label(name)}: input is over the {MAX_PAGE_BYTES / 1e6:.0f} MB limit")
    return data


def _cleaned(file: str, clean: Callable[[bytes], Article]) -> Article:
    """`clean` applied to FILE's bytes; any failure is one line naming FILE, and exit status 1."""
    data = _read_input(file)
    try:
        return clean(data)
    except ExtractError as exc:
        fail(f"{_label(file)}: {exc.reason}")
    except ScraperError as exc:
        fail(str(exc))


def _emit(article: Article, fmt: TextFormat) -> None:
    if fmt is TextFormat.json:
        typer.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(article.text)


@app.command("clean")
def clean_command(file: FILE_ARG, url: URL_OPT = None, fmt: FORMAT_OPT = TextFormat.text) -> None:
    """Clean a saved HTML page: print its article text (or JSON with metadata and removals)."""
    _emit(_cleaned(file, lambda data: extract(data, url)), fmt)


@app.command("clean-text")
def clean_text_command(file: FILE_ARG, site: SITE_OPT = None, fmt: FORMAT_OPT = TextFormat.text) -> None:
    """Clean already-extracted UTF-8 text (one paragraph a line) with the same rules."""
    _emit(_cleaned(file, lambda data: clean_text(decode_text(data), site=site)), fmt)


@app.command("explain")
def explain_command(
    file: FILE_ARG,
    url: URL_OPT = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Also apply the lines learned from this store's pages (rules learn).")
    ] = None,
) -> None:
    """Print the clean text, then every removed piece with its rule and stage."""
    book = None if db is None else _with_learned_lines(db)
    article = _cleaned(file, lambda data: extract(data, url, rules=book))
    typer.echo(article.text)
    typer.echo("")
    typer.echo(f"--- removed ({len(article.removed)}) ---")
    if article.dateline:
        typer.echo(f"dateline: {article.dateline}")
    for removal in article.removed:
        snippet = removal.text.replace("\n", " / ")
        snippet = snippet if len(snippet) <= 160 else snippet[:157] + "..."
        typer.echo(f"[{removal.stage}] {removal.rule}: {snippet}")


@rules_app.command("check")
def rules_check_command(
    path: Annotated[Path | None, typer.Argument(help="A rules directory (default: the packaged rules).")] = None,
) -> None:
    """Validate every rules file: unknown keys, bad selectors and bad regexes are errors."""
    directory = path or DEFAULT_RULES_DIR
    if not directory.is_dir():
        what = "not a directory" if directory.exists() else "no such directory"
        fail(f"{directory}: {what} (give the rules directory that holds generic.toml)")
    try:
        book = load_rulebook(directory)
    except ScraperError as exc:
        fail(str(exc))
    hosts = sum(len(s.hosts) for s in book.sites)
    typer.echo(f"ok: {directory}: generic rules and {len(book.sites)} site files ({hosts} hosts)")


def _with_learned_lines(db: str) -> RuleBook:
    """The packaged rules with the lines learned from the pages stored in `db`."""
    with _store(db) as store:
        try:
            return with_learned(default_rulebook(), store.learned_lines())
        except ScraperError as exc:
            fail(str(exc))


@rules_app.command("learn")
def rules_learn_command(
    db: DbOpt = None,
    site: Annotated[str | None, typer.Option(help="Only this host's articles (e.g. liputan6.com).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Learn each host's noise from its stored articles: short paragraphs that recur across many of them.

    They replace the host's learned lines and cut as the rule learned:<host> from then on: in every run, and
    in `scraper reprocess` for the articles already stored."""
    cfg = _config(None, db)
    with _store(cfg.settings.db) as store:
        try:
            learned = {host: _learn_host(store, host) for host in _hosts_to_learn(store, site)}
        except ScraperError as exc:
            fail(str(exc))
    if json_out:
        typer.echo(json.dumps([_learned_dict(h, r) for h, r in learned.items()], ensure_ascii=False))
        return
    for host, result in learned.items():
        _print_learned(host, result)
    if any(r.enough for r in learned.values()):
        typer.echo("`scraper reprocess` applies them to the stored articles; every run applies them to new ones.")


def _hosts_to_learn(store: Store, site: str | None) -> list[str]:
    """`site`, or every host with stored articles; a `site` without articles is the user's mistake."""
    site = host_of(site) if site else None  # as the store names sites: www.x.com is x.com
    hosts = [s.site for s in store.site_stats() if s.articles and site in (None, s.site)]
    if site is not None and not hosts:
        fail(f"rules learn: no stored articles of {site}")
    return hosts


def _learn_host(store: Store, host: str) -> Learned:
    """Learn from `host`'s stored articles and keep what was learned (nothing kept when there were too few)."""
    result = learn_site(stored.article for stored in store.iter_articles(site=host))
    if result.enough:
        store.save_learned(host, result.as_mapping(), articles=result.distinct, now=utcnow())
    return result


def _learned_dict(host: str, result: Learned) -> dict[str, object]:
    return {
        "host": host,
        "rule": learned_name(host),
        "articles": result.articles,
        "distinct": result.distinct,
        "learned": result.enough,
        "lines": [{"text": line.text, "pages": line.pages} for line in result.lines],
    }


def _print_learned(host: str, result: Learned) -> None:
    if not result.enough:
        typer.echo(f"{host}: too few distinct articles to learn from ({result.distinct}), nothing learned")
        return
    found = _lines(len(result.lines)) if result.lines else "no recurring lines"
    typer.echo(f"{learned_name(host)}: {found} from {result.distinct} distinct articles")
    for line in result.lines:
        typer.echo(f"  {line.pages:>6}  {line.text}")


@rules_app.command("learned")
def rules_learned_command(
    db: DbOpt = None,
    site: Annotated[str | None, typer.Option(help="Only this host's lines (e.g. liputan6.com).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List the lines learned as each host's noise (by `scraper rules learn`), with the pages they were on."""
    cfg = _config(None, db)
    with _store(cfg.settings.db) as store:
        try:
            lines = store.learned_lines(host_of(site) if site else None)
        except ScraperError as exc:
            fail(str(exc))
    by_host: dict[str, list[LearnedLine]] = {}
    for line in lines:
        by_host.setdefault(line.host, []).append(line)
    if json_out:
        typer.echo(json.dumps([_stored_dict(host, group) for host, group in by_host.items()], ensure_ascii=False))
        return
    if not by_host:
        typer.echo("no learned lines (scraper rules learn learns them from the stored articles)")
    for host, group in by_host.items():
        when = group[0].learned_at.isoformat(timespec="seconds")
        typer.echo(f"{learned_name(host)}: {_lines(len(group))} from {group[0].articles} distinct articles, {when}")
        for line in group:
            typer.echo(f"  {line.pages:>6}  {line.text}")


def _lines(count: int) -> str:
    return "1 line" if count == 1 else f"{count} lines"


def _stored_dict(host: str, group: list[LearnedLine]) -> dict[str, object]:
    return {
        "host": host,
        "rule": learned_name(host),
        "articles": group[0].articles,
        "learned_at": group[0].learned_at.isoformat(),
        "lines": [{"text": line.text, "pages": line.pages} for line in group],
    }


register_crawl_commands(app)


def main() -> None:
    """Console-script entry point."""
    app()
