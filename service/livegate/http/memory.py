"""A worker's memory: what it keeps for life out of the cyclic collector's walks
(:func:`keep_start_up`), and what it freed handed back to the system (glibc's
``malloc_trim``, :func:`release_free_memory`).

Python's cyclic garbage collector walks every object it tracks in a full
collection, holding the GIL: a worker's start-up leaves about 50,000 of them
(the catalogue, the Controls' tables, Flask, pydantic's models), which never
become garbage. Measured on 2026-12-04, the app answering 3,000 realistic
profiles in one process: one full collection, 37 ms, during which no request
of the worker moves; with the start-up's objects frozen (``gc.freeze``), 4.6 ms.

This module is also the one place livegate calls the C library. A worker's live memory stops
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
import gc
from collections.abc import Callable

__all__ = ["keep_start_up", "release_free_memory", "supported"]


def keep_start_up() -> None:
    """Collect what start-up left as garbage, then keep everything alive now out of every later
    collection (``gc.freeze``). Call once, before the first request: what a request holds while
    it is frozen would never be collected if it became part of a reference cycle."""
    gc.collect()
    gc.freeze()


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
