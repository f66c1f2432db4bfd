"""The cost of an unchanged re-run with the local stack up (`newsfacet up`), against the first run.

    .venv/bin/python bench/rerun.py --articles 2500

Generates a synthetic dump (bench/generate.py; most articles are one file each), starts the local stack
in a fresh cache dir (embedded ES, persistent Prefect server, worker), then times `newsfacet ingest DIR`
twice through the CLI, as a person or a cron job runs it: the first run indexes everything, the second finds
every file unchanged. Prints the two wall times and their ratio, and writes bench/results/<date>-rerun.json.
The stack is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
NEWSFACET = Path(sys.executable).parent / "newsfacet"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2500)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    data = BENCH / "data" / f"rerun-{args.articles}-seed{args.seed}"
    if not (data / ".generated.json").exists():
        subprocess.run(
            [sys.executable, str(BENCH / "generate.py"), "--articles", str(args.articles), "--out", str(data)],
            check=True,
        )
    files = sum(1 for p in data.rglob("*") if p.is_file() and not p.name.startswith("."))
    work = Path(tempfile.mkdtemp(prefix="nf-rerun-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ELASTICSEARCH_"))}
    env["NEWSFACET_CACHE_DIR"] = str(work / "cache")
    up_s, up = timed([str(NEWSFACET), "up"], env)
    if up.returncode != 0:
        print(up.stdout, up.stderr, file=sys.stderr)
        return 1
    try:
        first_s, first = timed([str(NEWSFACET), "ingest", "--json", str(data)], env)
        second_s, second = timed([str(NEWSFACET), "ingest", "--json", str(data)], env)
    finally:
        subprocess.run([str(NEWSFACET), "down"], env=env, capture_output=True)
    reports = [json.loads(r.stdout) if r.stdout.startswith("{") else {} for r in (first, second)]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "articles": args.articles,
        "files": files,
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "up_seconds": round(up_s, 1),
        "first_run_seconds": round(first_s, 1),
        "first_run_exit": first.returncode,
        "first_run_indexed": reports[0].get("stages", {}).get("load", {}).get("indexed"),
        "rerun_seconds": round(second_s, 1),
        "rerun_exit": second.returncode,
        "rerun_files_processed": reports[1].get("counts", {}).get("files"),
        "ratio": round(second_s / first_s, 3),
    }
    out = BENCH / "results" / f"{datetime.now(UTC):%Y-%m-%d}-rerun-{args.articles}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
