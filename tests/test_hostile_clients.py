"""``livegate serve`` under hostile clients, from this process, on loopback only (issue 12).

- 256 connections that send headers and a trickle of body and 256 that send nothing neither
  slow ``/v1/health`` past 100 ms (p99) nor make an evaluation fail, and the server closes every
  one of them within ``READ_TIMEOUT`` (+ the one-second sweep).
- 16 clients sending profiles of 20 near-miss ids each do not push a concurrent valid request's
  p99 over 50 ms.
- 10,000 requests with distinct cost overrides leave each worker's RSS within +20 % of what it
  was after the first 1,000; ``/v1/health`` reports the answer cache within its byte limit.
- HTTP details: two pipelined requests are both answered; a 413 for a ``Content-Length`` body
  says ``Connection: close`` (and closes); ``Expect: 100-continue`` gets one ``100``; two
  ``X-Request-Id`` headers are not echoed joined.

Every loop is bounded by a count and a time.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from livegate import Knowledge
from livegate.http.config import DEFAULTS

from tests.support.server import EXAMPLES, HOST, ROOT, Server, cpu_seconds, rss_kib, send

READ_TIMEOUT = DEFAULTS["READ_TIMEOUT"]
SWEEP = 1.0
"""The worker looks for connections past their deadline once a second."""
SLOW, IDLE = 256, 256
EXAMPLE = json.loads(EXAMPLES[0].read_bytes())
SLOW_HEAD = b"POST /v1/cheapest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _timed(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, float]:
    started = time.perf_counter()
    status = send(port, method, path, body, "application/json" if body else None, timeout=5)[0]
    return status, time.perf_counter() - started


@pytest.fixture
def running_server():
    """``livegate serve`` as its defaults have it: 2 workers of 2 threads; a fresh one for each
    test that measures (latency, memory, connections)."""
    with Server(workers=2, threads=2) as server:
        yield server


@pytest.fixture(scope="module")
def shared_server():
    """The same, shared by the HTTP details' tests, which each use their own connections."""
    with Server(workers=2, threads=2) as server:
        yield server


# -- rejections ------------------------------------------------------------------------------------
def _near_misses(n: int = 20) -> dict:
    items = sorted(Knowledge.load().catalogue.items)
    return {
        "subject": {"type": "enterprise"},
        "documents": [items[k % len(items)][:-1] + "x" for k in range(n)],
    }


@pytest.mark.slow  # first in the module: the 256 connections below keep the load average up for a minute
def test_16_clients_sending_20_near_miss_ids_do_not_push_a_valid_requests_p99_over_50_ms(running_server, tmp_path):
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    if busy > 1.5:  # a latency bound says nothing on a machine other work keeps saturated
        pytest.skip(f"the machine is busy (load {busy:.1f} per core): p99 not measurable")
    port = running_server.port
    # the pools' other Controls are ground in the background once the server answers: measured
    # meanwhile, the valid request's latency is that grounding's
    assert running_server.settle(), "the workers did not go idle within 30 s of starting"
    body = json.dumps(_near_misses()).encode()
    assert send(port, "POST", "/v1/cheapest", body, "application/json")[0] == 422
    request = tmp_path / "request"
    request.write_bytes(
        b"POST /v1/cheapest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    valid = json.dumps(EXAMPLE).encode()
    assert send(port, "POST", "/v1/cheapest", valid, "application/json")[0] == 200  # answered once, then cached

    flood = subprocess.Popen(
        [sys.executable, "-m", "tests.support.flood", str(port), "16", "30", str(request)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1)  # the flood is under way
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        latencies = []
        for _ in range(300):
            started = time.perf_counter()
            conn.request("POST", "/v1/cheapest", body=valid, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            assert response.status == 200
            time.sleep(0.01)
        conn.close()
    finally:
        flood.terminate()
        out, _ = flood.communicate(timeout=30)
    flooded = json.loads(out) if out.strip() else {}
    assert flooded.get("422", 0) >= 300, f"the flood did not run: {flooded}"
    assert _p99(latencies) <= 0.050, f"p99 {_p99(latencies) * 1000:.0f} ms, while {flooded} rejections"


# -- slow and idle connections ---------------------------------------------------------------------
@pytest.mark.slow
def test_256_slow_and_256_idle_connections_neither_stop_the_service_nor_stay_open(running_server):
    port = running_server.port
    selector = selectors.DefaultSelector()
    opened: dict[socket.socket, float] = {}
    closed: dict[socket.socket, float] = {}
    answers: dict[socket.socket, bytes] = collections.defaultdict(bytes)
    slow = []
    for k in range(SLOW + IDLE):
        s = socket.create_connection((HOST, port), timeout=5)
        if k < SLOW:
            s.sendall(SLOW_HEAD + b'{"sub')
            slow.append(s)
        s.setblocking(False)
        opened[s] = time.monotonic()
        selector.register(s, selectors.EVENT_READ)

    health: list[float] = []
    evaluations: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def probe() -> None:
        body = json.dumps(EXAMPLE).encode()
        for n in range(2000):
            if stop.is_set():
                return
            try:
                status, took = _timed(port, "GET", "/v1/health")
                health.append(took)
                if status != 200:
                    failures.append(f"health {status}")
                if n % 4 == 0:
                    evaluations.append(_timed(port, "POST", "/v1/cheapest", body)[0])
            except OSError as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        deadline = max(opened.values()) + READ_TIMEOUT + SWEEP + 3
        trickle = time.monotonic() + 1
        while len(closed) < len(opened) and time.monotonic() < deadline:
            for key, _ in selector.select(0.05):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    answers[s] += data
                else:
                    closed[s] = time.monotonic()
                    selector.unregister(s)
            if time.monotonic() >= trickle:  # one more byte of body a second on each slow connection
                trickle += 1
                for s in slow:
                    if s not in closed:
                        with contextlib.suppress(OSError):
                            s.send(b"x")
    finally:
        stop.set()
        prober.join(timeout=30)
        for s in opened:
            s.close()

    assert not failures, failures[:10]
    assert len(health) >= 100, f"only {len(health)} health probes answered"
    assert _p99(health) <= 0.100, f"/v1/health p99 {_p99(health) * 1000:.0f} ms over {len(health)} probes"
    assert evaluations and set(evaluations) == {200}, collections.Counter(evaluations)
    assert len(closed) == len(opened), f"{len(opened) - len(closed)} connections still open"
    lasted = [closed[s] - opened[s] for s in opened]
    assert max(lasted) <= READ_TIMEOUT + SWEEP + 0.5, f"a connection lasted {max(lasted):.1f} s"
    assert min(lasted[:SLOW]) >= READ_TIMEOUT - 0.5, "a slow connection was closed before its time"
    assert all(answers[s].startswith(b"HTTP/1.1 408 ") for s in slow), "a slow request was not told 408"
    assert all(b"request_timeout" in answers[s] for s in slow)


# -- memory ----------------------------------------------------------------------------------------
DISTINCT_OVERRIDES = 10_000
FIRST = 1_000


def _override_profiles(n: int) -> list[bytes]:
    """``n`` profiles, each with its own set of cost overrides (none equal to a default)."""
    items = sorted(Knowledge.load().catalogue.items)
    return [json.dumps({**EXAMPLE, "costs": {items[k % len(items)]: 20 + k // len(items)}}).encode() for k in range(n)]


def _run(port: int, bodies: list[bytes], clients: int = 4, per_connection: int = 25) -> collections.Counter:
    """POST ``bodies`` from ``clients`` threads, each opening a new connection every
    ``per_connection`` requests: a kept-alive connection stays with the worker that accepted it,
    and four of them may all land on one worker, leaving the other idle."""
    statuses: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def work(part: list[bytes]) -> None:
        for start in range(0, len(part), per_connection):
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            for body in part[start : start + per_connection]:
                conn.request("POST", "/v1/evaluate", body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses[response.status] += 1
            conn.close()

    threads = [threading.Thread(target=work, args=(bodies[k::clients],)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3600)
    return statuses


@pytest.mark.slow
def test_10000_distinct_override_sets_leave_worker_rss_within_20_percent_of_its_value_after_1000(running_server):
    port = running_server.port
    bodies = _override_profiles(DISTINCT_OVERRIDES)
    assert len(set(bodies)) == DISTINCT_OVERRIDES
    pids = running_server.pids()
    at_start = {pid: cpu_seconds(pid) or 0.0 for pid in pids}
    # own costs are answered by the override grounding made at start-up: nothing is ground per set
    assert _run(port, bodies[:FIRST]) == {200: FIRST}
    after_first = {pid: rss_kib(pid) for pid in pids}
    # the baseline is a worker's memory once it has served its share (a worker that served none
    # would count its answer cache filling as growth): each has worked for a good part of a second
    worked = {pid: (cpu_seconds(pid) or 0.0) - at_start[pid] for pid in pids}
    assert all(seconds >= 0.5 for seconds in worked.values()), f"CPU seconds per worker in the first 1,000: {worked}"
    assert _run(port, bodies[FIRST:]) == {200: DISTINCT_OVERRIDES - FIRST}
    at_end = {pid: rss_kib(pid) for pid in running_server.pids()}
    assert at_end.keys() == after_first.keys(), "a worker was replaced"
    for pid, first in after_first.items():
        assert first and at_end[pid] and at_end[pid] <= first * 1.2, f"worker {pid}: {first} KiB → {at_end[pid]} KiB"
    cache = json.loads(send(port, "GET", "/v1/health")[1])["answer_cache"]
    assert 0 < cache["bytes"] <= cache["limit"] == DEFAULTS["ANSWER_CACHE_BYTES"]
    assert cache["entries"] > 0


# -- HTTP details ----------------------------------------------------------------------------------
def _exchange(port: int, data: bytes, wait: float = 5) -> bytes:
    """Send ``data`` on one connection and read until the server closes it (or ``wait`` s pass)."""
    with socket.create_connection((HOST, port), timeout=wait) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and len(out) < 1_000_000:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            out += chunk
    return out


HEALTH = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
LAST_HEALTH = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def test_pipelined_requests_are_all_answered(shared_server):
    out = _exchange(shared_server.port, HEALTH + HEALTH + LAST_HEALTH)
    assert out.count(b"HTTP/1.1 200 OK") == 3


def test_a_413_for_a_content_length_body_says_close_and_closes(shared_server):
    limit = DEFAULTS["MAX_CONTENT_LENGTH"]
    head = b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
        limit + 1
    )
    started = time.monotonic()
    out = _exchange(shared_server.port, head + b"{" + HEALTH)
    assert out.startswith(b"HTTP/1.1 413 ")
    head_part = out.split(b"\r\n\r\n", 1)[0].lower()
    assert b"connection: close" in head_part and b"keep-alive" not in head_part
    assert out.count(b"HTTP/1.1 ") == 1  # what followed was not read as a request
    assert time.monotonic() - started < 3, "the server waited for the body before closing"


def test_expect_100_continue_gets_one_100_then_the_answer(shared_server):
    body = json.dumps(EXAMPLE).encode()
    head = (
        b"POST /v1/cheapest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    with socket.create_connection((HOST, shared_server.port), timeout=5) as s:
        s.sendall(head)
        assert s.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(body)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    assert out.startswith(b"HTTP/1.1 200 ") and b"100 Continue" not in out


def test_two_request_id_headers_are_not_echoed_joined(shared_server):
    out = _exchange(
        shared_server.port,
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Request-Id: one\r\nX-Request-Id: two\r\nConnection: close\r\n\r\n",
    )
    head = out.split(b"\r\n\r\n", 1)[0].decode().lower()
    request_id = next(line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.startswith("x-request-id:"))
    assert "," not in request_id and request_id not in ("one", "two")


def test_a_head_larger_than_the_limit_is_431_and_closed(shared_server):
    from livegate.http.worker import MAX_HEAD_BYTES

    fields = b"".join(b"X-%d: %s\r\n" % (k, b"a" * 4000) for k in range(MAX_HEAD_BYTES // 4000 + 1))
    out = _exchange(shared_server.port, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + fields)
    assert out.startswith(b"HTTP/1.1 431 ") and b"nosniff" in out


def test_fail_a_request_the_worker_refuses_itself_has_its_line_in_the_access_log():
    """The worker writes 408 and 431 itself, before any app sees the request: the access log, the
    app's, had no line for them, so an operator counting refusals by status found none."""
    from livegate.http.worker import MAX_HEAD_BYTES

    fields = b"".join(b"X-%d: %s\r\n" % (k, b"a" * 4000) for k in range(MAX_HEAD_BYTES // 4000 + 1))
    with Server(workers=1, threads=2, env={"LIVEGATE_READ_TIMEOUT": "1"}, access_log=True) as server:
        big = _exchange(server.port, b"GET /v1/health?x=1 HTTP/1.1\r\nHost: x\r\n" + fields)
        late = _exchange(server.port, b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: 90\r\n\r\n{")
        assert send(server.port, "GET", "/v1/health/live")[0] == 200
        server.stop()
        lines = [json.loads(line) for line in server.stdout_path.read_text().splitlines()]
    assert big.startswith(b"HTTP/1.1 431 ") and late.startswith(b"HTTP/1.1 408 ")
    refused = {line["status"]: line for line in lines if line.get("refused_by") == "server"}
    assert set(refused) == {408, 431}, lines
    assert (refused[431]["method"], refused[431]["path"]) == ("GET", "/v1/health")  # no query, as the app's
    assert (refused[408]["method"], refused[408]["path"]) == ("POST", "/v1/evaluate")
    for status, line in refused.items():
        answer = big if status == 431 else late
        assert line["bytes"] == len(answer) and line["remote"] == HOST and line["request_id"] is None
        assert line["latency_ms"] >= (1000 if status == 408 else 0)
    # the same fields, in the same order, as the app's own lines
    (live,) = [line for line in lines if line.get("path") == "/v1/health/live"]
    assert list(refused[408])[: len(live)] == list(live)


def test_fail_the_access_log_and_metrics_say_how_long_a_request_waited_for_a_thread():
    """The access log's latency starts when a thread takes the request: under overload (every
    thread busy) the log showed fast answers while clients waited. The worker now tells the app
    when the request had arrived whole: ``wait_ms``, and a histogram of it in /metrics."""
    names = ("bank.json", "car_dealer.json", "ecommerce_seller.json")
    bodies = [(ROOT / "examples" / name).read_bytes() for name in names]
    bodies.append(json.dumps({"subject": {"type": "enterprise"}, "costs": {"business_license": 7}}).encode())
    env = {"LIVEGATE_METRICS": "true", "LIVEGATE_ANSWER_CACHE": "0"}
    with Server(workers=1, threads=1, env=env, access_log=True) as server:
        with socket.create_connection((HOST, server.port)) as warm:  # the first answer pays for warming
            warm.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            warm.recv(65536)
        barrier = threading.Barrier(len(bodies))

        def post(body: bytes) -> int:
            barrier.wait()
            return send(server.port, "POST", "/v1/evaluate?lang=en", body, "application/json")[0]

        with ThreadPoolExecutor(len(bodies)) as pool:  # one thread serves them all: each but the first waits
            assert list(pool.map(post, bodies)) == [200] * len(bodies)
        status, metrics, _ = send(server.port, "GET", "/metrics")
        server.stop()
        lines = [json.loads(line) for line in server.stdout_path.read_text().splitlines()]
    evaluations = [line for line in lines if line["path"] == "/v1/evaluate"]
    assert len(evaluations) == len(bodies)
    assert all(isinstance(line["wait_ms"], float) and line["wait_ms"] >= 0 for line in lines)
    quickest = min(line["latency_ms"] for line in evaluations)
    assert max(line["wait_ms"] for line in evaluations) >= quickest  # the last one waited for at least one other
    assert list(lines[0])[:7] == ["time", "request_id", "method", "path", "status", "latency_ms", "wait_ms"]
    count = re.search(rb"^livegate_http_request_wait_seconds_count ([0-9.e+]+)$", metrics, re.M)
    assert status == 200 and count is not None and float(count.group(1)) >= len(bodies) + 1


def _request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _whole_answer(sock: socket.socket) -> bytes:
    """One answer, read as far as its ``Content-Length`` (a closing server may linger before EOF)."""
    sock.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    length = int(re.search(rb"\r\nContent-Length: (\d+)", head, re.I).group(1))
    while len(data) < len(head) + 4 + length and (chunk := sock.recv(65536)):
        data += chunk
    return data


def test_fail_a_saturated_worker_sheds_what_waited_past_queue_timeout_and_still_answers_its_probes():
    """Behind 400 evaluations a liveness probe waited 3 s, at 1,000 connections it timed out, and
    no request was ever refused (an SRE's review): every client was answered seconds late, and the
    orchestrator would have restarted the busiest pod. One thread, ``QUEUE_TIMEOUT`` 1 ms, 40
    evaluations with their own costs sent at once, then the probes: every evaluation is answered
    200 or ``503 overloaded`` with ``Retry-After`` and closed; the probes, which waited behind a
    running evaluation longer than 1 ms, are answered 200; the refusals are counted and logged."""
    env = {"LIVEGATE_QUEUE_TIMEOUT": "0.001", "LIVEGATE_ANSWER_CACHE": "0", "LIVEGATE_METRICS": "true"}
    bodies = _override_profiles(40)
    with Server(workers=1, threads=1, env=env, access_log=True) as server:
        assert send(server.port, "GET", "/v1/health/live")[0] == 200
        socks = [socket.create_connection((HOST, server.port), timeout=30) for _ in range(len(bodies) + 3)]
        for sock, body in zip(socks, bodies, strict=False):
            sock.sendall(_request("POST", "/v1/evaluate", body))
        for sock, path in zip(socks[len(bodies) :], ("/v1/health/live", "/v1/health/ready", "/metrics"), strict=True):
            sock.sendall(_request("GET", path))
        answers = [_whole_answer(sock) for sock in socks]
        for sock in socks:
            sock.close()
        metrics = send(server.port, "GET", "/metrics")[1]
        server.stop()
        lines = [json.loads(line) for line in server.stdout_path.read_text().splitlines()]
    evaluations, probes = answers[: len(bodies)], answers[len(bodies) :]
    assert [a.split(b" ", 2)[1] for a in probes] == [b"200"] * 3
    shed = [a for a in evaluations if a.startswith(b"HTTP/1.1 503 ")]
    assert shed and len(shed) + sum(a.startswith(b"HTTP/1.1 200 ") for a in evaluations) == len(bodies)
    for answer in shed:
        head, body = answer.split(b"\r\n\r\n", 1)
        assert {b"Retry-After: 1", b"Connection: close"} <= set(head.split(b"\r\n"))
        assert json.loads(body)["error"]["code"] == "overloaded"
    refused = [line for line in lines if line.get("refused_by") == "server"]
    assert len(refused) == len(shed)
    assert {(r["status"], r["path"], r["code"]) for r in refused} == {(503, "/v1/evaluate", "overloaded")}
    counted = re.search(rb'^livegate_rejected_requests_total\{code="overloaded"\} ([0-9.e+]+)$', metrics, re.M)
    assert counted is not None and float(counted.group(1)) == len(shed)


def test_the_pages_long_form_without_javascript_is_answered_not_refused_for_its_request_line(shared_server):
    """Without JavaScript the page's GET form sends every field, empty costs too: with every document
    and category ticked its URL was over gunicorn's 4,094-byte request line, a bare English 414 page."""
    cat = Knowledge.load().catalogue
    pairs = [("scenario", ""), ("subject", "other_organization")]
    pairs += [("doc", i) for i in cat.items] + [("cat", c) for c in cat.categories]
    pairs += [(f"cost.{i}", "") for i in cat.items]
    path = "/?" + urllib.parse.urlencode(pairs)
    assert len(path) > 4094 + 500  # gunicorn's default limit of the request line
    status, body, headers = send(shared_server.port, "GET", path)
    assert status == 303, body[:300]  # the page's own answer: the same address without the empty fields
    location = urllib.parse.urlsplit(headers["location"])
    status, body, headers = send(shared_server.port, "GET", f"{location.path}?{location.query}")
    assert status == 200 and headers["content-type"].startswith("text/html"), body[:300]


def test_a_kept_alive_connection_idle_for_4_s_still_takes_the_next_request(shared_server):
    """Idle kept-alive connections were closed after gunicorn's 2 s, not READ_TIMEOUT (10 s) as the
    docs say: behind a proxy that keeps upstream connections longer, the next request met a closed
    connection (a 502)."""
    conn = http.client.HTTPConnection(HOST, shared_server.port, timeout=10)
    try:
        conn.request("GET", "/v1/health")
        first = conn.getresponse()
        first.read()
        assert first.status == 200 and first.getheader("Connection", "").lower() != "close"
        time.sleep(4)
        conn.request("GET", "/v1/health")
        second = conn.getresponse()
        assert second.status == 200
        second.read()
    finally:
        conn.close()


def test_the_worker_frames_what_it_hands_over(shared_server):
    """A chunked body arriving in pieces is answered as a whole."""
    body = json.dumps(EXAMPLE).encode()
    head = (
        b"POST /v1/cheapest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((HOST, shared_server.port), timeout=5) as s:
        s.sendall(head)
        for k in range(0, len(body), 50):
            piece = body[k : k + 50]
            s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            time.sleep(0.005)
        s.sendall(b"0\r\n\r\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    assert out.startswith(b"HTTP/1.1 200 "), out[:200]


# -- found by a hostile client's review (2026-12-05) ---------------------------------------------
CHUNKED_HEAD = (
    b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)


def _first_answer_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sent on ``sock`` within ``seconds`` (up to its first blank line and body)."""
    sock.settimeout(seconds)
    out = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while b"\r\n\r\n" not in out:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
    return out


@pytest.mark.parametrize(
    ("opening", "status"),
    [
        # a chunk announced over the body limit, its data then trickled: answered 413 at once
        (b"10001\r\n ", b"413"),
        # a chunk-size line over 1 KiB, trickled: no thread waits for its end
        (b"1" + b"0" * 1100, b"400"),
    ],
    ids=["chunk_over_the_limit", "chunk_line_too_long"],
)
def test_fail_8_clients_trickling_a_chunked_body_hold_no_thread(running_server, opening, status):
    """Eight connections sending a chunk announced over the limit (or a chunk-size line that never
    ends), then a byte every second, each held a solver thread until they closed (each read waited
    READ_TIMEOUT, the total had no bound): /v1/health and every evaluation timed out meanwhile.
    They are answered at once now, and the service answers the others throughout."""
    port = running_server.port
    clients = [socket.create_connection((HOST, port), timeout=5) for _ in range(8)]
    try:
        for sock in clients:
            sock.sendall(CHUNKED_HEAD + opening)
        answers = [_first_answer_within(sock, 3.0) for sock in clients]
        for _ in range(3):  # the trickle goes on: nothing may wait for it
            for sock in clients:
                with contextlib.suppress(OSError):
                    sock.sendall(b"1")
            status_now, took = _timed(port, "GET", "/v1/health")
            assert status_now == 200 and took < 2.0, took
            time.sleep(1)
        evaluated, took = _timed(port, "POST", "/v1/evaluate", json.dumps(EXAMPLE).encode())
        assert evaluated == 200 and took < 3.0, took
    finally:
        for sock in clients:
            sock.close()
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
        assert b"application/json" in answer


def _answer(port: int, raw: bytes) -> tuple[bytes, dict, float]:
    """Send ``raw`` on its own connection: (status line, the JSON body or {}, seconds taken)."""
    started = time.monotonic()
    out = _exchange(port, raw, wait=8)
    took = time.monotonic() - started
    head, _, body = out.partition(b"\r\n\r\n")
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        parsed = {"not json": body[:200]}
    return head.split(b"\r\n", 1)[0], parsed, took


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n", b"400", "malformed_request"),
        (b"get /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", b"400", "malformed_request"),
        (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", b"400", "malformed_request"),
        (
            b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"400",
            "malformed_request",
        ),
        # a body without a length (a coding after chunked, or none): RFC 9112 says 400
        (b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", b"400", "malformed_request"),
        # a coding gunicorn does not know: 501
        (
            b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br, chunked\r\n\r\n0\r\n\r\n",
            b"501",
            "unsupported_transfer_coding",
        ),
        (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", b"417", "expectation_failed"),
        # lines ended by LF alone waited READ_TIMEOUT (10 s) for a CRLF, then got a misleading 408
        (b"GET /v1/health HTTP/1.1\nHost: x\n\n", b"400", "malformed_request"),
    ],
    ids=["http2_version", "lowercase_method", "obs_fold", "two_lengths", "gzip", "br_chunked", "expect", "bare_lf"],
)
def test_fail_what_gunicorn_s_parser_refuses_is_answered_in_json_at_once(shared_server, raw, status, code):
    """gunicorn's parser answered these with its own English HTML page (a client reading the API's
    error shape could not); a head whose lines end in LF alone was never seen whole."""
    line, body, took = _answer(shared_server.port, raw)
    assert line.startswith(b"HTTP/1.1 " + status), (line, body)
    assert body["error"]["code"] == code and body["error"]["message"], body
    assert took < 3.0


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept-Language": "zh-CN," + ",".join(f"x{k};q=0.1" for k in range(1500))},  # one header of ~9 KB
        {f"X-Extra-{k}": "1" for k in range(150)},  # more than gunicorn's 100
    ],
    ids=["long_header", "many_headers"],
)
def test_fail_a_head_within_32_kib_is_served_whatever_its_headers(shared_server, headers):
    """gunicorn's own limits (a header of 8,190 bytes, 100 headers) answered a 9 KB
    Accept-Language with its English HTML 431; the head's one bound is 32 KiB, in JSON."""
    assert sum(len(k) + len(v) + 4 for k, v in headers.items()) < 32 * 1024
    status, body, _ = send(shared_server.port, "GET", "/v1/health", headers=headers)
    assert status == 200, body[:200]


def test_fail_a_redirect_has_no_link_built_on_the_host_header(shared_server):
    """werkzeug's redirect of a doubled slash had an HTML body linking to http://<Host>/…"""
    status, body, headers = send(shared_server.port, "GET", "//v1//health", headers={"Host": "evil.example"})
    assert status == 308 and headers["location"] == "/v1/health"
    assert b"evil.example" not in body


def test_fail_a_step_of_4301_digits_is_not_a_500(shared_server):
    """Python refuses to convert more than 4,300 digits: ``?step=111…`` was a 500 on the page."""
    status, body, _ = send(shared_server.port, "GET", "/?step=" + "1" * 4301)
    assert status == 200 and b"<html" in body[:500].lower()


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (what it had sent read first): an end of file or a
    reset (it closed with our pipelined requests unread), not a wait."""
    sock.settimeout(0.5)
    try:
        while sock.recv(1 << 20):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def test_fail_8_clients_that_do_not_read_their_answers_hold_no_thread():
    """Eight connections that pipelined evaluations and read nothing (a receive buffer of 1 KiB)
    each held a thread in a blocked write for READ_TIMEOUT at a time: half the probes of a
    2-worker server waited over 3 s, and every timeout logged a 20-line traceback. Answers not
    taken are written by the event loop now; each such connection is closed at READ_TIMEOUT with
    one line in the log."""
    body = (ROOT / "examples" / "ecommerce_seller.json").read_bytes()  # a 73 KB answer
    request = (
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    with Server(workers=2, threads=2, env={"LIVEGATE_READ_TIMEOUT": "4"}) as server:
        port = server.port
        readers = []
        for _ in range(8):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            sock.settimeout(5)
            sock.connect((HOST, port))
            sock.sendall(request * 100)  # 7 MB of answers: more than the kernel's buffers take (4 MB)
            readers.append(sock)
        try:
            took = []
            for _ in range(6):
                status, seconds = _timed(port, "GET", "/v1/health")
                assert status == 200
                took.append(seconds)
                status, seconds = _timed(port, "POST", "/v1/evaluate", body)
                assert status == 200
                took.append(seconds)
                time.sleep(0.25)
            assert max(took) < 1.0, took
            time.sleep(4 + SWEEP + 1)  # READ_TIMEOUT, the sweep, and a margin
            assert all(_closed_by_server(sock) for sock in readers)
        finally:
            for sock in readers:
                sock.close()
        log = server.stderr()
    assert re.search(r"a client \(127\.0\.0\.1\) did not read its answer for 4 s", log)
    assert "Traceback" not in log and "Socket error processing request" not in log


def test_an_answer_over_the_kept_size_is_written_whole_by_its_thread(shared_server):
    """Swagger UI's bundle (over 1 MB, a file gunicorn sends with sendfile) is written by its thread,
    after the headers the worker had kept: byte for byte the installed file."""
    import flask_swagger_ui
    from livegate.http.worker import ANSWER_KEPT_MAX

    bundle = Path(flask_swagger_ui.__file__).parent / "dist" / "swagger-ui-bundle.js"
    assert bundle.stat().st_size > ANSWER_KEPT_MAX
    status, body, _ = send(shared_server.port, "GET", "/docs/swagger-ui-bundle.js")
    assert status == 200 and body == bundle.read_bytes()


def _pipelined(port: int, request: bytes, receive_buffer: int) -> socket.socket:
    """A connection with a receive buffer of ``receive_buffer`` bytes that has sent ``request``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect((HOST, port))
    sock.sendall(request)
    return sock


def test_fail_a_client_that_reads_steadily_is_not_cut_at_read_timeout_and_a_slow_file_reader_is():
    """The event loop closed a connection READ_TIMEOUT after it took over its answer, however the
    client read meanwhile (from the kernel's buffer of its earlier answers: the socket is not
    writable then): one draining 60 pipelined answers was cut after 55. It is closed once it takes
    nothing for READ_TIMEOUT. A client that did not read a Swagger UI file (written by its thread)
    logged a 29-line traceback: one line now."""
    body = (ROOT / "examples" / "ecommerce_seller.json").read_bytes()
    request = (
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    last = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with Server(workers=1, threads=2, env={"LIVEGATE_READ_TIMEOUT": "1"}) as server:
        files = _pipelined(server.port, b"GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\n\r\n", 1024)
        reader = _pipelined(server.port, request * 59 + last, 65536)
        time.sleep(0.6)  # answers pile up unread, in the kernel and in the worker
        received, started = bytearray(), time.monotonic()
        with reader:
            while chunk := reader.recv(65536):  # about 2 MB a second: 4.4 MB take longer than READ_TIMEOUT
                received += chunk
                time.sleep(0.03)
        took = time.monotonic() - started
        time.sleep(1 + SWEEP)  # the file's reader: READ_TIMEOUT and the sweep
        files.close()
        log = server.stderr()
    assert took > 1.5
    assert received.count(b"HTTP/1.1 200 OK") == 60
    assert received.rstrip().endswith(b"}")
    assert "Traceback" not in log and "Socket error processing request" not in log
    assert len(re.findall(r"a client \(127\.0\.0\.1\) did not read its answer for 1 s", log)) == 1  # the file's


def test_fail_clients_far_behind_cost_their_thread_no_wait():
    """A thread waited SEND_WAIT (0.25 s) for every client whose kernel buffer was full before it
    left the rest of the answer to the event loop: 24 clients that pipelined requests and read
    nothing cost a one-thread worker 6 s, and a probe waited behind them (over 5 s). An answer to
    a client with BEHIND bytes of earlier answers unsent is left to the event loop at once (probes
    within 0.04 s here)."""
    request = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"  # 88 KB, cached: little work
    with Server(workers=1, threads=1) as server:
        readers = [_pipelined(server.port, request * 60, 1024) for _ in range(24)]  # 5 MB each
        try:
            took, started = [], time.monotonic()
            while time.monotonic() - started < 4:
                status, seconds = _timed(server.port, "GET", "/v1/health")
                assert status == 200
                took.append(seconds)
                time.sleep(0.3)
            assert max(took) < 2.0, [round(t, 2) for t in took]
        finally:
            for sock in readers:
                sock.close()


def test_fail_a_413_for_a_chunked_body_names_the_body_as_the_app_s_413_does(shared_server):
    """An integrator's review: the 413 the event loop writes for a chunk announced over the limit
    had ``"field": null``, where the app's 413 (a Content-Length over it) says ``"(body)"``, as
    docs/api.md does."""
    limit = DEFAULTS["MAX_CONTENT_LENGTH"]
    head = b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    errors = []
    for raw in (CHUNKED_HEAD + b"%x\r\n" % (limit + 1), head % (limit + 1) + b"{"):
        out = _exchange(shared_server.port, raw)
        assert out.startswith(b"HTTP/1.1 413 "), out[:100]
        errors.append(json.loads(out.split(b"\r\n\r\n", 1)[1])["error"])
    chunked, sized = errors
    assert chunked["code"] == sized["code"] == "body_too_large"
    assert chunked["field"] == sized["field"] == "(body)"
