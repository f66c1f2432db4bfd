"""Per-record problems: a bad line or member is skipped and reported, the rest of the file is still read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

LOG = logging.getLogger("newsfacet.readers")


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One skipped record: where it was (file or archive!member, then line/row/member) and why."""

    path: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.location}: {self.reason}"


ProblemHandler = Callable[[RecordProblem], None]


def log_problem(problem: RecordProblem) -> None:
    """The default handler: a warning on the newsfacet.readers logger."""
    LOG.warning("skipped record: %s", problem)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a stream comes from: the file on disk, the name its articles carry, and who hears of problems."""

    path: Path  # the file on disk; ReaderError names it so the run can quarantine it
    name: str  # Article.source_file: the path, or "archive!member" inside archives
    source: str | None  # fallback source name: the caller's, else the parent folder's
    report: ProblemHandler = log_problem
    depth: int = 0  # archive nesting, bounded so an archive of archives cannot recurse forever

    def member(self, member: str) -> Origin:
        """The origin of one archive member."""
        return replace(self, name=f"{self.name}!{member}", depth=self.depth + 1)

    def nested(self) -> Origin:
        """The same name one decompression layer down (foo.jsonl.gz keeps its name)."""
        return replace(self, depth=self.depth + 1)

    def problem(self, location: str, reason: str) -> None:
        """Report one skipped record."""
        self.report(RecordProblem(self.name, location, reason))
