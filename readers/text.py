"""Plain-text dumps: one article per file, a title line, then paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from readers.encoding import decode_bytes
from readers.errors import ReaderError
from readers.problems import Origin
from transforms.records import Article

BLANK_LINES = re.compile(r"\n\s*\n")
# One article is never this big; a bigger "article" is a mislabelled dump or a decompression bomb.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def split_blocks(text: str) -> list[str]:
    """Paragraphs separated by blank lines; one per line when the file has no blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = BLANK_LINES.split(text) if BLANK_LINES.search(text) else text.split("\n")
    return [b.strip() for b in blocks if b.strip()]


def read_capped(stream: BinaryIO, origin: Origin) -> bytes:
    """All bytes of a one-article stream, or ReaderError when it is larger than any article."""
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ReaderError(origin.path, f"larger than {MAX_DOCUMENT_BYTES // 2**20} MiB for one article")
    return data


def text_articles(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article from a plain-text stream; its first block becomes the title once cleaning has run."""
    text = decode_bytes(read_capped(stream, origin), origin.path)
    blocks = split_blocks(text)
    if not blocks:
        raise ReaderError(origin.path, "empty file")
    # The title stays empty here: cleaning picks the first block that is not boilerplate.
    yield Article(source_file=origin.name, paragraphs=blocks, source=origin.source, raw_text=text)


def read_text(path: Path, source: str | None = None) -> Iterator[Article]:
    """One Article from a .txt file (kept for callers that read text files directly)."""
    with path.open("rb") as stream:
        yield from text_articles(stream, Origin(path, str(path), source or path.parent.name or None))
