"""The ingest flow: discover -> read -> prepare -> enrich -> load -> report.

Tasks are split where I/O happens. Work moves in chunks of `chunk_size` articles, so memory
stays flat whatever the dump size. NER runs in worker processes (NerPool) while this process reads,
prepares and loads the chunks around it.
"""

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from elasticsearch import exceptions as es_exceptions
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE as NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Completed, State
from prefect.utilities.annotations import quote
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from newsfacet.errors import ClusterUnavailable
from newsfacet.heap import trim_heap
from newsfacet.locking import alias_lock
from newsfacet.manifest import DONE, QUARANTINED, Manifest
from newsfacet.params import IngestParams
from newsfacet.report import DEAD_LETTERS, REJECTS, RunReport, new_run_id
from newsfacet.settings import CONFIG_DIR, Settings, get_settings, load_sources
from readers import ProblemHandler, discover, one_line
from readers.chunks import ReadEvent, read_chunks
from search.client import connect, redact_url, resolve_url
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


@task(cache_policy=NO_CACHE)
def discover_files(paths: list[str]) -> list[str]:
    """Every dump file under the given paths."""
    return [str(p) for p in discover(paths)]


@task(cache_policy=NO_CACHE)
def read_dumps(
    paths: list[str],
    source: str | None,
    size: int,
    max_record_bytes: int,
    on_problem: ProblemHandler,
    on_file_done: Callable[[str], None],
) -> Iterator[ReadEvent]:
    """Stream every file's articles in chunks; a bad file is reported, never fatal (see read_chunks).

    Prefect keeps a record of every item a generator task yields until the flow ends, so the events
    are chunks (finished files ride along), not one per file.
    """
    yield from read_chunks(paths, source, size, on_problem, max_record_bytes, on_file_done)


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


def _as_is(value: Any) -> Any:
    return value


def _release(*outputs: StageOutput | list[Any] | dict[str, Any]) -> None:
    """Empty task inputs and results in place once they are used.

    Prefect keeps every task's parameters and return value until the flow ends, so without this a
    run would hold every chunk it ever read; emptying them keeps memory flat whatever the dump size.
    """
    for item in outputs:
        if isinstance(item, StageOutput):
            item.frame = None
            item.documents.clear()
            item.rejects.clear()
            item.ner_cache.clear()
            item.type_votes.clear()
        else:
            item.clear()


# Chunks queued for NER beyond the one being loaded. With one, the NER workers ran dry whenever the flow
# process (which shares the two cores with them) was slow to prepare the next chunk: at 10k they were busy
# 57% of the run. Each chunk more holds one more prepared chunk in memory.
CHUNKS_IN_FLIGHT = 2


@dataclass
class _InFlight:
    """A chunk whose NER runs on the task runner, with what must happen once it is back."""

    future: Future[StageOutput]
    closes: list[str]  # files whose last articles are in this chunk
    # the chunk-sized arguments handed to enrich: Prefect keeps them until the flow ends, so they are emptied
    # once the chunk is loaded (the votes snapshot among them grows with the names a run has seen)
    arguments: tuple[StageOutput, dict[str, list[list[str]]], dict[str, dict[str, int]]]


class IngestRun:
    """The run-wide state of one ingest: the report, manifest, dedupe and furniture state, and the
    chunks in flight. The flow calls read, prepare, enrich and load through it, chunk by chunk.

    While chunk k's NER runs on the workers, this process loads chunk k-1 and reads and prepares k+1,
    so the NER workers never wait for reading, cleaning or loading.
    """

    def __init__(self, params: IngestParams) -> None:
        self.settings = settings = get_settings()
        self.alias = params.alias or settings.alias
        self.chunk_size = params.batch_size or settings.chunk_size
        self.cfg: TransformConfig = load_transform_config(
            CONFIG_DIR,
            settings.spacy_model,
            ner_processes(params.n_process, settings),
            settings.nlp_batch_size,
            tuple(settings.ner_models().items()),
        )
        self.paths, self.label = resolve_inputs(params)
        self.params = params
        self.state_dir = settings.cache_path / "runs"
        self.ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.logger = get_run_logger()
        self.es = connect(settings)
        self._stack = ExitStack()
        self._in_flight: list[_InFlight] = []
        self._read_counts: dict[str, int] = {}  # articles read per file, recorded when the file is done
        self._fully_read: list[str] = []  # files read to the end whose last articles are not submitted yet

    def __enter__(self) -> Self:
        stack, settings = self._stack, self.settings
        # NER workers for the thread runner (a Dask worker runs spaCy in its own process instead); they are
        # stopped when the run ends: a served or scheduled process must not keep idle model copies around
        self.ner: NerFn | None = None
        if settings.task_runner == "thread":
            pool = NerPool(self.cfg.spacy_model, self.cfg.n_process, self.cfg.nlp_batch_size)
            stack.callback(pool.close)
            self.ner = pool
        stack.enter_context(alias_lock(settings.cache_path / "locks", self.alias, settings.lock_timeout))
        self.index = ensure_index(self.es, self.alias)
        self.report = RunReport(
            alias=self.alias,
            index=self.index,
            run_id=flow_run.get_id() or new_run_id(),
            state_dir=self.state_dir,
            max_problems_per_file=settings.max_problems_per_file,
        )
        self.manifest = Manifest(settings.cache_path / "state.sqlite", self.alias)
        stack.callback(self.manifest.close)
        if self.params.reprocess:
            self.manifest.forget()
        self.duplicates = DuplicateIndex(
            threshold=settings.near_duplicate_threshold,
            known=self.manifest.fingerprints,
            store=self.manifest.near_duplicate_store(),  # signatures in the run-state DB, not in this process
        )
        self.furniture = FurnitureIndex(
            min_articles=settings.furniture_min_articles, known=self.manifest.furniture_counts
        )
        # one type per name: earlier runs' votes
        self.type_counts = self.manifest.entity_type_counts(self.cfg.spacy_model)
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        # hand the error on: bulk_mode must know the load failed, or restoring refresh on a dead node
        # would replace the load's own error
        return self._stack.__exit__(*exc)

    def select(self, found: list[str]) -> list[str]:
        """The files this run processes: new or changed ones (all with reprocess), modified since `since`."""
        since = self.params.since
        cutoff = datetime.combine(since, datetime.min.time()).timestamp() if since else None
        todo = [p for p in found if _wanted(Path(p), self.manifest, cutoff)]
        self.report.counts["files_found"] = len(found)
        self.report.counts["files"] = len(todo)
        self.report.counts["files_skipped_unchanged"] = len(found) - len(todo)
        self.logger.info(
            "%d files found, %d new or changed, loading into %s (%s)", len(found), len(todo), self.alias, self.index
        )
        if todo and isinstance(self.ner, NerPool):
            self.ner.warm()
        self.progress = _progress(len(todo))
        self._stack.enter_context(bulk_mode(self.es, self.index, self.settings.refresh_interval))
        self._stack.enter_context(self.progress)
        return todo

    def take(self, event: ReadEvent) -> None:
        """Account for one read event: a bad file, or a chunk (full, or the last) and the files it finishes."""
        if event.quarantined:
            self.report.file_finished(event.quarantined)
            self.report.quarantine(event.quarantined, event.reason or "unreadable")
            self.manifest.record(Path(event.quarantined), QUARANTINED, reason=event.reason)
            self.logger.warning("quarantined %s: %s", one_line(event.quarantined), one_line(event.reason or ""))
            self.progress.advance(0)
            return
        for path, articles in event.done:
            self._read_counts[path] = articles
            self.report.counts["articles_read"] += articles
            self._fully_read.append(path)
        self.progress.advance(0, len(event.done))
        if event.articles:
            self.submit(event.articles)
            _release(event.articles)

    def submit(self, batch: list[Article]) -> None:
        """Prepare a chunk here, queue its NER, and load the chunk before it meanwhile."""
        closes, self._fully_read = self._fully_read, []
        # quote(): Prefect would otherwise walk every article, dedupe entry and vote of these arguments looking
        # for futures, on every call (7% of the flow process's samples at 10k)
        prepared = prepare(quote(batch), quote(self.cfg), quote(self.duplicates), quote(self.furniture))
        self.manifest.add_furniture_counts(self.furniture.delta)
        self.furniture.delta.clear()
        # the run-state DB now holds every count; the next chunk looks up only the keys it meets
        self.furniture.counts.clear()
        self._count(prepared)
        cached = self.manifest.ner_results(ner_cache_keys(prepared.frame, self.cfg))
        votes = dict(self.type_counts)  # a snapshot: _load_next adds to type_counts while this chunk is enriched
        # a Dask worker gets a quote() pickled as a plain tuple: arguments for a remote task go as they are
        q = quote if self.settings.task_runner == "thread" else _as_is
        future = enrich.submit(q(prepared), q(self.cfg), self.ingested_at, q(cached), self.ner, q(votes))
        self._in_flight.append(_InFlight(future, closes, (prepared, cached, votes)))
        while len(self._in_flight) > CHUNKS_IN_FLIGHT:
            self._load_next()

    def finish(self) -> None:
        """Submit what is left, and load every chunk still in flight."""
        if self._fully_read:
            self.submit([])
        while self._in_flight:
            self._load_next()

    def _load_next(self) -> None:
        done = self._in_flight.pop(0)
        enriched = done.future.result()
        _release(*done.arguments)
        self._count(enriched)
        self.manifest.add_ner_results(enriched.ner_cache)
        self.manifest.add_entity_type_counts(self.cfg.spacy_model, enriched.type_votes)
        merge_type_votes(self.type_counts, enriched.type_votes)
        if enriched.documents:
            loaded = load(quote(enriched.documents), self.alias)
            self.report.add("load", loaded.counts)
            self.report.dead_letters.extend(loaded.dead_letters)
            self.report.write(DEAD_LETTERS, loaded.dead_letters)
            self.manifest.add_fingerprints((d["content_hash"], d["_id"]) for d in enriched.documents)
        # ES has acknowledged every article of these files
        self.manifest.record_many(((Path(p), self._read_counts.pop(p)) for p in done.closes), DONE)
        _release(enriched)
        # freed chunks' pages back to the system, or RSS creeps up over a run (BENCHMARKS.md, Memory)
        trim_heap()

    def _count(self, out: StageOutput) -> None:
        for stage, counts in out.counts.items():
            self.report.add(stage, counts)
        self.report.write(REJECTS, out.rejects)

    def publish(self) -> dict[str, Any]:
        """Publish the report artifact and return the report (the line files were written as things happened)."""
        create_markdown_artifact(
            key="ingest-report", markdown=self.report.markdown(), description="newsfacet run report"
        )
        self.logger.info("done: %s", self.report.one_line())
        return self.report.as_dict()


def _progress(files: int) -> Progress:
    """A progress bar over the files, only when a person watches a terminal; served runs log instead."""
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
    progress.add_task("files", total=files)
    return progress


def _wanted(path: Path, manifest: Manifest, since: float | None) -> bool:
    try:
        return (since is None or path.stat().st_mtime >= since) and manifest.needs_processing(path)
    except OSError:
        return True  # gone or unreadable since discovery: reading it reports why


def build_task_runner(spec: str, dask_workers: int) -> Any:
    """The task runner a setting names: threads, a local Dask cluster, or a Dask scheduler address."""
    if spec == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=CHUNKS_IN_FLIGHT + 1)
    from prefect_dask import DaskTaskRunner

    if spec == "dask":
        return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True})
    return DaskTaskRunner(address=spec.replace("dask://", "tcp://", 1))


def ner_processes(requested: int | None, settings: Settings) -> int:
    """NER worker processes: the parameter, else the setting, where 0 means one per CPU core."""
    if settings.task_runner != "thread":
        return 1  # each Dask worker runs spaCy itself: the workers are the parallelism
    wanted = settings.n_process if requested is None else requested
    return wanted or os.cpu_count() or 1


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
def ingest(params: IngestParams) -> dict[str, Any] | State:
    """Ingest new or changed dump files into the alias and publish the run report."""
    with IngestRun(params) as run:
        todo = run.select(discover_files(run.paths))
        for event in read_dumps(
            todo,
            run.label,
            run.chunk_size,
            run.settings.max_record_bytes,
            run.report.skip_problem,
            run.report.file_finished,  # closes the file's skipped-record tally before the next file's
        ):
            run.take(event)  # full chunks: prepare here, enrich on the task runner, load the one before
        run.finish()
    report = run.publish()
    problems = run.report.problems()
    # the run finished either way; what it could not index is the Completed state's message in the UI
    return Completed(message=f"finished with problems: {problems}", data=report) if problems else report
