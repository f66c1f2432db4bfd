"""Readers: one module per dump format; each streams Article records.

Formats: .txt (one article), .jsonl/.ndjson/.json (one object per line), .csv/.tsv (header row),
.html/.htm (trafilatura), .warc/.warc.gz (warcio), and .gz/.zip/.tar/.tar.gz/.tgz around any of
them. The first bytes of a file decide over a missing or wrong extension.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from readers.dispatch import read_stream
from readers.errors import ReaderError
from readers.problems import Origin, ProblemHandler, RecordProblem, log_problem
from readers.sniff import EXTENSIONS, is_supported
from transforms.records import Article

SUPPORTED = (*EXTENSIONS, ".warc.gz", ".tar.gz")


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
            found.extend(Path(root) / f for f in sorted(files) if not f.startswith(".") and is_supported(f))
    return found


def read_file(path: Path, source: str | None = None, *, on_problem: ProblemHandler | None = None) -> Iterator[Article]:
    """Stream the articles of one dump file; raises ReaderError naming the file on bad input.

    A bad record (a malformed JSON line, a CSV row with too many fields, an archive member with an
    unsafe path, a WARC page without article text) does not stop the file: it is skipped and passed
    to on_problem as a RecordProblem; without on_problem it is logged as a warning on the
    "newsfacet.readers" logger. A file that yields no article at all raises ReaderError. For
    compressed dumps, articles read before a truncation are yielded before the ReaderError.
    """
    origin = Origin(path, str(path), source or path.parent.name or None, on_problem or log_problem)
    try:
        with path.open("rb") as stream:
            yield from read_stream(stream, path.name, origin)
    except ReaderError:
        raise
    except OSError as exc:
        raise ReaderError(path, exc.strerror or str(exc)) from None


__all__ = ["Article", "ProblemHandler", "ReaderError", "RecordProblem", "discover", "read_file"]
