"""Session services: a real Elasticsearch node and a real Prefect server, both on loopback."""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsfacet.settings import REPO_ROOT, get_settings

SAMPLES = Path(os.environ.get("NEWSFACET_SAMPLES", REPO_ROOT.parent / "shared" / "samples" / "raw"))
SAMPLE_ARTICLE = SAMPLES / "000_b6b8575083d17127.txt"
FIXTURES = Path(__file__).parent / "fixtures"
# A test that uses any of these (directly or through another fixture) talks to a real ES node or Prefect
# server: it is an integration test. `pytest -m "not integration"` is the fast loop without them.
SERVICE_FIXTURES = {"es_url", "prefect_api"}


@pytest.fixture(autouse=True)
def _prefect_console_on_real_stderr() -> Iterator[None]:
    """Prefect binds its console log handler to the sys.stderr of the moment it is first imported. If that
    was inside a test using capsys, the stream is closed once the test ends, and every later flow run fails
    with "I/O operation on closed file". After each test, point it at the process's real stderr (which
    pytest still captures at the file-descriptor level)."""
    yield
    if "prefect.logging.handlers" not in sys.modules:
        return
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.console.file = sys.__stderr__


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ELASTICSEARCH_URL if set, else a dev node started for this session."""
    if os.environ.get("ELASTICSEARCH_URL"):
        yield os.environ["ELASTICSEARCH_URL"]
        return
    from newsfacet.devstack.esnode import start_node, stop_pid

    home = tmp_path_factory.mktemp("es-node")
    proc, info = start_node(get_settings(), home)
    os.environ["ELASTICSEARCH_URL"] = info.url
    get_settings.cache_clear()
    try:
        yield info.url
    finally:
        stop_pid(proc.pid)
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
    from newsfacet.devstack.prefect_server import start_prefect_server

    home = tmp_path_factory.mktemp("prefect-home")
    proc, url = start_prefect_server(home)
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
    # the alias's own names (<alias>~...) and, for tests of the old scheme, <alias>-...
    indices = list(es.indices.get(index=f"{name}~*,{name}-*", allow_no_indices=True))
    if indices:
        es.indices.delete(index=",".join(indices))
    for template in (f"{name}~template", f"{name}-template"):
        es.options(ignore_status=404).indices.delete_index_template(name=template)


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
