"""The model behind scraper.guard: the HTML tree builder's stack of open elements and its active
formatting list, replayed over regex tokens in linear time. See scraper/guard.py for why it exists."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from typing import NoReturn

from scraper.errors import ExtractError

__all__ = ["DEFAULT_LIMITS", "MarkupLimits", "run_model"]


@dataclass(frozen=True, slots=True)
class MarkupLimits:
    """The most markup a page may hold; each limit keeps one parser cost in the low seconds."""

    # At 1000 levels lexbor parses in milliseconds and trafilatura in under a second (nested tables).
    max_depth: int = 1_000
    # About 100 microseconds an element from parse to text rules: 29 000 <p> take 2 s.
    max_elements: int = 30_000
    max_tags: int = 200_000
    max_attributes: int = 256
    # Text and tags, not counting scripts, styles and comments (the pruning drops those first).
    max_chars: int = 2_000_000


DEFAULT_LIMITS = MarkupLimits()

# What "<" opens: a comment, a bogus comment ("<!DOCTYPE", "<?xml", "</ x"), or a start or end tag.
OPENER = re.compile(r"<(?:(!--)|([!?]|/(?![A-Za-z]))|(/?)([A-Za-z][^\s/>]*))")
# One attribute, as the tokenizer reads it: quotes count only right after "=".
_ATTRIBUTE = r"""(?:[^\s/>=]|=)[^\s/>=]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?"""
ATTRIBUTE = re.compile(_ATTRIBUTE)
# The rest of a tag up to (not including) its ">". It cannot fail, so it never backtracks.
TAG_REST = re.compile(rf"(?:\s+|/|{_ATTRIBUTE})*")
# "/>" closes a foreign element, unless the "/" ends an unquoted value ("<circle r=4/>", "<g a=x//>").
# After a "/" it may close it ("<g //>") or not ("<g a=x//>"): read as open, as keeping more open is safe.
SELF_CLOSING = re.compile(r"""(?:^|[\s"'])/$""")
COMMENT_END = re.compile(r"--!?>")


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


VOID = _names(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr"
)
# Their content is text up to the matching end tag (to the end for <plaintext>), whatever "<" it
# holds (in HTML; in <svg> they hold markup).
RAW_TEXT = _names("script style textarea title xmp iframe noembed noframes plaintext")
# The end tag of each (none for <plaintext>), in any case, as the tokenizer matches it.
RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in RAW_TEXT - {"plaintext"}}
FORMATTING = _names("a b big code em font i nobr s small strike strong tt u")
# Merged into the one element the tree builder already has, never pushed again.
IGNORED = _names("html head body")
HEADINGS = _names("h1 h2 h3 h4 h5 h6")
# A start tag of these closes an open <p> ("close a p element"); <table> does not in quirks mode.
CLOSES_P = HEADINGS | _names(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer "
    "form header hgroup listing main menu nav ol p pre search section summary ul xmp"
)
# The tree builder's "special" elements: the end tag of an ordinary element never pops through them.
SPECIAL = (
    CLOSES_P
    | VOID
    | RAW_TEXT
    | _names("applet button caption colgroup dd dt frameset li marquee noscript object select svg math")
    | _names("table tbody td template tfoot th thead tr")
)
# Start tags that do not re-create the formatting elements first (blocks and table parts).
NO_RECONSTRUCT = (SPECIAL - _names("applet marquee object select xmp svg math button") - VOID) | _names(
    "hr param source track"
)
# The element scopes of the HTML spec: a search down the stack stops at these. <svg> and <math>
# stand in for the foreign scope markers; stopping early keeps more open, never fewer.
SCOPE = _names("applet caption html table td th marquee object template svg math")
BUTTON_SCOPE = SCOPE | {"button"}
LIST_SCOPE = SCOPE | {"ol", "ul"}
TABLE_SCOPE = _names("html table template")
# "<li>" closes an open <li> unless a special element other than these lies between.
LIST_ITEM_STOP = SPECIAL - {"address", "div", "p"}
# A cell (or object) keeps its own formatting: none of it is re-created after the cell closes.
MARKERS = _names("applet caption marquee object template td th")
STOPS = (SPECIAL, SCOPE, BUTTON_SCOPE, LIST_SCOPE, TABLE_SCOPE, LIST_ITEM_STOP, MARKERS)
END_TAG_SCOPE = {"p": BUTTON_SCOPE, "li": LIST_SCOPE} | {
    name: TABLE_SCOPE for name in ("table", "tbody", "thead", "tfoot", "tr", "td", "th")
}
# The HTML "Noah's Ark" clause: at most three identical formatting elements wait to be re-created.
NOAH = 3
# The most elements one run of the adoption agency (a misnested "</b>" or "<a>") can clone:
# eight outer rounds, each cloning the formatting element and up to three inside it.
ADOPTION_CLONES = 32


@dataclass(frozen=True, slots=True)
class _Implied:
    """A start tag that closes an open element first: which names, searched how, stopped by what."""

    closes: frozenset[str]
    stop: frozenset[str] = frozenset()
    # "nearest": the top-most match; "lowest": the bottom-most above the stop (a whole row or cell);
    # "top": the current node only.
    search: str = "nearest"


_TABLE_PARTS = _names("tbody thead tfoot tr td th")
IMPLIED: dict[str, _Implied] = {
    "p": _Implied(_names("p"), BUTTON_SCOPE),
    "li": _Implied(_names("li"), LIST_ITEM_STOP),
    "dd": _Implied(_names("dd dt"), LIST_ITEM_STOP),
    "dt": _Implied(_names("dd dt"), LIST_ITEM_STOP),
    "a": _Implied(_names("a"), SPECIAL),
    "nobr": _Implied(_names("nobr"), SPECIAL),
    "option": _Implied(_names("option"), search="top"),
    "optgroup": _Implied(_names("option"), search="top"),
    "tr": _Implied(_names("tr td th"), TABLE_SCOPE, "lowest"),
    "td": _Implied(_names("td th"), TABLE_SCOPE, "lowest"),
    "th": _Implied(_names("td th"), TABLE_SCOPE, "lowest"),
    **{name: _Implied(_TABLE_PARTS, TABLE_SCOPE, "lowest") for name in ("tbody", "thead", "tfoot")},
    **{name: _Implied(HEADINGS, search="top") for name in HEADINGS},
}
CLOSE_P = IMPLIED["p"]


def run_model(html: str, source: str | None, limits: MarkupLimits) -> _Model:
    """The full model over the whole page; it raises at the first limit crossed."""
    model = _Model(limits, source)
    pos = 0
    while (opener := OPENER.search(html, pos)) is not None:
        model.add_text(opener.start() - pos)
        if opener.group(1):
            pos = _comment_end(html, opener.end())
            model.count_tag(0)
        elif opener.group(2):
            pos = _past(html, ">", opener.end())
            model.count_tag(0)
        else:
            pos = _read_tag(html, opener, model)
    model.add_text(len(html) - pos)
    return model


def _read_tag(html: str, opener: re.Match[str], model: _Model) -> int:
    """Feed one tag to the model; where scanning resumes (the end of the page for an unfinished tag,
    which the parser drops, or for an unclosed <script>, which swallows the rest)."""
    rest = TAG_REST.match(html, opener.end())
    assert rest is not None  # TAG_REST matches the empty string
    if rest.end() >= len(html):
        return len(html)
    model.count_tag(rest.end() + 1 - opener.start())
    name = opener.group(4).lower()
    if opener.group(3):
        model.end_tag(name)
        return rest.end() + 1
    model.start_tag(name, rest.group(0))
    if name not in RAW_TEXT or model.in_foreign():
        return rest.end() + 1
    resume = _raw_text_end(html, name, rest.end())
    # Scripts and styles are pruned unread; a <title>, <xmp> or <plaintext> is text the passes read.
    if name not in ("script", "style"):
        model.add_text(resume - rest.end() - 1)
    return resume


def _raw_text_end(html: str, name: str, pos: int) -> int:
    """Where the raw text (a script, ...) that starts at `pos` ends: at its end tag, or the end of the page."""
    end_tag = RAW_TEXT_END.get(name)
    found = None if end_tag is None else end_tag.search(html, pos)
    return len(html) if found is None else found.start()


def _comment_end(html: str, pos: int) -> int:
    """Past the comment that starts at `pos`: "<!-->" and "<!--->" end at once, as in HTML."""
    for abrupt in (">", "->"):
        if html.startswith(abrupt, pos):
            return pos + len(abrupt)
    end = COMMENT_END.search(html, pos)
    return len(html) if end is None else end.end()


def _past(html: str, end: str, pos: int) -> int:
    found = html.find(end, pos)
    return len(html) if found < 0 else found + len(end)


class _Model:
    """The tree builder's stack of open elements, and the formatting elements waiting to be re-created.

    The stack positions of each name and of each kind of stop are kept beside the stack, so each
    question the tree builder answers by walking the stack ("is there a <p> in button scope?")
    takes constant time here, and the scan stays linear whatever the page.
    """

    def __init__(self, limits: MarkupLimits, source: str | None) -> None:
        self.limits = limits
        self.source = source
        self.stack: list[tuple[str, str]] = []
        self.where: dict[str, list[int]] = {}
        self.stops: dict[frozenset[str], list[int]] = {stop: [] for stop in STOPS}
        self.stop_lists: dict[str, list[list[int]]] = {}
        self.detached: list[tuple[str, str]] = []
        self.detached_count: Counter[tuple[str, str] | str] = Counter()
        self.elements = 0
        self.tags = 0
        self.chars = 0

    def count_tag(self, chars: int) -> None:
        """Every tag, comment and doctype costs a step here and in each parser; a tag's characters
        are searched again by trafilatura's date and metadata passes."""
        self.tags += 1
        if self.tags > self.limits.max_tags:
            self.refuse(f"has more than {self.limits.max_tags:,} tags")
        self._count_chars(chars)

    def add_text(self, chars: int) -> None:
        """Text between tags: counted, and it re-creates the formatting elements closed before it."""
        if chars <= 0:
            return
        self._count_chars(chars)
        self._reconstruct()

    def start_tag(self, name: str, attributes: str) -> None:
        """A start tag: the end tags it implies, then its element (kept open unless void)."""
        # Each attribute takes two characters at least (" a"): a shorter tag needs no count.
        if len(attributes) >= 2 * self.limits.max_attributes:
            self._check_attributes(name, attributes)
        if name in IGNORED:
            return
        if name in CLOSES_P:
            self._close(CLOSE_P)
        if name in IMPLIED:
            self._close(IMPLIED[name])
        if name in ("a", "nobr"):
            self._forget_detached(name)
            if self._top(name) is not None:
                self._count(ADOPTION_CLONES)
        if name not in NO_RECONSTRUCT:
            self._reconstruct()
        self._add_table_wrappers(name)
        self._count(1)
        if name in VOID or (SELF_CLOSING.search(attributes) and self.in_foreign()):
            return
        self._push(name, attributes if name in FORMATTING else "")

    def end_tag(self, name: str) -> None:
        """An end tag pops to its element where the tree builder would, and is ignored elsewhere."""
        top = self._top(name)
        stop = END_TAG_SCOPE.get(name, SCOPE) if name in SPECIAL else SPECIAL
        if top is not None and self._last(stop) <= top:
            self._pop_to(top)
        elif top is not None and name in FORMATTING:
            self._count(ADOPTION_CLONES)
        elif name in ("p", "br"):
            # A stray </p> makes an empty <p>, and </br> is read as <br>.
            self._reconstruct()
            self._count(1)
        elif top is None:
            self._forget_detached(name)

    def in_foreign(self) -> bool:
        """Inside <svg> or <math>, where "/>" closes an element and <style> holds markup."""
        return bool(self.where.get("svg") or self.where.get("math"))

    def refuse(self, reason: str) -> NoReturn:
        raise ExtractError(self.source, f"markup {reason}: refused before parsing")

    def _close(self, rule: _Implied) -> None:
        if rule.search == "top":
            if self.stack and self.stack[-1][0] in rule.closes:
                self._pop_to(len(self.stack) - 1)
            return
        stop = self._last(rule.stop)
        if rule.search == "nearest":
            found = [i for i in (self._top(n) for n in rule.closes) if i is not None and i >= stop]
            index = max(found, default=None)
        else:
            found = [i for i in (self._lowest_above(n, stop) for n in rule.closes) if i is not None]
            index = min(found, default=None)
        if index is not None:
            self._pop_to(index)

    def _add_table_wrappers(self, name: str) -> None:
        """A row straight in a <table> gets a <tbody>, a cell also a <tr>, as the tree builder adds them."""
        top = self.stack[-1][0] if self.stack else ""
        if name in ("tr", "td", "th") and top == "table":
            self._count(1)
            self._push("tbody", "")
            top = "tbody"
        if name in ("td", "th") and top in ("tbody", "thead", "tfoot"):
            self._count(1)
            self._push("tr", "")

    def _top(self, name: str) -> int | None:
        places = self.where.get(name)
        return places[-1] if places else None

    def _lowest_above(self, name: str, stop: int) -> int | None:
        places = self.where.get(name, [])
        i = bisect.bisect_left(places, stop)
        return places[i] if i < len(places) else None

    def _last(self, stop: frozenset[str]) -> int:
        places = self.stops[stop]
        return places[-1] if places else -1

    def _stops_of(self, name: str) -> list[list[int]]:
        lists = self.stop_lists.get(name)
        if lists is None:
            lists = self.stop_lists[name] = [places for stop, places in self.stops.items() if name in stop]
        return lists

    def _push(self, name: str, key: str) -> None:
        index = len(self.stack)
        self.stack.append((name, key))
        self.where.setdefault(name, []).append(index)
        for places in self._stops_of(name):
            places.append(index)
        if len(self.stack) > self.limits.max_depth:
            self.refuse(f"nests elements deeper than {self.limits.max_depth:,} levels")

    def _pop_to(self, index: int) -> None:
        """Pop down to and including `index`; the formatting elements popped on the way stay active,
        but not those inside a cell (or other marker) that closes with them."""
        markers = self.stops[MARKERS]
        first = bisect.bisect_left(markers, index)
        cell = markers[first] if first < len(markers) else len(self.stack)
        while len(self.stack) > index:
            position = len(self.stack) - 1
            name, key = self.stack.pop()
            self.where[name].pop()
            for places in self._stops_of(name):
                places.pop()
            if name in FORMATTING and index < position < cell:
                self._detach(name, key)

    def _detach(self, name: str, key: str) -> None:
        if self.detached_count[name, key] >= NOAH:
            self.detached.remove((name, key))
        else:
            self.detached_count[name, key] += 1
            self.detached_count[name] += 1
        self.detached.append((name, key))

    def _forget_detached(self, name: str) -> None:
        if not self.detached_count[name]:
            return
        for i in range(len(self.detached) - 1, -1, -1):
            if self.detached[i][0] == name:
                self.detached_count[self.detached[i]] -= 1
                self.detached_count[name] -= 1
                del self.detached[i]
                return

    def _reconstruct(self) -> None:
        """Re-open the formatting elements an end tag closed behind the page's back, as HTML does."""
        if not self.detached:
            return
        waiting, self.detached = self.detached, []
        self.detached_count.clear()
        self._count(len(waiting))
        for name, key in reversed(waiting):
            self._push(name, key)

    def _count_chars(self, chars: int) -> None:
        self.chars += chars
        if self.chars > self.limits.max_chars:
            self.refuse(f"holds more than {self.limits.max_chars:,} characters of text and tags")

    def _count(self, elements: int) -> None:
        self.elements += elements
        if self.elements > self.limits.max_elements:
            self.refuse(f"makes more than {self.limits.max_elements:,} elements")

    def _check_attributes(self, name: str, attributes: str) -> None:
        found = itertools.islice(ATTRIBUTE.finditer(attributes), self.limits.max_attributes + 1)
        if sum(1 for _ in found) > self.limits.max_attributes:
            self.refuse(f"has a <{name}> tag with more than {self.limits.max_attributes} attributes")
