"""Credentials: from the environment or a Prefect Secret block, and never in output, logs or artifacts."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from newsfacet.devstack.procs import free_port
from newsfacet.settings import get_settings

pytestmark = pytest.mark.usefixtures("prefect_api")
NEWSFACET = Path(sys.executable).parent / "newsfacet"


def run_cli(args, **env):
    return subprocess.run([NEWSFACET, *args], env={**os.environ, **env}, capture_output=True, text=True)


def flow_run_texts(flow_run_name_hint=None):
    """Every log message and artifact body the Prefect server holds."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter

    with get_client(sync_client=True) as client:
        logs = [log.message for log in client.read_logs(log_filter=LogFilter(), limit=200)]
        artifacts = [str(a.data) for a in client.read_artifacts()]
    return logs + artifacts


def test_password_never_leaks_on_success(alias, sample_dir, tmp_path):
    password = "pw-" + secrets.token_hex(12)
    run = run_cli(
        ["ingest", "--alias", alias, str(sample_dir)],
        ELASTICSEARCH_USERNAME="elastic",
        ELASTICSEARCH_PASSWORD=password,
        NEWSFACET_CACHE_DIR=str(tmp_path / "cache"),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert password not in run.stdout + run.stderr
    assert all(password not in text for text in flow_run_texts())
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_credentials_in_the_url_are_redacted_in_errors(alias, sample_dir, tmp_path):
    password = "pw-" + secrets.token_hex(12)
    run = run_cli(
        ["ingest", "--alias", alias, str(sample_dir)],
        ELASTICSEARCH_URL=f"http://elastic:{password}@127.0.0.1:{free_port()}",
        NEWSFACET_CACHE_DIR=str(tmp_path / "cache"),
    )
    assert run.returncode == 1
    assert password not in run.stdout + run.stderr
    assert "newsfacet: Elasticsearch at http://***@127.0.0.1:" in run.stderr
    assert all(password not in text for text in flow_run_texts())


def test_credentials_from_a_prefect_secret_block(monkeypatch):
    from prefect.blocks.system import Secret

    password = "pw-" + secrets.token_hex(12)
    name = "nf-es-" + secrets.token_hex(4)
    Secret(value=json.dumps({"username": "ingest", "password": password})).save(name)
    monkeypatch.setenv("ELASTICSEARCH_SECRET_BLOCK", name)
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.elasticsearch_username == "ingest"
        assert settings.elasticsearch_password.get_secret_value() == password
        assert password not in repr(settings) and password not in str(settings.model_dump())
    finally:
        get_settings.cache_clear()


def test_missing_secret_block_is_one_line(alias):
    run = run_cli(["search", "--alias", alias], ELASTICSEARCH_SECRET_BLOCK="no-such-block-here")
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.startswith("newsfacet:")]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("newsfacet: cannot load Prefect Secret block 'no-such-block-here'")
