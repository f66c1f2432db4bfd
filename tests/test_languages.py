"""Many languages in one dump, on the real node: language per document, NER per language, language analyzers.

The dump is tests/fixtures/multilingual (en, fr, de, es, ru and zh articles written for these tests; their
gold.json answers were written by reading them).
"""

import json
import shutil

import pytest

from newsfacet.cli import main
from search.query import SearchRequest, search_articles
from search.schema import ensure_index

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")

from tests.conftest import FIXTURES  # noqa: E402

DUMP = FIXTURES / "multilingual"
GOLD = json.loads((DUMP / "gold.json").read_text(encoding="utf-8"))["articles"]


@pytest.fixture
def ingested(es, alias, tmp_path):
    dump = tmp_path / "dump"
    shutil.copytree(DUMP, dump, ignore=shutil.ignore_patterns("gold.json"))
    assert main(["ingest", "--alias", alias, str(dump)]) == 0
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=100)["hits"]["hits"]
    return {h["_source"]["source_file"].rsplit("/", 1)[-1]: h["_source"] for h in hits}


def test_every_document_has_its_language_and_the_facet_counts_them(es, alias, ingested):
    assert {name: doc["language"] for name, doc in ingested.items()} == {k: v["language"] for k, v in GOLD.items()}
    resp = es.search(index=alias, size=0, aggs={"l": {"terms": {"field": "language"}}})
    counts = {b["key"]: b["doc_count"] for b in resp["aggregations"]["l"]["buckets"]}
    assert counts == {"fr": 2, "en": 1, "de": 1, "es": 1, "ru": 1, "zh": 1}


def test_french_articles_carry_french_entities_and_others_none_from_the_english_model(ingested):
    marseille = ingested["fr-greve-port-marseille.txt"]
    assert {"Pierre Garnier", "Alain Vidalies"} <= set(marseille["persons"])
    assert {"Marseille", "Paris"} <= set(marseille["locations"])
    assert "CGT" in marseille["organizations"]
    assert {"Marie Lefèvre", "Alain Rousset"} <= set(ingested["fr-vignoble-bordeaux.txt"]["persons"])
    for name, answer in GOLD.items():
        if "no_model_locations" in answer:
            doc = ingested[name]
            assert doc["persons"] == doc["organizations"] == doc["misc"] == [], name
            assert set(doc["locations"]) <= set(answer["no_model_locations"]), name
    english = ingested["en-harbour-ferry.txt"]
    assert {"Margaret Olsen", "Tom Reilly"} <= set(english["persons"])


def test_language_boilerplate_and_dates(ingested):
    marseille = ingested["fr-greve-port-marseille.txt"]
    assert marseille["published_at"] == "2015-05-12"
    assert "2015-05-11" in marseille["mentioned_dates"]  # "hier", said on Tuesday 12 May
    body = marseille["body"]
    for boilerplate in ("Lire aussi", "cookies", "Partager", "Le port du Havre"):
        assert boilerplate not in body
    assert ingested["de-kabinett-klimapaket.txt"]["published_at"] == "2019-09-20"
    assert "Mehr zum Thema" not in ingested["de-kabinett-klimapaket.txt"]["body"]
    assert "Noticias relacionadas" not in ingested["es-sequia-andalucia.txt"]["body"]


def _analyze(es, alias, field, text):
    return [t["token"] for t in es.indices.analyze(index=alias, field=field, text=text)["tokens"]]


def test_language_fields_stem_on_the_real_node(es, alias):
    ensure_index(es, alias)
    assert _analyze(es, alias, "body_fr", "syndicats") == _analyze(es, alias, "body_fr", "syndicat")
    assert _analyze(es, alias, "body_de", "Kabinettssitzungen") == _analyze(es, alias, "body_de", "Kabinettssitzung")
    assert _analyze(es, alias, "body_de", "Strasse") == _analyze(es, alias, "body_de", "Straße")
    assert _analyze(es, alias, "body_es", "embalses") == _analyze(es, alias, "body_es", "embalse")
    assert _analyze(es, alias, "body_ru", "станции") == _analyze(es, alias, "body_ru", "станция")
    assert _analyze(es, alias, "body_cjk", "北京地铁") == ["北京", "京地", "地铁"]  # CJK bigrams


def _titles(es, alias, query):
    result = search_articles(es, alias, SearchRequest(query=query, facets=("language",)))
    return {h["title"] for h in result["hits"]}


def test_search_finds_each_language_through_its_analyzer(es, alias, ingested):
    # a French plural finds the singular ("syndicats" -> "syndicat CGT")
    assert _titles(es, alias, "syndicats") == {"Grève au port de Marseille : les dockers bloquent les terminaux"}
    # a German compound, inflected, finds its article ("Kabinettssitzungen" -> "Kabinettssitzung")
    assert _titles(es, alias, "Kabinettssitzungen") == {"Kabinett beschließt Klimapaket nach langer Sitzung"}
    # Spanish and Russian plurals, Chinese words inside unsegmented text
    assert _titles(es, alias, "embalse") == {"La sequía obliga a restringir el riego en Andalucía"}
    assert _titles(es, alias, "станции") == {"В Москве открыли новую станцию метро"}
    assert _titles(es, alias, "地铁") == {"北京地铁新线开通运营"}
    # English is searched as before
    assert _titles(es, alias, "crossing") == {"Harbour Board Approves New Ferry Timetable After Months of Complaints"}


def test_each_article_is_copied_to_its_own_language_fields_only(ingested):
    copies = {
        name: sorted(k for k in doc if k.startswith(("title_", "body_", "captions_"))) for name, doc in ingested.items()
    }
    assert copies["fr-greve-port-marseille.txt"] == ["body_fr", "title_fr"]
    assert copies["de-kabinett-klimapaket.txt"] == ["body_de", "title_de"]
    assert copies["zh-beijing-subway.txt"] == ["body_cjk", "title_cjk"]
    assert ingested["ru-moskva-metro.txt"]["body_ru"] == ingested["ru-moskva-metro.txt"]["body"]
    assert copies["en-harbour-ferry.txt"] == []
