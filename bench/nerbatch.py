"""What the shape of NER's input costs: the same articles as paragraphs or as whole texts, in batches of each size.

Since issue 12 the pipeline gives the model each article as one text (title, body, captions), and
`batch_for` sizes nlp.pipe's batches by characters, so about six whole articles go in a batch where 64
paragraphs went before. This script runs the pipeline's own NER texts through one worker's code path
(`job_slices` into jobs, `spacy_ner` per job) in several ways, each in a forked child so that its CPU
time and peak RSS are its own, and alternates them over rounds:

- paragraphs: each part (title, paragraph, caption) its own text, 64 to a batch (the shape before issue 12);
- articles/<order>/<batch>: whole-article texts, in input order or shortest first, with `batch_for`'s
  batch at a given reference size;
- articles/no-zone: as the pipeline runs them, but without the spaCy memory zone around each job (a worker
  then keeps every word's lexeme and tokenizer-cache entry from one job to the next, and grows with them).

Every variant must find the same entities per text; the script checks it.

    .venv/bin/python bench/nerbatch.py --size 1k --repeat 2
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.run import ensure_data, load_avg, parse_size, result_header, write_result  # noqa: E402


def article_texts(data: Path, chunk_size: int, limit: int) -> tuple[list[str], list[str], int]:
    """The whole-article texts and the part texts NER reads for the first `limit` articles after dedupe."""
    from newsfacet.settings import CONFIG_DIR, get_settings
    from readers import discover
    from readers.chunks import read_chunks
    from transforms.clean import FurnitureIndex
    from transforms.dedupe import DuplicateIndex
    from transforms.entities import chunk_pieces
    from transforms.pipeline import load_transform_config, prepare_chunk

    s = get_settings()
    cfg = load_transform_config(CONFIG_DIR, s.spacy_model, s.n_process, s.nlp_batch_size)
    dup, furniture = DuplicateIndex(), FurnitureIndex(min_articles=s.furniture_min_articles)
    whole: list[str] = []
    parts: list[str] = []
    articles = 0
    for event in read_chunks(discover([str(data)]), None, chunk_size, on_problem=lambda p: None):
        if not event.articles or articles >= limit:
            continue
        frame = prepare_chunk(event.articles, cfg, dup, furniture).frame
        for row, piece in chunk_pieces(frame, cfg.rules):
            if row + articles >= limit:
                break
            whole.append(piece.text)
            parts.extend(piece.parts())
        articles = min(limit, articles + len(frame))
    return whole, parts, articles


def run_variant(
    nlp, texts: list[str], batch_size: int, reference_chars: int | None, shortest_first: bool, zone: bool = True
) -> list:
    """The worker's path: jobs as NerPool cuts them, each job run as spacy_ner would with these settings."""
    from contextlib import nullcontext

    from transforms import ner

    out: list = []
    for job in ner.job_slices(texts, 256, 80_000):
        if reference_chars is None:
            batch = batch_size
        else:
            mean = sum(len(t) for t in job) / len(job)
            batch = max(1, min(batch_size, round(batch_size * reference_chars / max(mean, 1))))
        order = sorted(range(len(job)), key=lambda k: len(job[k])) if shortest_first else list(range(len(job)))
        found: list = [None] * len(job)
        with ner.memory_zone(nlp) if zone else nullcontext():
            for k, doc in zip(order, nlp.pipe((job[k] for k in order), batch_size=batch), strict=True):
                found[k] = [[e.text, e.label_] for e in doc.ents]
        out.extend(found)
    return out


def in_child(fn) -> dict:
    """Run fn() in a forked child: its own CPU seconds, wall and peak RSS (MB), and its answer."""
    r, w = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        with os.fdopen(w, "wb") as fh:
            pickle.dump(fn(), fh)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        answer = pickle.load(fh)
    _, _, usage = os.wait4(pid, 0)
    return {
        "wall_s": round(time.perf_counter() - start, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "answer": answer,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1k", help="the generated dump the articles come from")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=400, help="how many of its articles (after dedupe)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--references", default="300,1200", help="batch_for reference sizes (characters) to try")
    parser.add_argument("--no-order", action="store_true", help="leave out the shortest-first variants")
    parser.add_argument("--data-root", type=Path, default=BENCH / "data")
    args = parser.parse_args(argv)

    from newsfacet.settings import get_settings
    from transforms.ner import BATCH_REFERENCE_CHARS, load_ner

    settings = get_settings()
    data, data_info = ensure_data(parse_size(args.size), args.seed, args.data_root)
    whole, parts, articles = article_texts(data, settings.chunk_size, args.articles)
    nlp = load_ner(settings.spacy_model)
    list(nlp.pipe(whole[:20]))  # first-call costs paid before the forks
    batch = settings.nlp_batch_size

    variants = {"paragraphs/64": (parts, None, False, True)}
    for ref in (int(x) for x in args.references.split(",")):
        variants[f"articles/input-order/ref{ref}"] = (whole, ref, False, True)
        if not args.no_order:
            variants[f"articles/shortest-first/ref{ref}"] = (whole, ref, True, True)
    variants[f"articles/no-zone/ref{BATCH_REFERENCE_CHARS}"] = (whole, BATCH_REFERENCE_CHARS, False, False)
    rounds = []
    answers: dict[str, list] = {}
    for n in range(args.repeat):
        row: dict = {"load_avg_before": load_avg()}
        for name, (texts, ref, order, zone) in variants.items():
            got = in_child(
                lambda texts=texts, ref=ref, order=order, zone=zone: run_variant(nlp, texts, batch, ref, order, zone)
            )
            answers.setdefault(name, got.pop("answer"))
            row[name] = got
            print(f"round {n + 1} {name}: {got['cpu_s']} CPU s, {got['peak_rss_mb']} MB", file=sys.stderr)
        rounds.append(row)
    # whole-article variants must agree with each other text by text (paragraph texts are other texts)
    names = [k for k in answers if k.startswith("articles/")]
    same = all(answers[k] == answers[names[0]] for k in names)

    result = {
        **result_header("nerbatch.py", argv, data_info),
        "articles": articles,
        "whole_texts": len(whole),
        "part_texts": len(parts),
        "chars": sum(len(t) for t in whole),
        "model": settings.spacy_model,
        "same_entities_across_article_variants": same,
        "rounds": rounds,
    }
    out = write_result(result, "nerbatch", parse_size(args.size))
    print(f"\n{articles} articles, {len(whole)} whole texts, {len(parts)} parts; same entities: {same}")
    print("\n| variant | CPU s per round | peak RSS MB |\n|---|---|---|")
    for name in variants:
        cpus = ", ".join(str(r[name]["cpu_s"]) for r in rounds)
        print(f"| {name} | {cpus} | {max(r[name]['peak_rss_mb'] for r in rounds)} |")
    print(f"\nwritten to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
