"""Publish dates, datelines and mentioned dates."""

from datetime import date

import pytest

from transforms.dates import find_publish_date, parse_date, parse_dateline, resolve_mentioned_date

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
