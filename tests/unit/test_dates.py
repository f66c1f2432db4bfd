"""Publish dates, datelines and mentioned dates."""

from datetime import date
from pathlib import Path

import pytest

from newsfacet.evaluate import score_dateline_gold
from transforms.dates import (
    dateline_for_ner,
    extract_publish_dates,
    find_dateline,
    find_publish_date,
    load_places,
    parse_date,
    parse_dateline,
    places_of_dateline,
    resolve_mentioned_date,
)
from transforms.records import Article, articles_to_frame

GOLD = Path(__file__).resolve().parents[1] / "fixtures" / "gold"

PUB = date(2015, 5, 12)  # a Tuesday


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Tuesday", "2015-05-12"),
        ("Monday", "2015-05-11"),
        ("Wednesday", "2015-05-06"),
        ("February", "2015-02"),
        ("June", "2014-06"),
        ("last month", "2015-04"),
        ("2013", "2013"),
        ("May 12, 2015", "2015-05-12"),
        ("recent months", None),
        ("six months", None),
        ("two days", None),
        ("14-year history", None),
        ("the 1960s", None),
        ("the past few years", None),
    ],
)
def test_resolve_mentioned_date(phrase, expected):
    assert resolve_mentioned_date(phrase, PUB) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["By Reuters on Publish Date May 12, 2015. Photo by X/Y."], "2015-05-12"),
        (["Published 4 March 2024"], "2024-03-04"),
        (["Posted on: 2024-03-04T10:15:00Z"], "2024-03-04T10:15:00+00:00"),
        (["Tue, 12 May 2015 08:30:00 +0000 and more"], "2015-05-12T08:30:00+00:00"),
        (["Nothing dated here."], None),
    ],
)
def test_find_publish_date_from_text(texts, expected):
    assert find_publish_date(None, texts) == expected


def test_dropped_posted_line_still_gives_the_date():
    raw = "Title\n\nBy Dana Whitfield\n\nPosted on May 14, 2024\n\nBody mentions 12 May 2013."
    assert find_publish_date(None, ["Title", "Body mentions 12 May 2013."], raw_text=raw) == "2024-05-14"


def test_updated_date_only_when_nothing_says_published():
    assert find_publish_date(None, ["Updated: 2024-06-10", "Published 4 March 2024"]) == "2024-03-04"
    assert find_publish_date(None, ["Updated: 2024-06-10 18:20"]) == "2024-06-10T18:20:00"


def test_metadata_date_wins():
    assert find_publish_date("2020-01-02", ["Published 4 March 2024"]) == "2020-01-02"


def test_labelled_date_beats_a_date_in_the_lead():
    assert find_publish_date(None, ["The 2013 agreement of 12 May 2013", "Published: 4 March 2024"]) == "2024-03-04"


def test_parse_date_keeps_time_only_when_given():
    assert parse_date("12 May 2015") == "2015-05-12"
    assert parse_date("not a date") is None


@pytest.mark.parametrize(
    ("paragraph", "dateline"),
    [
        ("SOCHI, Russia \u2014 Secretary of State John Kerry held talks", "Sochi, Russia"),
        ("WASHINGTON (Reuters) - The Senate voted", "Washington"),
        ("NEW YORK \u2014 Stocks rose", "New York"),
        ("After an earlier meeting \u2014 he left", None),
        ("Berlin \u2014 a city of contrasts", None),
    ],
)
def test_parse_dateline(paragraph, dateline):
    assert parse_dateline(paragraph) == dateline


def test_a_leap_day_resolves_to_the_last_29_february_on_or_before_the_publish_date():
    assert resolve_mentioned_date("February 29", date(2023, 1, 15)) == "2020-02-29"
    assert resolve_mentioned_date("Feb. 29", date(2024, 3, 1)) == "2024-02-29"
    assert resolve_mentioned_date("February 29, 2023", date(2024, 3, 1)) is None  # no such day


@pytest.mark.parametrize(
    ("phrase", "base", "expected"),
    [
        ("next month", date(2024, 1, 31), "2024-02"),  # said to point forward: counted forward
        ("next month", date(2024, 12, 3), "2025-01"),
        ("last month", date(2024, 1, 3), "2023-12"),
        ("tomorrow", date(2015, 5, 12), "2015-05-13"),
        ("next week", date(2015, 5, 12), "2015-05-19"),
        ("last Tuesday", date(2015, 5, 12), "2015-05-05"),  # 12 May 2015 was a Tuesday
        ("this Tuesday", date(2015, 5, 14), "2015-05-12"),
        ("December", date(2015, 5, 12), "2014-12"),  # most recent December on or before
        ("March 2016", date(2015, 5, 12), "2016-03"),  # a year given is never moved
        ("May 20", date(2015, 5, 12), "2014-05-20"),
        ("the 12th of May", date(2015, 5, 12), "2015-05-12"),
        ("in Sept.", date(2015, 5, 12), "2014-09"),
        ("earlier this year", date(2015, 5, 12), "2015"),
    ],
)
def test_relative_phrases(phrase, base, expected):
    assert resolve_mentioned_date(phrase, base) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2015-05-12",
        "2015-05-12T10:00:00Z",
        "2015-05-12T10:00:00.250+02:00",
        "2015-05-12 10:00",
        "Tue, 12 May 2015 10:00:00 +0000",
        "Tue, 12 May 2015 10:00:00 GMT",
        "May 12, 2015",
        "12 May 2015",
        "Sept. 1, 2015",
        "1st March 2016",
    ],
)
def test_parse_date_fast_paths_agree_with_dateparser(text):
    import dateparser

    from transforms.dates import _parse_common_date

    fast = _parse_common_date(text)
    assert fast is not None  # the fast path took it
    slow = dateparser.parse(text, languages=["en"], settings={"STRICT_PARSING": True})
    assert fast == slow


# --- wire datelines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "dateline", "places"),
    [
        ("SPRINGFIELD, Ill., March 3 - Lawmakers met.", "Springfield, Ill.", ["Springfield", "Illinois"]),
        ("SANTA ROSA, Calif., March 3 – Fire crews left.", "Santa Rosa, Calif.", ["Santa Rosa", "California"]),
        ("Halifax, Nova Scotia, March 3 -- The port.", "Halifax, Nova Scotia", ["Halifax", "Nova Scotia"]),
        ("WASHINGTON (Reuters) - The Senate voted.", "Washington", ["Washington"]),
        ("ELKHART (AP) — A plant closed.", "Elkhart", ["Elkhart"]),
        ("Paris, France (AFP) - Farmers marched.", "Paris, France", ["Paris", "France"]),
        ("LONDON, March 3 (Reuters) - Oil rose.", "London", ["London"]),
        ("ST. JOHN'S, N.L. — A trawler ran aground.", "St. John's, N.L.", ["St. John's", "Newfoundland and Labrador"]),
        ("CUSCO, PERU — Tourists waited.", "Cusco, Peru", ["Cusco", "Peru"]),
        ("AUSTIN, TX — Lawmakers met.", "Austin, TX", ["Austin", "Texas"]),
        ("LONDON 2015-05-12", "London", ["London"]),
        ("WASHINGTON (AP) —", "Washington", ["Washington"]),
        ("THE HAGUE (ANP) - Police said.", "The Hague", ["The Hague"]),
        ("BEIRUT/DUBAI (Reuters) - Banks reopened.", "Beirut/Dubai", ["Beirut", "Dubai"]),
    ],
)
def test_wire_datelines(paragraph, dateline, places):
    found = find_dateline(paragraph)
    assert found is not None and found.text == dateline and found.places == places


@pytest.mark.parametrize(
    "paragraph",
    [
        "Coal — the fuel that built the valley — is now mined by fewer than 200 people.",
        "COAL — Prices for thermal coal fell 4% last week.",
        "ORE - Iron ore futures slipped.",
        "BREAKING — Two people were injured.",
        "UPDATED March 3, 2024",
        "Posted May 14, 2024",
        "Paris — the city of light — has never felt darker.",
        "Apple, Google, March 3 - A timeline of the cases.",
        "LONDON-based lenders rallied on Tuesday.",
        "UNDATED (AP) — Storms swept the plains.",
        "“LONDON is finished,” the banker said — and laughed.",
    ],
)
def test_not_datelines(paragraph):
    assert find_dateline(paragraph) is None


def test_dateline_gold_set_is_at_least_97_percent_exact():
    scores = score_dateline_gold(GOLD / "datelines.toml")
    assert scores.positives.total >= 100 and scores.negatives.total >= 30
    assert scores.exact.value >= 0.97, scores.misses


def test_places_of_dateline_spell_out_known_abbreviations():
    assert places_of_dateline("Springfield, Ill.") == ["Springfield", "Illinois"]
    assert places_of_dateline("Kelowna, B.C.") == ["Kelowna", "British Columbia"]
    assert places_of_dateline("Sochi, Russia") == ["Sochi", "Russia"]
    assert places_of_dateline("Washington") == ["Washington"]
    assert places_of_dateline("Dover, Kent") == ["Dover"]  # an unknown region adds nothing


def test_dateline_for_ner_spells_the_place_out_and_drops_agency_and_date():
    assert dateline_for_ner("LONDON, March 3 (Reuters) - Oil rose.") == "London \u2014 Oil rose."
    assert dateline_for_ner("SPRINGFIELD, Ill. — Lawmakers met.") == "Springfield, Illinois \u2014 Lawmakers met."
    assert dateline_for_ner("LONDON 2015-05-12") == "London"
    assert dateline_for_ner("No dateline here.") == "No dateline here."


def test_a_broken_place_table_names_its_file(tmp_path):
    bad = tmp_path / "places.toml"
    bad.write_text("[us_states]\n")
    with pytest.raises(ValueError, match="places.toml"):
        load_places(bad)


# --- publish dates only from evidence -----------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraphs", "raw", "expected"),
    [
        (["SPRINGFIELD, Ill., March 3, 2024 — Lawmakers met."], "", "2024-03-03"),
        (["LONDON 2015-05-12", "The talks began."], "", "2015-05-12"),
        (["Tuesday, 12 May 2015", "The talks began."], "", "2015-05-12"),
        (["May 14, 2024 — The council voted."], "", "2024-05-14"),
        (["Body.", "More body."], "Title\n\nMay 14, 2024\n\nBody.", "2024-05-14"),
        # no evidence: a month-day without a year, a bare year, a copyright year, a date inside a sentence
        (["SPRINGFIELD, Ill., March 3 — Lawmakers met."], "", None),
        (["The dam was built in 1921 and rebuilt in 1950."], "", None),
        (["The council met.", "© 2024 Tidewater Gazette"], "Copyright 2024 Tidewater Gazette", None),
        (["The strike began on March 3, 2019, and lasted a year."], "", None),
        (["The council met.", "Later.", "Still later.", "May 14, 2024 — a fourth paragraph."], "", None),
        (["The study, published May 3, 2019, in a journal, found more."], "", None),
    ],
)
def test_publish_date_only_from_evidence(paragraphs, raw, expected):
    assert find_publish_date(None, paragraphs, raw_text=raw) == expected


def test_a_label_in_a_caption_still_counts():
    caption = "Kerry met Lavrov. By Reuters on Publish Date May 12, 2015. Photo by X."
    assert find_publish_date(None, ["Body without a date."], labelled=[caption]) == "2015-05-12"


def test_articles_without_evidence_are_counted_missing():
    arts = [
        Article(source_file="a.txt", title="A", paragraphs=["It happened in 1920, said the plaque."]),
        Article(source_file="b.txt", title="B", paragraphs=["LONDON 2015-05-12", "Talks began."]),
        Article(source_file="c.txt", title="C", paragraphs=["Body."], raw_text="C\n\nCopyright 2024 C Ltd."),
    ]
    frame = articles_to_frame(arts)
    frame["captions"] = [[] for _ in arts]
    result = extract_publish_dates(frame)
    assert [v if isinstance(v, str) else None for v in result.frame["published_at"]] == [None, "2015-05-12", None]
    assert [v if isinstance(v, str) else None for v in result.frame["dateline"]] == [None, "London", None]
    assert result.counts["published_missing"] == 2
