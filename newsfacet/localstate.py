"""What the local stack has running, recorded in small JSON files under cache_dir/stack/.

The dev stack (newsfacet.devstack) writes them; product code only reads them, to find the URL of a
running dev Elasticsearch node or local Prefect server without importing the code that started it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from newsfacet.settings import Settings


def state_path(settings: Settings, part: str) -> Path:
    """The state file of one part of the local stack ("es", "prefect", "worker")."""
    return settings.cache_path / "stack" / f"{part}.json"


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def read_state(settings: Settings, part: str) -> dict[str, Any] | None:
    """The recorded state of a part, if one of its processes is still alive."""
    path = state_path(settings, part)
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    pids = state.get("pids") or [state.get("pid")]
    return state if any(isinstance(p, int) and pid_alive(p) for p in pids) else None


def write_state(settings: Settings, part: str, state: dict[str, Any]) -> None:
    """Record a running part (atomically, so a reader never sees half a file)."""
    path = state_path(settings, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)


def clear_state(settings: Settings, part: str) -> None:
    """Forget a part."""
    state_path(settings, part).unlink(missing_ok=True)


def recorded_url(settings: Settings, part: str) -> str | None:
    """URL of a running part of the local stack, if any."""
    state = read_state(settings, part)
    return str(state["url"]) if state and state.get("url") else None
