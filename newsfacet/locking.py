"""One writer per alias: an advisory file lock shared by ingest runs and reindex."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsfacet.errors import LockTimeout


@contextmanager
def alias_lock(lock_dir: Path, alias: str, timeout: float) -> Iterator[None]:
    """One ingest per alias and manifest at a time; a second run waits, then gives up clearly."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{alias}.lock"
    with path.open("w") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"another ingest into {alias!r} holds {path}; gave up after {timeout:.0f}s"
                    ) from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
