"""How far NER-only work scales on this machine's cores: the ceiling issue 17 measures against.

`bench/run.py --headline` takes "one NER process's rate times the cores" as the physical limit. That
assumes two processes on two cores each run as fast as one alone. This script measures that assumption
on the texts the pipeline feeds NER (the same distinct title, paragraph and caption texts as the headline's
ceiling phase), alternating three ways of running the same model over them:

- single: one process, nlp.pipe(n_process=1); the headline's limit is this rate times the cores;
- pair:   as many independent one-process nlp.pipe runs as cores, started together, each over an
          interleaved share of the texts, no IPC at all (forked after the model is loaded);
- pipe:   spaCy's nlp.pipe(n_process=cores).

pair / (cores x single) is the scaling efficiency: 1.0 would make the headline's limit reachable.

    .venv/bin/python bench/scaling.py --size 1k --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.run import _prepared_texts, ensure_data, load_avg, parse_size, result_header, write_result  # noqa: E402


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_single(nlp, texts: list[str], batch_size: int) -> dict:
    w, c = time.perf_counter(), time.process_time()
    ents = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=batch_size))
    return {"wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c, "entities": ents}


def run_pair(nlp, texts: list[str], batch_size: int, cores: int) -> dict:
    """`cores` forked one-process runs over interleaved shares, started together; wall until the last ends."""
    cpu0 = _children_cpu()
    w = time.perf_counter()
    pids, pipes = [], []
    for k in range(cores):
        r, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: its share, then the entity count back through the pipe
            os.close(r)
            n = sum(len(doc.ents) for doc in nlp.pipe(texts[k::cores], batch_size=batch_size))
            os.write(wfd, str(n).encode())
            os._exit(0)
        os.close(wfd)
        pids.append(pid)
        pipes.append(r)
    ents = 0
    for pid, r in zip(pids, pipes, strict=True):
        with os.fdopen(r) as fh:
            ents += int(fh.read() or 0)
        os.waitpid(pid, 0)
    return {"wall_s": time.perf_counter() - w, "cpu_s": _children_cpu() - cpu0, "entities": ents}


def run_pipe(nlp, texts: list[str], batch_size: int, cores: int) -> dict:
    cpu0, c = _children_cpu(), time.process_time()
    w = time.perf_counter()
    ents = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=batch_size, n_process=cores))
    wall = time.perf_counter() - w
    return {"wall_s": wall, "cpu_s": _children_cpu() - cpu0 + time.process_time() - c, "entities": ents}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1k", help="articles of the generated dump whose NER texts are used")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="rounds of single, pair, pipe (alternated)")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data-root", type=Path, default=BENCH / "data")
    parser.add_argument("--max-texts", type=int, default=0, help="use only the first N texts (a quick look)")
    args = parser.parse_args(argv)

    from newsfacet.settings import get_settings
    from transforms.ner import load_ner

    settings = get_settings()
    size = parse_size(args.size)
    data, data_info = ensure_data(size, args.seed, args.data_root)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.jsonl"
        info = _prepared_texts(str(data), settings.chunk_size, path)
        texts = [json.loads(line) for line in path.open(encoding="utf-8")]
    articles = info["articles_after_dedupe"]
    if args.max_texts and args.max_texts < len(texts):  # rates then count the same share of the articles
        articles = articles * args.max_texts / len(texts)
        texts = texts[: args.max_texts]
    nlp = load_ner(settings.spacy_model)
    batch = settings.nlp_batch_size
    run_single(nlp, texts[:200], batch)  # warm the model's first-call costs before anything is timed

    rounds: list[dict] = []
    for n in range(args.repeat):
        row = {"load_avg_before": load_avg()}
        for name, fn in (
            ("single", lambda: run_single(nlp, texts, batch)),
            ("pair", lambda: run_pair(nlp, texts, batch, args.cores)),
            ("pipe", lambda: run_pipe(nlp, texts, batch, args.cores)),
        ):
            got = fn()
            got["articles_per_s"] = articles / got["wall_s"]
            row[name] = {k: round(v, 2) if isinstance(v, float) else v for k, v in got.items()}
            print(f"round {n + 1} {name}: {got['wall_s']:.1f} s wall, {got['cpu_s']:.1f} CPU s", file=sys.stderr)
        single, pair, pipe = row["single"], row["pair"], row["pipe"]
        row["cores_x_single_articles_per_s"] = round(args.cores * single["articles_per_s"], 2)
        row["pair_vs_cores_x_single"] = round(pair["articles_per_s"] / row["cores_x_single_articles_per_s"], 3)
        row["pipe_vs_cores_x_single"] = round(pipe["articles_per_s"] / row["cores_x_single_articles_per_s"], 3)
        row["pair_cpu_vs_single_cpu"] = round(pair["cpu_s"] / single["cpu_s"], 3)
        rounds.append(row)

    result = {
        **result_header("scaling.py", argv, data_info),
        "texts": info,
        "model": settings.spacy_model,
        "batch_size": batch,
        "cores": args.cores,
        "rounds": rounds,
    }
    out = write_result(result, "scaling", size, stamped=False)
    print(
        f"\n| round | single a/s | {args.cores} x single | pair a/s | pair / ({args.cores} x single) | "
        f"pair CPU / single CPU | pipe a/s | pipe / ({args.cores} x single) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n, r in enumerate(rounds, 1):
        print(
            f"| {n} | {r['single']['articles_per_s']:.1f} | {r['cores_x_single_articles_per_s']:.1f}"
            f" | {r['pair']['articles_per_s']:.1f} | {r['pair_vs_cores_x_single']:.2f}"
            f" | {r['pair_cpu_vs_single_cpu']:.2f} | {r['pipe']['articles_per_s']:.1f}"
            f" | {r['pipe_vs_cores_x_single']:.2f} |"
        )
    print(f"\nwritten to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
