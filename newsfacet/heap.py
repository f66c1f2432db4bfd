"""Give the C heap's free pages back to the system between chunks."""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


def trim_heap() -> bool:
    """Return freed heap pages to the system (glibc's malloc_trim); False where there is no such call.

    A chunk's frames, documents and NER results are freed once it is loaded, but glibc keeps freed pages
    in its arenas (one per thread that allocated, and enrich runs in threads), so the flow process's RSS
    crept up over a run while no live object grew. A call costs a few milliseconds; the flow makes one
    per chunk.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
