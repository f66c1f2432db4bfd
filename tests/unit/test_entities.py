"""Entity canonicalisation (pure) and the NER stage on the sample article (real spaCy model)."""

import pytest

from newsfacet.settings import CONFIG_DIR, get_settings
from transforms.entities import canonical_entities, clean_mention, load_entity_config, load_ner, person_core


@pytest.fixture(scope="module")
def cfg():
    return load_entity_config(CONFIG_DIR / "entities.toml")


def test_clean_mention():
    assert clean_mention("The State Department\u2019s") == "State Department"
    assert clean_mention("the United States") == "United States"
    assert clean_mention("Putin's") == "Putin"


def test_person_core(cfg):
    assert person_core("Vladimir V. Putin", cfg) == "Vladimir Putin"
    assert person_core("Mr. Kerry", cfg) == "Kerry"
    assert person_core("President Bashar al-Assad", cfg) == "Bashar al-Assad"


def test_surnames_and_honorifics_resolve_to_full_name(cfg):
    mentions = [
        ("John Kerry", "PERSON"),
        ("Kerry", "PERSON"),
        ("Mr. Kerry", "PERSON"),
        ("Vladimir V. Putin", "PERSON"),
        ("Putin", "PERSON"),
        ("Bashar al-Assad", "PERSON"),
        ("Assad", "PERSON"),
        ("Ms. Zakharova", "PERSON"),
    ]
    assert canonical_entities(mentions, cfg)["persons"] == [
        "John Kerry",
        "Vladimir Putin",
        "Bashar al-Assad",
        "Zakharova",
    ]


def test_aliases_junk_and_labels(cfg):
    out = canonical_entities(
        [
            ("US", "GPE"),
            ("U.S.", "GPE"),
            ("the United States", "GPE"),
            ("Email", "PERSON"),
            ("State", "ORG"),
            ("42", "ORG"),
            ("X", "PERSON"),
            ("Sochi", "GPE"),
            ("Cold War", "EVENT"),
            ("more than four hours", "TIME"),
        ],
        cfg,
    )
    assert out == {"persons": [], "organizations": [], "locations": ["United States", "Sochi"], "misc": ["Cold War"]}


def test_ner_pipeline_has_only_ner():
    nlp = load_ner(get_settings().spacy_model)
    assert nlp.pipe_names == ["ner"]
