"""NER per language: each article through its language's model, none for a language without one (real models)."""

import pytest

from newsfacet.settings import CONFIG_DIR, get_settings
from transforms.clean import load_rules
from transforms.entities import canonical_entities, extract_entities, load_entity_config
from transforms.ner import NerPool, load_ner, local_ner, ner_cache_key, spacy_ner
from transforms.records import Article, articles_to_frame

FR_MODEL = "fr_core_news_sm"
# Written for these tests.
FR = "Le président Emmanuel Macron a reçu mardi à Paris la présidente de la Commission européenne."
DE = "Die Bundesregierung hat am Mittwoch in Berlin das Klimapaket nach der Kabinettssitzung beschlossen."
EN = "Mayor Jane Holloway opened the new bridge in Plymouth with Network Rail engineers."


@pytest.fixture(scope="module")
def cfg():
    return load_entity_config(CONFIG_DIR / "entities.toml")


def test_french_labels_map_to_our_fields(cfg):
    mentions = [
        ("Emmanuel Macron", "PER"),
        ("Paris", "LOC"),
        ("Commission européenne", "ORG"),
        ("Tour de France", "MISC"),
    ]
    assert canonical_entities(mentions, cfg) == {
        "persons": ["Emmanuel Macron"],
        "organizations": ["Commission européenne"],
        "locations": ["Paris"],
        "misc": ["Tour de France"],
    }


def test_each_language_gets_its_model_and_none_without_one(cfg):
    rules = load_rules(CONFIG_DIR / "boilerplate.toml")
    en_model = get_settings().spacy_model
    models = {"en": en_model, "fr": FR_MODEL}
    frame = articles_to_frame(
        [
            Article(source_file="fr", paragraphs=[FR], language="fr"),
            Article(source_file="de", paragraphs=[DE], language="de"),
            Article(source_file="en", paragraphs=[EN], language="en"),
            Article(source_file="und", paragraphs=["Ok."], language="und"),
        ]
    )
    found = extract_entities(frame, spacy_ner(load_ner(en_model)), cfg, rules, {}, en_model, models, local_ner())
    result, fresh = found.result, found.ner_cache
    rows = {r["source_file"]: r for r in result.frame.to_dict("records")}
    assert "Emmanuel Macron" in rows["fr"]["persons"] and "Paris" in rows["fr"]["locations"]
    assert rows["de"]["persons"] == rows["de"]["organizations"] == rows["de"]["locations"] == []
    assert "Jane Holloway" in rows["en"]["persons"]
    assert result.counts["no_model_de"] == 1 and result.counts["no_model_und"] == 1
    # the cache key names the model: the same text through another model is another entry
    assert set(fresh) == {ner_cache_key(FR_MODEL, FR), ner_cache_key(en_model, EN)}


def test_pool_serves_a_second_model_on_first_use():
    pool = NerPool(get_settings().spacy_model, processes=1)
    try:
        assert pool.for_model(FR_MODEL)([FR]) == spacy_ner(load_ner(FR_MODEL))([FR])
    finally:
        pool.close()
