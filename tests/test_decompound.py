"""German compounds on the real node: the _de fields index a compound's parts, so a part finds the compound.

The articles below were written for this test. The German one uses its nouns only inside compounds
("Stadtratssitzung", "Maßnahmenpaket"), never alone; the English one is on the same subject, so a German
part query that reached it would show a false hit.
"""

from __future__ import annotations

import tomllib

import pytest

from search.load import load_documents
from search.query import SearchRequest, search_articles
from search.schema import ensure_index
from tests.conftest import FIXTURES

GERMAN = {
    "title": "Stadtrat vertagt Entscheidung über Wohnungsbauprogramm",
    "body": (
        "Nach einer mehrstündigen Stadtratssitzung hat die Mehrheit am Donnerstagabend die Abstimmung über das "
        "Wohnungsbauprogramm verschoben. Die Oppositionsfraktionen verlangen zuerst ein Finanzierungskonzept.\n\n"
        "Der Oberbürgermeister kündigte an, das Maßnahmenpaket bis zu den Sommerferien zu überarbeiten. "
        "Mieterverbände kritisierten die Verzögerung: Die Mietpreise in der Innenstadt seien seit Jahresbeginn "
        "weiter gestiegen."
    ),
    "language": "de",
}
ENGLISH = {
    "title": "Council puts off vote on housing programme after long session",
    "body": (
        "After a session that ran past midnight, the city council postponed its vote on the housing programme. "
        "Opposition members want a funding plan first.\n\n"
        "The mayor said the package of measures would be reworked before the summer holidays. Tenants' groups "
        "criticised the delay, saying rents in the city centre have kept rising since the start of the year."
    ),
    "language": "en",
}
COMPOUNDS = tomllib.loads((FIXTURES / "decompound" / "compounds.toml").read_text(encoding="utf-8"))


def _analyze(es, alias, text, **how):
    return [t["token"] for t in es.indices.analyze(index=alias, text=text, **how)["tokens"]]


@pytest.fixture
def index(es, alias):
    ensure_index(es, alias)
    return alias


@pytest.fixture
def articles(es, index):
    # through the loader, which copies each text to its language's fields
    loaded = load_documents(es, [{"_id": doc["language"], **doc} for doc in (GERMAN, ENGLISH)], index)
    assert loaded.counts["indexed"] == 2, loaded.dead_letters
    es.indices.refresh(index=index)
    return index


def _titles(es, alias, query):
    return {h["title"] for h in search_articles(es, alias, SearchRequest(query=query))["hits"]}


def test_analyze_shows_the_parts_of_a_compound_beside_it(es, index):
    def indexed(text):
        return _analyze(es, index, text, field="body_de")

    def queried(text):
        return _analyze(es, index, text, analyzer="german")

    tokens = indexed("Kabinettssitzung")
    assert tokens[0] == "kabinettssitzung" and {"kabinett", "sitzung"} <= set(tokens[1:])
    # inflected, with umlaut and ß: the parts come out normalised and stemmed like the query terms
    assert indexed("Kabinettssitzungen") == tokens
    assert {"massnahmenpaket", "paket"} <= set(indexed("Maßnahmenpakete"))
    assert set(queried("Stadt")) <= set(indexed("Hauptstädte"))
    # the query side (the mapping's search_analyzer) does not split: a compound query stays one term
    assert queried("Kabinettssitzungen") == ["kabinettssitzung"]


def test_most_parts_of_the_hand_written_compounds_are_found(es, index):
    found = missing = 0
    for compound, parts in COMPOUNDS["compounds"].items():
        got = set(_analyze(es, index, compound, field="body_de"))
        for part in parts:
            if _analyze(es, index, part, analyzer="german")[0] in got:
                found += 1
            else:
                missing += 1
    # measured 68 of 74 with the shipped list; the misses are parts under 4 letters ("Zug", "Gas") or
    # outside the 5000 nouns ("Atomkraft")
    assert found / (found + missing) >= 0.9, (found, missing)


def test_letters_mostly_meaning_another_word_are_not_split_off(es, index):
    # the word list leaves out nouns whose letters are mostly part of other words
    for word, wrong in [("Preis", "Reis"), ("Regierung", "Gier"), ("Energiewende", "Ende"), ("Minister", "Mini")]:
        assert _analyze(es, index, wrong, analyzer="german")[0] not in _analyze(es, index, word, field="body_de"), word


def test_a_part_finds_the_german_compound_and_nothing_english(es, articles):
    german = {GERMAN["title"]}
    assert _titles(es, articles, "Sitzung") == german  # "Stadtratssitzung"
    assert _titles(es, articles, "Sitzungen") == german  # an inflected part
    assert _titles(es, articles, "Paket") == german  # "Maßnahmenpaket"
    assert _titles(es, articles, "Preise") == german  # "Mietpreise"
    # whole compounds, inflected, still find their article
    assert _titles(es, articles, "Stadtratssitzungen") == german
    assert _titles(es, articles, "Maßnahmenpakete") == german
    # a compound query does not spread to its parts: "Klimapaket" is in neither article
    assert _titles(es, articles, "Klimapaket") == set()
    # English queries are unchanged
    assert _titles(es, articles, "session") == {ENGLISH["title"]}
