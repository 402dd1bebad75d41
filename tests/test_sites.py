"""Site fixtures: one page of our own per site rules file, and what the cleaner must make of it.

Each ``tests/fixtures/sites/<host>.html`` is a page we wrote, modelled on that site's markup as
../shared/NOISE.md describes it (body container, in-body teasers, ad slots, captions, credits, initials,
widgets and chrome, the dateline, and traps that must stay). ``<host>.json`` holds its expectations:
``url``, the exact ``paragraphs``, ``must_not_contain`` noise strings, the ``dateline`` and optionally the ``title``.

Adding a site means adding its rules file and a fixture pair; ``test_every_site_file_has_a_fixture``
fails until both exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import scraper
from scraper.metadata import host_of
from scraper.rules import DEFAULT_RULES_DIR, default_rulebook, load_rules_file
from tests.conftest import FIXTURES

SITE_FIXTURES = FIXTURES / "sites"
SITE_RULES = DEFAULT_RULES_DIR / "sites"

# Expectations the cleaner does not meet yet, for a cause outside the site files (generic rules or code).
# Keyed by (test, host), or (test, host, noise string) for "noise", or (test, host, paragraph) for "generic";
# each reason names the cause. An empty dict: every expectation holds.
# Strict: the day the cause is fixed the test passes, fails as XPASS, and its entry here must go.
KNOWN_FAILURES: dict[tuple[str, ...], str] = {}


@dataclass(frozen=True, slots=True)
class SiteCase:
    """One fixture page and its expectations."""

    host: str
    url: str
    html: bytes
    paragraphs: tuple[str, ...]
    must_not_contain: tuple[str, ...]
    dateline: str | None
    title: str | None


def _strings(value: object, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{path}: {key!r} must be a list of strings")
    return tuple(value)


def _optional_string(value: object, key: str, path: Path) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{path}: {key!r} must be a string or null")
    return value


@cache
def load_case(host: str) -> SiteCase:
    """The fixture page of `host` and its expectations, type-checked."""
    path = SITE_FIXTURES / f"{host}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("url"), str) or "dateline" not in data:
        raise TypeError(f"{path}: needs 'url' (a string) and 'dateline' (a string or null)")
    return SiteCase(
        host=host,
        url=data["url"],
        html=(SITE_FIXTURES / f"{host}.html").read_bytes(),
        paragraphs=_strings(data.get("paragraphs"), "paragraphs", path),
        must_not_contain=_strings(data.get("must_not_contain"), "must_not_contain", path),
        dateline=_optional_string(data["dateline"], "dateline", path),
        title=_optional_string(data.get("title"), "title", path),
    )


@cache
def extract_case(host: str, *, with_url: bool = True) -> scraper.Article:
    """The fixture page cleaned with its URL (site rules), or without it (generic rules only)."""
    case = load_case(host)
    return scraper.extract(case.html, case.url if with_url else None)


def _hosts() -> list[str]:
    return sorted(p.stem for p in SITE_FIXTURES.glob("*.json"))


def _params(test: str, keys: list[tuple[str, ...]]) -> list[object]:
    """`keys` as pytest params, the known failures among them marked strict xfail with their reason."""
    params: list[object] = []
    for key in keys:
        reason = KNOWN_FAILURES.get((test, *key))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(*key, marks=marks, id="|".join(part[:40] for part in key)))
    return params


def _host_keys() -> list[tuple[str, ...]]:
    return [(host,) for host in _hosts()]


def _noise_keys() -> list[tuple[str, ...]]:
    return [(host, noise) for host in _hosts() for noise in load_case(host).must_not_contain]


def _paragraph_keys() -> list[tuple[str, ...]]:
    return [(host, para) for host in _hosts() for para in load_case(host).paragraphs]


def test_every_site_file_has_a_fixture() -> None:
    sites = {p.stem for p in SITE_RULES.glob("*.toml")}
    pages = {p.stem for p in SITE_FIXTURES.glob("*.html")}
    expectations = set(_hosts())
    assert sorted(sites - pages) == [], "site files without a fixture page in tests/fixtures/sites/"
    assert sorted(sites - expectations) == [], "site files without expectations in tests/fixtures/sites/"
    assert sorted((pages | expectations) - sites) == [], "fixtures without a site file"


@pytest.mark.parametrize("host", _hosts())
def test_fixture_url_is_served_by_its_site_file(host: str) -> None:
    site = default_rulebook().site_for(host_of(load_case(host).url))
    assert site is not None, f"{host}: no site file claims the fixture's URL"
    assert site.hosts == load_rules_file(SITE_RULES / f"{host}.toml", is_site=True).hosts


@pytest.mark.parametrize("host", _params("paragraphs", _host_keys()))
def test_site_rules_keep_exactly_the_body_paragraphs(host: str) -> None:
    assert extract_case(host).paragraphs == load_case(host).paragraphs


@pytest.mark.parametrize(("host", "noise"), _params("noise", _noise_keys()))
def test_site_rules_remove_the_noise(host: str, noise: str) -> None:
    assert noise not in extract_case(host).text


@pytest.mark.parametrize("host", _params("dateline", _host_keys()))
def test_site_rules_move_the_dateline_to_metadata(host: str) -> None:
    assert extract_case(host).dateline == load_case(host).dateline


@pytest.mark.parametrize("host", _params("title", [(h,) for h in _hosts() if load_case(h).title is not None]))
def test_title_without_site_suffix(host: str) -> None:
    assert extract_case(host).title == load_case(host).title


@pytest.mark.parametrize(("host", "paragraph"), _params("generic", _paragraph_keys()))
def test_generic_rules_alone_keep_every_body_paragraph(host: str, paragraph: str) -> None:
    """Without the site's URL only the generic rules apply: noise may stay (a dateline or initials glued to a
    paragraph), but no body text is lost, so the site's rules only ever remove noise."""
    assert paragraph in extract_case(host, with_url=False).text
