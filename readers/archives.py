"""Wrappers around dumps: gzip, zip and tar, read member by member as streams, never extracted to disk."""

from __future__ import annotations

import gzip
import io
import re
import struct
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import PurePosixPath
from typing import IO, BinaryIO

from readers.errors import ReaderError
from readers.problems import Origin, require_some
from readers.sniff import inner_name, seekable
from transforms.records import Article

Dispatch = Callable[[BinaryIO, str, Origin], Iterator[Article]]
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
# A zip needs random access; one nested in a tar or gzip stream is buffered in memory up to this size.
MAX_NESTED_ZIP_BYTES = 512 * 1024 * 1024
# Folders that archivers add and that never hold articles.
JUNK_FOLDERS = ("__MACOSX",)


def unsafe_member(name: str) -> bool:
    """True for absolute names and names with '..': written out they would land outside any folder (zip-slip)."""
    posix = name.replace("\\", "/")
    return posix.startswith("/") or bool(WINDOWS_DRIVE.match(posix)) or ".." in PurePosixPath(posix).parts


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p.startswith(".") for p in parts) or (bool(parts) and parts[0] in JUNK_FOLDERS)


def _member(
    name: str, open_member: Callable[[], AbstractContextManager[IO[bytes]]], origin: Origin, dispatch: Dispatch
) -> Iterator[Article]:
    """The articles of one member; a bad member is reported and skipped so the other members are still read."""
    if unsafe_member(name):
        origin.problem(f"member {name}", "unsafe path (absolute or with '..'), not read")
        return
    if _hidden(name):
        return
    try:
        with open_member() as stream:
            yield from dispatch(stream, name, origin.member(name))  # type: ignore[arg-type]
    except ReaderError as exc:
        origin.problem(f"member {name}", exc.reason)
    except (RuntimeError, NotImplementedError) as exc:
        # zipfile's answer to encrypted members and unsupported compression methods
        origin.problem(f"member {name}", str(exc))
    except UnicodeDecodeError:
        # a name flagged UTF-8 that is not (see _utf8_flag_cleared): zipfile refuses to open the member
        origin.problem(f"member {name}", "member name is flagged UTF-8 but is not valid UTF-8; not read")


def read_gzip(stream: BinaryIO, name: str, origin: Origin, dispatch: Dispatch) -> Iterator[Article]:
    """The articles of the one file inside a gzip stream (foo.jsonl.gz is read as foo.jsonl)."""
    with gzip.GzipFile(fileobj=stream, mode="rb") as inner:
        yield from dispatch(inner, inner_name(name), origin.nested())  # type: ignore[arg-type]


def read_zip(stream: BinaryIO, name: str, origin: Origin, dispatch: Dispatch) -> Iterator[Article]:
    """The articles of every member of a zip archive, in archive order."""
    if not seekable(stream):
        data = stream.read(MAX_NESTED_ZIP_BYTES + 1)
        if len(data) > MAX_NESTED_ZIP_BYTES:
            raise ReaderError(origin.path, f"{name}: nested zip larger than {MAX_NESTED_ZIP_BYTES // 2**20} MiB")
        stream = io.BytesIO(data)
    try:
        archive = zipfile.ZipFile(stream)
    except UnicodeDecodeError:
        # One member name flagged UTF-8 holds other bytes, and zipfile refuses the whole archive. Read it
        # again with that flag cleared in the central directory: the other members load, the bad one is reported.
        archive = zipfile.ZipFile(_utf8_flag_cleared(stream))
    with archive:

        def members() -> Iterator[Article]:
            for info in archive.infolist():
                if not info.is_dir():
                    yield from _member(info.filename, lambda info=info: archive.open(info), origin, dispatch)

        yield from require_some(members(), origin, "members in zip", "no readable members in zip")


def read_tar(stream: BinaryIO, name: str, origin: Origin, dispatch: Dispatch) -> Iterator[Article]:
    """The articles of every regular file in a tar archive, read in one forward pass."""
    # "r|*": stream mode, so a .tar.gz is never seeked in or unpacked to disk; links and devices are passed over.
    with tarfile.open(fileobj=stream, mode="r|*") as archive:

        def members() -> Iterator[Article]:
            for info in archive:
                if info.isfile():
                    yield from _member(info.name, lambda info=info: archive.extractfile(info), origin, dispatch)

        yield from require_some(members(), origin, "members in tar", "no readable members in tar")


CENTRAL_HEADER = struct.Struct("<4s4xH18xHHH12x")  # signature, flags, name/extra/comment lengths (46 bytes)
CENTRAL_SIGNATURE = b"PK\x01\x02"
UTF8_NAME_FLAG = 1 << 11


class _Patched(io.RawIOBase):
    """A seekable stream with one byte range replaced by bytes of the same length."""

    def __init__(self, stream: BinaryIO, start: int, patch: bytes) -> None:
        self.stream, self.start, self.patch = stream, start, patch
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.pos = self.stream.seek(offset, whence)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.stream.seek(self.pos)
        data = bytearray(self.stream.read(len(buffer)))
        lo, hi = max(self.pos, self.start), min(self.pos + len(data), self.start + len(self.patch))
        if lo < hi:
            data[lo - self.pos : hi - self.pos] = self.patch[lo - self.start : hi - self.start]
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def _utf8_flag_cleared(stream: BinaryIO) -> BinaryIO:
    """The zip as a stream whose central directory no longer flags invalid UTF-8 names as UTF-8.

    zipfile then decodes those names as cp437, which never fails, and refuses only to open those members
    (their local header still carries the flag), so each is reported and skipped on its own. Only the
    central directory is read into memory, never the members.
    """
    # zipfile's own end-record parser (zip64 and prepended data included); private, but stable for decades
    end = zipfile._EndRecData(stream)
    if not end:
        raise zipfile.BadZipFile("File is not a zip file")
    size = end[zipfile._ECD_SIZE]
    start = end[zipfile._ECD_LOCATION] - size
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    stream.seek(start)
    directory = bytearray(stream.read(size))
    pos = 0
    while pos + CENTRAL_HEADER.size <= len(directory):
        signature, flags, name_len, extra_len, comment_len = CENTRAL_HEADER.unpack_from(directory, pos)
        if signature != CENTRAL_SIGNATURE:
            break
        name = bytes(directory[pos + CENTRAL_HEADER.size : pos + CENTRAL_HEADER.size + name_len])
        if flags & UTF8_NAME_FLAG:
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                struct.pack_into("<H", directory, pos + 8, flags & ~UTF8_NAME_FLAG)
        pos += CENTRAL_HEADER.size + name_len + extra_len + comment_len
    stream.seek(0)
    return io.BufferedReader(_Patched(stream, start, bytes(directory)))  # type: ignore[return-value]
