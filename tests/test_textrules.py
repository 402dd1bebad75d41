"""The text stage on texts we write: each noise family goes, and the traps beside it stay."""

from __future__ import annotations

import pytest

from scraper import clean_text
from scraper.rules import default_rulebook
from scraper.textrules import apply_text_rules

BODY1 = "Pemerintah mengumumkan kebijakan baru tentang harga beras pada Senin pagi di Jakarta."
BODY2 = "Menurut menteri, kebijakan itu berlaku mulai bulan depan di seluruh provinsi."
BODY3 = "Para pedagang menyambut baik keputusan tersebut meski masih menunggu petunjuk teknis."


def cleaned(text: str, site: str | None = None) -> list[str]:
    return list(clean_text(text, site=site).paragraphs)


@pytest.mark.parametrize(
    "noise",
    [
        "Baca Juga",
        "BACA JUGA:",
        "Baca juga: Harga Cabai Naik Jelang Lebaran di Pasar Induk",
        "Baca juga:Sejumlah Wilayah Terendam Banjir Usai Hujan Deras",
        "Read also: Floods hit the capital again",
        "Advertisement",
        "ADVERTISEMENT",
        "SCROLL TO CONTINUE WITH CONTENT",
        "[Gambas:Video 20detik]",
        "Simak juga Video: Banjir Rendam Jalan Protokol",
        "Lihat juga video 'Macet Parah di Tol':",
        "Baca selengkapnya di sini",
        "--------",
        "Ikuti Whatsapp Channel Republika",
        "Foto: ANTARA/Budi",
        "Komentar (0)",
        "Penulis: Arby Salim",
        "-",
    ],
)
def test_noise_line_between_paragraphs_goes_alone(noise: str) -> None:
    assert cleaned(f"{BODY1}\n{noise}\n{BODY2}\n{BODY3}") == [BODY1, BODY2, BODY3]


def test_bare_baca_juga_removes_only_itself_not_the_next_line() -> None:
    out = cleaned(f"{BODY1}\nBaca Juga\nKunjungannya terjadi setelah pertemuan kedua pemimpin.\n{BODY2}")
    assert out == [BODY1, "Kunjungannya terjadi setelah pertemuan kedua pemimpin.", BODY2]


def test_glued_teaser_becomes_a_paragraph_break() -> None:
    text = f"{BODY1}\nBACA JUGA: Presiden Minta Semua Pihak Hindari ‘Perang Baru’Bulan lalu, menteri bertemu mitra.\n"
    assert cleaned(text) == [BODY1, "Bulan lalu, menteri bertemu mitra."]


def test_parenthetical_teaser_goes_and_the_sentence_closes_up() -> None:
    out = cleaned(f"Ia membantah tudingan itu. (Baca: Saya Bukan Preman) Memang, sebelumnya ia diam.\n{BODY2}")
    assert out[0] == "Ia membantah tudingan itu. Memang, sebelumnya ia diam."


def test_ad_token_goes_inside_a_paragraph() -> None:
    assert cleaned(f"{BODY1} [iklan_2]\n{BODY2}") == [BODY1, BODY2]


@pytest.mark.parametrize(
    ("first", "dateline"),
    [
        ("Liputan6.com, Jakarta - ", "Liputan6.com, Jakarta -"),
        ("Bisnis.com, JAKARTA - ", "Bisnis.com, JAKARTA -"),
        ("Jakarta, IDN Times - ", "Jakarta, IDN Times -"),
        ("JAKARTA, KOMPAS.com - ", "JAKARTA, KOMPAS.com -"),
        ("REPUBLIKA.CO.ID, BANDUNG -- ", "REPUBLIKA.CO.ID, BANDUNG --"),
        ("TEMPO.CO,Jakarta- ", "TEMPO.CO,Jakarta-"),
        ("Mataram, NTB (ANTARA News) - ", "Mataram, NTB (ANTARA News) -"),
        ("JAKARTA- ", "JAKARTA-"),
        ("Yogyakarta - ", "Yogyakarta -"),
    ],
)
def test_dateline_moves_to_metadata(first: str, dateline: str) -> None:
    article = clean_text(f"{first}{BODY1}\n{BODY2}")
    assert article.dateline == dateline
    assert article.paragraphs == (BODY1, BODY2)


def test_dateline_rule_never_eats_a_hyphenated_lead_word() -> None:
    article = clean_text("ALIH-alih menyeret tersangka, polisi justru melepasnya.\n" + BODY2)
    assert article.dateline is None
    assert article.paragraphs[0].startswith("ALIH-alih")


def test_dateline_only_in_the_first_paragraph() -> None:
    text = f"{BODY1}\nJakarta - Di tempat lain, warga berkumpul di balai kota sejak pagi."
    article = clean_text(text)
    assert article.dateline is None
    assert article.paragraphs[1].startswith("Jakarta - ")


def test_dateline_after_a_headline_and_a_deck() -> None:
    text = "Judul Berita Hari Ini\n\nDeck singkat berita\n\nJakarta, IDN Times - " + BODY1
    article = clean_text(text)
    assert article.dateline == "Jakarta, IDN Times -"
    assert BODY1 in article.paragraphs


def test_liputan6_glued_dateline_needs_the_site() -> None:
    text = "Liputan6.com, JakartaSaat ini banyak tren olahraga yang beredar.\n" + BODY2
    assert clean_text(text, site="liputan6.com").paragraphs[0] == "Saat ini banyak tren olahraga yang beredar."
    # Without the site the glue point is not known, so nothing of the first word may be eaten.
    assert "Saat ini" in clean_text(text).paragraphs[0]


@pytest.mark.parametrize("initials", ["[ab/ka]", "(bgs/rul)", "[ian]", "(dmr)", "(SIS)", "(Mvi/Ali)", "(H-4)"])
def test_trailing_initials_go_from_the_last_paragraph(initials: str) -> None:
    assert cleaned(f"{BODY1}\n{BODY2} {initials}") == [BODY1, BODY2]


def test_trailing_reporter_name_after_a_sentence_goes() -> None:
    assert cleaned(f"{BODY1}\n{BODY2} (Luh Wayanti)") == [BODY1, BODY2]


def test_initials_in_the_middle_stay() -> None:
    text = f"Kantor itu (dmr) tutup sejak pagi dan baru buka sore hari.\n{BODY2}"
    assert cleaned(text)[0] == "Kantor itu (dmr) tutup sejak pagi dan baru buka sore hari."


def test_footer_cut_from_first_marker_to_the_end() -> None:
    text = f"{BODY1}\n{BODY2}\nHuyen Le (Menurut Reuters )\n[iklan_2]\nTautan sumber\nKomentar (0)"
    assert cleaned(text) == [BODY1, BODY2]


def test_footer_topik_line_but_not_the_word_topik() -> None:
    body = "Topik perang akan menjadi pembicaraan utama dalam pertemuan itu."
    text = f"{BODY1}\n{body}\nTopik:\nAnata Siregar\nBerita Terkini Lainnya"
    assert cleaned(text) == [BODY1, body]


def test_short_subheadings_stay() -> None:
    text = f"{BODY1}\nNATO Seharusnya Bubar\n{BODY2}\n1. Perjalanan Wang ke Moskow\n{BODY3}"
    assert cleaned(text) == [BODY1, "NATO Seharusnya Bubar", BODY2, "1. Perjalanan Wang ke Moskow", BODY3]


def test_sentence_mentioning_komentar_or_iklan_stays() -> None:
    line = "Komentar Aji Santoso soal isu suap timnas ramai dibicarakan, termasuk soal iklan."
    assert cleaned(f"{BODY1}\n{line}") == [BODY1, line]


def test_glued_copy_of_paragraphs_goes_and_the_per_paragraph_copy_stays() -> None:
    blob = f"{BODY1}{BODY2}{BODY3}"  # a container flattened without separators, before its own <p>s
    assert cleaned(f"{blob}\n{BODY1}\n{BODY2}\n{BODY3}") == [BODY1, BODY2, BODY3]


def test_pull_quote_with_spaces_is_not_a_glued_copy() -> None:
    quote = "Kebijakan itu berlaku mulai bulan depan di seluruh provinsi."
    long_para = f"Menteri berkata di depan wartawan. {quote} Ia lalu meninggalkan ruangan."
    out = cleaned(f"{long_para}\n{BODY3}")
    assert out == [long_para, BODY3]


def test_exact_duplicate_long_paragraph_goes() -> None:
    long = f"{BODY1} {BODY3}"
    assert cleaned(f"{long}\n{BODY2}\n{long}") == [long, BODY2]


def test_repeated_short_lines_stay() -> None:
    credit = "— Kementerian Luar Negeri (@Kemlu_RI) 9 Oktober 2023"
    assert cleaned(f"{BODY1}\n{credit}\n{BODY2}\n{credit}") == [BODY1, credit, BODY2, credit]


def test_title_repeat_and_kicker_above_it_go() -> None:
    rules = default_rulebook().generic
    paras = ["MUDA DAN MENGINSPIRASI", "Judul Artikel Ini", BODY1, BODY2]
    result = apply_text_rules(paras, rules, title="Judul Artikel Ini")
    assert result.paragraphs == (BODY1, BODY2)
    assert any(r.rule == "generic/title-repeat" for r in result.removals)


def test_okezone_glued_lead_word_gets_its_space_back_and_nothing_is_logged_as_cut() -> None:
    article = clean_text(
        "JAKARTA- JADWALTimnas Indonesia dirilis hari ini oleh federasi.\n" + BODY2, site="okezone.com"
    )
    assert article.paragraphs[0] == "JADWAL Timnas Indonesia dirilis hari ini oleh federasi."
    assert all("JADWAL" not in r.text for r in article.removed)


def test_every_cut_is_logged_with_rule_and_stage() -> None:
    article = clean_text(f"Liputan6.com, Jakarta - {BODY1}\nBaca Juga\nAdvertisement\n{BODY2} [ab/ka]")
    rules = {r.rule for r in article.removed}
    assert {"generic/baca-juga", "generic/ad-label", "generic/shape-dateline", "generic/initials"} <= rules
    assert all(r.stage == "text" for r in article.removed)
    assert article.text == f"{BODY1}\n{BODY2}"


def test_text_that_is_only_noise_gives_no_paragraphs() -> None:
    assert clean_text("SCROLL TO CONTINUE WITH CONTENT\nAdvertisement").paragraphs == ()


def test_cleaning_is_idempotent_on_its_output() -> None:
    text = f"Liputan6.com, Jakarta - {BODY1}\nBaca Juga\n{BODY2}\nAdvertisement\n{BODY3} (bgs/rul)"
    once = clean_text(text)
    assert clean_text(once.text).paragraphs == once.paragraphs


def test_headline_above_the_dateline_becomes_the_title_and_the_deck_stays() -> None:
    article = clean_text(f"Harga Beras Naik Lagi\n\nPasokan menipis\n\nJakarta, IDN Times - {BODY1}\n\n{BODY2}")
    assert article.title == "Harga Beras Naik Lagi"
    assert article.paragraphs == ("Pasokan menipis", BODY1, BODY2)
    assert article.dateline == "Jakarta, IDN Times -"


def test_no_dateline_no_title_from_text() -> None:
    article = clean_text(f"Harga Beras Naik Lagi\n{BODY1}\n{BODY2}")
    assert article.title is None
    assert article.paragraphs[0] == "Harga Beras Naik Lagi"


@pytest.mark.parametrize(
    "noise",
    [
        "Artikel ini telah tayang di Tribunnews.com dengan judul Harga Beras Naik Lagi",
        "Dapatkan update berita pilihan dan breaking news setiap hari dari Contoh.com. Mari bergabung di Grup "
        'Telegram "Contoh News Update", caranya klik link berikut, kemudian join.',
        "Simak breaking news dan berita pilihan kami langsung di ponselmu. Pilih saluran andalanmu akses berita "
        "Contoh.com WhatsApp Channel.",
        "Pastikan kamu sudah install aplikasi WhatsApp ya.",
        "Ikuti saluran WhatsApp Contoh untuk berita terbaru.",
        "Saksikan video di bawah ini:",
        "Jangan Lewatkan Video Terbaru:",
        "Pilihan Editor: Harga Beras Naik Lagi di Pasar Induk",
        "Dilarang keras mengambil konten, melakukan crawling atau pengindeksan otomatis untuk AI di situs web ini "
        "tanpa izin tertulis dari Kantor Berita Contoh.",
        "Next Article Harga Beras Naik Lagi",
    ],
)
def test_indonesian_calls_to_action_go(noise: str) -> None:
    assert cleaned(f"{BODY1}\n{noise}\n{BODY2}") == [BODY1, BODY2]


@pytest.mark.parametrize(
    "body",
    [
        "Artikel ini menjelaskan mengapa harga beras naik tajam di beberapa daerah sepanjang bulan ini.",
        "Pilihan editor majalah itu jatuh pada liputan banjir di pesisir utara Jawa pekan lalu.",
        "Dapatkan hasil panen yang baik dengan memilih bibit unggul, kata penyuluh pertanian setempat.",
    ],
)
def test_sentences_that_start_like_a_call_to_action_stay(body: str) -> None:
    assert cleaned(f"{BODY1}\n{body}") == [BODY1, body]


def test_a_schedule_line_with_day_date_and_time_stays() -> None:
    line = "Minggu 17 Agustus 2025 20.00 WIB Chelsea v Crystal Palace, 22.30 WIB Manchester United v Arsenal"
    assert cleaned(f"{BODY1}\n{line}") == [BODY1, line]


@pytest.mark.parametrize(
    "item",
    ["Kamis, 05/11/2015 09:25 WIB Ini Dia Tempat Terbasah di Dunia", "- Jum'at, 19 Juni 2015 13:05 WIB Bikin Sup"],
)
def test_a_related_list_item_with_date_and_time_goes(item: str) -> None:
    assert cleaned(f"{BODY1}\n{item}\n{BODY2}") == [BODY1, BODY2]


def test_a_quoted_copy_of_the_next_line_is_not_a_glued_copy() -> None:
    caption = "Detik-detik Terjadinya Erupsi Gunung Gede Bogor, Jawa Barat tanggal 2 April 2025"
    assert cleaned(f'{BODY1}\n"{caption}\n{caption}') == [BODY1, f'"{caption}', caption]


# --- issue 7: families by shape, for outlets the rules do not name -------------------------------------------


@pytest.mark.parametrize(
    ("first", "url", "dateline"),
    [
        (
            "Medan, Beritasatu.com - Polisi menangkap dua orang.",
            "https://www.beritasatu.com/a",
            "Medan, Beritasatu.com -",
        ),
        ("GELORA.CO - Polisi menangkap dua orang.", "https://www.gelora.co/a", "GELORA.CO -"),
        ("TRIBUNSOLO.COM, JAKARTA --Presiden meminta.", "https://solo.tribunnews.com/a", "TRIBUNSOLO.COM, JAKARTA --"),
        ("IHRAM.CO.ID, BANJARMASIN -- Jamaah tiba.", "https://ihram.republika.co.id/a", "IHRAM.CO.ID, BANJARMASIN --"),
        (
            "Jakarta, KompasOtomotif – Mobil listrik laris.",
            "https://otomotif.kompas.com/a",
            "Jakarta, KompasOtomotif –",
        ),
        ("Jakarta, CNN Indonesia -- Mobil listrik laris.", None, "Jakarta, CNN Indonesia --"),
        ("Liputan6.com, Washington, DC -Donald Trump menuntut.", None, "Liputan6.com, Washington, DC -"),
        ("Mataram, NTB (ANTARA News) - Gubernur meminta.", None, "Mataram, NTB (ANTARA News) -"),
        ("NEW YORK (AP) — Stocks rose on Monday.", None, "NEW YORK (AP) —"),
        # by the page's own outlet name (its host): lowercase, or glued to the sentence without a dash
        ("Jakarta, kumparan - Mobil listrik laris.", "https://kumparan.com/a", "Jakarta, kumparan -"),
        ("Fimela.com, Jakarta Kalau bicara gaya, dia juaranya.", "https://www.fimela.com/a", "Fimela.com, Jakarta"),
        ("Bola.com, Jakarta Selatan Persija menang.", "https://www.bola.com/a", "Bola.com, Jakarta Selatan"),
        ("Fimela.com, JakartaKalau bicara gaya, dia juaranya.", "https://www.fimela.com/a", "Fimela.com, Jakarta"),
    ],
)
def test_a_dateline_of_any_outlet_moves_to_metadata(first: str, url: str | None, dateline: str) -> None:
    article = clean_text(f"{first}\n{BODY2}", url=url)
    assert article.dateline == dateline
    assert article.paragraphs == (first[len(dateline) :].strip(), BODY2)


@pytest.mark.parametrize(
    ("first", "url"),
    [
        ("Detik-detik terakhir, Presiden tiba di lokasi.", "https://news.detik.com/a"),  # the outlet's name as a word
        ("Kompas, Jakarta Post dan Tempo menulis hal yang sama.", "https://www.kompas.com/a"),  # no domain, no dash
        ("Jakarta, Bandung - dua kota itu banjir.", None),  # a dash before a lowercase word: a sentence
        ("Kumparan.com, menurut data, naik.", "https://kumparan.com/a"),
    ],
)
def test_a_sentence_that_looks_like_a_dateline_stays(first: str, url: str | None) -> None:
    article = clean_text(f"{first}\n{BODY2}", url=url)
    assert article.dateline is None and article.paragraphs == (first, BODY2)


def test_a_dateline_left_alone_on_its_line_goes_but_a_bare_web_address_stays() -> None:
    assert cleaned(f"Liputan6.com,\n{BODY1}\n{BODY2}") == [BODY1, BODY2]
    assert cleaned(f"{BODY1}\nwww.teaterjakarta.com\n{BODY2}") == [BODY1, "www.teaterjakarta.com", BODY2]


@pytest.mark.parametrize(
    "noise",
    [
        "Redaktur : Budi Santoso",
        "Sumber : Antara",
        "Fotografer: Andi Wijaya",
        "Penyunting: Rina",
        "Editor:",
        "Laporan wartawan Tribunnews.com, Budi",
        "Disclaimer: Artikel ini merupakan kiriman pembaca.",
        "Isi artikel ini menjadi tanggung jawab sepenuhnya penulis.",
        "A post shared by Kementerian Kesehatan RI (@kemenkes_ri)",
        "Lihat postingan ini di Instagram",
    ],
)
def test_credit_disclaimer_and_embed_lines_go(noise: str) -> None:
    assert cleaned(f"{BODY1}\n{noise}\n{BODY2}") == [BODY1, BODY2]


@pytest.mark.parametrize("end", ["(***/Budi Santoso)", "(*)", "(FHM)", "(***)"])
def test_star_and_initial_credits_ending_the_story_go(end: str) -> None:
    assert cleaned(f"{BODY1}\n{BODY2} {end}") == [BODY1, BODY2]


@pytest.mark.parametrize(
    "kept",
    [
        "Sumber daya alam di daerah itu melimpah, kata dia.",  # the word, not the label
        "Fotografer muda itu memenangi lomba tingkat nasional.",
        "Menurut dia, tanggung jawab itu ada pada pemerintah daerah.",
        "— Budi (@budi) 5 Desember 2025",  # a tweet's credit line is quoted content
    ],
)
def test_lines_that_only_share_a_word_with_a_credit_stay(kept: str) -> None:
    assert cleaned(f"{BODY1}\n{kept}\n{BODY2}") == [BODY1, kept, BODY2]


@pytest.mark.parametrize(
    ("first", "url"),
    [
        ("Undang-Undang Nomor 8 Tahun 2025 mulai berlaku hari ini di seluruh Indonesia.", None),
        ("Komisi Pemberantasan Korupsi (KPK) – lembaga antirasuah itu – menetapkan tersangka baru.", None),
        ("The International Monetary Fund (IMF) — which lends to governments — cut its forecast.", None),
        ("Sri Mulyani, Erick Thohir — Dua menteri itu hadir dalam rapat kabinet.", None),
        ("Amazon.com — the world's largest online retailer — said sales rose.", None),
        ("Suara — suara sumbang terdengar dari tribun penonton sepanjang laga.", "https://www.suara.com/a"),
        ("Detik-Detik Menegangkan Evakuasi Korban Banjir di Bekasi", "https://news.detik.com/a"),
        ("Kompas.com, YouTube, dan TikTok menjadi sumber berita utama anak muda.", "https://www.kompas.com/a"),
    ],
)
def test_a_lead_that_opens_with_names_a_dash_or_a_domain_stays_whole(first: str, url: str | None) -> None:
    article = clean_text(f"{first}\n{BODY2}", url=url)
    assert article.dateline is None and article.paragraphs == (first, BODY2)


@pytest.mark.parametrize(
    ("first", "dateline"),
    [
        ("Liputan6.com, Jakarta -Perang Iran-Israel memasuki hari kelima.", "Liputan6.com, Jakarta -"),
        ("WASHINGTON, Oct 5 (Reuters) - The Federal Reserve held rates.", "WASHINGTON, Oct 5 (Reuters) -"),
        ("BEIJING/WASHINGTON (Reuters) - Trade talks resumed on Monday.", "BEIJING/WASHINGTON (Reuters) -"),
        ("GORONTALO (gopos.id) - Banjir merendam dua desa.", "GORONTALO (gopos.id) -"),
    ],
)
def test_a_dateline_never_takes_a_hyphenated_word_and_wire_forms_go(first: str, dateline: str) -> None:
    article = clean_text(f"{first}\n{BODY2}")
    assert article.dateline == dateline and article.paragraphs == (first[len(dateline) :].strip(), BODY2)


@pytest.mark.parametrize(
    "kept",
    [
        "Laporan koresponden BBC di Kyiv menyebutkan ledakan terdengar sejak pagi hari.",
        "Reporter: Bagaimana tanggapan Anda soal kenaikan harga itu?",
        "Video: rekaman CCTV menunjukkan pelaku masuk lewat pintu belakang.",
        "Hakim menyatakan kerusakan barang selama pengiriman menjadi tanggung jawab pengirim sepenuhnya.",
        "Dewan Pers menegaskan unggahan akun itu bukan merupakan sikap media mana pun.",
    ],
)
def test_a_sentence_that_starts_like_a_credit_or_disclaimer_stays(kept: str) -> None:
    assert cleaned(f"{BODY1}\n{kept}\n{BODY2}") == [BODY1, kept, BODY2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{BODY1}\n{BODY2}\n(Reporting by Jane Doe; Editing by John Roe)", [BODY1, BODY2]),
        (f"{BODY1}\n{BODY2} (ANTARA)", [BODY1, BODY2]),
        (f"{BODY1}\nTag: banjir, Jakarta, BMKG\n{BODY2}", [BODY1, BODY2]),
    ],
)
def test_wire_credits_and_tag_lines_go(text: str, expected: list[str]) -> None:
    assert cleaned(text) == expected


@pytest.mark.parametrize(
    ("first", "dateline"),
    [
        ("(CNN) — The storm reached the coast on Monday.", "(CNN) —"),
        ("MEDAN (Waspada.id): Banjir merendam tiga kecamatan.", "MEDAN (Waspada.id):"),
    ],
)
def test_an_outlet_alone_in_parentheses_or_before_a_colon_is_a_dateline(first: str, dateline: str) -> None:
    article = clean_text(f"{first}\n{BODY2}")
    assert article.dateline == dateline and article.paragraphs == (first[len(dateline) :].strip(), BODY2)


@pytest.mark.parametrize(
    "noise",
    [
        "Klik di sini untuk membaca berita selengkapnya",
        "Baca berita dengan sedikit iklan, klik di sini",
        "Click here to subscribe to our newsletter",
        "Lihat Foto",
        "Halaman: 1 2 3 Selanjutnya",
        "Gabung di grup WhatsApp kami untuk berita terbaru",
    ],
)
def test_click_here_photo_pager_and_group_lines_go(noise: str) -> None:
    assert cleaned(f"{BODY1}\n{noise}\n{BODY2}") == [BODY1, BODY2]


def test_a_sentence_about_clicking_or_a_page_number_stays() -> None:
    kept = ["Warga diminta mengeklik tautan resmi saja agar tidak tertipu.", "Halaman 12 laporan itu memuat datanya."]
    assert cleaned("\n".join([BODY1, *kept, BODY2])) == [BODY1, *kept, BODY2]
