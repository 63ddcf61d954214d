"""Freed memory given back to the system between the stages of a build.

A build's peak memory is the sum over its processes. glibc's allocator keeps what a stage freed (an
FTS rebuild's hash of terms, an index sort, a map of ids) for the process to reuse, so a process
that is done with a large stage still counts it: ``trim`` returns those pages (``malloc_trim``,
which also releases free pages inside the heap, not only at its top). Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def trim() -> None:
    """Return the C heap's free pages to the system (a few milliseconds for a heap of hundreds of MB)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
