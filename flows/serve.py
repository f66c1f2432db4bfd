"""Deployments: the nightly schedule, served by `newsfacet serve` (what the compose worker runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect.schedules import Cron

from flows.ingest import configured_flow
from newsfacet.settings import Settings


def nightly_parameters(settings: Settings) -> dict[str, Any]:
    """Default run parameters: the drop folder, everything else from settings."""
    return {"params": {"paths": [str(Path(settings.drop_folder).resolve())]}}


def serve_nightly(settings: Settings) -> None:
    """Register the nightly deployment with its schedule and run its flow runs until stopped."""
    Path(settings.drop_folder).mkdir(parents=True, exist_ok=True)
    configured_flow().serve(
        name=settings.deployment_name,
        schedules=[Cron(settings.schedule_cron, timezone=settings.schedule_timezone)],
        parameters=nightly_parameters(settings),
        description="Nightly ingest of new and changed files in the drop folder.",
        tags=["newsfacet", "nightly"],
    )
