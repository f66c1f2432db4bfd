"""The run report: one summary shared by the CLI, the logs and the Prefect artifact, and the run's
line files (quarantine, rejects, dead letters), every line stamped with the run id."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readers.problems import RecordProblem, one_line

# Skipped records kept in memory for the report (the file on disk has more): per file, and in all.
REPORT_PROBLEMS_PER_FILE = 20
REPORT_PROBLEMS_TOTAL = 1000
QUARANTINE, REJECTS, DEAD_LETTERS = "quarantine.jsonl", "rejects.jsonl", "dead_letters.jsonl"


def new_run_id() -> str:
    """A run id for runs outside Prefect (inside, the flow run's id is used)."""
    return uuid.uuid4().hex


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunReport:
    """Counts per stage, quarantined files, skipped records and dead letters of one ingest run.

    With state_dir set, quarantined files and skipped records are written to quarantine.jsonl the moment
    they happen, at most max_problems_per_file records per file and then one line counting the rest;
    memory holds only the first few of each file, so a file of millions of bad lines costs no memory.
    """

    alias: str
    index: str
    run_id: str = field(default_factory=new_run_id)
    state_dir: Path | None = None
    max_problems_per_file: int = 1000
    counts: Counter[str] = field(default_factory=Counter)
    stages: dict[str, Counter[str]] = field(default_factory=dict)
    quarantined: list[dict[str, str]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    skipped_records: list[dict[str, str]] = field(default_factory=list)
    _file_problems: int = 0  # skipped records of the file being read

    def add(self, stage: str, counts: Counter[str]) -> None:
        """Add one chunk's counts of a stage."""
        self.stages.setdefault(stage, Counter()).update(counts)

    def write(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """Append rows to one of the run's line files under state_dir, each with this run's id."""
        if self.state_dir is None:
            return
        lines = [json.dumps({"run_id": self.run_id, **row}, ensure_ascii=False) + "\n" for row in rows]
        if not lines:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / name).open("a", encoding="utf-8") as fh:
            fh.writelines(lines)

    def quarantine(self, path: str, reason: str) -> None:
        """Record a file set aside, with why."""
        item = {"path": path, "reason": reason, "at": _now()}
        self.quarantined.append(item)
        self.counts["files_quarantined"] += 1
        self.write(QUARANTINE, [item])

    def skip_record(self, path: str, location: str, reason: str) -> None:
        """Record one bad record skipped inside an otherwise readable file."""
        self._file_problems += 1
        self.counts["records_skipped"] += 1
        item = {"path": path, "location": location, "reason": reason}
        if self._file_problems <= REPORT_PROBLEMS_PER_FILE and len(self.skipped_records) < REPORT_PROBLEMS_TOTAL:
            self.skipped_records.append(item)
        if self._file_problems <= self.max_problems_per_file:
            self.write(QUARANTINE, [{**item, "at": _now()}])

    def skip_problem(self, problem: RecordProblem) -> None:
        """skip_record for a reader's RecordProblem: the on_problem handler of a run."""
        self.skip_record(problem.path, problem.location, problem.reason)

    def file_finished(self, path: str) -> None:
        """Close the file's skipped-record tally, with one line for the records not listed one by one."""
        unlisted = self._file_problems - self.max_problems_per_file
        if unlisted > 0:
            self.write(
                QUARANTINE,
                [
                    {
                        "path": path,
                        "location": "(rest of file)",
                        "reason": f"{unlisted} more skipped records not listed",
                        "unlisted": unlisted,
                        "at": _now(),
                    }
                ],
            )
        self._file_problems = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and the flow's return value."""
        return {
            "run_id": self.run_id,
            "alias": self.alias,
            "index": self.index,
            "counts": dict(self.counts),
            "stages": {k: dict(v) for k, v in self.stages.items()},
            "quarantined": self.quarantined,
            "dead_letters": self.dead_letters,
            "skipped_records": self.skipped_records,
        }

    def problems(self) -> str:
        """What the run could not index, in words ("2 files quarantined, 1 record skipped"); empty if nothing."""
        return run_problems(self.as_dict())

    def one_line(self) -> str:
        """A log-line summary."""
        load = self.stages.get("load", Counter())
        return (
            f"run {self.run_id}: {self.counts['files']} files, {self.counts['articles_read']} articles read, "
            f"{load['indexed']} indexed, {load['failed']} failed, {self.counts['files_quarantined']} quarantined, "
            f"{self.counts['records_skipped']} records skipped"
        )

    def markdown(self) -> str:
        """The report as a markdown table, one row per stage counter."""
        lines = [
            f"# Ingest into `{self.alias}` (`{self.index}`)",
            "",
            f"Run id `{self.run_id}` (the `run_id` of this run's lines in quarantine.jsonl, rejects.jsonl and "
            "dead_letters.jsonl).",
            "",
            "| stage | count | value |",
            "|---|---|---|",
        ]
        for key, value in sorted(self.counts.items()):
            lines.append(f"| run | {key} | {value} |")
        for stage, counts in self.stages.items():
            for key, value in sorted(counts.items()):
                lines.append(f"| {stage} | {key} | {value} |")
        for item in self.quarantined:
            lines.append(f"| quarantine | {_cell(item['path'])} | {_cell(item['reason'])} |")
        for item in self.skipped_records[:50]:
            lines.append(
                f"| skipped record | {_cell(item['path'] + ' ' + item['location'])} | {_cell(item['reason'])} |"
            )
        if self.counts["records_skipped"] > 50:
            lines.append(f"| skipped record | … | {self.counts['records_skipped'] - 50} more in quarantine.jsonl |")
        for item in self.dead_letters[:50]:
            lines.append(f"| dead letter | {_cell(item['_id'])} | {_cell(item['reason'])} |")
        return "\n".join(lines) + "\n"


def run_problems(report: dict[str, Any]) -> str:
    """The counts of what a finished run could not index, in words; empty when everything was indexed."""
    counts, load = report["counts"], report["stages"].get("load", {})
    parts = [
        (counts.get("files_quarantined", 0), "file quarantined", "files quarantined"),
        (counts.get("records_skipped", 0), "record skipped", "records skipped"),
        (load.get("failed", 0), "document dead-lettered", "documents dead-lettered"),
    ]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)


def _cell(text: str) -> str:
    """Text safe inside one markdown table cell: JSON-quoted when it holds a line break, pipes escaped."""
    return one_line(text).replace("|", "\\|")
