"""The embedded dev/test Elasticsearch node: a real ES built from Maven Central jars (devtools/elasticsearch)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from newsfacet.devstack.procs import spawn, stop_pid, wait_until_ready
from newsfacet.errors import DevStackError
from newsfacet.settings import REPO_ROOT, Settings

PROJECT_DIR = REPO_ROOT / "devtools" / "elasticsearch"
MAIN_CLASS = "dev.newsfacet.es.DevNode"
START_TIMEOUT = 180.0
JVM_FLAGS = [
    "--enable-native-access=ALL-UNNAMED",
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Dlog4j2.disable.jmx=true",
]


@dataclass
class NodeInfo:
    """A running dev node, as recorded in its state file."""

    pid: int
    url: str  # several nodes: comma-separated, as ELASTICSEARCH_URL takes them
    home: str
    pids: list[int] = field(default_factory=list)  # every JVM of a multi-node dev cluster


def java_home(settings: Settings) -> Path | None:
    """The JDK to build and run with: the java_home setting, else JAVA_HOME, else PATH."""
    for candidate in (settings.java_home, os.environ.get("JAVA_HOME", "")):
        if candidate and (Path(candidate) / "bin" / "java").exists():
            return Path(candidate)
    return None


def java_env(settings: Settings) -> dict[str, str]:
    """The environment for Maven and the JVM: JAVA_HOME and PATH pointing at the chosen JDK."""
    env = dict(os.environ)
    home = java_home(settings)
    if home:
        env["JAVA_HOME"] = str(home)
        env["PATH"] = f"{home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _sources_newer_than(marker: Path) -> bool:
    if not marker.exists():
        return True
    built = marker.stat().st_mtime
    sources = [PROJECT_DIR / "pom.xml", *PROJECT_DIR.joinpath("src").rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def build(settings: Settings) -> Path:
    """Compile the launcher and fetch the ES jars with Maven, unless already up to date."""
    target = PROJECT_DIR / "target"
    marker = target / "lib" / ".built"
    if _sources_newer_than(marker):
        mvn = shutil.which("mvn")
        if mvn is None:
            raise DevStackError("Maven (mvn) is not on PATH; it is needed to build the embedded Elasticsearch")
        proc = subprocess.run(
            [mvn, "-q", "-B", "-f", str(PROJECT_DIR / "pom.xml"), "package", "-DskipTests"],
            env=java_env(settings),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise DevStackError("building devtools/elasticsearch failed: " + " | ".join(tail))
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return target


def java_command(settings: Settings, home: Path, http_port: int, extra: list[str]) -> list[str]:
    """The JVM command line that starts one node."""
    jhome = java_home(settings)
    java = str(jhome / "bin" / "java") if jhome else (shutil.which("java") or "java")
    target = PROJECT_DIR / "target"
    return [
        java,
        f"-Xms{settings.es_heap}",
        f"-Xmx{settings.es_heap}",
        *JVM_FLAGS,
        "-cp",
        f"{target / 'classes'}{os.pathsep}{target / 'lib' / '*'}",
        MAIN_CLASS,
        "--home",
        str(home),
        "--http-port",
        str(http_port),
        "--port-file",
        str(home / "http.port"),
        *extra,
    ]


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when an Elasticsearch answers GET / at url."""
    try:
        resp = urllib3.request("GET", url, timeout=timeout, retries=False)
    except urllib3.exceptions.HTTPError:
        return False
    return resp.status == 200 and resp.headers.get("X-Elastic-Product") == "Elasticsearch"


def node_url(home: Path) -> str | None:
    """The URL of the node under home once it wrote its port file and answers, else None."""
    port_file = home / "http.port"
    if not port_file.exists():
        return None
    url = f"http://127.0.0.1:{port_file.read_text().strip()}"
    return url if answers(url) else None


def spawn_node(settings: Settings, home: Path, http_port: int = 0, extra: list[str] | None = None) -> subprocess.Popen:
    """Start one node's JVM in its own process group, without waiting for it."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "http.port").unlink(missing_ok=True)
    return spawn(java_command(settings, home, http_port, extra or []), home / "launcher.log", java_env(settings))


def start_node(
    settings: Settings, home: Path, http_port: int = 0, extra: list[str] | None = None, timeout: float = START_TIMEOUT
) -> tuple[subprocess.Popen[bytes], NodeInfo]:
    """Start one node in its own process group and wait until it serves HTTP."""
    build(settings)
    proc = spawn_node(settings, home, http_port, extra)
    url = wait_until_ready(proc, lambda: node_url(home), "Elasticsearch", home / "launcher.log", timeout)
    return proc, NodeInfo(pid=proc.pid, url=url, home=str(home))


__all__ = ["NodeInfo", "answers", "build", "java_command", "java_env", "start_node", "stop_pid"]
