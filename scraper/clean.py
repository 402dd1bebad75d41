"""DOM stage: prune noise nodes with selectolax before any text is flattened.

HTML + SiteRules -> pruned HTML + the removals made. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.models import Removal
from scraper.rules import SiteRules, TeaserRule

__all__ = ["Pruned", "prune_html"]

# A node holding this share of the page's text or more is a container, never noise:
# a too-broad selector (say [class*=share] on a wrapper) must not take the article with it.
MAX_DROP_SHARE = 0.4
# A teaser block (label + titles) is short; a longer block is a paragraph that merely starts with the label.
MAX_TEASER_CHARS = 600
MAX_TEASERS = 50
MAX_LABEL_CHARS = 40
MIN_BODY_CHARS = 200
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "section",
        "aside",
        "blockquote",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "tr",
        "td",
        "span",
        "strong",
        "b",
        "em",
        "i",
    }
)
WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Pruned:
    """The pruned page and the cuts that made it."""

    html: str
    removals: tuple[Removal, ...]
    body_html: str | None = None


def prune_html(html: str, rules: SiteRules) -> Pruned:
    """Drop noise nodes by the rules' selectors and teaser labels; find the body container if hinted."""
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    if root is None:
        return Pruned(html, ())
    total = max(len(_text(root)), 1)
    protected = _body_and_ancestors(tree, rules.body)
    removals: list[Removal] = []
    for rule in rules.drop:
        for selector in rule.selectors:
            removals.extend(_drop_matches(tree, selector, rule.name, total, protected))
    for teaser in rules.teaser:
        removals.extend(_drop_teasers(root, teaser))
    body = _find_body(tree, rules.body)
    return Pruned(tree.html or "", tuple(removals), body)


def _text(node: LexborNode) -> str:
    return WS.sub(" ", node.text(separator=" ") or "").strip()


def _body_and_ancestors(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> frozenset[int]:
    """The site's body container and every node above it: a drop selector never takes them.

    Real pages nest the body inside wrappers whose classes match generic noise selectors
    (okezone's article sits in 'div.detail-content selectionShareable', which [class*=share] matches).
    """
    node = next((n for n in (tree.css_first(s) for s in selectors) if n is not None), None)
    ids: set[int] = set()
    while node is not None:
        ids.add(node.mem_id)
        node = node.parent
    return frozenset(ids)


def _drop_matches(
    tree: LexborHTMLParser, selector: str, rule: str, total: int, protected: frozenset[int]
) -> list[Removal]:
    removals = []
    # Reverse document order: a descendant goes before its ancestor, so no freed node is touched.
    for node in reversed(tree.css(selector)):
        if node.tag in ("html", "body", "head") or node.mem_id in protected:
            continue
        text = _text(node)
        if len(text) >= MAX_DROP_SHARE * total and len(text) > 200:
            continue
        if text:
            removals.append(Removal(text, rule, "dom"))
        node.decompose()
    return removals


def _drop_teasers(root: LexborNode, teaser: TeaserRule) -> list[Removal]:
    """Find label nodes ("Baca juga:") and drop the label with the links that follow it.

    One label at a time, searching again after each cut: a cut frees its subtree, so no node
    found before it may be touched after it.
    """
    removals: list[Removal] = []
    for _ in range(MAX_TEASERS):
        label = _find_label(root, teaser)
        if label is None:
            break
        block = _teaser_block(label)
        if block is not None:
            removals.append(Removal(_text(block), teaser.name, "dom"))
            block.decompose()
        else:
            removals.extend(_drop_label_and_links(label, teaser.name))
    return removals


def _find_label(root: LexborNode, teaser: TeaserRule) -> LexborNode | None:
    """The first node whose whole text is the label: a text node, or its element if that holds no more."""
    for node in root.traverse(include_text=True):
        if node.tag != "-text":
            continue
        raw = (node.text_content or "").strip()
        if not raw or len(raw) > MAX_LABEL_CHARS or not teaser.label.match(raw):
            continue
        parent = node.parent
        if parent is not None and parent.tag in BLOCK_TAGS and teaser.label.match(_text(parent)):
            return parent
        return node
    return None


def _teaser_block(label: LexborNode) -> LexborNode | None:
    """The smallest block around `label` whose text is the label plus link titles only."""
    node: LexborNode | None = label
    while node is not None and node.tag not in ("body", "html"):
        text = _text(node)
        if len(text) > MAX_TEASER_CHARS:
            return None
        links = sum(len(_text(a)) for a in node.css("a"))
        rest = len(text) - links - len(_text(label))
        if links and rest <= 3 and node.tag in ("p", "div", "li", "ul", "section", "aside", "blockquote", "table"):
            return node
        node = node.parent
    return None


def _drop_label_and_links(label: LexborNode, rule: str) -> list[Removal]:
    """Drop the label and the <a> siblings right after it (with <br>s between them)."""
    removals = [Removal(_text(label), rule, "dom")]
    node = label.next
    label.decompose()
    while node is not None:
        following = node.next
        if node.tag == "a" or node.tag == "br" or (node.tag == "-text" and not (node.text() or "").strip()):
            if node.tag == "a":
                removals.append(Removal(_text(node), rule, "dom"))
            node.decompose()
            node = following
            continue
        break
    return removals


def _find_body(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> str | None:
    """The HTML of the first body hint that matches exactly once and holds real text.

    A selector that matches several nodes (articleBody split in parts, a listing page) is no body.
    """
    for selector in selectors:
        nodes = tree.css(selector)
        if len(nodes) == 1 and len(_text(nodes[0])) > MIN_BODY_CHARS:
            return nodes[0].html
    return None
