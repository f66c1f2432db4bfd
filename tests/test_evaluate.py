"""`newsfacet evaluate`: the pure pipeline scored against the hand-written gold answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsfacet.evaluate import DEFAULT_GOLD_DIR, Evaluation, evaluate, format_report, load_gold
from tests.conftest import SAMPLE_ARTICLE

SAMPLE_KEY = "000_b6b8575083d17127.txt"
SAMPLE_PERSONS = {"John Kerry", "Vladimir Putin", "Sergey Lavrov", "Maria Zakharova", "Bashar al-Assad"}
needs_sample = pytest.mark.skipif(not SAMPLE_ARTICLE.exists(), reason="team sample article not present")


@pytest.fixture(scope="module")
def run() -> tuple[Evaluation, dict[str, dict], list[dict[str, str]]]:
    """One evaluation, plus the documents and rejects behind it, shared by the tests."""
    from newsfacet import evaluate as module

    captured: dict[str, object] = {}
    original = module.run_pipeline

    def spy(articles: list, notes: list[str] | None = None) -> tuple[list[dict], list[dict[str, str]]]:
        out = original(articles, notes)
        captured.setdefault("out", out)  # the first run is the main gold set; the multilingual one follows
        return out

    module.run_pipeline = spy
    try:
        ev = evaluate(DEFAULT_GOLD_DIR)
    finally:
        module.run_pipeline = original
    documents, rejects = captured["out"]  # type: ignore[misc]
    return ev, {d["source_file"]: d for d in documents}, rejects


def test_gold_file_is_complete() -> None:
    gold = load_gold(DEFAULT_GOLD_DIR)
    required = {"title", "keep", "captions", "drop", "persons", "organizations", "locations", "published_at"}
    for key, answer in gold.items():
        if "exact_duplicate_of" in answer:
            assert answer["exact_duplicate_of"] in gold
            continue
        assert required <= answer.keys(), key
        assert {"dateline", "mentioned_dates", "duplicate_of"} <= answer.keys(), key
        assert all({"starts", "kind"} <= d.keys() for d in answer["drop"]), key
    assert any(a.get("duplicate_of") for a in gold.values())
    assert sum("exact_duplicate_of" in a for a in gold.values()) == 1


def test_structure_and_categories(run: tuple[Evaluation, dict, list]) -> None:
    ev, _, _ = run
    data = ev.to_dict()
    assert {"boilerplate", "dedup", "entities", "dates", "misses", "notes"} <= data.keys()
    assert {"persons", "organizations", "locations", "all"} <= data["entities"].keys()
    assert {"published_at", "dateline", "mentioned_dates"} <= data["dates"].keys()
    assert {"dropped", "kept", "captions", "titles"} <= data["boilerplate"].keys()
    for figure in (data["boilerplate"]["dropped"], data["entities"]["all"], data["dates"]["mentioned_dates"]):
        assert {"tp", "fp", "fn", "precision", "recall", "f1"} <= figure.keys()
    assert len(ev.articles) >= 7
    json.dumps(data)  # serialisable as it stands
    text = format_report(ev)
    assert "boilerplate" in text and "entities" in text and "dates" in text


def test_floors_that_hold_today(run: tuple[Evaluation, dict, list]) -> None:
    ev, _, _ = run
    assert ev.dropped.recall is not None and ev.dropped.recall >= 0.7
    assert ev.kept.recall is not None and ev.kept.recall >= 0.9
    assert ev.entities["persons"].recall is not None and ev.entities["persons"].recall >= 0.8
    assert ev.published_at.value is not None and ev.published_at.value >= 0.8


def test_exact_duplicate_dropped(run: tuple[Evaluation, dict, list]) -> None:
    ev, docs, rejects = run
    assert ev.exact_duplicates.correct == ev.exact_duplicates.total == 1
    assert "coastal-wire.jsonl!3" not in docs
    assert {"source_file": "coastal-wire.jsonl!3", "reason": "exact_duplicate"}.items() <= next(
        r for r in rejects if r["source_file"] == "coastal-wire.jsonl!3" and r["stage"] == "dedupe"
    ).items()
    assert ev.false_exact_drops == 0


def test_trailer_paragraphs_dropped(run: tuple[Evaluation, dict, list]) -> None:
    ev, docs, _ = run
    trailer = ev.drop_recall_by_kind["trailer"]
    assert trailer.correct == trailer.total > 0
    doc = docs["tidewater-2024-05-14-dam-removal.txt"]
    assert not any(p.startswith(("Related stories", "Salmon return", "County approves")) for p in doc["paragraphs"])


@needs_sample
def test_sample_article(run: tuple[Evaluation, dict, list]) -> None:
    ev, docs, _ = run
    doc = docs[SAMPLE_KEY]
    assert set(doc["persons"]) >= SAMPLE_PERSONS
    assert not {"Email", "Trump", "Donald Trump", "Biden", "Harris"} & set(doc["persons"])
    assert len(doc["captions"]) == 1 and doc["captions"][0].startswith("After an earlier meeting")
    assert doc["published_at"].startswith("2015-05-12")
    assert doc["dateline"] == "Sochi, Russia"
    assert {"2015-05-12", "2015-02"} <= set(doc["mentioned_dates"])
    assert not any("persons:" in m for m in ev.misses.get(SAMPLE_KEY, []))


def test_missing_external_article_is_a_note(tmp_path: Path) -> None:
    gold = {
        "articles": {
            "absent.txt": {"path": "../no/such/article.txt", "title": "x", "keep": [], "captions": [], "drop": []},
            "one.txt": {
                "title": "A Short Title",
                "keep": ["The harbour reopened"],
                "captions": [],
                "drop": [{"starts": "Advertisement", "kind": "advertisement"}],
                "persons": [],
                "organizations": [],
                "locations": [],
                "published_at": None,
                "dateline": None,
                "mentioned_dates": [],
                "duplicate_of": None,
            },
        }
    }
    (tmp_path / "gold.json").write_text(json.dumps(gold), encoding="utf-8")
    (tmp_path / "one.txt").write_text(
        "A Short Title\n\nThe harbour reopened to small boats after the storm.\n\nAdvertisement\n", encoding="utf-8"
    )
    ev = evaluate(tmp_path)
    assert any("absent.txt" in n and "not found" in n for n in ev.notes)
    assert ev.articles == ["one.txt"]
    assert ev.titles.correct == 1 and ev.kept.tp == 1 and ev.dropped.tp == 1


def test_cli_json(capsys: pytest.CaptureFixture[str], run: tuple[Evaluation, dict, list]) -> None:
    from newsfacet.cli import main

    assert main(["evaluate", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"boilerplate", "dedup", "entities", "dates"} <= data.keys()
    assert data["dedup"]["exact_duplicates"]["correct"] == 1


def test_multilingual_section(run: tuple[Evaluation, dict, list]) -> None:
    """The multilingual gold (tests/fixtures/multilingual): every language right, no NER where no model runs."""
    ev, _, _ = run
    ml = ev.multilingual
    assert ml is not None and len(ml.articles) == 7
    assert ml.language.correct == ml.language.total == 7
    assert ml.no_model_clean.correct == ml.no_model_clean.total == 4
    assert ml.published_at.correct == ml.published_at.total == 3
    assert ml.french.entities["persons"].recall is not None and ml.french.entities["persons"].recall >= 0.75
    assert "multilingual" in ev.to_dict() and "multilingual" in format_report(ev)


def test_syndicated_copies_in_one_and_two_runs(run: tuple[Evaluation, dict, list]) -> None:
    ev, _, _ = run
    assert set(ev.syndicated) == {"one run", "two runs", "second-run copies"}
    pairs = ev.syndicated["one run"].tp + ev.syndicated["one run"].fn
    assert pairs >= 300 and ev.syndicated["two runs"].tp + ev.syndicated["two runs"].fn == pairs
    assert 0 < ev.syndicated["second-run copies"].tp + ev.syndicated["second-run copies"].fn < pairs
    for counts in ev.syndicated.values():  # the goals of issue 15
        assert counts.recall is not None and counts.recall >= 0.95
        assert counts.precision is not None and counts.precision >= 0.98
    assert "syndicated copies, two runs" in format_report(ev)
    assert ev.to_dict()["dedup"]["syndicated_copies"]["second-run copies"]["recall"] >= 0.95
