"""Orchestration against a real Prefect server: the served nightly deployment, API- and UI-triggered
runs, incremental re-runs, the run report artifact, and the Dask task runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from newsfacet.settings import REPO_ROOT, Settings, get_settings

pytestmark = pytest.mark.usefixtures("prefect_api")

HARBOUR = REPO_ROOT / "samples" / "harbourtimes"


@pytest.fixture(scope="module")
def served(prefect_api, es_url, tmp_path_factory):
    """`newsfacet serve` running against the test Prefect server, with its own alias and drop folder."""
    from prefect.client.orchestration import get_client

    root = tmp_path_factory.mktemp("serve")
    drop = root / "drop"
    drop.mkdir()
    shutil.copy(HARBOUR / "2024-03-04-port-strike.txt", drop)
    alias = f"nf-serve-{os.getpid()}"
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "ELASTICSEARCH_URL": es_url,
        "NEWSFACET_ALIAS": alias,
        "NEWSFACET_DROP_FOLDER": str(drop),
        "NEWSFACET_CACHE_DIR": str(root / "cache"),
    }
    log = (root / "serve.log").open("wb")
    proc = subprocess.Popen(
        [Path(sys.executable).parent / "newsfacet", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    deployment = None
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline and deployment is None:
            assert proc.poll() is None, (root / "serve.log").read_text()
            try:
                deployment = client.read_deployment_by_name("ingest/nightly")
            except Exception:
                time.sleep(1)
    assert deployment is not None, "the nightly deployment was not registered"
    yield {"deployment": deployment, "alias": alias, "drop": drop, "log": root / "serve.log", "pid": proc.pid}
    proc.terminate()
    proc.wait(timeout=30)


def wait_for_final_state(flow_run_id, timeout=300):
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(flow_run_id)
            if run.state and run.state.is_final():
                return run
            time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} did not finish in {timeout}s")


def run_report(flow_run_id) -> dict[str, int]:
    """The run-level counters of a flow run, read back from its report artifact."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        [artifact] = [a for a in client.read_artifacts() if a.flow_run_id == flow_run_id and a.key == "ingest-report"]
    rows = [line.strip("|").split("|") for line in artifact.data.splitlines() if line.startswith("| ")]
    return {cells[1].strip(): int(cells[2]) for cells in rows if cells[0].strip() in ("run", "load")}


def test_deployment_has_nightly_schedule_and_parameters(served):
    dep = served["deployment"]
    settings = Settings()
    [schedule] = dep.schedules
    assert schedule.schedule.cron == settings.schedule_cron == "0 2 * * *"
    assert schedule.schedule.timezone == settings.schedule_timezone
    assert dep.parameters == {"params": {"paths": [str(served["drop"])]}}
    fields = dep.parameter_openapi_schema["definitions"]["IngestParams"]["properties"]
    assert {"paths", "source_name", "alias", "reprocess", "since", "batch_size", "n_process"} <= set(fields)


def test_run_through_api_loads_documents_then_reruns_incrementally(served, es):
    from prefect.deployments import run_deployment

    alias = served["alias"]
    first = run_deployment("ingest/nightly", timeout=0)
    run = wait_for_final_state(first.id)
    assert run.state.is_completed(), served["log"].read_text()[-3000:]
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 1
    assert run_report(first.id)["indexed"] == 1

    second = wait_for_final_state(run_deployment("ingest/nightly", timeout=0).id)
    assert second.state.is_completed()
    counts = run_report(second.id)
    assert counts["files"] == 0 and counts["files_skipped_unchanged"] == 1

    shutil.copy(HARBOUR / "2024-04-18-ferry-fine.txt", served["drop"])
    third = wait_for_final_state(run_deployment("ingest/nightly", timeout=0).id)
    assert run_report(third.id)["files"] == 1
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 2
    # every finished run stopped its NER workers: nothing of it lingers under the served process
    # (multiprocessing's resource tracker is one per process tree and lives as long as `serve`)
    deadline = time.monotonic() + 30
    while (left := lingering(served["pid"])) and time.monotonic() < deadline:
        time.sleep(1)
    assert not left, f"processes left behind by finished runs: {left}"


def lingering(pid: int) -> list[str]:
    return [cmd for cmd in descendants(pid) if "resource_tracker" not in cmd]


def descendants(pid: int) -> list[str]:
    """Command lines of every process below pid (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        try:
            found.append((Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200])
        except OSError:
            continue
        todo.extend(children.get(child, []))
    return found


def test_quick_run_from_the_ui(served, es, prefect_api, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from prefect.client.orchestration import get_client

    alias = served["alias"]
    shutil.copy(HARBOUR / "2024-03-05-port-strike-wire.txt", served["drop"])
    ui = prefect_api.removesuffix("/api")
    dep = served["deployment"]
    with get_client(sync_client=True) as client:
        before = {r.id for r in client.read_flow_runs()}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{ui}/deployments/deployment/{dep.id}")
        expect(page.get_by_text("nightly").first).to_be_visible(timeout=60_000)
        page.screenshot(path=str(tmp_path / "deployment.png"))
        page.get_by_role("button", name="Run", exact=True).click()
        page.screenshot(path=str(tmp_path / "run-menu.png"))
        page.get_by_text("Quick run", exact=True).click()
        # the run dialog shows the deployment's parameters with their defaults; confirm it
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text("Paths")).to_be_visible(timeout=30_000)
        values = dialog.locator("input, textarea").evaluate_all("fields => fields.map(f => f.value)")
        assert str(served["drop"]) in values, values
        page.screenshot(path=str(tmp_path / "quick-run-dialog.png"))
        dialog.get_by_role("button", name="Run", exact=True).click()
        new_run = None
        deadline = time.monotonic() + 60
        with get_client(sync_client=True) as client:
            while new_run is None and time.monotonic() < deadline:
                # the scheduler adds auto-scheduled runs for later nights too; the click makes a manual one
                fresh = [
                    r
                    for r in client.read_flow_runs()
                    if r.id not in before and r.deployment_id == dep.id and not r.auto_scheduled
                ]
                new_run = fresh[0] if fresh else None
                time.sleep(0.5)
        with get_client(sync_client=True) as client:
            seen = [(r.name, r.deployment_id, r.auto_scheduled, r.state_name) for r in client.read_flow_runs()]
        assert new_run is not None, f"clicking Quick run created no flow run: {seen}"
        page.goto(f"{ui}/runs/flow-run/{new_run.id}")
        expect(page.get_by_text("Completed").first).to_be_visible(timeout=300_000)
        page.screenshot(path=str(tmp_path / "quick-run-completed.png"), full_page=True)
        browser.close()
    run = wait_for_final_state(new_run.id)
    assert run.state.is_completed()
    assert run_report(new_run.id)["indexed"] >= 1
    es.indices.refresh(index=alias)
    titles = {h["_source"]["title"] for h in es.search(index=alias, size=10)["hits"]["hits"]}
    assert "Dockworkers in Rotterdam end three-day strike after wage deal" in titles
    assert (tmp_path / "quick-run-completed.png").stat().st_size > 10_000


def test_prefect_yaml_matches_settings():
    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    [dep] = spec["deployments"]
    assert dep["entrypoint"] == "flows/deploy.py:ingest"
    defaults = Settings()
    assert dep["schedules"][0] == {"cron": defaults.schedule_cron, "timezone": defaults.schedule_timezone}


def test_prefect_yaml_entrypoint_honours_the_task_runner_setting(monkeypatch):
    from prefect.flows import load_flow_from_entrypoint
    from prefect_dask import DaskTaskRunner

    [dep] = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())["deployments"]
    monkeypatch.setenv("NEWSFACET_TASK_RUNNER", "dask")
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))  # Prefect puts the entrypoint's folder on sys.path
    get_settings.cache_clear()
    try:
        flow = load_flow_from_entrypoint(dep["entrypoint"])
    finally:
        get_settings.cache_clear()
    assert flow.name == "ingest"
    assert isinstance(flow.task_runner, DaskTaskRunner)


def test_dask_runner_loads_the_model_once_per_worker(es, alias, cache_dir, monkeypatch):
    from distributed import Client, LocalCluster

    from flows.ingest import IngestParams, configured_flow
    from transforms.ner import load_ner

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        monkeypatch.setenv("NEWSFACET_TASK_RUNNER", cluster.scheduler_address)
        get_settings.cache_clear()
        report = configured_flow()(IngestParams(paths=[str(HARBOUR)], alias=alias, batch_size=1))
        assert report["stages"]["load"]["indexed"] == 3
        with Client(cluster) as client:
            loads = client.run(lambda: load_ner.cache_info()._asdict())
    calls = {w: info["hits"] + info["misses"] for w, info in loads.items()}
    assert sum(calls.values()) == 3, loads  # one enrich task per chunk of one article
    assert all(info["misses"] <= 1 for info in loads.values()), loads  # loaded at most once per worker
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 3
