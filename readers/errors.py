"""The one error readers raise (defined with the rest of the family in newsfacet.errors)."""

from newsfacet.errors import ReaderError

__all__ = ["ReaderError"]
