"""Rules files: every mistake is a RulesError naming the file and the key; good files compile."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.errors import RulesError
from scraper.rules import DEFAULT_RULES_DIR, load_rulebook

GENERIC = """
[[drop]]
name = "ads"
selectors = [".ad"]

[[line]]
name = "advert"
patterns = ['^ADVERTISEMENT$']
max_chars = 40
"""
SITE = """
[site]
hosts = ["example.com"]

[body]
selectors = ["div.story"]

[[inline]]
name = "read-also"
patterns = ['Read also: [^.]*\\.']
"""


def rules_dir(tmp_path: Path, generic: str = GENERIC, **sites: str) -> Path:
    """A rules directory: generic.toml and sites/<name>.toml (keyword names use _ for .)."""
    (tmp_path / "generic.toml").write_text(generic, encoding="utf-8")
    (tmp_path / "sites").mkdir()
    for name, text in sites.items():
        (tmp_path / "sites" / f"{name.replace('_', '.')}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def rules_error(directory: Path) -> RulesError:
    with pytest.raises(RulesError) as info:
        load_rulebook(directory)
    assert "\n" not in str(info.value)
    return info.value


def test_good_rules_compile_and_apply_to_subdomains(tmp_path: Path) -> None:
    book = load_rulebook(rules_dir(tmp_path, example_com=SITE))
    assert book.generic.drop[0].name == "generic/ads"
    rules = book.for_host("news.example.com")
    assert rules.body == ("div.story",)
    assert [r.name for r in rules.inline] == ["example.com/read-also"]
    assert book.for_host("example.org") is book.generic


def test_packaged_rules_compile() -> None:
    book = load_rulebook(DEFAULT_RULES_DIR)
    assert book.sites
    assert all(site.hosts for site in book.sites)


@pytest.mark.parametrize(
    ("generic", "key", "cause"),
    [
        ("[bogus]\nx = 1", "bogus", "unknown section"),
        ('[site]\nhosts = ["a.com"]', "site", "only a site file"),
        (GENERIC + 'colour = "red"', "line[0].colour", "unknown key"),
        ('[body]\nselector = ["p"]', "body.selector", "unknown key"),
        ('[[drop]]\nname = "x"\nselectors = ["p["]', "drop[0].selectors[0]", "bad CSS selector 'p['"),
        ('[body]\nselectors = ["div >"]', "body.selectors[0]", "bad CSS selector"),
        ("[[line]]\nname = \"x\"\npatterns = ['(unclosed']", "line[0].patterns[0]", "bad regular expression"),
        ("[[line]]\nname = \"x\"\npatterns = ['ok', 'x*']", "line[0].patterns[1]", "matches the empty string"),
        ("[[teaser]]\nname = \"x\"\nlabel = '[baca'", "teaser[0].label", "bad regular expression"),
        ("[author]\ndrop = ['(?P<x']", "author.drop[0]", "bad regular expression"),
        ('[[drop]]\nname = "x"\nselectors = "p"', "drop[0].selectors", "must be a list of strings"),
        ('[[drop]]\nname = "x"\nselectors = ["p", 3]', "drop[0].selectors", "must be a list of strings"),
        ('[[drop]]\nname = "x"\nselectors = []', "drop[0].selectors", "needs at least one selector"),
        ('[[drop]]\nname = 5\nselectors = ["p"]', "drop[0].name", "needs a name"),
        ('[[drop]]\nname = "Ads Box"\nselectors = ["p"]', "drop[0].name", "needs a name"),
        ('[[drop]]\nselectors = ["p"]', "drop[0].name", "needs a name"),
        ('[[drop]]\nname = "x"\nselectors = ["p"]\ndescription = 3', "drop[0].description", "must be a string"),
        ('drop = "p"', "drop", "must be an array of tables"),
        ('[[body]]\nselectors = ["p"]', "body", "must be a table"),
        ('[[line]]\nname = "x"\npatterns = []', "line[0].patterns", "needs at least one pattern"),
        ("[[line]]\nname = \"x\"\npatterns = ['a']\nmax_chars = '10'", "line[0].max_chars", "positive integer"),
        ("[[line]]\nname = \"x\"\npatterns = ['a']\nmax_chars = true", "line[0].max_chars", "positive integer"),
        ("[[line]]\nname = \"x\"\npatterns = ['a']\nmax_chars = 0", "line[0].max_chars", "positive integer"),
        ("[[inline]]\nname = \"x\"\npatterns = ['a']\nreplace = 1", "inline[0].replace", "must be a string"),
        ('[[teaser]]\nname = "x"\nlabel = 1', "teaser[0].label", "must be a regular expression string"),
        ('[author]\ndrop = "x"', "author.drop", "must be a list of strings"),
        (
            GENERIC + '\n[[drop]]\nname = "ads"\nselectors = [".ads"]',
            "drop[1].name",
            "'ads' is already the name of drop[0]",
        ),
        ("[[line]]\nname = [1]\npatterns = ['a']", "line[0].name", "needs a name"),
    ],
)
def test_generic_file_mistakes_name_file_and_key(tmp_path: Path, generic: str, key: str, cause: str) -> None:
    error = rules_error(rules_dir(tmp_path, generic))
    assert error.path == str(tmp_path / "generic.toml")
    assert error.key == key
    assert str(error).startswith(f"{error.path}: {key}: ")
    assert cause in str(error)


@pytest.mark.parametrize(
    ("site", "key", "cause"),
    [
        ("[[drop]]\nname = 'x'\nselectors = ['p']", "site.hosts", "must name at least one host"),
        ("[site]\nhosts = []", "site.hosts", "must name at least one host"),
        ('[site]\nhosts = "example.com"', "site.hosts", "must be a list of strings"),
        ('[site]\nhosts = ["https://example.com/"]', "site.hosts[0]", "is not a host name"),
        ('[site]\nhosts = ["example"]', "site.hosts[0]", "is not a host name"),
        ('[site]\nhosts = ["exa mple.com"]', "site.hosts[0]", "is not a host name"),
        ('[site]\nhosts = ["www.example.com"]', "site.hosts[0]", "drop the 'www.'"),
        ('[site]\nhosts = ["example.com", "Example.com"]', "site.hosts[1]", "listed twice"),
        ('[site]\nhosts = ["example.com"]\nname = "x"', "site.name", "unknown key"),
    ],
)
def test_site_file_mistakes_name_file_and_key(tmp_path: Path, site: str, key: str, cause: str) -> None:
    error = rules_error(rules_dir(tmp_path, example_com=site))
    assert error.path == str(tmp_path / "sites" / "example.com.toml")
    assert error.key == key
    assert cause in str(error)


def test_host_claimed_by_two_files_names_the_second_file(tmp_path: Path) -> None:
    other = '[site]\nhosts = ["example.org", "example.com"]'
    error = rules_error(rules_dir(tmp_path, example_com=SITE, example_org=other))
    assert error.path == str(tmp_path / "sites" / "example.org.toml")
    assert error.key == "site.hosts[1]"
    assert "'example.com' is also claimed by example.com.toml" in str(error)


def test_invalid_toml_names_file_and_position(tmp_path: Path) -> None:
    error = rules_error(rules_dir(tmp_path, "[[drop]\nname = 'x'"))
    assert error.path == str(tmp_path / "generic.toml")
    assert "invalid TOML" in str(error)
    assert "line 1" in str(error)


def test_unreadable_file_is_a_rules_error(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path)
    (directory / "sites" / "latin.toml").write_bytes(b"[site]\nhosts = ['caf\xe9.com']\n")
    error = rules_error(directory)
    assert error.path.endswith("latin.toml")
    assert "cannot read" in str(error)


def test_missing_generic_file_is_named(tmp_path: Path) -> None:
    error = rules_error(tmp_path)
    assert error.path == str(tmp_path / "generic.toml")
    assert "not found" in str(error)
