"""The ingest flow: discover -> read -> prepare -> enrich -> load -> report.

Tasks are split where I/O happens. Work moves in chunks of `chunk_size` articles, so memory
stays flat whatever the dump size. NER runs in worker processes (NerPool) while this process reads,
prepares and loads the chunks around it.
"""

import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self

from elasticsearch import exceptions as es_exceptions
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE as NO_CACHE
from pydantic import BaseModel, Field, model_validator
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from newsfacet.locking import alias_lock
from newsfacet.manifest import DONE, QUARANTINED, Manifest
from newsfacet.report import RunReport
from newsfacet.settings import CONFIG_DIR, Settings, get_settings, load_sources
from readers import ReaderError, RecordProblem, discover, read_file
from search.client import ClusterUnavailable, connect, redact_url, resolve_url
from search.load import LoadResult, bulk_mode, load_documents
from search.schema import ensure_index
from transforms.clean import FurnitureIndex
from transforms.dedupe import DuplicateIndex
from transforms.entities import merge_type_votes
from transforms.ner import NerFn, NerPool
from transforms.pipeline import (
    StageOutput,
    TransformConfig,
    enrich_chunk,
    load_transform_config,
    ner_cache_keys,
    prepare_chunk,
)
from transforms.records import Article


class IngestParams(BaseModel):
    """Parameters of one ingest run; Prefect renders them as the run form and validates them."""

    paths: list[str] = Field(default_factory=list, description="Dump files or directories to ingest")
    source_name: str | None = Field(default=None, description="A source defined in config/sources.toml")
    source: str | None = Field(default=None, description="Source facet value for files that carry none")
    alias: str | None = Field(default=None, description="Alias to load into (default: setting 'alias')")
    reprocess: bool = Field(default=False, description="Process every file, even those already done")
    since: date | None = Field(default=None, description="Only files modified on or after this date")
    batch_size: int | None = Field(default=None, ge=1, description="Articles per chunk (default: chunk_size)")
    n_process: int | None = Field(default=None, ge=1, description="spaCy processes (default: n_process)")

    @model_validator(mode="after")
    def _paths_or_source(self) -> Self:
        if not self.paths and not self.source_name:
            raise ValueError("give paths or a source_name")
        if self.source_name and self.source_name not in load_sources():
            known = ", ".join(load_sources()) or "none"
            raise ValueError(f"unknown source_name {self.source_name!r} (config/sources.toml has: {known})")
        return self


@task(cache_policy=NO_CACHE)
def discover_files(paths: list[str]) -> list[str]:
    """Every dump file under the given paths."""
    return [str(p) for p in discover(paths)]


@dataclass
class ReadEvent:
    """What reading hands the flow: a chunk of articles, a file read to its end, or a bad file."""

    articles: list[Article] = field(default_factory=list)
    file_done: str | None = None
    articles_in_file: int = 0
    quarantined: str | None = None
    reason: str | None = None
    problems: list[RecordProblem] = field(default_factory=list)  # bad records skipped in the file


@task(cache_policy=NO_CACHE)
def read_dumps(paths: list[str], source: str | None, size: int) -> Iterator[ReadEvent]:
    """Stream every file's articles in chunks of `size`; a bad file is reported, never fatal."""
    chunk: list[Article] = []
    for path in paths:
        count = 0
        problems: list[RecordProblem] = []
        try:
            for article in read_file(Path(path), source, on_problem=problems.append):
                chunk.append(article)
                count += 1
                if len(chunk) >= size:
                    yield ReadEvent(articles=chunk)
                    chunk = []
        except ReaderError as exc:
            yield ReadEvent(quarantined=path, reason=exc.reason, problems=problems)
            continue
        yield ReadEvent(file_done=path, articles_in_file=count, problems=problems)
    if chunk:
        yield ReadEvent(articles=chunk)


@task(cache_policy=NO_CACHE)
def prepare(
    articles: list[Article], cfg: TransformConfig, duplicates: DuplicateIndex, furniture: FurnitureIndex
) -> StageOutput:
    """Clean, date and dedupe one chunk (in the flow process: dedupe and furniture state are run-wide)."""
    return prepare_chunk(articles, cfg, duplicates, furniture)


@task(cache_policy=NO_CACHE)
def enrich(
    prepared: StageOutput,
    cfg: TransformConfig,
    ingested_at: str,
    ner_cache: dict[str, list[list[str]]],
    ner: NerFn | None = None,
    type_counts: dict[str, dict[str, int]] | None = None,
) -> StageOutput:
    """NER (for texts not in the cache) and mentioned dates for one chunk; runs on the task runner.

    With the thread runner, `ner` is the flow's NerPool; a Dask worker runs spaCy itself.
    """
    return enrich_chunk(prepared.frame, cfg, ingested_at, ner_cache, ner, type_counts)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 10, 30])
def load(documents: list[dict[str, Any]], alias: str) -> LoadResult:
    """Bulk-load one chunk through the write alias (network: retried with backoff)."""
    settings = get_settings()
    try:
        return load_documents(connect(settings), documents, alias, chunk_size=settings.bulk_chunk_size)
    except (es_exceptions.ConnectionError, es_exceptions.ConnectionTimeout) as exc:
        url = redact_url(resolve_url(settings))
        raise ClusterUnavailable(
            f"Elasticsearch at {url} stopped answering during the load ({type(exc).__name__})"
        ) from None


def _append_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _wanted(path: Path, manifest: Manifest, since: float | None) -> bool:
    try:
        return (since is None or path.stat().st_mtime >= since) and manifest.needs_processing(path)
    except OSError:
        return True  # gone or unreadable since discovery: reading it reports why


def build_task_runner(spec: str, dask_workers: int) -> Any:
    """The task runner a setting names: threads, a local Dask cluster, or a Dask scheduler address."""
    if spec == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=2)
    from prefect_dask import DaskTaskRunner

    if spec == "dask":
        return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True})
    return DaskTaskRunner(address=spec.replace("dask://", "tcp://", 1))


def ner_processes(requested: int | None, settings: Settings) -> int:
    """NER worker processes: the parameter, else the setting, where 0 means one per CPU core."""
    if settings.task_runner != "thread":
        return 1  # each Dask worker runs spaCy itself: the workers are the parallelism
    return requested or settings.n_process or os.cpu_count() or 1


def configured_flow() -> Any:
    """The ingest flow with the task runner the settings ask for."""
    settings = get_settings()
    return ingest.with_options(task_runner=build_task_runner(settings.task_runner, settings.dask_workers))


def resolve_inputs(params: IngestParams) -> tuple[list[str], str | None]:
    """Paths and source label for a run, from explicit paths and/or a named source."""
    paths, label = list(params.paths), params.source
    if params.source_name:
        spec = load_sources()[params.source_name]
        paths += list(spec["paths"])  # type: ignore[arg-type]
        label = label or spec.get("label") or params.source_name  # type: ignore[assignment]
    return paths, label


@flow(name="ingest", log_prints=True)
def ingest(params: IngestParams) -> dict[str, Any]:
    """Ingest new or changed dump files into the alias and publish the run report."""
    settings = get_settings()
    alias = params.alias or settings.alias
    chunk_size = params.batch_size or settings.chunk_size
    cfg = load_transform_config(
        CONFIG_DIR, settings.spacy_model, ner_processes(params.n_process, settings), settings.nlp_batch_size
    )
    paths, label = resolve_inputs(params)
    es = connect(settings)

    # NER workers for the thread runner (a Dask worker runs spaCy in its own process instead); they are
    # stopped when the run ends: a served or scheduled process must not keep idle model copies around
    ner = NerPool(cfg.spacy_model, cfg.n_process, cfg.nlp_batch_size) if settings.task_runner == "thread" else None
    try:
        return _run(params, alias, chunk_size, cfg, paths, label, es, ner)
    finally:
        if ner is not None:
            ner.close()


def _run(  # the run itself, under the alias lock
    params: IngestParams,
    alias: str,
    chunk_size: int,
    cfg: TransformConfig,
    paths: list[str],
    label: str | None,
    es: Any,
    ner: NerFn | None,
) -> dict[str, Any]:
    logger = get_run_logger()
    settings = get_settings()
    state_dir = settings.cache_path / "runs"
    with alias_lock(settings.cache_path / "locks", alias, settings.lock_timeout):
        index = ensure_index(es, alias)
        report = RunReport(alias=alias, index=index)
        manifest = Manifest(settings.cache_path / "state.sqlite", alias)
        if params.reprocess:
            manifest.forget()
        duplicates = DuplicateIndex(threshold=settings.near_duplicate_threshold, known=manifest.fingerprints)
        furniture = FurnitureIndex(min_articles=settings.furniture_min_articles, known=manifest.furniture_counts)
        type_counts = manifest.entity_type_counts(cfg.spacy_model)  # one type per name: earlier runs' votes
        ingested_at = datetime.now(UTC).isoformat(timespec="seconds")

        found = discover_files(paths)
        since = datetime.combine(params.since, datetime.min.time()).timestamp() if params.since else None
        todo = [p for p in found if _wanted(Path(p), manifest, since)]
        report.counts["files_found"] = len(found)
        report.counts["files"] = len(todo)
        report.counts["files_skipped_unchanged"] = len(found) - len(todo)
        logger.info("%d files found, %d new or changed, loading into %s (%s)", len(found), len(todo), alias, index)
        if todo and isinstance(ner, NerPool):
            ner.warm()

        # Articles read per file; a file is recorded done once the chunk holding its last articles is loaded.
        read_counts: dict[str, int] = {}
        in_flight: list[tuple[Future[StageOutput], list[str], StageOutput, dict[str, Any]]] = []

        def finish(enriched: StageOutput, closes: list[str]) -> None:
            for stage, counts in enriched.counts.items():
                report.add(stage, counts)
            _append_jsonl(state_dir / "rejects.jsonl", enriched.rejects)
            manifest.add_ner_results(enriched.ner_cache)
            manifest.add_entity_type_counts(cfg.spacy_model, enriched.type_votes)
            merge_type_votes(type_counts, enriched.type_votes)
            if enriched.documents:
                loaded = load(enriched.documents, alias)
                report.add("load", loaded.counts)
                report.dead_letters.extend(loaded.dead_letters)
                _append_jsonl(state_dir / "dead_letters.jsonl", loaded.dead_letters)
                manifest.add_fingerprints((d["content_hash"], d["_id"]) for d in enriched.documents)
            # ES has acknowledged every article of these files
            manifest.record_many(((Path(path), read_counts[path]) for path in closes), DONE)
            # Prefect keeps every task's return value and parameters until the flow ends: empty them in
            # place so memory stays flat whatever the dump size
            enriched.documents.clear()
            enriched.rejects.clear()
            enriched.ner_cache.clear()
            enriched.type_votes.clear()

        def submit(batch: list[Article], closes: list[str]) -> None:
            prepared = prepare(batch, cfg, duplicates, furniture)
            manifest.add_furniture_counts(furniture.delta)
            furniture.delta.clear()
            # the run-state DB now holds every count; the next chunk looks up only the keys it meets
            furniture.counts.clear()
            for stage, counts in prepared.counts.items():
                report.add(stage, counts)
            _append_jsonl(state_dir / "rejects.jsonl", prepared.rejects)
            cached = manifest.ner_results(ner_cache_keys(prepared.frame, cfg))
            # queue this chunk's NER behind the previous chunk's, then load the previous chunk meanwhile:
            # the NER workers never wait for reading, cleaning or loading
            votes = dict(type_counts)  # a snapshot: finish() adds to type_counts while this chunk is enriched
            in_flight.append((enrich.submit(prepared, cfg, ingested_at, cached, ner, votes), closes, prepared, cached))
            while len(in_flight) > 1:
                drain()

        def drain() -> None:
            future, closes, prepared, cached = in_flight.pop(0)
            enriched = future.result()
            prepared.frame = None  # enrich is done with its inputs; Prefect would keep them alive
            prepared.rejects.clear()
            cached.clear()
            finish(enriched, closes)

        # a progress bar only when a person watches a terminal; served runs log instead
        progress = Progress(
            TextColumn("[bold]ingest[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TimeRemainingColumn(),
            transient=True,
            console=Console(stderr=True),
            disable=not sys.stderr.isatty(),
        )
        bar = progress.add_task("files", total=len(todo))
        with bulk_mode(es, index, settings.refresh_interval), progress:
            fully_read: list[str] = []  # files read to the end whose last articles are not submitted yet
            for event in read_dumps(todo, label, chunk_size):
                for problem in event.problems:
                    report.skip_record(problem.path, problem.location, problem.reason)
                if event.quarantined:
                    report.quarantine(event.quarantined, event.reason or "unreadable")
                    manifest.record(Path(event.quarantined), QUARANTINED, reason=event.reason)
                    logger.warning("quarantined %s: %s", event.quarantined, event.reason)
                    progress.advance(bar)
                elif event.file_done:
                    read_counts[event.file_done] = event.articles_in_file
                    report.counts["articles_read"] += event.articles_in_file
                    fully_read.append(event.file_done)
                    progress.advance(bar)
                else:
                    submit(event.articles, fully_read)
                    event.articles.clear()  # read_dumps' yields are kept by Prefect too
                    fully_read = []
            if fully_read:
                submit([], fully_read)
            while in_flight:
                drain()
        manifest.close()

    _append_jsonl(state_dir / "quarantine.jsonl", report.quarantined + report.skipped_records)
    create_markdown_artifact(key="ingest-report", markdown=report.markdown(), description="newsfacet run report")
    logger.info("done: %s", report.one_line())
    return report.as_dict()
