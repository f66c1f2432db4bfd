#!/usr/bin/env python3
"""Feature check of a running DevNode with the official client (elasticsearch-py 9.x).

    python3 devtools/elasticsearch/smoke_check.py http://127.0.0.1:PORT

Prints one line per feature (ok/FAIL) and exits non-zero when any failed.
It creates and deletes indices named smoke-* and articles-smoke-*.
"""

import sys
import traceback
from datetime import UTC, datetime, timedelta

from elasticsearch import BadRequestError, Elasticsearch, helpers

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9200"
es = Elasticsearch(URL, request_timeout=60)
results = []


def check(name):
    def run(fn):
        try:
            detail = fn()
            results.append((name, True, detail))
            print(f"ok    {name}" + (f": {detail}" if detail else ""))
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            results.append((name, False, repr(e)))
            print(f"FAIL  {name}: {e!r}")
            traceback.print_exc(limit=2)
        return fn

    return run


MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "source": {"type": "keyword", "normalizer": "lowercase"},
        "title": {"type": "text", "analyzer": "english"},
        "body": {"type": "text", "analyzer": "english"},
        "published": {"type": "date"},
        "words": {"type": "integer"},
    },
}

for idx in ("smoke-1", "smoke-2", "articles-smoke-1", "articles-smoke-2"):
    es.options(ignore_status=404).indices.delete(index=idx)
es.options(ignore_status=404).indices.delete_index_template(name="smoke-articles")


@check("info")
def _():
    info = es.info()
    assert info["tagline"] == "You Know, for Search"
    return f"{info['version']['number']} lucene {info['version']['lucene_version']}"


@check("ping")
def _():
    assert es.ping() is True


@check("create index (keyword/text english/date/integer, dynamic strict, keyword normalizer)")
def _():
    es.indices.create(index="smoke-1", mappings=MAPPING, settings={"number_of_shards": 1, "number_of_replicas": 0})


@check("english analyzer tokens")
def _():
    r = es.indices.analyze(index="smoke-1", analyzer="english", text="The runners were running quickly")
    tokens = [t["token"] for t in r["tokens"]]
    assert tokens == ["runner", "were", "run", "quickli"], tokens
    return tokens


@check("index template (composable) for articles-*")
def _():
    es.indices.put_index_template(
        name="smoke-articles",
        index_patterns=["articles-*"],
        template={"settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": MAPPING},
        priority=100,
    )
    es.indices.create(index="articles-smoke-1")
    m = es.indices.get_mapping(index="articles-smoke-1")["articles-smoke-1"]["mappings"]
    assert m["properties"]["title"]["analyzer"] == "english"
    assert m["dynamic"] == "strict"


@check("alias with is_write_index")
def _():
    es.indices.put_alias(index="articles-smoke-1", name="articles-smoke", is_write_index=True)
    es.index(index="articles-smoke", id="a1", document={"id": "a1", "title": "alias write", "words": 2}, refresh=True)
    assert es.get(index="articles-smoke-1", id="a1")["found"]


@check("_aliases atomic swap")
def _():
    es.indices.create(index="articles-smoke-2")
    es.indices.update_aliases(
        actions=[
            {"remove": {"index": "articles-smoke-1", "alias": "articles-smoke"}},
            {"add": {"index": "articles-smoke-2", "alias": "articles-smoke", "is_write_index": True}},
        ]
    )
    aliases = es.indices.get_alias(name="articles-smoke")
    assert list(aliases) == ["articles-smoke-2"], aliases


def docs(n):
    base = datetime(2024, 1, 1, tzinfo=UTC)
    sources = ["Reuters", "AP", "BBC", "reuters"]
    for i in range(n):
        yield {
            "_index": "smoke-1",
            "_id": f"d{i}",
            "_source": {
                "id": f"d{i}",
                "source": sources[i % len(sources)],
                "title": f"Markets are running hot, story {i}" if i % 2 else f"Elections and voters, story {i}",
                "body": "Investors were buying stocks while central banks raised rates. " * 3,
                "published": (base + timedelta(days=i % 365)).isoformat(),
                "words": 100 + i,
            },
        }


@check("helpers.streaming_bulk 1000 docs")
def _():
    ok_count = sum(1 for ok, _ in helpers.streaming_bulk(es, docs(1000), chunk_size=200) if ok)
    es.indices.refresh(index="smoke-1")
    count = es.count(index="smoke-1")["count"]
    assert ok_count == 1000 and count == 1000, (ok_count, count)
    return f"{count} docs"


@check("query_string + highlight")
def _():
    r = es.search(
        index="smoke-1",
        query={"query_string": {"query": "title:run AND source:reuters"}},
        highlight={"fields": {"title": {}}},
        size=3,
    )
    hit = r["hits"]["hits"][0]
    assert r["hits"]["total"]["value"] > 0
    assert "<em>running</em>" in hit["highlight"]["title"][0], hit["highlight"]
    return f"{r['hits']['total']['value']} hits, {hit['highlight']['title'][0]!r}"


@check("terms + date_histogram(calendar_interval month) aggs")
def _():
    r = es.search(
        index="smoke-1",
        size=0,
        aggs={
            "sources": {"terms": {"field": "source"}},
            "per_month": {"date_histogram": {"field": "published", "calendar_interval": "month"}},
            "words": {"avg": {"field": "words"}},
        },
    )
    buckets = {b["key"]: b["doc_count"] for b in r["aggregations"]["sources"]["buckets"]}
    months = r["aggregations"]["per_month"]["buckets"]
    assert buckets == {"reuters": 500, "ap": 250, "bbc": 250}, buckets
    assert len(months) == 12, len(months)
    return f"sources={buckets}, months={len(months)}"


@check("collapse on keyword")
def _():
    r = es.search(index="smoke-1", query={"match": {"body": "investors"}}, collapse={"field": "source"}, size=10)
    keys = sorted(h["fields"]["source"][0] for h in r["hits"]["hits"])
    assert keys == ["ap", "bbc", "reuters"], keys
    return keys


@check("field_caps")
def _():
    r = es.field_caps(index="smoke-1", fields=["title", "published", "words", "source"])
    assert r["fields"]["published"]["date"]["aggregatable"] is True
    assert r["fields"]["title"]["text"]["searchable"] is True
    return sorted(r["fields"])


@check("helpers.scan (scroll)")
def _():
    n = sum(1 for _ in helpers.scan(es, index="smoke-1", query={"query": {"match_all": {}}}, size=150))
    assert n == 1000, n
    return f"{n} docs scrolled"


@check("put_settings refresh_interval")
def _():
    es.indices.put_settings(index="smoke-1", settings={"index": {"refresh_interval": "-1"}})
    v = es.indices.get_settings(index="smoke-1")["smoke-1"]["settings"]["index"]["refresh_interval"]
    es.indices.put_settings(index="smoke-1", settings={"index": {"refresh_interval": "1s"}})
    assert v == "-1", v


@check("dynamic strict rejects unknown field")
def _():
    try:
        es.index(index="smoke-1", id="bad", document={"id": "bad", "unknown_field": 1})
    except BadRequestError as e:
        assert e.error == "strict_dynamic_mapping_exception", e.error
        return e.error
    raise AssertionError("document with unknown field was accepted")


@check("english analyzer with custom stopwords / stemmer / asciifolding custom analyzer")
def _():
    es.indices.create(
        index="smoke-2",
        settings={
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "analysis": {
                "analyzer": {
                    "en_nostop": {"type": "english", "stopwords": "_none_"},
                    "folded": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "english_stem"],
                    },
                },
                "filter": {"english_stem": {"type": "stemmer", "language": "english"}},
            },
        },
        mappings={"properties": {"t": {"type": "text", "analyzer": "folded"}}},
    )
    a = [t["token"] for t in es.indices.analyze(index="smoke-2", analyzer="en_nostop", text="The cafés")["tokens"]]
    b = [t["token"] for t in es.indices.analyze(index="smoke-2", analyzer="folded", text="The Cafés running")["tokens"]]
    assert a == ["the", "café"], a
    assert b == ["the", "cafe", "run"], b
    return f"{a} {b}"


@check("delete_by_query is NOT available (reindex module missing) - expected")
def _():
    try:
        es.delete_by_query(index="smoke-1", query={"match_all": {}})
    except Exception as e:  # noqa: BLE001
        return f"as expected: {type(e).__name__}"
    raise AssertionError("delete_by_query unexpectedly works")


for idx in ("smoke-1", "smoke-2", "articles-smoke-1", "articles-smoke-2"):
    es.options(ignore_status=404).indices.delete(index=idx)
es.options(ignore_status=404).indices.delete_index_template(name="smoke-articles")

failed = [name for name, ok, _ in results if not ok]
print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
