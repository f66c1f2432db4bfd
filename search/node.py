"""The embedded dev/test Elasticsearch node: a real ES built from Maven Central jars (devtools/elasticsearch)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import urllib3

from newsfacet.settings import REPO_ROOT, Settings

PROJECT_DIR = REPO_ROOT / "devtools" / "elasticsearch"
MAIN_CLASS = "dev.newsfacet.es.DevNode"
START_TIMEOUT = 180.0


class NodeError(Exception):
    """The dev node could not be built, started or stopped; the message says why."""


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


def _env(settings: Settings) -> dict[str, str]:
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
            raise NodeError("Maven (mvn) is not on PATH; it is needed to build the embedded Elasticsearch")
        proc = subprocess.run(
            [mvn, "-q", "-B", "-f", str(PROJECT_DIR / "pom.xml"), "package", "-DskipTests"],
            env=_env(settings),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise NodeError("building devtools/elasticsearch failed: " + " | ".join(tail))
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


JVM_FLAGS = [
    "--enable-native-access=ALL-UNNAMED",
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Dlog4j2.disable.jmx=true",
]


def state_file(settings: Settings) -> Path:
    """Where `newsfacet es start` records the running node."""
    return settings.cache_path / "es" / "node.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); look at its state
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when an Elasticsearch answers GET / at url."""
    try:
        resp = urllib3.request("GET", url, timeout=timeout, retries=False)
    except urllib3.exceptions.HTTPError:
        return False
    return resp.status == 200 and resp.headers.get("X-Elastic-Product") == "Elasticsearch"


def start_node(
    settings: Settings, home: Path, http_port: int = 0, extra: list[str] | None = None, timeout: float = START_TIMEOUT
) -> tuple[subprocess.Popen[bytes], NodeInfo]:
    """Start one node in its own process group and wait until it serves HTTP."""
    build(settings)
    home.mkdir(parents=True, exist_ok=True)
    port_file = home / "http.port"
    port_file.unlink(missing_ok=True)
    log = (home / "launcher.log").open("ab")
    proc = subprocess.Popen(
        java_command(settings, home, http_port, extra or []),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=_env(settings),
        start_new_session=True,  # outlives the CLI that started it
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NodeError(f"Elasticsearch exited with code {proc.returncode}; see {home / 'launcher.log'}")
        if port_file.exists():
            url = f"http://127.0.0.1:{port_file.read_text().strip()}"
            if answers(url):
                return proc, NodeInfo(pid=proc.pid, url=url, home=str(home))
        time.sleep(0.3)
    stop_pid(proc.pid)
    raise NodeError(f"Elasticsearch did not answer within {timeout:.0f}s; see {home / 'launcher.log'}")


def stop_pid(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM the node's process group, then SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            except ChildProcessError:
                pass
            if not _alive(pid):
                return
            time.sleep(0.2)


def running_node(settings: Settings) -> NodeInfo | None:
    """The node recorded by `newsfacet es start`, if it is still alive."""
    path = state_file(settings)
    if not path.exists():
        return None
    info = NodeInfo(**json.loads(path.read_text()))
    return info if any(_alive(pid) for pid in info.pids or [info.pid]) else None


def running_node_url(settings: Settings) -> str | None:
    """URL of the recorded dev node, if it runs."""
    info = running_node(settings)
    return info.url if info else None


def start(settings: Settings, http_port: int = 0, nodes: int = 1) -> NodeInfo:
    """Start the dev node, or an N-node loopback cluster, in the background (or return the running one)."""
    current = running_node(settings)
    if current and answers(current.url.split(",")[0]):
        return current
    if nodes > 1:
        from search.cluster import start_cluster

        cluster = start_cluster(settings, settings.cache_path / "es" / "cluster", nodes)
        pids = [n.proc.pid for n in cluster.nodes if n.proc is not None]
        info = NodeInfo(pid=pids[0], url=",".join(cluster.urls), home=str(cluster.nodes[0].home.parent), pids=pids)
    else:
        _, info = start_node(settings, settings.cache_path / "es" / "node", http_port)
    path = state_file(settings)
    path.write_text(json.dumps(asdict(info)))
    return info


def stop(settings: Settings) -> bool:
    """Stop the recorded dev node; False if none was running."""
    info = running_node(settings)
    state_file(settings).unlink(missing_ok=True)
    if info is None:
        return False
    for pid in info.pids or [info.pid]:
        stop_pid(pid)
    return True
