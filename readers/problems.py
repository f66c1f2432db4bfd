"""Per-record problems: a bad line or member is skipped and reported, the rest of the file is still read."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from readers.errors import ReaderError, one_line
from transforms.records import Article

LOG = logging.getLogger("newsfacet.readers")
# One record (a line, a row, a JSON item, a page, a one-article file) is never this big: a bigger one is a
# mislabelled dump or a decompression bomb. The setting max_record_bytes overrides it for a run.
MAX_RECORD_BYTES = 16 * 2**20


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One skipped record: where it was (file or archive!member, then line/row/member) and why."""

    path: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{one_line(self.path)}: {one_line(self.location)}: {one_line(self.reason)}"


ProblemHandler = Callable[[RecordProblem], None]


def log_problem(problem: RecordProblem) -> None:
    """The default handler: a warning on the newsfacet.readers logger."""
    LOG.warning("skipped record: %s", problem)


def mib(size: int) -> str:
    """A byte count as messages show it: MiB with one decimal at most, bytes below 1 MiB."""
    return f"{round(size / 2**20, 1):g} MiB" if size >= 2**20 else f"{size:,} bytes"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a stream comes from: the file on disk, the name its articles carry, and who hears of problems."""

    path: Path  # the file on disk; ReaderError names it so the run can quarantine it
    name: str  # Article.source_file: the path, or "archive!member" inside archives
    source: str | None  # fallback source name: the caller's, else the parent folder's
    report: ProblemHandler = log_problem
    depth: int = 0  # archive nesting, bounded so an archive of archives cannot recurse forever
    limit: int = MAX_RECORD_BYTES  # bytes one record may take; longer ones are skipped as a stream
    # problems reported for the file so far, shared by its archive members (a one-item list: Origin is frozen)
    tally: list[int] = field(default_factory=lambda: [0])

    def member(self, member: str) -> Origin:
        """The origin of one archive member."""
        return replace(self, name=f"{self.name}!{member}", depth=self.depth + 1)

    def nested(self) -> Origin:
        """The same name one decompression layer down (foo.jsonl.gz keeps its name)."""
        return replace(self, depth=self.depth + 1)

    def problem(self, location: str, reason: str) -> None:
        """Report one skipped record."""
        self.tally[0] += 1
        self.report(RecordProblem(self.name, location, reason))


def require_some(articles: Iterator[Article], origin: Origin, what: str, otherwise: str) -> Iterator[Article]:
    """Pass the articles through; a stream that gave none raises ReaderError.

    The reason is "no readable <what> (N skipped)" when records were skipped, else `otherwise`.
    """
    before = origin.tally[0]
    read = 0
    for article in articles:
        read += 1
        yield article
    if not read:
        skipped = origin.tally[0] - before
        raise ReaderError(origin.path, f"no readable {what} ({skipped} skipped)" if skipped else otherwise)
