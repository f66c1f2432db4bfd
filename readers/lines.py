"""Lines of a dump read in bounded pieces: a line longer than the record cap is skipped as a stream,
never held whole, so one 1 GB line costs no more memory than a short one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

BLOCK_BYTES = 1 << 16
LF = re.compile(rb"\n")
# CSV/TSV exports mix CRLF, LF and old Mac CR endings; JSON Lines ends records with LF only.
ANY_LINE_END = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line over the cap, already skipped; size is its length in bytes."""

    size: int


def split_lines(stream: BinaryIO, limit: int, *, universal: bool = False) -> Iterator[bytes | LongLine]:
    """Each line of the stream without its line end, or a LongLine for one longer than `limit` bytes.

    universal: CR and CRLF end lines too (a CRLF split across two reads is still one line end).
    """
    ends = ANY_LINE_END if universal else LF
    pieces: list[bytes] = []
    size = 0
    skipping = False  # inside an over-long line: count its bytes, keep none
    after_cr = False  # the previous block ended in CR: a LF opening this one belongs to it
    while block := stream.read(BLOCK_BYTES):
        if after_cr and block.startswith(b"\n"):
            block = block[1:]
        after_cr = universal and block.endswith(b"\r")
        start = 0
        for match in ends.finditer(block):
            piece = block[start : match.start()]
            start = match.end()
            if skipping or size + len(piece) > limit:
                yield LongLine(size + len(piece))
            else:
                yield b"".join((*pieces, piece)) if pieces else piece
            pieces, size, skipping = [], 0, False
        rest = block[start:]
        size += len(rest)
        if skipping:
            continue
        if size > limit:
            pieces, skipping = [], True
        elif rest:
            pieces.append(rest)
    if skipping:
        yield LongLine(size)
    elif pieces:
        yield b"".join(pieces)
