"""Which reader a stream needs: the first bytes decide when they are telling, the name otherwise."""

from __future__ import annotations

import gzip
import io
import re
from typing import BinaryIO

from readers.encoding import SNIFF_BYTES, looks_binary

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or the end record of an empty archive
WARC_MAGIC = b"WARC/1."
TAR_MAGIC_OFFSET = 257  # "ustar" sits in the header block, not at the start
# An optional BOM, comments or an XML prolog, then a doctype or <html> tag.
HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
# A JSON object per line, or a Scrapy-style array with one object per line; '{"' so prose starting with "{" is not JSON.
JSONL_START = re.compile(rb'^(?:\xef\xbb\xbf)?\s*(?:\[\s*)?\{\s*"')

EXTENSIONS = {
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".html": "html",
    ".htm": "html",
    ".warc": "warc",
    ".gz": "gzip",
    ".tgz": "gzip",
    ".zip": "zip",
    ".tar": "tar",
}
# Two-part extensions that name a format of their own; with EXTENSIONS, every name a dump may carry.
COMPOUND_EXTENSIONS = {".warc.gz": "warc", ".tar.gz": "gzip"}
SUPPORTED_EXTENSIONS = tuple(sorted({*EXTENSIONS, *COMPOUND_EXTENSIONS}))
TEXT_FORMATS = ("txt", "jsonl", "csv", "html")


def format_from_name(name: str) -> str | None:
    """The format a file name claims ('warc' for .warc.gz: warcio reads compressed WARCs itself)."""
    lower = name.lower()
    if lower.endswith(".warc.gz"):
        return COMPOUND_EXTENSIONS[".warc.gz"]
    dot = lower.rfind(".")
    return EXTENSIONS.get(lower[dot:]) if dot > lower.rfind("/") else None


def inner_name(name: str) -> str:
    """The name inside a gzip layer: foo.jsonl.gz -> foo.jsonl, foo.tgz -> foo.tar."""
    lower = name.lower()
    if lower.endswith(".tgz"):
        return name[:-4] + ".tar"
    return name[:-3] if lower.endswith(".gz") else name


def is_supported(name: str) -> bool:
    """True for names discover() should pick up: a known extension, or foo.<known>.gz / bare foo.gz."""
    fmt = format_from_name(name)
    if fmt != "gzip":
        return fmt is not None
    inner = inner_name(name)
    return inner.rfind(".") <= inner.rfind("/") or format_from_name(inner) not in (None, "gzip")


def detect(name: str, head: bytes) -> str | None:
    """The format of a stream from its first bytes and its name; None when neither tells."""
    if head.startswith(GZIP_MAGIC):
        # .warc.gz goes to warcio whole; any other gzip is unwrapped and its content sniffed again
        return "warc" if format_from_name(name) == "warc" else "gzip"
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(WARC_MAGIC):
        return "warc"
    if head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar":
        return "tar"
    if looks_binary(head):
        return "binary"
    if HTML_START.match(head):
        return "html"
    if JSONL_START.match(head):
        return "jsonl"
    claimed = format_from_name(name)
    if claimed in TEXT_FORMATS:
        return claimed
    # No extension at all (often so inside archives): plain text is the one format left.
    base = name.rsplit("/", 1)[-1]
    return "txt" if "." not in base.lstrip(".") else None


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with its already-read head put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def seekable(stream: BinaryIO) -> bool:
    """True when the stream can seek; tar members read in stream mode raise instead of saying no."""
    if isinstance(stream, gzip.GzipFile):
        # GzipFile always says yes, but rewinding seeks the file under it, which a tar member cannot do.
        return seekable(stream.fileobj)  # type: ignore[arg-type]
    try:
        return stream.seekable()
    except (AttributeError, OSError):
        return False


def peek(stream: BinaryIO, size: int = SNIFF_BYTES) -> tuple[bytes, BinaryIO]:
    """The first `size` bytes of a stream, and a stream that still starts at them."""
    if seekable(stream):
        start = stream.tell()
        head = stream.read(size)
        stream.seek(start)
        return head, stream
    head = stream.read(size)
    return head, io.BufferedReader(_Prefixed(head, stream))  # type: ignore[return-value]
