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
from scraper.commands import fail
from scraper.commands import register as register_crawl_commands
from scraper.decode import MAX_PAGE_BYTES, decode_text
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
def explain_command(file: FILE_ARG, url: URL_OPT = None) -> None:
    """Print the clean text, then every removed piece with its rule and stage."""
    article = _cleaned(file, lambda data: extract(data, url))
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


register_crawl_commands(app)


def main() -> None:
    """Console-script entry point."""
    app()
