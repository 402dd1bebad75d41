"""Golden tests on the real pages and texts in ../shared: every gold paragraph kept, every noise string gone.

The metric is ../shared/eval/score.py's own (imported from there, never copied), so the floors here are the
figures the team reports. Skipped with a reason where ../shared is absent; failed in CI.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import scraper
from scraper.errors import ScraperError
from tests.conftest import SHARED, require_shared, shared_score

IDNEWS = SHARED / "data" / "idnews-dev"
SEEDS = SHARED / "seeds"
AEB = SHARED / "data" / "aeb-dev"


def _gold_pages() -> list[str]:
    gold = IDNEWS / "gold"
    return sorted(p.stem for p in gold.glob("*.json")) if gold.is_dir() else ["<absent>"]


def _seed_names() -> list[str]:
    gold = SEEDS / "gold.json"
    return sorted(json.loads(gold.read_text(encoding="utf-8"))) if gold.exists() else ["<absent>"]


def _load_page(name: str) -> tuple[dict[str, Any], str]:
    gold_path = require_shared("data", "idnews-dev", "gold", f"{name}.json")
    gold: dict[str, Any] = json.loads(gold_path.read_text(encoding="utf-8"))
    html = (IDNEWS / "pages" / gold["file"]).read_bytes()
    return gold, scraper.extract(html, gold["url"]).text


@pytest.mark.parametrize("name", _gold_pages())
def test_idnews_page_keeps_every_paragraph_and_drops_every_noise_string(name: str) -> None:
    gold, text = _load_page(name)
    norm = shared_score().norm
    flat = norm(text)
    missing = [p for p in gold["body"] if norm(p) not in flat]
    left = [n for n in gold["must_not_contain"] if norm(n) in flat]
    assert missing == [], f"{name}: gold paragraphs missing"
    assert left == [], f"{name}: noise left in"


# detik_2 has '<strong>Jakarta</strong> - ' as bare text before the body's only <p>; trafilatura drops that
# fragment, so the dateline is gone from the text (right) but never reaches Article.dateline (wrong).
DATELINE_LOST_BY_EXTRACTOR = {"detik_2"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="dateline outside the body's <p>"))
        if n in DATELINE_LOST_BY_EXTRACTOR
        else n
        for n in _gold_pages()
    ],
)
def test_idnews_page_dateline_moves_to_metadata(name: str) -> None:
    gold_path = require_shared("data", "idnews-dev", "gold", f"{name}.json")
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    article = scraper.extract((IDNEWS / "pages" / gold["file"]).read_bytes(), gold["url"])
    expected = (gold.get("dateline") or "").strip() or None
    assert article.dateline == expected


def test_idnews_f1_floor() -> None:
    require_shared("data", "idnews-dev", "gold")
    score = shared_score()
    triples = []
    for name in _gold_pages():
        gold, text = _load_page(name)
        triples.append(score.tp_fp_fn("\n".join(gold["body"]), text))
    assert score.prf(triples)["f1"] >= 0.98


@pytest.mark.parametrize("name", _seed_names())
def test_seed_cleaned_to_gold(name: str) -> None:
    gold_all = json.loads(require_shared("seeds", "gold.json").read_text(encoding="utf-8"))
    gold = gold_all[name]
    article = scraper.clean_text((SEEDS / name).read_text(encoding="utf-8"), site=gold.get("site"))
    norm = shared_score().norm
    flat = norm(article.text)
    optional = {norm(p) for p in gold.get("optional", [])}
    assert [p for p in gold["body"] if norm(p) not in optional and norm(p) not in flat] == []
    assert [n for n in gold["must_not_contain"] if norm(n) in flat] == []
    assert article.dateline == ((gold.get("dateline") or "").strip() or None)
    assert article.title == gold.get("title")


def test_seed_glued_teaser_leaves_its_sentence_as_a_paragraph() -> None:
    text = require_shared("seeds", "000_efaf9b0fabd0ab6d.txt").read_text(encoding="utf-8")
    article = scraper.clean_text(text, site="voaindonesia.com")
    assert any(p.startswith("Bulan lalu, Menteri Pertahanan China") for p in article.paragraphs)


def test_aeb_f1_floor() -> None:
    """General news in other languages: the Indonesian rules must not hurt it (bare trafilatura: 0.959)."""
    truth = json.loads(require_shared("data", "aeb-dev", "ground-truth.json").read_text(encoding="utf-8"))
    score = shared_score()
    triples = []
    for doc_id, gold in sorted(truth.items()):
        files = list((AEB / "html").glob(doc_id + ".html*"))
        if not files:
            continue
        triples.append(score.tp_fp_fn(gold.get("articleBody") or "", _aeb_text(files[0], gold.get("url"))))
    assert len(triples) >= 80
    assert score.prf(triples)["f1"] >= 0.965


def _aeb_text(path: Path, url: str | None) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    try:
        return scraper.extract(data.decode("utf-8", errors="replace"), url).text
    except ScraperError:
        return ""


def test_idnews_metadata_author_date_language() -> None:
    """Authors from bylines and meta tags without publisher names or CMS accounts; dates; languages."""
    require_shared("data", "idnews-dev", "gold")
    authors = dates = languages = 0
    names = _gold_pages()
    for name in names:
        gold = json.loads((IDNEWS / "gold" / f"{name}.json").read_text(encoding="utf-8"))
        article = scraper.extract((IDNEWS / "pages" / gold["file"]).read_bytes(), gold["url"])
        authors += article.author == gold.get("author")
        dates += (article.date or "")[:10] == gold.get("date")
        languages += article.language == gold.get("lang")
    assert authors >= 13 and dates == len(names) and languages == len(names)
