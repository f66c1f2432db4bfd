"""The run report: one summary shared by the CLI, the logs and the Prefect artifact."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class RunReport:
    """Counts per stage, quarantined files and dead letters of one ingest run."""

    alias: str
    index: str
    counts: Counter[str] = field(default_factory=Counter)
    stages: dict[str, Counter[str]] = field(default_factory=dict)
    quarantined: list[dict[str, str]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    skipped_records: list[dict[str, str]] = field(default_factory=list)

    def add(self, stage: str, counts: Counter[str]) -> None:
        """Add one chunk's counts of a stage."""
        self.stages.setdefault(stage, Counter()).update(counts)

    def quarantine(self, path: str, reason: str) -> None:
        """Record a file set aside, with why."""
        self.quarantined.append({"path": path, "reason": reason, "at": datetime.now(UTC).isoformat(timespec="seconds")})
        self.counts["files_quarantined"] += 1

    def skip_record(self, path: str, location: str, reason: str) -> None:
        """Record one bad record skipped inside an otherwise readable file."""
        self.skipped_records.append({"path": path, "location": location, "reason": reason})
        self.counts["records_skipped"] += 1

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and the flow's return value."""
        return {
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
            f"{self.counts['files']} files, {self.counts['articles_read']} articles read, "
            f"{load['indexed']} indexed, {load['failed']} failed, {self.counts['files_quarantined']} quarantined"
        )

    def markdown(self) -> str:
        """The report as a markdown table, one row per stage counter."""
        lines = [f"# Ingest into `{self.alias}` (`{self.index}`)", "", "| stage | count | value |", "|---|---|---|"]
        for key, value in sorted(self.counts.items()):
            lines.append(f"| run | {key} | {value} |")
        for stage, counts in self.stages.items():
            for key, value in sorted(counts.items()):
                lines.append(f"| {stage} | {key} | {value} |")
        for item in self.quarantined:
            lines.append(f"| quarantine | {item['path']} | {item['reason']} |")
        for item in self.skipped_records[:50]:
            lines.append(f"| skipped record | {item['path']} {item['location']} | {item['reason']} |")
        for item in self.dead_letters[:50]:
            lines.append(f"| dead letter | {item['_id']} | {item['reason']} |")
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
