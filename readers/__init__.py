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
from readers.errors import ReaderError, one_line
from readers.problems import MAX_RECORD_BYTES, Origin, ProblemHandler, RecordProblem, log_problem
from readers.sniff import is_supported
from transforms.records import Article


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


def read_file(
    path: Path,
    source: str | None = None,
    *,
    on_problem: ProblemHandler | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[Article]:
    """Stream the articles of one dump file; raises ReaderError naming the file on bad input.

    A bad record (a malformed JSON line, a CSV row with too many fields, a line or record over
    max_record_bytes, an archive member with an unsafe or undecodable name, a WARC page without
    article text) does not stop the file: it is skipped and passed to on_problem as a RecordProblem
    the moment it is met; without on_problem it is logged as a warning on the "newsfacet.readers"
    logger. A file that yields no article at all raises ReaderError. For compressed dumps, articles
    read before a truncation are yielded before the ReaderError. Memory stays bounded by the cap:
    over-long lines are skipped as a stream and JSON arrays are read item by item.
    """
    origin = Origin(
        path, str(path), source or path.parent.name or None, on_problem or log_problem, limit=max_record_bytes
    )
    try:
        with path.open("rb") as stream:
            yield from read_stream(stream, path.name, origin)
    except ReaderError:
        raise
    except OSError as exc:
        raise ReaderError(path, exc.strerror or str(exc)) from None


__all__ = [
    "MAX_RECORD_BYTES",
    "Article",
    "ProblemHandler",
    "ReaderError",
    "RecordProblem",
    "discover",
    "one_line",
    "read_file",
]
