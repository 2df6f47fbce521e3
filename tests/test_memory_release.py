"""Handing freed memory back (``livegate.http.memory``) and when the worker does it.

A worker's live memory is flat once its caches are full, but glibc keeps the pages of what
four threads freed since, so its resident size kept growing (docs/performance.md#rss-trim).
"""

from __future__ import annotations

import gc
import socket
import threading
import weakref
from types import SimpleNamespace

import pytest
from livegate.http import memory, worker
from livegate.http.worker import TRIM_INTERVAL, BufferingWorker


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not memory.supported(), reason="the C library has no malloc_trim (not glibc)")
def test_freed_memory_that_glibc_keeps_is_handed_back():
    """Answers' worth of 64 KB blocks, written by a thread and freed, with small blocks kept between
    them (as the caches keep theirs): glibc holds their pages; the call returns most of them."""
    kept: list[bytes] = []
    freed: list[bytes] = []

    def write() -> None:
        for k in range(1600):  # 100 MiB in 64 KiB blocks, each followed by a small block that stays
            freed.append(bytes([k % 251]) * 65_000)
            kept.append(bytes([k % 13]) * 1000)  # over 512 bytes: from malloc, between the large ones

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    freed.clear()
    held = _rss_kib()
    assert memory.release_free_memory() is True
    after = _rss_kib()
    assert held - after >= 50 * 1024, f"RSS {held} KiB → {after} KiB: under 50 MiB handed back"
    assert len(kept) == 1600  # what is still held stays


class _Worker:
    _trim_if_due = BufferingWorker._trim_if_due

    def __init__(self) -> None:
        self.served_since_trim = False
        self.next_trim = TRIM_INTERVAL


def test_the_worker_hands_memory_back_every_interval_in_which_it_answered(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(worker, "release_free_memory", lambda: calls.append(1) or True)
    w = _Worker()
    w.served_since_trim = True
    w._trim_if_due(TRIM_INTERVAL - 0.1)  # not yet due
    assert calls == []
    w._trim_if_due(TRIM_INTERVAL)
    assert calls == [1] and not w.served_since_trim and w.next_trim == 2 * TRIM_INTERVAL
    w._trim_if_due(2 * TRIM_INTERVAL + 1)  # due, but nothing answered since: idle, nothing freed
    assert calls == [1] and w.next_trim == 3 * TRIM_INTERVAL + 1
    w.served_since_trim = True
    w._trim_if_due(3 * TRIM_INTERVAL)  # answered, but not due
    assert calls == [1]
    w._trim_if_due(3 * TRIM_INTERVAL + 1)
    assert calls == [1, 1]


def test_a_request_marks_the_worker_as_having_answered(monkeypatch):
    """``handle_request`` sets the mark the schedule reads (gunicorn's own handling stubbed)."""
    monkeypatch.setattr(worker.ThreadWorker, "handle_request", lambda self, req, conn: True)
    w = BufferingWorker.__new__(BufferingWorker)  # no gunicorn set-up: only what handle_request reads
    w.served_since_trim, w.answered = False, threading.local()
    ours, theirs = socket.socketpair()  # the connection's socket (an answer of nothing is sent at once)
    with worker._timed(ours, 1.0) as timed, theirs:
        assert w.handle_request(SimpleNamespace(), SimpleNamespace(sock=timed)) is True
    assert w.served_since_trim is True


class _Node:
    me: _Node


def test_start_up_garbage_is_collected_and_what_lives_is_kept_out_of_later_collections():
    """A reference cycle that is garbage at start-up is freed first (frozen, it would be kept for
    life); what is alive is then out of the generations a collection walks."""
    garbage, alive = _Node(), _Node()
    garbage.me, alive.me = garbage, alive
    dead = weakref.ref(garbage)
    del garbage
    try:
        memory.keep_start_up()
        assert dead() is None
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(o is alive for o in gc.get_objects())


def test_a_served_worker_keeps_its_start_up_out_of_the_collector_before_its_first_request(tmp_path):
    from livegate.cli.serve import LivegateServer

    server = LivegateServer({}, {"RUN_DIR": str(tmp_path)}, run_dir=tmp_path)
    gc.unfreeze()
    try:
        app = server.load()
        frozen = gc.get_freeze_count()
        engine = app.extensions["livegate.decisions"].engine
        assert frozen > 10_000  # the app and its engine: tens of thousands of objects
        assert not any(o is engine for o in gc.get_objects())
    finally:
        gc.unfreeze()
