"""The local stack as the CLI manages it: start, find and stop the dev Elasticsearch (one node or a
loopback cluster), recorded in newsfacet.localstate so every command finds it."""

from __future__ import annotations

from dataclasses import asdict

from newsfacet import localstate
from newsfacet.devstack.escluster import start_cluster
from newsfacet.devstack.esnode import NodeInfo, answers, start_node
from newsfacet.devstack.procs import stop_pid
from newsfacet.settings import Settings

ES = "es"


def running_node(settings: Settings) -> NodeInfo | None:
    """The dev node (or cluster) recorded by `newsfacet es start`, if it is still alive."""
    state = localstate.read_state(settings, ES)
    return NodeInfo(**state) if state else None


def start_es(settings: Settings, http_port: int = 0, nodes: int = 1) -> NodeInfo:
    """Start the dev node, or an N-node loopback cluster, in the background (or return the running one)."""
    current = running_node(settings)
    if current and answers(current.url.split(",")[0]):
        return current
    if nodes > 1:
        cluster = start_cluster(settings, settings.cache_path / "es" / "cluster", nodes)
        pids = [n.proc.pid for n in cluster.nodes if n.proc is not None]
        info = NodeInfo(pid=pids[0], url=",".join(cluster.urls), home=str(cluster.nodes[0].home.parent), pids=pids)
    else:
        _, info = start_node(settings, settings.cache_path / "es" / "node", http_port)
    localstate.write_state(settings, ES, asdict(info))
    return info


def stop_es(settings: Settings) -> bool:
    """Stop the recorded dev node or cluster; False if none was running."""
    info = running_node(settings)
    localstate.clear_state(settings, ES)
    if info is None:
        return False
    for pid in info.pids or [info.pid]:
        stop_pid(pid)
    return True
