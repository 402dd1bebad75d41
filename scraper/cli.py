"""The command line: a thin shell over the library.

Every failure is one line on stderr naming the input and the cause, and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from scraper.cleaner import clean_text, extract
from scraper.commands import register as register_crawl_commands
from scraper.errors import ExtractError, ScraperError
from scraper.models import Article
from scraper.rules import DEFAULT_RULES_DIR, load_rulebook

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


def _read_bytes(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        _fail(f"{name}: cannot read: {exc.strerror or exc}")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"scraper: {message}", err=True)
    raise typer.Exit(code)


def _extract_file(file: str, url: str | None) -> Article:
    data = _read_bytes(file)
    try:
        return extract(data, url)
    except ExtractError as exc:
        _fail(f"{file if url is None else url}: {exc.reason}")
    except ScraperError as exc:
        _fail(str(exc))


def _emit(article: Article, fmt: TextFormat) -> None:
    if fmt is TextFormat.json:
        typer.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(article.text)


@app.command("clean")
def clean_command(
    file: FILE_ARG,
    url: Annotated[str | None, typer.Option(help="The page's URL: picks the site rules.")] = None,
    fmt: FORMAT_OPT = TextFormat.text,
) -> None:
    """Clean a saved HTML page: print its article text (or JSON with metadata and removals)."""
    _emit(_extract_file(file, url), fmt)


@app.command("clean-text")
def clean_text_command(
    file: FILE_ARG,
    site: Annotated[str | None, typer.Option(help="The site host (e.g. liputan6.com): picks the rules.")] = None,
    fmt: FORMAT_OPT = TextFormat.text,
) -> None:
    """Clean already-extracted text (one paragraph a line)."""
    data = _read_bytes(file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"{file}: not UTF-8 text: {exc.reason} at byte {exc.start}")
    try:
        _emit(clean_text(text, site=site), fmt)
    except ScraperError as exc:
        _fail(str(exc))


@app.command("explain")
def explain_command(
    file: FILE_ARG,
    url: Annotated[str | None, typer.Option(help="The page's URL: picks the site rules.")] = None,
) -> None:
    """Print the clean text, then every removed piece with its rule and stage."""
    article = _extract_file(file, url)
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
    try:
        book = load_rulebook(directory)
    except ScraperError as exc:
        _fail(str(exc))
    hosts = sum(len(s.hosts) for s in book.sites)
    typer.echo(f"ok: {directory}: generic rules and {len(book.sites)} site files ({hosts} hosts)")


register_crawl_commands(app)


def main() -> None:
    """Console-script entry point."""
    app()
