"""The DOM stage on pages we write: each noise family goes, and the article beside it stays whole."""

from __future__ import annotations

import re

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.clean import Pruned, prune_html
from scraper.rules import SelectorRule, SiteRules, TeaserRule, default_rulebook
from tests.conftest import FIXTURES

GENERIC = default_rulebook().generic

BRIDGE = (
    "The Harbour Bridge reopened to traffic on Tuesday morning",
    "Engineers replaced every one of the forty steel cables",
    "said the reopening changed their whole week and thanked the crews",
    "The mayor said a full review of the budget overrun",
)
PASAR = (
    "Pasar terapung di Sungai Martapura kembali dipadati pengunjung",
    "Para pedagang menjual sayur, buah, dan kue tradisional",
    "Menurut pengelola, jumlah pengunjung naik dua kali lipat dibanding pekan lalu.",
    "Pengelola juga menambah petugas kebersihan di sekitar dermaga.",
    "Dinas pariwisata berencana menggelar festival perahu hias",
    "Seorang pedagang, Siti Aminah, mengaku omzetnya naik",
    "Pemerintah kota berharap keramaian ini bertahan",
)
MERAPI = (
    "Ratusan warga menanam seribu bibit pohon di lereng Gunung Merapi",
    "Kegiatan itu diikuti pelajar, relawan, dan anggota kelompok tani",
    "kata koordinator relawan, Wahyu Pratama.",
    "Bibit yang ditanam antara lain beringin, aren, dan mahoni",
)
SENTENCE = "Warga kota berkumpul di alun-alun untuk menyaksikan pawai budaya tahunan yang meriah sekali."


def page(name: str) -> str:
    return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")


def body_text(pruned: Pruned) -> str:
    """The pruned page's visible body text, flattened with spaces."""
    body = LexborHTMLParser(pruned.html).body
    return " ".join((body.text(separator=" ") if body is not None else "").split())


def rules_of(removals: Pruned) -> set[str]:
    return {r.rule for r in removals.removals}


def article(*paragraphs: str, wrapper: str = '<div class="content">{}</div>') -> str:
    inner = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>t</title></head><body>{wrapper.format(inner)}</body></html>"


def drop(*selectors: str) -> SiteRules:
    return SiteRules(name="test", drop=(SelectorRule("test/drop", selectors),))


@pytest.fixture(scope="module")
def widgets() -> Pruned:
    return prune_html(page("clean_widgets"), GENERIC)


@pytest.fixture(scope="module")
def baca_juga() -> Pruned:
    return prune_html(page("clean_baca_juga"), GENERIC)


# ---------------------------------------------------------------- generic noise blocks


@pytest.mark.parametrize(
    ("noise", "rule"),
    [
        ("Share on Facebook", "generic/widgets"),
        ("Email this story", "generic/widgets"),
        ("Get the day's top stories in your inbox", "generic/widgets"),
        ("Tram line extension approved", "generic/related"),
        ("Cars cross the bridge at dawn", "generic/captions"),
        ("Thanks for subscribing!", "generic/hidden"),
        ("Holiday deals on garden furniture", "generic/ad-slots"),
        ("Council tax to rise by four percent", "generic/page-chrome"),
        ("Copyright 2024 The Example Ledger", "generic/page-chrome"),
        ("CLICK HERE TO GET THE LEDGER APP", "generic/link-paragraph"),
    ],
)
def test_noise_block_goes_and_is_logged_with_its_rule(widgets: Pruned, noise: str, rule: str) -> None:
    assert noise not in body_text(widgets)
    assert any(noise in r.text and r.rule == rule and r.stage == "dom" for r in widgets.removals)


def test_every_article_sentence_survives_the_generic_rules(widgets: Pruned) -> None:
    text = body_text(widgets)
    assert all(sentence in text for sentence in BRIDGE)


def test_newsletter_class_matches_whatever_its_case(widgets: Pruned) -> None:
    # cbssports writes "Newsletter-container": a case-sensitive [class*=newsletter] misses it.
    assert "The Morning Ledger" not in body_text(widgets)


def test_scripts_go_but_json_ld_stays_for_the_metadata(widgets: Pruned) -> None:
    assert "Harbour tracking token" not in widgets.html
    assert "Harbour footer script" not in widgets.html
    assert '"name": "Mara Quell"' in widgets.html


def test_script_and_style_text_is_never_logged_as_a_removal(widgets: Pruned) -> None:
    assert not any("tracking token" in r.text or "display: flex" in r.text for r in widgets.removals)


def test_the_title_in_head_is_kept(widgets: Pruned) -> None:
    assert "<title>Harbour Bridge Reopens After Two-Year Repair | The Example Ledger</title>" in widgets.html


# ---------------------------------------------------------------- guards


def test_container_whose_class_matches_a_broad_selector_is_kept(widgets: Pruned) -> None:
    # The article sits in "entry-content-read-more ShareableArea": [class*=read-more] and [class*=share] match it.
    assert 'class="story entry-content-read-more ShareableArea' in widgets.html


def test_a_selector_matching_every_div_never_drops_the_article() -> None:
    html = article(SENTENCE * 3, SENTENCE * 2, wrapper='<div class="outer"><div class="inner">{}</div></div>')
    pruned = prune_html(html + "<div>Sidebar junk text here</div>", drop("div"))
    assert pruned.html.count(SENTENCE) == 5


def test_a_selector_matching_the_paragraphs_parent_keeps_it() -> None:
    html = article(SENTENCE, SENTENCE, wrapper='<div class="story social-area">{}</div>')
    pruned = prune_html(html, drop('[class*="social"]'))
    assert pruned.html.count(SENTENCE) == 2
    assert pruned.removals == ()


def test_article_split_in_two_containers_keeps_both() -> None:
    # Ad slots split the article: each half has its own parent, and a broad selector matches the second.
    first = "".join(f"<p>{SENTENCE} Satu.</p>" for _ in range(4))
    second = "".join(f"<p>{SENTENCE} Dua.</p>" for _ in range(3))
    html = f'<html><body><div class="part">{first}</div><div class="part share-tail">{second}</div></body></html>'
    pruned = prune_html(html, drop('[class*="share"]'))
    assert body_text(pruned).count("Dua.") == 3


def test_article_outweighed_by_a_comment_thread_keeps_its_container() -> None:
    story = "".join(f"<p>{SENTENCE}</p>" for _ in range(4))
    comment = "Komentar pembaca nomor {} yang cukup panjang dan bertele-tele sekali."
    comments = "".join(f"<p>{comment.format(i)}</p>" for i in range(12))
    html = f'<html><body><div class="read-more-body">{story}</div><div class="thread">{comments}</div></body></html>'
    pruned = prune_html(html, drop('[class*="read-more"]'))
    assert body_text(pruned).count(SENTENCE) == 4


def test_br_split_article_without_paragraphs_is_kept() -> None:
    pruned = prune_html(page("clean_br_article"), GENERIC)
    text = body_text(pruned)
    assert all(sentence in text for sentence in MERAPI)
    assert "Bagikan" not in text


def test_inline_element_inside_a_sentence_is_never_cut(widgets: Pruned) -> None:
    # <span class="share-quote"> matches [class*=share]; cutting it would cut the sentence in two.
    assert "the reopening changed their whole week and thanked" in body_text(widgets)


def test_inline_element_standing_alone_is_cut() -> None:
    html = article(SENTENCE * 2) + '<div><span class="share-links">Bagikan ke teman</span></div>'
    pruned = prune_html(html, drop('[class*="share"]'))
    assert "Bagikan ke teman" not in pruned.html


def test_link_in_a_sentence_keeps_its_paragraph() -> None:
    html = article(f'Menurut <a href="/x">laporan resmi pemerintah</a>, {SENTENCE}', SENTENCE * 2)
    assert "laporan resmi pemerintah" in prune_html(html, GENERIC).html


# ---------------------------------------------------------------- safety of the cuts


def test_node_matched_by_several_selectors_is_cut_once() -> None:
    html = article(SENTENCE * 2) + '<div class="a b" id="c">Kotak promosi</div>'
    pruned = prune_html(html, drop(".a", ".b", "#c", "div.a.b"))
    assert [r.text for r in pruned.removals] == ["Kotak promosi"]


def test_nested_matches_are_cut_with_their_outermost_ancestor() -> None:
    box = '<div class="social"><div class="share"><span class="share-count">12</span> Bagikan</div></div>'
    pruned = prune_html(article(SENTENCE * 2) + box, drop(".social", ".share", ".share-count"))
    assert [r.text for r in pruned.removals] == ["12 Bagikan"]
    assert "Bagikan" not in pruned.html


def test_nested_matches_across_rules_never_touch_a_freed_node() -> None:
    box = '<aside class="share"><p class="related-news">Baca juga: <a href="/y">Judul lain</a></p></aside>'
    rules = SiteRules(
        name="test",
        drop=(SelectorRule("test/outer", ("aside",)), SelectorRule("test/inner", ("p.related-news", ".share"))),
    )
    pruned = prune_html(article(SENTENCE * 2) + box, rules)
    assert [r.rule for r in pruned.removals] == ["test/outer"]
    assert "Judul lain" not in pruned.html


def test_page_without_markup_comes_back_with_its_text() -> None:
    pruned = prune_html("Hanya teks tanpa tag sama sekali.", GENERIC)
    assert "Hanya teks tanpa tag sama sekali." in pruned.html
    assert pruned.removals == ()


# ---------------------------------------------------------------- "Baca juga" teasers


def test_every_sentence_around_the_teasers_survives(baca_juga: Pruned) -> None:
    text = body_text(baca_juga)
    assert all(sentence in text for sentence in PASAR)


@pytest.mark.parametrize(
    "title",
    [
        "Harga Ikan Patin Naik di Pasar Lama",
        "Dermaga Baru Siap Dibuka",
        "Festival Perahu Hias Digelar Akhir Bulan",
        "Wisatawan Asing Mulai Berdatangan",
        "Kue Tradisional Diburu Wisatawan",
        "Sungai Martapura Dibersihkan",
    ],
)
def test_teaser_title_goes(baca_juga: Pruned, title: str) -> None:
    assert title not in baca_juga.html


def test_no_baca_juga_label_is_left(baca_juga: Pruned) -> None:
    assert re.search(r"(?i)baca\s+juga", body_text(baca_juga)) is None


def test_label_and_link_inside_a_paragraph_go_and_the_sentence_closes_up(baca_juga: Pruned) -> None:
    text = body_text(baca_juga)
    assert "dibanding pekan lalu. Pengelola juga menambah" in text


def test_bare_label_line_goes_alone_and_the_next_paragraph_stays(baca_juga: Pruned) -> None:
    assert any(r.text == "Baca Juga" and r.rule == "generic/baca-juga" for r in baca_juga.removals)
    assert PASAR[4] in body_text(baca_juga)


def test_label_block_goes_whole_with_its_titles(baca_juga: Pruned) -> None:
    assert any(r.text.startswith("Baca juga: Harga Ikan Patin") for r in baca_juga.removals)


def test_label_word_inside_other_text_stays() -> None:
    # "Related" alone in a table cell is a word of the table, not a teaser label: no title follows it.
    assert "Related" in body_text(prune_html(page("clean_baca_juga"), GENERIC))


def test_teaser_label_rule_comes_from_the_rules() -> None:
    rules = SiteRules(name="test", teaser=(TeaserRule("test/lees-ook", re.compile(r"(?i)^lees\s+ook:?$")),))
    html = article(SENTENCE * 2, 'Lees ook: <a href="/z">Een ander verhaal over de stad</a>')
    pruned = prune_html(html, rules)
    assert "Een ander verhaal" not in pruned.html
    assert [r.rule for r in pruned.removals] == ["test/lees-ook"]


def test_long_paragraph_that_starts_with_a_label_word_is_not_a_teaser() -> None:
    long = f"<strong>Related:</strong> {SENTENCE} {SENTENCE} <a href='/q'>sumber</a> {SENTENCE}"
    pruned = prune_html(article(SENTENCE * 2, long), GENERIC)
    assert pruned.html.count(SENTENCE) == 5


# ---------------------------------------------------------------- body hints


def test_body_hint_matching_once_gives_the_body_html() -> None:
    html = article(SENTENCE * 3, wrapper='<div class="main-body">{}</div><div class="side">x</div>')
    rules = SiteRules(name="test", body=("div.main-body",))
    body = prune_html(html, rules).body_html
    assert body is not None and body.startswith('<div class="main-body">') and "side" not in body


def test_body_hint_matching_twice_gives_no_body() -> None:
    html = article(SENTENCE * 3, wrapper='<div class="part">{}</div><div class="part">Bagian kedua</div>')
    rules = SiteRules(name="test", body=("div.part",))
    assert prune_html(html, rules).body_html is None


def test_body_hint_is_protected_from_drop_selectors() -> None:
    html = article(SENTENCE * 3, wrapper='<div class="detail-content selectionShareable">{}</div>')
    rules = SiteRules(
        name="test", body=("div.detail-content",), drop=(SelectorRule("test/share", ('[class*="Share"]',)),)
    )
    pruned = prune_html(html, rules)
    assert pruned.html.count(SENTENCE) == 3
    assert pruned.body_html is not None


def test_inline_element_inside_a_sentence_loses_its_widget_class(widgets: Pruned) -> None:
    # trafilatura discards by class names too: the word must not look like a share widget any more.
    assert "share-quote" not in widgets.html
    assert "<span>changed their whole week</span>" in widgets.html


def test_inline_body_hint_comes_back_inside_a_div() -> None:
    # trafilatura reads a lone <span> as one run of text and merges its <br><br> paragraphs.
    html = article(wrapper=f'<span itemprop="articleBody">{SENTENCE}<br><br>{SENTENCE}<br><br>{SENTENCE}</span>')
    body = prune_html(html, SiteRules(name="test", body=('[itemprop="articleBody"]',))).body_html
    assert body is not None and body.startswith('<div><span itemprop="articleBody">')


# ---------------------------------------------------------------- naming the sole text container


def test_container_with_nearly_all_the_text_is_named_the_body() -> None:
    html = article(SENTENCE, SENTENCE, SENTENCE, SENTENCE, wrapper='<div class="isi">{}</div><p>Hak cipta.</p>')
    assert '<div class="isi articleBody">' in prune_html(html, GENERIC).html


def test_no_container_is_named_when_the_text_is_spread() -> None:
    half = "".join(f"<p>{SENTENCE}</p>" for _ in range(3))
    html = f'<html><body><div class="a">{half}</div><div class="b">{half}</div></body></html>'
    assert "articleBody" not in prune_html(html, GENERIC).html


def test_no_container_is_named_when_a_body_hint_matched() -> None:
    html = article(SENTENCE, SENTENCE, SENTENCE, SENTENCE, wrapper='<div class="isi">{}</div>')
    pruned = prune_html(html, SiteRules(name="test", body=("div.isi",)))
    assert pruned.body_html is not None and "articleBody" not in pruned.html


@pytest.mark.parametrize(
    "inner",
    [
        "Kalimat pertama.<b>Baca juga:</b><a href='/j'>Judul lain</a>Kalimat kedua.",
        "Kalimat pertama. <b>Baca juga:</b> <a href='/j'>Judul lain</a> Kalimat kedua.",
        "Kalimat pertama.<strong>Read more:</strong><a href='/j'>Judul lain</a><br>Kalimat kedua.",
    ],
)
def test_teaser_cut_out_of_a_line_never_glues_the_words_around_it(inner: str) -> None:
    html = prune_html(article(SENTENCE * 2, inner), GENERIC).html
    assert "<p>Kalimat pertama. Kalimat kedua.</p>" in " ".join(html.split())


def test_container_with_a_single_paragraph_is_not_named() -> None:
    # trafilatura takes a one-paragraph frame as too thin and reads on into the page's lists.
    one = "<br><br>".join([SENTENCE] * 5)
    html = article(one, wrapper='<div class="isi"><strong>Jakarta</strong> - {}</div>')
    assert "articleBody" not in prune_html(html, GENERIC).html


def test_container_with_a_single_paragraph_is_given_as_the_body() -> None:
    # So trafilatura reads it alone, and not the headline list beside it (a 2015 detik page, no site file).
    one = "<br><br>".join([SENTENCE] * 5)
    rail = RAIL.format("".join(f"<li><h5><a href='/b/{n}'>{HEADLINE} {n}</a></h5></li>" for n in range(8)))
    html = article(one, wrapper=f'<div class="isi"><strong>Jakarta</strong> - {{}}<b>(fyk/ash)</b></div>{rail}')
    body = prune_html(html, GENERIC).body_html
    assert body is not None and body.startswith('<div class="isi">') and "(fyk/ash)" in body
    assert HEADLINE not in body


# ---------------------------------------------------------------- a body hint must name the text container

HEADLINE = "Pemerintah umumkan jadwal libur nasional yang baru untuk tahun depan"
RAIL = '<div class="kanan"><h3>Berita Terbaru</h3><ul>{}</ul></div>'


def rail_page(rail_class: str, items: str) -> str:
    """An article in an unnamed container and, beside it, a rail that carries a body class."""
    story = "".join(f"<p>{SENTENCE * 3} {n}</p>" for n in range(6))
    rail = f'<div class="{rail_class}"><h3>Berita Terbaru</h3><table>{items}</table></div>'
    return f"<html><head><title>t</title></head><body><div class='isi'>{story}</div>{rail}</body></html>"


def test_body_hint_matching_a_headline_rail_is_no_body() -> None:
    links = "".join(f"<tr><td><a href='/b/{n}'>{HEADLINE} {n}</a></td></tr>" for n in range(8))
    pruned = prune_html(rail_page("article", links), SiteRules(name="test", body=("div.article",)))
    assert pruned.body_html is None or HEADLINE not in pruned.body_html


def test_body_hint_far_smaller_than_the_text_container_elsewhere_is_no_body() -> None:
    # A teaser rail with summaries is not mostly links, but holds much less text than the article.
    summaries = "".join(
        f"<li><a href='/b/{n}'>Judul {n}</a> Ringkasan berita lain {n} hari ini.</li>" for n in range(8)
    )
    pruned = prune_html(rail_page("article", summaries), SiteRules(name="test", body=("div.article",)))
    assert pruned.body_html is None or "Ringkasan" not in pruned.body_html


def test_body_hint_around_the_text_container_is_the_body() -> None:
    # The hint's own text may be smaller than its paragraphs' parent's (a byline, a caption): it holds it.
    html = article(*[SENTENCE] * 4, wrapper='<div class="article"><div class="inner">{}</div></div>')
    body = prune_html(html, SiteRules(name="test", body=("div.article",))).body_html
    assert body is not None and body.startswith('<div class="article">')


def test_body_hint_on_a_headline_rail_is_not_protected_from_drop_rules() -> None:
    links = "".join(f"<tr><td><a href='/b/{n}'>{HEADLINE} {n}</a></td></tr>" for n in range(8))
    rules = SiteRules(name="test", body=("div.article",), drop=(SelectorRule("test/rail", ("div.article",)),))
    assert HEADLINE not in prune_html(rail_page("article", links), rules).html


# ---------------------------------------------------------------- evidence of how much article the page holds


def test_article_split_over_containers_of_one_kind_gives_its_parts() -> None:
    first = "".join(f"<p>{SENTENCE} Satu.</p>" for _ in range(4))
    second = "".join(f"<p>{SENTENCE} Dua.</p>" for _ in range(3))
    ad = '<div class="ad-row">Iklan</div>'
    html = f'<html><body><div class="body-part">{first}</div>{ad}<div class="body-part">{second}</div></body></html>'
    pruned = prune_html(html, GENERIC)
    assert len(pruned.parts) == 2
    assert pruned.parts[0].count("Satu.") == 4 and pruned.parts[1].count("Dua.") == 3
    assert "body-part" not in "".join(pruned.parts)  # content only: the class would make trafilatura read one part
    assert pruned.main_chars == sum(len(SENTENCE.replace(" ", "")) + len(w) for w in ["Satu."] * 4 + ["Dua."] * 3)


def test_article_in_one_container_gives_its_size_and_no_parts() -> None:
    html = article(
        SENTENCE, SENTENCE, SENTENCE, wrapper='<div class="isi">{}</div><div class="lain"><p>Lain.</p></div>'
    )
    pruned = prune_html(html, GENERIC)
    assert pruned.parts == ()
    assert pruned.main_chars == 3 * len(SENTENCE.replace(" ", ""))


def test_containers_of_another_kind_are_no_parts() -> None:
    half = "".join(f"<p>{SENTENCE}</p>" for _ in range(3))
    html = f'<html><body><div class="a">{half}</div><div class="b">{half}</div></body></html>'
    assert prune_html(html, GENERIC).parts == ()
