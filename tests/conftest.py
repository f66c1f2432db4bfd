"""Session services: a real Elasticsearch node and a real Prefect server, both on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3

from newsfacet.settings import REPO_ROOT, get_settings

SAMPLES = Path(os.environ.get("NEWSFACET_SAMPLES", REPO_ROOT.parent / "shared" / "samples" / "raw"))
SAMPLE_ARTICLE = SAMPLES / "000_b6b8575083d17127.txt"
FIXTURES = Path(__file__).parent / "fixtures"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ELASTICSEARCH_URL if set, else a dev node started for this session."""
    if os.environ.get("ELASTICSEARCH_URL"):
        yield os.environ["ELASTICSEARCH_URL"]
        return
    from search import node

    home = tmp_path_factory.mktemp("es-node")
    proc, info = node.start_node(get_settings(), home)
    os.environ["ELASTICSEARCH_URL"] = info.url
    get_settings.cache_clear()
    try:
        yield info.url
    finally:
        node.stop_pid(proc.pid)
        os.environ.pop("ELASTICSEARCH_URL", None)
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def es(es_url: str):
    from elasticsearch import Elasticsearch

    return Elasticsearch(es_url, request_timeout=60)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server (SQLite) on a free loopback port, or PREFECT_API_URL if set."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true",
    }
    log = (home / "server.log").open("wb")
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
    proc = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited; see {home / 'server.log'}")
        try:
            if urllib3.request("GET", f"{url}/health", timeout=2, retries=False).status == 200:
                break
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError(f"prefect server did not answer within 120s; see {home / 'server.log'}")
    os.environ["PREFECT_API_URL"] = url
    os.environ["PREFECT_HOME"] = str(home)
    try:
        yield url
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture
def alias(es) -> Iterator[str]:
    """A fresh alias per test, with its indices and template removed afterwards."""
    name = f"nf-test-{uuid.uuid4().hex[:8]}"
    yield name
    indices = list(es.indices.get(index=f"{name}-*", allow_no_indices=True))
    if indices:
        es.indices.delete(index=",".join(indices))
    es.options(ignore_status=404).indices.delete_index_template(name=f"{name}-template")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run state (rejects, dead letters, quarantine) in the test's tmp dir."""
    monkeypatch.setenv("NEWSFACET_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield tmp_path / "cache"
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    assert SAMPLE_ARTICLE.exists(), f"the team's sample article is missing: {SAMPLE_ARTICLE}"
    return SAMPLES
