"""Dates in the article's language: publish dates, mentioned dates (the English fast paths stay English-only)."""

from datetime import date

import pytest

from transforms.dates import find_date_mentions, find_publish_date, parse_date, resolve_mentioned_date
from transforms.records import Article, articles_to_frame

PUB = date(2015, 5, 14)  # a Thursday


@pytest.mark.parametrize(
    ("language", "phrase", "expected"),
    [
        ("fr", "12 mai 2015", "2015-05-12"),
        ("fr", "1er juin 2014", "2014-06-01"),
        ("de", "12. Mai 2015", "2015-05-12"),
        ("es", "12 de mayo de 2015", "2015-05-12"),
        ("ru", "12 мая 2015", "2015-05-12"),
        ("fr", "hier", "2015-05-13"),
        ("fr", "la semaine dernière", "2015-05-07"),
        ("de", "gestern", "2015-05-13"),
        ("es", "ayer", "2015-05-13"),
        ("fr", "mardi", "2015-05-12"),
        ("fr", "2013", "2013"),
    ],
)
def test_mentioned_dates_in_the_article_language(language, phrase, expected):
    assert resolve_mentioned_date(phrase, PUB, language) == expected


def test_english_phrases_keep_the_english_rules():
    assert resolve_mentioned_date("Tuesday", PUB, "en") == "2015-05-12"
    assert resolve_mentioned_date("six months", PUB, "en") is None


@pytest.mark.parametrize(
    ("language", "texts", "expected"),
    [
        ("fr", ["Publié le 12 mai 2015 à 10h04"], "2015-05-12"),
        ("fr", ["PARIS, 3 février 2016 (AFP) - Le gouvernement a présenté mercredi son budget."], "2016-02-03"),
        ("de", ["BERLIN, 12. Mai 2015 – Die Bundesregierung hat am Dienstag beschlossen."], "2015-05-12"),
        ("de", ["Veröffentlicht am 12.05.2015"], "2015-05-12"),
        ("es", ["Madrid, 12 de mayo de 2015. El Gobierno aprobó el martes el plan."], "2015-05-12"),
        ("zh", ["新华社北京2015年5月12日电 国务院周二公布了计划。"], "2015-05-12"),
    ],
)
def test_publish_date_in_the_article_language(language, texts, expected):
    assert find_publish_date(None, texts, language=language) == expected


def test_numeric_metadata_dates_are_read_day_first_in_a_german_article():
    assert parse_date("03.04.2024", "de") == "2024-04-03"
    assert parse_date("2024-04-03T08:00:00Z", "de") == "2024-04-03T08:00:00+00:00"


def test_date_mentions_found_where_the_ner_model_tags_none():
    text = "Hier, le ministre a confirmé la réforme du 1er juin 2015, annoncée la semaine dernière."
    assert find_date_mentions([text], "fr") == ["Hier", "1er juin 2015", "la semaine dernière"]
    assert find_date_mentions([text], "ru") == []


def test_stage_resolves_french_mentions_against_the_publish_date():
    from transforms.dates import extract_publish_dates, resolve_mentioned_dates

    frame = articles_to_frame(
        [
            Article(
                source_file="fr.txt",
                language="fr",
                title="Le budget adopté",
                paragraphs=["Publié le 14 mai 2015", "Le Parlement a adopté hier le budget présenté mardi."],
            )
        ]
    )
    dated = extract_publish_dates(frame).frame
    assert dated["published_at"][0] == "2015-05-14"
    dated["date_mentions"] = [[]]
    out = resolve_mentioned_dates(dated).frame
    assert out["mentioned_dates"][0] == ["2015-05-14", "2015-05-13", "2015-05-12"]
