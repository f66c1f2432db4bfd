"""The ingest flow: discover -> read -> transform -> load -> report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE as NO_CACHE
from pydantic import BaseModel, Field

from newsfacet.report import RunReport
from newsfacet.settings import CONFIG_DIR, get_settings
from readers import ReaderError, discover, read_file
from search.client import connect
from search.load import bulk_mode, load_documents
from search.schema import ensure_index
from transforms.dedupe import DuplicateIndex
from transforms.pipeline import load_transform_config, transform_chunk
from transforms.records import Article


class IngestParams(BaseModel):
    """Parameters of one ingest run; Prefect renders them as the run form."""

    paths: list[str] = Field(description="Dump files or directories to ingest")
    alias: str | None = Field(default=None, description="Alias to load into (default: the 'alias' setting)")
    source: str | None = Field(default=None, description="Source name for files that carry none")


@task(cache_policy=NO_CACHE)
def discover_files(paths: list[str]) -> list[str]:
    """Every dump file under the given paths."""
    return [str(p) for p in discover(paths)]


@task(cache_policy=NO_CACHE)
def read_dump(path: str, source: str | None) -> tuple[list[Article], str | None]:
    """The articles of one file, or the reason the file is quarantined."""
    try:
        return list(read_file(Path(path), source)), None
    except ReaderError as exc:
        return [], exc.reason


@task(cache_policy=NO_CACHE)
def transform(articles: list[Article], duplicates: DuplicateIndex, ingested_at: str) -> Any:
    """Clean, dedupe, enrich and shape one chunk."""
    s = get_settings()
    cfg = load_transform_config(CONFIG_DIR, s.spacy_model, s.n_process, s.nlp_batch_size)
    return transform_chunk(articles, cfg, duplicates, ingested_at)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 10, 30])
def load(documents: list[dict[str, Any]], alias: str) -> Any:
    """Bulk-load one chunk through the write alias."""
    s = get_settings()
    es = connect(s)
    return load_documents(es, documents, alias, chunk_size=s.bulk_chunk_size)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


@flow(name="ingest", log_prints=True)
def ingest(params: IngestParams) -> dict[str, Any]:
    """Ingest dump files into the alias and return the run report."""
    logger = get_run_logger()
    settings = get_settings()
    alias = params.alias or settings.alias
    es = connect(settings)
    index = ensure_index(es, alias)
    report = RunReport(alias=alias, index=index)
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    state_dir = settings.cache_path / "runs"
    duplicates = DuplicateIndex()

    files = discover_files(params.paths)
    report.counts["files"] = len(files)
    logger.info("ingesting %d files into %s (%s)", len(files), alias, index)

    def flush(batch: list[Article]) -> None:
        out = transform(batch, duplicates, ingested_at)
        for stage, counts in out.counts.items():
            report.add(stage, counts)
        _write_jsonl(state_dir / "rejects.jsonl", out.rejects)
        loaded = load(out.documents, alias)
        report.add("load", loaded.counts)
        report.dead_letters.extend(loaded.dead_letters)
        _write_jsonl(state_dir / "dead_letters.jsonl", loaded.dead_letters)

    with bulk_mode(es, index, settings.refresh_interval):
        batch: list[Article] = []
        for path in files:
            articles, problem = read_dump(path, params.source)
            if problem:
                report.quarantine(path, problem)
                logger.warning("quarantined %s: %s", path, problem)
                continue
            report.counts["articles_read"] += len(articles)
            batch.extend(articles)
            if len(batch) >= settings.chunk_size:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    _write_jsonl(state_dir / "quarantine.jsonl", report.quarantined)
    create_markdown_artifact(key="ingest-report", markdown=report.markdown(), description="newsfacet run report")
    logger.info("done: %s", report.one_line())
    return report.as_dict()
