"""Fingerprints follow updates (issue 16): when a URL's text changes, its old content fingerprint is
released, so the original text arriving later under a new URL is indexed, not dropped as a duplicate of
a document that no longer holds it. Real node, real Prefect server, separate runs."""

from __future__ import annotations

import json

import pytest

from tests.test_faults import refreshed_count, run_flow

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")

ORIGINAL = (
    "The harbour board in Bergen approved the new deep-water quay on Tuesday after a consultation that "
    "lasted two years and drew four hundred letters from residents and fishing crews."
)
UPDATED = (
    "The harbour board in Bergen delayed its vote on the new deep-water quay on Tuesday, saying the "
    "engineers needed another month to study the seabed survey and the tide tables."
)


def dump(folder, name, *records):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records))


def story(url, text, date):
    return {"url": url, "title": "Quay vote in Bergen", "text": text, "date": date}


def bodies(es, alias):
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=10, query={"match_all": {}})["hits"]["hits"]
    return {h["_source"]["url"]: h["_source"]["body"] for h in hits}


@pytest.mark.timeout(300)
def test_updated_text_releases_its_old_fingerprint_across_runs(es, alias, tmp_path):
    first, second = "https://harbourtimes.example/quay", "https://coastwire.example/bergen-quay"
    dump(tmp_path / "run1", "day1.jsonl", story(first, ORIGINAL, "2024-05-01"))
    assert run_flow([tmp_path / "run1"], alias)["stages"]["load"]["indexed"] == 1
    # the same URL, new text: the document is overwritten and no longer holds the original text
    dump(tmp_path / "run2", "day2.jsonl", story(first, UPDATED, "2024-05-02"))
    assert run_flow([tmp_path / "run2"], alias)["stages"]["load"]["indexed"] == 1
    assert bodies(es, alias) == {first: UPDATED}
    # the original text under another URL is new: before, it was dropped as a copy of `first`
    dump(tmp_path / "run3", "day3.jsonl", story(second, ORIGINAL, "2024-05-03"))
    report = run_flow([tmp_path / "run3"], alias)
    assert report["stages"]["dedupe"].get("dropped_exact_duplicate", 0) == 0
    assert report["stages"]["load"]["indexed"] == 1
    assert bodies(es, alias) == {first: UPDATED, second: ORIGINAL}
    # a real copy of the text a document holds now is still a duplicate
    dump(tmp_path / "run4", "day4.jsonl", story("https://mirror.example/quay", UPDATED, "2024-05-04"))
    report = run_flow([tmp_path / "run4"], alias)
    assert report["stages"]["dedupe"]["dropped_exact_duplicate"] == 1
    assert refreshed_count(es, alias) == 2


@pytest.mark.timeout(300)
def test_update_and_original_under_a_new_url_in_one_run(es, alias, tmp_path):
    first, second = "https://harbourtimes.example/quay", "https://coastwire.example/bergen-quay"
    dump(tmp_path / "run1", "day1.jsonl", story(first, ORIGINAL, "2024-05-01"))
    run_flow([tmp_path / "run1"], alias)
    # the update comes first (earlier date), then the original text under a new URL, in the same run
    dump(tmp_path / "run2", "day2.jsonl", story(first, UPDATED, "2024-05-02"), story(second, ORIGINAL, "2024-05-03"))
    report = run_flow([tmp_path / "run2"], alias)
    assert report["stages"]["load"]["indexed"] == 2
    assert bodies(es, alias) == {first: UPDATED, second: ORIGINAL}
