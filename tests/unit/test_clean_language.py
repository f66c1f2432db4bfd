"""Boilerplate rules scoped by language ([lang.<code>] tables in config/boilerplate.toml)."""

from pathlib import Path

import pytest

from transforms.clean import clean_frame, load_rules
from transforms.records import Article, articles_to_frame

RULES = load_rules(Path(__file__).resolve().parents[2] / "config" / "boilerplate.toml")

# Written for these tests.
BODY = {
    "fr": [
        "Le conseil du port a approuvé jeudi de nouveaux horaires pour le ferry.",
        "Les usagers se plaignaient depuis des mois.",
    ],
    "de": [
        "Der Hafenrat hat am Donnerstag einen neuen Fahrplan beschlossen.",
        "Die Fahrgäste hatten sich monatelang beschwert.",
    ],
    "es": [
        "La junta del puerto aprobó el jueves un nuevo horario para el ferry.",
        "Los pasajeros se quejaban desde hacía meses.",
    ],
}
FURNITURE = {
    "fr": (
        ["Partager Imprimer", "Nous utilisons des cookies pour mesurer l'audience.", "Lire aussi : Le port en grève"],
        ["À lire aussi", "Le ferry de nuit supprimé", "Grève au port"],
    ),
    "de": (
        [
            "Teilen Drucken",
            "Wir verwenden Cookies, um unsere Seite zu verbessern.",
            "Newsletter abonnieren und nichts verpassen",
        ],
        ["Mehr zum Thema", "Neuer Fahrplan ab Juni", "Streik im Hafen"],
    ),
    "es": (
        ["Compartir Imprimir", "Utilizamos cookies propias y de terceros.", "Suscríbete a nuestro boletín diario"],
        ["Noticias relacionadas", "Nuevo horario desde junio", "Huelga en el puerto"],
    ),
}


@pytest.mark.parametrize("language", sorted(BODY))
def test_language_rules_drop_widgets_prompts_and_trailers(language):
    inline, trailer = FURNITURE[language]
    paragraphs = [BODY[language][0], *inline, BODY[language][1], *trailer]
    frame = articles_to_frame([Article(source_file="a", title="T", paragraphs=paragraphs, language=language)])
    result = clean_frame(frame, RULES)
    assert result.frame["paragraphs"][0] == BODY[language]
    assert result.counts["dropped_trailer"] == len(trailer)


def test_language_rules_apply_only_to_their_language():
    # An English article quoting "Lire aussi" keeps it; the shared (English) rules still apply to it
    paragraphs = ["The port board approved the timetable.", "Lire aussi", "Related posts", "Port strike ends"]
    frame = articles_to_frame([Article(source_file="a", title="T", paragraphs=paragraphs, language="en")])
    assert clean_frame(frame, RULES).frame["paragraphs"][0] == paragraphs[:2]


def test_shared_rules_still_apply_to_a_french_article():
    paragraphs = [BODY["fr"][0], "Advertisement", BODY["fr"][1], "Related posts", "Port strike ends"]
    frame = articles_to_frame([Article(source_file="a", title="T", paragraphs=paragraphs, language="fr")])
    assert clean_frame(frame, RULES).frame["paragraphs"][0] == BODY["fr"]
