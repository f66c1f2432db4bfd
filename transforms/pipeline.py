"""The transform stages over one chunk, in two halves.

prepare: ids -> language -> clean -> publish dates -> dedupe   (cheap, needs run-wide dedupe state: runs in the flow)
enrich:  entities -> mentioned dates -> documents  (NER, the expensive part: can run on any worker)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.clean import BoilerplateRules, FurnitureIndex, clean_frame, load_rules
from transforms.dates import extract_publish_dates, resolve_mentioned_dates
from transforms.dedupe import DuplicateIndex, dedupe_articles
from transforms.documents import assign_ids, to_documents
from transforms.entities import EntityConfig, article_models, chunk_texts, extract_entities, load_entity_config
from transforms.language import detect_languages
from transforms.ner import NerFn, load_ner, local_ner, ner_cache_key, spacy_ner
from transforms.records import Article, articles_to_frame
from transforms.stats import StageResult


@dataclass(frozen=True)
class TransformConfig:
    """Everything the stages read from config/, loaded once."""

    rules: BoilerplateRules
    entities: EntityConfig
    spacy_model: str
    n_process: int = 1
    nlp_batch_size: int = 64
    # (language, model) pairs; empty: every article goes through spacy_model, whatever its language
    ner_models: tuple[tuple[str, str], ...] = ()

    @property
    def models(self) -> dict[str, str] | None:
        """Language -> NER model, or None when every article uses spacy_model."""
        return dict(self.ner_models) if self.ner_models else None


@lru_cache(maxsize=4)
def load_transform_config(
    config_dir: Path,
    spacy_model: str,
    n_process: int = 1,
    nlp_batch_size: int = 64,
    ner_models: tuple[tuple[str, str], ...] = (),
) -> TransformConfig:
    """Read the rule and entity files under config_dir; ner_models as in Settings.ner_models()."""
    return TransformConfig(
        rules=load_rules(config_dir / "boilerplate.toml"),
        entities=load_entity_config(config_dir / "entities.toml"),
        spacy_model=spacy_model,
        n_process=n_process,
        nlp_batch_size=nlp_batch_size,
        ner_models=ner_models,
    )


@dataclass
class StageOutput:
    """A stage half's result: frame or documents, plus counts per stage and rejected items."""

    frame: pd.DataFrame | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    rejects: list[dict[str, str]] = field(default_factory=list)
    ner_cache: dict[str, list[list[str]]] = field(default_factory=dict)  # new NER results by text key
    type_votes: dict[str, dict[str, int]] = field(default_factory=dict)  # this chunk's entity type votes

    def absorb(self, stage: str, result: StageResult) -> None:
        """Take one stage's counts and rejects."""
        self.counts[stage] = result.counts
        self.rejects.extend(result.rejects)


def prepare_chunk(
    articles: list[Article],
    cfg: TransformConfig,
    duplicates: DuplicateIndex,
    furniture: FurnitureIndex | None = None,
) -> StageOutput:
    """Detect languages, clean, date and dedupe one chunk; the frame that comes out goes to enrich_chunk.

    The language is detected on the raw title and paragraphs, before cleaning, so that cleaning can
    apply the language's boilerplate rules: a few boilerplate lines among ~1000 characters of text
    rarely outvote the article (see transforms.language).
    """
    out = StageOutput(frame=articles_to_frame(articles))
    if not articles:
        return out
    languages = detect_languages(assign_ids(articles_to_frame(articles)))
    cleaned = clean_frame(languages.frame, cfg.rules, furniture)
    dated = extract_publish_dates(cleaned.frame)
    deduped = dedupe_articles(dated.frame, duplicates)
    for stage, result in (("language", languages), ("clean", cleaned), ("dates", dated), ("dedupe", deduped)):
        out.absorb(stage, result)
    out.frame = deduped.frame
    return out


def ner_cache_keys(frame: pd.DataFrame, cfg: TransformConfig) -> list[str]:
    """Keys of the NER results a prepared chunk needs, for a cache lookup before enrich_chunk."""
    models = article_models(frame, cfg.spacy_model, cfg.models)
    return list(dict.fromkeys(ner_cache_key(models[i], text) for i, text in chunk_texts(frame, cfg.rules) if models[i]))


def enrich_chunk(
    frame: pd.DataFrame,
    cfg: TransformConfig,
    ingested_at: str,
    ner_cache: Mapping[str, list[list[str]]] | None = None,
    ner: NerFn | None = None,
    type_counts: Mapping[str, Mapping[str, int]] | None = None,
) -> StageOutput:
    """Entities and mentioned dates for a prepared chunk, shaped as index documents.

    ner runs the model (e.g. a NerPool, which also serves the other languages' models); by default spaCy
    runs here with cfg.n_process, each language's model loaded on first use. type_counts are the entity
    type votes of earlier runs (see transforms.entities.TypeVotes).
    """
    out = StageOutput()
    if frame.empty:
        return out
    ner_for = getattr(ner, "for_model", None) or local_ner(cfg.n_process, cfg.nlp_batch_size)
    ner = ner or spacy_ner(load_ner(cfg.spacy_model), cfg.n_process, cfg.nlp_batch_size)
    found = extract_entities(
        frame, ner, cfg.entities, cfg.rules, ner_cache, cfg.spacy_model, cfg.models, ner_for, type_counts
    )
    out.ner_cache, out.type_votes = found.ner_cache, found.type_votes
    mentioned = resolve_mentioned_dates(found.result.frame)
    out.absorb("entities", found.result)
    out.absorb("mentioned_dates", mentioned)
    out.documents = to_documents(mentioned.frame, ingested_at)
    return out
