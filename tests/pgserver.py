"""A throw-away PostgreSQL server for tests: Debian's binaries, a temporary data directory, a free
loopback port, no Unix socket. PostgreSQL refuses to run as root, so as root it runs as `postgres`."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BIN_DIRS = Path("/usr/lib/postgresql")
VERSION_DIR = re.compile(r"\d+")


def bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin holding initdb and pg_ctl, or None."""
    found = [
        d / "bin"
        for d in BIN_DIRS.glob("*")
        if VERSION_DIR.fullmatch(d.name) and (d / "bin" / "initdb").is_file() and (d / "bin" / "pg_ctl").is_file()
    ]
    return max(found, key=lambda b: int(b.parent.name), default=None)


@dataclass
class PostgresServer:
    """A running server; `url(host, driver)` gives a SQLAlchemy URL in the shape compose uses."""

    bin: Path
    root: Path
    port: int
    user: str
    password: str
    database: str
    run_as: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", self.run_as, "--", *argv] if self.run_as else list(argv)
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            log = self.root / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}{result.stdout}{tail}")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        log = str(self.root / "postgres.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(user: str, password: str, database: str) -> PostgresServer:
    """initdb in a new temporary directory, start on a free loopback port, create `database` owned by `user`."""
    binaries = bin_dir()
    if binaries is None:
        raise FileNotFoundError(f"no PostgreSQL binaries under {BIN_DIRS} (Debian package: postgresql)")
    run_as = "postgres" if os.geteuid() == 0 else None
    # not under pytest's tmp dir: as root, that one is closed to the postgres user
    root = Path(tempfile.mkdtemp(prefix="nf-postgres-"))
    (root / "pwfile").write_text(password + "\n")
    if run_as:
        account = pwd.getpwnam(run_as)
        os.chown(root, account.pw_uid, account.pw_gid)
        os.chown(root / "pwfile", account.pw_uid, account.pw_gid)
    server = PostgresServer(binaries, root, free_port(), user, password, database, run_as)
    server._run(
        str(binaries / "initdb"),
        "-D",
        str(server.data),
        "-U",
        user,
        f"--pwfile={root / 'pwfile'}",
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
    )
    server.start()
    env_password = {"PGPASSWORD": password}
    createdb = [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", user, database]
    result = subprocess.run(createdb, capture_output=True, text=True, env={**os.environ, **env_password})
    if result.returncode != 0:
        server.stop()
        raise RuntimeError(f"createdb {database} failed: {result.stderr}")
    return server
