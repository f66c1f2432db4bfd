"""trim_heap gives freed memory back: the flow relies on it to keep RSS flat over a run."""

import os
import sys
from pathlib import Path

import pytest

from newsfacet.heap import trim_heap


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and needs glibc")
def test_trim_heap_returns_freed_pages_that_malloc_keeps():
    if not trim_heap():
        pytest.skip("no malloc_trim in this C library")
    # 150 MB in 2 KB blocks (above pymalloc's limit, so glibc's malloc holds them); keep every 64th, so
    # the heap cannot shrink from its top and the freed pages stay with malloc until trimmed
    blocks = [bytes(2048) for _ in range(75_000)]
    kept = blocks[::64]
    del blocks
    before = _rss_mb()
    assert trim_heap()
    after = _rss_mb()
    assert len(kept) == 1172
    assert before - after > 50, f"RSS {before:.0f} -> {after:.0f} MB"
