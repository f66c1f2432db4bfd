"""Versioned indices behind the alias: build a new version, swap atomically, roll back, prune.

Physical indices are <alias>~<schema hash>-<generation>. Reads use <alias>, loads use
<alias>~write. Every alias move is one `_aliases` call, so readers never see a gap. Listings,
swaps and pruning only ever see indices the alias owns (search/schema.py says how that is told).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan, streaming_bulk

from newsfacet.errors import AliasError
from search.load import bulk_mode
from search.schema import (
    index_name,
    index_patterns,
    legacy_write_alias,
    mark_complete,
    migrate_write_alias,
    parse_index,
    put_template,
    with_language_fields,
    write_alias,
)


@dataclass(frozen=True)
class IndexVersion:
    """One physical index of the alias."""

    name: str
    created: int  # epoch millis
    docs: int
    read: bool  # holds the read alias
    write: bool  # holds the write alias
    complete: bool  # fully built (a killed reindex leaves an incomplete one behind)


def versions(es: Elasticsearch, alias: str) -> list[IndexVersion]:
    """Every physical index of the alias, oldest first; never one of another alias, whatever their names."""
    found = es.indices.get(index=index_patterns(alias), allow_no_indices=True, expand_wildcards="open")
    names = [
        n
        for n in found
        if parse_index(alias, n) and found[n].get("mappings", {}).get("_meta", {}).get("alias", alias) == alias
    ]
    if not names:
        return []
    counts = {r["index"]: int(r["docs.count"] or 0) for r in es.cat.indices(index=",".join(names), format="json")}
    out = [
        IndexVersion(
            name=name,
            created=int(found[name]["settings"]["index"]["creation_date"]),
            docs=counts.get(name, 0),
            read=alias in found[name].get("aliases", {}),
            write=bool({write_alias(alias), legacy_write_alias(alias)} & set(found[name].get("aliases", {}))),
            complete=bool(found[name].get("mappings", {}).get("_meta", {}).get("complete")),
        )
        for name in names
    ]
    return sorted(out, key=lambda v: (v.created, v.name))


def current(es: Elasticsearch, alias: str) -> IndexVersion:
    """The index that serves reads."""
    serving = [v for v in versions(es, alias) if v.read]
    if len(serving) != 1:
        raise AliasError(f"alias {alias!r} points at {len(serving)} indices; run `newsfacet setup` first")
    return serving[0]


def next_index_name(es: Elasticsearch, alias: str) -> str:
    """A new index name: the current schema hash and the next generation number."""
    generations = [parsed[1] for v in versions(es, alias) if (parsed := parse_index(alias, v.name))]
    return index_name(alias, max(generations, default=0) + 1)


def _move_actions(es: Elasticsearch, alias: str, target: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    for version in versions(es, alias):
        for name, held in ((alias, version.read), (write_alias(alias), version.write)):
            if held and name in names and version.name != target:
                actions.append({"remove": {"index": version.name, "alias": name}})
    if alias in names:
        actions.append({"add": {"index": target, "alias": alias}})
    if write_alias(alias) in names:
        actions.append({"add": {"index": target, "alias": write_alias(alias), "is_write_index": True}})
    return actions


def swap(es: Elasticsearch, alias: str, target: str, *, read: bool = True, write: bool = True) -> None:
    """Point the read and/or write alias at target, in one atomic `_aliases` call."""
    names = tuple(n for n, on in ((alias, read), (write_alias(alias), write)) if on)
    es.indices.update_aliases(actions=_move_actions(es, alias, target, names))


def clean_half_built(es: Elasticsearch, alias: str) -> list[str]:
    """Delete versions newer than the serving index that were never completed (a killed reindex)."""
    serving = current(es, alias)
    stale = [v for v in versions(es, alias) if v.created > serving.created and not (v.read or v.complete)]
    if any(v.write for v in stale):
        swap(es, alias, serving.name, read=False, write=True)
    if stale:
        es.indices.delete(index=",".join(v.name for v in stale))
    return [v.name for v in stale]


def prune(es: Elasticsearch, alias: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` versions older than the serving index."""
    serving = current(es, alias)
    older = [v for v in versions(es, alias) if v.created < serving.created and not (v.read or v.write)]
    doomed = older[: max(0, len(older) - keep)]
    if doomed:
        es.indices.delete(index=",".join(v.name for v in doomed))
    return [v.name for v in doomed]


def copy_documents(es: Elasticsearch, source: str, target: str, chunk_size: int = 500) -> int:
    """Scroll every document of source into target with the same _id (the test node has no _reindex).

    Each document gets the language fields the current template gives its language.
    """
    actions = (
        {"_op_type": "index", "_index": target, "_id": hit["_id"], "_source": with_language_fields(hit["_source"])}
        for hit in scan(es, index=source, query={"query": {"match_all": {}}}, size=chunk_size)
    )
    return sum(ok for ok, _ in streaming_bulk(es, actions, chunk_size=chunk_size, max_retries=8))


def reindex(
    es: Elasticsearch,
    alias: str,
    keep: int,
    refresh_interval: str,
    fill: Callable[[str], None] | None = None,
) -> tuple[str, str]:
    """Build a new version, then swap both aliases to it in one call; returns (old, new).

    Without fill, documents are copied from the serving index by scroll and bulk. With fill
    (a rebuild from the source dumps), only the write alias moves first, fill loads through
    it, and the read alias follows once the load is complete. Until the swap, reads are
    served by the old, complete index, so a reindex killed part-way costs nothing: the next
    one deletes the half-built index.
    """
    migrate_write_alias(es, alias)
    clean_half_built(es, alias)
    old = current(es, alias)
    put_template(es, alias)
    new = next_index_name(es, alias)
    es.indices.create(index=new)
    es.cluster.health(index=new, wait_for_status="yellow", timeout="30s")
    if fill is None:
        with bulk_mode(es, new, refresh_interval):
            copy_documents(es, old.name, new)
        have, want = es.count(index=new)["count"], es.count(index=old.name)["count"]
        if have != want:
            raise AliasError(f"copy into {new} has {have} documents, {old.name} has {want}; alias left on {old.name}")
    else:
        swap(es, alias, new, read=False, write=True)
        fill(new)
        es.indices.refresh(index=new)
    mark_complete(es, new, alias)
    swap(es, alias, new)
    prune(es, alias, keep)
    return old.name, new


def rollback(es: Elasticsearch, alias: str) -> tuple[str, str]:
    """Point the aliases back at the version before the serving one; returns (from, to)."""
    migrate_write_alias(es, alias)
    serving = current(es, alias)
    older = [v for v in versions(es, alias) if v.created < serving.created]
    if not older:
        raise AliasError(f"{alias!r} has no version older than {serving.name} to roll back to")
    swap(es, alias, older[-1].name)
    return serving.name, older[-1].name
