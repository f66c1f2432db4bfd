"""The parameters of an ingest run, declared once: Prefect renders them as the run form, the CLI as options."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, field_validator, model_validator

from newsfacet.settings import load_sources, validate_alias_name


class IngestParams(BaseModel):
    """Parameters of one ingest run; Prefect renders them as the run form and validates them."""

    paths: list[str] = Field(default_factory=list, description="Dump files or directories to ingest")
    source_name: str | None = Field(default=None, description="A source defined in config/sources.toml")
    source: str | None = Field(default=None, description="Source facet value for files that carry none")
    alias: str | None = Field(default=None, description="Alias to load into (default: setting 'alias')")
    reprocess: bool = Field(default=False, description="Process every file, even those already done")
    since: date | None = Field(default=None, description="Only files modified on or after this date")
    batch_size: int | None = Field(default=None, ge=1, description="Articles per chunk (default: chunk_size)")
    n_process: int | None = Field(
        default=None, ge=0, description="NER worker processes, 0 for one per CPU core (default: setting n_process)"
    )

    @field_validator("alias")
    @classmethod
    def _alias_name(cls, value: str | None) -> str | None:
        return None if value is None else validate_alias_name(value)

    @model_validator(mode="after")
    def _paths_or_source(self) -> Self:
        if not self.paths and not self.source_name:
            raise ValueError("give paths or a source_name")
        if self.source_name and self.source_name not in load_sources():
            known = ", ".join(load_sources()) or "none"
            raise ValueError(f"unknown source_name {self.source_name!r} (config/sources.toml has: {known})")
        # checked here, before anything is created in Elasticsearch
        missing = [p for p in self.paths if not Path(p).exists()]
        if missing:
            raise ValueError("no such file or directory: " + ", ".join(json.dumps(p) for p in missing))
        return self
