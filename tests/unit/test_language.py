"""Language detection (pure): ISO 639-1 or und, metadata when the text agrees."""

import pytest

from transforms.language import (
    UNDETERMINED,
    article_language,
    detect_language,
    detect_languages,
    detection_sample,
    normalize_language_tag,
)
from transforms.records import Article, articles_to_frame

# Written for these tests.
TEXTS = {
    "en": "The harbour board approved a new ferry timetable on Thursday after months of complaints from commuters.",
    "fr": "Le conseil du port a approuvé jeudi de nouveaux horaires pour le ferry, après des mois de plaintes des usagers.",
    "de": "Der Hafenrat hat am Donnerstag einen neuen Fahrplan für die Fähre beschlossen, nach monatelangen Beschwerden.",
    "es": "La junta del puerto aprobó el jueves un nuevo horario para el ferry tras meses de quejas de los pasajeros.",
    "ru": "Совет порта в четверг утвердил новое расписание парома после многомесячных жалоб пассажиров.",
    "zh": "港务委员会周四批准了新的渡轮时刻表，此前乘客抱怨了好几个月。",
}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_each_language_is_detected_from_one_paragraph(language):
    assert detect_language("", [TEXTS[language]]) == (language, "detected")


def test_too_short_is_und():
    assert detect_language("Brexit", []) == (UNDETERMINED, "too_short")
    assert detect_language("", ["   ", ""]) == (UNDETERMINED, "too_short")


def test_a_short_chinese_headline_is_enough():
    assert detect_language("油价连续第四周上涨", []) == ("zh", "detected")


def test_half_and_half_is_mixed():
    text_en = " ".join([TEXTS["en"]] * 3)
    text_fr = " ".join([TEXTS["fr"]] * 3)
    assert detect_language("", [text_en, text_fr]) == (UNDETERMINED, "mixed")


def test_one_foreign_quote_does_not_flip_the_article():
    paragraphs = [
        TEXTS["en"],
        TEXTS["en"].replace("Thursday", "Friday"),
        "« Enfin ! », a dit une passagère.",
        TEXTS["en"],
    ]
    assert detect_language("Ferry timetable approved", paragraphs)[0] == "en"


def test_only_the_first_thousand_characters_are_read():
    sample = detection_sample("Title", [TEXTS["en"]] * 50)
    pieces = 1 + 1000 // len(TEXTS["en"]) + 1  # the title and the paragraphs that fit, joined by one space
    assert 1000 <= sum(map(len, sample)) <= 1000 + pieces


@pytest.mark.parametrize(
    ("tag", "iso"),
    [("en-US", "en"), ("fr_FR", "fr"), ("DE", "de"), ("fra", "fr"), ("ger", "de"), ("", None), ("English", None)],
)
def test_metadata_tags_normalise_to_iso_639_1(tag, iso):
    assert normalize_language_tag(tag) == iso


def test_metadata_wins_when_the_text_agrees():
    assert article_language("fr-FR", "", [TEXTS["fr"]]) == ("fr", "metadata_confirmed")
    # Galician metadata on a text py3langid reads as Portuguese, with Galician close behind: metadata stays
    assert article_language("gl", "", ["O Governo promete construir 50 mil casas nos próximos cinco anos."]) == (
        "gl",
        "metadata_close",
    )


def test_text_wins_when_metadata_is_a_site_default():
    assert article_language("en", "", [TEXTS["ru"]]) == ("ru", "metadata_overridden")


def test_metadata_is_kept_when_the_text_is_too_short():
    assert article_language("de", "Kurz", []) == ("de", "metadata_unchecked")


def test_stage_sets_language_on_every_row_and_counts():
    frame = articles_to_frame(
        [
            Article(source_file="a", paragraphs=[TEXTS["de"]]),
            Article(source_file="b", paragraphs=[TEXTS["es"]], language="es"),
            Article(source_file="c", paragraphs=["Ok."]),
        ]
    )
    result = detect_languages(frame)
    assert list(result.frame["language"]) == ["de", "es", UNDETERMINED]
    assert result.counts["lang_de"] == 1 and result.counts["metadata_confirmed"] == 1
    assert result.counts["und_too_short"] == 1
