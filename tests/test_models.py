from __future__ import annotations

import dataclasses

import pytest

from scraper.models import Article, Removal


def test_text_joins_paragraphs_with_newlines() -> None:
    article = Article(paragraphs=("One.", "Two."))
    assert article.text == "One.\nTwo."


def test_article_is_frozen() -> None:
    article = Article(title="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.title = "y"  # type: ignore[misc]


def test_to_dict_has_every_field_and_text() -> None:
    article = Article(
        url="https://a.example/x",
        paragraphs=("P1", "P2"),
        tags=("t",),
        removed=(Removal("Baca Juga", "generic/baca-juga", "text"),),
    )
    data = article.to_dict()
    assert data["text"] == "P1\nP2"
    assert data["tags"] == ["t"]
    assert data["removed"] == [{"text": "Baca Juga", "rule": "generic/baca-juga", "stage": "text"}]
    for field in dataclasses.fields(Article):
        assert field.name in data
