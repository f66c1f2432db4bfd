"""Elasticsearch credentials from a Prefect Secret block, so they need not sit in the environment."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from newsfacet.errors import SettingsError


def credentials_from_block(name: str) -> dict[str, Any]:
    """Settings updates (api key or username/password) read from the named Secret block."""
    from prefect.blocks.system import Secret

    try:
        raw = Secret.load(name).get()
    except Exception as exc:  # the block is missing or the API is away; never echo its value
        raise SettingsError(
            f"cannot load Prefect Secret block {name!r} (elasticsearch_secret_block): {type(exc).__name__}"
        ) from None
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(data, dict) or not ({"api_key"} <= data.keys() or {"username", "password"} <= data.keys()):
        raise SettingsError(f"Prefect Secret block {name!r} must hold api_key, or username and password")
    update: dict[str, Any] = {}
    if "api_key" in data:
        update["elasticsearch_api_key"] = SecretStr(str(data["api_key"]))
    if "username" in data:
        update["elasticsearch_username"] = str(data["username"])
        update["elasticsearch_password"] = SecretStr(str(data["password"]))
    return update
