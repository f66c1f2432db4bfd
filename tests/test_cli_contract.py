"""What a cron job and a person see: exit codes (0 indexed, 3 finished with problems, 1 failed, 2 usage),
one line per error with no traceback, and a quiet console."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsfacet.devstack.procs import free_port
from newsfacet.settings import REPO_ROOT, get_settings

NEWSFACET = Path(sys.executable).parent / "newsfacet"
HARBOUR = REPO_ROOT / "samples" / "harbourtimes"


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    return subprocess.run([NEWSFACET, *args], env=full, capture_output=True, text=True, timeout=600)


def one_line(run: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ingest", "--batch-size", "0", "samples"], "--batch-size: Input should be greater than or equal to 1"),
        (["ingest", "--since", "notadate", "samples"], "--since: Input should be a valid date"),
        (["ingest", "--source-name", "nope"], "unknown source_name 'nope' (config/sources.toml has: samples)"),
        (["search", "--from", "notadate"], "--from takes a date"),
        (["search", "--filter", "persons="], "--filter 'persons=' has no value"),
        (["search", "--filter", "people=Ann"], "--filter takes FACET=VALUE"),
    ],
)
def test_usage_errors_are_one_whole_line_and_exit_2(args, expected):
    run = cli(*args, ELASTICSEARCH_URL=f"http://127.0.0.1:{free_port()}")
    assert run.returncode == 2
    line = one_line(run)
    assert line.startswith("newsfacet: ") and expected in line, line


@pytest.mark.integration
def test_a_missing_path_is_refused_before_anything_is_created(es, alias, tmp_path):
    run = cli("ingest", "--alias", alias, str(tmp_path / "no-such-dir"), NEWSFACET_CACHE_DIR=str(tmp_path / "c"))
    assert run.returncode == 2
    assert "no such file or directory" in one_line(run)
    assert not es.indices.exists_alias(name=alias)
    templates = es.options(ignore_status=404).indices.get_index_template(name=f"{alias}*")
    assert not templates.get("index_templates")


@pytest.mark.integration
def test_query_syntax_error_says_where_it_broke(es_url, alias, tmp_path):
    assert cli("setup", "--alias", alias).returncode == 0
    run = cli("search", "--alias", alias, "Putin AND (")
    assert run.returncode == 2
    line = one_line(run)
    assert line.startswith("newsfacet: cannot parse the query 'Putin AND ('") and "column" in line, line


def test_unreachable_cluster_is_one_line_on_a_quiet_stderr(prefect_api, tmp_path):
    run = cli(
        "ingest", str(HARBOUR), ELASTICSEARCH_URL=f"http://127.0.0.1:{free_port()}", NEWSFACET_CACHE_DIR=str(tmp_path)
    )
    assert run.returncode == 1
    assert one_line(run).endswith("is not reachable (ConnectionError)")


def test_unknown_setting_is_warned_with_the_closest_key():
    run = cli("search", "--filter", "persons=", NEWSFACET_CHUNKSIZE="5")
    assert (
        "newsfacet: warning: unknown setting NEWSFACET_CHUNKSIZE is ignored (did you mean NEWSFACET_CHUNK_SIZE?)"
        in (run.stderr)
    )


@pytest.mark.integration
def test_es_status_reports_the_configured_cluster(es_url):
    run = cli("es", "status", ELASTICSEARCH_URL=es_url)
    assert run.returncode == 0 and "answering" in run.stdout


@pytest.mark.integration
def test_clean_run_exits_0_with_no_log_lines_on_the_console(es_url, alias, tmp_path):
    run = cli("ingest", "--alias", alias, str(HARBOUR), NEWSFACET_CACHE_DIR=str(tmp_path))
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stderr.strip() == "", run.stderr[-3000:]
    assert "INFO" not in run.stdout
    assert (tmp_path / "logs" / "newsfacet.log").exists()


@pytest.mark.integration
def test_quarantined_file_exits_3_with_the_counts_on_the_last_line(es_url, alias, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "good.txt").write_text((HARBOUR / "2024-04-18-ferry-fine.txt").read_text())
    (dump / "empty.txt").write_text("")
    run = cli("ingest", "--alias", alias, str(dump), NEWSFACET_CACHE_DIR=str(tmp_path / "cache"))
    assert run.returncode == 3, run.stderr[-3000:]
    assert run.stderr.strip().splitlines()[-1] == "newsfacet: finished with problems: 1 file quarantined"


@pytest.mark.integration
def test_the_flow_run_state_says_what_was_not_indexed(prefect_api, es_url, alias, tmp_path, cache_dir):
    from flows.ingest import configured_flow
    from newsfacet.params import IngestParams

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "good.txt").write_text((HARBOUR / "2024-04-18-ferry-fine.txt").read_text())
    (dump / "binary.txt").write_bytes(bytes(range(256)) * 8)
    get_settings.cache_clear()
    state = configured_flow()(IngestParams(paths=[str(dump)], alias=alias), return_state=True)
    assert state.is_completed()
    assert state.message == "finished with problems: 1 file quarantined"
    report = state.result()
    assert report["stages"]["load"]["indexed"] == 1


@pytest.mark.integration
def test_collapsed_search_counts_stories(es_url, alias, tmp_path):
    assert cli("ingest", "--alias", alias, str(HARBOUR), NEWSFACET_CACHE_DIR=str(tmp_path)).returncode == 0
    plain = json.loads(cli("search", "--alias", alias, "--json").stdout)
    collapsed = json.loads(cli("search", "--alias", alias, "--json", "--collapse").stdout)
    assert plain["total"] == 3 and collapsed["documents"] == 3
    assert collapsed["total"] == len(collapsed["hits"]) == 2  # the wire copy is one story with its original
