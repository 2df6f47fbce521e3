"""Handing a worker's freed memory back to the system (glibc's ``malloc_trim``).

The one place livegate calls the C library. A worker's live memory stops
growing once its bounded caches are full, but glibc keeps the pages of what
was freed since in the middle of its heaps (answers of about 64 KB, written
and dropped by four threads) and reuses them only in part: measured under
``livegate serve`` on 2026-12-03, a worker whose caches had stopped changing
still grew about 0.7 MB per 10,000 requests, and ``malloc_trim(0)`` then
handed back 9-10 MB at once (docs/performance.md#rss-trim).
:func:`release_free_memory` asks for that; elsewhere (another C library, no
``malloc_trim``) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

__all__ = ["release_free_memory", "supported"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def supported() -> bool:
    """Whether this process's C library can hand freed memory back (glibc)."""
    return _malloc_trim() is not None


def release_free_memory() -> bool:
    """Hand the pages of freed memory back to the system; True if some were (glibc only)."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
