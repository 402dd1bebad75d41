"""guard.check_markup: its model of the tree builder never sees less depth or fewer elements than lexbor builds.

Each structure is parsed by lexbor (the parser the cleaner uses) and measured; the model must then
refuse it under limits set just below the real depth and element count. That is what makes the
guard safe: a page cannot be shaped so that the model undercounts what the parser will build.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from scraper.errors import ExtractError
from scraper.guard import DEFAULT_LIMITS, MarkupLimits, check_markup
from scraper.markup_model import OPENER, TAG_REST
from scraper.markup_model import run_model as _run_model
from scraper.markup_screen import SCREEN_TOKEN, _Screen, _Undecided
from scraper.markup_screen import screen_passes as _screen_passes
from tests.conftest import require_shared

N = 300
HUGE = 10**9
# html, head and body: lexbor counts them, the model leaves them out.
WRAPPERS = 3


def real_shape(html: str) -> tuple[int, int]:
    """(depth, elements) of the tree lexbor builds, the <html> root at depth 1."""
    root = LexborHTMLParser(html).root
    assert root is not None
    depth = elements = 0
    todo = [(root, 1)]
    while todo:
        node, level = todo.pop()
        elements += 1
        depth = max(depth, level)
        child = node.child
        while child is not None:
            if child.tag is not None and not child.tag.startswith(("-", "_", "!")):
                todo.append((child, level + 1))
            child = child.next
    return depth, elements


def limits(**kwargs: int) -> MarkupLimits:
    values = {"max_depth": HUGE, "max_elements": HUGE, "max_tags": HUGE, "max_attributes": HUGE, "max_chars": HUGE}
    return MarkupLimits(**(values | kwargs))


# Structures a page can take, each of which once hid depth or elements from a simpler model.
STRUCTURES: dict[str, Callable[[], str]] = {
    "nested divs": lambda: "<div>" * N + "x",
    "nested divs closed": lambda: "<div>" * N + "x" + "</div>" * N,
    "self-closed divs stay open": lambda: "<div/>" * N,
    "nested lists": lambda: "<ul><li>" * N,
    "nested tables": lambda: "<table><tr><td>" * N,
    "nested blockquotes": lambda: "<blockquote>" * N,
    "formatting": lambda: "<b>x" * N,
    "custom elements": lambda: "".join(f"<x-{i}>" for i in range(N)),
    "tag names holding '<'": lambda: "<<<>>><p<<a>>" * N,
    "ignored end tag across a div": lambda: "<span><div></span>" * N,
    "end li stopped by ul": lambda: "<li><ul></li>" * N,
    "option under span": lambda: "<option><span>" * N,
    "svg with unquoted slash values": lambda: "<svg>" + "<path d=1/>" * N,
    "svg with unquoted values ending in two slashes": lambda: "<svg>" + "<g a=x//>" * N,
    "svg style holds markup": lambda: "<svg><style>" + "<g>" * N,
    "frameset": lambda: "<frameset>" * N,
    "formatting re-created per paragraph": lambda: (
        "<p>" + "".join(f"<b id=x{i}>" for i in range(60)) + "</p>" + "<p>x</p>" * 60
    ),
    "unclosed font per paragraph": lambda: "".join(f"<p><font size={i % 5}>x</p>" for i in range(N)),
    "formatting re-created per div": lambda: "<p><b id=1><i id=2>" + "<div>x</div>" * N,
    "formatting re-created by text": lambda: "<div>" * N + "".join(f"<b id={i}>" for i in range(20)) + "x</div>" * N,
    "empty comment": lambda: "<!-->" + "<div>" * N + "-->",
    "short empty comment": lambda: "<!--->" + "<div>" * N + "-->",
    "comment ended by --!>": lambda: "<!-- a --!>" + "<div>" * N,
    "bogus comment": lambda: "<!x <!-- >" + "<div>" * N + "-->",
    "processing instruction": lambda: "<?x <!-- ?>" + "<div>" * N + "-->",
    "doctype": lambda: '<!DOCTYPE html "<!--">' + "<div>" * N + "-->",
    "end tag with attributes": lambda: '</div title="<!--">' + "<div>" * N + "-->",
    "comment inside a quoted value": lambda: '<div title="x><!--">' + "<div>" * N + "-->",
    "script inside a quoted value": lambda: '<a title="><script>">' + "<div>" * N + "</script>",
    "quote inside an attribute name": lambda: '<div a"><div>' + "<div>" * N + '">',
    "value after a bare =": lambda: '<div =">' + "<div>" * N + '">',
    "script ended in other case": lambda: "<SCRIPT>x</ScRiPt>" + "<div>" * N,
    "textarea end with space": lambda: "<textarea>" + "<div>" * N + "</textarea >" + "<div>" * N,
    "cdata outside svg": lambda: "<![CDATA[ <!-- ]]>" + "<div>" * N + "-->",
    "cdata inside svg": lambda: "<svg><![CDATA[ <div> ]]>" + "<g>" * N,
    "unclosed rows and cells": lambda: "<table>" + "<tr><td>x<td>y" * N + "</table>",
    "unclosed paragraphs": lambda: "<p>x" * N,
    "unclosed links": lambda: "<p>" + "<a href=1>x" * N,
}


@pytest.mark.parametrize("name", list(STRUCTURES))
def test_model_never_sees_less_depth_than_lexbor(name: str) -> None:
    html = STRUCTURES[name]()
    depth, _ = real_shape(html)
    model_depth = depth - 2  # lexbor's depth counts <html> and <body>
    if model_depth < 2:
        # A flat page (unclosed <p> after <p>) must stay flat in the model too.
        check_markup(html, "x", limits(max_depth=2))
        return
    with pytest.raises(ExtractError, match="deeper than"):
        check_markup(html, "x", limits(max_depth=model_depth - 1))


@pytest.mark.parametrize("name", list(STRUCTURES))
def test_model_never_sees_fewer_elements_than_lexbor(name: str) -> None:
    html = STRUCTURES[name]()
    _, elements = real_shape(html)
    with pytest.raises(ExtractError, match="elements"):
        check_markup(html, "x", limits(max_elements=elements - WRAPPERS - 1))


def test_reconstruction_bomb_is_counted_in_full() -> None:
    # 17 KB that lexbor turns into 810 000 elements: 900 formatting elements re-created in 900 paragraphs.
    html = "<p>" + "".join(f"<b id=x{i}>" for i in range(900)) + "</p>" + "<p>x</p>" * 900
    with pytest.raises(ExtractError, match="more than 30,000 elements"):
        check_markup(html)


@pytest.mark.parametrize(
    ("html", "cause"),
    [
        ("<div>" * 1001, "nests elements deeper than 1,000 levels"),
        ("<p>a</p>" * 30_001, "makes more than 30,000 elements"),
        ("</x>" * 200_001, "has more than 200,000 tags"),
        ("<div " + " ".join(f"a{i}" for i in range(257)) + ">", "has a <div> tag with more than 256 attributes"),
        ("x" * 2_000_001, "holds more than 2,000,000 characters of text and tags"),
        # Raw text the passes read as text counts (each took 6 to 10 s at 9 MB before it did).
        ("<title>" + "x" * 2_000_001 + "</title>", "holds more than 2,000,000 characters of text and tags"),
        ("<xmp>" + "x" * 2_000_001 + "</xmp>", "holds more than 2,000,000 characters of text and tags"),
        ("<plaintext>" + "x" * 2_000_001, "holds more than 2,000,000 characters of text and tags"),
        ('<div title="' + "a" * 2_000_000 + '">', "holds more than 2,000,000 characters of text and tags"),
    ],
)
def test_each_limit_is_named_with_the_source(html: str, cause: str) -> None:
    with pytest.raises(ExtractError) as info:
        check_markup(html, "https://example.com/a")
    assert str(info.value) == f"https://example.com/a: markup {cause}: refused before parsing"


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 999 + "x",
        "<p>a</p>" * 29_000,
        "<div " + " ".join(f"a{i}" for i in range(256)) + ">",
        # Scripts, styles and comments are not text: the pruning drops them before the costly passes.
        "<script>" + "x" * 3_000_000 + "</script><p>a</p>",
        "<!--" + "x" * 3_000_000 + "--><p>a</p>",
        # Repeated identical formatting is capped at three by HTML's "Noah's Ark" clause.
        "<p><b>x</p>" * 5_000,
    ],
)
def test_pages_under_the_limits_pass(html: str) -> None:
    check_markup(html)


@pytest.mark.parametrize(
    "html",
    [
        "<div title='<div><div>'>x</div>",
        "<script>" + "<div>" * 5_000 + "</script>",
        "<style>" + "<div>" * 5_000 + "</style>",
        "<textarea>" + "<div>" * 5_000 + "</textarea>",
        "<!--" + "<div>" * 5_000 + "-->",
        "<plaintext>" + "<div>" * 5_000,
        "<div " + "a" * 5_000,  # a tag that never ends is dropped by the parser
    ],
)
def test_markup_the_parser_reads_as_text_is_not_counted(html: str) -> None:
    check_markup(html, limits=limits(max_depth=2, max_elements=3))


@pytest.mark.parametrize("name", ["idnews-dev", "aeb-dev"])
def test_real_pages_pass_and_the_model_matches_lexbor(name: str) -> None:
    root = require_shared("data", name)
    pages = [*sorted(root.glob("pages/*.html")), *sorted(root.glob("html/*.html.gz"))]
    assert pages
    for path in pages:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        html = data.decode("utf-8", "replace")
        check_markup(html, str(path))
        depth, elements = real_shape(html)
        assert depth < DEFAULT_LIMITS.max_depth / 10
        # Within a few of the real tree: the model is a model of this parser, not a rough bound.
        check_markup(html, str(path), limits(max_depth=depth, max_elements=elements + 5))


# ---------------------------------------------------------------- the screen
#
# check_markup first runs a screen that replays the model's rules on a lighter state and passes a page
# only if it got through without meeting a step it does not replay. These tests hold it to that: where
# it finishes, its stack is the model's; under any limits, a page it passes is one the model passes.
# They reach into the module's private parts on purpose: the property is about the two of them.

UNLIMITED = limits()
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Tags whose rules the screen replays, and tokens that once made a simpler screen disagree with the model.
SOUP_TAGS = [
    *("<div>", "</div>", "<p>", "</p>", "<span>", "</span>", "<b>", "</b>", "<i>", "</i>", "<a href=x>", "</a>"),
    *("<li>", "</li>", "<ul>", "</ul>", "<dd>", "<dt>", "<h1>", "</h1>", "<h2>", "<option>", "<select>"),
    *("<table>", "</table>", "<tbody>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "<caption>", "<template>"),
    *("<svg>", "</svg>", "<math>", "<path/>", "<path>", "</path>", "<g>", "</g>", "<path d=1/>", "<p/>"),
    *("<br>", "</br>", "<br/>", "<img src=x>", "<html>", "<body>", "</body>", "<button>", "</button>"),
    *("<nobr>", "</nobr>", "<font size=1>", "</font>", "<marquee>", "<object>", "</object>", "<x-y>", "</x-y>"),
    *("<DIV>", "</Div>", "<B id=1>", '<div title=">">', '<a b="<i>">', '<div a ="x>">', '<div a"=x>'),
    *('<div =">', "<p\xa0class=x>", '<div a=b="c>">', "x", " ", "\n", "<", ">", "</p >", "</a foo=bar>"),
]
# Tokens after which the rest of the page, or much of it, is not markup: rarer, or nothing follows them.
SOUP_SWALLOWERS = ["<script>", "</script>", "<style>", "</style>", "<title>", "</title>", "<textarea>"]
SOUP_SWALLOWERS += ["<plaintext>", "<!--", "-->", "<!x>", "<?x>", "</ x>", "<div"]
# Tags put together from names whose rules differ and attribute text that decides where a tag ends or
# whether it closes itself ("d=x//" ends in a "/" the model reads as self-closing).
SOUP_NAMES = ["div", "p", "b", "a", "li", "td", "tr", "table", "svg", "math", "path", "g", "br", "span", "Title"]
SOUP_ATTRIBUTES = [" a", " a=x", " a=x/", " a=x//", ' a="v"', " a='v'", ' a = "v"', " /", "/", ' a="x>"', '"', " a=>"]
built_tag = st.tuples(
    st.sampled_from(["<", "</"]),
    st.sampled_from(SOUP_NAMES),
    st.lists(st.sampled_from(SOUP_ATTRIBUTES), max_size=3).map("".join),
    st.sampled_from([">", "/>", ">x", "/>x"]),
).map("".join)
soup_tokens = st.lists(st.sampled_from(SOUP_TAGS * 6 + SOUP_SWALLOWERS) | built_tag, max_size=80)
soup = soup_tokens.map("".join)
# Characters that decide where a tag ends: a tag read by the one-pass pattern must end where TAG_REST ends it.
tag_text = st.tuples(
    st.sampled_from(["<", "</"]),
    st.sampled_from(["a", "div", "x-y", "svg", "B"]),
    st.text(alphabet=" \t\n\xa0\u2003=/\"'<>ab`-", max_size=30),
    st.text(alphabet='<>/ab "', max_size=10),
).map("".join)
small_limits = st.builds(
    MarkupLimits,
    max_depth=st.integers(1, 12),
    max_elements=st.integers(1, 80),
    max_tags=st.integers(1, 120),
    max_attributes=st.integers(1, 4),
    max_chars=st.integers(10, 3_000),
)
# Each of these once made a draft of the screen keep a stack the model did not.
REPLAYED = {
    "end tag after an end tag": "<div><div>x</div>   </div><p>y",
    "self-closed element inside its namesake": "<svg><path><path/></path><g>",
    "svg title holds markup": "<svg><title><g></title><g>",
    "plaintext closed at once": "<plaintext>x</plaintext><div>",
    "void pair": "<p><br></br><img></img>x",
    "odd tag then a pair": '<div a ="x>"><span>y</span></div>',
    "link around blocks": "<a href=x><div>y</div></a><a href=z>w</a>",
    "table without tbody": "<table><tr><td>x<td>y<tr><th>z</table>",
    "nested lists": "<ul><li>a<ul><li>b<li>c</ul><li>d</ul>",
    "values ending in slashes": "<svg><path><path d=x//>t</path><g><path d='x'/>t</path><g a=x/>",
}


def screen_state(html: str, limits: MarkupLimits = UNLIMITED) -> _Screen | None:
    """The screen after reading `html`; None where it gave the page to the model."""
    screen = _Screen(limits)
    try:
        screen.read(html)
    except _Undecided:
        return None
    return screen


def assert_screen_replays_the_model(html: str) -> None:
    screen = screen_state(html)
    if screen is None:
        return
    model = _run_model(html, None, UNLIMITED)
    assert screen.stack == [name for name, _ in model.stack]
    assert not model.detached
    assert html.count("<") + screen.extra >= model.elements


@pytest.mark.parametrize("name", list(STRUCTURES) + list(REPLAYED))
def test_screen_keeps_the_models_stack(name: str) -> None:
    assert_screen_replays_the_model(STRUCTURES[name]() if name in STRUCTURES else REPLAYED[name])


@pytest.mark.parametrize("name", list(REPLAYED))
def test_screen_reads_the_replayed_pages_to_the_end(name: str) -> None:
    assert screen_state(REPLAYED[name]) is not None


@FUZZ
@given(soup_tokens)
def test_screen_keeps_the_models_stack_on_tag_soup(tokens: list[str]) -> None:
    # After every token, not only at the end: a stack that strays and comes back is wrong all the same.
    for end in range(len(tokens) + 1):
        assert_screen_replays_the_model("".join(tokens[:end]))


@FUZZ
@given(soup, small_limits)
@example("<p>" + "<b id=1>" * 3 + "</p><p>x</p>" * 3, limits(max_elements=12))
def test_screen_passes_only_pages_the_model_passes(html: str, tight: MarkupLimits) -> None:
    if _screen_passes(html, tight):
        _run_model(html, None, tight)


@FUZZ
@given(tag_text)
@example('<div a="x>" b>')
@example('<div a= "x>">')
def test_one_pass_pattern_ends_a_tag_where_the_model_does(text: str) -> None:
    match = SCREEN_TOKEN.match(text)
    if match is None or match.group(2) is None:
        return
    opener = OPENER.match(text)
    assert opener is not None
    rest = TAG_REST.match(text, opener.end())
    assert rest is not None
    assert (opener.group(4), rest.group(0)) == (match.group(2), match.group(3))
    assert text[rest.end() : rest.end() + 1] == ">"


@pytest.mark.parametrize(
    "html",
    [
        "<p>" + "".join(f"<b id={i}>" for i in range(60)) + "</p>" + "<p>x</p>" * 600,
        # The inner <path/> closes itself in <svg>: a screen that kept it open would close it at "</path>"
        # instead of the outer <path> with 60 <b> above it, and miss the bomb.
        "<svg><path>" + "".join(f"<b id={i}>" for i in range(60)) + '<path d="x"/></path>' + "<p>x</p>" * 600,
    ],
)
def test_reconstruction_bombs_are_refused_whatever_the_screen_sees(html: str) -> None:
    with pytest.raises(ExtractError, match="more than 30,000 elements"):
        check_markup(html)


@pytest.mark.parametrize(
    "html",
    [
        # Formatting left open across a paragraph: re-created later, which only the model replays.
        "<p><b>x</p><p>y</p>",
        "<div><i>x</div>y",
        "<table><tr><td><b>x<td>y</table>",
        # A search deeper than the screen looks.
        "<p>" + "<span>" * 40 + "<div>",
        "<x-a>" + "<span>" * 40 + "</x-a>",
        # Over a limit: the model names it.
        "<div>" * 1001,
        "<div " + " ".join(f"a{i}" for i in range(257)) + ">",
    ],
)
def test_screen_leaves_the_page_to_the_model(html: str) -> None:
    assert not _screen_passes(html, DEFAULT_LIMITS)


@pytest.mark.parametrize("name", ["idnews-dev", "aeb-dev"])
def test_screen_passes_the_real_pages_and_replays_the_model(name: str) -> None:
    # The screen is what makes the guard cheap: on ordinary pages it must decide alone.
    root = require_shared("data", name)
    for path in [*sorted(root.glob("pages/*.html")), *sorted(root.glob("html/*.html.gz"))]:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        html = data.decode("utf-8", "replace")
        assert _screen_passes(html, DEFAULT_LIMITS), path
        assert_screen_replays_the_model(html)
