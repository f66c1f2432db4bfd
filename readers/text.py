"""Plain-text dumps: one article per file, a title line, then paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from readers.encoding import decode_bytes
from readers.errors import ReaderError
from readers.problems import Origin, mib
from transforms.records import Article

BLANK_LINES = re.compile(r"\n\s*\n")


def split_blocks(text: str) -> list[str]:
    """Paragraphs separated by blank lines; one per line when the file has no blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = BLANK_LINES.split(text) if BLANK_LINES.search(text) else text.split("\n")
    return [b.strip() for b in blocks if b.strip()]


def read_capped(stream: BinaryIO, origin: Origin) -> bytes:
    """All bytes of a one-article stream, or ReaderError when it is over the record cap."""
    data = stream.read(origin.limit + 1)
    if len(data) > origin.limit:
        raise ReaderError(origin.path, f"larger than the {mib(origin.limit)} record cap for one article")
    return data


def text_articles(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article from a plain-text stream; its first block becomes the title once cleaning has run."""
    text = decode_bytes(read_capped(stream, origin), origin.path)
    blocks = split_blocks(text)
    if not blocks:
        raise ReaderError(origin.path, "empty file")
    # The title stays empty here: cleaning picks the first block that is not boilerplate.
    yield Article(source_file=origin.name, paragraphs=blocks, source=origin.source, raw_text=text)
