"""A real ``livegate serve`` for tests and the load tool: started on a free loopback
port in its own process group, stopped (SIGTERM, then SIGKILL of the group) when
the ``with`` block ends; and ``send``, one raw HTTP request.

Every loop is bounded by a count and a time; no address but 127.0.0.1 is used.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
"""The only address a server is started on or spoken to."""
ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
BOOT_SECONDS = 60
STOP_SECONDS = 20
REQUEST_SECONDS = 30
DECISION_ID = re.compile(rb'"decision_id":"[0-9a-f-]{36}"')


# -- the server ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def worker_pids(master: int) -> set[int]:
    """The pids whose parent is ``master`` (gunicorn's workers), read from ``/proc``."""
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name (field 2) is in parentheses and may hold spaces: split after it
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[1]) == master:
            pids.add(int(entry))
    return pids


def rss_kib(pid: int) -> int | None:
    """``VmRSS`` of a process in KiB, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used, in seconds, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerError(RuntimeError):
    """The server did not start, or did not stop."""


class Server:
    """``livegate serve`` on a free loopback port, in its own process group; a context manager.

    ``options`` are more command-line options of ``serve`` (``--timeout``, …);
    ``top`` go before the command (``--facts``, ``--logic``); ``port`` is known before it starts
    if given (else a free one is chosen at start). Its stdout (the
    access log) is dropped unless ``access_log`` is True; stderr goes to a file.
    """

    def __init__(
        self,
        *,
        workers: int = 2,
        threads: int = 4,
        options: list[str] | None = None,
        top: list[str] | None = None,
        env: dict[str, str] | None = None,
        access_log: bool = False,
        port: int = 0,
    ):
        self.workers, self.threads = workers, threads
        self.options, self.top = list(options or []), list(top or [])
        self.extra_env = dict(env or {})
        self.access_log = access_log
        self.port = port  # 0: a free one, chosen at start
        self.proc: subprocess.Popen | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="livegate-serve-")
        self.stderr_path = Path(self._dir.name) / "stderr"
        self.stdout_path = Path(self._dir.name) / "stdout"
        self.returncode: int | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> None:
        self.port = self.port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEGATE_")}
        env.update(self.extra_env)
        command = [
            sys.executable,
            "-m",
            "livegate",
            *self.top,
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            *self.options,
        ]
        with (
            open(self.stderr_path, "wb") as err,
            open(self.stdout_path if self.access_log else os.devnull, "wb") as out,
        ):
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, start_new_session=True
            )
        deadline = time.monotonic() + BOOT_SECONDS
        try:
            while True:
                if self.proc.poll() is not None:
                    raise ServerError(f"livegate serve exited with {self.proc.returncode}:\n{self.stderr()}")
                try:
                    ready = send(self.port, "GET", "/v1/health", timeout=5)[0] == 200
                except OSError:
                    ready = False
                if ready and len(worker_pids(self.proc.pid)) == self.workers:
                    return
                if time.monotonic() > deadline:
                    raise ServerError(f"livegate serve did not answer /v1/health in {BOOT_SECONDS} s:\n{self.stderr()}")
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise

    def settle(self, seconds: float = 30.0, idle: float = 0.02, every: float = 0.25) -> bool:
        """Wait (at most ``seconds``) until no worker used more than ``idle`` s of CPU in ``every``
        s: the pools' Controls beyond the first are ground on a background thread after the
        server answers, and a latency measured meanwhile measures that grounding. Whether the
        workers went idle in time."""
        deadline = time.monotonic() + seconds
        before = {pid: cpu_seconds(pid) or 0.0 for pid in self.pids()}
        while time.monotonic() < deadline:
            time.sleep(every)
            now = {pid: cpu_seconds(pid) or 0.0 for pid in self.pids()}
            if now.keys() == before.keys() and all(now[p] - before[p] <= idle for p in now):
                return True
            before = now
        return False

    def pids(self) -> set[int]:
        """The current worker pids."""
        return worker_pids(self.proc.pid) if self.proc else set()

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> int | None:
        """SIGTERM to the master; SIGKILL to its process group if it is still there. Its exit status."""
        proc = self.proc
        if proc is None:
            return self.returncode
        try:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=STOP_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the master if it hung, and any worker it left behind
            proc.wait(timeout=STOP_SECONDS)
        finally:
            self.returncode = proc.returncode
            self.proc = None
        return self.returncode

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


def send(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_SECONDS,
) -> tuple[int, bytes, dict]:
    """One request on its own connection: (status, body, headers). Connection failures raise OSError
    (``http.client`` errors are re-raised as ``ConnectionError``)."""
    all_headers = {"Connection": "close", **(headers or {})}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        # the server may answer before the body is all sent (a 413 on a body over
        # the limit) and close: its answer is still there to read
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, {k.lower(): v for k, v in response.getheaders()}
    except http.client.HTTPException as exc:  # a truncated or missing answer: the connection broke
        raise ConnectionError(f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


def without_decision_id(body: bytes) -> bytes:
    return DECISION_ID.sub(b'"decision_id":""', body, count=1)
