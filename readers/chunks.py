"""Reading a list of dump files as a stream of chunks: the one read-and-chunk loop that the ingest
flow, `newsfacet evaluate` and the benchmark share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from readers import ReaderError, RecordProblem, read_file
from transforms.records import Article


@dataclass
class ReadEvent:
    """What reading hands its caller: a chunk of articles, a file read to its end, or a bad file."""

    articles: list[Article] = field(default_factory=list)
    file_done: str | None = None
    articles_in_file: int = 0
    quarantined: str | None = None
    reason: str | None = None
    problems: list[RecordProblem] = field(default_factory=list)  # bad records skipped in the file


def read_chunks(paths: Iterable[str | Path], source: str | None, size: int) -> Iterator[ReadEvent]:
    """Every file's articles in chunks of `size`, with an event when a file ends or is bad (never fatal).

    A chunk may hold articles of several files; a file's `file_done` event comes after its last article
    was handed out in a chunk or is still waiting in the one being filled.
    """
    chunk: list[Article] = []
    for raw in paths:
        path = str(raw)
        count = 0
        problems: list[RecordProblem] = []
        try:
            for article in read_file(Path(path), source, on_problem=problems.append):
                chunk.append(article)
                count += 1
                if len(chunk) >= size:
                    yield ReadEvent(articles=chunk)
                    chunk = []
        except ReaderError as exc:
            yield ReadEvent(quarantined=path, reason=exc.reason, problems=problems)
            continue
        yield ReadEvent(file_done=path, articles_in_file=count, problems=problems)
    if chunk:
        yield ReadEvent(articles=chunk)
