"""Quality figures of the transforms (boilerplate, dedup, entities, dates) against hand-written gold answers.

The gold folder holds small dumps and one gold.json; see tests/fixtures/gold/README.md for the standard.
Everything runs in-process on the pure pipeline: no Elasticsearch, no Prefect.
"""

from __future__ import annotations

import io
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from newsfacet.settings import CONFIG_DIR, REPO_ROOT, get_settings
from transforms.fields import SCORED_ENTITY_FIELDS as FACETS

DEFAULT_GOLD_DIR = REPO_ROOT / "tests" / "fixtures" / "gold"
# en, fr, de, es, ru and zh articles with their own gold.json: language, French entities, fr/de publish dates
MULTILINGUAL_GOLD_DIR = REPO_ROOT / "tests" / "fixtures" / "multilingual"
GOLD_FILE = "gold.json"
# Formats that hold many articles per file: their gold keys are "file!n", n counted from 1.
MULTI_RECORD = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")
QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "-", "\u2013": "-"})
LEADING_THE = re.compile(r"^the\s+")


@dataclass
class Counts:
    """True positives, false positives and false negatives of one measure."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        """tp / (tp + fp), or None when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """tp / (tp + fn), or None when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p is not None and r is not None and p + r else None

    def add(self, other: Counts) -> None:
        """Add another measure's counts to this one."""
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def as_dict(self) -> dict[str, Any]:
        """Counts and derived figures, rounded, for JSON."""
        return {
            **asdict(self),
            "precision": _round(self.precision),
            "recall": _round(self.recall),
            "f1": _round(self.f1),
        }


@dataclass
class Accuracy:
    """Correct out of total."""

    correct: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        """correct / total, or None when there was nothing to judge."""
        return self.correct / self.total if self.total else None

    def score(self, ok: bool) -> None:
        """Count one judged item."""
        self.total += 1
        self.correct += int(ok)

    def as_dict(self) -> dict[str, Any]:
        """Counts and the accuracy, rounded, for JSON."""
        return {**asdict(self), "accuracy": _round(self.value)}


@dataclass
class Evaluation:
    """Per-category figures over the gold articles, plus what each article missed."""

    gold_dir: str
    articles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    titles: Accuracy = field(default_factory=Accuracy)
    dropped: Counts = field(default_factory=Counts)
    kept: Counts = field(default_factory=Counts)
    captions: Counts = field(default_factory=Counts)
    drop_recall_by_kind: dict[str, Accuracy] = field(default_factory=dict)
    exact_duplicates: Accuracy = field(default_factory=Accuracy)
    false_exact_drops: int = 0
    near_duplicates: Counts = field(default_factory=Counts)
    # near-copy pairs on the generated syndication set (bench/generate.py): "one run", "two runs" and
    # "second-run copies" (copies in the second run of an original from the first)
    syndicated: dict[str, Counts] = field(default_factory=dict)
    entities: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in FACETS})
    # the raw model on the same articles (title + text as read, no cleaning): the baseline to beat
    raw_model_entities: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in FACETS})
    published_at: Accuracy = field(default_factory=Accuracy)
    datelines: Accuracy = field(default_factory=Accuracy)
    mentioned_dates: Counts = field(default_factory=Counts)
    misses: dict[str, list[str]] = field(default_factory=dict)
    wire: dict[str, Any] = field(default_factory=dict)  # datelines and HTML bodies, see wire_report
    multilingual: MultilingualEvaluation | None = None

    def miss(self, key: str, message: str) -> None:
        """Record one thing the pipeline got wrong on one article."""
        self.misses.setdefault(key, []).append(message)

    @property
    def entities_all(self) -> Counts:
        """Entity counts summed over the facets (micro-average)."""
        return _summed(self.entities)

    @property
    def raw_model_all(self) -> Counts:
        """The raw model's entity counts summed over the facets."""
        return _summed(self.raw_model_entities)

    def to_dict(self) -> dict[str, Any]:
        """The whole evaluation as JSON-ready data, one key per category."""
        return {
            "gold_dir": self.gold_dir,
            "articles": self.articles,
            "notes": self.notes,
            "boilerplate": {
                "titles": self.titles.as_dict(),
                "dropped": self.dropped.as_dict(),
                "kept": self.kept.as_dict(),
                "captions": self.captions.as_dict(),
                "drop_recall_by_kind": {k: v.as_dict() for k, v in sorted(self.drop_recall_by_kind.items())},
            },
            "dedup": {
                "exact_duplicates": self.exact_duplicates.as_dict(),
                "false_exact_drops": self.false_exact_drops,
                "near_duplicates": self.near_duplicates.as_dict(),
                "syndicated_copies": {k: v.as_dict() for k, v in self.syndicated.items()},
            },
            "entities": {
                **{f: c.as_dict() for f, c in self.entities.items()},
                "all": self.entities_all.as_dict(),
                "raw_model": {
                    **{f: c.as_dict() for f, c in self.raw_model_entities.items()},
                    "all": self.raw_model_all.as_dict(),
                },
            },
            "dates": {
                "published_at": self.published_at.as_dict(),
                "dateline": self.datelines.as_dict(),
                "mentioned_dates": self.mentioned_dates.as_dict(),
            },
            "misses": self.misses,
            **self.wire,
            **({"multilingual": self.multilingual.to_dict()} if self.multilingual else {}),
        }


@dataclass
class MultilingualEvaluation:
    """Language, French entities, fr/de publish dates, and entities on languages without a NER model."""

    gold_dir: str
    articles: list[str] = field(default_factory=list)
    language: Accuracy = field(default_factory=Accuracy)
    french: Evaluation = field(default_factory=lambda: Evaluation(gold_dir=""))
    published_at: Accuracy = field(default_factory=Accuracy)
    no_model_clean: Accuracy = field(default_factory=Accuracy)  # articles with no NER entities where none belong
    misses: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "gold_dir": self.gold_dir,
            "articles": self.articles,
            "language": self.language.as_dict(),
            "fr_entities": {
                **{f: c.as_dict() for f, c in self.french.entities.items()},
                "all": self.french.entities_all.as_dict(),
            },
            "published_at_fr_de": self.published_at.as_dict(),
            "no_entities_without_model": self.no_model_clean.as_dict(),
            "misses": self.misses,
        }


def evaluate_multilingual(gold_dir: Path = MULTILINGUAL_GOLD_DIR) -> MultilingualEvaluation:
    """Run the pure pipeline over the multilingual gold dumps and score language, fr entities and fr/de dates."""
    gold = load_gold(gold_dir)
    ml = MultilingualEvaluation(gold_dir=str(gold_dir))
    notes: list[str] = []
    documents, _ = run_pipeline(_read_articles(gold_dir, gold, notes), notes)
    docs = {d["source_file"]: d for d in documents}
    for key, answer in gold.items():
        ml.articles.append(key)
        doc = docs.get(key) or {}
        got = doc.get("language")
        ml.language.score(got == answer["language"])
        if got != answer["language"]:
            ml.misses.setdefault(key, []).append(f"language: got {got!r}, expected {answer['language']!r}")
        if answer["language"] == "fr":
            score_entities(ml.french, key, answer, doc or None)
        if answer["language"] in ("fr", "de") and "published_at" in answer:
            published = (doc.get("published_at") or "")[:10] or None
            ml.published_at.score(published == answer["published_at"])
            if published != answer["published_at"]:
                ml.misses.setdefault(key, []).append(
                    f"published_at: got {published}, expected {answer['published_at']}"
                )
        if "no_model_locations" in answer:
            extra = [v for f in ("persons", "organizations", "misc") for v in doc.get(f, [])]
            extra += [v for v in doc.get("locations", []) if v not in answer["no_model_locations"]]
            ml.no_model_clean.score(not extra)
            if extra:
                ml.misses.setdefault(key, []).append(f"entities where no model runs: {extra}")
    for key, messages in ml.french.misses.items():
        ml.misses.setdefault(key, []).extend(messages)
    ml.misses.update({"notes": notes} if notes else {})
    return ml


def _summed(by_facet: dict[str, Counts]) -> Counts:
    total = Counts()
    for counts in by_facet.values():
        total.add(counts)
    return total


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def text_key(text: str) -> str:
    """Paragraph text for prefix matching: NFKC, straight quotes, single spaces, case-folded."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    return " ".join(text.split()).casefold()


def entity_key(text: str) -> str:
    """Entity value for comparison: case, periods, spacing and a leading "the" do not matter."""
    return LEADING_THE.sub("", " ".join(text_key(text).replace(".", "").split()))


def _alternatives(entry: str | list[str]) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry)


@dataclass
class _Item:
    """One piece of an article's text after the pipeline: title, kept paragraph, caption or dropped."""

    text: str
    outcome: str  # "title", "kept", "caption" or "dropped"
    reason: str = ""
    matched: bool = False


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def load_gold(gold_dir: Path) -> dict[str, dict[str, Any]]:
    """The per-article answers from gold.json."""
    with (gold_dir / GOLD_FILE).open(encoding="utf-8") as fh:
        return json.load(fh)["articles"]


def _read_articles(gold_dir: Path, gold: dict[str, dict[str, Any]], notes: list[str]) -> list[Any]:
    """Every gold dump's articles, with source_file set to its gold key; external ones by reference."""
    from readers import discover
    from readers.chunks import read_chunks

    articles: list[Any] = []
    paths = [(p, p.name) for p in discover([gold_dir]) if p.name != GOLD_FILE]
    for key, answer in gold.items():
        if "path" in answer:
            external = (REPO_ROOT / answer["path"]).resolve()
            if external.is_file():
                paths.append((external, key))
            else:
                notes.append(f"{key}: skipped, {answer['path']} not found")
    names = {str(path): name for path, name in paths}
    numbers: Counter[str] = Counter()
    # the flow's own read-and-chunk loop, in one chunk: every article of every gold dump
    events = read_chunks(names, None, 10**9, on_problem=lambda problem: notes.append(f"skipped record {problem}"))
    for event in events:
        if event.quarantined:
            notes.append(f"{names[event.quarantined]}: unreadable ({event.quarantined}: {event.reason})")
        for article in event.articles:
            path = article.source_file.split("!")[0]
            name = names[path]
            numbers[name] += 1
            many = Path(path).suffix.lower() in MULTI_RECORD
            article.source_file = f"{name}!{numbers[name]}" if many else name
            articles.append(article)
    return articles


def _chunks(articles: list[Any]) -> list[list[Any]]:
    """The articles one chunk per dump file, in reading order."""
    by_file: dict[str, list[Any]] = {}
    for article in articles:
        by_file.setdefault(article.source_file.split("!")[0], []).append(article)
    return list(by_file.values())


def run_pipeline(
    articles: list[Any], notes: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The pure transform with a fresh DuplicateIndex: index documents and rejects.

    All articles go in one chunk; if the pipeline fails on that chunk, it runs again one chunk per
    dump file (sharing the DuplicateIndex, as the flow's chunks do) and the failure becomes a note.
    """
    from transforms.dedupe import DuplicateIndex
    from transforms.pipeline import enrich_chunk, load_transform_config, prepare_chunk

    settings = get_settings()
    cfg = load_transform_config(
        CONFIG_DIR, settings.spacy_model, 1, settings.nlp_batch_size, tuple(settings.ner_models().items())
    )
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")

    def run(chunks: list[list[Any]]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        duplicates = DuplicateIndex(threshold=settings.near_duplicate_threshold)
        documents: list[dict[str, Any]] = []
        rejects: list[dict[str, str]] = []
        for chunk in chunks:
            prepared = prepare_chunk(chunk, cfg, duplicates)
            rejects.extend(prepared.rejects)
            if prepared.frame is not None and not prepared.frame.empty:
                enriched = enrich_chunk(prepared.frame, cfg, ingested_at)
                documents.extend(enriched.documents)
                rejects.extend(enriched.rejects)
        return documents, rejects

    try:
        return run([articles])
    except Exception as exc:  # a pipeline bug on mixed input is itself a finding: report it, keep scoring
        if notes is None:
            raise
        notes.append(
            f"the pipeline failed on all {len(articles)} articles in one chunk ({type(exc).__name__}: {exc}); "
            "scored with one chunk per dump file instead"
        )
        return run(_chunks(articles))


def _items(doc: dict[str, Any] | None, rejects: list[dict[str, str]]) -> list[_Item]:
    items = [_Item(r["text"], "dropped", r["reason"]) for r in rejects if r["stage"] == "clean" and r["text"]]
    if doc is not None:
        items.append(_Item(doc["title"], "title"))
        items.extend(_Item(p, "kept") for p in doc["paragraphs"])
        items.extend(_Item(c, "caption") for c in doc["captions"])
    return items


def _match(prefix: str, label: str, items: list[_Item]) -> _Item | None:
    """The first unmatched item starting with prefix, preferring one whose outcome is label."""
    want = text_key(prefix)
    candidates = [i for i in items if not i.matched and text_key(i.text).startswith(want)]
    found = next((i for i in candidates if i.outcome == label), candidates[0] if candidates else None)
    if found is not None:
        found.matched = True
    return found


def score_boilerplate(ev: Evaluation, key: str, answer: dict[str, Any], items: list[_Item]) -> None:
    """Title, kept/dropped paragraphs and captions of one article against its answer."""
    title = next((i for i in items if i.outcome == "title"), None)
    got_title = title.text if title else ""
    ok = text_key(got_title) == text_key(answer["title"])
    ev.titles.score(ok)
    if title:
        title.matched = True
    if not ok:
        ev.miss(key, f"title: got {_short(got_title)!r}")
    for prefix in answer["keep"]:
        item = _match(prefix, "kept", items)
        outcome = item.outcome if item else "absent"
        if outcome == "kept":
            ev.kept.tp += 1
        else:
            ev.kept.fn += 1
            ev.dropped.fp += outcome in ("dropped", "absent")
            why = f" ({item.reason})" if item and item.reason else ""
            ev.miss(key, f"body paragraph {outcome}{why}: {_short(prefix)!r}")
    for prefix in answer["captions"]:
        item = _match(prefix, "caption", items)
        outcome = item.outcome if item else "absent"
        if outcome == "caption":
            ev.captions.tp += 1
        else:
            ev.captions.fn += 1
            ev.dropped.fp += outcome in ("dropped", "absent")
            ev.kept.fp += outcome == "kept"
            ev.miss(key, f"caption {outcome}: {_short(prefix)!r}")
    for drop in answer["drop"]:
        item = _match(drop["starts"], "dropped", items)
        by_kind = ev.drop_recall_by_kind.setdefault(drop["kind"], Accuracy())
        if item is None or item.outcome == "dropped":  # absent: the reader already left it out
            ev.dropped.tp += 1
            by_kind.score(True)
        else:
            ev.dropped.fn += 1
            ev.kept.fp += item.outcome == "kept"
            ev.captions.fp += item.outcome == "caption"
            by_kind.score(False)
            ev.miss(key, f"{drop['kind']} kept as {item.outcome}: {_short(item.text)!r}")
    for item in items:
        if not item.matched and item.outcome in ("kept", "caption"):
            (ev.kept if item.outcome == "kept" else ev.captions).fp += 1
            ev.miss(key, f"unexpected {item.outcome}: {_short(item.text)!r}")


def score_entities(
    ev: Evaluation, key: str, answer: dict[str, Any], doc: dict[str, Any] | None, raw_model: bool = False
) -> None:
    """Persons, organizations and locations of one article against its answer (misses: pipeline only)."""
    optional = {entity_key(v) for v in answer.get("optional", [])}
    forbidden = {entity_key(v) for v in answer.get("forbidden", [])}

    def miss(message: str) -> None:
        if not raw_model:
            ev.miss(key, message)

    for facet in FACETS:
        expected = [[entity_key(a) for a in _alternatives(e)] for e in answer.get(facet, [])]
        found = [False] * len(expected)
        counts = (ev.raw_model_entities if raw_model else ev.entities)[facet]
        for value in doc[facet] if doc else []:
            k = entity_key(value)
            hit = next((n for n, alts in enumerate(expected) if k in alts and not found[n]), None)
            if hit is not None:
                found[hit] = True
                counts.tp += 1
            elif k in optional:
                continue
            else:
                counts.fp += 1
                flag = "forbidden " if k in forbidden else ""
                miss(f"{facet}: {flag}extra {value!r}")
        for n, entry in enumerate(answer.get(facet, [])):
            if not found[n]:
                counts.fn += 1
                miss(f"{facet}: missing {_alternatives(entry)[0]!r}")


def raw_model_entities(articles: list[Any], model: str) -> dict[str, dict[str, list[str]]]:
    """The baseline: the spaCy model alone over each article's title and text as read (no cleaning).

    Mentions go to facets by label as the pipeline maps them, with only trivial normalisation
    (spacing, a leading "the", a possessive), de-duplicated per article; keyed by source_file.
    """
    from transforms.entities import FIELD_BY_LABEL, clean_mention
    from transforms.ner import load_ner

    nlp = load_ner(model)
    texts = ["\n\n".join([a.title, *a.paragraphs] if a.title else a.paragraphs) for a in articles]
    out: dict[str, dict[str, list[str]]] = {}
    for article, doc in zip(articles, nlp.pipe(texts, batch_size=16), strict=True):
        facets: dict[str, list[str]] = {f: [] for f in FACETS}
        for ent in doc.ents:
            facet = FIELD_BY_LABEL.get(ent.label_)
            value = clean_mention(ent.text)
            if facet in facets and value and value not in facets[facet]:
                facets[facet].append(value)
        out[article.source_file] = facets
    return out


def score_dates(ev: Evaluation, key: str, answer: dict[str, Any], doc: dict[str, Any] | None) -> None:
    """Publish date, dateline and mentioned dates of one article against its answer."""
    published = (doc or {}).get("published_at")
    got = published[:10] if published else None
    ev.published_at.score(got == answer["published_at"])
    if got != answer["published_at"]:
        ev.miss(key, f"published_at: got {got}, expected {answer['published_at']}")
    dateline = (doc or {}).get("dateline")
    want = answer["dateline"]
    ok = (dateline is None and want is None) or (
        dateline is not None and want is not None and text_key(dateline) == text_key(want)
    )
    ev.datelines.score(ok)
    if not ok:
        ev.miss(key, f"dateline: got {dateline!r}, expected {want!r}")
    expected = set(answer["mentioned_dates"])
    mentioned = set((doc or {}).get("mentioned_dates") or [])
    ev.mentioned_dates.tp += len(mentioned & expected)
    ev.mentioned_dates.fp += len(mentioned - expected)
    ev.mentioned_dates.fn += len(expected - mentioned)
    if mentioned - expected:
        ev.miss(key, f"mentioned_dates: extra {sorted(mentioned - expected)}")
    if expected - mentioned:
        ev.miss(key, f"mentioned_dates: missing {sorted(expected - mentioned)}")


def score_dedup(
    ev: Evaluation, gold: dict[str, dict[str, Any]], docs: dict[str, dict[str, Any]], rejects: list[dict[str, str]]
) -> None:
    """Exact copies dropped and near-copy pairs (copy -> earlier article) against the answers."""
    exact_dropped = {r["source_file"] for r in rejects if r["reason"] == "exact_duplicate"}
    for key, answer in gold.items():
        if "exact_duplicate_of" in answer:
            ev.exact_duplicates.score(key in exact_dropped)
            if key not in exact_dropped:
                ev.miss(key, f"exact copy of {answer['exact_duplicate_of']} not dropped")
    for key in sorted(exact_dropped):
        if key in gold and "exact_duplicate_of" not in gold[key]:
            ev.false_exact_drops += 1
            ev.miss(key, "dropped as an exact duplicate")
    key_by_id = {doc["_id"]: key for key, doc in docs.items()}
    predicted = {(k, key_by_id.get(d["duplicate_of"], d["duplicate_of"])) for k, d in docs.items() if d["duplicate_of"]}
    expected = {(k, a["duplicate_of"]) for k, a in gold.items() if a.get("duplicate_of")}
    ev.near_duplicates.tp += len(predicted & expected)
    ev.near_duplicates.fp += len(predicted - expected)
    ev.near_duplicates.fn += len(expected - predicted)
    for copy, original in sorted(predicted - expected):
        ev.miss(copy, f"near duplicate: wrongly marked duplicate_of {original}")
    for copy, original in sorted(expected - predicted):
        ev.miss(copy, f"near duplicate: duplicate_of {original} not found")


SYNDICATION_SEED = 7
SYNDICATION_ORIGINALS = 800


def syndication_articles(
    originals: int = SYNDICATION_ORIGINALS, seed: int = SYNDICATION_SEED
) -> tuple[list[Any], dict[str, str]]:
    """The generated syndication set as Articles in publish order, and the answers (copy doc id -> original's).

    bench/generate.py writes the stories and knows which is a copy of which; no pipeline output is involved.
    """
    import importlib.util

    from transforms.documents import article_id
    from transforms.records import Article

    spec = importlib.util.spec_from_file_location("bench_generate", REPO_ROOT / "bench" / "generate.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(REPO_ROOT / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # dataclasses look their module up there
    spec.loader.exec_module(generate)
    articles, ids = [], {}
    stories = generate.syndication_set(originals, seed)
    for story in stories:
        paragraphs = generate.blocks(story, with_title=False)
        articles.append(
            Article(
                source_file=f"syndication/{story.n}",
                paragraphs=paragraphs,
                title=story.title,
                url=story.url,
                source=story.site.title,
                published_at=story.published.isoformat(),
                raw_text="\n\n".join(paragraphs),
            )
        )
        ids[story.n] = article_id(story.url, articles[-1].raw_text)
    answers = {ids[s.n]: ids[s.copy_of] for s in stories if s.copy_of is not None}
    return articles, answers


def dedupe_runs(
    runs: list[list[Any]], new_index: Any, dedupe: Any = None, chunk_size: int = 500
) -> dict[str, str | None]:
    """Clean, date and dedupe each run in chunks, a fresh DuplicateIndex per run: doc id -> duplicate_of.

    new_index() makes a run's index (runs share state only through its store); dedupe defaults to
    transforms.dedupe.dedupe_articles. Site furniture is learned across runs, as the flow does.
    """
    from transforms.clean import FurnitureIndex, clean_frame
    from transforms.dates import extract_publish_dates
    from transforms.dedupe import dedupe_articles
    from transforms.documents import assign_ids
    from transforms.pipeline import load_transform_config
    from transforms.records import articles_to_frame

    settings = get_settings()
    rules = load_transform_config(CONFIG_DIR, settings.spacy_model).rules
    dedupe = dedupe or dedupe_articles
    furniture = FurnitureIndex(min_articles=settings.furniture_min_articles)
    found: dict[str, str | None] = {}
    for run in runs:
        index = new_index()
        for i in range(0, len(run), chunk_size):
            cleaned = clean_frame(assign_ids(articles_to_frame(run[i : i + chunk_size])), rules, furniture)
            frame = dedupe(extract_publish_dates(cleaned.frame).frame, index).frame
            found.update(zip(frame["doc_id"], frame["duplicate_of"], strict=True))
    return found


def score_pairs(found: dict[str, str | None], answers: dict[str, str], only: set[str] | None = None) -> Counts:
    """Near-copy pairs (copy -> original) found against the answers, optionally only for some copies."""
    predicted = {(d, o) for d, o in found.items() if o and (only is None or d in only)}
    expected = {(d, o) for d, o in answers.items() if only is None or d in only}
    return Counts(tp=len(predicted & expected), fp=len(predicted - expected), fn=len(expected - predicted))


def score_syndication(ev: Evaluation, new_index: Any = None, dedupe: Any = None) -> None:
    """Near-copy precision and recall on the generated syndication set, in one run and across two runs.

    new_index defaults to a DuplicateIndex whose signatures live in a throwaway run-state database,
    as in the flow; the two-run case splits the set in publish order and shares only that database.
    """
    if new_index is None and dedupe is None:
        scores, misses, notes = _default_syndication_scores(get_settings().near_duplicate_threshold)
    else:
        scores, misses, notes = _syndication_scores(new_index, dedupe)
    ev.syndicated.update({name: replace(counts) for name, counts in scores.items()})
    for key, message in misses:
        ev.miss(key, message)
    ev.notes.extend(notes)


@lru_cache(maxsize=2)
def _default_syndication_scores(threshold: float) -> tuple[dict[str, Counts], list[tuple[str, str]], list[str]]:
    # the set and the code are fixed within a process: score once however often evaluate() runs
    from transforms.dedupe import DuplicateIndex

    return _syndication_scores(lambda store: DuplicateIndex(threshold=threshold, store=store), None, with_store=True)


def _syndication_scores(
    new_index: Any, dedupe: Any, with_store: bool = False
) -> tuple[dict[str, Counts], list[tuple[str, str]], list[str]]:
    import tempfile

    from newsfacet.manifest import Manifest

    try:
        articles, answers = syndication_articles()
    except (OSError, ImportError) as exc:
        return {}, [], [f"near duplicates on the syndication set: skipped, bench/generate.py unavailable ({exc})"]
    half = len(articles) // 2
    first_ids, second_ids = _ids(articles[:half]), _ids(articles[half:])
    second = {d for d, o in answers.items() if d in second_ids and o in first_ids}
    scores: dict[str, Counts] = {}
    misses: list[tuple[str, str]] = []
    for name, runs in (("one run", [articles]), ("two runs", [articles[:half], articles[half:]])):
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Manifest(Path(tmp) / "state.sqlite", "evaluate")
            make = (lambda m=manifest: new_index(m.near_duplicate_store())) if with_store else new_index
            found = dedupe_runs(runs, make, dedupe)
            manifest.close()
        scores[name] = score_pairs(found, answers)
        if len(runs) == 2:
            scores["second-run copies"] = score_pairs(found, answers, second)
        predicted = {(d, o) for d, o in found.items() if o}
        for copy, original in sorted(set(answers.items()) - predicted):
            misses.append((f"syndication ({name})", f"copy {copy[:10]} of {original[:10]} not found"))
        for copy, original in sorted(predicted - set(answers.items())):
            misses.append((f"syndication ({name})", f"{copy[:10]} wrongly marked duplicate_of {original[:10]}"))
    return scores, misses, []


def _ids(articles: list[Any]) -> set[str]:
    from transforms.documents import article_id

    return {article_id(a.url, a.raw_text) for a in articles}


def evaluate(gold_dir: Path = DEFAULT_GOLD_DIR) -> Evaluation:
    """Run the pure pipeline over the gold dumps and score it against gold.json."""
    gold = load_gold(gold_dir)
    ev = Evaluation(gold_dir=str(gold_dir))
    articles = _read_articles(gold_dir, gold, ev.notes)
    read_keys = {a.source_file for a in articles}
    for key in sorted(read_keys - gold.keys()):
        ev.notes.append(f"{key}: no gold answer; run through the pipeline but not scored")
    gold = {k: v for k, v in gold.items() if k in read_keys}
    documents, rejects = run_pipeline(articles, ev.notes)
    docs = {d["source_file"]: d for d in documents}
    raw = raw_model_entities(articles, get_settings().spacy_model)
    rejects_by_key: dict[str, list[dict[str, str]]] = {}
    for reject in rejects:
        rejects_by_key.setdefault(reject["source_file"], []).append(reject)
    score_dedup(ev, gold, docs, rejects)
    for key, answer in gold.items():
        ev.articles.append(key)
        if "exact_duplicate_of" in answer:
            continue
        doc = docs.get(key)
        if doc is None:
            reasons = Counter(r["reason"] for r in rejects_by_key.get(key, []) if r["stage"] != "clean")
            ev.miss(key, f"article missing from the output ({', '.join(reasons) or 'no reason recorded'})")
        score_boilerplate(ev, key, answer, _items(doc, rejects_by_key.get(key, [])))
        score_entities(ev, key, answer, doc)
        score_entities(ev, key, answer, raw.get(key), raw_model=True)
        score_dates(ev, key, answer, doc)
    ev.wire = wire_report(gold_dir)
    if gold_dir == DEFAULT_GOLD_DIR and (MULTILINGUAL_GOLD_DIR / GOLD_FILE).is_file():
        ev.multilingual = evaluate_multilingual()
    score_syndication(ev)
    return ev


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def report_table(ev: Evaluation) -> Table:
    """The figures as one rich table: category, measure, value, counts."""
    table = Table(title=f"transform quality on {len(ev.articles)} gold articles")
    for col in ("category", "measure", "value", "counts"):
        table.add_column(col)

    def prf(category: str, name: str, c: Counts) -> None:
        counts = f"tp {c.tp}  fp {c.fp}  fn {c.fn}"
        table.add_row(category, f"{name} precision", _pct(c.precision), counts)
        table.add_row("", f"{name} recall", _pct(c.recall), "")

    def acc(category: str, name: str, a: Accuracy) -> None:
        table.add_row(category, name, _pct(a.value), f"{a.correct}/{a.total}")

    acc("boilerplate", "title correct", ev.titles)
    prf("", "dropped", ev.dropped)
    prf("", "kept", ev.kept)
    prf("", "captions", ev.captions)
    for kind, a in sorted(ev.drop_recall_by_kind.items()):
        acc("", f"dropped: {kind}", a)
    acc("dedup", "exact copies dropped", ev.exact_duplicates)
    table.add_row("", "false exact drops", str(ev.false_exact_drops), "")
    prf("", "near-duplicate pairs", ev.near_duplicates)
    for name, counts in ev.syndicated.items():
        prf("", f"syndicated copies, {name}", counts)
    for facet in (*FACETS, "all"):
        c = ev.entities_all if facet == "all" else ev.entities[facet]
        raw = ev.raw_model_all if facet == "all" else ev.raw_model_entities[facet]
        table.add_row(
            "entities" if facet == FACETS[0] else "",
            f"{facet} P / R / F1",
            f"{_pct(c.precision)} / {_pct(c.recall)} / {_pct(c.f1)}",
            f"tp {c.tp}  fp {c.fp}  fn {c.fn}",
        )
        table.add_row(
            "",
            f"  raw model {facet}",
            f"{_pct(raw.precision)} / {_pct(raw.recall)} / {_pct(raw.f1)}",
            f"tp {raw.tp}  fp {raw.fp}  fn {raw.fn}",
        )
    acc("dates", "published_at correct", ev.published_at)
    acc("", "dateline correct", ev.datelines)
    prf("", "mentioned dates", ev.mentioned_dates)
    if ev.multilingual is not None:
        ml = ev.multilingual
        acc("multilingual", f"language correct ({len(ml.articles)} en/fr/de/es/ru/zh)", ml.language)
        for facet in (*FACETS, "all"):
            c = ml.french.entities_all if facet == "all" else ml.french.entities[facet]
            table.add_row(
                "",
                f"fr {facet} P / R / F1",
                f"{_pct(c.precision)} / {_pct(c.recall)} / {_pct(c.f1)}",
                f"tp {c.tp}  fp {c.fp}  fn {c.fn}",
            )
        acc("", "fr/de published_at correct", ml.published_at)
        acc("", "no NER entities without a model", ml.no_model_clean)
    return table


def format_report(ev: Evaluation, width: int = 110) -> str:
    """The table, the notes and the per-article misses as plain text."""
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    console.print(report_table(ev))
    if ev.wire:
        console.print(wire_table(ev.wire))
    for note in ev.notes:
        console.print(f"note: {note}", markup=False, soft_wrap=True)
    for key, misses in ev.misses.items():
        console.print(f"\n{key}", markup=False, soft_wrap=True)
        for message in misses:
            console.print(f"  - {message}", markup=False, soft_wrap=True)
    for miss in ev.wire.get("datelines", {}).get("misses", []):
        console.print(f"dateline miss: {miss}", markup=False, soft_wrap=True)
    for key, misses in (ev.multilingual.misses if ev.multilingual else {}).items():
        console.print(f"\nmultilingual/{key}", markup=False, soft_wrap=True)
        for message in misses:
            console.print(f"  - {message}", markup=False, soft_wrap=True)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


# --- datelines: the parser alone on hand-written dateline openings (tests/fixtures/gold/datelines.toml) ---
DATELINE_GOLD = "datelines.toml"


@dataclass
class DatelineScores:
    """Exact dateline accuracy and city-location accuracy over the dateline gold set."""

    exact: Accuracy = field(default_factory=Accuracy)
    positives: Accuracy = field(default_factory=Accuracy)
    negatives: Accuracy = field(default_factory=Accuracy)
    locations: Accuracy = field(default_factory=Accuracy)
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Figures for JSON."""
        return {
            "exact": self.exact.as_dict(),
            "with_dateline": self.positives.as_dict(),
            "without_dateline": self.negatives.as_dict(),
            "locations": self.locations.as_dict(),
            "misses": self.misses,
        }


def score_dateline_gold(path: Path) -> DatelineScores:
    """Parse each gold opening paragraph; exact match of the dateline field and of the places it adds."""
    import tomllib

    from transforms.dates import find_dateline

    scores = DatelineScores()
    with path.open("rb") as fh:
        cases = tomllib.load(fh)["case"]
    for case in cases:
        found = find_dateline(case["text"])
        got = found.text if found else ""
        ok = got == case["dateline"]
        scores.exact.score(ok)
        (scores.positives if case["dateline"] else scores.negatives).score(ok)
        places = found.places if found else []
        scores.locations.score(places == case["locations"])
        if not ok or places != case["locations"]:
            scores.misses.append(f"{_short(case['text'])!r}: got {got!r} {places}, expected {case['dateline']!r}")
    return scores


# --- HTML bodies: ours against trafilatura alone (tests/fixtures/gold/html-bodies.toml) ---
HTML_GOLD = "html-bodies.toml"
UNSPACED_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff]")
EDGE_MARKS = re.compile(r"^[\W_]+|[\W_]+$")


def body_tokens(text: str) -> Counter[str]:
    """Bag of tokens: case-folded words without edge punctuation; CJK and Thai count by character."""
    tokens: Counter[str] = Counter()
    for chunk in unicodedata.normalize("NFKC", text).casefold().split():
        if UNSPACED_CHAR.search(chunk):
            tokens.update(c for c in chunk if c.isalnum() or UNSPACED_CHAR.match(c))
        elif word := EDGE_MARKS.sub("", chunk):
            tokens[word] += 1
    return tokens


def token_f1(got: str, want: str) -> float:
    """Bag-of-tokens F1 of an extracted body against the gold body (1.0 when both are empty)."""
    have, gold = body_tokens(got), body_tokens(want)
    if not have and not gold:
        return 1.0
    common = sum((have & gold).values())
    if not common:
        return 0.0
    precision, recall = common / sum(have.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class HtmlPageScore:
    """One page: our indexed body and trafilatura's own extraction, each scored against the gold body."""

    page: str
    ours: float
    trafilatura: float
    outcome: str  # "indexed" or the reason the page was left out


def page_with_script(data: bytes, script_bytes: int) -> bytes:
    """The page with a script block of the given size in its head (a bundled app's state, say)."""
    blob = b"<script>window.__STATE__ = '" + b"a1b2c3d4" * (script_bytes // 8) + b"';</script>"
    at = data.lower().find(b"</head>")
    return data[:at] + blob + data[at:] if at >= 0 else blob + data


def our_body(name: str, data: bytes) -> tuple[str, str]:
    """Our body for a page (reader, then cleaning, as ingest does) and "indexed" or the reason it is not."""
    import tempfile

    from readers import ReaderError, read_file
    from transforms.clean import clean_frame, load_rules
    from transforms.records import articles_to_frame

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            articles = list(read_file(path))
        except ReaderError as exc:
            return "", str(exc).split(": ", 1)[-1]
    cleaned = clean_frame(articles_to_frame(articles), load_rules(CONFIG_DIR / "boilerplate.toml"))
    if cleaned.frame.empty:
        return "", ", ".join(r["reason"] for r in cleaned.rejects) or "dropped"
    return "\n".join(p for paras in cleaned.frame["paragraphs"] for p in paras), "indexed"


def score_html_bodies(path: Path) -> list[HtmlPageScore]:
    """Body F1 of ours and of trafilatura.extract (its defaults) on every gold page."""
    import tomllib

    import trafilatura

    with path.open("rb") as fh:
        pages = tomllib.load(fh)["page"]
    scores: list[HtmlPageScore] = []
    for page in pages:
        file = (path.parent / page["path"]).resolve()
        if not file.is_file():
            continue
        data = file.read_bytes()
        label = file.name
        if page.get("script_bytes"):
            data = page_with_script(data, int(page["script_bytes"]))
            label += f" + {int(page['script_bytes']) / 1e6:.0f} MB <script>"
        gold = page["body"].strip()
        ours, outcome = our_body(file.name, data)
        theirs = trafilatura.extract(data) or ""
        scores.append(HtmlPageScore(label, token_f1(ours, gold), token_f1(theirs, gold), outcome))
    return scores


def wire_report(gold_dir: Path = DEFAULT_GOLD_DIR) -> dict[str, Any]:
    """The dateline and HTML sections as JSON-ready data (empty when their gold files are absent)."""
    out: dict[str, Any] = {}
    if (gold_dir / DATELINE_GOLD).is_file():
        out["datelines"] = score_dateline_gold(gold_dir / DATELINE_GOLD).as_dict()
    if (gold_dir / HTML_GOLD).is_file():
        pages = score_html_bodies(gold_dir / HTML_GOLD)
        out["html_bodies"] = {
            "pages": [asdict(p) for p in pages],
            "mean_f1_ours": _round(sum(p.ours for p in pages) / len(pages)) if pages else None,
            "mean_f1_trafilatura": _round(sum(p.trafilatura for p in pages) / len(pages)) if pages else None,
        }
    return out


def wire_table(report: dict[str, Any]) -> Table:
    """The dateline and HTML sections as one rich table."""
    table = Table(title="datelines and HTML bodies")
    for col in ("category", "measure", "value", "counts"):
        table.add_column(col)
    if "datelines" in report:
        d = report["datelines"]
        for n, (key, name) in enumerate(
            [
                ("exact", "dateline exact"),
                ("with_dateline", "openings with a dateline"),
                ("without_dateline", "openings without one"),
                ("locations", "city/region locations exact"),
            ]
        ):
            a = d[key]
            table.add_row("datelines" if n == 0 else "", name, _pct(a["accuracy"]), f"{a['correct']}/{a['total']}")
    if "html_bodies" in report:
        h = report["html_bodies"]
        for n, page in enumerate(h["pages"]):
            table.add_row(
                "HTML body F1" if n == 0 else "",
                page["page"],
                f"{page['ours']:.3f} (trafilatura {page['trafilatura']:.3f})",
                page["outcome"],
            )
        table.add_row("", "mean", f"{h['mean_f1_ours']:.3f} (trafilatura {h['mean_f1_trafilatura']:.3f})", "")
    return table
