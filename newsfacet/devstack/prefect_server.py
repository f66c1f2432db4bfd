"""A local Prefect server (`prefect server start` as a process, loopback only) for `newsfacet up`, tests
and benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import urllib3

from newsfacet.devstack.procs import free_port, spawn, wait_until_ready


def server_env(home: Path, port: int, ui: bool = True, database_url: str | None = None) -> dict[str, str]:
    """Environment of a loopback server with its own home; SQLite under home unless database_url is given."""
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        # the UI builds its API URL from these, not from --port
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url or f"sqlite+aiosqlite:///{home}/prefect.db",
        # an air-gapped machine: no telemetry, no update checks that log connection errors
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "true" if ui else "false",
    }
    env.pop("PREFECT_API_URL", None)  # the server must not try to talk to another one
    return env


def health(url: str) -> bool:
    """True when the Prefect API at url answers its health check."""
    try:
        return urllib3.request("GET", f"{url}/health", timeout=2, retries=False).status == 200
    except urllib3.exceptions.HTTPError:
        return False


def start_prefect_server(
    home: Path, ui: bool = True, timeout: float = 180.0, port: int = 0, database_url: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server with its own home and database on a free (or the given) port; returns it and its API URL."""
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
    log = home / "server.log"
    proc = spawn(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        log,
        server_env(home, port, ui, database_url),
    )
    url = f"http://127.0.0.1:{port}/api"
    wait_until_ready(proc, lambda: url if health(url) else None, "prefect server", log, timeout)
    return proc, url
