"""etl.pipeline.memory: freed memory given back between the stages of a build."""

from __future__ import annotations

import sys

import pytest

from etl.pipeline import memory


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_trim_gives_the_freed_heap_back() -> None:
    blocks = [bytes(2000) + bytes([n % 256]) for n in range(100_000)]  # 200 MB of malloc'd blocks
    keep = bytes(2000) + b"!"  # allocated last: the top of the heap stays in use
    del blocks
    freed = rss_mib()  # free, but still the process's
    memory.trim()
    assert rss_mib() < freed - 100
    assert keep.endswith(b"!")
