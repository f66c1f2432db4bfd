"""Kibana saved objects (config/kibana/*.ndjson), imported through Kibana's API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import urllib3

from newsfacet.errors import KibanaError
from newsfacet.settings import CONFIG_DIR

KIBANA_DIR = CONFIG_DIR / "kibana"


def saved_object_files() -> list[Path]:
    """The NDJSON exports newsfacet ships, in import order."""
    return sorted(KIBANA_DIR.glob("*.ndjson"))


def saved_objects() -> list[dict[str, Any]]:
    """Every saved object newsfacet ships."""
    return [json.loads(line) for f in saved_object_files() for line in f.read_text().splitlines() if line.strip()]


def import_saved_objects(kibana_url: str, headers: dict[str, str] | None = None) -> int:
    """Import (overwriting) every shipped saved object; returns how many Kibana accepted."""
    total = 0
    for path in saved_object_files():
        try:
            resp = urllib3.request(
                "POST",
                f"{kibana_url.rstrip('/')}/api/saved_objects/_import?overwrite=true",
                fields={"file": (path.name, path.read_bytes(), "application/ndjson")},
                headers={"kbn-xsrf": "newsfacet", **(headers or {})},
                timeout=60,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise KibanaError(f"Kibana at {kibana_url} is not reachable ({type(exc).__name__})") from None
        body = json.loads(resp.data or b"{}")
        if resp.status != 200 or not body.get("success"):
            raise KibanaError(f"Kibana refused {path.name}: HTTP {resp.status} {str(body.get('errors', body))[:200]}")
        total += int(body.get("successCount", 0))
    return total
