"""Noise families recognised by their shape, on pages of outlets no rule file names (issue 7).

Each page is one we write: an article of a made-up outlet with one family of noise around it. The whole
cleaner runs (`scraper.extract`), with the generic rules only, since the outlet is unknown.
"""

from __future__ import annotations

import pytest

from scraper import extract

P1 = "Pemerintah kota mulai memperbaiki jalan rusak di kawasan pasar pada Senin pagi setelah banyak keluhan warga."
P2 = "Menurut kepala dinas, perbaikan ditargetkan selesai dalam dua pekan jika cuaca mendukung pekerjaan di lapangan."
P3 = "Warga berharap perbaikan itu juga mencakup saluran air yang sering meluap ketika hujan deras turun sore hari."
URL = "https://www.kabarkota.example/berita/jalan-rusak"


def page(body: str) -> str:
    return (
        "<html><head><title>Jalan Rusak Diperbaiki - KabarKota</title>"
        '<meta property="og:site_name" content="KabarKota"></head>'
        f"<body><article><h1>Jalan Rusak Diperbaiki</h1>{body}</article></body></html>"
    )


def text_of(body: str) -> str:
    return "\n".join(extract(page(body), URL).paragraphs)


def test_an_italic_caption_under_its_image_goes() -> None:
    body = (
        f"<p>{P1}</p><p><img src='/foto.jpg'></p><p><em>Petugas menambal jalan di depan pasar, Senin (1/12).</em></p>"
        f"<p>{P2}</p><p>{P3}</p>"
    )
    article = extract(page(body), URL)
    assert article.paragraphs == (P1, P2, P3)
    assert any(r.rule == "generic/caption-paragraph" and "menambal" in r.text for r in article.removed)


def test_an_italic_paragraph_away_from_images_and_an_italic_quote_under_one_stay() -> None:
    note = "Catatan ini ditulis berdasarkan wawancara dengan tiga pedagang di pasar tersebut."
    quote = "“Kami sudah menunggu perbaikan ini selama bertahun-tahun,” kata seorang pedagang."
    photo = "<figure><img src='/a.jpg'></figure>"
    body = f"<p>{P1}</p><p><em>{note}</em></p><p>{P2}</p>{photo}<p><i>{quote}</i></p><p>{P3}</p>"
    assert text_of(body).split("\n") == [P1, note, P2, quote, P3]


RAIL_LABELS = ["Jangan Lewatkan!", "Editors' Picks", "Berita Terpopuler", "Pilihan Redaksi", "Most Read"]


@pytest.mark.parametrize("label", RAIL_LABELS)
def test_a_teaser_rail_inside_the_story_goes_with_its_label(label: str) -> None:
    rails = [
        f"<div><strong>{label}</strong><ul><li><a href='/a'>Harga Cabai Naik Jelang Natal</a></li>"
        "<li><a href='/b'>Banjir Rendam Tiga Kecamatan</a></li></ul></div>",
        # a label and two short titles in one paragraph: not all link, so only the label tells it is a rail
        f"<p><strong>{label}</strong><br><a href='/a'>Harga Cabai Naik</a><br><a href='/b'>Banjir Rendam</a></p>",
    ]
    for rail in rails:
        assert text_of(f"<p>{P1}</p>{rail}<p>{P2}</p><p>{P3}</p>").split("\n") == [P1, P2, P3]


def test_the_dateline_of_an_unknown_outlet_goes_to_metadata() -> None:
    article = extract(page(f"<p><strong>Surabaya, KabarKota.example</strong> - {P1}</p><p>{P2}</p><p>{P3}</p>"), URL)
    assert article.dateline == "Surabaya, KabarKota.example -"
    assert article.paragraphs == (P1, P2, P3)


def test_credit_embed_and_star_lines_of_an_unknown_outlet_go() -> None:
    body = (
        f"<p>{P1}</p><p>A post shared by Dinas PU Kota (@dinaspu)</p><p>{P2}</p>"
        f"<p>{P3} (***/Andi)</p><p>Fotografer: Budi Hartono</p><p>Redaktur : Sinta</p>"
    )
    assert text_of(body).split("\n") == [P1, P2, P3]


@pytest.mark.parametrize(
    "rail",
    [
        "<div><h3><a href='/a'>Harga Cabai Naik Jelang Natal di Pasar</a></h3>"
        "<h3><a href='/b'>Banjir Rendam Tiga Kecamatan di Kota</a></h3></div>",
        "<ul><li><span>Senin, 01/12/2025</span> <a href='/a'>Harga Cabai Naik Jelang Natal di Pasar</a></li>"
        "<li><span>Senin, 01/12/2025</span> <a href='/b'>Banjir Rendam Tiga Kecamatan di Kota</a></li></ul>",
        "<div><div><a href='/a'>Harga Cabai Naik Jelang Natal di Pasar</a> <span>2 jam lalu</span></div>"
        "<div><a href='/b'>Banjir Rendam Tiga Kecamatan di Kota</a> <span>3 jam lalu</span></div></div>",
    ],
)
def test_a_rail_of_headline_links_without_a_label_goes(rail: str) -> None:
    article = extract(page(f"<p>{P1}</p><p>{P2}</p>{rail}<p>{P3}</p>"), URL)
    assert article.paragraphs == (P1, P2, P3)
    assert any(r.rule == "generic/teaser-rail" and "Banjir Rendam" in r.text for r in article.removed)


def test_a_list_of_sentences_with_links_in_them_stays() -> None:
    items = (
        "Menurut <a href='/a'>laporan BPS</a>, harga cabai naik tajam pekan ini di banyak pasar.",
        "Dinas menyebut <a href='/b'>banjir besar</a> merendam tiga kecamatan di kota itu.",
    )
    html = page(f"<p>{P1}</p><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul><p>{P2}</p><p>{P3}</p>")
    text = "\n".join(extract(html, URL).paragraphs)
    assert "harga cabai naik tajam pekan ini" in text and "merendam tiga kecamatan" in text


def test_a_rail_label_that_is_a_bold_word_of_a_sentence_stays() -> None:
    sentence = "Jangan lewatkan festival kuliner di alun-alun kota yang digelar setiap akhir pekan sampai Desember."
    body = f"<p>{P1}</p><p><strong>Jangan lewatkan</strong>{sentence.removeprefix('Jangan lewatkan')}</p><p>{P2}</p>"
    assert text_of(body).split("\n") == [P1, sentence, P2]


def test_a_list_of_links_a_sentence_introduces_stays() -> None:
    sources = (
        "<ul><li><a href='/a'>Laporan Tahunan Badan Pusat Statistik 2025</a></li>"
        "<li><a href='/b'>Data Kementerian Perdagangan Bulan November</a></li></ul>"
    )
    intro = "Tulisan ini disusun dari sumber-sumber resmi berikut:"
    article = extract(page(f"<p>{P1}</p><p>{P2}</p><p>{intro}</p>{sources}<p>{P3}</p>"), URL)
    assert not any(r.rule == "generic/teaser-rail" for r in article.removed)
    unintroduced = extract(page(f"<p>{P1}</p><p>{P2}</p>{sources}<p>{P3}</p>"), URL)
    assert any(r.rule == "generic/teaser-rail" for r in unintroduced.removed)


def test_italics_under_a_photo_without_a_credit_or_its_words_stay() -> None:
    note = "Wawancara ini dilakukan sebelum keputusan pengadilan diumumkan pada pekan lalu."
    body = f"<p>{P1}</p><p><img src='/x/IMG_0042.jpg'></p><p><em>{note}</em></p><p>{P2}</p><p>{P3}</p>"
    assert text_of(body).split("\n") == [P1, note, P2, P3]


def test_a_caption_that_names_its_photo_goes() -> None:
    caption = "Pasar terapung Lok Baintan di Sungai Martapura"
    photo = "<p><img src='/foto/pasar-terapung-lok-baintan.jpg' alt='Pasar terapung Lok Baintan'></p>"
    article = extract(page(f"<p>{P1}</p>{photo}<p><em>{caption}</em></p><p>{P2}</p><p>{P3}</p>"), URL)
    assert article.paragraphs == (P1, P2, P3)
    assert any(r.rule == "generic/caption-paragraph" for r in article.removed)


def test_the_italic_paragraphs_of_a_photo_story_stay() -> None:
    stories = [f"Foto ke-{n}: {text}" for n, text in enumerate((P1, P2, P3))]  # credits, but they are the story
    body = "".join(f"<p><img src='/x/{n}.jpg'></p><p><em>{s}</em></p>" for n, s in enumerate(stories))
    assert text_of(f"<p>Pengantar singkat cerita foto ini.</p>{body}").split("\n")[-3:] == stories


@pytest.mark.parametrize("thread", ["diskusi", "komentar-list", "comment-area"])
def test_a_comment_thread_longer_than_the_article_is_no_evidence_of_a_lost_article(thread: str) -> None:
    comments = "".join(
        f"<p>Komentar pembaca nomor {n}: saya setuju sekali dengan langkah pemerintah kota, semoga jalan di kampung"
        " kami juga segera diperbaiki karena sudah rusak parah sejak tahun lalu.</p>"
        for n in range(12)
    )
    html = (
        "<html><head><title>Jalan</title></head><body><article class='post'><h1>Jalan</h1>"
        f"<p>{P1}</p><p>{P2}</p><p>{P3}</p></article><div class='{thread}'>{comments}</div></body></html>"
    )
    assert extract(html, URL).paragraphs == (P1, P2, P3)
