"""Faults against real services: a node killed mid-load, write rejections (429), an unreachable
cluster, documents the mapping refuses, two ingests racing for one alias, and a node lost from a
3-node cluster. Nothing is mocked: every Elasticsearch here is a real node (the session one, or a
dedicated JVM started by the test) and every flow run reports to the session's real Prefect server."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from newsfacet import cli
from newsfacet.cli import main
from newsfacet.devstack import esnode as node
from newsfacet.devstack.escluster import start_cluster
from newsfacet.settings import get_settings
from search.load import load_documents
from search.schema import ensure_index, write_alias

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")

CITIES = ["Dover", "Calais", "Bergen", "Aarhus", "Gdansk", "Rotterdam", "Hamburg", "Antwerp"]
PEOPLE = ["Petra Lunde", "Jonas Berg", "Maria Novak", "Ahmed Karimi", "Lena Fischer", "Tom Okafor"]


def write_articles(folder: Path, n: int, prefix: str = "a") -> list[Path]:
    """n short, distinct plain-text articles (title line, dateline paragraph, one more paragraph)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        city, person = CITIES[i % len(CITIES)], PEOPLE[i % len(PEOPLE)]
        path = folder / f"{prefix}{i:04d}.txt"
        path.write_text(
            f"Story {prefix}{i} from {city}\n\n"
            f"{city.upper()} — {person} said on March {1 + i % 28}, 2024 that ferry {prefix}{i} would sail again.\n\n"
            f"The harbour office in {city} confirmed report {i * 7919} and thanked the crews for their patience.\n"
        )
        paths.append(path)
    return paths


def run_flow(paths: list[Path], alias: str, **params: object) -> dict:
    """One ingest flow run in this process; returns the run report (what `newsfacet ingest --json` prints).

    flows (and so prefect) are imported here, never at module level: Prefect freezes its settings on
    import, and an import at collection time, before the prefect_api fixture sets PREFECT_API_URL,
    would send every in-process flow run of the session to a temporary server instead."""
    from flows.ingest import IngestParams, configured_flow

    return configured_flow()(IngestParams(paths=[str(p) for p in paths], alias=alias, **params))


def small_node_settings():
    """Settings for a dedicated test JVM: a small heap, so several fit next to the session node."""
    return get_settings().model_copy(update={"es_heap": "512m"})


@pytest.fixture
def use_es(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point newsfacet (ELASTICSEARCH_URL, cached settings) at another cluster for this test only."""

    def point(url: str) -> None:
        monkeypatch.setenv("ELASTICSEARCH_URL", url)
        get_settings.cache_clear()

    yield point
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def dedicated_node(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen, node.NodeInfo]]]:
    """Start (and always stop) single dev nodes of the test's own, apart from the session node."""
    started: list[subprocess.Popen] = []

    def start(home: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen, node.NodeInfo]:
        proc, info = node.start_node(small_node_settings(), home, extra=extra)
        started.append(proc)
        return proc, info

    yield start
    for proc in started:
        node.stop_pid(proc.pid)


def indexed_ops(es: Elasticsearch, alias: str) -> int:
    """Index operations the alias's indices have taken (visible before any refresh, unlike _count)."""
    stats = es.indices.stats(index=alias, metric="indexing")
    return stats["_all"]["primaries"].get("indexing", {}).get("index_total", 0)


class KillWhenLoading(threading.Thread):
    """Calls kill() as soon as the alias's index has taken after_ops documents, i.e. mid-load."""

    def __init__(
        self, es: Elasticsearch, alias: str, kill: Callable[[], None], after_ops: int = 1, timeout: float = 180
    ) -> None:
        super().__init__(daemon=True)
        self.es, self.alias, self.kill, self.after_ops, self.timeout = es, alias, kill, after_ops, timeout
        self.ops_at_kill: int | None = None

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                ops = indexed_ops(self.es, self.alias)
            except Exception:  # index not created yet
                ops = 0
            if ops >= self.after_ops:
                self.ops_at_kill = ops
                self.kill()
                return
            time.sleep(0.05)


def refreshed_count(es: Elasticsearch, alias: str) -> int:
    es.indices.refresh(index=alias)
    return es.count(index=alias)["count"]


def source_file_counts(es: Elasticsearch, alias: str) -> dict[str, int]:
    resp = es.search(index=alias, size=0, aggs={"f": {"terms": {"field": "source_file", "size": 10_000}}})
    return {b["key"]: b["doc_count"] for b in resp["aggregations"]["f"]["buckets"]}


def manifest_rows(cache_dir: Path, alias: str) -> dict[str, str]:
    """path -> status, as the run-state store has them."""
    with sqlite3.connect(cache_dir / "state.sqlite") as db:
        return dict(db.execute("SELECT path, status FROM files WHERE alias=?", (alias,)).fetchall())


def newsfacet_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("newsfacet:")]


@pytest.mark.timeout(360)
def test_node_killed_mid_load_then_rerun_is_exact(tmp_path, cache_dir, dedicated_node, use_es, monkeypatch):
    dump = tmp_path / "dump"
    files = write_articles(dump, 300)
    home = tmp_path / "node"
    proc, info = dedicated_node(home)
    use_es(info.url)
    monkeypatch.setenv("NEWSFACET_BULK_CHUNK_SIZE", "10")
    alias = f"nf-kill-{uuid.uuid4().hex[:8]}"
    es = Elasticsearch(info.url, request_timeout=10)

    def sigkill() -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    # Kill once a few chunks (20 articles, two bulks of 10) are in, so some files are done and some are not.
    killer = KillWhenLoading(es, alias, sigkill, after_ops=90)
    killer.start()
    # The load task's real retry policy (3 retries, 2 + 10 + 30 s apart) would add 42 s of waiting
    # for a node that is gone for good; keep the retries, drop the waits.
    import flows.ingest

    monkeypatch.setattr(flows.ingest, "load", flows.ingest.load.with_options(retry_delay_seconds=0))
    # in-process (the spaCy model stays loaded for the re-run); the CLI's error line is captured from its console
    with cli.err_console.capture() as captured:
        code = main(["ingest", "--alias", alias, "--batch-size", "20", str(dump)])
    killer.join(timeout=5)
    assert killer.ops_at_kill, "the node was never killed: the load finished first"
    assert code == 1
    lines = newsfacet_lines(captured.get())
    assert len(lines) == 1, captured.get()
    assert "Connection" in lines[0], lines[0]
    # Wanted: the URL and why ("Elasticsearch at URL stopped answering during the load (ConnectionError)",
    # which the load task raises). Checked at the end, after the recovery checks.
    clear_message = lines[0].startswith(f"newsfacet: Elasticsearch at {info.url} ") and lines[0].endswith(
        "(ConnectionError)"
    )

    # The manifest may only hold files whose documents Elasticsearch acknowledged.
    done = {p for p, status in manifest_rows(cache_dir, alias).items() if status == "done"}
    assert 0 < len(done) < len(files)

    proc2, info2 = dedicated_node(home)  # same data directory
    use_es(info2.url)
    es = Elasticsearch(info2.url, request_timeout=60)
    es.cluster.health(index=alias, wait_for_status="green", timeout="60s")
    survived = source_file_counts(es, alias) if refreshed_count(es, alias) else {}
    assert done <= set(survived), "files marked done whose documents are not in the index"

    report = run_flow([dump], alias, batch_size=20)
    assert report["counts"]["files_skipped_unchanged"] == len(done)
    assert report["counts"]["files"] == len(files) - len(done)
    assert report["stages"]["load"].get("failed", 0) == 0
    assert refreshed_count(es, alias) == len(files)
    per_file = source_file_counts(es, alias)
    assert set(per_file) == {str(p) for p in files} and set(per_file.values()) == {1}
    # bulk_mode could not restore refresh on the dead node; the re-run did
    settings = es.indices.get_settings(index=alias)
    assert {s["settings"]["index"].get("refresh_interval") for s in settings.values()} == {"1s"}
    assert clear_message, lines


class Hammer(threading.Thread):
    """Loads batches of small documents through the write alias until stopped; keeps every LoadResult."""

    def __init__(self, url: str, alias: str, name: str, batch: int = 100) -> None:
        super().__init__(daemon=True)
        self.es = Elasticsearch(url, request_timeout=120)
        self.alias, self.name_, self.batch = alias, name, batch
        self.stop = threading.Event()
        self.loaded = self.failed = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        round_ = 0
        try:
            while not self.stop.is_set():
                docs = [
                    {"_id": f"{self.name_}-{round_}-{i}", "title": f"filler {i}", "body": "filler text " * 20}
                    for i in range(self.batch)
                ]
                result = load_documents(self.es, docs, self.alias, chunk_size=10)
                self.loaded += result.counts["indexed"]
                self.failed += result.counts["failed"]
                round_ += 1
        except BaseException as exc:  # reported by the test
            self.error = exc


@pytest.mark.timeout(300)
def test_write_rejections_are_retried_and_nothing_is_lost(tmp_path, dedicated_node, use_es, monkeypatch):
    proc, info = dedicated_node(
        tmp_path / "node", extra=["-Ethread_pool.write.size=1", "-Ethread_pool.write.queue_size=1"]
    )
    use_es(info.url)
    monkeypatch.setenv("NEWSFACET_BULK_CHUNK_SIZE", "5")
    alias = f"nf-429-{uuid.uuid4().hex[:8]}"
    es = Elasticsearch(info.url, request_timeout=60)
    ensure_index(es, alias)
    files = write_articles(tmp_path / "dump", 60)

    # The pipeline loads one bulk at a time, which a queue of 1 absorbs; parallel loaders make the node refuse.
    hammers = [Hammer(info.url, alias, f"h{i}") for i in range(3)]
    for h in hammers:
        h.start()
    try:
        report = run_flow([tmp_path / "dump"], alias, batch_size=20)
    finally:
        for h in hammers:
            h.stop.set()
        for h in hammers:
            h.join(timeout=240)
    assert [h.error for h in hammers] == [None, None, None]
    assert sum(h.failed for h in hammers) == 0
    assert report["stages"]["load"]["indexed"] == len(files) and not report["stages"]["load"].get("failed")

    stats = es.nodes.stats(metric="thread_pool")
    rejected = sum(n["thread_pool"]["write"]["rejected"] for n in stats["nodes"].values())
    assert rejected > 0, "no 429 happened: the test did not exercise the retry path"
    loaded = sum(h.loaded for h in hammers)
    assert refreshed_count(es, alias) == len(files) + loaded
    assert sum(source_file_counts(es, alias).values()) == len(files)


def test_unreachable_cluster_fails_the_flow_run(tmp_path, prefect_api):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    from newsfacet.devstack.procs import free_port

    alias = f"nf-down-{uuid.uuid4().hex[:8]}"
    write_articles(tmp_path / "dump", 1)
    url = f"http://127.0.0.1:{free_port()}"
    run = subprocess.run(
        [Path(sys.executable).parent / "newsfacet", "ingest", "--alias", alias, str(tmp_path / "dump")],
        env={**os.environ, "ELASTICSEARCH_URL": url},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 1
    assert newsfacet_lines(run.stderr) == [f"newsfacet: Elasticsearch at {url} is not reachable (ConnectionError)"]

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=200)
    mine = [r for r in runs if (r.parameters.get("params") or {}).get("alias") == alias]
    assert len(mine) == 1, [r.parameters for r in runs]
    assert mine[0].state is not None and mine[0].state.is_failed(), mine[0].state
    assert "not reachable" in (mine[0].state.message or ""), mine[0].state.message


def test_document_the_mapping_refuses_is_a_dead_letter(es, alias, tmp_path, cache_dir):
    """The pipeline itself only produces mapped fields, and the dates stage re-parses every date (an
    unparseable one becomes null, never reaches ES). What it does pass through unchecked is keyword
    text: a scraped URL longer than Lucene's 32766-byte term limit makes ES refuse the document."""
    from transforms.documents import article_id

    dump = tmp_path / "dump"
    dump.mkdir()
    long_url = "https://harbourtimes.example/track?session=" + "x" * 40_000
    body = "The harbour office in Dover confirmed the new ferry timetable for the summer season."
    records = [
        {"url": "https://harbourtimes.example/a", "title": "Ferry timetable", "text": body},
        {"url": long_url, "title": "Tracking link", "text": body.replace("Dover", "Calais")},
        {"url": "https://harbourtimes.example/b", "title": "Second story", "text": body.replace("Dover", "Bergen")},
    ]
    (dump / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))

    report = run_flow([dump], alias)
    assert report["stages"]["load"]["indexed"] == 2 and report["stages"]["load"]["failed"] == 1
    [letter] = report["dead_letters"]
    assert letter["_id"] == article_id(long_url, "") and letter["status"] == 400
    assert "[url]" in letter["reason"]
    lines = [json.loads(x) for x in (cache_dir / "runs" / "dead_letters.jsonl").read_text().splitlines()]
    assert lines == [{"run_id": report["run_id"], **letter}]
    assert refreshed_count(es, alias) == 2

    # the run finished with a refused document: exit 3, not 0 (and a reprocess refuses it again)
    assert main(["ingest", "--alias", alias, "--reprocess", str(dump)]) == 3
    assert len((cache_dir / "runs" / "dead_letters.jsonl").read_text().splitlines()) == 2


def lock_held(path: Path) -> bool:
    """True while another process holds the alias lock (probing it releases at once if free)."""
    if not path.exists():
        return False
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


@pytest.mark.timeout(300)
def test_two_ingests_into_one_alias(es, es_url, alias, tmp_path, cache_dir, monkeypatch):
    first = write_articles(tmp_path / "first", 200, prefix="f")
    second = write_articles(tmp_path / "second", 10, prefix="s")
    lock = cache_dir / "locks" / f"{alias}.lock"
    env = {**os.environ, "ELASTICSEARCH_URL": es_url, "NEWSFACET_CACHE_DIR": str(cache_dir)}
    a = subprocess.Popen(
        [Path(sys.executable).parent / "newsfacet", "ingest", "--json", "--alias", alias, "--batch-size", "20"]
        + [str(tmp_path / "first")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not lock_held(lock):
            assert a.poll() is None, a.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the first ingest never took the lock"
            time.sleep(0.2)

        # a second run with a 1 s patience gives up, naming the lock
        monkeypatch.setenv("NEWSFACET_LOCK_TIMEOUT", "1")
        get_settings.cache_clear()
        with cli.err_console.capture() as captured:
            assert main(["ingest", "--alias", alias, str(tmp_path / "second")]) == 1
        assert newsfacet_lines(captured.get()) == [
            f"newsfacet: another ingest into {alias!r} holds {lock}; gave up after 1s"
        ]
        assert lock_held(lock), "the first ingest finished before the second tried: nothing was tested"

        # with the default patience it waits for the first run, then loads its own files
        monkeypatch.delenv("NEWSFACET_LOCK_TIMEOUT")
        get_settings.cache_clear()
        report = run_flow([tmp_path / "second"], alias)
        assert a.poll() is not None or not lock_held(lock)
        out, err = a.communicate(timeout=120)
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
    assert a.returncode == 0, err[-2000:]
    first_report = json.loads(out)
    assert first_report["stages"]["load"]["indexed"] == len(first)
    assert report["counts"]["files"] == len(second) and report["stages"]["load"]["indexed"] == len(second)
    assert refreshed_count(es, alias) == len(first) + len(second)
    assert set(source_file_counts(es, alias).values()) == {1}
    assert set(manifest_rows(cache_dir, alias).values()) == {"done"}
    assert len(manifest_rows(cache_dir, alias)) == len(first) + len(second)


@pytest.mark.timeout(360)
def test_cluster_loses_a_node_mid_load(tmp_path, cache_dir, use_es, monkeypatch):
    cluster = start_cluster(small_node_settings(), tmp_path / "cluster", nodes=3)
    try:
        # every node's URL: the client fails over when the one it asks is gone
        use_es(",".join(cluster.urls))
        monkeypatch.setenv("NEWSFACET_BULK_CHUNK_SIZE", "10")
        alias = f"nf-cluster-{uuid.uuid4().hex[:8]}"
        es = Elasticsearch(cluster.urls, request_timeout=60, retry_on_timeout=True, max_retries=3)
        index = ensure_index(es, alias)
        es.indices.put_settings(index=index, settings={"index": {"number_of_replicas": 1}})
        es.cluster.health(index=index, wait_for_status="green", timeout="60s")
        victim = cluster.node_holding(index, primary=True)
        files = write_articles(tmp_path / "dump", 150)

        killer = KillWhenLoading(es, alias, lambda: cluster.stop_node(victim, kill=True), after_ops=40)
        killer.start()
        report = run_flow([tmp_path / "dump"], alias, batch_size=20)
        killer.join(timeout=5)
        assert killer.ops_at_kill, "the node was never killed: the load finished first"
        assert not cluster.nodes[victim].running

        assert report["stages"]["load"]["indexed"] == len(files) and not report["stages"]["load"].get("failed")
        survivors = Elasticsearch(cluster.live_urls, request_timeout=60)
        assert survivors.cluster.health()["number_of_nodes"] == 2
        assert refreshed_count(survivors, alias) == len(files)
        per_file = source_file_counts(survivors, alias)
        assert set(per_file) == {str(p) for p in files} and set(per_file.values()) == {1}
        assert write_alias(alias) in survivors.indices.get_alias(index=index)[index]["aliases"]
    finally:
        cluster.stop()
