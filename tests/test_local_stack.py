"""`newsfacet up/down/status`: the local stack a newcomer uses. After `up`, a CLI ingest is a run on the
persistent Prefect server, and a person opening the printed UI URL in Chromium finds it and its report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import urllib3

from newsfacet.settings import REPO_ROOT

NEWSFACET = Path(sys.executable).parent / "newsfacet"
HARBOUR = REPO_ROOT / "samples" / "harbourtimes"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(es_url, tmp_path_factory):
    """`newsfacet up` in its own cache dir, with the session's ES (ELASTICSEARCH_URL) instead of a second node."""
    cache = tmp_path_factory.mktemp("local-stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(NEWSFACET_CACHE_DIR=str(cache), ELASTICSEARCH_URL=es_url, NEWSFACET_ALIAS=f"nf-up-{os.getpid()}")
    up = subprocess.run([NEWSFACET, "up"], env=env, capture_output=True, text=True, timeout=600)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        ui = re.search(r"Prefect UI\s+(\S+)", up.stdout)
        assert ui, up.stdout
        yield {"env": env, "ui": ui.group(1), "stdout": up.stdout, "cache": cache}
    finally:
        down = subprocess.run([NEWSFACET, "down"], env=env, capture_output=True, text=True, timeout=120)
        assert down.returncode == 0, down.stderr


def cli(stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEWSFACET, *args], env=stack["env"], capture_output=True, text=True, timeout=600)


def test_status_shows_every_part_answering(stack):
    run = cli(stack, "status")
    assert run.returncode == 0, run.stdout + run.stderr
    for part in ("prefect", "worker"):
        assert re.search(rf"{part}\s.*answering", run.stdout), run.stdout
    assert stack["ui"] in run.stdout


def test_cli_ingest_is_a_run_on_the_local_server_with_its_report_in_the_ui(stack, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    run = cli(stack, "ingest", str(HARBOUR))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Starting temporary server" not in run.stdout + run.stderr  # the persistent server took the run
    api = stack["ui"] + "/api"
    runs = json.loads(urllib3.request("POST", f"{api}/flow_runs/filter", json={"limit": 50}).data)
    [ingest_run] = [r for r in runs if r["deployment_id"] is None and r["state_type"] == "COMPLETED"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(stack["ui"] + "/runs")  # the URL `newsfacet up` printed, as a person would open it
        expect(page.get_by_text(ingest_run["name"]).first).to_be_visible(timeout=120_000)
        page.get_by_text(ingest_run["name"]).first.click()
        expect(page.get_by_text("Artifacts").first).to_be_visible(timeout=120_000)
        page.get_by_text("Artifacts").first.click()
        expect(page.get_by_text("ingest-report").first).to_be_visible(timeout=60_000)
        page.get_by_text("ingest-report").first.click()
        expect(page.get_by_text("Ingest into").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("articles_read").first).to_be_visible(timeout=10_000)
        page.screenshot(path=str(tmp_path / "ingest-report.png"), full_page=True)
        browser.close()
    assert (tmp_path / "ingest-report.png").stat().st_size > 10_000


def test_up_again_reuses_the_running_parts(stack):
    status_before = cli(stack, "status").stdout
    again = cli(stack, "up")
    assert again.returncode == 0, again.stderr
    assert stack["ui"] in again.stdout
    pids = re.findall(r"│\s*(\d+)\s*│", status_before)
    assert pids and all(pid in cli(stack, "status").stdout for pid in pids)
