"""What the matrix library costs NER: spaCy's default (blis) against numpy's BLAS on one thread (load_ner).

A model's layers keep the thinc ops they were built with, so each variant loads the model in a fresh
process and runs the same whole-article NER texts through one worker's code path (`job_slices`, then
`spacy_ner` per job). Variants alternate over rounds, and every variant must find the same entities:

- blis: the model as spaCy loads it (`transforms.ner.ner_only` under thinc's default ops);
- numpy-1-thread: `transforms.ner.load_ner`, as the pipeline runs it;
- numpy-all-threads: the same ops with OpenBLAS left at its default thread count (one per core).

Each child runs with BLIS_ARCH_DEBUG=1, so the result names the kernel set blis chose on this CPU.

    .venv/bin/python bench/blas.py --size 1k --articles 1000 --repeat 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

VARIANTS = ("blis", "numpy-1-thread", "numpy-all-threads")


def child(variant: str, texts_path: str, model: str, batch_size: int) -> None:
    """One variant in this (fresh) process; prints its CPU seconds and a digest of the entities as JSON."""
    from transforms import ner

    if variant == "blis":
        nlp = ner.ner_only(model)
    elif variant == "numpy-1-thread":
        nlp = ner.load_ner(model)
    else:
        from thinc.api import use_ops

        with use_ops("numpy", use_blis=False):
            nlp = ner.ner_only(model)
    texts = pickle.loads(Path(texts_path).read_bytes())
    run = ner.spacy_ner(nlp, 1, batch_size)
    run(texts[:20])  # first-call costs outside the measure
    start, wall = time.process_time(), time.perf_counter()
    found = [ents for job in ner.job_slices(texts, 256, 80_000) for ents in run(job)]
    cpu, wall = time.process_time() - start, time.perf_counter() - wall
    digest = hashlib.sha256(json.dumps(found).encode()).hexdigest()[:16]
    print(
        json.dumps(
            {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2), "mentions": sum(map(len, found)), "digest": digest}
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1k", help="the generated dump the articles come from")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=1000, help="how many of its articles (after dedupe)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma list of: " + ", ".join(VARIANTS))
    parser.add_argument("--data-root", type=Path, default=BENCH / "data")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "TEXTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from newsfacet.settings import get_settings

    settings = get_settings()
    if args.child:
        child(args.child[0], args.child[1], settings.spacy_model, settings.nlp_batch_size)
        return 0

    from bench.nerbatch import article_texts
    from bench.run import ensure_data, load_avg, parse_size, result_header, write_result

    data, data_info = ensure_data(parse_size(args.size), args.seed, args.data_root)
    whole, _, articles = article_texts(data, settings.chunk_size, args.articles)
    variants = [v for v in args.variants.split(",") if v]
    rounds: list[dict] = []
    kernels: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        texts_path = Path(tmp) / "texts.pkl"
        texts_path.write_bytes(pickle.dumps(whole))
        for n in range(args.repeat):
            row: dict = {"load_avg_before": load_avg()}
            for variant in variants:
                env = {**os.environ, "BLIS_ARCH_DEBUG": "1"}
                done = subprocess.run(
                    [sys.executable, __file__, "--child", variant, str(texts_path)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row[variant] = json.loads(done.stdout.strip().splitlines()[-1])
                chosen = re.search(r"selecting sub-configuration '([^']+)'", done.stderr)
                kernels[variant] = chosen.group(1) if chosen else "blis not used"
                print(f"round {n + 1} {variant}: {row[variant]['cpu_s']} CPU s", file=sys.stderr)
            rounds.append(row)
    digests = {rounds[0][v]["digest"] for v in variants}
    result = {
        **result_header("blas.py", argv, data_info),
        "articles": articles,
        "texts": len(whole),
        "chars": sum(len(t) for t in whole),
        "model": settings.spacy_model,
        "blis_kernels": kernels,
        "same_entities": len(digests) == 1,
        "rounds": rounds,
    }
    out = write_result(result, "blas", parse_size(args.size))
    print(f"\n{articles} articles, {len(whole)} texts; blis kernels: {kernels}; same entities: {len(digests) == 1}")
    print("\n| variant | CPU s per round | wall s per round |\n|---|---|---|")
    for variant in variants:
        cpus = ", ".join(str(r[variant]["cpu_s"]) for r in rounds)
        walls = ", ".join(str(r[variant]["wall_s"]) for r in rounds)
        print(f"| {variant} | {cpus} | {walls} |")
    print(f"\nwritten to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
