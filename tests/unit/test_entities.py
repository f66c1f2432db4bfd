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


def test_ner_multiplies_through_numpy_blas_on_one_thread():
    """blis picks a generic kernel on CPUs it does not know (Zen 3+); the model's layers use numpy's BLAS."""
    from threadpoolctl import threadpool_info

    nlp = load_ner(get_settings().spacy_model)
    # the layers that multiply through ops.gemm (the per-step output layer goes through spaCy's own cblas)
    layers = [layer for layer in nlp.get_pipe("ner").model.walk() if layer.name in ("maxout", "precomputable_affine")]
    assert {layer.name for layer in layers} == {"maxout", "precomputable_affine"}
    assert all(getattr(layer.ops, "use_blis", None) is False for layer in layers)
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)
    doc = nlp("Secretary of State John Kerry met President Vladimir Putin in Sochi on Tuesday.")
    assert ("Vladimir Putin", "PERSON") in [(e.text, e.label_) for e in doc.ents]


def test_ner_results_are_cached_per_part_and_model_reads_whole_articles(cfg):
    from transforms.clean import load_rules
    from transforms.entities import extract_entities
    from transforms.ner import ner_cache_key, spacy_ner
    from transforms.records import Article, articles_to_frame

    rules = load_rules(CONFIG_DIR / "boilerplate.toml")
    model_ner = spacy_ner(load_ner(get_settings().spacy_model))
    seen: list[str] = []

    def ner(texts: list[str]) -> list[list[list[str]]]:
        seen.extend(texts)
        return model_ner(texts)

    para = "Secretary of State John Kerry met President Vladimir Putin in Sochi on Tuesday."
    extra = "Sergey Lavrov said the talks in Sochi were useful."
    frame = articles_to_frame(
        [
            Article(source_file="a", title="Kerry in Russia", paragraphs=[para]),
            Article(source_file="b", title="Kerry in Russia", paragraphs=[para, extra]),
        ]
    )
    first = extract_entities(frame, ner, cfg, rules, cache={}, model="m")
    # one text per article: the title and the body together; b runs only the part a did not already run
    assert seen == [f"Kerry in Russia.\n\n{para}", extra]
    assert set(first.ner_cache) == {ner_cache_key("m", t) for t in ("Kerry in Russia.", para, extra)}
    assert first.result.counts["texts"] == 5 and first.result.counts["texts_run_through_ner"] == 3
    assert first.result.counts["ner_runs"] == 2 and first.result.counts["texts_from_cache"] == 0
    assert "John Kerry" in first.result.frame.iloc[0]["persons"]
    assert "Sergey Lavrov" in first.result.frame.iloc[1]["persons"]
    # a cached result is used instead of running the model: a planted value shows through
    seen.clear()
    planted = {
        ner_cache_key("m", "Kerry in Russia."): [],
        ner_cache_key("m", para): [["Ada Lovelace", "PERSON"], ["Tuesday", "DATE"]],
    }
    second = extract_entities(frame, ner, cfg, rules, cache=planted, model="m")
    assert seen == [extra] and set(second.ner_cache) == {ner_cache_key("m", extra)}
    assert second.result.counts["texts_from_cache"] == 4
    assert list(second.result.frame.iloc[0]["persons"]) == ["Ada Lovelace"]
    assert list(second.result.frame["date_mentions"]) == [["Tuesday"], ["Tuesday"]]


def planted_ner(results: dict[str, list[list[str]]]):
    """A NerFn answering from a table (mention lists by exact text), to test what the stage does with them."""

    def run(texts: list[str]) -> list[list[list[str]]]:
        return [results.get(t, []) for t in texts]

    return run


def test_name_in_headline_takes_its_type_from_the_body_and_the_corpus(cfg):
    from transforms.clean import load_rules
    from transforms.entities import extract_entities
    from transforms.records import Article, articles_to_frame

    rules = load_rules(CONFIG_DIR / "boilerplate.toml")
    title, body = "Marsh to lead party.", "Helen Marsh, 52, was elected on Tuesday. Marsh said she was honoured."
    frame = articles_to_frame([Article(source_file="a", title=title[:-1], paragraphs=[body])])
    ner = planted_ner(
        {f"{title}\n\n{body}": [["Marsh", "ORG"], ["Helen Marsh", "PERSON"], ["Tuesday", "DATE"], ["Marsh", "PERSON"]]}
    )
    out = extract_entities(frame, ner, cfg, rules, model="m")
    assert out.result.frame.iloc[0]["persons"] == ["Helen Marsh"]
    assert out.result.frame.iloc[0]["organizations"] == []
    assert out.type_votes == {"Helen Marsh": {"persons": 1}, "Marsh": {"persons": 1}}  # the headline does not vote

    # a name the corpus mostly calls an organization is one, whatever the model says here
    frame = articles_to_frame([Article(source_file="b", paragraphs=["Labour said the plan was costed."])])
    ner = planted_ner({"Labour said the plan was costed.": [["Labour", "PERSON"]]})
    assert extract_entities(frame, ner, cfg, rules, model="m").result.frame.iloc[0]["persons"] == []
    ner = planted_ner({"Ofwat said the plan was costed.": [["Ofwat", "PERSON"]]})
    frame = articles_to_frame([Article(source_file="c", paragraphs=["Ofwat said the plan was costed."])])
    counts = {"Ofwat": {"organizations": 9, "persons": 1}}
    got = extract_entities(frame, ner, cfg, rules, model="m", type_counts=counts).result.frame.iloc[0]
    assert got["organizations"] == ["Ofwat"] and got["persons"] == []
    counts = {"Ofwat": {"organizations": 2, "persons": 1}}  # too few votes, or too split, to decide
    got = extract_entities(frame, ner, cfg, rules, model="m", type_counts=counts).result.frame.iloc[0]
    assert got["persons"] == ["Ofwat"]


def test_type_votes_decide_and_give_one_display_form(cfg):
    from transforms.entities import TypeVotes

    votes = TypeVotes({"Lib Dems": {"organizations": 5}, "Lib Dem": {"organizations": 2, "persons": 1}}, cfg)
    assert votes.field_of("Lib Dem") == "organizations" and votes.field_of("lib dems") == "organizations"
    assert votes.display("Lib Dem") == "Lib Dems" and votes.display("Unknown Name") == "Unknown Name"
    split = TypeVotes({"Jordan": {"persons": 3, "locations": 3}}, cfg)
    assert split.field_of("Jordan") is None


def test_plural_and_broadcaster_forms_fold(cfg):
    from transforms.entities import TypeVotes

    votes = TypeVotes({"Greens": {"organizations": 4}, "Green": {"organizations": 1}}, cfg)
    out = canonical_entities([("Greens", "ORG"), ("Green", "ORG"), ("BBC News", "ORG"), ("BBC", "ORG")], cfg, votes)
    assert out["organizations"] == ["Greens", "BBC"]
    out = canonical_entities([("Lib Dems", "PERSON"), ("Lib Dem", "NORP"), ("the Tories", "NORP")], cfg)
    assert out["organizations"] == ["Liberal Democrats", "Conservative Party"] and out["persons"] == []


def test_known_non_entities_never_become_values(cfg):
    mentions = [
        ("GMT", "ORG"),
        ("BST", "ORG"),
        ("Monday", "PERSON"),
        ("Pts", "ORG"),
        ("GD", "ORG"),
        ("PREMIER LEAGUE", "ORG"),
        ("May", "PERSON"),
        ("NATO", "ORG"),
    ]
    out = canonical_entities(mentions, cfg)
    assert out == {"persons": [], "organizations": ["NATO"], "locations": [], "misc": []}
    # a month is a surname when the article names the person in full
    out = canonical_entities([("Theresa May", "PERSON"), ("Mrs May", "PERSON"), ("May", "DATE")], cfg)
    assert out["persons"] == ["Theresa May"]


def test_results_and_standings_lines():
    from transforms.entities import NerPiece, is_results_line, is_section_label, results_names

    for line in ("Arsenal 2 Chelsea 1", "Leeds 3-1 Hull", "1 Leeds United 37 23 10 4 +45 79", "-12 Rory McIlroy 73 65"):
        assert is_results_line(line), line
    for line in ("Turnout was 31 per cent, the lowest since 2015.", "Leeds United beat Hull City 3-1 at Elland Road."):
        assert not is_results_line(line), line
    assert is_section_label("PREMIER LEAGUE") and is_section_label("Pos Team Pld W D L GD Pts")
    assert not is_section_label("BBC") and not is_section_label("Arsenal 2 Chelsea 1")
    line = "Draper (GB) bt Alcaraz (Spa) 6-4 7-6; Brighton & Hove Albion 3 Fulham 2"
    names = results_names(NerPiece(line, [(0, len(line), "results")]))
    assert [(n.name, n.athlete) for n in names] == [
        ("Draper", True),
        ("Alcaraz", True),
        ("Brighton & Hove Albion", False),
        ("Fulham", False),
    ]


def test_clubs_in_results_are_organizations_and_athletes_persons(cfg):
    from transforms.clean import load_rules
    from transforms.entities import extract_entities
    from transforms.records import Article, articles_to_frame

    rules = load_rules(CONFIG_DIR / "boilerplate.toml")
    model = spacy_ner_fn()
    frame = articles_to_frame(
        [
            Article(
                source_file="a",
                title="Weekend results",
                paragraphs=["CHAMPIONSHIP", "Leeds 3-1 Hull", "Sunderland 2-0 Norwich"],
            ),
            Article(
                source_file="b",
                title="Draper into the final",
                paragraphs=[
                    "Jack Draper beat Carlos Alcaraz in Indian Wells.",
                    "Result: Draper (GB) bt Alcaraz (Spa) 6-4 7-6.",
                ],
            ),
        ]
    )
    out = extract_entities(frame, model, cfg, rules, model="m").result.frame
    assert sorted(out.iloc[0]["organizations"]) == ["Hull", "Leeds", "Norwich", "Sunderland"]
    assert out.iloc[0]["persons"] == [] and out.iloc[0]["locations"] == []
    assert sorted(out.iloc[1]["persons"]) == ["Carlos Alcaraz", "Jack Draper"]
    assert out.iloc[1]["organizations"] == []


def spacy_ner_fn():
    from transforms.ner import spacy_ner

    return spacy_ner(load_ner(get_settings().spacy_model))


def test_merge_type_votes_keeps_known_and_repeated_names():
    from transforms.entities import merge_type_votes

    into = {"Labour": {"organizations": 3}}
    inner = into["Labour"]
    merge_type_votes(into, {"Labour": {"organizations": 1, "persons": 1}, "Once": {"persons": 1}, "Twice": {"misc": 2}})
    assert into == {"Labour": {"organizations": 4, "persons": 1}, "Twice": {"misc": 2}}
    assert inner == {"organizations": 3}  # replaced, not changed in place: a snapshot may still be read


def test_job_slices_by_texts_and_characters():
    from transforms.ner import job_slices

    texts = ["a" * 10, "b" * 10, "c" * 50, "d" * 5, "e" * 200]
    assert job_slices(texts, max_texts=2, max_chars=1000) == [texts[0:2], texts[2:4], texts[4:5]]
    assert job_slices(texts, max_texts=10, max_chars=60) == [texts[0:2], texts[2:4], texts[4:5]]
    assert job_slices([], 2, 10) == []


def test_manifest_remembers_type_votes(tmp_path):
    from newsfacet.manifest import Manifest

    m = Manifest(tmp_path / "state.sqlite", "articles")
    m.add_entity_type_counts("m", {"Lib Dems": {"organizations": 1}, "Lib Dem": {"persons": 1}, "Once": {"persons": 1}})
    m.add_entity_type_counts("m", {"Lib Dems": {"organizations": 1}})
    m.add_entity_type_counts("other", {"Once": {"persons": 5}})
    assert m.entity_type_counts("m") == {"Lib Dems": {"organizations": 2}, "Lib Dem": {"persons": 1}}
    assert m.entity_type_counts("m", min_total=1)["Once"] == {"persons": 1}
    m.close()


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


def test_ner_keeps_no_new_words_between_calls():
    """A long-lived NER worker reads names, numbers and typos it never saw; its vocab must not keep them."""
    from transforms.ner import spacy_ner

    nlp = load_ner(get_settings().spacy_model)
    ner = spacy_ner(nlp)
    ner(["Angela Merkel spoke in Berlin."])
    strings = len(nlp.vocab.strings)
    for batch in range(3):  # every batch brings words no batch before had
        texts = [f"Olvar Brenquist{batch}x{i} met officials of Zentrocorp{batch}x{i} in Paris." for i in range(20)]
        found = ner(texts)
        assert len(nlp.vocab.strings) == strings
    # what left the zone is plain data, the same as the docs gave inside it
    assert found == [[[ent.text, ent.label_] for ent in nlp(text).ents] for text in texts]
    assert all(type(part) is str for ents in found for ent in ents for part in ent)
    assert any(ent[0] == "Paris" for ents in found for ent in ents)


def test_batch_size_counts_characters_not_texts():
    from transforms.ner import batch_for

    assert batch_for(["a" * 300] * 10, 64) == 64  # paragraphs: the setting as it stands
    assert batch_for(["a" * 3200] * 10, 64) == 6  # whole articles: the same characters per batch
    assert batch_for(["a" * 500_000], 64) == 1 and batch_for([], 64) == 64


def test_other_language_model_groups_and_skips_english_context_rules(cfg):
    from transforms.clean import load_rules
    from transforms.entities import extract_entities
    from transforms.records import Article, articles_to_frame

    rules = load_rules(CONFIG_DIR / "boilerplate.toml")
    fr = [
        "Publié le 12 mai 2015",  # a date line shaped like a results line to the English rules
        "MARSEILLE (AFP) — Le président de la région Nouvelle-Aquitaine, Alain Rousset, a parlé.",
    ]
    frame = articles_to_frame(
        [
            Article(source_file="fr", paragraphs=fr, language="fr"),
            Article(source_file="en", paragraphs=["Helen Marsh spoke in Leeds."], language="en"),
            Article(source_file="de", paragraphs=["Olaf Scholz sprach."], language="de"),
        ]
    )
    frame["dateline"] = ["Marseille", None, None]
    seen: dict[str, list[str]] = {}

    def fr_ner(texts: list[str]) -> list[list[list[str]]]:
        seen.setdefault("fr", []).extend(texts)
        return [[["Nouvelle-Aquitaine", "LOC"], ["Alain Rousset", "PER"]] for _ in texts]

    def en_ner(texts: list[str]) -> list[list[list[str]]]:
        seen.setdefault("m", []).extend(texts)
        return [[["Helen Marsh", "PERSON"], ["Leeds", "GPE"]] for _ in texts]

    out = extract_entities(
        frame, en_ner, cfg, rules, model="m", models={"en": "m", "fr": "fr"}, ner_for=lambda m: {"fr": fr_ner}[m]
    )
    rows = out.result.frame.to_dict("records")
    # one text per article, through its language's model; the dateline spelled out where it stands
    assert len(seen["fr"]) == 1 and "Marseille \u2014 Le président" in seen["fr"][0] and "AFP" not in seen["fr"][0]
    assert seen["m"] == ["Helen Marsh spoke in Leeds."]
    assert rows[0]["persons"] == ["Alain Rousset"] and rows[0]["organizations"] == []
    assert rows[0]["locations"] == ["Marseille", "Nouvelle-Aquitaine"]
    assert rows[1]["persons"] == ["Helen Marsh"] and rows[1]["locations"] == ["Leeds"]
    assert rows[2]["persons"] == [] and out.result.counts["no_model_de"] == 1


def test_word_before_matches_a_search_of_the_whole_window() -> None:
    """_word_before looks only from the last space; a regex search of the 40-character window is the reference."""
    import random
    import re

    from transforms.entities import _word_before

    # (the old pattern ended in " $", which also matched across a line break: "Reform \nUK")
    reference = re.compile(r"(\w[\w'\-]*) \Z")
    rng = random.Random(3)
    pieces = ["Reform", "UK", " ", " ", "  ", "-", "'", "(", "\n", "é", "x" * 45, "Lib", "Dem", ".", "3"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        for start in range(len(text) + 1):
            want = reference.search(text, max(0, start - 40), start) if start > 0 else None
            got = _word_before(text, start)
            assert (want and (want.group(1), want.start())) == (got and (got.group(1), got.start())), (text, start)
