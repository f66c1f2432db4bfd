"""The index template from config/, and the versioned index behind the alias."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from elasticsearch import Elasticsearch

from newsfacet.errors import SchemaChanged
from newsfacet.settings import CONFIG_DIR

TEMPLATE_FILE = CONFIG_DIR / "index" / "articles.json"


@lru_cache(maxsize=1)
def index_body() -> dict[str, Any]:
    """Settings and mappings of the articles index, as config/index/articles.json has them."""
    body = json.loads(TEMPLATE_FILE.read_text())
    body.pop("_comment", None)
    return body


def schema_hash() -> str:
    """Short hash of the mapping and settings: a change to either is a new schema version."""
    return hashlib.sha1(json.dumps(index_body(), sort_keys=True).encode()).hexdigest()[:8]


def write_alias(alias: str) -> str:
    """The alias the loader writes through; readers use the plain alias."""
    return f"{alias}-write"


def put_template(es: Elasticsearch, alias: str) -> None:
    """Install the composable template for <alias>-* (idempotent)."""
    body = index_body()
    mappings = {**body["mappings"], "_meta": {"schema_hash": schema_hash(), "alias": alias}}
    es.indices.put_index_template(
        name=f"{alias}-template",
        index_patterns=[f"{alias}-*"],
        priority=100,
        template={"settings": body["settings"], "mappings": mappings},
    )


def ensure_index(es: Elasticsearch, alias: str) -> str:
    """The physical index behind the write alias, creating the first version if there is none."""
    put_template(es, alias)
    if es.indices.exists_alias(name=write_alias(alias)):
        index = next(iter(es.indices.get_alias(name=write_alias(alias))))
        if not index.startswith(f"{alias}-{schema_hash()}-"):
            raise SchemaChanged(
                f"{TEMPLATE_FILE} changed since {index} was built; run `newsfacet reindex --alias {alias}` first"
            )
        return index
    index = f"{alias}-{schema_hash()}-000001"
    es.indices.create(index=index, aliases={alias: {}, write_alias(alias): {"is_write_index": True}})
    mark_complete(es, index, alias)
    es.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
    return index


def mark_complete(es: Elasticsearch, index: str, alias: str) -> None:
    """Record in the index's _meta that it holds a complete build (see search.aliases)."""
    es.indices.put_mapping(index=index, meta={"schema_hash": schema_hash(), "alias": alias, "complete": True})
