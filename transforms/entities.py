"""Named entities with spaCy: NER-only pipeline, label mapping, canonical names."""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.clean import BoilerplateRules, strip_credits
from transforms.dates import dateline_for_ner, places_of_dateline
from transforms.stats import StageResult

STAGE = "entities"
FIELD_BY_LABEL = {
    "PERSON": "persons",
    "ORG": "organizations",
    "GPE": "locations",
    "LOC": "locations",
    "FAC": "locations",
    "NORP": "misc",
    "EVENT": "misc",
    "PRODUCT": "misc",
    "WORK_OF_ART": "misc",
    "LAW": "misc",
    "LANGUAGE": "misc",
}
ENTITY_FIELDS = ("persons", "organizations", "locations", "misc")
# Components NER never needs; excluding them skips loading their weights.
NOT_NEEDED = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
POSSESSIVE = re.compile(r"(?:['\u2019]s?)$")
EDGE_PUNCT = re.compile(r"^[\W_]+|[^\w.)]+$")
MIDDLE_INITIAL = re.compile(r"^[A-Z]\.?$")
NUMERIC = re.compile(r"^[\d\s.,%/-]+$")
# texts -> one [[mention text, label], ...] per text, in order
NerFn = Callable[[list[str]], list[list[list[str]]]]


@dataclass(frozen=True)
class EntityConfig:
    """Alias table, junk list, honorifics and particles from config/entities.toml."""

    aliases: dict[str, dict[str, str]]  # field -> folded variant -> canonical
    junk: frozenset[str]
    honorifics: re.Pattern[str]
    particles: tuple[str, ...]


def fold(text: str) -> str:
    """Case- and spacing-insensitive key for alias and junk lookups."""
    return " ".join(text.casefold().split())


def load_entity_config(path: Path) -> EntityConfig:
    """Read config/entities.toml."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    aliases: dict[str, dict[str, str]] = {}
    for field_name, table in raw.get("aliases", {}).items():
        lookup = aliases.setdefault(field_name, {})
        for canonical, variants in table.items():
            for variant in [canonical, *variants]:
                lookup[fold(variant)] = canonical
    titles = sorted(raw["persons"]["honorifics"], key=len, reverse=True)
    honorifics = re.compile(r"^(?:(?:" + "|".join(map(re.escape, titles)) + r")\.?\s+)+")
    return EntityConfig(
        aliases=aliases,
        junk=frozenset(fold(j) for j in raw["junk"]["all"]),
        honorifics=honorifics,
        particles=tuple(p.lower() for p in raw["persons"]["particles"]),
    )


@lru_cache(maxsize=4)
def load_ner(model: str) -> Any:
    """Load a spaCy pipeline with only what its NER component needs; once per process."""
    import spacy

    nlp = spacy.load(model, exclude=NOT_NEEDED)
    ner = nlp.get_pipe("ner")
    # en_core_web_* ner has its own embedding layer; drop the shared tok2vec unless it listens.
    listens = any("listener" in node.name for node in ner.model.walk())
    if not listens:
        for name in list(nlp.pipe_names):
            if name != "ner":
                nlp.remove_pipe(name)
    return nlp


def clean_mention(text: str) -> str:
    """Strip a leading "the", possessives and stray punctuation from a mention."""
    text = " ".join(text.split())
    text = LEADING_THE.sub("", text)
    text = POSSESSIVE.sub("", text)
    return EDGE_PUNCT.sub("", text).strip()


def person_core(name: str, cfg: EntityConfig) -> str:
    """A person mention without honorifics or middle initials: "Vladimir V. Putin" -> "Vladimir Putin"."""
    name = cfg.honorifics.sub("", name)
    tokens = name.split()
    if len(tokens) > 2:
        tokens = [tokens[0], *[t for t in tokens[1:-1] if not MIDDLE_INITIAL.match(t)], tokens[-1]]
    return " ".join(tokens)


def surname_key(name: str, cfg: EntityConfig) -> str:
    """Last name without particles, folded: "Bashar al-Assad" -> "assad"."""
    last = name.split()[-1].lower()
    for particle in cfg.particles:
        if particle.endswith("-") and last.startswith(particle):
            last = last[len(particle) :]
    return last


def is_junk(text: str, cfg: EntityConfig) -> bool:
    """Single characters, pure numbers and listed non-entities."""
    return len(text) < 2 or bool(NUMERIC.match(text)) or fold(text) in cfg.junk


def canonical_entities(mentions: list[tuple[str, str]], cfg: EntityConfig) -> dict[str, list[str]]:
    """Canonical, de-duplicated entity values per facet for one article's (text, label) mentions."""
    by_field: dict[str, list[str]] = {f: [] for f in ENTITY_FIELDS}
    for text, label in mentions:
        target = FIELD_BY_LABEL.get(label)
        if target is None:
            continue
        value = clean_mention(text)
        if target == "persons":
            value = person_core(value, cfg)
        if is_junk(value, cfg):
            continue
        value = cfg.aliases.get(target, {}).get(fold(value), value)
        by_field[target].append(value)

    # A bare surname ("Kerry", "Mr. Kerry") becomes the full name seen in the same article.
    persons = by_field["persons"]
    full_names = Counter(p for p in persons if len(p.split()) > 1)
    by_surname: dict[str, str] = {}
    for name, _ in full_names.most_common():
        by_surname.setdefault(surname_key(name, cfg), name)
    resolved = [p if len(p.split()) > 1 else by_surname.get(surname_key(p, cfg), p) for p in persons]
    by_field["persons"] = resolved
    # The small model often tags a lone surname ("Vasquez said") as an ORG or GPE: it is the person.
    for other in ("organizations", "locations"):
        by_field[other] = [v for v in by_field[other] if len(v.split()) > 1 or surname_key(v, cfg) not in by_surname]
    return {f: list(dict.fromkeys(values)) for f, values in by_field.items()}


def ner_texts(paragraphs: list[str], captions: list[str], rules: BoilerplateRules) -> list[str]:
    """The texts of one article that NER reads: body with its dateline spelled out, captions without credits."""
    body = [dateline_for_ner(paragraphs[0]), *paragraphs[1:]] if paragraphs else []
    return [*body, *(c for c in (strip_credits(c, rules) for c in captions) if c)]


def ner_cache_key(model: str, text: str) -> str:
    """Cache key of one text's NER result: the same text through the same model gives the same entities."""
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=16).hexdigest()


def chunk_texts(frame: pd.DataFrame, rules: BoilerplateRules) -> list[tuple[int, str]]:
    """(row position, text) for every text NER reads in the chunk."""
    return [
        (i, text)
        for i, (paras, caps) in enumerate(zip(frame["paragraphs"], frame["captions"], strict=True))
        for text in ner_texts(paras, caps, rules)
    ]


def spacy_ner(nlp: Any, n_process: int = 1, batch_size: int = 64) -> NerFn:
    """NER in this process (or spaCy's own short-lived workers when n_process > 1)."""

    def run(texts: list[str]) -> list[list[list[str]]]:
        docs = nlp.pipe(texts, batch_size=batch_size, n_process=n_process)
        return [[[ent.text, ent.label_] for ent in doc.ents] for doc in docs]

    return run


def _pool_worker_ner(model: str, batch_size: int, texts: list[str]) -> list[list[list[str]]]:
    nlp = load_ner(model)
    return spacy_ner(nlp, 1, batch_size)(texts) if texts else []


class NerPool:
    """NER in long-lived worker processes that load the model once.

    The flow process keeps reading, cleaning, dating and loading while the workers run the model, so
    NER never waits for the GIL; spaCy's own n_process would restart its workers for every chunk.
    """

    def __init__(self, model: str, processes: int = 1, batch_size: int = 64, job_texts: int = 256) -> None:
        self.model, self.processes, self.batch_size, self.job_texts = model, processes, batch_size, job_texts
        self._warm = False
        # spawn, not fork: the flow process runs threads (Prefect, HTTP clients) that fork would copy mid-lock
        self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))

    def warm(self) -> None:
        """Start the workers and load the model now, while the flow reads and prepares the first chunk."""
        if not self._warm:
            self._warm = True
            for _ in range(self.processes):
                self._pool.submit(_pool_worker_ner, self.model, self.batch_size, [])

    def __call__(self, texts: list[str]) -> list[list[list[str]]]:
        jobs = [texts[i : i + self.job_texts] for i in range(0, len(texts), self.job_texts)]
        try:
            futures = [self._pool.submit(_pool_worker_ner, self.model, self.batch_size, job) for job in jobs]
            return [ents for future in futures for ents in future.result()]
        except BrokenProcessPool as exc:  # a worker died, e.g. killed for memory: say so in one line
            raise RuntimeError(f"a NER worker process ({self.model}) died: {exc}") from None

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(cancel_futures=True)


def extract_entities(
    frame: pd.DataFrame,
    ner: NerFn,
    cfg: EntityConfig,
    rules: BoilerplateRules,
    cache: Mapping[str, list[list[str]]] | None = None,
    model: str = "",
) -> tuple[StageResult, dict[str, list[list[str]]]]:
    """Run NER over the chunk's texts not in cache, in one call of `ner`; fill the entity columns.

    Returns the stage result and the new cache entries (key -> [[text, label], ...]).
    """
    cache = cache or {}
    owned = [(i, text, ner_cache_key(model, text)) for i, text in chunk_texts(frame, rules)]
    # each distinct uncached text runs once, however many articles share it
    todo = list(dict.fromkeys((key, text) for _, text, key in owned if key not in cache))
    found = ner([text for _, text in todo]) if todo else []
    fresh: dict[str, list[list[str]]] = {key: ents for (key, _), ents in zip(todo, found, strict=True)}
    mentions: list[list[tuple[str, str]]] = [[] for _ in range(len(frame))]
    date_mentions: list[list[str]] = [[] for _ in range(len(frame))]
    for owner, _, key in owned:
        for text, label in cache[key] if key in cache else fresh[key]:
            if label == "DATE":
                date_mentions[owner].append(text)
            else:
                mentions[owner].append((text, label))
    out = frame.copy()
    canon = [canonical_entities(m, cfg) for m in mentions]
    # the dateline's city and spelled-out state or country are places of the story, whatever NER made of them
    # (the small model reads "Port Ellen, Scotland —" as a person)
    for entities, dateline in zip(canon, out["dateline"] if "dateline" in out else [None] * len(out), strict=True):
        for place in reversed(places_of_dateline(dateline) if isinstance(dateline, str) else []):
            entities["persons"] = [v for v in entities["persons"] if v != place]
            entities["organizations"] = [v for v in entities["organizations"] if v != place]
            if place not in entities["locations"]:
                entities["locations"].insert(0, place)
    result = StageResult(out)
    for field_name in ENTITY_FIELDS:
        out[field_name] = [c[field_name] for c in canon]
        result.counts[f"{field_name}_values"] += sum(len(c[field_name]) for c in canon)
    out["date_mentions"] = date_mentions
    result.counts["texts"] += len(owned)
    result.counts["texts_from_cache"] += sum(1 for _, _, key in owned if key in cache)
    result.counts["texts_run_through_ner"] += len(todo)
    result.counts["mentions"] += sum(len(m) for m in mentions)
    return result, fresh
