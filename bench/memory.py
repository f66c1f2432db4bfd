"""Memory growth of the ingest, per process kind: does RSS grow with the articles of a run?

    .venv/bin/python bench/memory.py --size 5000            # also 3k, 10k, ...
    .venv/bin/python bench/memory.py --size 3000 --tracemalloc 15

What it does: generates (or reuses) the synthetic dump of bench/generate.py, starts a dev Elasticsearch
node and a Prefect server as bench/run.py does (unless ELASTICSEARCH_URL / PREFECT_API_URL are set), and
runs the real ingest flow in a child process over the dump. A thread in that child samples, every
--interval seconds, the RSS of the flow process ("main") and of its NER worker processes ("workers", the
NerPool children; the Prefect server is not in the tree) beside the articles prepared so far. The figure
of the issue: MB per 1,000 articles over the second half of the run (least squares over the samples with
at least half the articles prepared), per kind, and the peaks. The first half is left out on purpose: it
holds the start-up (model load, first chunks in flight, caches filling).

Always (cheap): the Python object types whose live count in the flow process grew most between half the
articles and the last chunk (gc.get_objects), what the flow keeps per chunk.
--tracemalloc N also traces the flow process's Python allocations and reports the N allocation sites whose
live memory grew most over the same span, with 6 frames of their call stacks. It is slow (a 3k run took
over 20 minutes on 2 busy cores): use it on 1,000-2,000 articles. Neither sees spaCy's C memory.

Results: a JSON summary on stdout (and in --out when given). RSS figures matter, timings here do not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.run import (  # noqa: E402
    drop_alias,
    ensure_data,
    fmt_size,
    git_state,
    load_avg,
    machine,
    parse_size,
    start_prefect,
    stop_stack,
)

MB = 2**20


def _kind(proc) -> str:
    """A child of the flow process: a NerPool worker (multiprocessing spawn) or a helper process."""
    try:
        cmd = " ".join(proc.cmdline())
    except Exception:
        return "other"
    if "resource_tracker" in cmd:
        return "other"
    return "workers" if "multiprocessing" in cmd or "spawn_main" in cmd else "other"


class KindSampler(threading.Thread):
    """Samples (seconds, articles prepared, RSS per kind) of this process and its children."""

    def __init__(self, interval: float, progress: dict[str, int]) -> None:
        super().__init__(daemon=True)
        import psutil

        self.psutil, self.me = psutil, psutil.Process()
        self.interval, self.progress = interval, progress
        self.samples: list[dict] = []
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def sample(self) -> None:
        by_kind = {"main": self.me.memory_info().rss}
        for child in self.me.children(recursive=True):
            try:
                rss = child.memory_info().rss
            except self.psutil.Error:
                continue
            kind = _kind(child)
            by_kind[kind] = by_kind.get(kind, 0) + rss
        self.samples.append(
            {
                "s": round(time.monotonic() - self.t0, 1),
                "articles": self.progress["articles"],
                **{k: round(v / MB, 1) for k, v in by_kind.items()},
            }
        )

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)


def slope_per_1k(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of MB over articles, in MB per 1,000 articles."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return round(1000 * sum((x - mx) * (y - my) for x, y in points) / sxx, 2)


def summarise(samples: list[dict], total: int) -> dict:
    """Per kind: MB per 1,000 articles over the second half, RSS at half and at the end, and the peak."""
    second = [s for s in samples if s["articles"] >= total / 2]
    kinds = sorted({k for s in samples for k in s if k not in ("s", "articles")})
    out: dict = {"samples": len(samples), "samples_second_half": len(second)}
    for kind in kinds:
        pts = [(s["articles"], s[kind]) for s in second if kind in s]
        out[kind] = {
            "mb_per_1k_articles_second_half": slope_per_1k(pts),
            "rss_mb_at_half": pts[0][1] if pts else None,
            "rss_mb_at_end": pts[-1][1] if pts else None,
            "peak_rss_mb": max(s.get(kind, 0) for s in samples),
        }
    # only samples with both kinds: the last ones, taken as the workers stop, would read as a fall
    total_pts = [(s["articles"], s["main"] + s["workers"]) for s in second if "main" in s and "workers" in s]
    out["main+workers"] = {"mb_per_1k_articles_second_half": slope_per_1k(total_pts)}
    return out


def _top_growth(first, last, limit: int) -> list[dict]:
    stats = last.compare_to(first, "traceback")
    rows = []
    for stat in stats[:limit]:
        rows.append(
            {
                "size_diff_kb": round(stat.size_diff / 1024, 1),
                "count_diff": stat.count_diff,
                "stack": [f"{f.filename.replace(str(REPO) + '/', '')}:{f.lineno}" for f in stat.traceback][-8:],
            }
        )
    return rows


def _object_counts() -> dict[str, int]:
    import gc
    from collections import Counter

    gc.collect()
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def _count_growth(first: dict[str, int], last: dict[str, int], limit: int = 15) -> list[list]:
    diff = sorted(((last.get(k, 0) - first.get(k, 0), k) for k in set(first) | set(last)), reverse=True)
    return [[k, n] for n, k in diff[:limit] if n > 0]


def _lru_caches() -> dict[str, list[int | None]]:
    """[entries, maxsize] of every functools cache in the transforms and readers modules."""
    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith(("transforms", "readers")):
            continue
        for attr, fn in vars(module).items():
            if callable(getattr(fn, "cache_info", None)) and getattr(fn, "__module__", None) == name:
                info = fn.cache_info()
                found[f"{name}.{attr}"] = [info.currsize, info.maxsize]
    return found


def _big_containers(min_len: int = 500) -> dict[int, list]:
    """id -> [type, len, a sample key] of every GC-tracked dict, set, list or deque holding min_len items or more.

    The object counts above miss one container that keeps growing (its strings are not GC-tracked); this
    sees it.
    """
    import gc
    from collections import deque

    found = {}
    for o in gc.get_objects():
        if isinstance(o, (dict, set, frozenset, list, deque)) and len(o) >= min_len:
            try:
                sample = repr(next(iter(o)))[:60]
            except Exception:
                sample = ""
            found[id(o)] = [type(o).__qualname__, len(o), sample]
    return found


def _container_growth(first: dict[int, list], last: dict[int, list], limit: int = 12) -> list[list]:
    """The containers that gained most items between the two walks (new ones count from zero)."""
    rows = [[v[1] - (first[k][1] if k in first else 0), *v] for k, v in last.items()]
    return sorted((r for r in rows if r[0] > 0), reverse=True)[:limit]


def _native_heap() -> dict[str, float]:
    """glibc's view (mallinfo2: bytes in use, bytes free inside its arenas, mmapped) and SQLite's own use, MB."""
    import ctypes
    import ctypes.util

    out: dict[str, float] = {}
    try:

        class MallInfo2(ctypes.Structure):
            _fields_ = [
                (n, ctypes.c_size_t)
                for n in (
                    "arena",
                    "ordblks",
                    "smblks",
                    "hblks",
                    "hblkhd",
                    "usmblks",
                    "fsmblks",
                    "uordblks",
                    "fordblks",
                    "keepcost",
                )
            ]

        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallinfo2.restype = MallInfo2
        m = libc.mallinfo2()
        out.update(malloc_in_use=m.uordblks / MB, malloc_free=m.fordblks / MB, malloc_mmapped=m.hblkhd / MB)
    except (OSError, AttributeError):
        pass
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        out["sqlite"] = lib.sqlite3_memory_used() / MB
    except (OSError, AttributeError, TypeError):
        pass
    return {k: round(v, 1) for k, v in out.items()}


def child(spec: dict) -> dict:
    """In the child: run the flow over the dump while sampling; optionally trace Python allocations."""
    import tracemalloc

    import flows.ingest as fi

    total, top = spec["articles"], spec["tracemalloc"]
    progress = {"articles": 0}
    snapshots: dict[str, object] = {}
    counts: dict[str, dict[str, int]] = {}
    containers: dict[str, dict[int, list]] = {}
    native: dict[str, dict[str, float]] = {}
    real_prepare = fi.prepare_chunk

    def counted_prepare(articles, *args, **kwargs):
        out = real_prepare(articles, *args, **kwargs)
        progress["articles"] += len(articles)
        # half the articles in, and once the last full chunk is prepared: live Python objects at both
        if "half" not in counts and progress["articles"] >= total / 2:
            counts["half"] = _object_counts()
            containers["half"], native["half"] = _big_containers(), _native_heap()
            if top:
                snapshots["half"] = tracemalloc.take_snapshot()
        elif progress["articles"] > total - spec["chunk_size"]:
            counts["end"] = _object_counts()
            containers["end"], native["end"] = _big_containers(), _native_heap()
            if top:
                snapshots["end"] = tracemalloc.take_snapshot()
        return out

    fi.prepare_chunk = counted_prepare
    if top:
        tracemalloc.start(6)
    sampler = KindSampler(spec["interval"], progress)
    sampler.start()
    w = time.perf_counter()
    report = fi.configured_flow()(fi.IngestParams(paths=[spec["data"]], alias=spec["alias"]))
    wall = time.perf_counter() - w
    sampler.sample()  # after the flow: what Prefect released at its end
    sampler.stop.set()
    sampler.join()
    result = {
        "flow_wall_s": round(wall, 1),
        "articles_read": report["counts"]["articles_read"] if isinstance(report, dict) else None,
        "articles_prepared": progress["articles"],
        "summary": summarise(sampler.samples[:-1], progress["articles"]),
        "rss_mb_after_flow": {k: v for k, v in sampler.samples[-1].items() if k not in ("s", "articles")},
        "samples": sampler.samples,
    }
    result["lru_caches"] = _lru_caches()
    if "half" in counts and "end" in counts:
        result["object_count_growth"] = _count_growth(counts["half"], counts["end"])
        result["container_growth"] = _container_growth(containers["half"], containers["end"])
        result["native_heap_mb"] = native
    if top and "half" in snapshots and "end" in snapshots:
        result["tracemalloc_top_growth"] = _top_growth(snapshots["half"], snapshots["end"], top)
        traced = [s.statistics("filename") for s in (snapshots["half"], snapshots["end"])]
        result["tracemalloc_traced_mb"] = [round(sum(x.size for x in t) / MB, 1) for t in traced]
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="3000", help="articles in the dump: 3000, 5k, 10k, ...")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between RSS samples")
    ap.add_argument("--tracemalloc", type=int, default=0, metavar="N", help="report the N top Python growth sites")
    ap.add_argument("--data-root", type=Path, default=BENCH / "data")
    ap.add_argument("--out", type=Path, help="also write the JSON summary here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(Path(args.child).read_text())
        Path(spec["result"]).write_text(json.dumps(child(spec), default=str))
        return 0

    size = parse_size(args.size)
    data, info = ensure_data(size, args.seed, args.data_root)
    work = Path(tempfile.mkdtemp(prefix=f"nf-memory-{fmt_size(size)}-"))
    env = dict(os.environ)
    env.update(NEWSFACET_CACHE_DIR=str(work / "cache"), PREFECT_LOGGING_LEVEL="WARNING", PYTHONPATH=str(REPO))
    from newsfacet.devstack import esnode as node
    from newsfacet.settings import get_settings

    settings = get_settings()
    node_proc = prefect_proc = None
    try:
        if not os.environ.get("ELASTICSEARCH_URL"):
            node_proc, node_info = node.start_node(settings, work / "es-node")
            env["ELASTICSEARCH_URL"] = node_info.url
        if not os.environ.get("PREFECT_API_URL"):
            prefect_proc, env["PREFECT_API_URL"], _ = start_prefect(work)
        alias = f"memory-{fmt_size(size)}-{uuid.uuid4().hex[:6]}"
        spec = {
            "data": str(data),
            "alias": alias,
            "articles": size,
            "interval": args.interval,
            "tracemalloc": args.tracemalloc,
            "chunk_size": settings.chunk_size,
            "result": str(work / "result.json"),
        }
        spec_path = work / "spec.json"
        spec_path.write_text(json.dumps(spec))
        print(f"ingest of {size} articles into {alias} (work dir {work}) ...", file=sys.stderr)
        load0 = load_avg()
        with (work / "child.log").open("ab") as log:
            rc = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--child", str(spec_path)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            ).returncode
        if rc != 0:
            raise SystemExit(f"the ingest failed (exit {rc}); see {work / 'child.log'}")
        result = json.loads(Path(spec["result"]).read_text())
        from elasticsearch import Elasticsearch

        drop_alias(Elasticsearch(env["ELASTICSEARCH_URL"], request_timeout=60), alias)
    finally:
        stop_stack(prefect_proc, node_proc)
    out = {
        "command": "python bench/memory.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "git": git_state(),
        "data": {k: info.get(k) for k in ("articles", "seed", "generator_version", "words")},
        "settings": {k: getattr(settings, k) for k in ("chunk_size", "n_process", "nlp_batch_size", "task_runner")},
        "load_avg_before": load0,
        "load_avg_after": load_avg(),
        **result,
    }
    text = json.dumps(out, indent=2, default=str)
    if args.out:
        args.out.write_text(text)
    brief = {k: v for k, v in out.items() if k != "samples"}
    print(json.dumps(brief, indent=2, default=str))
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
