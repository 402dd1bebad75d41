"""Check `scraper.clean_text` on the 990 real 2025 texts of idnews-text-2025 (no gold: our own checks).

For each site it counts, before and after cleaning, the articles that still hold each noise family of
NOISE.md, and how many content lines (long sentence lines that match no noise family) survive.
Then it runs ../shared/count_dev.py itself on the cleaned texts, as an independent second check.

    python benchmarks/text2025.py ../shared/data/idnews-text-2025/dev.csv [--examples N]
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import scraper

# (family, regex searched in the whole text; ^/$ anchor at lines)
NOISE_FAMILIES: tuple[tuple[str, str], ...] = (
    ("baca juga line", r"(?im)^\s*baca\s+juga\b.*$"),
    ("baca juga glued", r"(?i)\S[Bb]aca\s*[Jj]uga"),
    ("(baca ...) teaser", r"\(Baca [^)]{5,120}\)"),
    ("baca selengkapnya", r"(?i)baca (berita )?selengkapnya\s*di\s*sini"),
    ("advertisement line", r"(?m)^\s*(Advertisement|ADVERTISEMENT|SCROLL TO CONTINUE WITH CONTENT)\s*$"),
    ("gambas placeholder", r"\[Gambas:[^\]]*\]"),
    ("video teaser line", r"(?im)^\s*(simak|lihat|tonton|saksikan)( juga)? video\b"),
    ("syndication footer", r"(?i)artikel ini (telah naik|sudah lebih dulu tayang)\s*di"),
    ("next-page notice", r"(?i)simak berita selengkapnya di halaman (selanjutnya|berikutnya)"),
    ("rule line ----", r"(?m)^\s*-{4,}\s*$"),
    ("whatsapp cta", r"(?i)ikuti whatsapp channel"),
    ("credit line", r"(?m)^\s*(Penulis|Editor|Pewarta|Reporter|Redaktur)\s*:\s*[A-Z].{0,80}$"),
    ("dw adapted-by", r"Diadaptasi oleh"),
    ("disclaimer line", r"(?im)^\W*(disclaimer|penafian)\s*:"),
    ("last-line initials", r"\(\s*[A-Za-z]{2,5}(\s*/\s*[A-Za-z]{2,5}){0,3}\s*\)\s*\Z"),
    ("last-line reporter", r"(?m)^\s*\(\s*[A-Z][a-z]+( [A-Z][a-z]+){1,3}\s*\)\s*\Z"),
    ("dateline at start", r"\A\s*(?:[A-Z][\w .]{1,30},\s*)?(?:KOMPAS\.com|Liputan6\.com|TEMPO\.CO|REPUBLIKA\.CO\.ID)"),
    ("okezone city dateline", r"\A\s*[A-Z]{3,}(?: [A-Z]{3,})?\s*[-–—]"),
    ("newsletter stub", r"Halo, pembaca nawala"),
    ("tv promo", r"(?im)^\s*(saksikan terus\s*sinetron|tonton setiap hari mulai pukul)"),
    ("republika dateline inside", r"(?m)^REPUBLIKA\.CO\.ID"),
    ("glued teaser titles", r"[a-z]Dua Pekerja Tertimbun|TertimbunDua"),
)
CONTENT_MIN_CHARS = 120
WS = re.compile(r"\s+")
SENTENCE_END = re.compile(r"[.!?\"”]\s*$")


def host_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    parts = host.split(".")
    return ".".join(parts[-3:] if parts[-2] == "co" else parts[-2:])


def noise_hits(text: str) -> set[str]:
    return {name for name, rx in NOISE_FAMILIES if re.search(rx, text)}


def content_lines(raw: str) -> list[str]:
    """Long sentence lines with no noise family in them: what must survive."""
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if len(line) >= CONTENT_MIN_CHARS and SENTENCE_END.search(line) and not noise_hits(line):
            out.append(line)
    return out


def survives(line: str, cleaned: str) -> bool:
    """The line's middle is in the output (its ends may lose a dateline or initials).

    Compared without white space: the cleaner normalises it and puts back spaces lost to glued words.
    """
    line, cleaned = WS.sub("", line), WS.sub("", cleaned)
    mid = len(line) // 2
    probe = line[max(0, mid - 40) : mid + 40]
    return probe in cleaned


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", type=Path)
    ap.add_argument("--examples", type=int, default=3, help="lost content lines to print per site")
    args = ap.parse_args()
    rows = list(csv.DictReader(args.csv.open(encoding="utf-8")))
    before: dict[str, Counter[str]] = defaultdict(Counter)
    after: dict[str, Counter[str]] = defaultdict(Counter)
    kept: Counter[str] = Counter()
    lost: dict[str, list[str]] = defaultdict(list)
    articles: Counter[str] = Counter()
    empty: Counter[str] = Counter()
    cleaned_rows = []
    for row in rows:
        site = host_of(row["url"])
        raw = row["isi_berita"]
        text = scraper.clean_text(raw, url=row["url"]).text
        articles[site] += 1
        empty[site] += not text
        before[site].update(noise_hits(raw))
        after[site].update(noise_hits(text))
        for line in content_lines(raw):
            if survives(line, text):
                kept[site] += 1
            else:
                lost[site].append(line)
        cleaned_rows.append({**row, "isi_berita": text})
    report(articles, empty, before, after, kept, lost, args.examples)
    run_count_dev(args.csv, cleaned_rows)


def report(
    articles: Counter[str],
    empty: Counter[str],
    before: dict[str, Counter[str]],
    after: dict[str, Counter[str]],
    kept: Counter[str],
    lost: dict[str, list[str]],
    examples: int,
) -> None:
    print("Noise families: articles with at least one hit, before -> after cleaning")
    for site in sorted(articles):
        print(f"\n{site} ({articles[site]} articles, {empty[site]} empty after cleaning)")
        for name, _ in NOISE_FAMILIES:
            if before[site][name] or after[site][name]:
                print(f"  {name:<24} {before[site][name]:>4} -> {after[site][name]:>4}")
        total = kept[site] + len(lost[site])
        print(f"  content lines kept       {kept[site]}/{total}")
        for line in lost[site][:examples]:
            print(f"    lost: {line[:160]}")
    all_before = sum(sum(c.values()) for c in before.values())
    all_after = sum(sum(c.values()) for c in after.values())
    all_kept = sum(kept.values())
    all_total = all_kept + sum(len(v) for v in lost.values())
    print(f"\nALL: noise hits {all_before} -> {all_after}; content lines kept {all_kept}/{all_total}")


def run_count_dev(source: Path, cleaned_rows: list[dict[str, str]]) -> None:
    """The shared counter on our output, if it sits where the data does."""
    counter = source.parent.parent.parent / "count_dev.py"
    if not counter.exists():
        return
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", newline="", delete=False) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(cleaned_rows[0]))
        writer.writeheader()
        writer.writerows(cleaned_rows)
    print(f"\n{counter.name} on the cleaned texts:")
    sys.stdout.flush()
    subprocess.run([sys.executable, str(counter), fh.name], check=False)
    Path(fh.name).unlink()


if __name__ == "__main__":
    main()
