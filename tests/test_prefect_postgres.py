"""Prefect on PostgreSQL, configured as docker-compose.yml configures it: a real PostgreSQL (Debian's
binaries, tests/pgserver.py) with the compose service's user and database, a Prefect server started with
compose's PREFECT_API_DATABASE_CONNECTION_URL (host and port pointed at the test server), and real flow
runs against it: a CLI `newsfacet ingest` and a run of the nightly deployment served by `newsfacet serve`."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from newsfacet.settings import REPO_ROOT
from tests import pgserver
from tests.test_compose import COMPOSE_FILE, INTERPOLATION

HARBOUR = REPO_ROOT / "samples" / "harbourtimes"
PASSWORD = "pg-test-password"

pytestmark = pytest.mark.skipif(
    pgserver.bin_dir() is None, reason="PostgreSQL binaries not found under /usr/lib/postgresql (Debian: postgresql)"
)


def compose_database_url(host: str, port: int) -> tuple[str, dict[str, str]]:
    """The prefect-server's connection URL from docker-compose.yml, aimed at host:port; and the postgres env."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    url_template = services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    url = INTERPOLATION.sub(lambda m: PASSWORD if m["name"] == "POSTGRES_PASSWORD" else m[0], url_template)
    assert "@postgres:5432/" in url, url
    return url.replace("@postgres:5432/", f"@{host}:{port}/"), services["postgres"]["environment"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[pgserver.PostgresServer]:
    _, pg_env = compose_database_url("127.0.0.1", 0)
    server = pgserver.start_postgres(pg_env["POSTGRES_USER"], PASSWORD, pg_env["POSTGRES_DB"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pg_prefect(postgres, tmp_path_factory) -> Iterator[str]:
    """A Prefect server whose database is the PostgreSQL server; yields its API URL."""
    from newsfacet.devstack.prefect_server import start_prefect_server

    url, _ = compose_database_url("127.0.0.1", postgres.port)
    assert url == postgres.url(), "compose's URL shape differs from the test server's"
    home = tmp_path_factory.mktemp("prefect-pg-home")
    proc, api = start_prefect_server(home, ui=False, database_url=url)
    try:
        yield api
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert not list(home.glob("*.db")), "the server wrote a SQLite database instead of using PostgreSQL"


@pytest.fixture
def client(pg_prefect):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: pg_prefect}), get_client(sync_client=True) as c:
        yield c


def completed_runs_in_postgres(server: pgserver.PostgresServer) -> set[str]:
    """Flow run ids Prefect stored as COMPLETED, read from PostgreSQL itself."""
    import asyncpg

    async def query() -> set[str]:
        conn = await asyncpg.connect(server.url("postgresql"))
        try:
            rows = await conn.fetch("SELECT id FROM flow_run WHERE state_type = 'COMPLETED'")
        finally:
            await conn.close()
        return {str(row["id"]) for row in rows}

    return asyncio.run(query())


def report_artifacts(client, flow_run_id) -> list:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    flt = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
    return [a for a in client.read_artifacts(artifact_filter=flt) if a.key == "ingest-report"]


def newsfacet_env(api: str, es_url: str, alias: str, root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_API_URL": api,
        "ELASTICSEARCH_URL": es_url,
        "NEWSFACET_ALIAS": alias,
        "NEWSFACET_CACHE_DIR": str(root / "cache"),
        "NEWSFACET_DROP_FOLDER": str(root / "drop"),
    }


def test_cli_ingest_runs_on_prefect_with_postgresql(pg_prefect, postgres, client, es, es_url, alias, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(HARBOUR / "2024-03-04-port-strike.txt", drop)
    shutil.copy(HARBOUR / "2024-04-18-ferry-fine.txt", drop)
    result = subprocess.run(
        [Path(sys.executable).parent / "newsfacet", "ingest", str(drop)],
        env=newsfacet_env(pg_prefect, es_url, alias, tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Starting temporary server" not in result.stdout + result.stderr

    runs = [r for r in client.read_flow_runs() if r.deployment_id is None]
    assert len(runs) == 1, [(r.name, r.state_name, r.deployment_id) for r in client.read_flow_runs()]
    [run] = runs
    assert run.state.is_completed(), run.state
    assert str(run.id) in completed_runs_in_postgres(postgres)
    [report] = report_artifacts(client, run.id)
    assert "indexed" in report.data
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 2


def test_served_deployment_runs_on_prefect_with_postgresql(pg_prefect, postgres, client, es, es_url, alias, tmp_path):
    """The compose topology: a worker (`newsfacet serve`) and a run requested through the API, one database."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(HARBOUR / "2024-03-05-port-strike-wire.txt", drop)
    log = tmp_path / "serve.log"
    serve = subprocess.Popen(
        [Path(sys.executable).parent / "newsfacet", "serve"],
        env=newsfacet_env(pg_prefect, es_url, alias, tmp_path),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        deployment = None
        while deployment is None and time.monotonic() < deadline:
            assert serve.poll() is None, log.read_text()[-3000:]
            try:
                deployment = client.read_deployment_by_name("ingest/nightly")
            except Exception:  # not registered yet
                time.sleep(1)
        assert deployment is not None, log.read_text()[-3000:]
        with temporary_settings(updates={PREFECT_API_URL: pg_prefect}):
            requested = run_deployment("ingest/nightly", timeout=0)
        deadline = time.monotonic() + 300
        run = client.read_flow_run(requested.id)
        while not (run.state and run.state.is_final()) and time.monotonic() < deadline:
            time.sleep(1)
            run = client.read_flow_run(requested.id)
        assert run.state.is_completed(), f"{run.state}\n{log.read_text()[-3000:]}"
        assert str(run.id) in completed_runs_in_postgres(postgres)
        assert report_artifacts(client, run.id)
        es.indices.refresh(index=alias)
        assert es.count(index=alias)["count"] == 1
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
