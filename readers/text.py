"""Plain-text dumps: one article per file, a title line, then paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from readers.encoding import decode_bytes
from readers.errors import ReaderError
from transforms.records import Article

BLANK_LINES = re.compile(r"\n\s*\n")


def split_blocks(text: str) -> list[str]:
    """Paragraphs separated by blank lines; one per line when the file has no blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = BLANK_LINES.split(text) if BLANK_LINES.search(text) else text.split("\n")
    return [b.strip() for b in blocks if b.strip()]


def read_text(path: Path, source: str | None = None) -> Iterator[Article]:
    """One Article from a .txt file; its first block becomes the title once cleaning has run."""
    text = decode_bytes(path.read_bytes(), path)
    blocks = split_blocks(text)
    if not blocks:
        raise ReaderError(path, "empty file")
    # The title stays empty here: cleaning picks the first block that is not boilerplate.
    yield Article(
        source_file=str(path),
        paragraphs=blocks,
        source=source or path.parent.name or None,
        raw_text=text,
    )
