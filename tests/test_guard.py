"""guard.check_markup: its model of the tree builder never sees less depth or fewer elements than lexbor builds.

Each structure is parsed by lexbor (the parser the cleaner uses) and measured; the model must then
refuse it under limits set just below the real depth and element count. That is what makes the
guard safe: a page cannot be shaped so that the model undercounts what the parser will build.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.errors import ExtractError
from scraper.guard import DEFAULT_LIMITS, MarkupLimits, check_markup
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
