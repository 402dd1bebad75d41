"""Text stage: remove inline noise from paragraphs with the rules' patterns.

Paragraphs + SiteRules -> paragraphs without inline noise, the dateline, the removals. Pure: no I/O.
The order matters and is fixed here:

1. inline cuts (``inline`` rules); a ``\\n`` replacement is a hidden paragraph break, so a teaser glued to
   the next sentence is cut up to the glue and the sentence stays;
2. whole-paragraph noise (``line`` rules, some with a size cap), then the headline repeated in the body;
3. the footer: from the first footer marker to the end;
4. glued copies of other paragraphs (a container's flattened text before its own <p>s) and exact duplicates;
5. the dateline, in the first body paragraph only;
6. trailing initials or reporter name, in the last paragraph only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from scraper.models import Removal
from scraper.rules import PatternRule, SiteRules

__all__ = ["TextResult", "apply_text_rules"]

WS = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
NON_SPACE = re.compile(r"\s+")
# A first paragraph this short that ends in a dash is a dateline split off by markup ("<b>Jakarta</b> -").
SPLIT_DATELINE_CHARS = 60
MAX_TRAILING_PASSES = 3
# The dateline may follow a headline and a deck that the extractor kept above the body.
MAX_LEAD_HEADINGS = 2
# Composite detection compares every pair: bounded, and only for parts long enough to be paragraphs.
MAX_COMPOSITE_PARAGRAPHS = 400
MIN_COMPOSITE_PART = 40
MIN_COMPOSITE_EXTRA = 20
# A repeated short line is often content (list items, a tweet's credit line under each embed); a repeated
# long paragraph is a copy of the body (detik 2025 has one article twice).
MIN_DUPLICATE_CHARS = 100
MAX_HEADING_CHARS = 160
# The page's own outlet in its dateline, named by its host or og:site_name ('kompas' in 'Jakarta, KompasOtomotif
# -'): pieces of a dateline regex, for any outlet. A place is up to four capitalised words; a dateline glued to
# its sentence without a dash ('Fimela.com, Jakarta Kalau ...') has a one-word place, or one and a direction.
SITE_DATELINE_RULE = "generic/site-dateline"
MIN_OUTLET_NAME = 3
PLACE = r"[A-Z][\w'’.&-]*(?:\s+[A-Z][\w'’.&-]*){0,3}"
AFTER = r"(?:$|(?=[A-Z0-9\"“‘'(]|[a-z]+[A-Z]))"  # what follows a dateline: a capital, or a glued 'diBandung'
DIRECTION = r"(?i:\s+(?:selatan|utara|barat|timur|tengah|pusat|raya|kota|kabupaten))?"


@dataclass(frozen=True, slots=True)
class TextResult:
    """Paragraphs after the text rules, the dateline they cut, and every removal."""

    paragraphs: tuple[str, ...]
    dateline: str | None
    removals: tuple[Removal, ...]
    headings: int = 0  # heading-like lines above the dateline (a headline, a deck): paragraphs[:headings]


def apply_text_rules(
    paragraphs: Iterable[str], rules: SiteRules, *, title: str | None = None, outlets: Iterable[str] = ()
) -> TextResult:
    """Apply the rules' text stage to `paragraphs` in the fixed order of this module.

    With `title`, a repeat of the headline at the top (and the kicker or date line above it) goes first.
    `outlets` are the page's own names for its outlet (from its host and og:site_name, lowercase letters and
    digits: 'kompas', 'fimela'): a dateline naming the outlet is cut in whatever form it takes.
    """
    rules = _with_site_dateline(rules, tuple(sorted(set(outlets))))
    removals: list[Removal] = []
    paras = [p for p in (normalize_space(p) for p in paragraphs) if p]
    paras = _cut_inline(paras, rules.inline, removals)
    paras = _drop_lines(paras, rules.line, removals)
    if title:
        paras = _cut_title(paras, normalize_space(title), removals)
    paras = _cut_footer(paras, rules.footer, removals)
    paras = _dedupe(_drop_composites(paras, removals), removals)
    paras, dateline, headings = _cut_dateline(paras, rules.dateline, removals)
    paras = _cut_trailing(paras, rules.trailing, removals)
    # A dateline or credit cut can expose a noise line ('Jakarta - Baca juga: X', 'ADVERTISEMENT (ant)'):
    # drop it too, so cleaning the output again changes nothing.
    for _ in range(MAX_TRAILING_PASSES):
        exposed = _drop_bare_datelines(_drop_lines(paras, rules.line, removals), rules.dateline, removals)
        if exposed == paras:
            break
        paras = _cut_trailing(exposed, rules.trailing, removals)
    return TextResult(tuple(paras), dateline, tuple(removals), headings)


def _with_site_dateline(rules: SiteRules, outlets: tuple[str, ...]) -> SiteRules:
    rule = _site_dateline(outlets)
    return rules if rule is None else replace(rules, dateline=(*rules.dateline, rule))


@lru_cache(maxsize=512)
def _site_dateline(outlets: tuple[str, ...]) -> PatternRule | None:
    """Datelines that name the page's own outlet: 'Jakarta, kumparan -', 'Fimela.com, Jakarta Kalau ...',
    'Liputan6.com,' alone on its line."""
    names = [re.escape(n) for n in outlets if len(n) >= MIN_OUTLET_NAME and n.isalnum()]
    if not names:
        return None
    outlet = rf"(?i:[\w.-]*(?:{'|'.join(names)})[\w.-]*)"
    domain = rf"(?i:[\w-]*(?:{'|'.join(names)})[\w-]*\.[a-z][\w.]*)"  # glued without a dash: only 'Name.com'
    patterns = (
        # a dash with a space on at least one side; glued on both only after a domain or capitals ('TEMPO.CO,Jakarta-')
        rf"^\s*(?:{PLACE}\s*,\s*){{0,2}}{outlet}(?:\s*,\s*{PLACE}){{0,2}}(?:\s+[-–—]{{1,2}}\s*|[-–—]{{1,2}}\s+){AFTER}",
        rf"^\s*(?=[^-–—]*(?:\.|\b[A-Z]{{2,}}[-–—]))(?:{PLACE}\s*,\s*){{0,2}}{outlet}(?:\s*,\s*{PLACE}){{0,2}}"
        rf"[-–—]{{1,2}}(?=[A-Z0-9\"“‘'(]|[a-z]+[A-Z])",
        rf"^\s*{domain}\s*,\s*[A-Z][\w'’-]+{DIRECTION}\s+(?=[A-Z\"“‘'])",
        # 'Liputan6.com, JakartaSaat ini': the place glued to the next word (4+ letters: not 'YouTube')
        rf"^\s*{domain}\s*,\s*[A-Z][a-z]{{3,}}(?=[A-Z][a-z])",
        rf"^\s*(?:{PLACE}\s*,\s*{outlet}(?:\s*,\s*{PLACE})?|{outlet}\s*,(?:\s*{PLACE})?)\s*,?\s*$",
    )
    return PatternRule(SITE_DATELINE_RULE, tuple(re.compile(p) for p in patterns))


def _cut_title(paras: list[str], title: str, removals: list[Removal]) -> list[str]:
    """Drop the headline repeated as a paragraph: near the top with the short lines (kicker, date) above
    it, and anywhere else on its own (share widgets repeat it at the bottom)."""
    key = title.casefold()
    for i, para in enumerate(paras[: MAX_LEAD_HEADINGS + 2]):
        if i > 0 and not _heading_like(paras[i - 1]):
            break
        if para.casefold() == key:
            removals.append(Removal("\n".join(paras[: i + 1]), "generic/title-repeat", "text"))
            paras = paras[i + 1 :]
            break
    kept = [p for p in paras if p.casefold() != key]
    removals.extend(Removal(p, "generic/title-repeat", "text") for p in paras if p.casefold() == key)
    return kept


def normalize_space(text: str) -> str:
    """NFC, one space for any run of blanks, no blanks at the ends."""
    return WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _line_match(para: str, rule: PatternRule) -> bool:
    if rule.max_chars is not None and len(para) > rule.max_chars:
        return False
    return any(p.search(para) for p in rule.patterns)


def _drop_lines(paras: list[str], rules: tuple[PatternRule, ...], removals: list[Removal]) -> list[str]:
    kept = []
    for para in paras:
        rule = next((r for r in rules if _line_match(para, r)), None)
        if rule is None:
            kept.append(para)
        else:
            removals.append(Removal(para, rule.name, "text"))
    return kept


def _cut_footer(paras: list[str], rules: tuple[PatternRule, ...], removals: list[Removal]) -> list[str]:
    # The first paragraph is never a footer: a page that is all footer is the extractor's failure, not ours.
    for i, para in enumerate(paras[1:], start=1):
        rule = next((r for r in rules if _line_match(para, r)), None)
        if rule is not None:
            removals.append(Removal("\n".join(paras[i:]), rule.name, "text"))
            return paras[:i]
    return paras


def _cut_inline(paras: list[str], rules: tuple[PatternRule, ...], removals: list[Removal]) -> list[str]:
    out: list[str] = []
    for para in paras:
        for rule in rules:
            if rule.max_chars is not None and len(para) > rule.max_chars:
                continue
            for pattern in rule.patterns:
                para = _sub_logged(pattern, rule, para, removals)
        out.extend(p for p in (normalize_space(x) for x in para.split("\n")) if p)
    return out


def _sub_logged(pattern: re.Pattern[str], rule: PatternRule, text: str, removals: list[Removal]) -> str:
    def replace(match: re.Match[str]) -> str:
        new = match.expand(rule.replace)
        cut = match.group(0).strip()
        # A repair that only adds space (a glued word split again) removes nothing: log no cut.
        if cut and NON_SPACE.sub("", cut) != NON_SPACE.sub("", new):
            removals.append(Removal(cut, rule.name, "text"))
        return new

    return pattern.sub(replace, text)


def _cut_dateline(
    paras: list[str], rules: tuple[PatternRule, ...], removals: list[Removal]
) -> tuple[list[str], str | None, int]:
    """Cut the dateline from the first body paragraph: after at most a headline and a deck (seed 004).
    Also says how many heading-like lines stood above it."""
    for i in range(min(MAX_LEAD_HEADINGS + 1, len(paras))):
        if i > 0 and not _heading_like(paras[i - 1]):
            break
        found = _match_dateline(paras[i:], rules, removals)
        if found is not None:
            return paras[:i] + found[0], found[1], i
    return paras, None, 0


def _match_dateline(
    paras: list[str], rules: tuple[PatternRule, ...], removals: list[Removal]
) -> tuple[list[str], str] | None:
    first, rest = paras[0], paras[1:]
    if len(first) <= SPLIT_DATELINE_CHARS and first.rstrip()[-1:] in "-–—" and rest:
        first, rest = f"{first} {rest[0]}", rest[1:]
    found = _dateline_prefix(first, rules)
    if found is None:
        return None
    dateline, end, rule = found
    removals.append(Removal(dateline, rule, "text"))
    remainder = first[end:].strip()
    again = _dateline_prefix(remainder, rules)
    if again is not None:  # a second dateline right after the first (a template glitch) is noise too
        removals.append(Removal(again[0], again[2], "text"))
        remainder = remainder[again[1] :].strip()
    return ([remainder] if remainder else []) + rest, dateline


def _dateline_prefix(text: str, rules: tuple[PatternRule, ...]) -> tuple[str, int, str] | None:
    """The dateline at the start of `text`: its text, where it ends, the rule's name."""
    for rule in rules:
        for pattern in rule.patterns:
            match = pattern.match(text)
            if match and match.end() > 0:
                return match.group(0).strip(), match.end(), rule.name
    return None


def _drop_bare_datelines(paras: list[str], rules: tuple[PatternRule, ...], removals: list[Removal]) -> list[str]:
    """A paragraph that is a dateline and nothing more ('Liputan6.com, Jakarta -') is noise wherever it is."""
    kept = []
    for para in paras:
        found = _dateline_prefix(para, rules)
        if found is not None and not para[found[1] :].strip():
            removals.append(Removal(para, found[2], "text"))
        else:
            kept.append(para)
    return kept


def _heading_like(para: str) -> bool:
    """A headline or deck above the body: short, no sentence end."""
    return len(para) <= MAX_HEADING_CHARS and para.rstrip()[-1:] not in '.!?"”:'


def _cut_trailing(paras: list[str], rules: tuple[PatternRule, ...], removals: list[Removal]) -> list[str]:
    for _ in range(MAX_TRAILING_PASSES):
        if not paras:
            break
        last = paras[-1]
        for rule in rules:
            for pattern in rule.patterns:
                last = _sub_logged(pattern, rule, last, removals)
        if last == paras[-1]:
            break
        last = last.strip()
        paras = paras[:-1] + ([last] if last else [])
    return paras


def _drop_composites(paras: list[str], removals: list[Removal]) -> list[str]:
    """Drop a paragraph that holds another one glued to its neighbour text (no space at the seam).

    Scrapers that flatten a container without separators store its text before (or around) its own
    paragraphs: '...(18/6/2025).Kapolres Cirebon...' holds the paragraph 'Kapolres Cirebon...' glued to
    the one before (republika 2025). A pull quote repeated with spaces around it is not a composite.
    """
    if len(paras) > MAX_COMPOSITE_PARAGRAPHS:
        return paras
    candidates = [q for q in paras if len(q) >= MIN_COMPOSITE_PART]
    kept = []
    for para in paras:
        if any(q != para and _glued_inside(q, para) for q in candidates):
            removals.append(Removal(para, "generic/glued-copy", "text"))
        else:
            kept.append(para)
    return kept


def _glued_inside(part: str, whole: str) -> bool:
    start = whole.find(part)
    # A quote mark or a word more is not another paragraph glued on: the whole must hold real extra text.
    if start < 0 or len(whole) - len(part) < MIN_COMPOSITE_EXTRA:
        return False
    end = start + len(part)
    glued_before = start > 0 and not whole[start - 1].isspace()
    glued_after = end < len(whole) and not whole[end].isspace()
    return glued_before or glued_after


def _dedupe(paras: list[str], removals: list[Removal]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for para in paras:
        key = para.casefold()
        if key in seen and len(para) >= MIN_DUPLICATE_CHARS:
            removals.append(Removal(para, "generic/duplicate-paragraph", "text"))
            continue
        seen.add(key)
        kept.append(para)
    return kept
