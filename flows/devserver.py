"""A local Prefect server (SQLite, loopback) for tests and benchmarks: `prefect server start` as a process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import urllib3


class PrefectServerError(Exception):
    """The server exited or did not answer; the message names its log."""


def start_prefect_server(
    home: Path, ui: bool = True, timeout: float = 180.0, database_url: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server with its own home and database (SQLite in home unless database_url) on a free port;
    returns the process and its API URL."""
    home.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        # the UI builds its API URL from these, not from --port
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url or f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true" if ui else "false",
    }
    env.pop("PREFECT_API_URL", None)  # the server must not try to talk to another one
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
    log = home / "server.log"
    proc = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PrefectServerError(f"prefect server exited; see {log}")
        try:
            if urllib3.request("GET", f"{url}/health", timeout=2, retries=False).status == 200:
                return proc, url
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise PrefectServerError(f"prefect server did not answer within {timeout:.0f}s; see {log}")
