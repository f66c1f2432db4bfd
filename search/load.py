"""Bulk loading through the write alias: streaming_bulk, 429 retries, refresh off during the load."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exceptions
from elasticsearch.helpers import streaming_bulk

from search.schema import with_language_fields, write_alias


@dataclass
class LoadResult:
    """What Elasticsearch acknowledged, and what it refused with its reason."""

    counts: Counter[str] = field(default_factory=Counter)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def bulk_mode(es: Elasticsearch, index: str, restore_interval: str) -> Iterator[None]:
    """Turn refresh off for a big load, and restore it (then refresh) however the load ends."""
    es.indices.put_settings(index=index, settings={"index": {"refresh_interval": "-1"}})

    def restore() -> None:
        es.indices.put_settings(index=index, settings={"index": {"refresh_interval": restore_interval}})
        es.indices.refresh(index=index)

    try:
        yield
    except BaseException:
        # the node may be what failed: restoring must not replace the load's own error
        with contextlib.suppress(es_exceptions.ApiError, es_exceptions.TransportError):
            restore()
        raise
    restore()


def _actions(docs: Iterable[dict[str, Any]], target: str) -> Iterator[dict[str, Any]]:
    for doc in docs:
        source = with_language_fields(doc)  # a new dict: the caller's document keeps its _id
        del source["_id"]
        yield {"_op_type": "index", "_index": target, "_id": doc["_id"], "_source": source}


def load_documents(es: Elasticsearch, docs: Iterable[dict[str, Any]], alias: str, chunk_size: int = 500) -> LoadResult:
    """Index documents through the write alias; mapping rejections become dead letters."""
    result = LoadResult()
    stream = streaming_bulk(
        es,
        _actions(docs, write_alias(alias)),
        chunk_size=chunk_size,
        max_retries=8,  # 429 rejections are retried with backoff; the client default is no retry
        initial_backoff=1,
        max_backoff=30,
        raise_on_error=False,
        raise_on_exception=True,
    )
    for ok, item in stream:
        info = next(iter(item.values()))
        if ok:
            result.counts["indexed"] += 1
            result.counts[info.get("result", "indexed")] += 1
        else:
            result.counts["failed"] += 1
            error = info.get("error", {})
            reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
            result.dead_letters.append({"_id": info.get("_id"), "status": info.get("status"), "reason": reason})
    return result
