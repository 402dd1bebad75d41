"""The screen in front of the model of scraper.guard: the model's own rules on a lighter state, which
proves an ordinary page under every limit in about a millisecond, or hands the page to the model."""

from __future__ import annotations

import itertools
import re

from scraper.markup_model import (
    ADOPTION_CLONES,
    ATTRIBUTE,
    CLOSE_P,
    CLOSES_P,
    END_TAG_SCOPE,
    FORMATTING,
    IGNORED,
    IMPLIED,
    OPENER,
    RAW_TEXT,
    SCOPE,
    SELF_CLOSING,
    SPECIAL,
    TAG_REST,
    VOID,
    MarkupLimits,
    _comment_end,
    _Implied,
    _past,
    _raw_text_end,
)

__all__ = ["screen_passes"]

# ---------------------------------------------------------------- the screen
#
# The model costs about 3.5 microseconds a tag, most of it bookkeeping that only hostile or misnested
# pages need: the formatting elements waiting to be re-created, the adoption agency, the stack positions
# of every name and stop. On an ordinary page that list of waiting elements stays empty from the first
# tag to the last. The screen replays the model's own steps on what is left of its state -- the stack of
# open elements by name, and how many of each name are open -- and gives up (raises _Undecided) at the
# first step it does not replay. check_markup then runs the model on the whole page.
#
# Why a page the screen passes is a page the model passes:
# - Same tokens. The screen reads each tag in one match of SCREEN_TOKEN, whose tag pattern stops at the
#   ">" where TAG_REST does, with the same attribute text, whenever it matches at all (see _WHOLE_TAG);
#   any other tag, and every comment, doctype and raw text, is read by the model's own functions.
# - Same stack. Each step is the model's step for an empty waiting list, and the screen gives up before
#   any step that could fill it: a pop that takes a formatting element off on another element's behalf
#   (_Screen._pop_to). Re-creation and the forgetting of waiting elements are then no-ops in the model.
#   Searches down the stack look at WALK elements at most, and give up beyond, which keeps the screen
#   linear; they find what the model's position lists find within those.
# - Same checks, or bounds. Depth is checked at every push and attributes on every long start tag, as
#   the model checks them. The model counts only characters of the page and only tokens that start with
#   "<"; and one element per tag at most, besides the table wrappers and adoption clones the screen adds
#   up, since nothing is re-created.

# How far down the stack the screen searches for the element an end tag closes (or a start tag closes
# by implication). On the development pages no search goes more than 3 down.
WALK = 32
# A whole tag in one match, when it has the shape nearly every tag has: a name, attributes of the form
# ` name`, ` name="v"`, ` name='v'` or ` name=v`, an optional "/", and the ">". Each step here is a step
# of the tokenizer that TAG_REST follows, and each character class is within the one TAG_REST uses at
# that step, so the match ends at TAG_REST's ">" (tests/test_guard.py checks it on generated tags).
# Anything else (whitespace around "=", a quote in a name, no ">") fails it and takes the last
# alternative of SCREEN_TOKEN, read by OPENER and TAG_REST. A start tag without "/" before its ">" that
# is closed by its own end tag after text without "<" ("<a href=x>text</a>") is taken in the same match.
_WHOLE_TAG = (
    r"(/)?([A-Za-z][^\s/>]*+)"
    r"""((?:\s++[^\s/>="']++(?:=(?:"[^"]*+"|'[^']*+'|[^\s>"'=`]++))?+)*+\s*+/?)>"""
    # A "/" before the ">", alone or ending a value: SELF_CLOSING decides whether the model self-closes it.
    r"(?:(?<=(/)>))?"
    r"(?(1)|(?(4)|(?:[^<]*+(</)\2\s*+>)?))"
)
# Groups: end-tag slash, name, attributes, "/" before ">", pair, comment, bogus comment.
SCREEN_TOKEN = re.compile(rf"<(?:{_WHOLE_TAG}|(!--)|([!?]|/(?![A-Za-z]))|(?=/?[A-Za-z]))")
# For a start tag whose one effect besides its own element is to close an open element of one name:
# that name. The tag takes the screen's full path only while such an element is open; otherwise it is
# a plain push. "": the tag always takes the full path. Not listed: a plain push, always.
FULL_PATH_WHEN_OPEN: dict[str, str] = {name: "p" for name in CLOSES_P} | {"li": "li", "a": "a", "nobr": "nobr"}
FULL_PATH_WHEN_OPEN |= {name: "" for name in (IGNORED | VOID | RAW_TEXT | IMPLIED.keys()) - {"li", "a", "nobr"}}


class _Undecided(Exception):
    """The screen met a step it does not replay; the model must read the page."""


def screen_passes(html: str, limits: MarkupLimits) -> bool:
    """True if the screen proves the page under every limit; False if the model must read it."""
    if len(html) > limits.max_chars:
        return False
    tags = html.count("<")
    if tags > min(limits.max_tags, limits.max_elements):
        return False
    screen = _Screen(limits)
    try:
        screen.read(html)
    except _Undecided:
        return False
    return tags + screen.extra <= limits.max_elements


class _Screen:
    """The model's stack of open elements, by name, and the elements made besides one per tag."""

    def __init__(self, limits: MarkupLimits) -> None:
        self.limits = limits
        self.stack: list[str] = []
        self.open: dict[str, int] = {}
        self.extra = 0

    def read(self, html: str) -> None:
        """Replay the whole page; raises _Undecided at the first step the screen does not replay."""
        pos = 0
        while pos < len(html):
            pos = self._read_from(html, pos)

    def _read_from(self, html: str, pos: int) -> int:
        """Replay tokens from `pos` until one moves the scan (comment, raw text, odd tag); where to resume.

        The ordinary steps are written out here rather than in methods: this loop runs for every tag
        of every page, and a call per tag would cost as much as the rest of it."""
        stack, is_open = self.stack, self.open
        max_depth, long_attributes = self.limits.max_depth, 2 * self.limits.max_attributes
        for match in SCREEN_TOKEN.finditer(html, pos):
            end, name, attributes, slash, pair, comment, bogus = match.groups()
            if name is None:
                return self._skip(html, match, comment is not None, bogus is not None)
            name = name.lower()
            if end:
                if stack and stack[-1] == name:
                    stack.pop()
                    is_open[name] -= 1
                elif is_open.get(name):
                    self.end_tag(name)
                continue
            trigger = FULL_PATH_WHEN_OPEN.get(name)
            if len(attributes) >= long_attributes or (trigger is not None and (not trigger or is_open.get(trigger))):
                resume = self.start_tag(html, match.end(), name, attributes, pair is not None)
                if resume != match.end():
                    return resume
            elif pair:
                if len(stack) >= max_depth:
                    raise _Undecided
            elif not (slash and self._foreign() and SELF_CLOSING.search(attributes)):
                stack.append(name)
                is_open[name] = is_open.get(name, 0) + 1
                if len(stack) > max_depth:
                    raise _Undecided
        return len(html)

    def start_tag(self, html: str, end: int, name: str, attributes: str, pair: bool) -> int:
        """`_Model.start_tag` on the screen's state, for any start tag; where to resume."""
        if len(attributes) >= 2 * self.limits.max_attributes:
            _count_attributes(attributes, self.limits.max_attributes)
        if name in IGNORED:
            return end
        self._before_element(name)
        foreign = self._foreign()
        if name in VOID or (foreign and SELF_CLOSING.search(attributes)):
            if pair:
                self.end_tag(name)
            return end
        if pair and not (name == "plaintext" and not foreign):  # opened and closed at once
            if len(self.stack) >= self.limits.max_depth:
                raise _Undecided
            return end
        self._push(name)
        # Raw text runs to its end tag; after <plaintext>, all is text, its end tag too.
        return _raw_text_end(html, name, end) if name in RAW_TEXT and not foreign else end

    def _before_element(self, name: str) -> None:
        """What a start tag does before its element: the ends it implies, adoption, table wrappers."""
        if name in CLOSES_P:
            self._close(CLOSE_P)
        if name in IMPLIED:
            self._close(IMPLIED[name])
        if name in ("a", "nobr") and self.open.get(name):
            self.extra += ADOPTION_CLONES
        self._add_table_wrappers(name)

    def end_tag(self, name: str) -> None:
        """`_Model.end_tag` on the screen's state: pop to the element unless a stop lies above it."""
        if not self.open.get(name):
            return  # ignored; or, for </p> and </br>, one element, counted as one tag
        stop = END_TAG_SCOPE.get(name, SCOPE) if name in SPECIAL else SPECIAL
        index = self._nearest(frozenset((name,)), stop)
        if index is not None:
            self._pop_to(index)
        elif name in FORMATTING:
            self.extra += ADOPTION_CLONES

    def _skip(self, html: str, match: re.Match[str], comment: bool, bogus: bool) -> int:
        """Past a comment or bogus comment, or past a tag read the slow way."""
        if comment:
            return _comment_end(html, match.end())
        if bogus:
            return _past(html, ">", match.end())
        return self._read_odd_tag(html, match.start())

    def _read_odd_tag(self, html: str, start: int) -> int:
        """A tag the one-pass pattern does not take, read as the model reads it (OPENER, TAG_REST)."""
        opener = OPENER.match(html, start)
        assert opener is not None and opener.group(4)  # here SCREEN_TOKEN saw "<", maybe "/", a letter
        rest = TAG_REST.match(html, opener.end())
        assert rest is not None  # TAG_REST matches the empty string
        if rest.end() >= len(html):
            return len(html)  # an unfinished tag: the parser drops it, and nothing follows
        name = opener.group(4).lower()
        if opener.group(3):
            self.end_tag(name)
            return rest.end() + 1
        return self.start_tag(html, rest.end() + 1, name, rest.group(0), pair=False)

    def _close(self, rule: _Implied) -> None:
        """`_Model._close`: the end a start tag implies."""
        if not any(self.open.get(name) for name in rule.closes):
            return
        if rule.search == "top":  # the stack is not empty: an element of rule.closes is open
            index: int | None = len(self.stack) - 1 if self.stack[-1] in rule.closes else None
        elif rule.search == "nearest":
            index = self._nearest(rule.closes, rule.stop)
        else:
            index = self._lowest(rule.closes, rule.stop)
        if index is not None:
            self._pop_to(index)

    def _nearest(self, names: frozenset[str], stop: frozenset[str]) -> int | None:
        """The top-most of `names` with no stop above it, searched WALK deep at most."""
        stack = self.stack
        for index in range(len(stack) - 1, max(len(stack) - WALK, 0) - 1, -1):
            if stack[index] in names:
                return index
            if stack[index] in stop:
                return None
        if len(stack) > WALK:
            raise _Undecided
        return None

    def _lowest(self, names: frozenset[str], stop: frozenset[str]) -> int | None:
        """The bottom-most of `names` above the top-most stop, searched WALK deep at most."""
        stack, lowest = self.stack, None
        for index in range(len(stack) - 1, max(len(stack) - WALK, 0) - 1, -1):
            if stack[index] in stop:
                return lowest
            if stack[index] in names:
                lowest = index
        if len(stack) > WALK:
            raise _Undecided
        return lowest

    def _pop_to(self, index: int) -> None:
        """Pop down to and including `index`, unless that pops a formatting element on its way: the
        model would keep it to re-create, which only the model replays."""
        popped = self.stack[index:]
        if not FORMATTING.isdisjoint(popped[1:]):
            raise _Undecided
        del self.stack[index:]
        for name in popped:
            self.open[name] -= 1

    def _add_table_wrappers(self, name: str) -> None:
        """`_Model._add_table_wrappers`: a <tbody> and a <tr> the tree builder adds, each one element."""
        top = self.stack[-1] if self.stack else ""
        if name in ("tr", "td", "th") and top == "table":
            self._push("tbody")
            self.extra += 1
            top = "tbody"
        if name in ("td", "th") and top in ("tbody", "thead", "tfoot"):
            self._push("tr")
            self.extra += 1

    def _push(self, name: str) -> None:
        self.stack.append(name)
        self.open[name] = self.open.get(name, 0) + 1
        if len(self.stack) > self.limits.max_depth:
            raise _Undecided

    def _foreign(self) -> bool:
        return bool(self.open.get("svg") or self.open.get("math"))


def _count_attributes(attributes: str, most: int) -> None:
    """Give up on a tag with more than `most` attributes, counted as the model counts them."""
    if sum(1 for _ in itertools.islice(ATTRIBUTE.finditer(attributes), most + 1)) > most:
        raise _Undecided
