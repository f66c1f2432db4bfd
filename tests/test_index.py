"""Versioned indices, alias swaps under live reads, rollback, strict mapping, and faceted search."""

from __future__ import annotations

import json
import threading

import pytest
from elasticsearch import helpers

from newsfacet.cli import main
from search import aliases
from search.load import load_documents
from search.query import SearchRequest, search_articles
from search.schema import SchemaChanged, ensure_index, write_alias

pytestmark = pytest.mark.usefixtures("cache_dir")


def seed(es, alias, n=200):
    ensure_index(es, alias)
    docs = [
        {
            "_index": write_alias(alias),
            "_id": f"d{i}",
            "title": f"Talks in {'Sochi' if i % 2 else 'Minsk'} number {i}",
            "body": "Putin met Kerry" if i % 3 == 0 else "Lavrov spoke",
            "persons": ["Vladimir Putin"] if i % 3 == 0 else ["Sergey Lavrov"],
            "locations": ["Russia"],
            "source": "wire" if i % 4 else "paper",
            "published_at": f"2015-{1 + i % 12:02d}-10",
            "cluster_id": f"c{i // 2}",
        }
        for i in range(n)
    ]
    helpers.bulk(es, docs, refresh=True)
    return n


class Reader(threading.Thread):
    """Searches the alias in a loop and records every failure or wrong count."""

    def __init__(self, es, alias, expected):
        super().__init__(daemon=True)
        self.es, self.alias, self.expected = es, alias, expected
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.searches = 0

    def run(self):
        while not self.stop.is_set():
            try:
                total = self.es.search(index=self.alias, size=0, track_total_hits=True)["hits"]["total"]["value"]
                if total != self.expected:
                    self.errors.append(f"saw {total} documents")
            except Exception as exc:  # any failed read is what this test is about
                self.errors.append(repr(exc))
            self.searches += 1


def test_reindex_and_rollback_never_break_reads(es, alias):
    n = seed(es, alias)
    first = aliases.current(es, alias).name
    reader = Reader(es, alias, n)
    reader.start()
    try:
        assert main(["reindex", "--alias", alias]) == 0
        second = aliases.current(es, alias).name
        assert second != first and second.endswith("-000002")
        assert main(["rollback", "--alias", alias]) == 0
        assert aliases.current(es, alias).name == first
    finally:
        reader.stop.set()
        reader.join(timeout=30)
    assert reader.searches > 10
    assert reader.errors == []
    # after the rollback, loads go to the index that serves reads
    assert next(iter(es.indices.get_alias(name=write_alias(alias)))) == first
    assert es.count(index=alias)["count"] == n


def test_old_versions_are_pruned(es, alias):
    seed(es, alias, 10)
    for _ in range(4):
        aliases.reindex(es, alias, keep=2, refresh_interval="1s")
    names = [v.name for v in aliases.versions(es, alias)]
    assert [n[-6:] for n in names] == ["000003", "000004", "000005"]
    assert aliases.current(es, alias).name == names[-1]


def test_half_built_index_is_cleaned_and_alias_stays(es, alias):
    seed(es, alias, 10)
    serving = aliases.current(es, alias).name
    # what a reindex from dumps killed mid-load leaves: a new index holding only the write alias
    half = aliases.next_index_name(es, alias)
    es.indices.create(index=half)
    aliases.swap(es, alias, half, read=False, write=True)
    es.index(index=write_alias(alias), id="partial", document={"title": "only in the half-built index"})
    assert aliases.current(es, alias).name == serving
    assert aliases.clean_half_built(es, alias) == [half]
    assert [v.name for v in aliases.versions(es, alias)] == [serving]
    assert next(iter(es.indices.get_alias(name=write_alias(alias)))) == serving
    old, new = aliases.reindex(es, alias, keep=2, refresh_interval="1s")
    assert old == serving and aliases.current(es, alias).name == new
    assert es.count(index=alias)["count"] == 10


def test_rollback_without_an_older_version_says_so(es, alias, capsys):
    seed(es, alias, 1)
    assert main(["rollback", "--alias", alias]) == 1
    assert "has no version older than" in capsys.readouterr().err


def test_changed_mapping_is_detected(es, alias):
    es.indices.create(
        index=f"{alias}-deadbeef-000001", aliases={alias: {}, write_alias(alias): {"is_write_index": True}}
    )
    with pytest.raises(SchemaChanged, match="run `newsfacet reindex"):
        ensure_index(es, alias)


def test_unknown_field_goes_to_dead_letters(es, alias):
    ensure_index(es, alias)
    result = load_documents(es, [{"_id": "ok", "title": "fine"}, {"_id": "bad", "title": "x", "surprise": 1}], alias)
    assert result.counts["indexed"] == 1 and result.counts["failed"] == 1
    assert result.dead_letters[0]["_id"] == "bad"
    assert "strict" in result.dead_letters[0]["reason"] and "surprise" in result.dead_letters[0]["reason"]


def test_search_filters_ranges_collapse_and_json(es, alias, capsys):
    seed(es, alias, 24)
    res = search_articles(
        es,
        alias,
        SearchRequest(query="Putin", filters={"source": ["paper"]}, date_from="2015-01-01", date_to="2015-06-30"),
    )
    # Putin docs: i % 3 == 0; paper: i % 4 == 0 -> i in {0, 12}; months 1 and 1 -> both in range
    assert res["total"] == 2
    assert dict(res["facets"]["persons"]) == {"Vladimir Putin": 2}
    assert all("<em>Putin</em>" in " ".join(h["highlight"]) for h in res["hits"])
    collapsed = search_articles(es, alias, SearchRequest(collapse=True, size=100))
    assert len(collapsed["hits"]) == 12  # two documents per cluster_id
    assert main(["search", "--alias", alias, "--json", "--filter", "persons=Sergey Lavrov", "--facet", "source"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 16 and set(dict(out["facets"]["source"])) == {"wire", "paper"}
    assert sum(c for _, c in out["facets"]["published_per_month"]) == 16


def test_bad_filter_is_one_line(alias, capsys):
    assert main(["search", "--alias", alias, "--filter", "nonsense"]) == 2  # a usage error
    err = capsys.readouterr().err.strip()
    assert err.startswith("newsfacet: --filter takes FACET=VALUE") and "\n" not in err


def test_reindex_killed_part_way_keeps_the_old_index_serving(es, alias, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    n = seed(es, alias, 20000)
    serving = aliases.current(es, alias).name
    env = {**os.environ, "NEWSFACET_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [Path(sys.executable).parent / "newsfacet", "reindex", "--alias", alias],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # kill it once the new index exists and the copy is under way
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        building = [v for v in aliases.versions(es, alias) if v.name != serving]
        # indexing stats count copied documents before any refresh, and answer while the shard starts
        stats = es.indices.stats(index=building[0].name, metric="indexing") if building else None
        if stats and stats["_all"]["primaries"].get("indexing", {}).get("index_total", 0) > 0:
            break
        assert proc.poll() is None, "reindex finished before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert aliases.current(es, alias).name == serving
    assert next(iter(es.indices.get_alias(name=write_alias(alias)))) == serving
    assert es.count(index=alias)["count"] == n
    half = [v for v in aliases.versions(es, alias) if v.name != serving]
    assert len(half) == 1 and not half[0].complete
    # the next reindex deletes the half-built index and completes
    old, new = aliases.reindex(es, alias, keep=2, refresh_interval="1s")
    assert old == serving
    assert aliases.current(es, alias).name == new
    assert es.count(index=alias)["count"] == n
    assert [v.name for v in aliases.versions(es, alias)] == [serving, new]
