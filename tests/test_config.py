"""Configuration: layering, validation, and one-line errors naming file and key."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scraper.config import SETTING_RANGES, SettingError, Settings, load_config
from scraper.errors import RulesError
from tests.conftest import ROOT


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scraper.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_polite() -> None:
    settings = Settings()
    assert settings.respect_robots is True
    assert settings.delay >= 1.0
    assert "@" in settings.user_agent or "http" in settings.user_agent
    assert settings.allow_private is False


def test_layering_defaults_file_env_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "[settings]\ndelay = 2.5\nconcurrency = 4\nmax_retries = 1\n")
    config = load_config(
        path,
        env={"SCRAPER_CONCURRENCY": "6", "SCRAPER_RESPECT_ROBOTS": "false", "OTHER": "x"},
        overrides={"max_retries": 7, "timeout": None},
    )
    assert config.settings.delay == 2.5  # file over default
    assert config.settings.concurrency == 6  # environment over file
    assert config.settings.respect_robots is False
    assert config.settings.max_retries == 7  # flag over file
    assert config.settings.timeout == Settings().timeout  # an unset flag changes nothing


def test_sources_parsed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[sources]]\nname = "a"\nfeeds = ["https://a.example/rss"]\n'
        'sections = [{ url = "https://a.example/news", links = "/read/" }]\n',
    )
    (source,) = load_config(path).sources
    assert source.name == "a"
    assert source.feeds == ("https://a.example/rss",)
    assert source.sections[0].links == "/read/"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[settings]\ndelai = 1\n", "settings.delai"),
        ('[settings]\ndelay = "fast"\n', "settings.delay"),
        ("[settings]\nconcurrency = 0\n", "settings.concurrency"),
        ("[settings]\ndelay = nan\n", "settings.delay"),
        ("[settings]\ndelay = inf\n", "settings.delay"),
        ("[settings]\nbackoff_max = inf\n", "settings.backoff_max"),
        ("[settings]\nlock_ttl = 1e300\n", "settings.lock_ttl"),
        ("[settings]\nmax_attempts = 99999999999999999999\n", "settings.max_attempts"),
        ("[settings]\ndelay = 1" + "0" * 400 + "\n", "settings.delay"),  # an int too big for a float
        ('[settings]\nuser_agent = "bot (+mailto:a@b.example)\\r\\nX-Evil: 1"\n', "settings.user_agent"),
        ('[settings]\ndb = ""\n', "settings.db"),
        ("[settings]\nrespect_robots = 1\n", "settings.respect_robots"),
        ("[sourcez]\n", "sourcez"),
        ('[[sources]]\nfeeds = ["https://a.example/rss"]\n', "sources[0].name"),
        ('[[sources]]\nname = "a"\nfeeds = ["ftp://a.example/rss"]\n', "sources[0].feeds[0]"),
        ('[[sources]]\nname = "a"\nfeed = ["https://a.example/rss"]\n', "sources[0].feed"),
        (
            '[[sources]]\nname = "a"\nsections = [{ url = "https://a.example/", links = "(" }]\n',
            "sources[0].sections[0].links",
        ),
        ('[[sources]]\nname = "a"\n[[sources]]\nname = "a"\n', "sources"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_config(path)
    assert info.value.key == key
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="invalid TOML"):
        load_config(write(tmp_path, "[settings\n"))
    with pytest.raises(RulesError, match="not found"):
        load_config(tmp_path / "absent.toml")


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(RulesError, match="SCRAPER_DELAY"):
        load_config(None, env={"SCRAPER_DELAY": "soon"})


def test_user_agent_must_name_a_contact() -> None:
    with pytest.raises(RulesError, match="contact"):
        load_config(None, overrides={"user_agent": "Mozilla/5.0"})


def test_shipped_example_config_is_valid() -> None:
    config = load_config(ROOT / "scraper.toml")
    assert len(config.sources) >= 12
    assert all(s.feeds or s.sitemaps or s.sections for s in config.sources)


# -- ranges: every number a setting takes is checked, from every source


NUMERIC = [f.name for f in dataclasses.fields(Settings) if f.type in ("int", "float")]
FLOATS = [f.name for f in dataclasses.fields(Settings) if f.type == "float"]


def test_every_numeric_setting_has_a_range() -> None:
    assert set(NUMERIC) == set(SETTING_RANGES)


def test_the_defaults_are_within_their_ranges() -> None:
    defaults = Settings()
    assert all(bound.low <= getattr(defaults, name) <= bound.high for name, bound in SETTING_RANGES.items())


@pytest.mark.parametrize("name", sorted(SETTING_RANGES))
def test_each_bound_is_allowed_and_a_step_past_it_refused_with_the_range(name: str) -> None:
    bound, whole = SETTING_RANGES[name], name not in FLOATS
    low, high = (int(bound.low), int(bound.high)) if whole else (bound.low, bound.high)
    Settings(**{name: low})  # type: ignore[arg-type]
    Settings(**{name: high})  # type: ignore[arg-type]
    below = low - 1 if whole else math.nextafter(low, -math.inf)
    above = high + 1 if whole else math.nextafter(high, math.inf)
    for value in (below, above):
        with pytest.raises(SettingError, match=rf"^{name} must be .*from .* to .*, not ") as info:
            Settings(**{name: value})  # type: ignore[arg-type]
        assert info.value.name == name


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(name: str, value: float) -> None:
    with pytest.raises(SettingError, match=f"^{name} must be a number from"):
        Settings(**{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "value"), [("concurrency", 2.5), ("delay", True), ("max_attempts", "5")])
def test_wrong_kinds_of_number_are_refused(name: str, value: object) -> None:
    with pytest.raises(SettingError, match=f"^{name} must be a"):
        Settings(**{name: value})  # type: ignore[arg-type]


UNITS = {"seconds": "seconds", "days": "days", "hours": "hours"}


@pytest.mark.parametrize("name", sorted(n for n, b in SETTING_RANGES.items() if b.unit in UNITS))
def test_the_longest_durations_still_make_datetimes(name: str) -> None:
    """The ceiling is what keeps `now + timedelta(...)` (retry times, lock expiry, robots cache) from overflowing."""
    bound = SETTING_RANGES[name]
    later = datetime.now(UTC) + timedelta(**{UNITS[bound.unit]: bound.high}) * 6  # timeout is used times 6
    assert later.year < 9999


def test_a_huge_number_in_a_message_is_shortened() -> None:
    with pytest.raises(SettingError) as info:
        Settings(max_attempts=10**400)
    assert len(str(info.value)) < 160 and "..." in str(info.value)


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("SCRAPER_DELAY", "nan"),
        ("SCRAPER_DELAY", "inf"),
        ("SCRAPER_DELAY", "-inf"),
        ("SCRAPER_DELAY", "1e400"),
        ("SCRAPER_BACKOFF_MAX", "inf"),
        ("SCRAPER_LOCK_TTL", "1e300"),
        ("SCRAPER_MAX_ATTEMPTS", "99999999999999999999"),
        ("SCRAPER_MAX_ATTEMPTS", "9" * 5000),  # past Python's int-parsing limit: a parse error, still one line
        ("SCRAPER_CONCURRENCY", "0"),
        ("SCRAPER_WORKERS", "100000"),
        ("SCRAPER_MAX_BODY_BYTES", str(2**50)),
        ("SCRAPER_USER_AGENT", "bot (+mailto:a@b.example)\r\nX-Evil: 1"),
        ("SCRAPER_DB", ""),
    ],
)
def test_a_bad_environment_value_is_one_line_naming_the_variable(var: str, raw: str) -> None:
    with pytest.raises(RulesError) as info:
        load_config(None, env={var: raw})
    message = str(info.value)
    assert (info.value.path, info.value.key) == ("environment", var)
    assert message.startswith(f"environment: {var}: ") and "\n" not in message and "\r" not in message
    assert len(message) < 300


def test_a_good_environment_value_still_parses() -> None:
    settings = load_config(None, env={"SCRAPER_DELAY": " 0.5 ", "SCRAPER_MAX_ATTEMPTS": "1000"}).settings
    assert (settings.delay, settings.max_attempts) == (0.5, 1000)


@pytest.mark.parametrize(
    ("flag", "value"),
    [("delay", math.nan), ("delay", math.inf), ("concurrency", 10**20), ("max_retries", -1), ("db", " ")],
)
def test_a_bad_flag_is_named_as_the_flag(flag: str, value: object) -> None:
    with pytest.raises(RulesError) as info:
        load_config(None, overrides={flag: value})
    assert (info.value.path, info.value.key) == ("<command line>", "--" + flag.replace("_", "-"))
    assert f"{flag} must" in str(info.value) and "\n" not in str(info.value)


# -- the user agent: a header value that names a contact


@pytest.mark.parametrize(
    "agent",
    [
        "bot/1.0 (+mailto:a@b.example)\r\nX-Evil: 1",  # header injection
        "bot/1.0 (+mailto:a@b.example)\n",
        "bot/1.0\x00 (+mailto:a@b.example)",
        "bot/1.0\t(+mailto:a@b.example)",
        "bot/1.0 (+mailto:a@b.example)\x7f",
        " bot/1.0 (+mailto:a@b.example)",  # h11 refuses a header value with edge spaces
        "bot/1.0 (+mailto:a@b.example) ",
        "bót/1.0 (+mailto:a@b.example)",  # httpx encodes header values as ASCII
        "bot/1.0 (+mailto:a@b.example) " + "x" * 500,
    ],
)
def test_a_user_agent_that_is_no_header_value_is_refused(agent: str) -> None:
    with pytest.raises(SettingError, match=r"^user_agent must be printable ASCII") as info:
        Settings(user_agent=agent)
    assert "\n" not in str(info.value) and "\r" not in str(info.value)


@pytest.mark.parametrize("agent", ["MyBot/2.1 (+https://example.org/bot)", "a (b@c) " + "x" * 504])
def test_a_header_safe_user_agent_with_a_contact_is_kept(agent: str) -> None:
    assert Settings(user_agent=agent).user_agent == agent


@pytest.mark.parametrize("db", ["", "   ", "scraper\x00.db", "scraper\n.db"])
def test_a_db_that_names_no_database_is_refused(db: str) -> None:
    with pytest.raises(SettingError, match=r"^db must name a database"):
        Settings(db=db)
