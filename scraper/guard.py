"""Refuse markup that would make the parsers slow or the tree huge, before any parser sees it.

Page text in -> nothing, or `ExtractError`. Pure: no I/O.

HTML tree building has costs that grow faster than the page (measured with selectolax 1.0 / lexbor
and lxml 6 / trafilatura 2.3):

- depth: every block start tag ("<div>") walks the stack of open elements for a <p> to close, so
  100 000 nested <div> take 15 s to parse;
- attributes: lexbor checks each new attribute of a tag against the earlier ones, so one tag with
  200 000 attributes takes minutes;
- reconstruction: a formatting element (<b>, <font>, ...) left open when its paragraph closes is
  re-created in every later paragraph, so 19 KB of "<p><b id=1>...<b id=1000></p>" and 1000
  "<p>x</p>" build a million elements;
- size: the pruning and trafilatura passes cost tens of microseconds per element and about a
  microsecond per character of text (1 M tiny paragraphs: 46 s).

`check_markup` runs a small model of the HTML tree builder over the page's tags (tokens found by
regex, no tree) and stops at the first limit crossed. Its tokens follow the HTML tokenizer where
markup could hide (a tag runs to its ">" outside quoted values; comments, doctypes and raw text
such as <script> are skipped as the parser skips them), and where the model simplifies, it keeps
more open than the parser, so no page slips under a limit. On the 104 development pages it is within
3 of lexbor's depth and element count; the deepest nests 51 levels, the largest has 2 140 elements.

The model costs about 5 ms on an ordinary page, so a screen runs first: the same rules on a lighter
state, valid while no formatting element waits to be re-created, which is all of an ordinary page. It
passes such pages in about a millisecond and hands every other page to the model (see "the screen").
"""

from __future__ import annotations

from collections.abc import Sequence

from scraper.errors import ExtractError
from scraper.markup_model import DEFAULT_LIMITS, MarkupLimits, run_model
from scraper.markup_screen import screen_passes

__all__ = ["DEFAULT_LIMITS", "MarkupLimits", "check_lines", "check_markup"]


def check_markup(html: str, source: str | None = None, limits: MarkupLimits = DEFAULT_LIMITS) -> None:
    """Raise `ExtractError` (naming `source`) if `html` nests too deep, makes too many elements,
    has a tag with too many attributes, or holds too much text for the parsers to finish in seconds."""
    if not screen_passes(html, limits):
        run_model(html, source, limits)


def check_lines(lines: Sequence[str], source: str | None = None, limits: MarkupLimits = DEFAULT_LIMITS) -> None:
    """Raise `ExtractError` (naming `source`) for extracted text too long for the text rules to run in
    seconds: more characters than a page may hold, or more lines than a page may have elements."""
    if len(lines) > limits.max_elements:
        raise ExtractError(source, f"text has more than {limits.max_elements:,} lines: refused")
    chars = sum(len(line) for line in lines)
    if chars > limits.max_chars:
        raise ExtractError(source, f"text holds more than {limits.max_chars:,} characters: refused")
