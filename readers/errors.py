"""The one error readers raise: it names the file and says what is wrong with it."""

import json
from pathlib import Path

BINARY_CONTENT = "binary content in a text file"


def one_line(text: str) -> str:
    """The text as is when printable, else JSON-quoted: a file name with a newline cannot split a line."""
    return text if text.isprintable() else json.dumps(text, ensure_ascii=False)


class ReaderError(Exception):
    """A dump file that cannot be read; the run quarantines it and goes on."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{one_line(str(path))}: {one_line(reason)}")
        self.path = path
        self.reason = reason


def binary_content(path: Path) -> ReaderError:
    """The error for a file that holds NUL bytes where text should be."""
    return ReaderError(path, BINARY_CONTENT)
