"""An N-node Elasticsearch cluster on loopback, one dev-node JVM per node (for fault tests).

Every node is a separate `dev.newsfacet.es.DevNode` process with its own home directory,
HTTP port and transport port. All JVMs are spawned together (a node started alone waits for
`discovery.initial_state_timeout` before it elects a master), then each is waited for.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from newsfacet.devstack import esnode
from newsfacet.devstack.procs import free_ports, stop_pid
from newsfacet.errors import DevStackError
from newsfacet.settings import Settings

CLUSTER_NAME = "newsfacet-test-cluster"


@dataclass
class ClusterNode:
    """One JVM of the cluster."""

    name: str
    home: Path
    http_port: int
    transport_port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Cluster:
    """A running loopback cluster; `urls` lists the HTTP URL of every node, stopped ones included."""

    settings: Settings
    nodes: list[ClusterNode]
    extra: list[str] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    @property
    def live_urls(self) -> list[str]:
        return [n.url for n in self.nodes if n.running]

    def _extra(self, n: ClusterNode) -> list[str]:
        seeds = ",".join(f"127.0.0.1:{m.transport_port}" for m in self.nodes)
        masters = ",".join(m.name for m in self.nodes)
        return [
            "--transport-port",
            str(n.transport_port),
            f"-Ecluster.name={CLUSTER_NAME}",
            f"-Enode.name={n.name}",
            f"-Ediscovery.seed_hosts={seeds}",
            f"-Ecluster.initial_master_nodes={masters}",
            *self.extra,
        ]

    def _spawn(self, n: ClusterNode) -> None:
        n.proc = esnode.spawn_node(self.settings, n.home, n.http_port, self._extra(n))

    def _wait_answering(self, members: Sequence[ClusterNode], deadline: float) -> None:
        waiting = list(members)
        while waiting:
            for n in list(waiting):
                if n.proc is not None and n.proc.poll() is not None:
                    raise DevStackError(f"{n.name} exited with code {n.proc.returncode}; see {n.home / 'launcher.log'}")
                if (n.home / "http.port").exists() and esnode.answers(n.url):
                    waiting.remove(n)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(n.name for n in waiting)
                raise DevStackError(f"{names} did not answer in time; see {waiting[0].home / 'launcher.log'}")
            time.sleep(0.3)

    def wait_for_nodes(self, count: int, timeout: float = esnode.START_TIMEOUT) -> dict:
        """Wait until the cluster health, asked of a live node, reports `count` nodes; returns the health."""
        deadline = time.monotonic() + timeout
        last: dict = {}
        while time.monotonic() < deadline:
            for url in self.live_urls:
                try:
                    resp = urllib3.request(
                        "GET", f"{url}/_cluster/health?wait_for_nodes={count}&timeout=5s", timeout=10, retries=False
                    )
                except urllib3.exceptions.HTTPError:
                    continue
                if resp.status in (200, 408):
                    last = json.loads(resp.data)
                    if last.get("number_of_nodes") == count and not last.get("timed_out"):
                        return last
            time.sleep(0.5)
        raise DevStackError(f"cluster did not reach {count} nodes within {timeout:.0f}s (last health: {last})")

    def start_node(self, i: int, timeout: float = esnode.START_TIMEOUT) -> None:
        """(Re)start node i on its own home, ports and name; waits until it rejoined the cluster."""
        n = self.nodes[i]
        if n.running:
            return
        self._spawn(n)
        self._wait_answering([n], time.monotonic() + timeout)
        self.wait_for_nodes(sum(m.running for m in self.nodes), timeout)

    def stop_node(self, i: int, kill: bool = False) -> None:
        """Stop node i: SIGTERM (then SIGKILL if it lingers), or SIGKILL at once with kill=True."""
        n = self.nodes[i]
        if n.proc is None:
            return
        if kill:
            with contextlib.suppress(ProcessLookupError):
                n.proc.send_signal(signal.SIGKILL)
            n.proc.wait(timeout=30)
        else:
            stop_pid(n.proc.pid)
            n.proc.poll()

    def node_holding(self, index: str, primary: bool = True) -> int:
        """Index in `nodes` of the node holding the (primary or replica) copy of shard 0 of index."""
        url = self.live_urls[0]
        resp = urllib3.request("GET", f"{url}/_cat/shards/{index}?format=json&h=shard,prirep,node", timeout=10)
        want = "p" if primary else "r"
        for row in json.loads(resp.data):
            if row["shard"] == "0" and row["prirep"] == want and row.get("node"):
                return [n.name for n in self.nodes].index(row["node"])
        raise DevStackError(f"no assigned {'primary' if primary else 'replica'} of {index}")

    def stop(self) -> None:
        """Stop every node."""
        for i in range(len(self.nodes)):
            self.stop_node(i)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_cluster(
    settings: Settings,
    home: Path,
    nodes: int = 3,
    extra: Sequence[str] = (),
    timeout: float = esnode.START_TIMEOUT,
) -> Cluster:
    """Start an N-node loopback cluster under home/n0..n{N-1}; returns once every node answers and
    the cluster health reports N nodes. On failure every started JVM is stopped again."""
    esnode.build(settings)
    ports = free_ports(2 * nodes)
    members = [
        ClusterNode(name=f"n{i}", home=home / f"n{i}", http_port=ports[2 * i], transport_port=ports[2 * i + 1])
        for i in range(nodes)
    ]
    cluster = Cluster(settings=settings, nodes=members, extra=list(extra))
    try:
        for n in members:  # all together: the first master election needs a quorum of the initial masters
            cluster._spawn(n)
        cluster._wait_answering(members, time.monotonic() + timeout)
        cluster.wait_for_nodes(nodes, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster
