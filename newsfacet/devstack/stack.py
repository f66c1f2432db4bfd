"""The local stack as the CLI manages it (`newsfacet up/down/status`, `newsfacet es`): the dev Elasticsearch
(one node or a loopback cluster), a persistent Prefect server with its UI, and a worker serving the nightly
deployment. Each running part is recorded in newsfacet.localstate, so every command finds it."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import urllib3

from newsfacet import localstate
from newsfacet.devstack.escluster import start_cluster
from newsfacet.devstack.esnode import NodeInfo, answers, start_node
from newsfacet.devstack.prefect_server import health, start_prefect_server
from newsfacet.devstack.procs import port_is_free, spawn, stop_pid, wait_until_ready
from newsfacet.settings import Settings
from search.client import redact_url

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


PREFECT, WORKER = "prefect", "worker"
UI_PORT = 4200  # Prefect's usual port, when it is free
DEPLOYMENT = "ingest/{name}"


def running_prefect(settings: Settings) -> dict[str, Any] | None:
    """The local Prefect server recorded by `newsfacet up`, if it runs and answers."""
    state = localstate.read_state(settings, PREFECT)
    return state if state and health(state["url"]) else None


def start_prefect(settings: Settings) -> dict[str, Any]:
    """Start (or reuse) the persistent local Prefect server with its UI: SQLite under cache_dir, loopback only."""
    current = running_prefect(settings)
    if current:
        return current
    home = settings.cache_path / "prefect"
    port = UI_PORT if port_is_free(UI_PORT) else 0
    proc, url = start_prefect_server(home, ui=True, port=port)
    state = {"pid": proc.pid, "url": url, "ui": url.removesuffix("/api"), "home": str(home)}
    localstate.write_state(settings, PREFECT, state)
    return state


def _deployment_exists(api_url: str, name: str) -> bool:
    try:
        resp = urllib3.request("GET", f"{api_url}/deployments/name/{name}", timeout=5, retries=False)
    except urllib3.exceptions.HTTPError:
        return False
    return resp.status == 200


def start_worker(settings: Settings, api_url: str, es_url: str | None, timeout: float = 180.0) -> dict[str, Any]:
    """Start (or reuse) `newsfacet serve` against the local server; returns once the nightly deployment exists."""
    current = localstate.read_state(settings, WORKER)
    if current:
        return current
    log = settings.cache_path / "stack" / "worker.log"
    env = {**os.environ, "PREFECT_API_URL": api_url}
    if es_url:
        env["ELASTICSEARCH_URL"] = es_url
    exe = shutil.which("newsfacet", path=str(Path(sys.executable).parent)) or "newsfacet"
    proc = spawn([exe, "serve"], log, env)
    deployment = DEPLOYMENT.format(name=settings.deployment_name)
    wait_until_ready(
        proc, lambda: "ok" if _deployment_exists(api_url, deployment) else None, "the worker", log, timeout
    )
    state = {"pid": proc.pid, "log": str(log), "deployment": deployment}
    localstate.write_state(settings, WORKER, state)
    return state


def up(settings: Settings) -> dict[str, dict[str, Any]]:
    """Elasticsearch (the embedded node unless ELASTICSEARCH_URL is set), the Prefect server with its UI, and
    a worker serving the nightly deployment; each started only if it is not running already."""
    parts: dict[str, dict[str, Any]] = {}
    if settings.elasticsearch_url:
        parts[ES] = {"url": settings.elasticsearch_url, "external": True}
        es_url = None
    else:
        info = start_es(settings)
        parts[ES] = asdict(info)
        es_url = info.url
    parts[PREFECT] = start_prefect(settings)
    parts[WORKER] = start_worker(settings, parts[PREFECT]["url"], es_url)
    return parts


def down(settings: Settings) -> list[str]:
    """Stop the worker, the Prefect server and the dev Elasticsearch; the names of what was running."""
    stopped = []
    for part in (WORKER, PREFECT):
        state = localstate.read_state(settings, part)
        localstate.clear_state(settings, part)
        if state:
            stop_pid(state["pid"])
            stopped.append(part)
    if stop_es(settings):
        stopped.append(ES)
    return stopped


def status(settings: Settings) -> dict[str, dict[str, Any] | None]:
    """Each part of the local stack with its URL, pid and whether it answers (None: not running)."""
    es = running_node(settings)
    prefect = localstate.read_state(settings, PREFECT)
    worker = localstate.read_state(settings, WORKER)
    if settings.elasticsearch_url:  # `up` started no node: the cluster every command uses is this one
        url = settings.elasticsearch_url.split(",")[0].strip()
        es_part: dict[str, Any] | None = {"url": redact_url(url), "external": True, "answering": answers(url)}
    else:
        es_part = {**asdict(es), "answering": all(answers(u) for u in es.url.split(","))} if es else None
    return {
        ES: es_part,
        PREFECT: {**prefect, "answering": health(prefect["url"])} if prefect else None,
        WORKER: {**worker, "answering": True} if worker else None,
    }
