"""Site knowledge as data: TOML rule files, validated and compiled once at load.

A rules directory holds ``generic.toml`` (language-neutral, English and Indonesian
rules that apply to every page) and ``sites/<host>.toml``, one file per site. A site
file names its hosts in ``[site] hosts = [...]``; its rules are added to the generic
ones for every URL on those hosts (or their subdomains).

Sections of a rules file (every one optional)::

    [site]      hosts = ["detik.com"]                      (site files only)
    [body]      selectors = ["div.detail_text"]            body container hints, first match wins
    [[drop]]    name, selectors = [...]                    DOM nodes to remove before extraction
    [[teaser]]  name, label = '<regex>'                    a "Baca juga" label node + the links after it
    [[line]]    name, patterns = [...], max_chars = N      whole paragraphs to drop
    [[footer]]  name, patterns = [...]                     a paragraph that starts the footer: it and all after go
    [[inline]]  name, patterns = [...], replace = ""       inline cuts; "\\n" in replace splits the paragraph
    [[dateline]] name, patterns = [...]                    a dateline at the start of the first paragraph
    [[trailing]] name, patterns = [...]                    initials / reporter at the end of the last paragraph
    [author]    drop = [...], selectors = [...]            patterns removed from the author field; byline nodes

A `RuleBook` may also carry rules learned from a host's own stored pages (`scraper.learned`): whole lines that
recur across that host's articles, named ``learned:<host>``, applied after the generic and site rules.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from scraper.errors import RulesError

__all__ = [
    "DEFAULT_RULES_DIR",
    "PatternRule",
    "RuleBook",
    "SelectorRule",
    "SiteRules",
    "TeaserRule",
    "default_rulebook",
    "load_rulebook",
]

DEFAULT_RULES_DIR = Path(__file__).parent

PATTERN_SECTIONS = ("line", "footer", "inline", "dateline", "trailing")
SECTION_KEYS: dict[str, frozenset[str]] = {
    "site": frozenset({"hosts", "description"}),
    "body": frozenset({"selectors"}),
    "drop": frozenset({"name", "selectors", "description"}),
    "teaser": frozenset({"name", "label", "description"}),
    "author": frozenset({"drop", "selectors"}),
    **{s: frozenset({"name", "patterns", "max_chars", "replace", "description"}) for s in PATTERN_SECTIONS},
}
TABLE_ARRAYS = frozenset({"drop", "teaser", *PATTERN_SECTIONS})
LEARNED_VERSION = "+learned-"  # "<files digest>+learned-<digest of the learned lines>"
# A bare host name, lower case: labels of letters, digits and inner hyphens, at least one dot.
HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


@dataclass(frozen=True, slots=True)
class SelectorRule:
    """CSS selectors whose nodes are dropped from the DOM."""

    name: str
    selectors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TeaserRule:
    """A label (e.g. "Baca juga:") whose node and following links are a related-article teaser."""

    name: str
    label: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class PatternRule:
    """Regular expressions applied to text; `max_chars` limits a line rule to short paragraphs."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    max_chars: int | None = None
    replace: str = ""


@dataclass(frozen=True, slots=True)
class SiteRules:
    """The compiled rules for one site: generic rules plus the site's own, in that order."""

    name: str
    body: tuple[str, ...] = ()
    drop: tuple[SelectorRule, ...] = ()
    teaser: tuple[TeaserRule, ...] = ()
    line: tuple[PatternRule, ...] = ()
    footer: tuple[PatternRule, ...] = ()
    inline: tuple[PatternRule, ...] = ()
    dateline: tuple[PatternRule, ...] = ()
    trailing: tuple[PatternRule, ...] = ()
    author_drop: tuple[re.Pattern[str], ...] = ()
    author_selectors: tuple[str, ...] = ()  # byline nodes, read before any pruning; the site's come first
    hosts: tuple[str, ...] = field(default=())

    def merged(self, other: SiteRules) -> SiteRules:
        """These rules followed by `other`'s; `other`'s body hints come first."""
        return SiteRules(
            name=f"{self.name}+{other.name}",
            body=other.body + self.body,
            drop=self.drop + other.drop,
            teaser=self.teaser + other.teaser,
            line=self.line + other.line,
            footer=self.footer + other.footer,
            inline=self.inline + other.inline,
            dateline=other.dateline + self.dateline,
            trailing=self.trailing + other.trailing,
            author_drop=self.author_drop + other.author_drop,
            author_selectors=other.author_selectors + self.author_selectors,
            hosts=other.hosts,
        )


@dataclass(frozen=True, slots=True)
class RuleBook:
    """The generic rules and every site's, with lookup by host; and the rules learned from hosts' own pages."""

    generic: SiteRules
    sites: tuple[SiteRules, ...]
    version: str = "custom"  # a digest of the rules files: stored with each article, so re-cleans are traceable
    learned: tuple[SiteRules, ...] = ()  # one per host, named learned:<host> (`scraper.learned`)

    def for_host(self, host: str | None) -> SiteRules:
        """Generic rules merged with the rules of the site that owns `host` (suffix match), then the rules
        learned from `host`'s own pages."""
        site, learned = self.site_for(host), self.learned_for(host)
        if site is None and learned is None:
            return self.generic
        return _merged_cached(self, site, learned)

    def learned_for(self, host: str | None) -> SiteRules | None:
        """The rules learned from `host`'s pages: that host's alone, since a subdomain has a template of its own."""
        if not host or not self.learned:
            return None
        host = host.lower().rstrip(".")
        return next((rules for rules in self.learned if host in rules.hosts), None)

    def with_learned(self, learned: Iterable[SiteRules]) -> RuleBook:
        """This book with `learned` (one `SiteRules` per host) in place of the rules it learned before; the
        version names them too, so an article records whether learned lines cleaned it."""
        learned = tuple(learned)
        base = self.version.partition(LEARNED_VERSION)[0]
        if not learned:
            return dataclasses.replace(self, learned=(), version=base)
        digest = hashlib.sha256()
        for rules in learned:
            for pattern in (p for rule in rules.line for p in rule.patterns):
                digest.update(f"{rules.name}\0{pattern.pattern}\0".encode())
        return dataclasses.replace(self, learned=learned, version=f"{base}{LEARNED_VERSION}{digest.hexdigest()[:8]}")

    def site_for(self, host: str | None) -> SiteRules | None:
        """The site rules whose hosts cover `host`, the most specific first."""
        if not host:
            return None
        host = host.lower().rstrip(".")
        best: tuple[int, SiteRules] | None = None
        for site in self.sites:
            for h in site.hosts:
                if (host == h or host.endswith("." + h)) and (best is None or len(h) > best[0]):
                    best = (len(h), site)
        return None if best is None else best[1]


@lru_cache(maxsize=256)
def _merged_cached(book: RuleBook, site: SiteRules | None, learned: SiteRules | None) -> SiteRules:
    rules = book.generic if site is None else book.generic.merged(site)
    if learned is None:
        return rules
    return dataclasses.replace(rules.merged(learned), hosts=rules.hosts or learned.hosts)  # the site's hosts stay


def load_rulebook(directory: Path | str = DEFAULT_RULES_DIR) -> RuleBook:
    """Load and compile `generic.toml` and `sites/*.toml` under `directory`."""
    directory = Path(directory)
    generic_path = directory / "generic.toml"
    if not generic_path.is_file():
        raise RulesError(str(generic_path), "", "generic rules file not found")
    generic = load_rules_file(generic_path, is_site=False)
    site_paths = sorted((directory / "sites").glob("*.toml"))
    sites = tuple(load_rules_file(p, is_site=True) for p in site_paths)
    _check_unique_hosts(zip(site_paths, sites, strict=True))
    return RuleBook(generic=generic, sites=sites, version=_digest([generic_path, *site_paths]))


def _digest(paths: list[Path]) -> str:
    """A short digest of the files' names and bytes: the rules version stored with every article."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def default_rulebook() -> RuleBook:
    """The rules shipped with the package, loaded once."""
    return load_rulebook(DEFAULT_RULES_DIR)


def load_rules_file(path: Path, *, is_site: bool) -> SiteRules:
    """Parse, validate and compile one rules file; a `RulesError` names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(str(path), "", f"cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(str(path), "", f"invalid TOML: {exc}") from exc
    return _compile(str(path), data, is_site=is_site, default_name=path.stem)


def _compile(path: str, data: Mapping[str, object], *, is_site: bool, default_name: str) -> SiteRules:
    for key, value in data.items():
        _check_section(path, key, value, is_site=is_site)
    hosts = _hosts(path, _dict(data.get("site", {})).get("hosts", []))
    if is_site and not hosts:
        raise RulesError(path, "site.hosts", "a site file must name at least one host")
    prefix = hosts[0] if hosts else "generic"
    author = _dict(data.get("author", {}))
    return SiteRules(
        name=prefix if is_site else default_name,
        hosts=hosts,
        body=_selectors(path, "body.selectors", _dict(data.get("body", {})).get("selectors", [])),
        drop=tuple(_selector_rule(path, prefix, i, t) for i, t in enumerate(_tables(data, "drop"))),
        teaser=tuple(_teaser_rule(path, prefix, i, t) for i, t in enumerate(_tables(data, "teaser"))),
        author_selectors=_selectors(path, "author.selectors", author.get("selectors", [])),
        author_drop=tuple(
            _regex(path, f"author.drop[{i}]", p)
            for i, p in enumerate(_strings(path, "author.drop", author.get("drop", [])))
        ),
        **{
            s: tuple(_pattern_rule(path, prefix, s, i, t) for i, t in enumerate(_tables(data, s)))
            for s in PATTERN_SECTIONS
        },
    )


def _check_section(path: str, key: str, value: object, *, is_site: bool) -> None:
    """The section is known, has the right shape, and holds only known keys of the right basic types."""
    if key not in SECTION_KEYS:
        raise RulesError(path, key, f"unknown section (known: {', '.join(sorted(SECTION_KEYS))})")
    if key == "site" and not is_site:
        raise RulesError(path, key, "only a site file (sites/<host>.toml) has a [site] section")
    tables = value if key in TABLE_ARRAYS else [value]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        kind = "an array of tables ([[...]])" if key in TABLE_ARRAYS else "a table ([...])"
        raise RulesError(path, key, f"must be {kind}")
    for i, table in enumerate(tables):
        _check_keys(path, key, f"{key}[{i}]" if key in TABLE_ARRAYS else key, table)
    _check_unique_names(path, key, tables)


def _check_keys(path: str, section: str, where: str, table: Mapping[str, object]) -> None:
    for k, v in table.items():
        if k not in SECTION_KEYS[section]:
            known = ", ".join(sorted(SECTION_KEYS[section]))
            raise RulesError(path, f"{where}.{k}", f"unknown key (known: {known})")
        if k == "description" and not isinstance(v, str):
            raise RulesError(path, f"{where}.{k}", "must be a string")


def _check_unique_names(path: str, section: str, tables: list[dict[str, object]]) -> None:
    """The removal log names rules by name: two rules of one name would blur which one cut."""
    names: dict[str, int] = {}
    for i, table in enumerate(tables):
        name = table.get("name")
        if not isinstance(name, str):
            continue  # _name reports a missing or malformed name
        if name in names:
            raise RulesError(path, f"{section}[{i}].name", f"{name!r} is already the name of {section}[{names[name]}]")
        names[name] = i


def _hosts(path: str, value: object) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in _strings(path, "site.hosts", value))
    for i, host in enumerate(hosts):
        if host.startswith("www."):
            raise RulesError(path, f"site.hosts[{i}]", f"drop the 'www.' of {host!r}: URLs are matched without it")
        if not HOST.fullmatch(host):
            raise RulesError(path, f"site.hosts[{i}]", f"{host!r} is not a host name (like 'detik.com')")
    for i, host in enumerate(hosts):
        if host in hosts[:i]:
            raise RulesError(path, f"site.hosts[{i}]", f"{host!r} is listed twice")
    return hosts


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _tables(data: Mapping[str, object], key: str) -> list[dict[str, object]]:
    value = data.get(key, [])
    return [t for t in value if isinstance(t, dict)] if isinstance(value, list) else []


def _strings(path: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(path, key, "must be a list of strings")
    return tuple(value)


def _name(path: str, where: str, table: Mapping[str, object]) -> str:
    name = table.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise RulesError(path, f"{where}.name", "needs a name of lower-case letters, digits and hyphens")
    return name


def _regex(path: str, key: str, pattern: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise RulesError(path, key, f"bad regular expression {pattern!r}: {exc}") from exc
    # A pattern that matches nothing at all is found in every paragraph: a line rule would drop them all.
    if compiled.search("") is not None:
        raise RulesError(path, key, f"regular expression {pattern!r} matches the empty string, so every text")
    return compiled


_SELECTOR_PROBE = LexborHTMLParser("<html><body><p>probe</p></body></html>")


def _selectors(path: str, key: str, value: object) -> tuple[str, ...]:
    selectors = _strings(path, key, value)
    for i, sel in enumerate(selectors):
        try:
            _SELECTOR_PROBE.css(sel)
        except SelectolaxError as exc:
            raise RulesError(path, f"{key}[{i}]", f"bad CSS selector {sel!r}: {exc}") from exc
    return selectors


def _selector_rule(path: str, prefix: str, i: int, t: Mapping[str, object]) -> SelectorRule:
    name = _name(path, f"drop[{i}]", t)
    selectors = _selectors(path, f"drop[{i}].selectors", t.get("selectors", []))
    if not selectors:
        raise RulesError(path, f"drop[{i}].selectors", "needs at least one selector")
    return SelectorRule(f"{prefix}/{name}", selectors)


def _teaser_rule(path: str, prefix: str, i: int, t: Mapping[str, object]) -> TeaserRule:
    name = _name(path, f"teaser[{i}]", t)
    label = t.get("label")
    if not isinstance(label, str):
        raise RulesError(path, f"teaser[{i}].label", "must be a regular expression string")
    return TeaserRule(f"{prefix}/{name}", _regex(path, f"teaser[{i}].label", label))


def _pattern_rule(path: str, prefix: str, section: str, i: int, t: Mapping[str, object]) -> PatternRule:
    where = f"{section}[{i}]"
    name = _name(path, where, t)
    patterns = _strings(path, f"{where}.patterns", t.get("patterns", []))
    if not patterns:
        raise RulesError(path, f"{where}.patterns", "needs at least one pattern")
    max_chars = t.get("max_chars")
    if max_chars is not None and (type(max_chars) is not int or max_chars <= 0):  # bool is an int
        raise RulesError(path, f"{where}.max_chars", "must be a positive integer")
    replace = t.get("replace", "")
    if not isinstance(replace, str):
        raise RulesError(path, f"{where}.replace", "must be a string")
    compiled = tuple(_regex(path, f"{where}.patterns[{j}]", p) for j, p in enumerate(patterns))
    return PatternRule(f"{prefix}/{name}", compiled, max_chars, replace)


def _check_unique_hosts(sites: Iterable[tuple[Path, SiteRules]]) -> None:
    seen: dict[str, Path] = {}
    for path, site in sites:
        for i, host in enumerate(site.hosts):
            if host in seen:
                raise RulesError(str(path), f"site.hosts[{i}]", f"host {host!r} is also claimed by {seen[host].name}")
            seen[host] = path
