"""Entity canonicalisation (pure) and the NER stage on the sample article (real spaCy model)."""

import pytest

from newsfacet.settings import CONFIG_DIR, get_settings
from transforms.entities import canonical_entities, clean_mention, load_entity_config, person_core
from transforms.ner import load_ner


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


def test_lone_surname_tagged_as_org_is_the_person(cfg):
    out = canonical_entities(
        [("Elena Vasquez", "PERSON"), ("Vasquez", "ORG"), ("Millbrook City Council", "ORG"), ("Kerry", "GPE")], cfg
    )
    assert out["persons"] == ["Elena Vasquez"]
    assert out["organizations"] == ["Millbrook City Council"]
    assert out["locations"] == ["Kerry"]  # no person of that surname here: left alone


def test_ner_pipeline_has_only_ner():
    nlp = load_ner(get_settings().spacy_model)
    assert nlp.pipe_names == ["ner"]


def test_ner_results_are_cached_by_text(cfg):
    from transforms.clean import load_rules
    from transforms.entities import extract_entities
    from transforms.ner import ner_cache_key, spacy_ner
    from transforms.records import Article, articles_to_frame

    rules = load_rules(CONFIG_DIR / "boilerplate.toml")
    nlp = spacy_ner(load_ner(get_settings().spacy_model))
    para = "Secretary of State John Kerry met President Vladimir Putin in Sochi on Tuesday."
    frame = articles_to_frame(
        [Article(source_file="a", paragraphs=[para]), Article(source_file="b", paragraphs=[para])]
    )
    first, fresh = extract_entities(frame, nlp, cfg, rules, cache={}, model="m")
    assert list(fresh) == [ner_cache_key("m", para)]  # the shared paragraph ran through NER once
    assert first.counts["texts"] == 2 and first.counts["texts_run_through_ner"] == 1
    assert first.counts["texts_from_cache"] == 0
    assert "John Kerry" in first.frame.iloc[0]["persons"]
    # a cached result is used instead of running the model: a planted value shows through
    planted = {ner_cache_key("m", para): [["Ada Lovelace", "PERSON"], ["Tuesday", "DATE"]]}
    second, fresh2 = extract_entities(frame, nlp, cfg, rules, cache=planted, model="m")
    assert fresh2 == {} and second.counts["texts_from_cache"] == 2 and second.counts["texts_run_through_ner"] == 0
    assert list(second.frame["persons"]) == [["Ada Lovelace"], ["Ada Lovelace"]]
    assert list(second.frame["date_mentions"]) == [["Tuesday"], ["Tuesday"]]


def test_ner_pool_matches_in_process_ner_in_order():
    from transforms.ner import NerPool, spacy_ner

    model = get_settings().spacy_model
    texts = [
        "Secretary of State John Kerry met President Vladimir Putin in Sochi on Tuesday.",
        "The weather was mild.",
        "Angela Merkel spoke in Berlin in February.",
        "",
        "Reuters reported that Microsoft opened an office in Nairobi in 2013.",
    ]
    expected = spacy_ner(load_ner(model))(texts)
    pool = NerPool(model, processes=2, job_texts=2)  # three jobs over two workers: order must hold
    try:
        assert pool(texts) == expected
        assert pool([]) == []
    finally:
        pool.close()
    assert ["John Kerry", "PERSON"] in expected[0] and expected[1] == []
