"""Noise learned from a site's own pages: paragraphs that recur across many stored articles of one host.

A hand-written rule names noise a person saw; a learned rule names noise the pages show by recurring where
article text does not: the same short paragraph ("Scroll to continue with content", "ADVERTISEMENT", a
newsletter plug) on a good share of one host's otherwise different articles. Pure: articles come in as
values, the rule goes out as data (a `SiteRules` named ``learned:<host>`` with one whole-line pattern), and
the caller (`scraper rules learn`) reads and writes the store.

What is learned, every threshold at once (`Thresholds`), so never from one page:

- a whole paragraph, compared after collapsing blanks, ignoring case and reading any number as any number
  ("Halaman 2 dari 3" is "Halaman 1 dari 4"); never part of one, which is what inline rules are for;
- seen on at least `min_pages` distinct articles, and on at least `min_share` of the host's distinct
  articles, of which there must be at least `min_articles`;
- at most `max_chars` long: a long paragraph that recurs is more often content that travels between stories
  (a background paragraph of a running story, a standing correction) than a template's noise, and a long
  disclaimer that really is noise is better named by a person in the site's rules file;
- holding a letter: a lone "***" or "1" is a separator or a list number, part of the article's layout.

Distinct articles: near-duplicates (the same story republished or updated: pages sharing at least half of
the longer one's text, by length) count once, so a story published five times cannot teach its own
sentences. Text is weighed only in paragraphs on at most half of the host's pages, so two short articles
that share nothing but the template are still two; a page that is all template counts as no article.
Follow-ups of one story that quote the same witness share less than half and count apart; a quote they share
stays out by `min_share`, since it would have to be on a fifth of the host's articles (on the 2025 texts of
../shared, lowering `min_share` to 3 % learns such quotes: the share is the guard that matters there).

Lines are learned from what the rules left, plus what earlier learned rules cut (their removals are in the
article's log), so learning again from re-cleaned articles finds the same lines, and forgets the ones a
site has stopped printing.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from scraper.models import Article
from scraper.rules import PatternRule, RuleBook, SiteRules
from scraper.store.records import LearnedLine

__all__ = [
    "LEARNED_PREFIX",
    "THRESHOLDS",
    "Learned",
    "RecurringLine",
    "Thresholds",
    "learn_lines",
    "learn_site",
    "learned_name",
    "learned_rules",
    "learning_paragraphs",
    "line_key",
    "with_learned",
]

LEARNED_PREFIX = "learned:"
BLANKS = re.compile(r"\s+")
DIGITS = re.compile(r"\d+")
LETTER = re.compile(r"[^\W\d_]")
# Pairs of articles are compared only through paragraphs on at most this many of them: a paragraph on more
# pages is a template's, not a story's, and comparing every pair of its pages would cost their square.
MAX_PAGES_COMPARED = 200
NO_GROUP = -1  # the group of a page that is all template: it counts as no article


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a recurring paragraph is learned as noise; see the module docstring."""

    min_articles: int = 20  # distinct articles of the host before anything is learned
    min_pages: int = 5  # distinct articles a line is on
    min_share: float = 0.2  # ... and that share of the host's distinct articles
    max_chars: int = 200  # longer paragraphs are never learned
    near_duplicate: float = 0.5  # two articles sharing this share of the longer one's text are one story


THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class RecurringLine:
    """A paragraph learned as noise: its text as first seen, and the distinct articles it was on."""

    text: str
    pages: int


@dataclass(frozen=True, slots=True)
class Learned:
    """What learning from one host's articles found."""

    lines: tuple[RecurringLine, ...]  # most pages first
    articles: int  # articles read (those with any paragraph)
    distinct: int  # near-duplicates counted once, pages that are all template not at all
    enough: bool  # distinct >= min_articles: when False nothing was learned, for want of pages

    def as_mapping(self) -> dict[str, int]:
        """Text -> pages, as `Store.save_learned` keeps them."""
        return {line.text: line.pages for line in self.lines}


def learned_name(host: str) -> str:
    """The rule name a host's learned lines cut under, in `Article.removed`."""
    return f"{LEARNED_PREFIX}{host}"


def line_key(paragraph: str) -> str:
    """What two paragraphs must share to be the same line: blanks collapsed, lower case, numbers masked."""
    return DIGITS.sub("0", BLANKS.sub(" ", paragraph).strip().lower())


def learning_paragraphs(article: Article) -> tuple[str, ...]:
    """The paragraphs to learn from: the article's, and those an earlier learned rule cut from it."""
    cut = (r.text for r in article.removed if r.rule.startswith(LEARNED_PREFIX))
    return (*article.paragraphs, *cut)


def learn_site(articles: Iterable[Article], thresholds: Thresholds = THRESHOLDS) -> Learned:
    """`learn_lines` over stored articles of one host (`Store.iter_articles(site=host)`)."""
    return learn_lines((learning_paragraphs(a) for a in articles), thresholds)


def learn_lines(articles: Iterable[Sequence[str]], thresholds: Thresholds = THRESHOLDS) -> Learned:
    """The paragraphs that recur across `articles` (each a sequence of paragraphs, all of one host)."""
    pages = [p for p in (_keys(paragraphs) for paragraphs in articles) if p]
    support: dict[str, list[int]] = defaultdict(list)  # line key -> the pages it is on
    for index, page in enumerate(pages):
        for key in page:
            support[key].append(index)
    groups = _duplicate_groups(pages, support, thresholds.near_duplicate)
    distinct = len(set(groups) - {NO_GROUP})
    if distinct < thresholds.min_articles:
        return Learned((), len(pages), distinct, enough=False)
    # The float's own error must not raise the bar: 0.2 * 30 is 6.000000000000001, and 6 pages of 30 are a fifth.
    need = max(thresholds.min_pages, math.ceil(thresholds.min_share * distinct - 1e-9))
    return Learned(_recurring(pages, support, groups, need, thresholds), len(pages), distinct, enough=True)


def _recurring(
    pages: list[dict[str, str]], support: Mapping[str, list[int]], groups: list[int], need: int, thresholds: Thresholds
) -> tuple[RecurringLine, ...]:
    """The learnable lines on at least `need` distinct articles, most first, with their text as first seen."""
    found = []
    for key, where in support.items():
        if len(where) < need or not _learnable(key, thresholds):
            continue
        count = len({groups[i] for i in where} - {NO_GROUP})
        if count >= need:
            found.append(RecurringLine(pages[where[0]][key], count))
    return tuple(sorted(found, key=lambda line: (-line.pages, line.text)))


def _keys(paragraphs: Sequence[str]) -> dict[str, str]:
    """An article's line keys, each with its text as first seen in the article."""
    keys: dict[str, str] = {}
    for paragraph in paragraphs:
        key = line_key(paragraph)
        if key and key not in keys:
            keys[key] = BLANKS.sub(" ", paragraph).strip()
    return keys


def _learnable(key: str, thresholds: Thresholds) -> bool:
    return len(key) <= thresholds.max_chars and LETTER.search(key) is not None


def _duplicate_groups(pages: list[dict[str, str]], support: Mapping[str, list[int]], threshold: float) -> list[int]:
    """A group per article, near-duplicates in one: two articles whose shared paragraphs are at least
    `threshold` of the longer one's text, by length. The longer one's, so a page that is little more than a
    template line is no duplicate of each long article that carries the line too.

    Text is weighed only in paragraphs that could tell a story: those on at most half of the pages (and at
    most `MAX_PAGES_COMPARED`). A line on most of a host's pages is its template's, and two short pages that
    share only that are two articles. A page with no such paragraph, all template, is in no group (-1)."""
    most = min(max(1, len(pages) // 2), MAX_PAGES_COMPARED)
    mass = [sum(len(key) for key in page if len(support[key]) <= most) for page in pages]
    shared: Counter[tuple[int, int]] = Counter()
    for key, where in support.items():
        if 2 <= len(where) <= most:
            for pair in combinations(where, 2):
                shared[pair] += len(key)
    parent = list(range(len(pages)))
    for (a, b), common in shared.items():
        if common >= threshold * max(mass[a], mass[b]):
            parent[_root(parent, a)] = _root(parent, b)
    return [_root(parent, i) if mass[i] else NO_GROUP for i in range(len(pages))]


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving keeps the trees flat
        i = parent[i]
    return i


def learned_rules(host: str, lines: Iterable[str]) -> SiteRules:
    """The rule that drops `lines` from `host`'s pages: one anchored pattern, any case, numbers as any number."""
    alternatives = sorted({_line_pattern(text) for text in lines})
    if not alternatives:
        raise ValueError(f"no learned lines for {host}")
    pattern = re.compile(r"\A(?:" + "|".join(alternatives) + r")\Z", re.IGNORECASE)
    name = learned_name(host)
    return SiteRules(name=name, hosts=(host,), line=(PatternRule(name, (pattern,)),))


def _line_pattern(text: str) -> str:
    parts = DIGITS.split(BLANKS.sub(" ", text).strip())
    return r"\d+".join(re.escape(part) for part in parts)


def with_learned(book: RuleBook, lines: Iterable[LearnedLine]) -> RuleBook:
    """`book` with the learned lines (`Store.learned_lines()`) as one rule per host."""
    by_host: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        by_host[line.host].append(line.text)
    return book.with_learned(learned_rules(host, texts) for host, texts in sorted(by_host.items()))
