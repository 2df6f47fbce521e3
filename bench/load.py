#!/usr/bin/env python
"""Load and faults against a real ``livegate serve``, on loopback only.

    python -m bench.load                  # 10 s of load
    python -m bench.load --seconds 60     # longer
    python -m bench.load --json out.json  # the figures as JSON too

It starts ``livegate serve`` on a free port of 127.0.0.1 (there is no option
for any other address), warms it up, then for ``--seconds`` drives it from
``--clients`` threads with a fixed mix of valid requests (every example
profile, with and without explanations, both POST endpoints, ``--override-sets``
distinct cost overrides, catalogue reads) and invalid ones (each with the exact
4xx it must get). Halfway through it kills one worker with SIGKILL. It checks:

- no 5xx at all, and every answer to a valid request is byte-identical
  (``decision_id`` aside) to the one an in-process app gives sequentially;
- every invalid request gets its own 4xx and error code;
- no connection error except on requests in flight when the worker was
  killed; those are counted and must be at most the number in flight;
- gunicorn replaces the killed worker (a new pid), and the replacement answers
  on its own (the surviving workers are paused with SIGSTOP for a moment);
- the resident memory (``VmRSS`` from ``/proc/<pid>/status``) of the workers
  that lived through the whole run grows less than 10 % between the first and
  the last quarter of the run (after a warm-up that grounds every Control the
  mix needs: the engine grounds them lazily, one more only when all are busy);
- the server stops on SIGTERM with status 0 and wrote no traceback.

It prints its figures and exits 1 if a check failed (2 if the server did not
start). Every server it starts is stopped (SIGTERM, then SIGKILL of its process
group); every loop is bounded by a count and a time. The server harness is
``tests/support/server.py``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from livegate.http.config import DEFAULTS

from tests.support.server import (
    EXAMPLES,
    HOST,
    REQUEST_SECONDS,
    Server,
    ServerError,
    rss_kib,
    send,
    without_decision_id,
)

REPLACE_SECONDS = 30
MAX_RATE = 5000
"""Requests per client per second that bound a client's loop by count as well as by time."""
RSS_LIMIT = 0.10
RSS_PERIOD = 0.1
OVERRIDE_ITEM = "business_license"
OVERRIDE_SETS = 20
"""Distinct cost overrides in the mix."""


# -- the requests ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Call:
    """One request of the mix and what it must get."""

    name: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    status: int = 200
    code: str | None = None  # the error code an invalid request must get
    weight: int = 1

    @property
    def valid(self) -> bool:
        return self.status < 400


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def calls(override_sets: int = OVERRIDE_SETS) -> list[Call]:
    """The mix: valid calls first, then invalid ones with their 4xx."""
    out: list[Call] = []
    profiles = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES}
    for name, profile in profiles.items():
        body = _json(profile)
        out.append(Call(f"evaluate {name}", "POST", "/v1/evaluate", body, "application/json", weight=3))
        out.append(
            Call(
                f"evaluate {name} without explanations", "POST", "/v1/evaluate?explain=false", body, "application/json"
            )
        )
        out.append(Call(f"cheapest {name}", "POST", "/v1/cheapest", body, "application/json"))
    for n in range(override_sets):
        profile = {**profiles["training_institution"], "costs": {OVERRIDE_ITEM: n}}
        out.append(Call(f"evaluate with cost override {n}", "POST", "/v1/evaluate", _json(profile), "application/json"))
    out.append(Call("catalogue", "GET", "/v1/catalogue"))
    out.append(Call("one category", "GET", "/v1/categories/finance_bank"))
    out.append(Call("health", "GET", "/v1/health"))

    enterprise = {"type": "enterprise"}
    invalid = [
        Call(
            "unknown item id",
            "POST",
            "/v1/evaluate",
            _json({"subject": enterprise, "documents": ["busines_license"]}),
            "application/json",
            422,
            "invalid_profile",
        ),
        Call(
            "program text as an id",
            "POST",
            "/v1/evaluate",
            _json({"subject": enterprise, "documents": ["a). b(", '#include "/etc/passwd".']}),
            "application/json",
            422,
            "invalid_profile",
        ),
        Call(
            "count of the wrong type",
            "POST",
            "/v1/cheapest",
            _json({"subject": enterprise, "counts": {"training_coop_agreement": "2"}}),
            "application/json",
            422,
            "invalid_profile",
        ),
        Call(
            "negative cost",
            "POST",
            "/v1/evaluate",
            _json({"subject": enterprise, "costs": {OVERRIDE_ITEM: -1}}),
            "application/json",
            422,
            "invalid_profile",
        ),
        Call(
            "truncated JSON",
            "POST",
            "/v1/evaluate",
            b'{"subject": {"type": "enterprise"',
            "application/json",
            400,
            "malformed_json",
        ),
        Call(
            "10,000-deep nesting",
            "POST",
            "/v1/evaluate",
            b"[" * 10_000 + b"]" * 10_000,
            "application/json",
            400,
            "malformed_json",
        ),
        Call(
            "text/plain body",
            "POST",
            "/v1/evaluate",
            _json({"subject": enterprise}),
            "text/plain",
            415,
            "unsupported_media_type",
        ),
        Call(
            "body over the limit",
            "POST",
            "/v1/evaluate",
            b'{"subject": {"type": "enterprise"}, "documents": [' + b'"business_license",' * 4000 + b'""]}',
            "application/json",
            413,
            "body_too_large",
        ),
        Call(
            "bad explain",
            "POST",
            "/v1/evaluate?explain=maybe",
            _json({"subject": enterprise}),
            "application/json",
            400,
            "invalid_query",
        ),
        Call("unknown route", "GET", "/v1/nowhere", status=404, code="not_found"),
        Call("unknown category", "GET", "/v1/categories/finance_bnk", status=404, code="unknown_category"),
        Call("GET on evaluate", "GET", "/v1/evaluate", status=405, code="method_not_allowed"),
    ]
    return out + [dataclasses.replace(c, weight=2) for c in invalid]


def comparable(name: str, body: bytes) -> bytes:
    """What of an answer must equal the in-process app's: all of it but the decision id, and of
    ``/v1/health`` its status and ruleset (the rest — workers, pids, cache sizes — is per process)."""
    if name == "health":
        try:
            data = json.loads(body)
        except ValueError:
            return body
        return json.dumps({k: data.get(k) for k in ("status", "ruleset")}, sort_keys=True).encode()
    return without_decision_id(body)


def expected_answers(mix: list[Call]) -> dict[str, bytes]:
    """Each valid call's answer from an in-process app, one at a time, decision id blanked."""
    from livegate import Engine
    from livegate.app import create_app

    app = create_app({"ENGINE": Engine(pool_size=1), "ACCESS_LOG": False})
    client = app.test_client()
    out = {}
    for call in mix:
        if call.valid:
            response = client.open(call.path, method=call.method, data=call.body, content_type=call.content_type)
            if response.status_code != 200:
                raise AssertionError(f"{call.name}: the in-process app answered {response.status_code}")
            out[call.name] = comparable(call.name, response.get_data())
    return out


# -- one run ------------------------------------------------------------------------------
@dataclasses.dataclass
class Record:
    call: int
    start: float
    end: float
    status: int | None
    error: str | None
    wrong: bool


def _client(
    index: int,
    port: int,
    mix: list[Call],
    expected: dict[str, bytes],
    deadline: float,
    max_requests: int,
    records: list[Record],
) -> None:
    rng = random.Random(index)
    weights = [c.weight for c in mix]
    for _ in range(max_requests):
        if time.monotonic() >= deadline:
            break
        n = rng.choices(range(len(mix)), weights)[0]
        call = mix[n]
        start = time.monotonic()
        status, error, wrong = None, None, False
        try:
            status, body, _ = send(port, call.method, call.path, call.body, call.content_type)
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if call.valid:
                wrong = status == 200 and comparable(call.name, body) != expected[call.name]
            else:
                try:
                    wrong = json.loads(body)["error"]["code"] != call.code
                except (ValueError, KeyError, TypeError):
                    wrong = True
        records.append(Record(n, start, time.monotonic(), status, error, wrong))


def _drive(port: int, mix: list[Call], expected: dict[str, bytes], clients: int, seconds: float) -> list[Record]:
    records: list[Record] = []  # list.append is atomic: the clients share it
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client,
            name=f"load-client-{i}",
            args=(i, port, mix, expected, deadline, int(seconds * MAX_RATE) + 1, records),
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + REQUEST_SECONDS + 5)
    if any(t.is_alive() for t in threads):
        raise RuntimeError("a load client did not finish in time")
    return records


def _warm(port: int, mix: list[Call], clients: int, rounds: int = 2) -> dict[str, int]:
    """Each valid call ``clients`` times at once, ``rounds`` times: the engine grounds its Controls
    lazily (one more only when all are busy), so bursts make every worker ground each pool to
    its full size now rather than one by one during the measured run. The statuses seen."""
    statuses: dict[str, int] = {}
    with concurrent.futures.ThreadPoolExecutor(clients, thread_name_prefix="load-warm") as pool:
        for _ in range(rounds):
            for call in mix:
                if call.valid:
                    burst = [
                        pool.submit(send, port, call.method, call.path, call.body, call.content_type)
                        for _ in range(clients)
                    ]
                    for future in burst:
                        try:
                            key = str(future.result()[0])
                        except OSError as exc:
                            key = type(exc).__name__
                        statuses[key] = statuses.get(key, 0) + 1
    return statuses


class _Sampler(threading.Thread):
    """Samples the workers' pids and RSS every RSS_PERIOD seconds until stopped."""

    def __init__(self, server: Server):
        super().__init__(name="rss-sampler", daemon=True)
        self.server = server
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(RSS_PERIOD):
            now = time.monotonic()
            rss = {pid: r for pid in self.server.pids() if (r := rss_kib(pid)) is not None}
            self.samples.append((now, rss))


class _Killer(threading.Thread):
    """At ``at``: SIGKILL one worker, then wait (bounded) for gunicorn to replace it."""

    def __init__(self, server: Server, at: float):
        super().__init__(name="worker-killer", daemon=True)
        self.server, self.at = server, at
        self.victim: int | None = None
        self.replacement: int | None = None
        self.before: float = 0.0
        self.after: float = 0.0
        self.replaced: float | None = None
        self.survivors: set[int] = set()

    def run(self) -> None:
        time.sleep(max(0.0, self.at - time.monotonic()))
        pids = sorted(self.server.pids())
        if not pids:
            return
        self.victim = pids[0]
        self.survivors = set(pids[1:])
        self.before = time.monotonic()
        os.kill(self.victim, signal.SIGKILL)
        self.after = time.monotonic()
        deadline = self.after + REPLACE_SECONDS
        while time.monotonic() < deadline:
            current = self.server.pids()
            new = current - self.survivors - {self.victim}
            if self.victim not in current and new and len(current) == self.server.workers:
                self.replacement = min(new)
                self.replaced = time.monotonic()
                return
            time.sleep(0.02)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _rss_figures(
    samples: list[tuple[float, dict[int, int]]], start: float, seconds: float, lasting: set[int]
) -> dict[str, Any]:
    first = [rss for t, rss in samples if start <= t < start + seconds / 4]
    last = [rss for t, rss in samples if start + 3 * seconds / 4 <= t <= start + seconds]
    lasting = {p for p in lasting if all(p in s for s in first + last)}

    def quarter(part: list[dict[int, int]], pids: set[int] | None) -> float:
        return _mean([sum(r for p, r in s.items() if pids is None or p in pids) for s in part])

    out: dict[str, Any] = {
        "samples": len(samples),
        "first_quarter_samples": len(first),
        "last_quarter_samples": len(last),
        "lasting_workers": sorted(lasting),
        "all_workers_kib": {"first_quarter": round(quarter(first, None)), "last_quarter": round(quarter(last, None))},
        "lasting_workers_kib": {
            "first_quarter": round(quarter(first, lasting)),
            "last_quarter": round(quarter(last, lasting)),
        },
    }
    # the sum over the workers, one sample per second of the run, for the record
    out["timeline_kib"] = [sum(s.values()) for t, s in samples if t >= start][:: max(1, round(1 / RSS_PERIOD))]
    if samples:
        out["all_workers_kib"]["start"] = sum(samples[0][1].values())
        out["all_workers_kib"]["end"] = sum(samples[-1][1].values())
    base = out["lasting_workers_kib"]["first_quarter"]
    out["lasting_growth"] = (out["lasting_workers_kib"]["last_quarter"] / base - 1) if base else None
    return out


def _replacement_answers_alone(
    server: Server, survivors: set[int], mix: list[Call], expected: dict[str, bytes], count: int
) -> dict[str, Any]:
    """Pause every other worker (SIGSTOP), so only the replacement can accept; send ``count``
    valid requests; resume them (SIGCONT) whatever happens."""
    valid = [c for c in mix if c.valid]
    statuses: dict[str, int] = {}
    stopped = []
    try:
        for pid in survivors:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        for n in range(count):
            call = valid[n % len(valid)]
            try:
                status, body, _ = send(server.port, call.method, call.path, call.body, call.content_type, timeout=10)
                key = str(status) if comparable(call.name, body) == expected[call.name] else f"{status} wrong answer"
            except OSError as exc:
                key = type(exc).__name__
            statuses[key] = statuses.get(key, 0) + 1
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    return statuses


def run(
    seconds: float = 10.0,
    clients: int = 16,
    workers: int = 2,
    threads: int = DEFAULTS["POOL_SIZE"],
    kill: bool = True,
    kill_at: float = 0.5,
    warmup: float = 1.5,
    override_sets: int = OVERRIDE_SETS,
) -> tuple[dict[str, Any], list[str]]:
    """Run the load; its figures and the list of failed checks (empty: all passed)."""
    mix = calls(override_sets)
    expected = expected_answers(mix)
    figures: dict[str, Any] = {
        "seconds": seconds,
        "clients": clients,
        "workers": workers,
        "threads_per_worker": threads,
        "host": HOST,
        "override_sets": override_sets,
    }
    failures: list[str] = []
    server = Server(workers=workers, threads=threads)
    try:
        server.start()
        figures["port"] = server.port
        first_pids = server.pids()
        warm = _warm(server.port, mix, clients)
        for r in _drive(server.port, mix, expected, clients, warmup):
            key = str(r.status) if r.status is not None else (r.error or "").split(":")[0]
            if r.wrong or r.status != mix[r.call].status:
                key += " (wrong)"
            warm[key] = warm.get(key, 0) + 1
        figures["warmup_statuses"] = dict(sorted(warm.items()))
        if [k for k in warm if not k.isdigit() or k.startswith("5")]:
            failures.append(f"errors during the warm-up: {figures['warmup_statuses']}")
        if server.pids() != first_pids:
            failures.append(
                f"a worker was replaced during the warm-up: {sorted(first_pids)} -> {sorted(server.pids())}"
            )

        sampler = _Sampler(server)
        sampler.start()
        start = time.monotonic()
        killer = _Killer(server, start + kill_at * seconds) if kill else None
        if killer:
            killer.start()
        try:
            records = _drive(server.port, mix, expected, clients, seconds)
        finally:
            if killer:
                killer.join(REPLACE_SECONDS + 5)
            sampler.done.set()
            sampler.join(5)
        elapsed = time.monotonic() - start
        _judge(records, mix, figures, failures, elapsed)

        lasting = first_pids - ({killer.victim} if killer else set())
        rss = _rss_figures(sampler.samples, start, seconds, lasting)
        figures["rss"] = rss
        if rss["lasting_growth"] is None:
            failures.append("no RSS samples of a worker that lived through the run")
        elif rss["lasting_growth"] >= RSS_LIMIT:
            failures.append(
                f"RSS of the workers alive throughout grew {rss['lasting_growth']:.1%} "
                f"(limit {RSS_LIMIT:.0%}) between the first and last quarter"
            )

        if killer:
            _judge_kill(server, killer, records, mix, expected, figures, failures)
    finally:
        status = server.stop()
        stderr = server.stderr()
        server.close()
    figures["server_exit_status"] = status
    if status != 0:
        failures.append(f"the server exited with {status} on SIGTERM, not 0")
    if "Traceback" in stderr:
        failures.append("the server wrote a traceback:\n" + stderr[stderr.index("Traceback") :][:2000])
    return figures, failures


def _judge(
    records: list[Record], mix: list[Call], figures: dict[str, Any], failures: list[str], elapsed: float
) -> None:
    statuses: dict[str, int] = {}
    for r in records:
        key = str(r.status) if r.status is not None else (r.error or "").split(":")[0]
        statuses[key] = statuses.get(key, 0) + 1
    valid = [r for r in records if mix[r.call].valid]
    invalid = [r for r in records if not mix[r.call].valid]
    figures.update(
        {
            "requests": len(records),
            "valid_requests": len(valid),
            "invalid_requests": len(invalid),
            "requests_per_second": round(len(records) / elapsed, 1) if elapsed else None,
            "statuses": dict(sorted(statuses.items())),
            "server_errors_5xx": sum(1 for r in records if r.status is not None and r.status >= 500),
            "connection_errors": sum(1 for r in records if r.error),
            "wrong_answers": sum(1 for r in valid if r.wrong),
            "wrong_statuses": sum(1 for r in records if r.status is not None and r.status != mix[r.call].status),
            "wrong_error_codes": sum(1 for r in invalid if r.wrong),
        }
    )
    if not valid or not invalid:
        failures.append("the run sent no valid or no invalid request")
    for key in ("server_errors_5xx", "wrong_answers", "wrong_statuses", "wrong_error_codes"):
        if figures[key]:
            examples = [
                (mix[r.call].name, r.status)
                for r in records
                if (r.status is not None and r.status != mix[r.call].status) or r.wrong
            ][:5]
            failures.append(f"{key}: {figures[key]} (e.g. {examples})")


def _judge_kill(
    server: Server,
    killer: _Killer,
    records: list[Record],
    mix: list[Call],
    expected: dict[str, bytes],
    figures: dict[str, Any],
    failures: list[str],
) -> None:
    kill: dict[str, Any] = {"victim": killer.victim, "replacement": killer.replacement}
    figures["kill"] = kill
    errors = [r for r in records if r.error]
    if killer.victim is None:
        failures.append("no worker was there to kill")
        kill["connection_errors"] = len(errors)
        if errors:
            failures.append(f"{len(errors)} connection errors without a kill: {errors[0].error}")
        return
    in_flight = [r for r in records if r.start <= killer.after and r.end >= killer.before]
    lost = [r for r in errors if r.start <= killer.after and r.end >= killer.before]
    others = [r for r in errors if not (r.start <= killer.after and r.end >= killer.before)]
    after = [r for r in records if killer.replaced is not None and r.start > killer.replaced]
    kill.update(
        {
            "in_flight_at_kill": len(in_flight),
            "lost": len(lost),
            "lost_valid": sum(1 for r in lost if mix[r.call].valid),
            "connection_errors_not_in_flight": len(others),
            "replaced_after_seconds": round(killer.replaced - killer.after, 3) if killer.replaced else None,
            "requests_after_replacement": len(after),
            "failed_after_replacement": sum(1 for r in after if r.error or r.status != mix[r.call].status),
        }
    )
    if others:
        failures.append(
            f"{len(others)} connection errors on requests not in flight at the kill "
            f"(valid: {sum(1 for r in others if mix[r.call].valid)}); e.g. {others[0].error}"
        )
    if len(lost) > len(in_flight):
        failures.append(f"{len(lost)} requests lost, more than the {len(in_flight)} in flight")
    if killer.replacement is None:
        failures.append(f"gunicorn did not replace the killed worker {killer.victim} in {REPLACE_SECONDS} s")
        return
    if not after:
        failures.append("no request was sent after the replacement")
    if kill["failed_after_replacement"]:
        failures.append(f"{kill['failed_after_replacement']} requests failed after the replacement")
    alone = _replacement_answers_alone(server, killer.survivors, mix, expected, count=20)
    kill["replacement_alone"] = alone
    if alone != {"200": 20}:
        failures.append(f"with the other workers paused, the replacement answered {alone}, not 20 x 200")


def report(figures: dict[str, Any], failures: list[str]) -> str:
    lines = [
        f"livegate load: {figures.get('seconds')} s, {figures.get('clients')} clients, "
        f"{figures.get('workers')} workers x {figures.get('threads_per_worker')} threads on "
        f"{figures.get('host')}:{figures.get('port')}"
    ]
    if "warmup_statuses" in figures:
        lines.append(f"  warm-up             {figures['warmup_statuses']}")
    if "requests" in figures:
        lines.append(
            f"  requests sent       {figures['requests']} ({figures['valid_requests']} valid, "
            f"{figures['invalid_requests']} invalid), {figures['requests_per_second']}/s"
        )
        lines.append(f"  statuses            {figures['statuses']}")
        lines.append(f"  5xx                 {figures['server_errors_5xx']}")
        lines.append(f"  connection errors   {figures['connection_errors']}")
        lines.append(
            f"  wrong answers       {figures['wrong_answers']}, wrong statuses "
            f"{figures['wrong_statuses']}, wrong error codes {figures['wrong_error_codes']}"
        )
    if "rss" in figures:
        rss = figures["rss"]
        growth = rss["lasting_growth"]
        lines.append(
            f"  RSS, all workers    start {rss['all_workers_kib'].get('start')} KiB, "
            f"end {rss['all_workers_kib'].get('end')} KiB; first quarter "
            f"{rss['all_workers_kib']['first_quarter']} KiB, "
            f"last {rss['all_workers_kib']['last_quarter']} KiB"
        )
        lines.append(
            f"  RSS, lasting workers {rss['lasting_workers']}: first quarter "
            f"{rss['lasting_workers_kib']['first_quarter']} KiB, last quarter "
            f"{rss['lasting_workers_kib']['last_quarter']} KiB, growth "
            f"{'n/a' if growth is None else f'{growth:+.2%}'} ({rss['samples']} samples)"
        )
    if "kill" in figures:
        lines.append(f"  SIGKILL             {figures['kill']}")
    lines.append(f"  server exit status  {figures.get('server_exit_status')}")
    lines.append("  result              " + ("PASS" if not failures else "FAIL"))
    lines += [f"  FAILED: {f}" for f in failures]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the measured run (default 10)")
    parser.add_argument("--clients", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULTS["POOL_SIZE"],
        help=f"threads per worker (default {DEFAULTS['POOL_SIZE']}, as livegate serve's)",
    )
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds of load before the measured run")
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="do not kill a worker")
    parser.add_argument("--kill-at", type=float, default=0.5, help="when to kill, as a fraction of the run")
    parser.add_argument(
        "--override-sets",
        type=int,
        default=OVERRIDE_SETS,
        help=f"distinct cost overrides in the mix (default {OVERRIDE_SETS}; a worker caches 16)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not (
        0 < args.seconds <= 3600
        and 1 <= args.clients <= 256
        and 1 <= args.workers <= 16
        and 1 <= args.threads <= 64
        and 0 < args.kill_at < 1
        and 0 <= args.warmup <= 60
        and 0 <= args.override_sets <= 1000
    ):
        parser.error(
            "out of range: 0 < seconds <= 3600, 1..256 clients, 1..16 workers, 1..64 threads, "
            "0 < kill-at < 1, 0 <= warmup <= 60, 0..1000 override sets"
        )
    if args.kill and args.workers < 2:
        parser.error("killing a worker needs at least 2 workers (or --no-kill)")
    try:
        figures, failures = run(
            args.seconds,
            args.clients,
            args.workers,
            args.threads,
            args.kill,
            args.kill_at,
            args.warmup,
            args.override_sets,
        )
    except ServerError as exc:
        print(f"livegate load: {exc}", file=sys.stderr)
        return 2
    print(report(figures, failures), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "failures": failures}, indent=2) + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
