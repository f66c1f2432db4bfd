"""Metadata values as scrapers leave them (author strings, language tags, epoch dates) made uniform."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

AUTHOR_SEPARATORS = re.compile(r"\s*(?:;|\||,|&|\band\b)\s*")
BYLINE_PREFIX = re.compile(r"^by\s+", re.I)
LANGUAGE_SUBTAG = re.compile(r"[-_]")
# Epoch numbers in seconds or milliseconds between 1990 and 2100; anything else is not a date.
EPOCH_SECONDS = (631_152_000, 4_102_444_800)


def clean_text(value: Any) -> str | None:
    """The value as stripped text, or None when it is missing or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_authors(value: Any) -> list[str]:
    """Author names from a list (of strings or {"name": ...}) or one string such as "By A and B"."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get("name")
        if not isinstance(item, str):
            continue
        for name in AUTHOR_SEPARATORS.split(BYLINE_PREFIX.sub("", item.strip())):
            name = BYLINE_PREFIX.sub("", name).strip()
            if name and name not in names:
                names.append(name)
    return names


def language_code(value: Any) -> str | None:
    """The primary language subtag, lower case ("en-GB" -> "en"), so facets do not split by region."""
    text = clean_text(value)
    return LANGUAGE_SUBTAG.split(text, maxsplit=1)[0].lower() if text else None


def date_value(value: Any) -> str | None:
    """A metadata date as text; strings stay as found (transforms/dates.py parses them), epochs become ISO."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > EPOCH_SECONDS[1] else value
        if EPOCH_SECONDS[0] <= seconds <= EPOCH_SECONDS[1]:
            return datetime.fromtimestamp(seconds, UTC).isoformat()
        return None
    return clean_text(value)
