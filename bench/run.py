"""The ingest benchmark: one command reproduces a row of BENCHMARKS.md.

    .venv/bin/python bench/run.py --size 1k           # also 10k, 100k, or any number
    .venv/bin/python bench/run.py --size 10k --n-process 2 --naive-sample 500

What it does, in order (each measured phase runs in its own child process, so peak RSS and
timings of one phase do not leak into another; this process samples the child's whole process tree):

1. generate the synthetic dump (bench/generate.py) into bench/data/<size>-seed<seed>, or reuse it;
2. start a dev Elasticsearch node (newsfacet.devstack.esnode.start_node, temp home) unless ELASTICSEARCH_URL is set;
3. ingest: the real flow, configured_flow()(IngestParams(paths=[dump], alias=...)) in-process with
   PREFECT_API_URL unset (Prefect's ephemeral server, fresh PREFECT_HOME). A no-op flow runs first so
   Prefect's startup is timed on its own and not charged to the pipeline. Fresh alias, fresh
   NEWSFACET_CACHE_DIR. Stage times come from wrapping the stage functions the flow calls (wall and
   thread-CPU seconds per stage: they overlap, because enrich runs on a worker thread);
4. rerun: the same flow again over the unchanged dump, same alias and cache dir (the manifest skips all);
5. ceiling: nlp.pipe over the texts the pipeline feeds NER (read -> prepare_chunk -> ner_texts, with one
   run-wide DuplicateIndex), one stream, same n_process and batch size, NER-only (transforms.ner.load_ner);
6. naive: spacy.load(model) with the full pipeline, nlp(raw_text) per article, one es.index() per
   document. On a stride sample of --naive-sample articles; every article is still read, so the rate is
   read_seconds/articles + (nlp+index seconds)/sample, per article;
7. results: bench/results/<date>-<size>.json and a markdown row on stdout.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# The code under test: this repo, or a snapshot of a commit (--rev) that children get through NF_BENCH_SRC.
SRC = Path(os.environ.get("NF_BENCH_SRC", REPO))
sys.path.insert(0, str(SRC))
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------------------------------------- machine


def git_state(rev: str | None = None) -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30).stdout
        except OSError:
            return ""

    import hashlib

    dirty = [line[3:] for line in git("status", "--short", "--untracked-files=no").splitlines()]
    return {
        "head": git("rev-parse", "--short", "HEAD").strip(),
        "rev": git("rev-parse", "--short", rev).strip() if rev else None,
        "modified": dirty,
        "diff_sha1": hashlib.sha1(git("diff", "HEAD").encode()).hexdigest()[:12] if dirty else None,
    }


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(mem / 2**30, 1),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def result_header(script: str, argv: list[str] | None, data_info: dict) -> dict:
    """The fields a side benchmark's result file starts with: date, command line, machine, git state, data."""
    args = argv if argv is not None else sys.argv[1:]
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "command": f"python bench/{script} " + " ".join(args),
        "machine": machine(),
        "git": git_state(),
        "data": data_info,
    }


def write_result(result: dict, kind: str, size: int, stamped: bool = True) -> Path:
    """bench/results/<date>-<kind>-<size>[-<HHMMSS>].json; the path written."""
    stamp = datetime.now(UTC).strftime("-%H%M%S") if stamped else ""
    out = BENCH / "results" / f"{result['date']}-{kind}-{fmt_size(size)}{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out


# ---------------------------------------------------------------------------------------------- RSS sampling


class TreeSampler:
    """Samples RSS of a process and all its descendants (spaCy workers, Dask workers, Prefect's server)."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        import psutil

        self.psutil = psutil
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_total = 0
        self.peak_by_kind: dict[str, int] = {}
        self.peak_procs = 0
        self.trend: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    @staticmethod
    def kind(proc) -> str:
        try:
            cmd = " ".join(proc.cmdline())
        except Exception:
            return "workers"
        if "uvicorn" in cmd or ("prefect" in cmd and "server" in cmd):
            return "prefect_server"
        if "dask" in cmd or "distributed" in cmd:
            return "dask"
        return "workers"  # spaCy n_process children (forked: same command line as their parent)

    def _run(self) -> None:
        last_trend = -10.0
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except self.psutil.Error:
                break
            total = 0
            by_kind: dict[str, int] = {}
            for i, p in enumerate(procs):
                try:
                    rss = p.memory_info().rss
                except self.psutil.Error:
                    continue
                k = "main" if i == 0 else self.kind(p)
                by_kind[k] = by_kind.get(k, 0) + rss
                total += rss
            self.peak_total = max(self.peak_total, total)
            self.peak_procs = max(self.peak_procs, len(procs))
            for k, v in by_kind.items():
                self.peak_by_kind[k] = max(self.peak_by_kind.get(k, 0), v)
            now = time.monotonic() - self.started
            if now - last_trend >= 5:
                self.trend.append((round(now, 1), total))
                last_trend = now
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        mb = 2**20
        pipeline = self.peak_total - self.peak_by_kind.get("prefect_server", 0)
        return {
            "peak_rss_tree_mb": round(self.peak_total / mb),
            "peak_rss_tree_without_prefect_server_mb": round(pipeline / mb),
            "peak_rss_by_kind_mb": {k: round(v / mb) for k, v in sorted(self.peak_by_kind.items())},
            "peak_processes": self.peak_procs,
            "rss_trend_mb": [(t, round(v / mb)) for t, v in self.trend],
        }


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def rss_mb_tree(pid: int) -> int | None:
    import psutil

    try:
        root = psutil.Process(pid)
        return round(sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20)
    except psutil.Error:
        return None


def rss_mb(pid: int | None) -> int | None:
    if pid is None:
        return None
    import psutil

    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20)
    except psutil.Error:
        return None


# ---------------------------------------------------------------------------------------------- child phases


class Stages:
    """Wall and thread-CPU seconds per wrapped function, summed over calls (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data: dict[str, dict[str, float]] = {}

    def add(self, name: str, wall: float, cpu: float, calls: int = 1) -> None:
        with self.lock:
            d = self.data.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0, "calls": 0})
            d["wall_s"] += wall
            d["cpu_s"] += cpu
            d["calls"] += calls

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            w, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - w, time.thread_time() - c)

        return timed

    def wrap_gen(self, name: str, fn):
        def timed(*args, **kwargs):
            it = iter(fn(*args, **kwargs))
            while True:
                w, c = time.perf_counter(), time.thread_time()
                try:
                    item = next(it)
                except StopIteration:
                    self.add(name, time.perf_counter() - w, time.thread_time() - c, 0)
                    return
                self.add(name, time.perf_counter() - w, time.thread_time() - c, 0)
                yield item

        return timed

    def rounded(self) -> dict:
        return {k: {kk: round(vv, 2) for kk, vv in v.items()} for k, v in sorted(self.data.items())}


class TimedNlp:
    """A spaCy pipeline whose pipe() records the seconds spent waiting for docs (the NER itself)."""

    def __init__(self, nlp, stages: Stages) -> None:
        self._nlp = nlp
        self._stages = stages

    def __getattr__(self, name: str):
        return getattr(self._nlp, name)

    def pipe(self, texts, **kwargs):
        texts = list(texts)
        self._stages.add("  ner_texts", 0.0, 0.0, len(texts))
        self._stages.add("  ner_pipe_calls", 0.0, 0.0, 1)
        yield from self._stages.wrap_gen("  enrich.ner_pipe", self._nlp.pipe)(texts, **kwargs)


def instrument(stages: Stages) -> None:
    """Wrap the functions the flow calls, where the flow looks them up (module globals)."""
    import flows.ingest as fi
    import newsfacet.manifest as nm
    import transforms.pipeline as tp

    try:  # the read loop lives in readers.chunks since the restructuring; in the flow before
        import readers.chunks as reading
    except ImportError:
        reading = fi
    reading.read_file = stages.wrap_gen("read", reading.read_file)
    for name, label in (
        ("prepare_chunk", "prepare"),
        ("enrich_chunk", "enrich"),
        ("load_documents", "load"),
        ("_append_jsonl", "rejects_jsonl"),
        ("ensure_index", "ensure_index"),
    ):
        if hasattr(fi, name):
            setattr(fi, name, stages.wrap(label, getattr(fi, name)))
    nm.Manifest.record = stages.wrap("manifest_record", nm.Manifest.record)
    nm.Manifest.needs_processing = stages.wrap("manifest_needs_processing", nm.Manifest.needs_processing)
    nm.Manifest.add_fingerprints = stages.wrap("manifest_fingerprints", nm.Manifest.add_fingerprints)
    for name in (
        "articles_to_frame",
        "assign_ids",
        "detect_languages",
        "clean_frame",
        "extract_publish_dates",
        "dedupe_articles",
    ):
        if not hasattr(tp, name):  # an older commit (--rev) has no such stage
            continue
        setattr(tp, name, stages.wrap(f"  prepare.{name}", getattr(tp, name)))
    for name in ("extract_entities", "resolve_mentioned_dates", "to_documents"):
        setattr(tp, name, stages.wrap(f"  enrich.{name}", getattr(tp, name)))
    for name in ("ner_cache_keys",):  # the flow's NER-cache lookup, when the flow has one
        if hasattr(fi, name):
            setattr(fi, name, stages.wrap(name, getattr(fi, name)))
    for name in ("ner_results", "add_ner_results", "add_furniture_counts", "record_many"):
        if hasattr(nm.Manifest, name):
            setattr(nm.Manifest, name, stages.wrap(f"manifest_{name}", getattr(nm.Manifest, name)))
    real_load_ner = tp.load_ner
    tp.load_ner = stages.wrap("  enrich.load_ner", lambda model: TimedNlp(real_load_ner(model), stages))
    import transforms.ner as te

    if hasattr(te, "NerPool"):  # NER in worker processes: time the flow's wait for it (wall only)
        real_call = te.NerPool.__call__

        def pool_call(self, texts, *model):
            stages.add("  ner_texts", 0.0, 0.0, len(texts))
            return real_call(self, texts, *model)

        te.NerPool.__call__ = stages.wrap("  enrich.ner_pool_wait", pool_call)


def phase_ingest(spec: dict) -> dict:
    """The real flow, in-process (Prefect ephemeral mode); Prefect startup timed apart."""
    from prefect import flow

    t0 = time.perf_counter()

    @flow(name="bench-warmup")
    def warmup() -> int:
        return 1

    warmup()
    prefect_startup = time.perf_counter() - t0

    stages = Stages()
    if spec.get("instrument", True):
        instrument(stages)
    from flows.ingest import IngestParams, configured_flow
    from newsfacet.settings import get_settings

    settings = get_settings()
    load0 = load_avg()
    import resource

    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w, c = time.perf_counter(), time.process_time()
    report = configured_flow()(IngestParams(paths=[spec["data"]], alias=spec["alias"]))
    wall = time.perf_counter() - w
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "flow_workers_cpu_s": round(kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime, 2),
        "prefect_client_warmup_s": round(prefect_startup, 2),
        "flow_wall_s": round(wall, 2),
        "flow_main_process_cpu_s": round(time.process_time() - c, 2),
        "load_avg_before": load0,
        "load_avg_after": load_avg(),
        "report_counts": {k: v for k, v in report.items() if k in ("counts", "stages")} or report,
        "stages": stages.rounded(),
        "settings": {
            **{
                k: getattr(settings, k)
                for k in ("n_process", "nlp_batch_size", "chunk_size", "bulk_chunk_size", "task_runner", "spacy_model")
            },
            "n_process": ner_procs(settings),
        },
    }


def ner_procs(settings) -> int:
    """NER processes the settings give (0 means one per core)."""
    return settings.n_process or os.cpu_count() or 1


def _prepared_texts(data: str, chunk_size: int, out_path: Path) -> dict:
    """Write the texts the pipeline feeds NER (one JSON string per line); no timing of interest."""
    from newsfacet.settings import CONFIG_DIR, get_settings
    from readers import discover
    from readers.chunks import read_chunks
    from transforms.dedupe import DuplicateIndex
    from transforms.entities import chunk_texts
    from transforms.pipeline import load_transform_config, prepare_chunk

    s = get_settings()
    cfg = load_transform_config(CONFIG_DIR, s.spacy_model, s.n_process, s.nlp_batch_size)
    dup = DuplicateIndex()
    extra = []
    if "furniture" in inspect.signature(prepare_chunk).parameters:  # site-furniture learning, when present
        from transforms.clean import FurnitureIndex

        extra = [FurnitureIndex(min_articles=s.furniture_min_articles)]
    n_texts = n_words = n_articles = n_distinct = distinct_words = 0
    seen: set[int] = set()
    with out_path.open("w", encoding="utf-8") as fh:

        def flush(batch):
            nonlocal n_texts, n_words, n_articles, n_distinct, distinct_words
            frame = prepare_chunk(batch, cfg, dup, *extra).frame
            n_articles += len(frame)
            for _, text in chunk_texts(frame, cfg.rules):  # the parts (title, paragraphs, captions) NER reads
                n_texts += 1
                n_words += len(text.split())
                key = hash(text)
                if key in seen:
                    continue
                seen.add(key)
                n_distinct += 1
                distinct_words += len(text.split())
                fh.write(json.dumps(text) + "\n")

        # the flow's own read-and-chunk loop
        for event in read_chunks(discover([data]), None, chunk_size, on_problem=lambda p: None):
            if event.articles:
                flush(event.articles)
    return {
        "articles_after_dedupe": n_articles,
        "texts": n_texts,
        "words": n_words,
        "distinct_texts": n_distinct,
        "distinct_words": distinct_words,
    }


def phase_ceiling(spec: dict) -> dict:
    """nlp.pipe over the distinct NER texts, one stream, NER-only, same n_process and batch size.

    Distinct texts: each paragraph text once, as a pipeline with a per-text NER cache feeds it (a text that
    repeats across articles, e.g. site furniture the cleaner keeps, needs NER once).
    """
    from newsfacet.settings import get_settings
    from transforms.ner import load_ner

    s = get_settings()
    texts_path = Path(spec["work"]) / "ner_texts.jsonl"
    w = time.perf_counter()
    info = _prepared_texts(spec["data"], s.chunk_size, texts_path)
    info["prepare_texts_s"] = round(time.perf_counter() - w, 2)
    w = time.perf_counter()
    nlp = load_ner(s.spacy_model)
    info["model_load_s"] = round(time.perf_counter() - w, 2)
    info["pipe_names"] = nlp.pipe_names

    def texts():
        with texts_path.open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

    info.update(_timed_pipe(nlp, texts, s.nlp_batch_size, ner_procs(s)))
    if spec.get("single"):
        # The physical limit of this NER on this machine: one process's rate times the cores it would get.
        info["single"] = _timed_pipe(nlp, texts, s.nlp_batch_size, 1)
    texts_path.unlink(missing_ok=True)
    return info


def _timed_pipe(nlp, texts, batch_size: int, n_process: int) -> dict:
    """Wall and CPU seconds of nlp.pipe over the texts (spawned workers' CPU counted once reaped)."""
    import resource

    load0 = load_avg()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w, c = time.perf_counter(), time.process_time()
    ents = 0
    for doc in nlp.pipe(texts(), batch_size=batch_size, n_process=n_process):
        ents += len(doc.ents)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "workers_cpu_s": round(kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime, 2),
        "pipe_wall_s": round(time.perf_counter() - w, 2),
        "main_process_cpu_s": round(time.process_time() - c, 2),
        "entities": ents,
        "n_process": n_process,
        "batch_size": batch_size,
        "load_avg_before": load0,
        "load_avg_after": load_avg(),
    }


def phase_naive(spec: dict) -> dict:
    """What a user writes by hand: full spaCy pipeline, nlp(text) per article, es.index() per document."""
    import spacy
    from elasticsearch import Elasticsearch

    from newsfacet.settings import get_settings
    from readers import ReaderError, discover, read_file

    s = get_settings()
    total = spec["articles"]
    stride = max(1, total // spec["sample"])
    w = time.perf_counter()
    nlp = spacy.load(s.spacy_model)
    model_load = time.perf_counter() - w
    es = Elasticsearch(spec["es_url"], request_timeout=60)
    index = spec["index"]
    read_s = work_s = 0.0
    n = sampled = words = 0
    load0 = load_avg()
    it = (a for p in discover([spec["data"]]) for a in _safe(read_file, p, ReaderError))
    while True:
        w = time.perf_counter()
        article = next(it, None)
        read_s += time.perf_counter() - w
        if article is None:
            break
        n += 1
        if (n - 1) % stride:
            continue
        w = time.perf_counter()
        doc = nlp(article.raw_text)
        body = {
            "title": article.title,
            "text": article.raw_text,
            "url": article.url,
            "source": article.source,
            "entities": [{"text": e.text, "label": e.label_} for e in doc.ents],
        }
        es.index(index=index, document=body)
        work_s += time.perf_counter() - w
        sampled += 1
        words += len(article.raw_text.split())
    per_article = read_s / n + work_s / sampled
    es.options(ignore_status=404).indices.delete(index=index)
    return {
        "pipe_names": nlp.pipe_names,
        "model_load_s": round(model_load, 2),
        "articles_read": n,
        "sampled": sampled,
        "stride": stride,
        "read_s": round(read_s, 2),
        "nlp_and_index_s_sample": round(work_s, 2),
        "raw_words_sample": words,
        "per_article_s": round(per_article, 5),
        "articles_per_s": round(1 / per_article, 2),
        "extrapolated_s": round(per_article * n, 1),
        "load_avg_before": load0,
        "load_avg_after": load_avg(),
    }


def _safe(read_file, path, error):
    try:
        yield from read_file(path, None, on_problem=lambda p: None)
    except error:
        return


PHASES = {"ingest": phase_ingest, "ceiling": phase_ceiling, "naive": phase_naive}


def child_main(phase: str, spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    result = PHASES[phase](spec)
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["child_cpu_s"] = round(me.ru_utime + me.ru_stime, 2)
    result["child_reaped_children_cpu_s"] = round(kids.ru_utime + kids.ru_stime, 2)  # spaCy workers
    result["child_ru_maxrss_mb"] = round(me.ru_maxrss / 1024)
    Path(spec["result"]).write_text(json.dumps(result, indent=2, default=str))
    return 0


# ---------------------------------------------------------------------------------------------- parent


def run_phase(
    phase: str, spec: dict, env: dict[str, str], work: Path, es_pid: int | None, prefect_pid: int | None = None
) -> dict:
    """Run one phase in a child process, sampling its process tree's RSS and the ES node's CPU."""
    spec = {**spec, "result": str(work / f"{phase}-{uuid.uuid4().hex[:6]}.json"), "work": str(work)}
    spec_path = work / f"{phase}-spec.json"
    spec_path.write_text(json.dumps(spec))
    log = (work / f"{phase}.log").open("ab")
    load0, es_cpu0, pf_cpu0 = load_avg(), cpu_seconds(es_pid), cpu_seconds(prefect_pid)
    w = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--spec", str(spec_path)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=env.get("NF_BENCH_SRC", REPO),
    )
    import psutil

    spy = None
    if spec.get("profile") and phase == "ingest":
        # sampled from outside (no tracing in the flow process); --nonblocking: the flow is never paused
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(proc.pid),
                "--rate",
                "25",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                spec["profile"],
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    with TreeSampler(proc.pid) as sampler:
        # children's CPU (spaCy workers, Prefect server) is only counted once they are reaped
        rc = proc.wait()
    if spy is not None:
        spy.wait(timeout=120)
    wall = time.perf_counter() - w
    if rc != 0:
        raise SystemExit(f"phase {phase} failed (exit {rc}); see {work / (phase + '.log')}")
    result = json.loads(Path(spec["result"]).read_text())
    es_cpu1, pf_cpu1 = cpu_seconds(es_pid), cpu_seconds(prefect_pid)
    if spy is not None:
        result["profile"] = {"file": spec["profile"], **profile_summary(Path(spec["profile"]))}
    result.update(
        process_wall_s=round(wall, 2),
        load_avg_parent_before=load0,
        load_avg_parent_after=load_avg(),
        es_cpu_s=round(es_cpu1 - es_cpu0, 1) if es_cpu0 is not None and es_cpu1 is not None else None,
        es_rss_mb=rss_mb(es_pid),
        prefect_server_cpu_s=round(pf_cpu1 - pf_cpu0, 1) if pf_cpu0 is not None and pf_cpu1 is not None else None,
        **sampler.summary(),
    )
    del psutil
    return result


def _frame_name(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1].split(':')[0].rstrip(')')})" if where else name


def profile_summary(path: Path, top: int = 25) -> dict:
    """Top functions of a py-spy raw profile (collapsed stacks): by own samples and by samples under them."""
    from collections import Counter

    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    if not path.exists():
        return {"error": "py-spy wrote no profile (is ptrace allowed?)"}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        # "function (path/file.py:line)" -> "function (file.py)": one entry per function, not per line
        frames = [_frame_name(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            under[frame] += n
    share = lambda c: [[f, round(100 * n / total, 1)] for f, n in c.most_common(top)]  # noqa: E731
    return {"samples": total, "own_pct": share(own), "inclusive_pct": share(under)}


def drop_alias(es, alias: str) -> None:
    """Delete the benchmark alias's indices and its index template (the names search.schema gives them)."""
    from search.schema import SEP, template_name

    indices = list(es.indices.get(index=f"{alias}{SEP}*", allow_no_indices=True))
    if indices:
        es.indices.delete(index=",".join(indices))
    es.options(ignore_status=404).indices.delete_index_template(name=template_name(alias))


def stop_stack(prefect_proc: subprocess.Popen | None, node_proc: subprocess.Popen | None) -> None:
    """Stop the Prefect server and the Elasticsearch node a benchmark started (None: it did not)."""
    if prefect_proc is not None:
        os.killpg(prefect_proc.pid, 15)
        prefect_proc.wait(timeout=30)
    if node_proc is not None:
        from newsfacet.devstack import esnode as node

        node.stop_pid(node_proc.pid)


def start_prefect(work: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """A Prefect server with its own SQLite home (the one tests use), and its start-up seconds."""
    from newsfacet.devstack.prefect_server import start_prefect_server

    w = time.perf_counter()
    proc, url = start_prefect_server(work / "prefect", ui=False)
    return proc, url, round(time.perf_counter() - w, 1)


def ensure_data(size: int, seed: int, data_root: Path) -> tuple[Path, dict]:
    from bench.generate import GENERATOR_VERSION, generate

    out = data_root / f"{size}-seed{seed}"
    marker = out / ".generated.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if (
            info.get("articles") == size
            and info.get("seed") == seed
            and info.get("generator_version") == GENERATOR_VERSION
        ):
            return out, info
    if out.exists():
        import shutil

        shutil.rmtree(out)
    print(f"generating {size} articles into {out} ...", file=sys.stderr)
    return out, generate(size, out, seed)


def parse_size(text: str) -> int:
    return SIZES.get(text.lower()) or int(text.lower().replace("k", "000").replace("_", ""))


def fmt_size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def markdown_row(r: dict) -> str:
    i1, i2, ceil, naive = r["ingest"], r.get("rerun"), r.get("ceiling"), r.get("naive")
    arts, words = r["data"]["articles"], r["data"]["words"]
    e2e = i1["flow_wall_s"]
    cells = [
        r["date"],
        fmt_size(arts),
        f"n_process={i1['settings']['n_process']}",
        f"{e2e:.0f}",
        f"{arts / e2e:.1f}",
        f"{words / e2e:,.0f}",
        f"{ceil['articles_after_dedupe'] / ceil['pipe_wall_s']:.1f} ({ceil['pipe_wall_s']:.0f}s)" if ceil else "-",
        f"{r['ratios'].get('e2e_vs_ceiling', 0):.2f} (CPU {r['ratios'].get('e2e_vs_ceiling_cpu', 0):.2f})"
        if ceil
        else "-",
        f"{naive['articles_per_s']:.1f}" if naive else "-",
        f"{r['ratios'].get('e2e_vs_naive', 0):.1f}x" if naive else "-",
        f"{i2['flow_wall_s']:.1f}s / {r['ratios'].get('first_vs_rerun', 0):.0f}x" if i2 else "-",
        f"{i1['peak_rss_tree_without_prefect_server_mb']} ({i1['peak_rss_tree_mb']})",
        f"{r['prefect'].get('start_s') or '-'} / {i1['prefect_client_warmup_s']:.1f}",
        f"{i1['load_avg_before'][0]:.2f}->{i1['load_avg_after'][0]:.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


def ner_cores(r: dict) -> int:
    """Cores the one-process NER rate is multiplied by: the machine's, as the pipeline's NER workers get."""
    return r["machine"].get("cores") or os.cpu_count() or 1


def headline(r: dict) -> str:
    """The issue-17 comparison: end to end against nlp.pipe(n_process) and against cores x one process."""
    q, c = r["ratios"], r["ceiling"]
    n = ner_cores(r)
    return (
        "\n| size | e2e articles/s | nlp.pipe n_process="
        f"{c['n_process']} articles/s | {n} x 1-process NER articles/s | e2e / pipe | e2e / ({n} x 1-process) |\n"
        "|---|---|---|---|---|---|\n"
        f"| {fmt_size(r['data']['articles'])} | {q['e2e_articles_per_s']:.1f} | {q['pipe_articles_per_s']:.1f}"
        f" | {q['single_times_cores_articles_per_s']:.1f} | {q['e2e_vs_pipe']:.2f} | {q['e2e_vs_single_times_cores']:.2f} |"
    )


HEADER = (
    "| date | size | NER procs | e2e s | articles/s | words/s | NER-only ceiling articles/s (pipe s) | e2e/ceiling wall (CPU)"
    " | naive articles/s | vs naive | unchanged re-run s / speed-up | peak RSS MB pipeline (with Prefect server)"
    " | Prefect server start s / client warm-up s | load avg 1m |\n|" + "---|" * 14
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1k", help="1k, 10k, 100k or a number of articles")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n-process", type=int, help="NEWSFACET_N_PROCESS for every phase (default: the setting)")
    ap.add_argument("--naive-sample", type=int, default=1000, help="articles the naive baseline processes")
    ap.add_argument("--skip", default="", help="comma list of phases to skip: rerun,ceiling,naive")
    ap.add_argument("--data-root", type=Path, default=BENCH / "data")
    ap.add_argument(
        "--rev", help="benchmark this commit (a git archive snapshot) instead of the working tree, e.g. HEAD"
    )
    ap.add_argument("--profile", action="store_true", help="sample the ingest phase's flow process with py-spy")
    ap.add_argument("--keep", action="store_true", help="keep the alias, cache dir and work files")
    ap.add_argument(
        "--headline",
        action="store_true",
        help="the speed ratios only: end to end, nlp.pipe with n_process, and 2 x one NER process, same texts"
        " (skips rerun and naive)",
    )
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase:
        return child_main(args.phase, args.spec)

    size = parse_size(args.size)
    skip = {s for s in args.skip.split(",") if s}
    if args.headline:
        skip |= {"rerun", "naive"}
        skip.discard("ceiling")
    data, info = ensure_data(size, args.seed, args.data_root)
    work = Path(tempfile.mkdtemp(prefix=f"nf-bench-{fmt_size(size)}-"))
    env = dict(os.environ)
    src = REPO
    if args.rev:
        src = work / "src"
        src.mkdir()
        archive = subprocess.run(["git", "archive", args.rev], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        env["NF_BENCH_SRC"] = str(src)
    env.update(NEWSFACET_CACHE_DIR=str(work / "cache"), PREFECT_LOGGING_LEVEL="WARNING", PYTHONPATH=str(src))
    if args.n_process:
        env["NEWSFACET_N_PROCESS"] = str(args.n_process)
    alias = f"bench-{fmt_size(size)}-{uuid.uuid4().hex[:6]}"

    from newsfacet.settings import get_settings

    node_proc = None
    es_pid = None
    es_url = os.environ.get("ELASTICSEARCH_URL")
    es_start_s = None
    if not es_url:
        from newsfacet.devstack import esnode as node

        w = time.perf_counter()
        node_proc, node_info = node.start_node(get_settings(), work / "es-node")
        es_start_s = round(time.perf_counter() - w, 1)
        es_url, es_pid = node_info.url, node_proc.pid
    env["ELASTICSEARCH_URL"] = es_url
    prefect_proc = None
    prefect_start_s = None
    if not os.environ.get("PREFECT_API_URL"):
        try:
            prefect_proc, env["PREFECT_API_URL"], prefect_start_s = start_prefect(work)
        except BaseException:
            if node_proc is not None:
                node.stop_pid(node_proc.pid)
            raise
    print(f"ES at {es_url}; Prefect at {env['PREFECT_API_URL']}; work dir {work}; alias {alias}", file=sys.stderr)

    result: dict = {
        "date": datetime.now(UTC).date().isoformat(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/run.py " + " ".join(a for a in (argv or sys.argv[1:])),
        "machine": machine(),
        "git": {**git_state(args.rev), "benchmarked": f"snapshot of {args.rev}" if args.rev else "working tree"},
        "data": {**info, "path": str(data)},
        "es": {"url": es_url, "embedded": node_proc is not None, "start_s": es_start_s},
        "alias": alias,
        "prefect": {
            "url": env["PREFECT_API_URL"],
            "started_here": prefect_proc is not None,
            "start_s": prefect_start_s,
        },
    }
    try:
        pf_pid = prefect_proc.pid if prefect_proc else None
        spec = {"data": str(data), "alias": alias, "articles": size, "single": args.headline}
        if args.profile:
            spec["profile"] = str(work / "ingest-profile.txt")
        print("phase ingest ...", file=sys.stderr)
        result["ingest"] = run_phase("ingest", spec, env, work, es_pid, pf_pid)
        if "rerun" not in skip:
            print("phase rerun ...", file=sys.stderr)
            rerun = {k: v for k, v in spec.items() if k != "profile"}
            result["rerun"] = run_phase("ingest", rerun, env, work, es_pid, pf_pid)
        if "ceiling" not in skip:
            print("phase ceiling ...", file=sys.stderr)
            result["ceiling"] = run_phase("ceiling", spec, env, work, es_pid)
        if "naive" not in skip:
            print("phase naive ...", file=sys.stderr)
            naive_spec = {**spec, "sample": args.naive_sample, "es_url": es_url, "index": f"naive-{alias}"}
            result["naive"] = run_phase("naive", naive_spec, env, work, es_pid)
        from elasticsearch import Elasticsearch

        es = Elasticsearch(es_url, request_timeout=60)
        result["indexed_docs"] = es.count(index=alias)["count"]
        if not args.keep:
            drop_alias(es, alias)
    finally:
        if prefect_proc is not None:
            result["prefect"]["rss_mb_at_end"] = rss_mb_tree(prefect_proc.pid)
            result["prefect"]["cpu_s_total"] = cpu_seconds(prefect_proc.pid)
        stop_stack(prefect_proc, node_proc)

    e2e = result["ingest"]["flow_wall_s"]
    ratios = {}
    if "ceiling" in result:
        c, i = result["ceiling"], result["ingest"]
        ratios["e2e_vs_ceiling"] = round(c["pipe_wall_s"] / e2e, 3)
        # CPU seconds are less sensitive to other tenants of the machine than wall time
        ratios["e2e_vs_ceiling_cpu"] = round(
            (c["main_process_cpu_s"] + c["workers_cpu_s"]) / (i["flow_main_process_cpu_s"] + i["flow_workers_cpu_s"]), 3
        )
    if "single" in result.get("ceiling", {}):
        # one article count for all three rates (the dump's), so each ratio is a ratio of seconds
        c, n = result["ceiling"], result["data"]["articles"]
        e2e_rate, pipe_rate = n / e2e, n / c["pipe_wall_s"]
        limit = n / c["single"]["pipe_wall_s"] * ner_cores(result)
        ratios.update(
            e2e_articles_per_s=round(e2e_rate, 2),
            pipe_articles_per_s=round(pipe_rate, 2),
            single_times_cores_articles_per_s=round(limit, 2),
            e2e_vs_pipe=round(e2e_rate / pipe_rate, 3),
            e2e_vs_single_times_cores=round(e2e_rate / limit, 3),
        )
    if "naive" in result:
        ratios["e2e_vs_naive"] = round((size / e2e) / result["naive"]["articles_per_s"], 2)
    if "rerun" in result:
        ratios["first_vs_rerun"] = round(e2e / result["rerun"]["flow_wall_s"], 1)
        ratios["first_vs_rerun_process"] = round(
            result["ingest"]["process_wall_s"] / result["rerun"]["process_wall_s"], 1
        )
    result["ratios"] = ratios
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = BENCH / "results" / f"{result['date']}-{fmt_size(size)}.json"
    out.parent.mkdir(exist_ok=True)
    if out.exists():
        out = out.with_name(f"{out.stem}-{datetime.now(UTC):%H%M%S}.json")
    profile = Path(result["ingest"].get("profile", {}).get("file", "/nonexistent"))
    if profile.exists():  # the raw stacks, for a closer look than the summary (py-spy's "raw" format, gzipped)
        import gzip

        kept = out.with_name(out.stem + "-profile.txt.gz")
        kept.write_bytes(gzip.compress(profile.read_bytes()))
        result["ingest"]["profile"]["file"] = str(kept.relative_to(REPO))
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"results: {out}", file=sys.stderr)
    print(HEADER)
    print(markdown_row(result))
    if "e2e_vs_pipe" in ratios:
        print(headline(result))
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
