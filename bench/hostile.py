"""Peak memory of `newsfacet ingest` on the hostile inputs of issue 16, each beside two good files.

Not a test: it writes about 2.2 GB of dumps and takes several minutes. Cases:

  junk-gz     a .jsonl.gz of about 27 million lines that are not JSON (1 GiB uncompressed)
  huge-field  one JSONL line whose text field is 1 GiB, between two good lines
  array-pretty  a 200 MB pretty-printed JSON array of 200 good articles
  array-line  the same array on one line

For each case a fresh `newsfacet ingest --json` runs as a child process over a folder holding the
hostile file and two good .txt articles; the flow process's peak RSS (VmHWM, NER workers not
included) is read from /proc while it runs, and the peak of the whole process tree is sampled.
Results go to bench/results/<date>-hostile.json and stdout.

    .venv/bin/python bench/hostile.py [--cases junk-gz,array-pretty] [--work /tmp/nf-hostile]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.run import drop_alias, stop_stack  # noqa: E402

GIB = 2**30
GOOD = (
    "Ferry timetable changes for the summer\n\n"
    "DOVER, England — The harbour office said on Tuesday that the summer timetable starts on June {n}, 2024.\n\n"
    "Crews will add two late sailings on Fridays, report {n} from the operator said.\n"
)
BODY = (
    "The port authority in Bergen published its yearly report on the new quay works, with figures for "
    "freight, ferries and cruise calls, and a plan for the harbour front. "
)


def good_files(folder: Path) -> None:
    for n in (1, 2):
        (folder / f"good{n}.txt").write_text(GOOD.format(n=n), encoding="utf-8")


def article(n: int, padding: int) -> dict:
    """A good article of about `padding` bytes: short text, plus a long field the reader ignores."""
    return {
        "url": f"https://harbourtimes.example/report/{n}",
        "title": f"Quay report {n}",
        "text": f"Report {n}. " + BODY * 10,
        "comments": ["Reader comment about the quay works. " * 20] * (padding // 760),
    }


def make_junk_gz(path: Path) -> None:
    line = b"this line is not JSON, just words #####\n"  # 40 bytes: 1 GiB is 26.8 million lines
    block = line * (2**20 // len(line))
    with gzip.open(path, "wb", compresslevel=1) as fh:
        written = 0
        while written < GIB:
            fh.write(block)
            written += len(block)


def make_huge_field(path: Path) -> None:
    with path.open("wb") as fh:
        fh.write(json.dumps(article(1, 0)).encode() + b"\n")
        fh.write(b'{"url": "https://harbourtimes.example/huge", "title": "huge", "text": "')
        block = b"abcdefgh" * (2**20 // 8)
        for _ in range(GIB // len(block)):
            fh.write(block)
        fh.write(b'"}\n' + json.dumps(article(2, 0)).encode() + b"\n")


def make_array(path: Path, indent: int | None) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[\n" if indent else "[")
        for n in range(200):
            text = json.dumps(article(n, 1_000_000), indent=indent)
            fh.write(("" if n == 0 else (",\n" if indent else ",")) + text)
        fh.write("\n]\n" if indent else "]")


CASES = {
    "junk-gz": ("junk.jsonl.gz", make_junk_gz, 2),
    "huge-field": ("field.jsonl", make_huge_field, 4),
    "array-pretty": ("export.json", lambda p: make_array(p, 2), 202),
    "array-line": ("export.json", lambda p: make_array(p, None), 202),
}


def tree(pid: int) -> list[int]:
    import psutil

    try:
        proc = psutil.Process(pid)
        return [pid, *(c.pid for c in proc.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_case(name: str, work: Path, env: dict[str, str]) -> dict:
    import psutil

    filename, make, expected = CASES[name]
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    good_files(folder)
    started = time.perf_counter()
    make(folder / filename)
    size = (folder / filename).stat().st_size
    print(f"{name}: wrote {size / 2**20:.0f} MiB in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    alias = f"nf-hostile-{name}-{uuid.uuid4().hex[:6]}"
    cmd = [str(Path(sys.executable).parent / "newsfacet"), "ingest", "--alias", alias, "--json", str(folder)]
    case_env = {**env, "NEWSFACET_CACHE_DIR": str(work / f"cache-{name}")}
    peak = {"flow": 0.0, "tree": 0.0}
    proc = subprocess.Popen(cmd, env=case_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)

    def watch() -> None:
        while proc.poll() is None:
            hwm = vm_hwm_mb(proc.pid)
            if hwm:
                peak["flow"] = max(peak["flow"], hwm)
            total = 0.0
            for pid in tree(proc.pid):
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += psutil.Process(pid).memory_info().rss / 2**20
            peak["tree"] = max(peak["tree"], total)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    watcher.join()
    result: dict = {
        "case": name,
        "file_mib": round(size / 2**20),
        "exit_code": proc.returncode,
        "wall_s": round(wall, 1),
        "flow_peak_rss_mb": round(peak["flow"]),
        "tree_peak_rss_mb": round(peak["tree"]),
        "expected_documents": expected,
    }
    try:
        report = json.loads(out)
        result["indexed"] = report["stages"].get("load", {}).get("indexed", 0)
        result["records_skipped"] = report["counts"].get("records_skipped", 0)
        result["files_quarantined"] = report["counts"].get("files_quarantined", 0)
        result["skipped_records_in_report"] = len(report["skipped_records"])
    except (json.JSONDecodeError, KeyError):
        result["stderr_tail"] = err.decode(errors="replace")[-2000:]
    quarantine = work / f"cache-{name}" / "runs" / "quarantine.jsonl"
    if quarantine.exists():
        result["quarantine_lines"] = sum(1 for _ in quarantine.open("rb"))
        result["quarantine_bytes"] = quarantine.stat().st_size
    from elasticsearch import Elasticsearch

    es = Elasticsearch(env["ELASTICSEARCH_URL"], request_timeout=60)
    es.indices.refresh(index=alias)
    result["documents_in_alias"] = es.count(index=alias)["count"]
    drop_alias(es, alias)
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result), file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="nf-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}

    from newsfacet.settings import get_settings

    node_proc = prefect_proc = None
    try:
        if not env.get("ELASTICSEARCH_URL"):
            from newsfacet.devstack import esnode as node

            node_proc, info = node.start_node(get_settings(), work / "es-node")
            env["ELASTICSEARCH_URL"] = info.url
        if not env.get("PREFECT_API_URL"):
            from newsfacet.devstack.prefect_server import start_prefect_server

            prefect_proc, env["PREFECT_API_URL"] = start_prefect_server(work / "prefect", ui=False)
        results = [run_case(name, work, env) for name in args.cases.split(",")]
    finally:
        stop_stack(prefect_proc, node_proc)
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    out = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": rev.strip(),
        "command": "python bench/hostile.py " + " ".join(sys.argv[1:]),
        "results": results,
    }
    path = REPO / "bench" / "results" / f"{datetime.now(UTC).date().isoformat()}-hostile.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
