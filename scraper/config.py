"""Settings and sources: every default in one place, layered defaults < file < SCRAPER_* env < CLI flags.

A config file is TOML with a ``[settings]`` table and ``[[sources]]``::

    [settings]
    user_agent = "scraper/0.1 (+mailto:you@example.org)"
    delay = 1.0

    [[sources]]
    name = "liputan6"
    feeds = ["https://www.liputan6.com/rss"]
    sitemaps = ["https://www.liputan6.com/sitemap_news.xml"]
    sections = [{ url = "https://www.liputan6.com/news", links = "/read/" }]

A wrong file raises `RulesError` naming the file and the key. Nothing here reads the clock or the network.

Every setting is checked when `Settings` is made: each number against its range in `SETTING_RANGES` (finite,
and small enough that ``now + timedelta(...)`` stays a valid datetime), the user agent as a header value that
names a contact, the database as a non-empty name. A bad value raises `SettingError` (a `ValueError`), which
`load_config` turns into a `RulesError` naming where the value came from: the file and key, the environment
variable, or the command line.
"""

from __future__ import annotations

import dataclasses
import math
import re
import reprlib
import tomllib
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, get_type_hints

from scraper.errors import RulesError

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "SETTING_RANGES",
    "Config",
    "Section",
    "SettingError",
    "Settings",
    "Source",
    "load_config",
]

DEFAULT_CONFIG_PATH = Path("scraper.toml")
ENV_PREFIX = "SCRAPER_"

DAY = 86400.0
TEN_YEARS = 3650 * DAY  # the longest duration any setting takes: now + 10 years is still a datetime (< 9999)
GIB = 1024**3
MAX_USER_AGENT = 512  # characters; servers refuse longer request headers, and no contact needs more


class Bound(NamedTuple):
    """The numbers a setting may take, inclusive, and the unit an error message names."""

    low: float
    high: float
    unit: str = ""

    def describe(self, *, whole: bool) -> str:
        """What an error message says is allowed: 'a number from 0 to 86400 seconds'."""
        unit = f" {self.unit}" if self.unit else ""
        return f"{'a whole number' if whole else 'a number'} from {_num(self.low)} to {_num(self.high)}{unit}"


# Rules as data: every numeric setting and its range. The ceilings are what a crawl could sensibly want, and keep
# the arithmetic done with them safe: durations stay within datetime, 2**attempts within a float, sizes within memory.
SETTING_RANGES: Mapping[str, Bound] = {
    "delay": Bound(0, DAY, "seconds"),
    "concurrency": Bound(1, 1024),
    "timeout": Bound(0.001, DAY, "seconds"),  # 0 would time every request out at once
    "max_redirects": Bound(0, 50),
    "max_retries": Bound(0, 100),
    "backoff_base": Bound(0, DAY, "seconds"),
    "backoff_max": Bound(0, TEN_YEARS, "seconds"),
    "max_retry_wait": Bound(0, DAY, "seconds"),
    "max_body_bytes": Bound(1, GIB, "bytes"),
    "max_decompressed_bytes": Bound(1, 4 * GIB, "bytes"),
    "robots_ttl": Bound(0, TEN_YEARS, "seconds"),
    "max_age_days": Bound(0, TEN_YEARS / DAY, "days"),
    "max_urls_per_source": Bound(1, 1_000_000),
    "max_attempts": Bound(1, 1000),  # the cross-run backoff doubles per attempt: 2**1000 is still a float
    "lock_ttl": Bound(0.001, TEN_YEARS, "seconds"),
    "workers": Bound(0, 256),
    "clean_timeout": Bound(0.1, DAY, "seconds"),
    "worker_memory_mb": Bound(0, 1024 * 1024, "MiB"),
    "recheck_hours": Bound(0, TEN_YEARS / 3600, "hours"),
}


class SettingError(ValueError):
    """A setting out of its range or malformed; `.name` is the field, and the message names it and what is allowed."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name} {message}")
        self.name = name


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of a crawl, with its polite default (Scrapy's habit: all defaults in one place).

    Made only valid: each number within its `SETTING_RANGES` bound, else `SettingError` naming the field and range.
    """

    user_agent: str = "scraper/0.1 (+mailto:scraper@example.org)"
    delay: float = 1.0  # seconds between requests to one host; robots Crawl-delay wins if larger
    concurrency: int = 8  # requests in flight overall
    respect_robots: bool = True
    allow_private: bool = False  # refuse loopback/private addresses unless true (tests set it)
    timeout: float = 20.0  # seconds for connect, read and write each
    max_redirects: int = 5
    max_retries: int = 3  # attempts after the first, within one run, for transient failures
    backoff_base: float = 2.0  # seconds; doubled each attempt, with jitter
    backoff_max: float = 3600.0
    max_retry_wait: float = 60.0  # longest in-run wait before a retry; a later Retry-After is left to a later run
    max_body_bytes: int = 10 * 1024 * 1024  # on the wire, enforced while streaming
    max_decompressed_bytes: int = 20 * 1024 * 1024  # after gzip/deflate/br
    robots_ttl: float = 86400.0  # seconds a host's robots.txt is cached
    max_age_days: float = 7.0  # news sitemap entries older than this are skipped
    max_urls_per_source: int = 500  # new URLs taken from one source per run
    max_attempts: int = 5  # across runs; then a URL is given up
    keep_raw: bool = True  # keep the raw HTML so pages can be re-cleaned when rules improve
    db: str = "scraper.db"
    lock_ttl: float = 3600.0  # seconds before a crashed run's lock expires
    workers: int = 0  # cleaning processes; 0: one per CPU core
    clean_timeout: float = 60.0  # seconds one page may take to clean; then its worker is killed (cause 'timeout')
    worker_memory_mb: int = 2048  # address space one page may add to a cleaning process (0: no cap); past it: 'crash'
    recheck_hours: float = 0.0  # re-fetch stored articles (conditional GET) last checked this long ago; 0: never

    def __post_init__(self) -> None:
        for name, bound in SETTING_RANGES.items():
            _check_number(name, getattr(self, name), bound, whole=_SETTING_TYPES[name] is int)
        _check_user_agent(self.user_agent)
        if not self.db.strip() or not self.db.isprintable():
            raise SettingError("db", f"must name a database (a path or a URL), not {reprlib.repr(self.db)}")


def _check_number(name: str, value: object, bound: Bound, *, whole: bool) -> None:
    """SettingError unless `value` is a finite number (an int if `whole`) within `bound`."""
    kinds = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not _within(value, bound):
        raise SettingError(name, f"must be {bound.describe(whole=whole)}, not {_shown(value)}")


def _within(value: float, bound: Bound) -> bool:
    # nan fails every comparison and inf fails the ceiling already; isfinite says so outright, whatever the bounds
    return (not isinstance(value, float) or math.isfinite(value)) and bound.low <= value <= bound.high


def _check_user_agent(agent: str) -> None:
    """SettingError unless `agent` is a valid header value (printable ASCII, no CR/LF/NUL/TAB, no edge spaces: httpx
    refuses the rest on every request) of at most MAX_USER_AGENT characters that names a contact."""
    header_safe = agent.isascii() and agent.isprintable() and agent == agent.strip()
    if not header_safe or len(agent) > MAX_USER_AGENT:
        raise SettingError(
            "user_agent",
            f"must be printable ASCII without control characters or edge spaces, at most {MAX_USER_AGENT} "
            f"characters, not {_shown(agent)}",
        )
    if "(" not in agent or not any(c in agent for c in "@/"):
        raise SettingError("user_agent", "must name a contact, e.g. 'scraper/0.1 (+mailto:you@example.org)'")


def _num(value: float) -> str:
    """A bound as people write it: 86400, not 86400.0; 0.001 as it is."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _shown(value: object) -> str:
    """`value` for a one-line message: repr, shortened (a 400-digit number or a 10 kB string stays readable)."""
    return reprlib.repr(value)


@dataclass(frozen=True, slots=True)
class Section:
    """A section (index) page whose links matching `links` (a regex on the URL) are articles."""

    url: str
    links: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    """One news site: where its article URLs are discovered."""

    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    urls: tuple[str, ...] = ()  # article URLs given directly


@dataclass(frozen=True, slots=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    sources: tuple[Source, ...] = ()
    path: str | None = None


_SETTING_TYPES: dict[str, type] = {f.name: get_type_hints(Settings)[f.name] for f in dataclasses.fields(Settings)}


class _Given(NamedTuple):
    """A setting's value and where it was given: the file and its key, an environment variable, or a flag."""

    value: object
    where: str
    key: str


def load_config(
    path: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Config:
    """Defaults < the TOML file at `path` (if given) < SCRAPER_* variables in `env` < `overrides` (None: not given).

    A wrong value raises `RulesError` naming where it was given (file and key, variable, or command line).
    """
    data: dict[str, object] = _read_toml(Path(path)) if path is not None else {}
    where = str(path) if path is not None else "<defaults>"
    unknown = set(data) - {"settings", "sources"}
    if unknown:
        raise RulesError(where, sorted(unknown)[0], "unknown section (expected [settings] and [[sources]])")
    given = _settings_from_table(where, data.get("settings", {}))
    given.update(_settings_from_env(env or {}))
    given.update(_settings_from_flags(overrides or {}))
    settings = _settings(given, where)
    sources = _sources(where, data.get("sources", []))
    return Config(settings=settings, sources=sources, path=str(path) if path is not None else None)


def _settings(given: Mapping[str, _Given], where: str) -> Settings:
    """`Settings` of the `given` values; a refused one is a RulesError naming where it was given."""
    try:
        return Settings(**{name: g.value for name, g in given.items()})  # type: ignore[arg-type]
    except SettingError as exc:
        origin = given.get(exc.name)
        if origin is None:  # a default refused: only a wrong SETTING_RANGES does that
            raise RulesError(where, "settings", str(exc)) from exc
        raise RulesError(origin.where, origin.key, str(exc)) from exc


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(str(path), "", "config file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(str(path), "", f"cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(str(path), "", f"invalid TOML: {exc}") from exc


def _settings_from_table(where: str, table: object) -> dict[str, _Given]:
    if not isinstance(table, dict):
        raise RulesError(where, "settings", "must be a table")
    return {
        name: _Given(_coerce(where, f"settings.{name}", value, name=name), where, f"settings.{name}")
        for name, value in table.items()
    }


def _settings_from_env(env: Mapping[str, str]) -> dict[str, _Given]:
    out: dict[str, _Given] = {}
    for var, raw in env.items():
        if var.startswith(ENV_PREFIX) and var[len(ENV_PREFIX) :].lower() in _SETTING_TYPES:
            name = var[len(ENV_PREFIX) :].lower()
            out[name] = _Given(_coerce("environment", var, raw, name=name), "environment", var)
    return out


def _settings_from_flags(overrides: Mapping[str, object]) -> dict[str, _Given]:
    """The `overrides` given (not None), each named as its flag: setting `max_retries` is `--max-retries`."""
    where, given = "<command line>", {k: v for k, v in overrides.items() if v is not None}
    flags = {k: "--" + k.replace("_", "-") for k in given}
    return {k: _Given(_coerce(where, flags[k], v, name=k), where, flags[k]) for k, v in given.items()}


def _coerce(where: str, key: str, value: object, *, name: str | None = None) -> object:
    """`value` as the type of setting `name`; strings from the environment are parsed."""
    name = name or key
    kind = _SETTING_TYPES.get(name)
    if kind is None:
        raise RulesError(where, key, "unknown setting")
    if isinstance(value, str) and kind is not str:
        return _parse(where, key, value, kind)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        with suppress(OverflowError):  # too big for a float: kept whole, for Settings to refuse with its range
            return float(value)
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RulesError(where, key, f"must be {kind.__name__}, not {type(value).__name__}")
    return value


def _parse(where: str, key: str, raw: str, kind: type) -> object:
    text = raw.strip().lower()
    if kind is bool:
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise RulesError(where, key, f"must be true or false, not {raw!r}")
    try:
        return kind(text)
    except ValueError as exc:
        raise RulesError(where, key, f"must be {kind.__name__}, not {_shown(raw)}") from exc


URL = re.compile(r"^https?://[^\s/]+")
SOURCE_KEYS = frozenset({"name", "feeds", "sitemaps", "sections", "urls"})


def _sources(where: str, value: object) -> tuple[Source, ...]:
    if not isinstance(value, list):
        raise RulesError(where, "sources", "must be an array of tables ([[sources]])")
    sources = tuple(_source(where, i, t) for i, t in enumerate(value))
    names = [s.name for s in sources]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise RulesError(where, "sources", f"source name {dup!r} appears twice")
    return sources


def _source(where: str, i: int, table: object) -> Source:
    key = f"sources[{i}]"
    if not isinstance(table, dict):
        raise RulesError(where, key, "must be a table")
    for k in table:
        if k not in SOURCE_KEYS:
            raise RulesError(where, f"{key}.{k}", "unknown key")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RulesError(where, f"{key}.name", "needs a name")
    sections = table.get("sections", [])
    if not isinstance(sections, list):
        raise RulesError(where, f"{key}.sections", "must be a list of {url, links} tables")
    return Source(
        name=name,
        feeds=_urls(where, f"{key}.feeds", table.get("feeds", [])),
        sitemaps=_urls(where, f"{key}.sitemaps", table.get("sitemaps", [])),
        sections=tuple(_section(where, f"{key}.sections[{j}]", s) for j, s in enumerate(sections)),
        urls=_urls(where, f"{key}.urls", table.get("urls", [])),
    )


def _urls(where: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(where, key, "must be a list of URLs")
    for j, url in enumerate(value):
        if not URL.match(url):
            raise RulesError(where, f"{key}[{j}]", f"not an http(s) URL: {url!r}")
    return tuple(value)


def _section(where: str, key: str, value: object) -> Section:
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        raise RulesError(where, key, "must be a table with a url")
    extra = set(value) - {"url", "links"}
    if extra:
        raise RulesError(where, f"{key}.{sorted(extra)[0]}", "unknown key")
    url, links = value["url"], value.get("links", "")
    if not URL.match(url):
        raise RulesError(where, f"{key}.url", f"not an http(s) URL: {url!r}")
    if not isinstance(links, str):
        raise RulesError(where, f"{key}.links", "must be a regular expression string")
    try:
        re.compile(links)
    except re.error as exc:
        raise RulesError(where, f"{key}.links", f"bad regular expression {links!r}: {exc}") from exc
    return Section(url=url, links=links)
