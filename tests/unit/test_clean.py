"""Paragraph cleaning on small strings, and the golden cleaning of the sample article."""

from pathlib import Path

import pytest

from newsfacet.settings import CONFIG_DIR
from transforms.clean import (
    balance_quotes,
    boilerplate_reason,
    clean_frame,
    is_trailer_heading,
    load_rules,
    normalize_text,
    paragraph_key,
    strip_credits,
)
from transforms.records import Article, articles_to_frame


@pytest.fixture(scope="module")
def rules():
    return load_rules(CONFIG_DIR / "boilerplate.toml")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Email", "share_widget"),
        ("Share | Print | Email", "share_widget"),
        ("Advertisement", "advertisement"),
        ("© 2024 Harbour Times. All rights reserved.", "copyright"),
        ("Sign up for our daily newsletter to get the top stories in your inbox.", "newsletter"),
        ("We use cookies to improve your experience. Accept all cookies", "cookie_prompt"),
        ("Emailing the minister, she asked for a meeting on the budget.", None),
        ("The shop sells cookies. We use cookies from the bakery next door in every box we sell", "cookie_prompt"),
        ("Share on Facebook | Share on X | Email", "share_widget"),
        ("By Dana Whitfield", "byline"),
        ("By Ann Lee and Bo Chan, Reuters", "byline"),
        ("by the river the town slept", None),
        ("Posted on May 14, 2024", "timestamp"),
        ("Updated: 2024-06-10 18:20", "timestamp"),
        ("Published 4 March 2024", "timestamp"),
    ],
)
def test_boilerplate_reason(rules, text, reason):
    assert boilerplate_reason(text, rules) == reason


def test_long_paragraph_mentioning_newsletter_is_kept(rules):
    text = "The company said it would sign up for our newsletter program " + "word " * 60
    assert boilerplate_reason(text, rules) is None


@pytest.mark.parametrize(
    "text", ["Related posts", "Read more", "Most popular", "Related stories:", "You may also like"]
)
def test_trailer_headings(rules, text):
    assert is_trailer_heading(text, rules)


def test_sentence_starting_like_a_heading_is_not_a_trailer(rules):
    assert not is_trailer_heading(
        "Read more about the talks in our live coverage, which continues all day long.", rules
    )


def test_strip_credits(rules):
    caption = "Mr. Kerry in Sochi on Tuesday. Photo by Joshua Roberts/Agence France-Presse — Getty Images."
    assert strip_credits(caption, rules) == "Mr. Kerry in Sochi on Tuesday."
    assert strip_credits("Crowds at the port. (AP Photo/Jane Doe)", rules) == "Crowds at the port."


def test_balance_quotes():
    assert balance_quotes("He said \u201cwith increased focus and purpose.") == (
        "He said \u201cwith increased focus and purpose.\u201d"
    )
    assert balance_quotes("\u201cFine,\u201d he said.") == "\u201cFine,\u201d he said."
    assert balance_quotes('He said "yes.') == 'He said "yes."'


def test_normalize_text_repairs_mojibake_and_spacing():
    assert normalize_text("caf\u00c3\u00a9  \n menu") == "caf\u00e9 menu"
    assert normalize_text("Russia\u2019s") == "Russia\u2019s"  # curly quotes are kept


def test_paragraph_key_ignores_case_space_and_punctuation():
    assert paragraph_key("Hello,  World!") == paragraph_key("hello world")
    assert paragraph_key("hello world") != paragraph_key("hello there")


def test_clean_frame_counts_and_title(rules):
    art = Article(
        source_file="a.txt",
        paragraphs=["Share", "A Title", "First para.", "First para.", "Related posts", "Other story"],
    )
    result = clean_frame(articles_to_frame([art]), rules)
    row = result.frame.iloc[0]
    assert row["title"] == "A Title"
    assert row["paragraphs"] == ["First para."]
    assert result.counts["dropped_share_widget"] == 1
    assert result.counts["dropped_repeated_paragraph"] == 1
    assert result.counts["dropped_trailer"] == 2
    assert {r["reason"] for r in result.rejects} == {"share_widget", "repeated_paragraph", "trailer"}


def test_article_with_only_boilerplate_is_dropped(rules):
    art = Article(source_file="b.txt", paragraphs=["Email", "Advertisement"])
    result = clean_frame(articles_to_frame([art]), rules)
    assert result.frame.empty
    assert result.counts["dropped_no_article_text"] == 1


def test_sample_article_golden(rules, sample_dir):
    from readers import read_file

    [article] = read_file(sample_dir / "000_b6b8575083d17127.txt")
    result = clean_frame(articles_to_frame([article]), rules)
    row = result.frame.iloc[0]
    assert row["title"] == "Kerry Arrives in Russia for Talks With Vladimir Putin on Cooperation"
    assert len(row["captions"]) == 1
    assert row["captions"][0].startswith("After an earlier meeting with President Vladimir V. Putin")
    assert row["paragraphs"][0].startswith("SOCHI, Russia \u2014 Secretary of State John Kerry")
    assert row["paragraphs"][-1].startswith("It is not clear if the Russian military")
    assert len(row["paragraphs"]) == 17
    assert not any(p == "Email" or "Trump" in p or "Related posts" in p for p in row["paragraphs"])
    closed = [p for p in row["paragraphs"] if "with increased focus and purpose" in p]
    assert closed[0].endswith("purpose.\u201d")


def test_site_furniture_is_learned_across_articles(rules):
    from transforms.clean import FurnitureIndex

    furniture = FurnitureIndex(min_articles=3)
    slogan = "Harbour Times: independent news from the coast since 1901."
    arts = [
        Article(
            source_file=f"{i}.txt", source="harbour", title=f"Story {i}", paragraphs=[f"Body text {i} here.", slogan]
        )
        for i in range(3)
    ]
    other_site = Article(source_file="x.txt", source="other", title="X", paragraphs=["Other body.", slogan])
    result = clean_frame(articles_to_frame([*arts, other_site]), rules, furniture)
    kept = dict(zip(result.frame["source_file"], result.frame["paragraphs"], strict=True))
    assert all(kept[f"{i}.txt"] == [f"Body text {i} here."] for i in range(3))
    assert kept["x.txt"] == ["Other body.", slogan]  # seen once on that site: content, not furniture
    assert result.counts["dropped_site_furniture"] == 3
    assert sum(furniture.delta.values()) == 8


def test_furniture_counts_from_earlier_runs_are_used(rules):
    from transforms.clean import FurnitureIndex, paragraph_key

    slogan = "Subscribe to the Harbour Times print edition today."
    stored = {("harbour", paragraph_key(slogan)): 4}
    furniture = FurnitureIndex(min_articles=5, known=lambda keys: {k: stored[k] for k in keys if k in stored})
    art = Article(source_file="a.txt", source="harbour", title="T", paragraphs=["Body.", slogan])
    result = clean_frame(articles_to_frame([art]), rules, furniture)
    assert result.frame.iloc[0]["paragraphs"] == ["Body."]
    assert furniture.counts[("harbour", paragraph_key(slogan))] == 5


def test_absurdly_long_article_is_rejected_not_fatal(rules):
    from transforms.clean import MAX_ARTICLE_CHARS

    long = Article(source_file="long.txt", paragraphs=["T", "word " * (MAX_ARTICLE_CHARS // 5 + 10)])
    fine = Article(source_file="ok.txt", paragraphs=["Title", "A normal paragraph."])
    result = clean_frame(articles_to_frame([long, fine]), rules)
    assert list(result.frame["source_file"]) == ["ok.txt"]
    assert result.counts["dropped_article_too_long"] == 1 and result.counts["articles_total"] == 2


@pytest.mark.parametrize("dateline", ["LONDON 2015-05-12", "WASHINGTON (AP) \u2014", "BOSTON, March 3 (Reuters) -"])
def test_a_dateline_paragraph_is_never_furniture(rules, dateline):
    from transforms.clean import FurnitureIndex

    furniture = FurnitureIndex(min_articles=5)
    arts = [
        Article(
            source_file=f"{i}.txt",
            source="wire",
            title=f"Story {i}",
            paragraphs=[dateline, f"Story {i} body, which differs in every article.", "Wire Service: all the news."],
        )
        for i in range(6)
    ]
    result = clean_frame(articles_to_frame(arts), rules, furniture)
    assert all(paras[0] == dateline for paras in result.frame["paragraphs"])
    assert all("Wire Service: all the news." not in paras for paras in result.frame["paragraphs"])
    assert result.counts["dropped_site_furniture"] == 6  # the slogan still goes
    assert result.counts["datelines_kept"] == 6


def test_a_repeated_dateline_paragraph_is_kept(rules):
    art = Article(source_file="a.txt", title="T", paragraphs=["LONDON 2015-05-12", "Body.", "LONDON 2015-05-12"])
    result = clean_frame(articles_to_frame([art]), rules)
    assert result.frame.iloc[0]["paragraphs"] == ["LONDON 2015-05-12", "Body.", "LONDON 2015-05-12"]


def test_a_dateline_above_the_headline_is_not_the_title(rules):
    art = Article(source_file="a.txt", paragraphs=["LONDON 2015-05-12", "Talks resume in London", "Body text."])
    row = clean_frame(articles_to_frame([art]), rules).frame.iloc[0]
    assert row["title"] == "Talks resume in London"
    assert row["paragraphs"] == ["LONDON 2015-05-12", "Body text."]


@pytest.mark.parametrize(
    "sentence",
    [
        "Published in 1998, the novel sold two million copies.",
        "Modified crops are banned in the country.",
        "Updated plans will be shown to residents on Monday.",
        "Copyright rules for AI training were tightened in 2024.",
    ],
)
def test_boilerplate_rules_do_not_eat_sentences(rules, sentence):
    assert boilerplate_reason(sentence, rules) is None


@pytest.mark.parametrize(
    "line",
    [
        "Published 4 March 2024 | Updated 5 March 2024",
        "Posted by Dana Whitfield on May 14, 2024",
        "Updated 3 hours ago",
        "Last updated at 10:32 GMT, Tuesday 14 May 2024",
    ],
)
def test_timestamp_lines_are_still_dropped(rules, line):
    assert boilerplate_reason(line, rules) == "timestamp"


def _ftfy_path(text: str) -> str:
    """normalize_text without its plain-ASCII shortcut."""
    import unicodedata

    import ftfy

    from transforms.clean import WHITESPACE

    for _ in range(4):
        fixed = WHITESPACE.sub(" ", unicodedata.normalize("NFC", ftfy.fix_text(text, uncurl_quotes=False))).strip()
        if fixed == text:
            break
        text = fixed
    return text


def test_plain_ascii_shortcut_gives_what_ftfy_gives() -> None:
    import random

    from transforms.clean import PLAIN_ASCII

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x20, 0x7F)] + ["\t", "\n", "\r", "\r\n", "  "]
    alphabet += list("\u2013\u2014\u2018\u2019\u201c\u201d\u2026") * 3
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(3000)]
    samples = Path(__file__).resolve().parents[2] / "samples"
    texts += [p for f in samples.rglob("*.txt") for p in f.read_text(encoding="utf-8").split("\n")]
    shortcut = [t for t in texts if PLAIN_ASCII.fullmatch(t)]
    assert len(shortcut) > 1000  # the shortcut is exercised, not only the ftfy path
    for text in texts:
        assert normalize_text(text) == _ftfy_path(text), repr(text)
    # what the shortcut must leave to ftfy
    for text in ("Fish &amp; chips", "caf\u00c3\u00a9", "bell\x07", "\ufb01ne", "it\u00e2\u20ac\u2122s"):
        assert not PLAIN_ASCII.fullmatch(text)
        assert normalize_text(text) == _ftfy_path(text) != text


def test_plain_lines_of_a_long_text_give_what_ftfy_gives() -> None:
    # ftfy works line by line and stops unescaping HTML after the first "<": skipping the plain lines of a
    # long text must not change what it returns
    import random

    rng = random.Random(11)
    lines = [
        "The council met on Tuesday \u2014 \u201cno vote\u201d, it said.",
        "Fish &amp; chips &lt;b&gt;",
        "a < b and c > d",
        "caf\u00c3\u00a9 cr\u00c3\u00a8me",
        "it\u00e2\u20ac\u2122s here",
        "bell\x07 and \ufb01ne",
        "line with\r carriage\r\n",
        "Z\u00fcrich, 3 M\u00e4rz",
        "e\u0301t\u00e9",
        "",
        "   ",
    ]
    texts = ["\n".join(rng.choice(lines) for _ in range(rng.randint(1, 12))) for _ in range(2000)]
    samples = Path(__file__).resolve().parents[2] / "samples"
    texts += [f.read_text(encoding="utf-8") for f in samples.rglob("*.txt")]
    for text in texts:
        assert normalize_text(text) == _ftfy_path(text), repr(text)
