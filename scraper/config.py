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
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_type_hints

from scraper.errors import RulesError

__all__ = ["DEFAULT_CONFIG_PATH", "Config", "Section", "Settings", "Source", "load_config"]

DEFAULT_CONFIG_PATH = Path("scraper.toml")
ENV_PREFIX = "SCRAPER_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of a crawl, with its polite default (Scrapy's habit: all defaults in one place)."""

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
    workers: int = 0  # cleaning processes; 0: one per CPU core; 1: a thread of the crawling process
    recheck_hours: float = 0.0  # re-fetch stored articles (conditional GET) last checked this long ago; 0: never

    def __post_init__(self) -> None:
        for name in (
            "delay",
            "timeout",
            "backoff_base",
            "backoff_max",
            "max_retry_wait",
            "recheck_hours",
            "robots_ttl",
            "max_age_days",
            "lock_ttl",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("concurrency", "max_body_bytes", "max_decompressed_bytes", "max_urls_per_source", "max_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.workers < 0:
            raise ValueError("workers must be >= 0 (0: one per CPU core)")
        if self.lock_ttl <= 0:
            raise ValueError("lock_ttl must be > 0")
        if "(" not in self.user_agent or not any(c in self.user_agent for c in "@/"):
            raise ValueError("user_agent must name a contact, e.g. 'scraper/0.1 (+mailto:you@example.org)'")


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


def load_config(
    path: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Config:
    """Defaults < the TOML file at `path` (if given) < SCRAPER_* variables in `env` < `overrides`."""
    data: dict[str, object] = _read_toml(Path(path)) if path is not None else {}
    where = str(path) if path is not None else "<defaults>"
    unknown = set(data) - {"settings", "sources"}
    if unknown:
        raise RulesError(where, sorted(unknown)[0], "unknown section (expected [settings] and [[sources]])")
    values = _settings_from_table(where, data.get("settings", {}))
    values.update(_settings_from_env(env or {}))
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce("<command line>", key, value)
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise RulesError(where, "settings", str(exc)) from exc
    sources = _sources(where, data.get("sources", []))
    return Config(settings=settings, sources=sources, path=str(path) if path is not None else None)


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(str(path), "", "config file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(str(path), "", f"cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(str(path), "", f"invalid TOML: {exc}") from exc


def _settings_from_table(where: str, table: object) -> dict[str, object]:
    if not isinstance(table, dict):
        raise RulesError(where, "settings", "must be a table")
    return {key: _coerce(where, f"settings.{key}", value, name=key) for key, value in table.items()}


def _settings_from_env(env: Mapping[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for var, raw in env.items():
        if var.startswith(ENV_PREFIX) and var[len(ENV_PREFIX) :].lower() in _SETTING_TYPES:
            name = var[len(ENV_PREFIX) :].lower()
            out[name] = _coerce("environment", var, raw, name=name)
    return out


def _coerce(where: str, key: str, value: object, *, name: str | None = None) -> object:
    """`value` as the type of setting `name`; strings from the environment are parsed."""
    name = name or key
    kind = _SETTING_TYPES.get(name)
    if kind is None:
        raise RulesError(where, key, "unknown setting")
    if isinstance(value, str) and kind is not str:
        return _parse(where, key, value, kind)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
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
        raise RulesError(where, key, f"must be {kind.__name__}, not {raw!r}") from exc


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
