"""The worker's three lanes (``livegate.http.worker``): the health checks and ``/metrics`` go
first; a request on a connection whose previous answer was a client error waits behind every other
request, one thread at a time serves those, and it rests between two of them as long as the last
one took of its CPU; and a request that waited longer than ``QUEUE_TIMEOUT`` is refused, not
served late.

The lane methods run here on a stand-in for gunicorn's worker: its thread pool is a list run by
hand (for the order) or a real pool (for the races), and ``handle`` records what it served. The
same methods under ``livegate serve`` are measured by the near-miss test of
``test_hostile_clients.py``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from livegate.http.worker import BufferingWorker


class _Deferred:
    def defer(self, callback, *args):
        callback(*args)


class _ByHand:
    """A thread pool whose tasks run when the test says."""

    def __init__(self):
        self.tasks: list = []

    def submit(self, task):
        self.tasks.append(task)

    def run_all(self):
        while self.tasks:
            self.tasks.pop(0)()


class _Worker:
    _dispatch = BufferingWorker._dispatch
    _serve_next = BufferingWorker._serve_next
    _run = BufferingWorker._run
    _shed = BufferingWorker._shed

    def __init__(self, pool, handle):
        self.lanes = (deque(), deque(), deque())
        self.queue_timeout = 1.0
        self.refusals: list = []
        self.lanes_lock = threading.Lock()
        self.serving_refused = False
        self.method_queue = _Deferred()
        self.tpool = pool
        self.handle = handle
        self.finished: list = []

    def finish_request(self, conn, future):
        self.finished.append((conn.name, future.result()))

    def _refusal(self, status, code, said, method, path, latency_ms, addr, field=None, retry_after=None):
        self.refusals.append((status, code, method, path, retry_after, str(said)))
        return b"refused"


class _Socket:
    def __init__(self):
        self.sent = b""

    def setblocking(self, flag):
        pass

    def sendall(self, data):
        self.sent += data


def _conn(name: str, refused: bool, probe: bool = False, waited: float = 0.0) -> SimpleNamespace:
    return SimpleNamespace(
        name=name,
        livegate_refused=refused,
        livegate_probe=probe,
        livegate_ready=time.perf_counter() - waited,
        livegate_line=("GET" if probe else "POST", "/v1/health/live" if probe else "/v1/evaluate"),
        client=("127.0.0.1", 5000),
        sock=_Socket(),
    )


def test_requests_on_refused_connections_are_served_after_the_others_in_arrival_order():
    served: list[str] = []
    pool = _ByHand()
    worker = _Worker(pool, lambda conn: served.append(conn.name) or True)
    for name, refused in [("r1", True), ("a", False), ("r2", True), ("b", False), ("r3", True), ("c", False)]:
        worker._dispatch(_conn(name, refused))
    assert len(pool.tasks) == 6, "one task per request"
    pool.run_all()
    assert served == ["a", "b", "c", "r1", "r2", "r3"]
    assert sorted(worker.finished) == sorted((name, True) for name in served), "every request reached finish_request"
    assert not worker.serving_refused


def test_a_request_that_raises_reaches_finish_request_with_its_exception():
    pool = _ByHand()

    def handle(conn):
        raise OSError("reset by peer")

    worker = _Worker(pool, handle)
    outcomes = []
    worker.finish_request = lambda conn, future: outcomes.append(type(future.exception()))
    worker._dispatch(_conn("x", True))
    worker._dispatch(_conn("y", False))
    pool.run_all()
    assert outcomes == [OSError, OSError]
    assert not worker.serving_refused, "the refused lane is free again after a request that raised"


def test_one_thread_at_a_time_serves_the_refused_lane_and_no_request_is_left_behind():
    """Eight clients dispatch 250 requests each, a third refused and the last 50 all refused, to
    four threads: every request is served, and never two refused ones at once."""
    rng = random.Random(2026)
    lock = threading.Lock()
    busy = {"now": 0, "most": 0}

    def handle(conn):
        if conn.livegate_refused:
            with lock:
                busy["now"] += 1
                busy["most"] = max(busy["most"], busy["now"])
        time.sleep(rng.random() / 2000)
        if conn.livegate_refused:
            with lock:
                busy["now"] -= 1
        return True

    with ThreadPoolExecutor(max_workers=4) as pool:
        worker = _Worker(pool, handle)
        dispatch_lock = threading.Lock()  # gunicorn dispatches from its one event-loop thread

        def client(k: int) -> None:
            for n in range(250):
                with dispatch_lock:
                    worker._dispatch(_conn(f"{k}-{n}", (k + n) % 3 == 0 or n >= 200))
                time.sleep(rng.random() / 5000)

        clients = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(timeout=60)
        deadline = time.monotonic() + 60
        while len(worker.finished) < 2000 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(worker.finished) == 2000, f"{2000 - len(worker.finished)} requests were never served"
    assert busy["most"] == 1, f"{busy['most']} threads served the refused lane at once"
    assert not any(worker.lanes) and not worker.serving_refused


def test_the_refused_lane_rests_as_long_as_each_request_took_of_its_cpu():
    pool = _ByHand()
    spent: list[float] = []

    def handle(conn):  # 5 ms of this thread's CPU
        started = time.thread_time()
        while time.thread_time() - started < 0.005:
            pass
        spent.append(time.thread_time() - started)
        return True

    worker = _Worker(pool, handle)
    for n in range(10):
        worker._dispatch(_conn(str(n), True))
    started = time.monotonic()
    pool.run_all()
    took = time.monotonic() - started
    # nine rests (none after the last), each at least the CPU its request took
    assert took >= sum(spent) + sum(spent[:-1]), f"{took * 1000:.1f} ms for {sum(spent) * 1000:.1f} ms of work"
    assert len(worker.finished) == 10


def test_probes_are_served_before_every_waiting_request():
    """A liveness probe behind 400 evaluations waited 3 s, and at 1,000 connections timed out (an
    SRE's review): the orchestrator would restart the busiest pod. Probes now lead."""
    served: list[str] = []
    pool = _ByHand()
    worker = _Worker(pool, lambda conn: served.append(conn.name) or True)
    for name, refused, probe in [
        ("r1", True, False),
        ("a", False, False),
        ("live", False, True),
        ("b", False, False),
        ("ready-after-a-4xx", True, True),
    ]:
        worker._dispatch(_conn(name, refused, probe))
    pool.run_all()
    assert served == ["live", "ready-after-a-4xx", "a", "b", "r1"]


def test_a_request_that_waited_past_queue_timeout_is_refused_at_once_and_its_connection_closed():
    served: list[str] = []
    pool = _ByHand()
    worker = _Worker(pool, lambda conn: served.append(conn.name) or True)
    late, fresh, late_4xx, late_probe = (
        _conn("late", False, waited=1.5),
        _conn("fresh", False),
        _conn("late-4xx", True, waited=3.0),
        _conn("late-probe", False, probe=True, waited=5.0),
    )
    for conn in (late, fresh, late_4xx, late_probe):
        worker._dispatch(conn)
    pool.run_all()
    assert served == ["late-probe", "fresh"], "a probe is never refused for waiting"
    assert sorted(worker.finished) == sorted(
        [("late-probe", True), ("late", False), ("fresh", True), ("late-4xx", False)]
    ), "a refused request's connection is closed (False: no keep-alive)"
    assert [(r[0], r[1], r[3], r[4]) for r in worker.refusals] == [
        (503, "overloaded", "/v1/evaluate", 1),
        (503, "overloaded", "/v1/evaluate", 1),
    ]
    assert "LIVEGATE_QUEUE_TIMEOUT" in worker.refusals[0][5]
    assert late.sock.sent == b"refused" and late_4xx.sock.sent == b"refused" and fresh.sock.sent == b""
