"""Reading a list of dump files as a stream of chunks: the one read-and-chunk loop that the ingest
flow, `newsfacet evaluate` and the benchmark share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from readers import MAX_RECORD_BYTES, ProblemHandler, ReaderError, read_file
from transforms.records import Article


@dataclass
class ReadEvent:
    """What reading hands its caller: a chunk of articles with the files read to their end, or a bad file."""

    articles: list[Article] = field(default_factory=list)
    # (path, articles read from it) of every file read to its end since the event before
    done: list[tuple[str, int]] = field(default_factory=list)
    quarantined: str | None = None
    reason: str | None = None


def read_chunks(
    paths: Iterable[str | Path],
    source: str | None,
    size: int,
    on_problem: ProblemHandler | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    on_file_done: Callable[[str], None] | None = None,
) -> Iterator[ReadEvent]:
    """Every file's articles in chunks of `size`, each with the files finished meanwhile; bad files too.

    A skipped record goes to on_problem the moment the reader meets it (never collected per file, so
    millions of bad lines cost no memory); on_file_done hears of each file the moment it is read to its
    end, before the next file's problems. A chunk is also cut at 2 * max_record_bytes characters of
    text, so a few huge articles cannot fill memory either. A file is listed in `done` with the chunk
    that holds its last article, or with a later one. Finished files ride along with chunks rather
    than coming as events of their own: a caller such as a Prefect task keeps a record of every event,
    and a dump of one-article files would otherwise make one per file.
    """
    chunk: list[Article] = []
    done: list[tuple[str, int]] = []
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
                    yield ReadEvent(articles=chunk, done=done)
                    chunk, done, chunk_chars = [], [], 0
        except ReaderError as exc:
            yield ReadEvent(quarantined=path, reason=exc.reason)
            continue
        if on_file_done is not None:
            on_file_done(path)
        done.append((path, count))
    if chunk or done:
        yield ReadEvent(articles=chunk, done=done)
