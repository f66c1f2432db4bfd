"""Near-duplicate detection: quality against the baseline, and cost of the store.

    .venv/bin/python bench/dedupe.py quality [--baseline-rev 8af2631]
    .venv/bin/python bench/dedupe.py store --articles 10000
    .venv/bin/python bench/dedupe.py memory --articles 10000 [--store sqlite|memory|baseline]

quality: precision and recall on the generated syndication set (bench/generate.py syndication_set), in one
run and across two runs, for this tree's DuplicateIndex and for transforms/dedupe.py as it was at
--baseline-rev (loaded from git into its own module; its index is in-memory, so across runs it starts empty).

store: the two designs for where band keys live, on the same N signed articles (chunks of 500; each chunk
is looked up, then stored): (b) the run-state SQLite (newsfacet/signatures.py, one joined SELECT per chunk)
and (a) a keyword field in Elasticsearch (a temporary index on a dev node: one _msearch per chunk, a bool
query of the article's band keys with minimum_should_match 2, then bulk + refresh so the next chunk sees it).

memory: RSS and CPU time of DuplicateIndex alone over N synthetic articles (make_story bodies; 5% syndicated
copies), chunks of 500, in a fresh process; prints the RSS after every 10% of the articles.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def baseline_module(rev: str):
    source = subprocess.run(
        ["git", "show", f"{rev}:transforms/dedupe.py"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "dedupe_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("dedupe_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def quality(rev: str) -> dict:
    from newsfacet.evaluate import Evaluation, score_syndication
    from newsfacet.settings import get_settings

    out = {}
    started = time.perf_counter()
    ev = Evaluation(gold_dir="-")
    score_syndication(ev)
    out["current"] = {k: v.as_dict() for k, v in ev.syndicated.items()}
    out["current_seconds"] = round(time.perf_counter() - started, 1)
    old = baseline_module(rev)
    threshold = get_settings().near_duplicate_threshold
    ev = Evaluation(gold_dir="-")
    score_syndication(ev, new_index=lambda: old.DuplicateIndex(threshold=threshold), dedupe=old.dedupe_articles)
    out[f"baseline {rev}"] = {k: v.as_dict() for k, v in ev.syndicated.items()}
    return out


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory(articles: int, store: str, rev: str | None) -> dict:
    """DuplicateIndex alone over synthetic articles: RSS trend and seconds."""
    import gc
    import random

    from bench.generate import FILLER, make_story, syndicated_copy
    from newsfacet.manifest import Manifest
    from transforms.documents import assign_ids
    from transforms.records import Article, articles_to_frame

    if rev:
        mod = baseline_module(rev)
        new_index = lambda: mod.DuplicateIndex(threshold=0.7)  # noqa: E731
        dedupe = mod.dedupe_articles
    else:
        from transforms.dedupe import DuplicateIndex, dedupe_articles

        dedupe = dedupe_articles
        if store == "sqlite":
            tmp = Path(tempfile.mkdtemp())
            manifest = Manifest(tmp / "state.sqlite", "bench")
            new_index = lambda: DuplicateIndex(known=manifest.fingerprints, store=manifest.near_duplicate_store())  # noqa: E731
        else:
            new_index = lambda: DuplicateIndex()  # noqa: E731
    index = new_index()
    trend = []
    pool = []
    rng = random.Random(3)
    start_rss = None
    started = time.perf_counter()
    dedupe_seconds = 0.0
    near = 0
    for first in range(0, articles, 500):
        chunk = []
        for n in range(first, min(first + 500, articles)):
            if pool and rng.random() < 0.05:
                story = syndicated_copy(rng.choice(pool), n, 3)
            else:
                story = make_story(n, 3)
                pool = (pool + [story])[-200:]
            chunk.append(
                Article(
                    source_file=str(n), paragraphs=[story.lead, *story.body, rng.choice(FILLER)], title=story.title,
                    url=story.url, published_at=story.published.isoformat(), raw_text=str(n),
                )
            )  # fmt: skip
        frame = assign_ids(articles_to_frame(chunk))
        frame["content_hash"] = None
        t = time.process_time()  # CPU time: the machine is shared, wall time says more about the neighbours
        result = dedupe(frame, index)
        dedupe_seconds += time.process_time() - t
        near += result.counts["near_duplicates"]
        del chunk, frame, result
        gc.collect()
        if start_rss is None:
            start_rss = _rss_mb()
        if (first + 500) % max(500, articles // 10) == 0:
            trend.append((first + 500, round(_rss_mb(), 1)))
            print(f"{trend[-1][0]} articles: RSS {trend[-1][1]} MB, dedupe CPU {dedupe_seconds:.0f} s", file=sys.stderr)
    end_rss = _rss_mb()
    db_mb = None
    if store == "sqlite" and not rev:
        manifest.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db_mb = round((tmp / "state.sqlite").stat().st_size / 2**20, 1)
    return {
        "articles": articles,
        "store": "baseline in-memory LSH" if rev else store,
        "rss_after_first_chunk_mb": round(start_rss, 1),
        "rss_end_mb": round(end_rss, 1),
        "growth_mb_per_1000": round((end_rss - start_rss) / ((articles - 500) / 1000), 3),
        "dedupe_cpu_seconds": round(dedupe_seconds, 1),
        "dedupe_cpu_seconds_per_10k": round(dedupe_seconds / articles * 10000, 1),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "near_duplicates": near,
        "db_mb": db_mb,
        "trend": trend,
    }


def signed_articles(articles: int) -> list[tuple]:
    """(doc_id, signature, size, band keys, published_at) of N generated articles, 5% syndicated copies."""
    import random

    from bench.generate import make_story, syndicated_copy
    from transforms.dedupe import DuplicateIndex

    index = DuplicateIndex()
    rng = random.Random(3)
    pool, out = [], []
    for n in range(articles):
        story = syndicated_copy(rng.choice(pool), n, 3) if pool and rng.random() < 0.05 else make_story(n, 3)
        if story.kind == "original":
            pool = (pool + [story])[-200:]
        sig, size = index.signature(" ".join([story.title, story.lead, *story.body]))
        out.append((f"doc{n}", sig, size, index.band_keys(sig), story.published.isoformat()))
    return out


def store_cost(articles: int) -> dict:
    """Time (wall and this process's CPU) to look up and store every chunk, SQLite against Elasticsearch."""
    import base64
    import shutil

    from elasticsearch import Elasticsearch, helpers

    from newsfacet.devstack.esnode import start_node, stop_pid
    from newsfacet.manifest import Manifest
    from newsfacet.settings import get_settings
    from transforms.dedupe import StoredSignature

    started = time.perf_counter()
    data = signed_articles(articles)
    out: dict = {"articles": articles, "signing_seconds": round(time.perf_counter() - started, 1)}
    chunks = [data[i : i + 500] for i in range(0, len(data), 500)]

    tmp = Path(tempfile.mkdtemp())
    store = Manifest(tmp / "state.sqlite", "bench").near_duplicate_store()
    wall, cpu, found = time.perf_counter(), time.process_time(), 0
    for chunk in chunks:
        hits = store.candidates([c[3] for c in chunk], 2)
        found += sum(len(h) for h in hits)
        store.add([(StoredSignature(d, s.tobytes(), z, p, d), k) for d, s, z, k, p in chunk])
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out["sqlite"] = {
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "candidates": found,
        "disk_mb": round((tmp / "state.sqlite").stat().st_size / 2**20, 1),
    }

    home = tmp / "es-node"
    if os.environ.get("ELASTICSEARCH_URL"):
        proc, url = None, os.environ["ELASTICSEARCH_URL"]
    else:
        proc, info = start_node(get_settings(), home)
        url = info.url
    try:
        es = Elasticsearch(url, request_timeout=120)
        name = "bench-bands"
        es.options(ignore_status=404).indices.delete(index=name)
        es.indices.create(
            index=name,
            settings={"number_of_shards": 1, "number_of_replicas": 0},
            mappings={"dynamic": "strict", "properties": {
                "band_keys": {"type": "keyword"}, "signature": {"type": "binary"}, "size": {"type": "integer"},
                "published_at": {"type": "date"}, "cluster_id": {"type": "keyword"}}},
        )  # fmt: skip
        wall, cpu, found, search_s = time.perf_counter(), time.process_time(), 0, 0.0
        for chunk in chunks:
            t = time.perf_counter()
            searches = []
            for _, _, _, keys, _ in chunk:
                searches.append({})
                searches.append({
                    "size": 100, "_source": ["signature", "size", "published_at", "cluster_id"],
                    "query": {"bool": {"should": [{"term": {"band_keys": str(k)}} for k in keys],
                                       "minimum_should_match": 2}}})  # fmt: skip
            for response in es.msearch(index=name, searches=searches)["responses"]:
                found += len(response["hits"]["hits"])
            search_s += time.perf_counter() - t
            helpers.bulk(
                es,
                ({"_index": name, "_id": d, "_source": {
                    "band_keys": [str(k) for k in keys], "signature": base64.b64encode(s.tobytes()).decode(),
                    "size": z, "published_at": p, "cluster_id": d}} for d, s, z, keys, p in chunk),
            )  # fmt: skip
            es.indices.refresh(index=name)  # the next chunk must see this one (the flow loads with refresh off)
        stats = es.indices.stats(index=name, metric="store")["indices"][name]["total"]["store"]
        out["elasticsearch"] = {
            "wall_seconds": round(time.perf_counter() - wall, 2),
            "search_seconds": round(search_s, 2),
            "cpu_seconds_client": round(time.process_time() - cpu, 2),
            "candidates": found,
            "disk_mb": round(stats["size_in_bytes"] / 2**20, 1),
        }
        es.indices.delete(index=name)
    finally:
        if proc is not None:
            stop_pid(proc.pid)
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["quality", "memory", "store"])
    ap.add_argument("--baseline-rev", default="8af2631")
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--store", choices=["sqlite", "memory", "baseline"], default="sqlite")
    args = ap.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if args.what == "quality":
        print(json.dumps(quality(args.baseline_rev), indent=2))
    elif args.what == "store":
        print(json.dumps(store_cost(args.articles), indent=2))
    else:
        rev = args.baseline_rev if args.store == "baseline" else None
        print(json.dumps(memory(args.articles, args.store, rev), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
