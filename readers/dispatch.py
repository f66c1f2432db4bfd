"""Route a stream to its format's reader, and turn every low-level failure into one ReaderError."""

from __future__ import annotations

import csv
import gzip
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from warcio.exceptions import ArchiveLoadFailed

from readers.archives import read_gzip, read_tar, read_zip
from readers.errors import ReaderError, binary_content
from readers.html import read_html
from readers.jsonl import read_jsonl
from readers.problems import Origin
from readers.sniff import SUPPORTED_EXTENSIONS, detect, peek
from readers.tabular import read_csv
from readers.text import text_articles
from readers.warc import read_warc
from transforms.records import Article

Reader = Callable[[BinaryIO, Origin], Iterator[Article]]
FORMATS: dict[str, Reader] = {
    "txt": text_articles,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "html": read_html,
    "warc": read_warc,
}
CONTAINERS = {"gzip": read_gzip, "zip": read_zip, "tar": read_tar}
# gzip inside zip inside tar is plausible; deeper than this is a decompression bomb, not a dump.
MAX_DEPTH = 4


def describe(exc: BaseException) -> str:
    """A one-line reason for a low-level read failure."""
    if isinstance(exc, EOFError):
        return "truncated gzip: the compressed data ends before its end marker"
    if isinstance(exc, zlib.error | gzip.BadGzipFile):
        return f"corrupt gzip data: {exc}"
    if isinstance(exc, zipfile.BadZipFile):
        return f"corrupt zip: {exc}"
    if isinstance(exc, tarfile.TarError):
        return f"corrupt or truncated tar: {exc}"
    if isinstance(exc, ArchiveLoadFailed):
        return f"corrupt WARC: {str(exc).splitlines()[0] if str(exc) else 'unreadable record'}"
    if isinstance(exc, csv.Error):
        return f"bad CSV: {exc}"
    if isinstance(exc, UnicodeError):
        return f"undecodable text: {exc.__class__.__name__}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or exc.__class__.__name__
    return str(exc)


READ_ERRORS = (
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    tarfile.TarError,
    ArchiveLoadFailed,
    csv.Error,
    UnicodeError,
)


def read_stream(stream: BinaryIO, name: str, origin: Origin) -> Iterator[Article]:
    """Stream the articles of one file or archive member; raises ReaderError naming origin.path on bad input."""
    try:
        if origin.depth > MAX_DEPTH:
            raise ReaderError(origin.path, f"{name}: archives nested more than {MAX_DEPTH} deep")
        head, stream = peek(stream)
        if not head:
            raise ReaderError(origin.path, "empty file")
        fmt = detect(name, head)
        if fmt == "binary":
            raise binary_content(origin.path)
        if fmt in CONTAINERS:
            yield from CONTAINERS[fmt](stream, name, origin, read_stream)
        elif fmt in FORMATS:
            yield from FORMATS[fmt](stream, origin)
        else:
            suffix = PurePosixPath(name).suffix or "(none)"
            supported = ", ".join(SUPPORTED_EXTENSIONS)
            raise ReaderError(origin.path, f"unsupported file type {suffix}; supported: {supported}")
    except ReaderError:
        raise
    except READ_ERRORS as exc:
        raise ReaderError(origin.path, describe(exc)) from None
