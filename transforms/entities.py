"""Entities from NER mentions: label mapping, clean-up and canonical names per facet (the model runs in transforms.ner)."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from transforms.clean import BoilerplateRules, strip_credits
from transforms.dates import dateline_for_ner, places_of_dateline
from transforms.fields import ENTITY_FIELDS
from transforms.ner import NerFn, NerForModel, local_ner, ner_cache_key
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
    # spaCy's French, Spanish, German... pipelines (WikiNER labels): LOC and ORG as above
    "PER": "persons",
    "MISC": "misc",
}
LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
POSSESSIVE = re.compile(r"(?:['\u2019]s?)$")
EDGE_PUNCT = re.compile(r"^[\W_]+|[^\w.)]+$")
MIDDLE_INITIAL = re.compile(r"^[A-Z]\.?$")
NUMERIC = re.compile(r"^[\d\s.,%/-]+$")


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


def chunk_texts(frame: pd.DataFrame, rules: BoilerplateRules) -> list[tuple[int, str]]:
    """(row position, text) for every text NER reads in the chunk."""
    return [
        (i, text)
        for i, (paras, caps) in enumerate(zip(frame["paragraphs"], frame["captions"], strict=True))
        for text in ner_texts(paras, caps, rules)
    ]


def article_models(frame: pd.DataFrame, model: str, models: Mapping[str, str] | None) -> list[str]:
    """The NER model of each article: `model` for all without `models`, else its language's ("" for none)."""
    if models is None:
        return [model] * len(frame)
    languages = frame["language"] if "language" in frame else [None] * len(frame)
    return [models.get(language or "", "") for language in languages]


def extract_entities(
    frame: pd.DataFrame,
    ner: NerFn,
    cfg: EntityConfig,
    rules: BoilerplateRules,
    cache: Mapping[str, list[list[str]]] | None = None,
    model: str = "",
    models: Mapping[str, str] | None = None,
    ner_for: NerForModel | None = None,
) -> tuple[StageResult, dict[str, list[list[str]]]]:
    """Run NER over the chunk's texts not in cache, one call per model; fill the entity columns.

    Without `models`, every text goes through `ner` (the runtime of `model`). With `models` (language ->
    model), each article goes through its `language`'s model, and an article whose language has none
    gets no entities (counted as no_model_<lang>); `ner` serves `model`, ner_for(m) any other model.
    Returns the stage result and the new cache entries (key -> [[text, label], ...]).
    """
    cache = cache or {}
    row_models = article_models(frame, model, models)
    owned = [
        (i, text, row_models[i], ner_cache_key(row_models[i], text))
        for i, text in chunk_texts(frame, rules)
        if row_models[i]
    ]
    # each distinct uncached text runs once, however many articles share it; texts are grouped by model
    todo = list(dict.fromkeys((m, key, text) for _, text, m, key in owned if key not in cache))
    fresh: dict[str, list[list[str]]] = {}
    for m in dict.fromkeys(m for m, _, _ in todo):
        group = [(key, text) for tm, key, text in todo if tm == m]
        run = ner if m == model else (ner_for or local_ner())(m)
        found = run([text for _, text in group])
        fresh.update({key: ents for (key, _), ents in zip(group, found, strict=True)})
    mentions: list[list[tuple[str, str]]] = [[] for _ in range(len(frame))]
    date_mentions: list[list[str]] = [[] for _ in range(len(frame))]
    for owner, _, _, key in owned:
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
    result.counts["texts_from_cache"] += sum(1 for _, _, _, key in owned if key in cache)
    if models is not None:
        for language, m in zip(frame["language"], row_models, strict=True):
            if not m:
                result.counts[f"no_model_{language or 'und'}"] += 1
    result.counts["texts_run_through_ner"] += len(todo)
    result.counts["mentions"] += sum(len(m) for m in mentions)
    return result, fresh
