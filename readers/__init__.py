"""Readers: one module per dump format; each streams Article records."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from readers.errors import ReaderError
from readers.text import read_text
from transforms.records import Article

READERS = {".txt": read_text}
SUPPORTED = tuple(READERS)


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Every readable dump file under the given files and directories, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ReaderError(path, "no such file or directory")
        if path.is_file():
            found.append(path)
            continue
        # followlinks=False: a symlink loop cannot make the walk endless
        for root, dirs, files in os.walk(path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.extend(
                Path(root) / f for f in sorted(files) if not f.startswith(".") and Path(f).suffix.lower() in READERS
            )
    return found


def read_file(path: Path, source: str | None = None) -> Iterator[Article]:
    """Stream the articles of one dump file; raises ReaderError naming the file on bad input."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ReaderError(path, f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(SUPPORTED)}")
    try:
        yield from reader(path, source)
    except ReaderError:
        raise
    except OSError as exc:
        raise ReaderError(path, exc.strerror or str(exc)) from None


__all__ = ["Article", "ReaderError", "discover", "read_file"]
