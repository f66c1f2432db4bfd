"""The error readers raise (defined with the rest of the family in newsfacet.errors) and its messages."""

from pathlib import Path

from newsfacet.errors import ReaderError, one_line

BINARY_CONTENT = "binary content in a text file"


def binary_content(path: Path) -> ReaderError:
    """The error for a file that holds NUL bytes where text should be."""
    return ReaderError(path, BINARY_CONTENT)


__all__ = ["BINARY_CONTENT", "ReaderError", "binary_content", "one_line"]
