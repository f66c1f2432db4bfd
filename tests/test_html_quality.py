"""HTML pages: our body text is never worse than trafilatura's own extraction of the same page.

Pure: readers and cleaning only, no Elasticsearch or Prefect. Gold bodies were written by reading each
page (tests/fixtures/gold/html-bodies.toml).
"""

from pathlib import Path

import pytest
import trafilatura

from newsfacet.evaluate import HTML_GOLD, our_body, page_with_script, score_html_bodies, token_f1
from readers.html import _is_prose, extract_page, strip_non_text, word_units

GOLD = Path(__file__).parent / "fixtures" / "gold"
HTML = Path(__file__).parent / "fixtures" / "html"


@pytest.fixture(scope="module")
def scores():
    return score_html_bodies(GOLD / HTML_GOLD)


def test_the_gold_covers_the_fixture_pages(scores):
    pages = {s.page for s in scores}
    assert {p.name for p in HTML.glob("*.html")} <= pages
    assert {"ferry-fine.html", "islay-distillery-expansion.html", "links-only.html"} <= pages
    assert any("MB <script>" in p for p in pages)


def test_ours_is_at_least_trafilaturas_on_every_page(scores):
    worse = [(s.page, round(s.ours, 3), round(s.trafilatura, 3)) for s in scores if s.ours < s.trafilatura]
    assert not worse


def test_every_article_page_is_indexed(scores):
    import tomllib

    with (GOLD / HTML_GOLD).open("rb") as fh:
        empty = {Path(p["path"]).name for p in tomllib.load(fh)["page"] if not p["body"].strip()}
    for s in scores:
        if s.page in empty:
            assert s.outcome == "no article text in HTML"  # a page of headline links: a reason a person accepts
        else:
            assert s.outcome == "indexed", s


@pytest.mark.parametrize("where", ["</head>", "<article>", "</body>"])
def test_a_megabyte_script_block_changes_nothing(where):
    page = (GOLD.parent / "dumps" / "ferry-fine.html").read_bytes()
    blob = b"<script>var bundle = '" + b"<div>x</div>" * 120_000 + b"';</script>"  # 1.4 MB, with markup inside
    heavy = page.replace(where.encode(), blob + where.encode() if where != "<article>" else where.encode() + blob)
    assert len(heavy) > 1_400_000
    assert our_body("heavy.html", heavy) == our_body("plain.html", page)
    assert our_body("heavy.html", heavy)[1] == "indexed"


def test_a_page_over_libxml2s_text_limit_still_extracts():
    page = (HTML / "wire-senate-vote.html").read_bytes()
    heavy = page_with_script(page, 11_000_000)
    assert trafilatura.extract(heavy) is None  # trafilatura alone gets nothing from it
    body, outcome = our_body("heavy.html", heavy)
    assert outcome == "indexed" and body.startswith("WASHINGTON (AP)")


def test_strip_non_text_keeps_json_ld_and_handles_open_elements():
    html = (
        '<head><script type="application/ld+json">{"datePublished": "2024-09-27"}</script>'
        "<style>p{}</style><script>var a = '</div>';</script></head><body><p>Text</p>"
        '<img src="data:image/png;base64,' + "A" * 5000 + '"><noscript>Enable JS</noscript><script>never closed'
    )
    out = strip_non_text(html)
    assert "datePublished" in out and "<p>Text</p>" in out
    assert "p{}" not in out and "var a" not in out and "Enable JS" not in out and "never closed" not in out
    assert "AAAA" not in out
    assert strip_non_text(html.encode()) == out.encode()


def test_prose_check_reads_scripts_without_spaces_or_latin_punctuation():
    assert _is_prose("市交通局は十三日、来月一日から市営バスの深夜便を増やすと発表した。")
    assert _is_prose("विभाग ने तटीय जिलों में भारी बारिश की चेतावनी भी जारी की है।")
    assert _is_prose("สมาคมผู้ส่งออกข้าวไทยระบุว่าราคาข้าวหอมมะลิในสัปดาห์นี้ปรับตัวสูงขึ้นมากที่สุดในรอบห้าปี")
    assert not _is_prose("トップ 地域 スポーツ 天気")
    assert not _is_prose("Home News Sport Weather")
    assert word_units("東京都") == 1


def test_shift_jis_page_is_extracted():
    page = extract_page((HTML / "jp-shiftjis-bus.html").read_bytes().decode("shift_jis"))
    assert page is not None and page.language == "ja" and "深夜便" in page.paragraphs[0]


def test_no_publish_date_from_a_copyright_footer():
    html = (HTML / "undated-copyright.html").read_text()
    assert trafilatura.bare_extraction(html, with_metadata=True).date == "2024-01-01"  # what htmldate guesses
    page = extract_page(html)
    assert page is not None and page.date is None


def test_token_f1():
    assert token_f1("The cat sat.", "the cat sat") == 1.0
    assert token_f1("", "") == 1.0
    assert token_f1("dog", "cat") == 0.0
    assert 0.6 < token_f1("東京都は晴れ", "東京都は雨") < 0.9


def test_a_brief_that_favor_precision_misses_gets_trafilaturas_defaults():
    # A CMS "brief" template that wraps the whole story in <header>: favor_precision drops it as page chrome.
    story = "The paper mill on River Road will close in June after 90 years, its owner told the 140 workers on Friday."
    html = (
        f"<html><body><nav><a href='/'>Home</a></nav><header class='entry-header'><p>{story}</p></header></body></html>"
    )
    assert "paper mill" not in (trafilatura.extract(html, favor_precision=True) or "")
    page = extract_page(html)
    assert page is not None and page.paragraphs == [story]
