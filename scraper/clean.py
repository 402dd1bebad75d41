"""DOM stage: prune noise nodes with selectolax before any text is flattened.

HTML + SiteRules -> pruned HTML + the removals made. Pure: no I/O.

Every cut is made in two phases: first every node to cut is chosen on the untouched tree, then the
outermost ones are decomposed. A decomposed node frees its whole subtree, and touching a freed node
can crash the process, so no node is ever read after any of its ancestors was decomposed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.models import Removal
from scraper.rules import SelectorRule, SiteRules, TeaserRule

__all__ = ["Pruned", "prune_html"]

# A node holding as much text as this share of the page's paragraph text is a container, never noise:
# a too-broad selector (say [class*=share] on a wrapper) must not take the article with it.
MAX_DROP_SHARE = 0.4
MIN_CONTAINER_CHARS = 200
# Below this much paragraph text the page has no <p> article, so the <br>-split text block is its body.
MIN_P_ARTICLE_CHARS = 300
# A container with this share of the biggest container's paragraph text is article text too.
MIN_CONTAINER_SHARE = 0.25
# A container with this share of the page's paragraph text is the article body: nothing outside it matters.
SOLE_CONTAINER_SHARE = 0.8
# A body hint is ignored when it matches a node that is more link than text (a headline rail), or one
# with less than this share of the text of a paragraph container elsewhere on the page.
MAX_BODY_LINK_SHARE = 0.5
MIN_BODY_SHARE = 0.5
# trafilatura's first body expression takes these elements with an "articleBody" class (trafilatura/xpaths.py).
BODY_FRAME_TAGS = frozenset({"div", "article", "section", "main"})
BODY_CLASS = "articleBody"
MIN_FRAME_PARAGRAPHS = 2
# A teaser block (label + titles) is short; a longer block is a paragraph that merely starts with the label.
MAX_TEASER_CHARS = 600
# Besides the label and the link titles, a teaser may hold a little text: "[VIDEO]", "(update)", bullets.
MAX_TEASER_REST_SHARE = 0.2
# A paragraph whose text is this much link is a teaser or a call to action, not a sentence of the article.
MIN_LINK_SHARE = 0.9
MIN_LINK_PARAGRAPH_CHARS = 15
MAX_TEASERS = 50
MAX_LABEL_CHARS = 40
LINK_PARAGRAPH_RULE = "generic/link-paragraph"
# A teaser rail without a label (issue 7): items that are each a headline link, a date or time at most beside it.
RAIL_RULE = "generic/teaser-rail"
RAIL_BLOCKS = "ul, ol, div, section, dl"
MIN_RAIL_ITEMS = 2
MAX_RAIL_ITEM_CHARS = 220
MIN_HEADLINE_WORDS = 3
MIN_RAIL_LINK_SHARE = 0.6
MAX_RAIL_LOOSE_CHARS = 8
# A photo caption set as an italic paragraph under its image (issue 7).
CAPTION_RULE = "generic/caption-paragraph"
MAX_CAPTION_CHARS = 300
ITALIC_TAGS = frozenset({"em", "i"})
IMAGE_TAGS = frozenset({"img", "picture", "figure", "amp-img"})
IMAGE_SELECTOR = "img, picture, figure, amp-img"
# A caption names its photo: a credit ('Foto: ANTARA/Budi', '(Dok. Istimewa)', '© AFP'), a date '(1/12)', or the
# words of the image's alt text or file name; italics under photos that hold this share of the text are a story.
CAPTION_CREDIT = re.compile(
    r"(?i)(\bfoto\b|\bphoto\b|\bdok\b|\bist\b|\bantara\b|\breuters\b|\bafp\b|\bap\b|getty|shutterstock|/|\bby\b"
    r"|\(\d{1,2}/\d{1,2}(/\d{2,4})?\)|©)"
)
MAX_CAPTIONS_SHARE = 0.3
COMMENTS = re.compile(r"(?i)comment|komentar|diskusi|\breply\b|\breplies\b")
WORD = re.compile(r"[^\W\d_]+|\d+")
DATE_WORD = re.compile(
    r"(?i)^(senin|selasa|rabu|kamis|jumat|jum|at|sabtu|minggu|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|mei|may"
    r"|jun|jul|agu|aug|sep|okt|oct|nov|des|dec)[a-z]*$|^(wib|wita|wit|am|pm|ago|lalu|jam|menit|hours?|minutes?"
    r"|days?|hari|yang|\d+)$"
)
QUOTES = ('"', "“", "‘", "'", "«", "„")  # an italic quote under a photo is the story's, not a caption
# Tags whose content is never shown as text: not counted as page text and not logged when cut.
INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "canvas", "iframe", "head"})
# Elements that can sit inside a sentence: cutting one out of running text would cut the sentence.
INLINE_TAGS = frozenset({"a", "span", "b", "strong", "i", "em", "u", "small", "sup", "sub", "label", "time", "font"})
# The smallest blocks a label may stand for, and that a teaser may be cut as.
LABEL_TAGS = frozenset({"p", "div", "li", "span", "strong", "b", "em", "i", "h2", "h3", "h4", "h5", "h6", "dt"})
TEASER_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "section", "aside", "blockquote", "table", "dl"})
ROOT_TAGS = frozenset({"html", "head", "body"})
DEFUSED_ATTRIBUTES = ("class", "id")


MAX_BYLINE_CHARS = 120


@dataclass(frozen=True, slots=True)
class Pruned:
    """The pruned page and the cuts that made it."""

    html: str
    removals: tuple[Removal, ...]
    body_html: str | None = None
    byline: str | None = None  # the text of the site's byline node, read before pruning
    # How much article the page holds, for the extraction step to tell a lost article from a short one:
    # the paragraph text of its main text container(s), and their HTML when the article is split over
    # several containers of one kind (chunks between ad rows), which trafilatura reads only the first of.
    main_chars: int = 0
    parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Cut:
    """A node chosen for removal, with the rule that chose it."""

    node: LexborNode
    rule: str


@dataclass(frozen=True, slots=True)
class _Guard:
    """What no drop rule may remove: the article container, its ancestors, and any big node."""

    keep: frozenset[int]
    max_chars: int


def prune_html(html: str, rules: SiteRules) -> Pruned:
    """Drop noise nodes by the rules' selectors and teaser labels; find the body container if hinted,
    else name the element that holds nearly all the text as the body for trafilatura."""
    tree = LexborHTMLParser(html)
    root = tree.root
    body = tree.body
    if root is None or body is None:
        return Pruned(html, ())
    byline = _byline(tree, rules.author_selectors)
    guard = _make_guard(body, _hinted_body(tree, rules.body))
    removals = _decompose(_captions_with_evidence(body, guard), guard.keep)  # while the images that mark them are there
    for rule in rules.drop:
        # Rule by rule, so each next rule searches the tree the previous ones shrank.
        removals += _decompose(_selector_cuts(root, rule, guard), guard.keep)
    removals += _decompose(_link_paragraph_cuts(body, guard), guard.keep)
    removals += _decompose(_rail_cuts(body, guard, rules.teaser), guard.keep)
    removals += _decompose(_teaser_cuts(body, rules.teaser))
    sizes = _paragraph_sizes(body)
    body_html = _find_body(tree, rules.body, sizes) or _mark_sole_container(sizes)
    parts, main_chars = _article_parts(sizes)
    return Pruned(tree.html or "", tuple(removals), body_html, byline, main_chars, parts)


def _byline(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> str | None:
    """The first non-empty text of the rules' byline selectors (short, or it is no byline)."""
    for selector in selectors:
        for node in tree.css(selector):
            text = _flat(node)
            if 0 < len(text) <= MAX_BYLINE_CHARS:
                return text
    return None


def _chars(text: str | None) -> int:
    """Characters that are not blanks: a size measure immune to indentation."""
    return len("".join((text or "").split()))


def _flat(node: LexborNode) -> str:
    return " ".join((node.text(separator=" ") or "").split())


def _make_guard(body: LexborNode, hinted: LexborNode | None) -> _Guard:
    """Protect the site's body container and the text containers (and all above them).

    Real pages nest the body inside wrappers whose classes match generic noise selectors
    (okezone's article sits in 'div.detail-content selectionShareable', which [class*=share] matches;
    nypost's in 'entry-content-read-more').
    """
    containers, text_chars = _text_containers(body)
    keep = _with_ancestors(hinted)
    for container in containers:
        keep |= _with_ancestors(container)
    return _Guard(frozenset(keep), max(int(MAX_DROP_SHARE * text_chars), MIN_CONTAINER_CHARS))


def _with_ancestors(node: LexborNode | None) -> set[int]:
    ids: set[int] = set()
    while node is not None:
        ids.add(node.mem_id)
        node = node.parent
    return ids


def _hinted_body(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> LexborNode | None:
    """The first node a body hint matches, if it is the page's text container (see `_is_text_container`)."""
    body = tree.body
    main = _main_container(_paragraph_sizes(body)) if body is not None else None
    nodes = (tree.css_first(s) for s in selectors)
    return next((n for n in nodes if n is not None and _is_text_container(n, main)), None)


def _is_text_container(node: LexborNode, main: tuple[int, LexborNode] | None) -> bool:
    """Whether a hinted node is the article body rather than a rail that shares its class name.

    Generic hints are class names many templates reuse: a "Berita Terbaru" headline list or a teaser
    rail can carry "article" too. The body is not mostly link text, and it is not far smaller than a
    paragraph container that lies outside it (a container inside it, or around it, is the same text).
    """
    size = _chars(node.text())
    if size <= MIN_CONTAINER_CHARS or _link_chars(node) > MAX_BODY_LINK_SHARE * size:
        return False
    if main is None or main[0] < MIN_P_ARTICLE_CHARS or _related(node, main[1]):
        return True
    return size - _link_chars(node) >= MIN_BODY_SHARE * main[0]


def _related(node: LexborNode, other: LexborNode) -> bool:
    """Whether one of the two nodes holds the other (or they are the same node)."""
    return bool({node.mem_id, other.mem_id} & (_with_ancestors(node) & _with_ancestors(other)))


def _paragraph_sizes(body: LexborNode) -> list[tuple[LexborNode, int]]:
    """Each <p> of the page with the size of its text."""
    return [(p, _chars(p.text())) for p in body.css("p")]


def _main_container(sizes: list[tuple[LexborNode, int]]) -> tuple[int, LexborNode] | None:
    """The element whose <p> children hold the most text, with that size; None on a page without <p>."""
    return max(_parent_scores(sizes), key=lambda s: s[0], default=None)


def _article_parts(sizes: list[tuple[LexborNode, int]]) -> tuple[tuple[str, ...], int]:
    """The HTML of the containers an article is split over, and the size of their paragraph text.

    The parts are the biggest <p> container and every other one of its kind (same tag and class) with
    MIN_CONTAINER_SHARE of its text, in page order; one container alone is no split, and its HTML is
    not given. The size is evidence only; a container that names itself (or sits in) a comment thread is
    none, or a thread longer than a short article would pass for the article the fast pass lost.
    """
    scores = [(score, node) for score, node in _parent_scores(sizes) if not _in_comments(node)]
    best, main = max(scores, key=lambda s: s[0], default=(0, None))
    if main is None:
        return (), 0
    kind = (main.tag, main.attributes.get("class"))
    peers = [
        (score, node)
        for score, node in scores
        if score >= MIN_CONTAINER_SHARE * best and (node.tag, node.attributes.get("class")) == kind
    ]
    ids = {node.mem_id for _, node in peers}
    outer = [(score, node) for score, node in peers if not _has_ancestor_in(node, ids, frozenset())]
    chars = sum(score for score, _ in outer)
    # Their content only: each part keeps the class that makes trafilatura take it for the whole body.
    return (tuple(node.inner_html or "" for _, node in outer) if len(outer) > 1 else ()), chars


def _in_comments(node: LexborNode | None) -> bool:
    """Whether the node or one of its ancestors is named as comments ('comment-list', 'komentar', 'diskusi')."""
    while node is not None and node.tag not in ROOT_TAGS:
        if COMMENTS.search(f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"):
            return True
        node = node.parent
    return False


def _text_containers(body: LexborNode) -> tuple[list[LexborNode], int]:
    """The elements that directly hold much paragraph text, and the size of the page's paragraph text.

    Not only the biggest: a comment thread can outweigh a short article, and an article split
    by ad slots sits in several sibling containers. Paragraph text is <p> text; a page without a
    <p> article holds it as <br>-split text in one element, and then that element is the container.
    """
    sizes = [(p, _chars(p.text())) for p in body.css("p")]
    total = sum(size for _, size in sizes)
    scores = _parent_scores(sizes)
    best = max((score for score, _ in scores), default=0)
    by_br = max(_parent_scores((br, 1) for br in body.css("br")), key=lambda s: s[0], default=None)
    if by_br is not None and best < MIN_P_ARTICLE_CHARS and _chars(by_br[1].text()) > best:
        return [by_br[1]], max(total, _chars(by_br[1].text()))
    floor = int(MIN_CONTAINER_SHARE * best)
    return [node for score, node in scores if score >= floor and score > 0], total


def _parent_scores(children: Iterable[tuple[LexborNode, int]]) -> list[tuple[int, LexborNode]]:
    """Each parent with the sum of its children's weights."""
    scores: dict[int, tuple[int, LexborNode]] = {}
    for child, weight in children:
        parent = child.parent
        if parent is not None:
            score = scores.get(parent.mem_id, (0, parent))[0]
            scores[parent.mem_id] = (score + weight, parent)
    return list(scores.values())


def _selector_cuts(root: LexborNode, rule: SelectorRule, guard: _Guard) -> Iterator[_Cut]:
    """Every node the rule matches, unless the guard protects it; a match inside a sentence is defused."""
    for node in root.css(", ".join(rule.selectors)):
        if node.tag in ROOT_TAGS or node.mem_id in guard.keep:
            continue
        size = 0 if node.tag in INVISIBLE_TAGS else _chars(node.text())
        if size >= guard.max_chars:
            continue
        if _in_sentence(node, size):
            _defuse(node)
        else:
            yield _Cut(node, rule.name)


def _in_sentence(node: LexborNode, size: int) -> bool:
    """An inline element with running text around it: a word of the sentence, not a widget."""
    parent = node.parent
    if node.tag not in INLINE_TAGS or parent is None:
        return False
    return _chars(parent.text()) > size + MIN_LINK_PARAGRAPH_CHARS


def _defuse(node: LexborNode) -> None:
    """Strip the class and id that made a word of a sentence look like a widget.

    trafilatura discards by the same kind of class names ("share", "social"), and would cut the
    words out of the sentence. Only attributes go: no node is freed.
    """
    for name in DEFUSED_ATTRIBUTES:
        if name in node.attrs:
            del node.attrs[name]


def _caption_cuts(body: LexborNode, guard: _Guard) -> Iterator[_Cut]:
    """Photo captions set as paragraphs: a short paragraph all in italics right under an image (in it, or
    after a block that holds nothing but the image). An italic paragraph elsewhere, or a quotation, stays."""
    for para in body.css("p"):
        size = _chars(para.text())
        if not 0 < size <= MAX_CAPTION_CHARS or para.mem_id in guard.keep:
            continue
        if _italic_chars(para) >= size and _under_image(para) and not _flat(para).startswith(QUOTES):
            yield _Cut(para, CAPTION_RULE)


def _captions_with_evidence(body: LexborNode, guard: _Guard) -> Iterator[_Cut]:
    """The caption paragraphs that say they are captions: a photo credit or date in them, or words of their
    image's alt text, title or file name. Italics under every photo of a photo story are its text: when such
    paragraphs hold a good share of the page's text, none goes."""
    cuts = list(_caption_cuts(body, guard))
    if len(cuts) > 1:  # the page's paragraph text is measured only where a photo story is possible
        total = sum(size for _, size in _paragraph_sizes(body)) or 1
        if sum(_chars(cut.node.text()) for cut in cuts) >= MAX_CAPTIONS_SHARE * total:
            return
    for cut in cuts:
        text = _flat(cut.node)
        words = {w.casefold() for w in WORD.findall(text) if len(w) >= 3}
        if CAPTION_CREDIT.search(text) or len(words & _image_words(cut.node)) >= max(2, len(words) // 2):
            yield cut


def _image_words(para: LexborNode) -> set[str]:
    """The words of the alt text, title and file name of the image above or in `para`."""
    images = para.css(IMAGE_SELECTOR)
    before = _element_before(para)
    if before is not None:
        images += [before] if before.tag in IMAGE_TAGS else before.css(IMAGE_SELECTOR)
    words: set[str] = set()
    for image in images:
        for node in (image, *image.css("img")):
            for name in ("alt", "title", "src"):
                value = (node.attributes.get(name) or "").replace("-", " ").replace("_", " ")
                words |= {w.casefold() for w in WORD.findall(value) if len(w) >= 3}
    return words


def _italic_chars(node: LexborNode) -> int:
    """The characters of `node`'s text set in <em> or <i>."""
    size = 0
    for text in node.traverse(include_text=True):
        if text.is_text_node and _has_italic_ancestor(text, node):
            size += _chars(text.text_content)
    return size


def _has_italic_ancestor(text: LexborNode, stop: LexborNode) -> bool:
    parent = text.parent
    while parent is not None and parent.mem_id != stop.mem_id:
        if parent.tag in ITALIC_TAGS:
            return True
        parent = parent.parent
    return False


def _under_image(para: LexborNode) -> bool:
    if para.css_first(IMAGE_SELECTOR) is not None:
        return True
    before = _element_before(para)
    if before is None:
        return False
    return before.tag in IMAGE_TAGS or (before.css_first(IMAGE_SELECTOR) is not None and _chars(before.text()) == 0)


def _element_before(node: LexborNode) -> LexborNode | None:
    """The element just before `node`, blanks passed over; None if text or nothing comes before it."""
    before = node.prev
    while before is not None and _is_blank(before):
        before = before.prev
    return before if before is not None and before.is_element_node else None


def _link_paragraph_cuts(body: LexborNode, guard: _Guard) -> Iterator[_Cut]:
    """Paragraphs that are all link: in-article teasers and calls to action ("Sign up here")."""
    for para in body.css("p"):
        size = _chars(para.text())
        if size < MIN_LINK_PARAGRAPH_CHARS or para.mem_id in guard.keep:
            continue
        if _link_chars(para) >= MIN_LINK_SHARE * size:
            yield _Cut(para, LINK_PARAGRAPH_RULE)


def _rail_cuts(body: LexborNode, guard: _Guard, teasers: tuple[TeaserRule, ...]) -> Iterator[_Cut]:
    """Teaser rails with no label, anywhere in the page: a block of at least two items, each a headline link
    with at most a date or a time beside it ('Senin, 01/12/2025 <a>Judul</a>', '<h3><a>Judul</a></h3>').
    A list whose items are sentences with a link in them is content, and stays."""
    for block in body.css(RAIL_BLOCKS):
        if block.mem_id in guard.keep:
            continue
        items = [(child, _chars(child.text())) for child in block.iter()]
        items = [(child, size) for child, size in items if size]
        if len(items) < MIN_RAIL_ITEMS or not all(_is_rail_item(item, size) for item, size in items):
            continue
        # Words of the block's own between its items make it a sentence with links in it, not a rail; a list
        # a sentence introduces ('... sumber-sumber berikut:') is the story's sources or key points.
        loose = _chars(block.text()) - sum(size for _, size in items)
        if loose <= MAX_RAIL_LOOSE_CHARS and not _introduced(block, teasers):
            yield _Cut(block, RAIL_RULE)


def _is_rail_item(item: LexborNode, size: int) -> bool:
    """A headline link of a few words, with at most a date, a time or a few characters beside it."""
    if size > MAX_RAIL_ITEM_CHARS:
        return False
    titles = [" ".join((a.text() or "").split()) for a in item.css("a")]
    headline = max(titles, key=len, default="")
    if len(headline.split()) < MIN_HEADLINE_WORDS or _link_chars(item) < MIN_RAIL_LINK_SHARE * size:
        return False
    beside = _flat(item)
    for title in filter(None, titles):
        beside = beside.replace(title, " ", 1)
    return _chars(beside) <= MAX_RAIL_LOOSE_CHARS or all(DATE_WORD.match(w) for w in WORD.findall(beside))


def _introduced(block: LexborNode, teasers: tuple[TeaserRule, ...]) -> bool:
    """Whether the block follows a line that ends in a colon and is no teaser label ('Baca juga:')."""
    before = _element_before(block)
    if before is None:
        return False
    text = _flat(before)
    return text.endswith(":") and not any(teaser.label.match(text) for teaser in teasers)


def _link_chars(node: LexborNode) -> int:
    return sum(_chars(a.text()) for a in node.css("a"))


def _teaser_cuts(body: LexborNode, teasers: tuple[TeaserRule, ...]) -> Iterator[_Cut]:
    """For each label ("Baca juga:"), its teaser block, or else the label and the titles after it.

    A label inside other text with no title after it may be a plain word ("Related" in a table
    cell), so it stays; a label that is a line of its own goes even without titles (NOISE.md seed 001).
    """
    for label, rule in _find_labels(body, teasers):
        block = _teaser_block(label)
        if block is not None:
            yield _Cut(block, rule)
            continue
        nodes = list(_label_and_titles(label))
        if len(nodes) == 1 and label.is_element_node and _in_sentence(label, _chars(label.text())):
            continue  # a bold word of a sentence ('<b>Jangan lewatkan</b> festival ini'), no titles after it
        if len(nodes) > 1 or label.is_element_node:
            yield from (_Cut(n, rule) for n in nodes)


def _find_labels(body: LexborNode, teasers: tuple[TeaserRule, ...]) -> Iterator[tuple[LexborNode, str]]:
    """Text nodes whose whole text is a label, or their element when it holds nothing more."""
    if not teasers:
        return
    found = 0
    for node in body.traverse(include_text=True):
        if not node.is_text_node:
            continue
        raw = (node.text_content or "").strip()
        if not raw or len(raw) > MAX_LABEL_CHARS:
            continue
        rule = next((t.name for t in teasers if t.label.match(raw)), None)
        if rule is not None:
            yield _label_element(node, raw), rule
            found += 1
            if found >= MAX_TEASERS:
                return


def _label_element(node: LexborNode, raw: str) -> LexborNode:
    parent = node.parent
    if parent is not None and parent.tag in LABEL_TAGS and _chars(parent.text()) == _chars(raw):
        return parent
    return node


def _teaser_block(label: LexborNode) -> LexborNode | None:
    """The smallest block around `label` whose text is the label plus link titles, or None."""
    label_chars = _chars(label.text())
    node = label.parent
    while node is not None and node.tag not in ROOT_TAGS:
        size = _chars(node.text())
        if size > MAX_TEASER_CHARS:
            return None
        links = _link_chars(node)
        if node.tag in TEASER_BLOCKS and links and size - links - label_chars <= MAX_TEASER_REST_SHARE * size:
            return node
        node = node.parent
    return None


def _label_and_titles(label: LexborNode) -> Iterator[LexborNode]:
    """The label and what follows it while that is a link, a <br> or a link-only block; blanks
    between them are passed over and stay, so the words around the teaser stay apart."""
    yield label
    node = label.next
    while node is not None and (_is_blank(node) or _is_title(node)):
        if not _is_blank(node):
            yield node
        node = node.next


def _is_blank(node: LexborNode) -> bool:
    return node.is_text_node and not (node.text_content or "").strip()


def _is_title(node: LexborNode) -> bool:
    if node.tag in ("a", "br"):
        return True
    size = _chars(node.text()) if node.is_element_node else 0
    return 0 < size <= MAX_TEASER_CHARS and _link_chars(node) >= MIN_LINK_SHARE * size


def _decompose(cuts: Iterable[_Cut], keep: frozenset[int] = frozenset()) -> list[Removal]:
    """Decompose the outermost of `cuts` (an inner one goes with its ancestor) and log each.

    A node comes once however often it is listed: a selector group returns a node once per
    selector it matches, and decomposing it twice would touch freed memory.

    `keep` holds nodes that are never cut, with all their ancestors: the search upwards stops there.
    """
    chosen = list(cuts)
    ids = {cut.node.mem_id for cut in chosen}
    outermost: dict[int, _Cut] = {}
    for cut in chosen:
        if cut.node.mem_id not in outermost and not _has_ancestor_in(cut.node, ids, keep):
            outermost[cut.node.mem_id] = cut
    removals = [_removal(cut) for cut in outermost.values()]
    for cut in outermost.values():
        if cut.node.is_text_node or cut.node.tag in INLINE_TAGS:
            # A cut inside a line leaves a space, so the words on either side never glue.
            cut.node.replace_with(" ")
        else:
            cut.node.decompose()
    return [r for r in removals if r is not None]


def _has_ancestor_in(node: LexborNode, ids: set[int], keep: frozenset[int]) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id not in keep:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _removal(cut: _Cut) -> Removal | None:
    if cut.node.tag in INVISIBLE_TAGS:
        return None
    text = (cut.node.text_content or "").strip() if cut.node.is_text_node else _flat(cut.node)
    return Removal(text, cut.rule, "dom") if text else None


def _find_body(tree: LexborHTMLParser, selectors: tuple[str, ...], sizes: list[tuple[LexborNode, int]]) -> str | None:
    """The HTML of the first body hint that matches exactly once and is the page's text container.

    A selector that matches several nodes (articleBody split in parts, a listing page) is no body, and
    neither is a rail or headline list that carries a body class (`_is_text_container`).
    """
    main = _main_container(sizes)
    for selector in selectors:
        nodes = tree.css(selector)
        if len(nodes) == 1 and _is_text_container(nodes[0], main):
            return _block_html(nodes[0])
    return None


def _mark_sole_container(sizes: list[tuple[LexborNode, int]]) -> str | None:
    """Name the element that holds nearly all paragraph text as the article body, for trafilatura;
    the element's HTML if it cannot be named so, to be read alone as a body hint's would be.

    Without a body it recognises, trafilatura falls back to collecting loose paragraphs and drops
    the subheadings between them; a class token from its own body vocabulary makes it read the
    container whole. Only a container with SOLE_CONTAINER_SHARE of the text is named, so no
    paragraph outside it is lost.
    """
    total = sum(size for _, size in sizes)
    score, node = max(_parent_scores(sizes), key=lambda s: s[0], default=(0, None))
    if node is None or total < MIN_P_ARTICLE_CHARS or score < SOLE_CONTAINER_SHARE * total:
        return None
    # One <p> is no frame to trafilatura: it reads on into the next candidate and adds the page's lists
    # (a 2015 detik page without its site file kept the "Berita Terbaru" headlines of its right column).
    paragraphs = sum(1 for p, size in sizes if size and p.parent is not None and p.parent.mem_id == node.mem_id)
    if node.tag in BODY_FRAME_TAGS and paragraphs >= MIN_FRAME_PARAGRAPHS:
        node.attrs["class"] = f"{node.attrs.get('class') or ''} {BODY_CLASS}".strip()
        return None
    return _block_html(node)


def _block_html(node: LexborNode) -> str:
    """The node's HTML; an inline one inside a <div>, as trafilatura reads an inline element alone
    as one run of text and loses its <br> breaks (viva's span[itemprop=articleBody])."""
    html = node.html or ""
    return f"<div>{html}</div>" if node.tag in INLINE_TAGS else html
