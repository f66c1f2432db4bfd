"""Per-stage bookkeeping: total, kept and dropped_<reason>, plus rejected items."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class StageResult:
    """What one stage hands on: the frame, its counts, and what it rejected, with why."""

    frame: pd.DataFrame
    counts: Counter[str] = field(default_factory=Counter)
    rejects: list[dict[str, str]] = field(default_factory=list)

    def reject(self, source_file: str, stage: str, reason: str, text: str) -> None:
        """Count a dropped item under dropped_<reason> and keep it for the reject log."""
        self.counts[f"dropped_{reason}"] += 1
        self.rejects.append({"source_file": source_file, "stage": stage, "reason": reason, "text": text})
