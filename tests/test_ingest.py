"""End to end: the sample article through the flow into the real node, and the CLI around it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsfacet.cli import main
from search.schema import write_alias

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")


def facet(es, alias, field):
    resp = es.search(index=alias, size=0, aggs={"f": {"terms": {"field": field, "size": 100}}})
    return {b["key"]: b["doc_count"] for b in resp["aggregations"]["f"]["buckets"]}


def test_sample_article_facets(es, alias, sample_dir):
    assert main(["ingest", "--alias", alias, str(sample_dir)]) == 0
    es.indices.refresh(index=alias)
    persons = facet(es, alias, "persons")
    for name in ("John Kerry", "Vladimir Putin", "Sergey Lavrov", "Maria Zakharova", "Bashar al-Assad"):
        assert persons.get(name) == 1, (name, persons)
    for noise in ("Email", "Trump", "Biden", "Harris", "Kerry", "Mr. Kerry", "Joshua Roberts"):
        assert noise not in persons
    doc = es.search(index=alias, size=1)["hits"]["hits"][0]["_source"]
    assert doc["title"] == "Kerry Arrives in Russia for Talks With Vladimir Putin on Cooperation"
    assert doc["published_at"] == "2015-05-12"
    assert doc["dateline"] == "Sochi, Russia"
    assert len(doc["captions"]) == 1 and "Photo by Joshua Roberts" in doc["captions"][0]
    assert not any("Photo by" in p for p in doc["paragraphs"])
    assert "Related posts" not in doc["body"] and "Trump" not in doc["body"]
    assert "United States" in doc["locations"]
    assert {"2015-05-12", "2015-02"} <= set(doc["mentioned_dates"])
    assert doc["word_count"] > 500


def test_rerun_keeps_count(es, alias, sample_dir):
    assert main(["ingest", "--alias", alias, str(sample_dir)]) == 0
    first = es.count(index=alias)["count"]
    ids = {h["_id"] for h in es.search(index=alias, size=100)["hits"]["hits"]}
    assert main(["ingest", "--alias", alias, str(sample_dir)]) == 0
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == first == 1
    assert {h["_id"] for h in es.search(index=alias, size=100)["hits"]["hits"]} == ids


def test_console_script_ingest_and_search(alias, sample_dir, tmp_path):
    exe = Path(sys.executable).parent / "newsfacet"
    env = dict(os.environ)
    run = subprocess.run(
        [exe, "ingest", "--alias", alias, "--json", str(sample_dir)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["stages"]["load"]["indexed"] == 1
    assert report["stages"]["clean"]["dropped_trailer"] == 4
    out = subprocess.run(
        [exe, "search", "--alias", alias, "--json", "Putin", "--facet", "persons"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["total"] == 1
    assert dict(result["facets"]["persons"])["Vladimir Putin"] == 1
    assert dict(result["facets"]["published_per_month"]) == {"2015-05": 1}
    assert any("<em>Putin</em>" in frag for frag in result["hits"][0]["highlight"])


def test_bad_file_is_quarantined_and_rest_loads(es, alias, sample_dir, tmp_path, cache_dir):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "good.txt").write_text((sample_dir / "000_b6b8575083d17127.txt").read_text())
    (dump / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    (dump / "empty.txt").write_text("")
    assert main(["ingest", "--alias", alias, str(dump)]) == 3  # finished, with files quarantined
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 1
    lines = [json.loads(x) for x in (cache_dir / "runs" / "quarantine.jsonl").read_text().splitlines()]
    assert {Path(x["path"]).name: x["reason"] for x in lines} == {
        "binary.txt": "binary content in a text file",
        "empty.txt": "empty file",
    }


def test_unreachable_cluster_is_one_line(alias, sample_dir):
    from newsfacet.devstack.procs import free_port

    env = {**os.environ, "ELASTICSEARCH_URL": f"http://127.0.0.1:{free_port()}"}
    run = subprocess.run(
        [Path(sys.executable).parent / "newsfacet", "ingest", "--alias", alias, str(sample_dir)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    ours = [line for line in run.stderr.splitlines() if line.startswith("newsfacet:")]
    assert len(ours) == 1, run.stderr
    assert ours[0].startswith("newsfacet: Elasticsearch at http://127.0.0.1:") and ours[0].endswith(
        "is not reachable (ConnectionError)"
    )


def test_write_alias_points_at_one_index(es, alias, sample_dir):
    assert main(["ingest", "--alias", alias, str(sample_dir)]) == 0
    assert len(es.indices.get_alias(name=write_alias(alias))) == 1


def test_ner_processes_default_to_one_per_core():
    from flows.ingest import ner_processes
    from newsfacet.settings import get_settings

    base = get_settings()
    auto = base.model_copy(update={"n_process": 0, "task_runner": "thread"})
    assert ner_processes(None, auto) == (os.cpu_count() or 1)
    assert ner_processes(3, auto) == 3  # the run parameter wins
    assert ner_processes(None, auto.model_copy(update={"n_process": 1})) == 1
    # a Dask worker runs spaCy itself: no extra processes under it
    assert ner_processes(None, auto.model_copy(update={"task_runner": "dask"})) == 1


def test_chunk_arguments_are_emptied_once_loaded(es, alias, tmp_path, monkeypatch):
    """Prefect keeps every task's arguments until the flow ends, so the flow empties a chunk's once the chunk
    is loaded. The type-vote snapshot was missed: a 100k run held one per chunk (BENCHMARKS.md, Memory)."""
    import flows.ingest as fi
    from tests.test_faults import run_flow, write_articles

    seen: list[tuple[dict, dict, int]] = []
    real = fi.enrich_chunk

    def recording(frame, cfg, ingested_at, ner_cache, ner, type_counts):
        seen.append((type_counts, ner_cache, len(type_counts)))
        return real(frame, cfg, ingested_at, ner_cache, ner, type_counts)

    monkeypatch.setattr(fi, "enrich_chunk", recording)
    paths = write_articles(tmp_path / "dump", 24)
    for i, path in enumerate(paths):  # a name said twice in an article's prose counts as a vote of its chunk
        path.write_text(
            path.read_text() + f"\nPetra Lunde of the Port Authority signed permit {i}. Petra Lunde left.\n"
        )
    # 8 chunks: the votes of the first are merged once it is loaded, while the fourth is being enriched
    report = run_flow(paths, alias, batch_size=3)
    assert report["stages"]["load"]["indexed"] == 24
    assert len(seen) >= 8
    assert any(n for _, _, n in seen), "later chunks should see the votes of earlier ones"
    assert all(not votes and not cached for votes, cached, _ in seen)
