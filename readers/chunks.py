"""Reading a list of dump files as a stream of chunks: the one read-and-chunk loop that the ingest
flow, `newsfacet evaluate` and the benchmark share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from readers import MAX_RECORD_BYTES, ProblemHandler, ReaderError, read_file
from transforms.records import Article


@dataclass
class ReadEvent:
    """What reading hands its caller: a chunk of articles, a file read to its end, or a bad file."""

    articles: list[Article] = field(default_factory=list)
    file_done: str | None = None
    articles_in_file: int = 0
    quarantined: str | None = None
    reason: str | None = None


def read_chunks(
    paths: Iterable[str | Path],
    source: str | None,
    size: int,
    on_problem: ProblemHandler | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[ReadEvent]:
    """Every file's articles in chunks of `size`, with an event when a file ends or is bad (never fatal).

    A skipped record goes to on_problem the moment the reader meets it (never collected per file, so
    millions of bad lines cost no memory). A chunk is also cut at 2 * max_record_bytes characters of
    text, so a few huge articles cannot fill memory either. A file's `file_done` event comes after its
    last article was handed out in a chunk or is still waiting in the one being filled.
    """
    chunk: list[Article] = []
    chunk_chars = 0
    for raw in paths:
        path = str(raw)
        count = 0
        try:
            for article in read_file(Path(path), source, on_problem=on_problem, max_record_bytes=max_record_bytes):
                chunk.append(article)
                count += 1
                chunk_chars += len(article.raw_text)
                if len(chunk) >= size or chunk_chars >= 2 * max_record_bytes:
                    yield ReadEvent(articles=chunk)
                    chunk, chunk_chars = [], 0
        except ReaderError as exc:
            yield ReadEvent(quarantined=path, reason=exc.reason)
            continue
        yield ReadEvent(file_done=path, articles_in_file=count)
    if chunk:
        yield ReadEvent(articles=chunk)
