"""The field registry: the one place that declares every index document field and what it is for.

A field's entry says its Elasticsearch type and whether it is a facet, an entity field filled by NER,
a date, searched as full text, or scored by `newsfacet evaluate`. The documents (transforms.documents),
the search facets (search.query), the entity stage and the evaluation read it from here, and
tests/test_fields.py holds it against config/index/articles.json and the Kibana objects, both ways.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocField:
    """One field of the index document."""

    name: str
    type: str  # the Elasticsearch mapping type in config/index/articles.json
    facet: bool = False  # a terms facet `newsfacet search --facet` can count and filter on
    default_facet: bool = False  # counted by `newsfacet search` without --facet, and a dashboard panel
    entity: bool = False  # filled from NER mentions (transforms.entities)
    scored: bool = False  # entity field scored against the gold set by `newsfacet evaluate`
    search_boost: float | None = None  # full-text searched by `newsfacet search`, with this boost
    derived: bool = False  # computed when the document is built, not an Article attribute


FIELDS: tuple[DocField, ...] = (
    DocField("title", "text", search_boost=3.0),
    DocField("body", "text", search_boost=1.0, derived=True),
    DocField("paragraphs", "text"),
    DocField("captions", "text", search_boost=1.0),
    DocField("url", "keyword"),
    DocField("source", "keyword", facet=True, default_facet=True),
    DocField("source_file", "keyword"),
    DocField("authors", "keyword", facet=True),
    DocField("published_at", "date"),
    DocField("ingested_at", "date", derived=True),
    DocField("language", "keyword", facet=True, default_facet=True),
    DocField("dateline", "keyword", facet=True),
    DocField("persons", "keyword", facet=True, default_facet=True, entity=True, scored=True),
    DocField("organizations", "keyword", facet=True, default_facet=True, entity=True, scored=True),
    DocField("locations", "keyword", facet=True, default_facet=True, entity=True, scored=True),
    DocField("misc", "keyword", facet=True, entity=True),
    DocField("mentioned_dates", "date"),
    DocField("word_count", "integer", derived=True),
    DocField("content_hash", "keyword"),
    DocField("cluster_id", "keyword"),
    DocField("duplicate_of", "keyword"),
)
BY_NAME = {f.name: f for f in FIELDS}
FACETS = tuple(f.name for f in FIELDS if f.facet)
DEFAULT_FACETS = tuple(f.name for f in FIELDS if f.default_facet)
ENTITY_FIELDS = tuple(f.name for f in FIELDS if f.entity)
SCORED_ENTITY_FIELDS = tuple(f.name for f in FIELDS if f.scored)
DATE_FIELDS = tuple(f.name for f in FIELDS if f.type == "date")
SEARCH_FIELDS = tuple(
    f.name if f.search_boost == 1.0 else f"{f.name}^{f.search_boost:g}" for f in FIELDS if f.search_boost
)
