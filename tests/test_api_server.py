"""``livegate serve`` for real: gunicorn on a free loopback port, spoken to over HTTP.

Each test starts the server as a user would (``python -m livegate serve``),
waits until ``/v1/health`` answers, sends real requests with urllib, then stops
it by a signal and checks that the master and its workers are gone and the
exit status is 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "bank.json"
BOOT_SECONDS = 30
STOP_SECONDS = 20


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(url: str, body=None, headers: dict[str, str] | None = None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def server(tmp_path):
    """A running ``livegate serve`` (2 workers) and what it writes; stopped by the test."""
    port = _free_port()
    out, err = open(tmp_path / "stdout", "wb"), open(tmp_path / "stderr", "wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEGATE_")}
    env["LIVEGATE_DECISION_LOG"] = str(tmp_path / "decisions.jsonl")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livegate",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        stdout=out,
        stderr=err,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + BOOT_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"livegate serve exited with {proc.returncode}:\n{(tmp_path / 'stderr').read_text()}")
            try:
                if _http(base + "/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("livegate serve did not answer /v1/health in time")
            time.sleep(0.1)
        yield proc, base, tmp_path
    finally:
        if proc.poll() is None:  # the test failed before stopping it
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()
        err.close()


@pytest.mark.parametrize(
    ("sig", "to_group"),
    [
        pytest.param(signal.SIGTERM, False, id="sigterm_to_the_master"),
        pytest.param(signal.SIGINT, True, id="ctrl_c_to_the_process_group"),
    ],
)
def test_serve_answers_over_http_and_stops_cleanly_on_a_signal(server, sig, to_group):
    proc, base, files = server

    status, headers, body = _http(
        base + "/v1/evaluate", EXAMPLE.read_bytes(), {"Content-Type": "application/json", "X-Request-Id": "over-http-1"}
    )
    assert status == 200
    answer = json.loads(body)
    assert answer["eligible"] and answer["cheapest"]["cost"] == 0
    assert headers["X-Request-Id"] == "over-http-1"
    assert headers["X-Ruleset-Digest"] == answer["ruleset"]["digest"]

    status, headers, body = _http(base + "/v1/evaluate", b'{"subject": ', {"Content-Type": "application/json"})
    assert (status, headers["Content-Type"]) == (400, "application/json")
    assert json.loads(body)["error"]["code"] == "malformed_json"

    chunks = [EXAMPLE.read_bytes()] + [b" " * 8192] * 10  # chunked: no Content-Length, 80 KiB in all
    status, _, body = _http(base + "/v1/evaluate", iter(chunks), {"Content-Type": "application/json"})
    assert (status, json.loads(body)["error"]["code"]) == (413, "body_too_large")

    status, headers, _ = _http(base + "/v1/catalogue")
    assert status == 200
    assert _http(base + "/v1/catalogue", headers={"If-None-Match": headers["ETag"]})[0] == 304
    status, headers, body = _http(base + "/docs/")
    assert (status, headers.get_content_type()) == (200, "text/html")

    (os.killpg if to_group else os.kill)(proc.pid, sig)
    assert proc.wait(timeout=STOP_SECONDS) == 0
    deadline = time.monotonic() + 5
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(proc.pid), "a worker outlived the master"

    stderr = (files / "stderr").read_text()
    assert "Shutting down: Master" in stderr
    assert "Traceback" not in stderr
    access = [json.loads(line) for line in (files / "stdout").read_text().splitlines()]
    assert {"request_id": "over-http-1", "status": 200, "path": "/v1/evaluate"}.items() <= access[-6].items()
    assert [a["status"] for a in access[-6:]] == [200, 400, 413, 200, 304, 200]
    decisions = [json.loads(line) for line in (files / "decisions.jsonl").read_text().splitlines()]
    assert [d["decision_id"] for d in decisions] == [answer["decision_id"]]
    assert decisions[0]["profile"] == json.loads(EXAMPLE.read_text())
