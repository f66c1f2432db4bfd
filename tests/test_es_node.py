"""The dev node serves what the official Python client needs."""

import pytest
from elasticsearch import helpers

from search.schema import ensure_index, index_body, schema_hash, write_alias


def test_info_ping_and_product_header(es):
    info = es.info()
    assert info["version"]["number"].startswith("9.")
    assert es.ping()


def test_mapping_is_applied(es, alias):
    index = ensure_index(es, alias)
    assert index == f"{alias}~{schema_hash()}-000001"
    mapping = es.indices.get_mapping(index=alias)[index]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["persons"] == {"type": "keyword"}
    assert mapping["properties"]["title"]["analyzer"] == "english"
    assert mapping["properties"]["title_fr"] == {"type": "text", "analyzer": "french"}
    assert mapping["_meta"]["schema_hash"] == schema_hash()
    assert set(mapping["properties"]) == set(index_body()["mappings"]["properties"])
    aliases = es.indices.get_alias(index=index)[index]["aliases"]
    assert aliases[write_alias(alias)] == {"is_write_index": True}
    # a second call finds the same index instead of making another
    assert ensure_index(es, alias) == index


def test_bulk_terms_and_date_histogram(es, alias):
    ensure_index(es, alias)
    docs = [
        {
            "_index": write_alias(alias),
            "_id": str(i),
            "title": f"story {i}",
            "persons": ["Ann Lee"] if i % 2 else ["Bo Chan"],
            "published_at": f"2024-0{1 + i % 3}-15",
        }
        for i in range(30)
    ]
    ok, errors = helpers.bulk(es, docs, refresh=True)
    assert ok == 30 and not errors
    resp = es.search(
        index=alias,
        size=0,
        aggs={
            "p": {"terms": {"field": "persons"}},
            "m": {"date_histogram": {"field": "published_at", "calendar_interval": "month"}},
        },
    )
    assert {b["key"]: b["doc_count"] for b in resp["aggregations"]["p"]["buckets"]} == {"Ann Lee": 15, "Bo Chan": 15}
    assert [b["doc_count"] for b in resp["aggregations"]["m"]["buckets"]] == [10, 10, 10]


def test_english_analyzer_stems(es, alias):
    ensure_index(es, alias)
    es.index(index=write_alias(alias), id="1", document={"title": "Ministers were negotiating"}, refresh=True)
    assert es.search(index=alias, query={"match": {"title": "negotiation minister"}})["hits"]["total"]["value"] == 1


def test_unknown_field_is_rejected(es, alias):
    ensure_index(es, alias)
    ok, errors = helpers.bulk(
        es, [{"_index": write_alias(alias), "_id": "x", "title": "t", "surprise": 1}], raise_on_error=False
    )
    assert ok == 0 and "strict_dynamic_mapping_exception" in str(errors)


@pytest.mark.integration
def test_cli_starts_and_stops_a_three_node_cluster(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from elasticsearch import Elasticsearch

    exe = Path(sys.executable).parent / "newsfacet"
    env = {**os.environ, "NEWSFACET_CACHE_DIR": str(tmp_path / "cache"), "NEWSFACET_ES_HEAP": "512m"}
    env.pop("ELASTICSEARCH_URL", None)
    start = subprocess.run([exe, "es", "start", "--nodes", "3"], env=env, capture_output=True, text=True, timeout=300)
    try:
        assert start.returncode == 0, start.stderr
        assert subprocess.run([exe, "es", "status"], env=env, capture_output=True, text=True).returncode == 0
        state = (tmp_path / "cache" / "stack" / "es.json").read_text()
        import json

        urls = json.loads(state)["url"].split(",")
        assert len(urls) == 3
        health = Elasticsearch(urls).cluster.health(wait_for_nodes="3", timeout="60s")
        assert health["number_of_nodes"] == 3
    finally:
        stop = subprocess.run([exe, "es", "stop"], env=env, capture_output=True, text=True, timeout=120)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert subprocess.run([exe, "es", "status"], env=env, capture_output=True, text=True).returncode == 1
