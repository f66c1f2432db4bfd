"""Bytes to text: UTF-8 where it is, cp1252 for stray bytes, detection otherwise."""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import CharsetMatch, from_bytes

from readers.errors import ReaderError, binary_content

SNIFF_BYTES = 8192
# surrogateescape turns each undecodable byte into one of these code points
ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# Share of undecodable bytes up to which a file counts as UTF-8 with a few strays.
MAX_STRAY_RATIO = 0.01
WESTERN = ("cp1252", "latin_1", "iso8859_15")


def looks_binary(data: bytes) -> bool:
    """True when the head of the data holds NUL bytes, which no text dump does."""
    return b"\x00" in data[:SNIFF_BYTES]


def _stray_to_cp1252(match: re.Match[str]) -> str:
    # A stray Latin-1/cp1252 byte such as 0xA3 in a UTF-8 file is almost always "£", not noise.
    return bytes([ord(match.group()) - 0xDC00]).decode("cp1252", errors="replace")


def _utf8_with_strays(data: bytes) -> str | None:
    """The data as UTF-8 with stray bytes read as cp1252, or None when too many bytes are not UTF-8."""
    text = data.decode("utf-8", errors="surrogateescape")
    strays = len(ESCAPED_BYTE.findall(text))
    if strays <= max(4, int(len(data) * MAX_STRAY_RATIO)):
        return ESCAPED_BYTE.sub(_stray_to_cp1252, text)
    return None


def _detect(data: bytes, path: Path) -> CharsetMatch:
    matches = list(from_bytes(data))
    if not matches:
        raise ReaderError(path, "cannot detect the text encoding")
    # On short texts detection often ties; for English news the Western code pages are likelier.
    least_chaos = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= least_chaos]
    return next((m for m in tied if m.encoding in WESTERN), tied[0])


def decode_bytes(data: bytes, path: Path) -> str:
    """Decode a dump's bytes to text, or raise ReaderError naming the file if they are not text."""
    if looks_binary(data):
        raise binary_content(path)
    data = data.removeprefix(codecs.BOM_UTF8)
    text = _utf8_with_strays(data)
    return text if text is not None else str(_detect(data, path))


class LineDecoder:
    """Decodes a line-oriented dump line by line with decode_bytes' rules, so the file is never held whole.

    Once a line needs detection, the detected encoding is kept for the rest of the file: a file is
    in one encoding, and detecting every line again would be slow and could flip between guesses.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.encoding: str | None = None

    def decode(self, line: bytes) -> str:
        """One line as text; raises ReaderError for binary content."""
        if line.isascii() and b"\x00" not in line:
            return line.decode("ascii")  # the common case, without the stray-byte scan
        if looks_binary(line):
            raise binary_content(self.path)
        line = line.removeprefix(codecs.BOM_UTF8)
        if self.encoding is not None:
            return line.decode(self.encoding, errors="replace")
        text = _utf8_with_strays(line)
        if text is not None:
            return text
        match = _detect(line, self.path)
        self.encoding = match.encoding
        return str(match)


class RecordTooLong(Exception):
    """One record of a streamed document passed the record cap."""


class Utf8Stream(io.RawIOBase):
    """A dump's bytes re-encoded to UTF-8 block by block with decode_bytes' rules, for a streaming parser.

    The encoding is settled from the head of the stream. `mark()` starts a record; reading more than
    `limit` bytes past the mark raises RecordTooLong, so one record can never fill memory.
    """

    def __init__(self, stream: BinaryIO, head: bytes, path: Path, limit: int) -> None:
        if looks_binary(head):
            raise binary_content(path)
        body = head.removeprefix(codecs.BOM_UTF8)
        self.utf8 = _utf8_with_strays(body) is not None
        encoding = "utf-8-sig" if self.utf8 else _detect(body, path).encoding
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape" if self.utf8 else "replace")
        self.stream, self.limit = stream, limit
        self.pending = b""
        self.consumed = self.start = 0

    def readable(self) -> bool:
        return True

    def mark(self) -> None:
        """A new record starts here."""
        self.start = self.consumed

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending:
            data = self.stream.read(SNIFF_BYTES * 8)
            text = self.decoder.decode(data, final=not data)
            if self.utf8:
                text = ESCAPED_BYTE.sub(_stray_to_cp1252, text)
            self.pending = text.encode("utf-8")
            if not data:
                break
        if self.consumed - self.start > self.limit:
            raise RecordTooLong(self.consumed - self.start)
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        self.consumed += n
        return n
