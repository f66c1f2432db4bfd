"""Elasticsearch cost of the text fields' analysis: the template of an older commit against today's.

Loads the same generated articles three times into a fresh dev node, one index each: with the older
commit's template (e.g. a957798, where every text had nine language sub-fields), with today's template as
English articles, and with today's template labelled French (so each text is copied to the `_fr` fields).
Each index is force-merged to one segment. Prints and records the node's CPU seconds per load, the store
size, and the stored-fields and inverted-index sizes from the _disk_usage API.

    python bench/language_fields.py --old-rev a957798 --articles 4000
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psutil
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from newsfacet.devstack.esnode import start_node, stop_pid
from newsfacet.settings import CONFIG_DIR, get_settings
from search.load import load_documents
from search.schema import ensure_index, inline_word_lists

ROOT = Path(__file__).resolve().parent.parent


def articles(data: Path, limit: int) -> list[dict[str, str]]:
    """Title and body of the first `limit` articles of a generated dump's JSON Lines files."""
    docs = []
    for path in sorted(glob.glob(str(data / "jsonl" / "*.jsonl"))):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                docs.append({"title": record.get("headline") or "", "body": record.get("body") or ""})
    if len(docs) < limit:
        raise SystemExit(f"{data}: {len(docs)} JSON Lines articles, fewer than --articles {limit}")
    return docs[:limit]


def old_template(rev: str) -> dict[str, Any]:
    body = json.loads(subprocess.check_output(["git", "-C", str(ROOT), "show", f"{rev}:config/index/articles.json"]))
    body.pop("_comment", None)
    body.pop("language_fields", None)
    body["settings"] = inline_word_lists(body["settings"], CONFIG_DIR)
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-rev", required=True, help="commit whose config/index/articles.json is the baseline")
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "10000-seed1")
    args = parser.parse_args()
    docs = articles(args.data, args.articles)
    result: dict[str, Any] = {"date": date.today().isoformat(), "old_rev": args.old_rev, "articles": len(docs)}
    with tempfile.TemporaryDirectory(prefix="lang-fields-") as home:
        proc, info = start_node(get_settings(), Path(home))
        try:
            es = Elasticsearch(info.url, request_timeout=300)
            node = psutil.Process(info.pid)

            def cpu() -> float:
                return sum(sum(p.cpu_times()[:2]) for p in [node, *node.children(recursive=True)])

            old = old_template(args.old_rev)
            es.indices.create(index="old-en", settings=old["settings"], mappings=old["mappings"])
            for name, lang in (("old-en", "en"), ("new-en", "en"), ("new-fr", "fr")):
                index = name if name == "old-en" else ensure_index(es, name)
                es.indices.put_settings(index=index, settings={"index": {"refresh_interval": "-1"}})
                batch = [{"_id": str(i), **d, "language": lang} for i, d in enumerate(docs)]
                c0, t0 = cpu(), time.monotonic()
                if name == "old-en":  # the old template has no language fields to fill
                    bulk(es, ({"_index": index, "_id": d.pop("_id"), "_source": d} for d in batch), chunk_size=500)
                else:
                    loaded = load_documents(es, batch, name)
                    assert loaded.counts["indexed"] == len(docs), loaded.dead_letters[:2]
                es.indices.refresh(index=index)
                es.indices.forcemerge(index=index, max_num_segments=1)
                c1, t1 = cpu(), time.monotonic()
                store = es.indices.stats(index=index, metric="store")["_all"]["primaries"]["store"]["size_in_bytes"]
                usage = es.indices.disk_usage(index=index, run_expensive_tasks=True)[index]["all_fields"]
                result[name] = {
                    "es_cpu_s": round(c1 - c0, 1),
                    "wall_s": round(t1 - t0, 1),
                    "store_mb": round(store / 2**20, 2),
                    "stored_fields_mb": round(usage["stored_fields_in_bytes"] / 2**20, 2),
                    "inverted_index_mb": round(usage["inverted_index"]["total_in_bytes"] / 2**20, 2),
                }
                print(name, result[name], flush=True)
        finally:
            stop_pid(proc.pid)
    out = ROOT / "bench" / "results" / f"{result['date']}-language-fields.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
