"""The cleaning CLI: exit 0 with the result on stdout, or one line on stderr and exit 1.

Run through typer's CliRunner, plus real processes of the installed console script.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from scraper.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()
ARTICLE = FIXTURES / "robust_article.html"
SCRAPER = Path(sys.executable).parent / "scraper"
TEXT = (
    "Liputan6.com, Jakarta - Harga cabai rawit di pasar induk naik dua kali lipat dalam sepekan.\n"
    "Baca Juga: Harga bawang turun\n"
    "Pedagang menyebut pasokan dari Jawa Tengah terganggu hujan deras.\n"
)


def all_commands(group: TyperGroup, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and sub-command of the app, found by walking it: a new command is tested too."""
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, TyperGroup):
            yield from all_commands(command, (*prefix, name))


_ROOT = typer.main.get_command(app)
assert isinstance(_ROOT, TyperGroup)
COMMANDS = sorted(all_commands(_ROOT))


def test_the_cleaning_commands_are_there() -> None:
    assert {("clean",), ("clean-text",), ("explain",), ("rules",), ("rules", "check")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout
    assert " ".join(command) in result.stdout


def fail_line(args: list[str], stdin: bytes | None = None) -> str:
    """The one stderr line of a failing run (exit status 1, nothing on stdout)."""
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("scraper: ")
    return lines[0]


def test_clean_prints_the_article_text() -> None:
    result = runner.invoke(app, ["clean", str(ARTICLE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Pengunjung memadati kafe “Kopi Kita”")
    assert "José Peña" in result.stdout
    assert "Kafe di Braga ramai pengunjung" not in result.stdout  # the title is metadata


def test_clean_json_has_text_metadata_and_removals() -> None:
    result = runner.invoke(app, ["clean", str(ARTICLE), "--url", "https://example.com/a", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["url"] == "https://example.com/a"
    assert data["title"] == "Kafe di Braga ramai pengunjung"
    assert data["text"] == "\n".join(data["paragraphs"])
    assert isinstance(data["removed"], list)


def test_clean_reads_standard_input_in_the_declared_charset() -> None:
    result = runner.invoke(app, ["clean", "-"], input=(FIXTURES / "robust_latin1.html").read_bytes())
    assert result.exit_code == 0, result.output
    assert "“Kopi Kita”" in result.stdout


def test_clean_text_cuts_noise_and_keeps_the_dateline_in_json() -> None:
    result = runner.invoke(app, ["clean-text", "-", "--site", "liputan6.com", "-f", "json"], input=TEXT.encode())
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dateline"] == "Liputan6.com, Jakarta -"
    assert data["paragraphs"] == [
        "Harga cabai rawit di pasar induk naik dua kali lipat dalam sepekan.",
        "Pedagang menyebut pasokan dari Jawa Tengah terganggu hujan deras.",
    ]
    assert any(r["text"].startswith("Baca Juga") for r in data["removed"])


def test_clean_text_strips_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    result = runner.invoke(app, ["clean-text", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Harga cabai")


def test_explain_lists_each_removal_with_rule_and_stage() -> None:
    page = (
        "<html><body><article>"
        + "".join(f"<p>{line}</p>" for line in TEXT.splitlines())
        + '<div class="share-bar">Bagikan ke Facebook</div></article></body></html>'
    )
    result = runner.invoke(app, ["explain", "-", "--url", "https://www.liputan6.com/news/read/1/x"], input=page)
    assert result.exit_code == 0, result.output
    text, _, removed = result.stdout.partition("\n\n--- removed (")
    assert text.startswith("Harga cabai rawit")
    assert "dateline: Liputan6.com, Jakarta -" in removed
    assert "[text] generic/baca-juga: Baca Juga: Harga bawang turun" in removed


@pytest.mark.parametrize("command", ["clean", "clean-text", "explain"])
def test_missing_file(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.html"
    assert fail_line([command, str(missing)]) == f"scraper: {missing}: cannot read: No such file or directory"


@pytest.mark.parametrize("command", ["clean", "clean-text", "explain"])
def test_directory(command: str, tmp_path: Path) -> None:
    assert fail_line([command, str(tmp_path)]) == f"scraper: {tmp_path}: cannot read: Is a directory"


@pytest.mark.parametrize(
    ("command", "cause"),
    [("clean", "empty page"), ("clean-text", "empty text"), ("explain", "empty page")],
)
@pytest.mark.parametrize("content", [b"", b" \n\t\n"])
def test_empty_input(command: str, cause: str, content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(content)
    assert fail_line([command, str(path)]) == f"scraper: {path}: {cause}"


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(256), "input is a PNG image"),
        (gzip.compress(ARTICLE.read_bytes()), "input is gzip-compressed data"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 4, "input is a PDF document"),
        (bytes(range(256)) * 20, "input looks binary"),
    ],
)
@pytest.mark.parametrize("command", ["clean", "clean-text"])
def test_binary_input(command: str, data: bytes, cause: str) -> None:
    assert fail_line([command, "-"], data).startswith(f"scraper: <stdin>: {cause}")


def test_clean_text_refuses_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Kafe milik José Peña ramai.\n".encode("latin-1"))
    line = fail_line(["clean-text", str(path)])
    assert line == f"scraper: {path}: not UTF-8 text: byte 0xe9 at offset 14 (invalid continuation byte)"


def test_page_without_article(tmp_path: Path) -> None:
    path = tmp_path / "nav.html"
    path.write_text("<html><body><nav><a href=/>Beranda</a></nav></body></html>", encoding="utf-8")
    assert fail_line(["clean", str(path)]) == f"scraper: {path}: no article text found in the page"


def test_hostile_page_is_refused_in_one_line() -> None:
    line = fail_line(["clean", "-"], b"<div>" * 100_000)
    assert line == "scraper: <stdin>: markup nests elements deeper than 1,000 levels: refused before parsing"


def test_oversized_input_is_refused_without_reading_it_all() -> None:
    line = fail_line(["clean", "-"], b" " * (20 * 1024 * 1024))
    assert line == "scraper: <stdin>: input is over the 10 MB limit"


def test_unknown_format_is_a_usage_error() -> None:
    result = runner.invoke(app, ["clean", str(ARTICLE), "--format", "xml"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "xml" in result.stderr


def test_rules_check_packaged_rules() -> None:
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")
    assert " site files (" in result.stdout
    assert len(result.stdout.splitlines()) == 1


def test_rules_check_a_directory(tmp_path: Path) -> None:
    (tmp_path / "generic.toml").write_text('[[drop]]\nname = "ads"\nselectors = [".ad"]\n', encoding="utf-8")
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "a.com.toml").write_text('[site]\nhosts = ["a.com", "b.com"]\n', encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: {tmp_path}: generic rules and 1 site files (2 hosts)\n"


def test_rules_check_names_file_and_key_of_a_mistake(tmp_path: Path) -> None:
    (tmp_path / "generic.toml").write_text('[[drop]]\nname = "ads"\nselectors = ["div["]\n', encoding="utf-8")
    line = fail_line(["rules", "check", str(tmp_path)])
    assert line.startswith(f"scraper: {tmp_path / 'generic.toml'}: drop[0].selectors[0]: bad CSS selector 'div['")


@pytest.mark.parametrize(("name", "what"), [("missing", "no such directory"), ("file.toml", "not a directory")])
def test_rules_check_needs_a_directory(name: str, what: str, tmp_path: Path) -> None:
    (tmp_path / "file.toml").write_text("", encoding="utf-8")
    line = fail_line(["rules", "check", str(tmp_path / name)])
    assert line.startswith(f"scraper: {tmp_path / name}: {what}")


def test_installed_console_script_cleans_and_fails_cleanly(tmp_path: Path) -> None:
    ok = subprocess.run([SCRAPER, "clean", str(ARTICLE)], capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "José Peña" in ok.stdout
    assert ok.stderr == ""
    bad = subprocess.run(
        [SCRAPER, "clean-text", "-"], input=b"caf\xe9 not UTF-8", capture_output=True, timeout=120, check=False
    )
    assert bad.returncode == 1
    assert bad.stdout == b""
    assert bad.stderr.decode().count("\n") == 1
    assert bad.stderr.startswith(b"scraper: <stdin>: ")
