"""The transform stages over one chunk: ids -> clean -> dates -> dedupe -> entities -> mentioned dates -> documents."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from transforms.clean import BoilerplateRules, clean_frame, load_rules
from transforms.dates import extract_publish_dates, resolve_mentioned_dates
from transforms.dedupe import DuplicateIndex, dedupe_articles
from transforms.documents import assign_ids, to_documents
from transforms.entities import EntityConfig, extract_entities, load_entity_config, load_ner
from transforms.records import Article, articles_to_frame


@dataclass(frozen=True)
class TransformConfig:
    """Everything the stages read from config/, loaded once."""

    rules: BoilerplateRules
    entities: EntityConfig
    spacy_model: str
    n_process: int = 1
    nlp_batch_size: int = 64


@lru_cache(maxsize=4)
def load_transform_config(
    config_dir: Path, spacy_model: str, n_process: int = 1, nlp_batch_size: int = 64
) -> TransformConfig:
    """Read the rule and entity files under config_dir."""
    return TransformConfig(
        rules=load_rules(config_dir / "boilerplate.toml"),
        entities=load_entity_config(config_dir / "entities.toml"),
        spacy_model=spacy_model,
        n_process=n_process,
        nlp_batch_size=nlp_batch_size,
    )


@dataclass
class ChunkOutput:
    """Documents ready to index, plus each stage's counts and rejected items."""

    documents: list[dict[str, Any]]
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    rejects: list[dict[str, str]] = field(default_factory=list)


def transform_chunk(
    articles: list[Article], cfg: TransformConfig, duplicates: DuplicateIndex, ingested_at: str
) -> ChunkOutput:
    """Run every stage over one chunk of articles."""
    out = ChunkOutput(documents=[])
    frame = assign_ids(articles_to_frame(articles))
    cleaned = clean_frame(frame, cfg.rules)
    dated = extract_publish_dates(cleaned.frame)
    deduped = dedupe_articles(dated.frame, duplicates)
    nlp = load_ner(cfg.spacy_model)
    enriched = extract_entities(deduped.frame, nlp, cfg.entities, cfg.rules, cfg.n_process, cfg.nlp_batch_size)
    mentioned = resolve_mentioned_dates(enriched.frame)
    stages = (
        ("clean", cleaned),
        ("dates", dated),
        ("dedupe", deduped),
        ("entities", enriched),
        ("mentioned_dates", mentioned),
    )
    for stage, result in stages:
        out.counts[stage] = result.counts
        out.rejects.extend(result.rejects)
    out.documents = to_documents(mentioned.frame, ingested_at)
    return out
