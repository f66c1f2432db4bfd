"""Wrappers around dumps: gzip, zip and tar, read member by member as streams, never extracted to disk."""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import PurePosixPath
from typing import IO, BinaryIO

from readers.errors import ReaderError
from readers.problems import Origin
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


def _counted(articles: Iterator[Article], origin: Origin, what: str) -> Iterator[Article]:
    read = 0
    for article in articles:
        read += 1
        yield article
    if not read:
        raise ReaderError(origin.path, f"no readable {what}")


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
    with zipfile.ZipFile(stream) as archive:

        def members() -> Iterator[Article]:
            for info in archive.infolist():
                if not info.is_dir():
                    yield from _member(info.filename, lambda info=info: archive.open(info), origin, dispatch)

        yield from _counted(members(), origin, "members in zip")


def read_tar(stream: BinaryIO, name: str, origin: Origin, dispatch: Dispatch) -> Iterator[Article]:
    """The articles of every regular file in a tar archive, read in one forward pass."""
    # "r|*": stream mode, so a .tar.gz is never seeked in or unpacked to disk; links and devices are passed over.
    with tarfile.open(fileobj=stream, mode="r|*") as archive:

        def members() -> Iterator[Article]:
            for info in archive:
                if info.isfile():
                    yield from _member(info.name, lambda info=info: archive.extractfile(info), origin, dispatch)

        yield from _counted(members(), origin, "members in tar")
