"""The extraction step on pages we write: trafilatura on the pruned page, its paragraphs and metadata."""

from __future__ import annotations

import json

import pytest

import scraper
from scraper.clean import prune_html
from scraper.extraction import (
    Evidence,
    PageMeta,
    extract_main,
    extract_page_metadata,
    improves,
    is_lost,
    json_ld_article_body,
    split_paragraphs,
)
from scraper.rules import default_rulebook
from tests.conftest import FIXTURES

GENERIC = default_rulebook().generic
URL = "https://ledger.example/city/2024/03/05/harbour-bridge-reopens"

BRIDGE = [
    "The Harbour Bridge reopened to traffic on Tuesday morning after a repair programme that closed it for almost"
    " two years and cost the city far more than planned.",
    "Engineers replaced every one of the forty steel cables and resurfaced the deck, work that the council says"
    " should keep the crossing safe for another half century.",
    "Commuters who had faced a forty-minute detour each way said the reopening changed their whole week and"
    " thanked the crews who worked through two winters.",
    "The mayor said a full review of the budget overrun would be published in the spring, along with the final"
    " bill for the project.",
]
WIDGET_NOISE = [
    "Share on Facebook",
    "Morning Ledger",
    "Sign up now",
    "Tram line extension",
    "Cars cross the bridge",
    "Thanks for subscribing",
    "garden furniture",
    "CLICK HERE",
    "Most read",
    "Copyright 2024",
    "tracking token",
]


def page(name: str) -> str:
    return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bridge() -> tuple[str, ...]:
    return extract_main(prune_html(page("clean_widgets"), GENERIC).html, URL)


@pytest.fixture(scope="module")
def bridge_meta() -> PageMeta:
    return extract_page_metadata(prune_html(page("clean_widgets"), GENERIC).html, URL)


def test_pruned_page_gives_the_article_paragraphs_in_order(bridge: tuple[str, ...]) -> None:
    assert [p for p in bridge if p in BRIDGE] == BRIDGE


@pytest.mark.parametrize("noise", WIDGET_NOISE)
def test_pruned_page_gives_no_widget_text(bridge: tuple[str, ...], noise: str) -> None:
    assert not any(noise in p for p in bridge)


def test_author_and_date_come_from_the_json_ld_the_pruning_kept(bridge_meta: PageMeta) -> None:
    assert bridge_meta.author == "Mara Quell"
    assert bridge_meta.date == "2024-03-05"


def test_title_comes_from_the_head(bridge_meta: PageMeta) -> None:
    assert bridge_meta.title is not None
    assert bridge_meta.title.startswith("Harbour Bridge Reopens After Two-Year Repair")


def test_br_split_text_becomes_one_paragraph_per_block() -> None:
    extracted = extract_main(prune_html(page("clean_br_article"), GENERIC).html, None)
    assert len([p for p in extracted if "Merapi" in p or "Wahyu Pratama" in p or "mahoni" in p]) == 3
    assert not any("Bagikan" in p for p in extracted)


def test_page_without_an_article_gives_no_paragraphs() -> None:
    html = "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
    assert extract_main(prune_html(html, GENERIC).html, None) == ()


def test_short_news_item_is_kept_whole() -> None:
    # Three short lines are a real breaking-news item: the size floors must not discard it.
    lines = ["Gempa magnitudo 5,1 mengguncang Sukabumi pagi ini.", "Belum ada laporan kerusakan.", "BMKG memantau."]
    html = "<html><body><article>" + "".join(f"<p>{line}</p>" for line in lines) + "</article></body></html>"
    assert list(extract_main(html, None)) == lines


def test_readability_and_justext_comparison_never_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fast mode: on a pruned page the comparison costs a third of the time and scores lower.
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura compared with readability/justext")

    monkeypatch.setattr("trafilatura.core.compare_extraction", fail)
    monkeypatch.setattr("trafilatura.core.justext_rescue", fail)
    assert extract_main(prune_html(page("clean_widgets"), GENERIC).html, URL)


def test_extract_gives_exactly_the_article_paragraphs() -> None:
    # The whole cleaner: the headline repeated above the body goes to the title, every widget goes.
    article = scraper.extract(page("clean_widgets"), URL)
    assert list(article.paragraphs) == BRIDGE
    assert article.author == "Mara Quell"


def test_extract_of_teasers_keeps_every_sentence_and_no_teaser() -> None:
    text = scraper.extract(page("clean_baca_juga"), "https://berita.example/2024/pasar-terapung").text
    assert "Menurut pengelola, jumlah pengunjung naik dua kali lipat dibanding pekan lalu." in text
    assert "Pengelola juga menambah petugas kebersihan di sekitar dermaga." in text
    for title in ("Harga Ikan Patin", "Dermaga Baru Siap", "Festival Perahu Hias Digelar", "Kue Tradisional Diburu"):
        assert title not in text
    assert "baca juga" not in text.casefold()


def test_subheading_between_paragraphs_is_kept_without_a_body_hint() -> None:
    # Unnamed container: trafilatura would collect the loose <p>s and drop the <h2> between them.
    sentence = "Paragraf {} tentang banjir rob yang menggenangi rumah nelayan di pesisir utara kota itu lagi."
    paras = [f"{sentence.format(n)} {sentence.format(n)}" for n in range(4)]
    inner = f"<p>{paras[0]}</p><p>{paras[1]}</p><h2>Tanggul Belum Selesai</h2><p>{paras[2]}</p><p>{paras[3]}</p>"
    head = "<head><title>Banjir Rob Kembali Genangi Muara Angke</title></head>"
    html = f'<html>{head}<body><div class="berita">{inner}</div><div class="kaki">Redaksi</div></body></html>'
    assert list(scraper.extract(html, None).paragraphs) == [*paras[:2], "Tanggul Belum Selesai", *paras[2:]]


def test_br_split_text_in_a_span_body_keeps_its_paragraphs() -> None:
    blocks = [f"Kalimat nomor {n} dari berita tentang pemindai suhu tubuh di bandara internasional." for n in range(3)]
    span = '<span itemprop="articleBody">' + "<br><br>".join(blocks) + "</span>"
    html = f"<html><body><article><div class='isi'>{span}</div></article></body></html>"
    assert list(scraper.extract(html, None).paragraphs) == blocks


def test_article_nested_deeper_than_libxml2s_default_limit_is_extracted() -> None:
    # libxml2 drops everything below depth 256 unless the parser allows a huge tree.
    lines = [f"Kalimat {n} dari artikel yang tersarang sangat dalam di halaman yang aneh ini." for n in range(3)]
    inner = "".join(f"<p>{line}</p>" for line in lines)
    html = "<html><body>" + "<div>" * 300 + inner + "</div>" * 300 + "</body></html>"
    assert list(extract_main(html, None)) == lines


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        ("One.\nTwo.", ("One.", "Two.")),
        ("  One \t with  gaps \n\n\nTwo.  ", ("One with gaps", "Two.")),
        ("A\u00a0non-breaking\u200bspace", ("A non-breaking space",)),
        ("\n \n\t\n", ()),
        ("", ()),
    ],
)
def test_split_paragraphs_one_per_line_blanks_collapsed(text: str, paragraphs: tuple[str, ...]) -> None:
    assert split_paragraphs(text) == paragraphs


# ---------------------------------------------------------------- articles the fast pass loses

STORY = [
    f"Kalimat {n} dari berita tentang pembangunan jembatan gantung yang menghubungkan dua desa terpencil"
    f" di tepi sungai besar itu, kata kepala desa kepada wartawan pada hari Senin pagi."
    for n in range(8)
]
COMMENT = "Komentar pembaca nomor {} yang panjang sekali tentang hal lain: harga cabai, macet, dan cuaca buruk."


def paragraphs_html(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def story_page(body: str) -> str:
    return f"<html><head><title>Jembatan Gantung</title></head><body>{body}</body></html>"


def test_teaser_box_with_a_body_class_does_not_lose_the_article() -> None:
    # trafilatura's fast pass takes the first element with a body class: here a promo box above the article.
    promo = paragraphs_html(
        ["Promo langganan: baca semua berita tanpa iklan mulai hari ini juga.", "Daftar sekarang dan hemat setahun."]
    )
    html = story_page(f'<div class="post-content">{promo}</div><div class="konten">{paragraphs_html(STORY)}</div>')
    assert not set(STORY) & set(extract_main(prune_html(html, GENERIC).html, None))  # what the fast pass finds
    assert [p for p in scraper.extract(html, None).paragraphs if p in STORY] == STORY


def test_article_split_by_ad_rows_into_containers_of_one_kind_is_read_whole() -> None:
    chunks = [STORY[:3], STORY[3:6], STORY[6:]]
    ad = '<div class="row full-bleed-ad">Iklan</div>'
    body = ad.join(
        f'<div class="grid"><div class="body article__body">{paragraphs_html(c)}</div></div>' for c in chunks
    )
    assert list(scraper.extract(story_page(body), None).paragraphs) == STORY


def test_comment_thread_bigger_than_the_article_never_replaces_it() -> None:
    # The page's biggest text, in containers of one kind, is the comments: they must not pass for the article.
    short = STORY[:2]
    comments = "".join(
        f'<div class="comment-body">{paragraphs_html([COMMENT.format(n * 10 + k) for k in range(4)])}</div>'
        for n in range(6)
    )
    html = story_page(f'<div class="entry-content">{paragraphs_html(short)}</div><div class="thread">{comments}</div>')
    paragraphs = scraper.extract(html, None).paragraphs
    assert [p for p in paragraphs if p in short] == short
    assert not any("Komentar pembaca" in p for p in paragraphs)


def test_comparison_does_not_run_when_the_fast_pass_found_the_article(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura compared with readability/justext")

    monkeypatch.setattr("trafilatura.core.compare_extraction", fail)
    assert list(scraper.extract(page("clean_widgets"), URL).paragraphs) == BRIDGE


@pytest.mark.parametrize(
    ("found", "expected", "lost"),
    [
        ("x" * 300, 1000, True),
        ("x" * 800, 1000, False),
        ("", 0, False),  # a page with no paragraph text gives no evidence
        ("", 150, True),
    ],
)
def test_extraction_is_lost_below_a_share_of_the_main_containers_text(found: str, expected: int, lost: bool) -> None:
    assert is_lost((found,), Evidence(expected)) is lost


def test_a_recovery_must_add_text_within_the_evidence() -> None:
    found = (STORY[0],)
    assert improves(found, tuple(STORY[:4]), Evidence(2000), keep=False)
    assert not improves(found, (STORY[0] + " tambahan",), Evidence(2000), keep=False)  # no real gain
    assert not improves(found, tuple(STORY * 3), Evidence(1000), keep=False)  # far more than the page's containers hold


def test_a_recovery_of_our_own_must_keep_what_was_found() -> None:
    found = tuple(STORY[:2])
    comments = tuple(COMMENT.format(n) for n in range(20))
    assert improves(found, tuple(STORY), Evidence(3000), keep=True)
    assert not improves(found, comments, Evidence(3000), keep=True)
    assert improves(found, comments, Evidence(3000), keep=False)  # trafilatura's own comparison is trusted to choose


NEWS = [
    "Pemerintah kota membuka jembatan gantung baru yang menghubungkan dua desa di tepi sungai pada Senin pagi.",
    "Kepala desa mengatakan warga tidak lagi harus memutar sejauh dua puluh kilometer untuk ke pasar kecamatan.",
    "Pembangunan jembatan itu menghabiskan anggaran sekitar tiga miliar rupiah dari dana desa dan provinsi.",
    "Para pelajar kini bisa berangkat ke sekolah lebih pagi tanpa menunggu perahu penyeberangan yang jarang.",
    "Dinas pekerjaan umum berjanji memeriksa kekuatan kabel jembatan setiap enam bulan sekali ke depannya.",
]


def json_ld(data: object) -> str:
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body></body></html>'


def test_json_ld_article_body_is_read_wherever_the_graph_puts_it() -> None:
    article = {"@type": "NewsArticle", "articleBody": "<p>Isi &amp; berita</p>"}
    assert json_ld_article_body(
        json_ld({"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, article]})
    ).split() == ["Isi", "&", "berita"]
    assert json_ld_article_body(json_ld([{"@type": "NewsArticle", "articleBody": "Teks"}])) == "Teks"
    broken = '<script type="application/ld+json">{"articleBody": </script>' + json_ld({"articleBody": "Kedua"})
    assert json_ld_article_body(broken) == "Kedua"
    assert json_ld_article_body("<script type='application/ld+json'>{}</script>") == ""
    assert json_ld_article_body('<script type="application/ld+json">{"articleBody": "x"') == ""  # no end tag


def test_an_extraction_that_misses_most_of_the_article_body_is_lost() -> None:
    reference = " ".join(NEWS)
    assert is_lost((NEWS[0],), Evidence(0, reference))
    assert not is_lost(tuple(NEWS[:4]), Evidence(0, reference))
    assert not is_lost((NEWS[0],), Evidence(0, NEWS[1]))  # a summary-length articleBody proves nothing


def test_a_recovery_may_not_cover_less_of_the_article_body() -> None:
    evidence = Evidence(0, " ".join(NEWS))
    comments = tuple(COMMENT.format(n) for n in range(3))
    assert improves((NEWS[0],), tuple(NEWS[:3]), evidence, keep=False)
    assert not improves((NEWS[0],), comments, evidence, keep=False)  # more text, less of the article


def test_the_pages_article_body_tells_that_the_article_was_lost_and_it_is_recovered() -> None:
    # A promo box with a body class and <p>s above an article of <br>-split text: the fast pass takes the box,
    # and the box is all the <p> text there is, so only the page's own JSON-LD says an article is missing.
    promo = paragraphs_html(
        [
            "Promo langganan: baca semua berita tanpa iklan mulai hari ini juga.",
            "Daftar sekarang dan hemat setahun penuh.",
        ]
    )
    body = f"<div class='post-content'>{promo}</div><div class='konten'>{'<br><br>'.join(NEWS)}</div>"
    ld = json.dumps({"@type": "NewsArticle", "articleBody": " ".join(NEWS)})
    without = f"<html><head><title>J</title></head><body>{body}</body></html>"
    with_ld = without.replace("</title>", f'</title><script type="application/ld+json">{ld}</script>')
    assert not set(NEWS) & set(scraper.extract(without, None).paragraphs)
    assert [p for p in scraper.extract(with_ld, None).paragraphs if p in NEWS] == NEWS
