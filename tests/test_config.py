"""Configuration: layering, validation, and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.config import Settings, load_config
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
        ("[settings]\nconcurrency = 0\n", "settings"),
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
