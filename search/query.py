"""Faceted search over the alias: query string, facet filters, date range, highlights, collapse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, BadRequestError, Elasticsearch

from newsfacet.errors import QuerySyntaxError
from search.schema import language_fields
from transforms.fields import DEFAULT_FACETS, FACETS, SEARCH_FIELDS


def text_fields() -> list[str]:
    """The searched fields from the registry, each with its per-language fields from the template."""
    lf = language_fields()
    fields = []
    for spec in SEARCH_FIELDS:
        name, _, boost = spec.partition("^")
        suffix = f"^{boost}" if boost else ""
        fields += [spec, *(f"{n}{suffix}" for n in (lf.names(name) if name in lf.fields else []))]
    return fields


TEXT_FIELDS = text_fields()
__all__ = ["DEFAULT_FACETS", "FACETS", "SearchRequest", "build_body", "search_articles", "text_fields"]


@dataclass
class SearchRequest:
    """One faceted search; filters map a facet name to the values every hit must have."""

    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None
    facets: tuple[str, ...] = DEFAULT_FACETS
    facet_size: int = 10
    size: int = 10
    collapse: bool = False


def build_body(req: SearchRequest) -> dict[str, Any]:
    """The _search body for a request."""
    must: list[dict[str, Any]] = []
    if req.query:
        must.append({"query_string": {"query": req.query, "fields": TEXT_FIELDS, "default_operator": "AND"}})
    filters: list[dict[str, Any]] = [{"terms": {name: values}} for name, values in req.filters.items()]
    if req.date_from or req.date_to:
        bounds = {k: v for k, v in (("gte", req.date_from), ("lte", req.date_to)) if v}
        filters.append({"range": {"published_at": bounds}})
    aggs: dict[str, Any] = {name: {"terms": {"field": name, "size": req.facet_size}} for name in req.facets}
    aggs["published_per_month"] = {
        "date_histogram": {
            "field": "published_at",
            "calendar_interval": "month",
            "format": "yyyy-MM",
            "min_doc_count": 1,
        }
    }
    body: dict[str, Any] = {
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filters}},
        "aggs": aggs,
        "size": req.size,
        "track_total_hits": True,
        "highlight": {
            "fields": {
                "title": {},
                "title_*": {},
                "body": {"fragment_size": 160, "number_of_fragments": 2},
                "body_*": {"fragment_size": 160, "number_of_fragments": 2},
            }
        },
        "_source": {"excludes": ["paragraphs", "body", *sorted(language_fields().copies)]},
    }
    if req.collapse:
        body["collapse"] = {"field": "cluster_id"}
        # the hit total counts documents; with collapse a person expects the number of stories
        aggs["clusters"] = {"cardinality": {"field": "cluster_id"}}
    return body


def _query_error(exc: ApiError, query: str) -> QuerySyntaxError:
    """The deepest reason Elasticsearch gave for refusing the query (where the parser broke), as one line."""
    error = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
    starts = [*error.get("root_cause", []), error, *(f.get("reason", {}) for f in error.get("failed_shards", []))]
    deepest, depth = str(error.get("reason") or exc.message), -1
    for cause in starts:
        level = 0
        while isinstance(cause, dict) and cause:
            if cause.get("reason") and level > depth:
                deepest, depth = cause["reason"], level
            cause, level = cause.get("caused_by"), level + 1
    return QuerySyntaxError(f"cannot parse the query {query!r}: {' '.join(str(deepest).split())}")


def search_articles(es: Elasticsearch, alias: str, req: SearchRequest) -> dict[str, Any]:
    """Run the search and return hits, totals and facet counts in a plain, printable shape."""
    try:
        resp = es.search(index=alias, body=build_body(req))
    except BadRequestError as exc:
        raise _query_error(exc, req.query) from None
    hits = [
        {
            "id": h["_id"],
            "score": h.get("_score"),
            "title": h["_source"].get("title"),
            "published_at": h["_source"].get("published_at"),
            "source": h["_source"].get("source"),
            "cluster_id": h["_source"].get("cluster_id"),
            # one fragment can come from body and from body_<lang>: keep it once
            "highlight": list(dict.fromkeys(frag for frags in h.get("highlight", {}).values() for frag in frags)),
        }
        for h in resp["hits"]["hits"]
    ]
    aggregations = dict(resp["aggregations"])
    documents = resp["hits"]["total"]["value"]
    clusters = aggregations.pop("clusters", None)
    facets = {
        name: [(b["key_as_string"] if "key_as_string" in b else b["key"], b["doc_count"]) for b in agg["buckets"]]
        for name, agg in aggregations.items()
    }
    total = clusters["value"] if clusters is not None else documents
    return {"total": total, "documents": documents, "hits": hits, "facets": facets}
