"""The run report and the run's line files (pure: no Elasticsearch, no Prefect)."""

from __future__ import annotations

import json

from newsfacet.report import QUARANTINE, REJECTS, RunReport
from readers import RecordProblem


def test_every_line_carries_the_run_id_and_problems_stay_bounded(tmp_path):
    report = RunReport(
        alias="articles", index="articles~x-000001", run_id="run-1", state_dir=tmp_path, max_problems_per_file=3
    )
    for n in range(10):
        report.skip_problem(RecordProblem("feed\n.jsonl", f"line {n}", "malformed JSON"))
    report.file_finished("feed\n.jsonl")
    report.quarantine("bad|name.txt", "empty file")
    report.write(REJECTS, [{"source_file": "a.txt", "reason": "exact_duplicate"}])
    lines = (tmp_path / QUARANTINE).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 5 and all(r["run_id"] == "run-1" for r in rows)
    assert [r["location"] for r in rows[:3]] == ["line 0", "line 1", "line 2"]
    assert rows[3]["unlisted"] == 7 and rows[3]["path"] == "feed\n.jsonl"
    assert rows[4]["path"] == "bad|name.txt" and rows[4]["reason"] == "empty file"
    assert json.loads((tmp_path / REJECTS).read_text())["run_id"] == "run-1"
    assert report.counts["records_skipped"] == 10 and len(report.skipped_records) == 10
    assert report.as_dict()["run_id"] == "run-1"


def test_report_keeps_only_the_first_problems_of_a_file_in_memory():
    report = RunReport(alias="a", index="i")
    for n in range(5000):
        report.skip_record("junk.jsonl", f"line {n}", "malformed JSON")
    assert report.counts["records_skipped"] == 5000 and len(report.skipped_records) == 20
    assert len(report.run_id) == 32


def test_markdown_names_the_run_and_keeps_one_row_per_line():
    report = RunReport(alias="articles", index="articles~x-000001", run_id="run-7")
    report.quarantine("two\nlines|pipe.txt", "empty file")
    text = report.markdown()
    assert "Run id `run-7`" in text
    row = next(line for line in text.splitlines() if line.startswith("| quarantine"))
    assert '"two\\nlines\\|pipe.txt"' in row
