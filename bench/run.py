"""The benchmark of issue 11: every figure beside its baseline, measured in the same run.

    python bench/run.py                        # every part (about 80 minutes on the loaded 2-core machine)
    python bench/run.py --quick                # CI-sized: small corpora, 3 s of HTTP, 1x/10x scale (2-5 minutes)
    python bench/run.py --only engine,http     # some parts only: engine, http, rss, batch, scale
    python bench/run.py --rss-requests 20000 --batch-profiles 20000 --scale-factors 1,10   # shorter long parts

Parts (each row is printed beside its baseline; docs/performance.md has the figures)

  engine  Engine.evaluate per profile (the engine has no answer cache) on the
          realistic corpus (bench/corpus.py): profiles without own costs (all,
          with a scenario, without one), profiles with own costs, and the 0.1
          benchmark's light corpus. Baseline of every row: a fresh grounding per
          request with today's rules — the old way of answering own costs
          (``cost_override/2`` facts built with clingo's backend, one Control per
          distinct set; a cache of 16 would never hit, every set is distinct),
          and for a profile without own costs the naive way. Its answers are
          compared with the engine's. A second baseline column: the previous
          release (``--previous``, default 4ac77a8, the last commit before costs
          became data) on the same profiles, in a child process.
  http    ``livegate serve`` (gunicorn, 2 workers, as shipped) under wrk, 16
          connections, a Lua script cycling through >= 10,000 distinct bodies
          (so no answer-cache hit: checked on /metrics), without and with own
          costs; baseline: ``GET /v1/health`` on the same server, in turn.
  rss     worker RSS before and after ``--rss-requests`` (100,000) requests, each
          with a distinct set of own costs (made by the Lua script); "before" once
          the workers' caches are full (a warm-up of ``--rss-warm-up`` requests, then
          rounds of 5,000 while a cache still gains over 1 % of its entries).
  batch   ``livegate batch`` to CSV on ``--batch-profiles`` (100,000) distinct
          realistic profiles, a third with own costs, 2 worker processes;
          baseline: the same rows written from full answers (the way before the
          rules' summary), 2 processes, checked equal. Target: issue 11's.
  scale   1x/10x/100x synthetic knowledge bases (bench/synthetic.py): the
          evaluation's growth against the ground program's, each profile also
          evaluated on the shipped knowledge base in the same process (the
          growth's baseline, side by side), with the engine's
          ``--opt-strategy=usc`` and, as the alternative, clingo's default
          branch-and-bound (``bb``) on the same groundings, per profile in turn.

It prints the tables and writes the figures as JSON (``--json``, default
bench/results.json). The machine is shared: compare figures of one run with
each other. Timings are wall-clock medians and 99th percentiles; engine rows
are timed ``rounds`` times and report their fastest round (as timeit does).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/ first, not the repository
    sys.path.insert(0, str(ROOT))

import clingo  # noqa: E402
from livegate import Engine, Knowledge, contract  # noqa: E402
from livegate.cli.batch import CSV_HEAD, csv_row  # noqa: E402
from livegate.http.config import DEFAULTS  # noqa: E402
from livegate.profile import loads  # noqa: E402
from livegate.solver import OPTIONS, Answer, Overrides  # noqa: E402

from bench import corpus  # noqa: E402

PARTS = ("engine", "http", "rss", "batch", "scale")
PREVIOUS = "4ac77a8"
"""The previous release's code (0.2.0 before ruleset 2.0.0: own costs ground per set, 16 kept)."""
HTTP_SEED, RSS_SEED, BATCH_SEED = 1101, 1102, 1103
CONNECTIONS = 16
BODIES = 10_000
"""Distinct bodies each wrk run cycles through (the answer cache keeps 1,024 per worker)."""


# -- timing --------------------------------------------------------------------------------
def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stats_ms(times: Sequence[float]) -> dict[str, float]:
    return {"n": len(times), "median_ms": statistics.median(times) * 1e3, "p99_ms": _percentile(times, 0.99) * 1e3}


CPU: dict[int, list[float]] = {}
"""The thread's CPU time of each timed call, by id of its list of wall times (a loaded machine
stretches wall time; CPU time shows what the call itself cost)."""


def _interleaved(fns: Sequence[Callable[[Any], Any]], inputs: Sequence[Any]) -> list[list[float]]:
    """Each function timed once on each input, the functions in turn, each a share of the corpus
    apart: no call follows another on the same profile (a profile solved just before is solved
    faster, which a service answering a stream of different profiles does not see)."""
    times: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    n, m = len(inputs), len(fns)
    gc.disable()
    try:
        for k in range(n):
            for j, fn in enumerate(fns):
                x = inputs[(k + j * n // m) % n]
                start, start_cpu = time.perf_counter(), time.thread_time()
                fn(x)
                times[j].append(time.perf_counter() - start)
                cpu[j].append(time.thread_time() - start_cpu)
    finally:
        gc.enable()
    for t, c in zip(times, cpu, strict=True):
        CPU[id(t)] = c
    return times


def _best(rounds: list[list[float]]) -> dict[str, Any]:
    best = min(rounds, key=statistics.median)
    cpu = CPU.get(id(best))
    return {
        **_stats_ms(best),
        "cpu_median_ms": statistics.median(cpu) * 1e3 if cpu else None,
        "round_medians_ms": [round(statistics.median(r) * 1e3, 3) for r in rounds],
    }


# -- the baseline: a grounding per request ---------------------------------------------------
def _symbol(term: Any) -> clingo.Symbol:
    if isinstance(term, int):
        return clingo.Number(term)
    if isinstance(term, str):
        return clingo.Function(term)
    name, *args = term
    return clingo.Function(name, [_symbol(a) for a in args])


class GroundPerRequest:
    """The old way of answering own costs, on today's rules: a Control ground for the request's
    costs (``cost_override/2`` facts added with clingo's backend, never program text), the
    profile's input externals set true, the same options and model reader as the engine."""

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.watch_grounds = 0

    def solve(self, atoms: set[tuple[Any, ...]], overrides: Overrides) -> Answer:
        self.watch_grounds += 1
        ctl = clingo.Control(list(OPTIONS))
        for path in self.knowledge.facts_files:
            ctl.load(str(path))
        ctl.load(str(self.knowledge.logic_entry))
        with ctl.backend() as backend:
            for item, weight in overrides:
                fact = clingo.Function("cost_override", [clingo.Function(item), clingo.Number(weight)])
                backend.add_rule([backend.add_atom(fact)])
        ctl.ground([("base", [])])
        reader = contract.model_reader()
        table = contract.shown_table(ctl, reader)
        last: list[Any] = []
        costs: dict[str, int] = {}

        def on_model(model: clingo.Model) -> None:
            if reader.proven(model):
                last[:] = reader.shown(model)
                costs.update(contract.costs_by_priority(model.priority, model.cost))

        for atom in atoms:  # a fresh Control: set the profile's externals true, the others stay false
            ctl.assign_external(_symbol(atom), True)
        ctl.solve(on_model=on_model)
        return Answer([table[key] for key in last], costs)


# -- engine ------------------------------------------------------------------------------------
PREVIOUS_CHILD = textwrap.dedent("""
    # the previous release's engine on the same rows (run with PYTHONPATH=<its tree>/service)
    import gc, json, statistics, sys, time
    from livegate import Engine, Knowledge
    job = json.load(open(sys.argv[1]))
    engine = Engine(Knowledge.load(), pool_size=1)
    for p in job["warm"]:
        engine.evaluate(p)
    out = {}
    for label, profiles in job["rows"].items():
        rounds = []
        for _ in range(job["rounds"]):
            times = []
            gc.disable()
            for p in profiles:
                s = time.perf_counter(); engine.evaluate(p); times.append(time.perf_counter() - s)
            gc.enable()
            rounds.append(times)
        best = min(rounds, key=statistics.median)
        best.sort()
        out[label] = {"n": len(best), "median_ms": statistics.median(best) * 1e3,
                      "p99_ms": best[min(len(best) - 1, int(0.99 * len(best)))] * 1e3,
                      "round_medians_ms": [round(statistics.median(r) * 1e3, 3) for r in rounds]}
    print(json.dumps(out))
""")


def _previous_tree(rev: str) -> Path | None:
    """The previous release's files (git archive), or None where git or the revision is missing."""
    tree = Path(tempfile.mkdtemp(prefix="livegate-previous-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True)
    if archive.returncode != 0:
        shutil.rmtree(tree, ignore_errors=True)
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _previous_release(rev: str, rows: dict[str, list[dict[str, Any]]], warm: list[dict[str, Any]], rounds: int) -> Any:
    tree = _previous_tree(rev)
    if tree is None:
        return {"skipped": f"revision {rev} is not in this clone"}
    try:
        job = tree / "job.json"
        job.write_text(json.dumps({"rows": rows, "warm": warm, "rounds": rounds}))
        env = dict(os.environ, PYTHONPATH=str(tree / "service"))
        child = subprocess.run(
            [sys.executable, "-c", PREVIOUS_CHILD, str(job)], capture_output=True, text=True, env=env, cwd=tree
        )
        if child.returncode != 0:
            return {"skipped": f"the previous release failed: {child.stderr.strip().splitlines()[-1:]}"}
        return json.loads(child.stdout)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def bench_engine(n: int, rounds: int, baseline_n: int, previous: str | None) -> dict[str, Any]:
    knowledge = Knowledge.load()
    engine = Engine(knowledge, pool_size=1, override_pool_size=1)
    realistic = corpus.realistic(engine, n)
    light = corpus.light_profiles(knowledge.catalogue_json(), n)
    warm = corpus.realistic(engine, max(50, n // 2), seed=corpus.WARM_UP_SEED)
    # a running service has met other profiles before: warm the shaper's caches on another seed
    for p in warm:
        engine.evaluate(p)
    controls_before = engine.groundings.controls()

    parsed = [(p, engine.parse(p)) for p in realistic]
    own = [x for x in parsed if engine.overrides(x[1])]
    plain = [x for x in parsed if not engine.overrides(x[1])]
    rows: dict[str, list[tuple[dict[str, Any], Any]]] = {
        "realistic, no own costs": plain,
        "realistic, no own costs, with a scenario": [x for x in plain if x[1].goal.scenario is not None],
        "realistic, no own costs, no scenario": [x for x in plain if x[1].goal.scenario is None],
        "realistic, own costs": own,
        "light corpus of 0.1 (0-10 documents)": [(p, engine.parse(p)) for p in light],
    }
    baseline = GroundPerRequest(knowledge)

    def grounded(profile: Any) -> Any:
        answer = baseline.solve(engine.input_atoms(profile), engine.overrides(profile))
        return engine.shaper.shape(profile, answer, engine.unit_costs(profile), engine.overrides(profile)).json()

    timed: dict[str, dict[str, list[list[float]]]] = {
        label: {"evaluate": [], "solve": [], "baseline": []} for label in rows
    }
    for _ in range(rounds):
        for label, members in rows.items():
            profiles = [q for _, q in members]
            evaluate, solve = _interleaved([engine.evaluate, engine.solve], profiles)
            timed[label]["evaluate"].append(evaluate)
            timed[label]["solve"].append(solve)
            timed[label]["baseline"].append(_interleaved([grounded], profiles[:baseline_n])[0])
    controls_after = engine.groundings.controls()

    # the baseline's answers against the engine's: the same shown atoms and optimum
    agree: dict[str, list[int]] = {}
    for label, members in rows.items():
        same = 0
        for _, q in members[:baseline_n]:
            mine = engine.solve(q)
            theirs = baseline.solve(engine.input_atoms(q), engine.overrides(q))
            same += set(mine.atoms) == set(theirs.atoms) and mine.costs == theirs.costs
        agree[label] = [same, min(baseline_n, len(members))]

    prev: Any = None
    if previous:
        prev = _previous_release(previous, {label: [p for p, _ in m] for label, m in rows.items()}, warm, rounds)
    out_rows = []
    for label in rows:
        row: dict[str, Any] = {
            "row": label,
            "engine": _best(timed[label]["evaluate"]),
            "engine_solve_only": _best(timed[label]["solve"]),
            "baseline": {"name": "ground per request", **_best(timed[label]["baseline"])},
            "answers_equal_to_baseline": agree[label],
        }
        row["speedup_over_baseline"] = row["baseline"]["median_ms"] / row["engine"]["median_ms"]
        if isinstance(prev, dict) and label in prev:
            row["previous_release"] = {"name": f"previous release {previous}", **prev[label]}
        out_rows.append(row)
    return {
        "profiles": n,
        "rounds": rounds,
        "corpus": corpus.summary(engine, realistic),
        "controls_before": controls_before,
        "controls_after": controls_after,
        "previous_release": prev if isinstance(prev, dict) and "skipped" in prev else previous,
        "rows": out_rows,
    }


def print_engine(result: dict[str, Any]) -> None:
    c = result["corpus"]
    print(
        f"\n== engine: Engine.evaluate per profile, {result['profiles']} realistic profiles, best of "
        f"{result['rounds']} round(s); the engine has no answer cache =="
    )
    print(
        f"corpus: {c['distinct']} distinct, holdings {c['holdings_density_min']:.0%}-{c['holdings_density_max']:.0%} "
        f"of the items (median {c['holdings_density_median']:.0%}), own costs {c['with_own_costs']:.0%}, "
        f"scenario {c['with_scenario']:.0%}, candidate categories {c['with_candidate_categories']:.0%}, "
        f"access {c['with_access']:.0%}, activities {c['with_activities']:.0%}, roles {c['with_roles']:.0%}, "
        f"counts {c['with_counts']:.0%}"
    )
    head = (
        f"{'row':42} {'n':>5} {'median':>8} {'p99':>8} {'cpu':>6} {'solve':>7} | {'baseline':20} {'median':>8} "
        f"{'p99':>8} {'x':>6} {'same':>8} | {'previous release':>16} {'median':>8} {'p99':>8}"
    )
    print(head)
    for r in result["rows"]:
        e, b = r["engine"], r["baseline"]
        p = r.get("previous_release")
        same = "{}/{}".format(*r["answers_equal_to_baseline"])
        tail = f"{p['name']:>16} {p['median_ms']:>8.2f} {p['p99_ms']:>8.2f}" if p else f"{'(not run)':>16}"
        print(
            f"{r['row']:42} {e['n']:>5} {e['median_ms']:>8.2f} {e['p99_ms']:>8.2f} {e['cpu_median_ms']:>6.2f} "
            f"{r['engine_solve_only']['median_ms']:>7.2f} | {b['name']:20} {b['median_ms']:>8.2f} {b['p99_ms']:>8.2f} "
            f"{r['speedup_over_baseline']:>5.0f}x {same:>8} | {tail}"
        )
    print(
        "(ms; cpu: median thread CPU time of a call (wall time stretches on a loaded machine); 'solve': "
        "Engine.solve alone; 'same': answers equal to the baseline's; x: baseline median / engine's)"
    )
    print(f"Controls ground: {result['controls_before']} before the rows, {result['controls_after']} after")


# -- HTTP ------------------------------------------------------------------------------------
LUA_BODIES = textwrap.dedent("""
    -- cycles through the bodies of a JSON Lines file, each thread from its own offset;
    -- args: file, offset, requests per thread (0: until -d ends), own costs (1: a distinct set per request),
    -- a folder where a thread that has its answers writes done<id> (bench/run.py then stops wrk)
    local threads = {}
    function setup(thread)
      thread:set("id", #threads)
      table.insert(threads, thread)
    end
    function init(args)
      bodies = {}
      for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
      offset = tonumber(args[2]) + id * math.floor(#bodies / 2)
      limit = tonumber(args[3])
      costs = tonumber(args[4]) == 1
      marker = args[5] or ""
      finished = false
      counter = 0
      answered = 0
      headers = {["Content-Type"] = "application/json"}
    end
    function request()
      counter = counter + 1
      local line = bodies[(offset + counter) % #bodies + 1]
      if costs then
        -- a distinct set of own costs per request: two items, values from this thread's counter
        local a, b, prefix = line:match("^(%S+) (%S+) (.*)$")
        local c = id * 10000000 + offset + counter
        line = prefix .. ',"costs":{"' .. a .. '":' .. (c % 100001) .. ',"' .. b .. '":'
               .. (math.floor(c / 100001) % 100001) .. '}}'
      end
      return wrk.format("POST", "/v1/evaluate", headers, line)
    end
    function response(status, headers, body)
      answered = answered + 1
      if limit > 0 and answered >= limit and not finished then
        finished = true
        if marker ~= "" then local f = io.open(marker .. "/done" .. id, "w"); f:close() end
        wrk.thread:stop()
      end
    end
""")
LUA_DONE = textwrap.dedent("""
    done = function(summary, latency, requests)
      io.write(string.format("LIVEGATE %d %d %d %d %d %d\\n", summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99), summary.errors.connect + summary.errors.read +
        summary.errors.write + summary.errors.timeout, summary.errors.status))
    end
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        data: bytes = response.read()
        return data


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pids: Sequence[int]) -> float:
    """The user and system CPU time the processes ``pids`` have used so far (``/proc/<pid>/stat``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return sorted(int(x) for x in out.split())


class Server:
    """``livegate serve --workers 2`` on a free loopback port, started in its own session."""

    def __init__(self, env: dict[str, str]):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "livegate"), "serve", "--workers", "2", "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while True:  # both workers up and grounded
            try:
                health = json.loads(_get(self.base + "/v1/health"))
                if health.get("ready") and len(health.get("workers", [])) >= 2:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("livegate serve did not come up")
            time.sleep(0.2)

    def workers(self) -> list[int]:
        # livegate serve runs gunicorn in this process or a child: its workers are the leaves
        pids = _children(self.proc.pid)
        grand = [c for p in pids for c in _children(p)]
        return grand or pids

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _wrk(url: str, script: Path, seconds: float, args: Sequence[Any] = (), until: Path | None = None) -> dict[str, Any]:
    """One wrk run: ``seconds`` long, or (``until``: a folder the Lua script marks) until both threads
    have had their count of answers — wrk's main thread sleeps its whole duration even when its
    threads have stopped, so it is interrupted then (SIGINT: it prints its summary and exits)."""
    proc = subprocess.Popen(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(script),
            url,
            *(["--", *map(str, args)] if args else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if until is not None:
        while proc.poll() is None:
            if len(list(until.glob("done*"))) >= 2:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.1)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err.strip()} {out.strip()[-500:]}")
    for marker in until.glob("done*") if until is not None else ():
        marker.unlink()
    line = next(x for x in out.splitlines() if x.startswith("LIVEGATE "))
    requests, duration_us, p50, p99, errors, status_errors = map(int, line.split()[1:])
    return {
        "requests": requests,
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50 / 1e3,
        "p99_ms": p99 / 1e3,
        "errors": errors + status_errors,
    }


def _bodies(path: Path, profiles: list[dict[str, Any]], costs_items: list[tuple[str, str]] | None = None) -> None:
    """One body a line; for the Lua script's own costs: "item item <the body without its closing brace>"."""
    with path.open("w", encoding="utf-8") as f:
        for k, p in enumerate(profiles):
            text = json.dumps(p, separators=(",", ":"))
            if costs_items is not None:
                a, b = costs_items[k % len(costs_items)]
                text = f"{a} {b} {text[:-1]}"
            f.write(text + "\n")


def _metric(base: str, name: str) -> float:
    text = _get(base + "/metrics").decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def bench_http(seconds: float, rounds: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    engine = Engine(pool_size=1, override_pool_size=1)
    tmp = Path(tempfile.mkdtemp(prefix="livegate-bench-http-"))
    kinds = {
        "POST /v1/evaluate, distinct profiles, no own costs": corpus.realistic(
            engine, BODIES, HTTP_SEED, overrides=False
        ),
        "POST /v1/evaluate, distinct profiles, each its own costs": corpus.realistic(
            engine, BODIES, HTTP_SEED + 1, overrides=True
        ),
    }
    scripts: dict[str, Path] = {}
    for k, (label, profiles) in enumerate(kinds.items()):
        _bodies(tmp / f"bodies{k}.jsonl", profiles)
        scripts[label] = tmp / f"bodies{k}.jsonl"
    (tmp / "bodies.lua").write_text(LUA_BODIES + LUA_DONE)
    (tmp / "health.lua").write_text(LUA_DONE)
    server = Server({"LIVEGATE_ACCESS_LOG": "false", "LIVEGATE_METRICS": "true"})
    try:
        offsets = dict.fromkeys(kinds, 0)

        pids = server.workers()

        def timed(url: str, script: Path, secs: float, args: Sequence[Any] = ()) -> dict[str, Any]:
            """One wrk run, with the workers' CPU time (user + system) per request it was answered,
            and the least busy worker's CPU time over the busiest's (1: both served alike; near 0:
            one served alone while the other idled)."""
            before = [_cpu_seconds([pid]) for pid in pids]
            result = _wrk(url, script, secs, args)
            try:
                used = [_cpu_seconds([pid]) - b for pid, b in zip(pids, before, strict=True)]
            except FileNotFoundError:  # a worker was replaced during the run: its CPU time is lost
                result["cpu_ms_per_request"] = None
                result["workers_cpu_balance"] = None
            else:
                result["cpu_ms_per_request"] = sum(used) * 1e3 / max(1, result["requests"])
                result["workers_cpu_balance"] = min(used) / max(used) if max(used) > 0 else None
            return result

        def post(label: str, secs: float) -> dict[str, Any]:
            result = timed(
                server.base + "/v1/evaluate", tmp / "bodies.lua", secs, [scripts[label], offsets[label], 0, 0]
            )
            # the next run starts past every body of this one, those in flight at its end included
            offsets[label] += result["requests"] + 2 * CONNECTIONS
            return result

        for label in kinds:  # warm-up, not measured: every Control of both groundings made
            post(label, 3)
        hits_before = _metric(server.base, "livegate_answer_cache_hits_total")
        runs: dict[str, list[dict[str, Any]]] = {"GET /v1/health": [], **{label: [] for label in kinds}}
        for _ in range(rounds):
            runs["GET /v1/health"].append(timed(server.base + "/v1/health", tmp / "health.lua", seconds))
            for label in kinds:
                runs[label].append(post(label, seconds))
        hits = _metric(server.base, "livegate_answer_cache_hits_total") - hits_before
        rss = [round(_rss_mb(pid), 1) for pid in server.workers()]
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    best = {label: max(results, key=lambda r: r["rps"]) for label, results in runs.items()}
    health = best["GET /v1/health"]
    rows = []
    for label in kinds:
        r = best[label]
        rows.append(
            {
                "row": label,
                **r,
                "rps_each_round": [round(x["rps"]) for x in runs[label]],
                "baseline": {
                    "name": "GET /v1/health",
                    **health,
                    "rps_each_round": [round(x["rps"]) for x in runs["GET /v1/health"]],
                },
                "rate_vs_health": r["rps"] / health["rps"],
            }
        )
    return {
        "seconds": seconds,
        "rounds": rounds,
        "connections": CONNECTIONS,
        "threads": _server_threads(),
        "distinct_bodies": BODIES,
        "answer_cache_hits": hits,
        "worker_rss_mb": rss,
        "rows": rows,
    }


def _server_threads() -> int:
    """The threads of each worker of the measured server: ``LIVEGATE_POOL_SIZE`` where the
    environment sets it, else the default (``livegate serve`` runs one thread per Control)."""
    value = os.environ.get("LIVEGATE_POOL_SIZE")
    return int(value) if value else int(DEFAULTS["POOL_SIZE"])


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_http(result: dict[str, Any]) -> None:
    print(
        f"\n== http: livegate serve, gunicorn 2 workers of {result.get('threads', '?')} threads, wrk {CONNECTIONS} "
        f"connections, best of "
        f"{result.get('rounds')} round(s) of {result.get('seconds')} s =="
    )
    if "skipped" in result:
        print("skipped:", result["skipped"])
        return
    print(
        f"{'row':56} {'req/s':>7} {'p50':>7} {'p99':>7} {'cpu':>6} {'bal':>4} {'err':>4} | "
        f"{'baseline':15} {'req/s':>7} {'p99':>7} {'cpu':>6} {'bal':>4} {'ratio':>6}"
    )
    for r in result["rows"]:
        b = r["baseline"]
        print(
            f"{r['row']:56} {r['rps']:>7.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{_ms(r.get('cpu_ms_per_request')):>6} {_ms(r.get('workers_cpu_balance')):>4} {r['errors']:>4} | "
            f"{b['name']:15} {b['rps']:>7.0f} {b['p99_ms']:>7.1f} "
            f"{_ms(b.get('cpu_ms_per_request')):>6} {_ms(b.get('workers_cpu_balance')):>4} {r['rate_vs_health']:>6.1%}"
        )
    # every row and its baseline, the one health run shown beside each row counted once
    health = {(r["baseline"]["requests"], r["baseline"]["rps"]): r["baseline"] for r in result["rows"]}
    shown = [*result["rows"], *health.values()]
    lopsided = sum(1 for run in shown if (run.get("workers_cpu_balance") or 1.0) < 0.5)
    if lopsided:
        print(f"WARNING: in {lopsided} run(s) shown one worker did under half the other's work: not comparable")
    print(
        f"(ms; cpu: the workers' CPU time, user + system, per request answered in that run; "
        f"bal: the least busy worker's CPU time over the busiest's; "
        f"{result['distinct_bodies']:,} distinct bodies per row; answer-cache hits during the measured runs: "
        f"{result['answer_cache_hits']:.0f}; worker RSS after: {result['worker_rss_mb']} MB)"
    )


# -- RSS -------------------------------------------------------------------------------------
def _engine_caches(base: str, pids: list[int], tries: int = 400) -> dict[int, Any]:
    """Each worker's ``engine_caches`` from ``/v1/health`` (asked until every worker has answered)."""
    seen: dict[int, Any] = {}
    for _ in range(tries):
        health = json.loads(_get(base + "/v1/health"))
        seen[health["pid"]] = health["engine_caches"]
        if set(pids) <= seen.keys():
            break
    return seen


WARM_MORE = 5_000
"""Requests of each further warm-up round, while a worker's caches still fill."""
WARM_SETTLED = 0.01
"""A worker's caches count as full when no cache gained more than this share of its entries in a round."""


def _still_filling(before: dict[int, Any], after: dict[int, Any]) -> bool:
    """Whether some worker's answer-writer cache gained more than :data:`WARM_SETTLED` of its entries,
    or some worker has not been sent a request yet (its caches are empty: the connections of a wrk
    run can all land on one worker)."""
    for pid, caches in after.items():
        was = before.get(pid)
        if was is None or all(cache["entries"] == 0 for cache in caches.values()):
            return True
        for name, cache in caches.items():
            if cache["entries"] > was[name]["entries"] * (1 + WARM_SETTLED):
                return True
    return False


def bench_rss(requests: int, warm_up: int, warm_up_limit: int | None = None) -> dict[str, Any]:
    """Each worker's RSS before and after ``requests`` requests, each with a distinct set of own
    costs; "before" is after a warm-up of such requests (their own costs distinct from the run's):
    ``warm_up``, then rounds of :data:`WARM_MORE` while some worker's bounded caches still gain more
    than 1 % of their entries in a round (how many requests fill them depends on the corpus and on
    how the workers happen to share the requests), up to ``warm_up_limit`` (4 × ``warm_up``) in all
    (docs/performance.md#rss)."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    import random

    engine = Engine(pool_size=1, override_pool_size=1)
    tmp = Path(tempfile.mkdtemp(prefix="livegate-bench-rss-"))
    rnd = random.Random(RSS_SEED)
    items = sorted(engine.catalogue.items)
    pairs = [tuple(rnd.sample(items, 2)) for _ in range(997)]
    _bodies(tmp / "bodies.jsonl", corpus.realistic(engine, BODIES, RSS_SEED, overrides=False), pairs)  # type: ignore[arg-type]
    (tmp / "bodies.lua").write_text(LUA_BODIES + LUA_DONE)
    server = Server({"LIVEGATE_ACCESS_LOG": "false"})
    samples: list[list[float]] = []
    limit = warm_up_limit if warm_up_limit is not None else 4 * warm_up
    warmed, rounds = 0, 0
    try:
        pids = server.workers()
        caches_before: dict[int, Any] = {}
        while True:
            # per wrk thread (two): at least every Control of both pools made; own costs past the run's
            each = max(50, (warm_up if rounds == 0 else min(WARM_MORE, warm_up, limit - warmed)) // 2)
            warm = _wrk(
                server.base + "/v1/evaluate",
                tmp / "bodies.lua",
                3600,
                [tmp / "bodies.jsonl", 5_000_000 + warmed, each, 1, tmp],
                tmp,
            )
            warmed += warm["requests"]
            rounds += 1
            caches = _engine_caches(server.base, pids)
            filling = _still_filling(caches_before, caches)
            caches_before = caches
            if not filling or warmed + min(WARM_MORE, warm_up) > limit:
                break
        before = [_rss_mb(pid) for pid in pids]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(2.0):
                samples.append([_rss_mb(pid) for pid in pids])

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        run = _wrk(
            server.base + "/v1/evaluate",
            tmp / "bodies.lua",
            7200,
            [tmp / "bodies.jsonl", 0, requests // 2, 1, tmp],
            tmp,
        )
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
        after = [_rss_mb(pid) for pid in pids]
        caches_after = _engine_caches(server.base, pids)
        same_workers = server.workers() == pids
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    change = [a / b - 1 for a, b in zip(after, before, strict=True)]
    return {
        "row": f"worker RSS after {run['requests']:,} requests, each a distinct set of own costs",
        "requests": run["requests"],
        "warm_up_requests": warmed,
        "warm_up_rounds": rounds,
        "caches_settled": not filling,
        "seconds": elapsed,
        "errors": run["errors"],
        "p99_ms": run["p99_ms"],
        "rps": run["rps"],
        "baseline": {
            "name": f"RSS before (after {warmed:,} warm-up requests"
            + ("" if not filling else ", caches still filling")
            + ")",
            "rss_mb": [round(x, 1) for x in before],
        },
        "rss_after_mb": [round(x, 1) for x in after],
        "rss_peak_mb": [round(max(s[k] for s in samples), 1) for k in range(len(pids))] if samples else None,
        # each worker's RSS at the end of each tenth of the run (sampled every 2 s; the rate is steady,
        # so a tenth of the time is about a tenth of the requests): whether it levels off
        "rss_tenths_mb": [[round(x, 1) for x in samples[max(0, len(samples) * k // 10 - 1)]] for k in range(1, 11)]
        if samples
        else None,
        "change": change,
        # each worker's highest RSS in the first and in the last tenth of the run (about two of the
        # workers' trims, TRIM_INTERVAL, each): growth over the run, wherever a snapshot falls on the
        # saw-tooth of memory handed back (docs/performance.md#rss-sawtooth)
        "rss_highest_first_last_tenth_mb": _first_last_tenth_peaks(samples),
        "same_workers": same_workers,
        # each worker's answer-writer caches (/v1/health), before and after: whether they were still filling
        "engine_caches": [{"before": caches_before.get(pid), "after": caches_after.get(pid)} for pid in pids],
    }


def _first_last_tenth_peaks(samples: list[list[float]]) -> list[list[float]] | None:
    """Per worker, [highest RSS in the first tenth of the samples, highest in the last tenth];
    None with fewer than 20 samples (two a tenth)."""
    if len(samples) < 20:
        return None
    tenth = len(samples) // 10
    first, last = samples[:tenth], samples[-tenth:]
    return [[round(max(s[k] for s in first), 1), round(max(s[k] for s in last), 1)] for k in range(len(samples[0]))]


def _filled(caches: dict[str, Any] | None, name: str) -> str:
    if caches is None:
        return "?"
    c = caches[name]
    if "bytes" in c:
        return f"{c['entries']:,} ({c['bytes'] / 2**20:.1f} of {c['limit'] / 2**20:.0f} MiB)"
    return f"{c['entries']:,} (of {c['limit']:,})"


def print_rss(result: dict[str, Any]) -> None:
    print("\n== rss: livegate serve, 2 workers ==")
    if "skipped" in result:
        print("skipped:", result["skipped"])
        return
    print(
        f"{result['row']}: {result['rss_after_mb']} MB (peak {result['rss_peak_mb']}) | baseline: "
        f"{result['baseline']['name']}: {result['baseline']['rss_mb']} MB | change "
        + ", ".join(f"{c:+.1%}" for c in result["change"])
        + f" | {result['rps']:.0f} req/s, p99 {result['p99_ms']:.0f} ms, {result['errors']} errors, "
        f"{result['seconds']:.0f} s, same workers throughout: {result['same_workers']}"
    )
    for k, caches in enumerate(result.get("engine_caches") or []):
        print(
            f"worker {k + 1}'s caches, before → after: "
            + "; ".join(
                f"{name} {_filled(caches['before'], name)} → {_filled(caches['after'], name)}"
                for name in ("fragments", "plans", "sentences", "plan_explanations")
            )
        )
    if result.get("rss_tenths_mb"):
        print(
            "RSS at the end of each tenth of the run, MB: "
            + "  ".join("/".join(map(str, t)) for t in result["rss_tenths_mb"])
        )
    peaks = result.get("rss_highest_first_last_tenth_mb")
    if peaks:
        print(
            "highest RSS in the first → the last tenth of the run (not where the saw-tooth of trims "
            "stands): " + ", ".join(f"{a} → {b} MB ({b / a - 1:+.1%})" for a, b in peaks)
        )


# -- batch -----------------------------------------------------------------------------------
_FULL: list[Engine] = []


def _full_init() -> None:
    _FULL.append(Engine(pool_size=1, override_pool_size=1))


def _full_row(numbered: tuple[int, str]) -> list[Any]:
    """The baseline's row: written from the full answer, as ``livegate batch --csv`` did before it
    asked the rules for a summary (docs/performance.md#summary)."""
    number, text = numbered
    engine = _FULL[0]
    ruleset = (engine.ruleset["version"], engine.ruleset["digest"])
    return csv_row(number, engine.answer(loads(text), explain=False), None, ruleset)


def bench_batch(n: int) -> dict[str, Any]:
    """``livegate batch`` CSV on ``n`` realistic profiles, and beside it the same rows written from
    full answers by the same number of worker processes (the way before summaries)."""
    import csv
    import multiprocessing

    engine = Engine(pool_size=1, override_pool_size=1)
    tmp = Path(tempfile.mkdtemp(prefix="livegate-bench-batch-"))
    profiles = corpus.realistic(engine, n, BATCH_SEED)
    own = sum(1 for p in profiles if engine.overrides(engine.parse(p)))
    source = tmp / "in.jsonl"
    source.write_text(corpus.dumps(profiles), encoding="utf-8")
    try:
        start = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "livegate"),
                "batch",
                str(source),
                "-o",
                str(tmp / "out.csv"),
                "--workers",
                "2",
            ],
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - start
        shipped = (tmp / "out.csv").read_text(encoding="utf-8")
        start = time.perf_counter()
        with (
            multiprocessing.get_context("fork").Pool(2, initializer=_full_init) as pool,
            (tmp / "full.csv").open("w", encoding="utf-8", newline="") as f,
        ):
            writer = csv.writer(f)
            writer.writerow([*CSV_HEAD[:2], *engine.catalogue.categories, *CSV_HEAD[2:]])
            with source.open(encoding="utf-8") as lines:
                for row in pool.imap(_full_row, enumerate(lines, 1), chunksize=64):
                    writer.writerow(row)
        full_elapsed = time.perf_counter() - start
        full = (tmp / "full.csv").read_text(encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "row": f"livegate batch --csv, {n:,} distinct realistic profiles ({own / n:.0%} with own costs), 2 workers",
        "profiles": n,
        "answered": shipped.count("\n") - 1,
        "seconds": elapsed,
        "profiles_per_s": n / elapsed,
        "same_rows": shipped == full,
        "full_answers": {
            "name": "the same rows from full answers, 2 worker processes",
            "seconds": full_elapsed,
            "profiles_per_s": n / full_elapsed,
        },
        "baseline": {"name": "target (issue 11)", "profiles_per_s": 2000},
    }


def print_batch(result: dict[str, Any]) -> None:
    print("\n== batch ==")
    full = result["full_answers"]
    print(
        f"{result['row']}: {result['seconds']:.1f} s, {result['profiles_per_s']:,.0f} profiles/s, "
        f"{result['answered']:,} answered | baseline: {full['name']}: {full['seconds']:.1f} s, "
        f"{full['profiles_per_s']:,.0f} profiles/s "
        f"({'the same rows' if result['same_rows'] else 'ROWS DIFFER'}) | target (issue 11): "
        f"{result['baseline']['profiles_per_s']:,} profiles/s"
    )


# -- scale -----------------------------------------------------------------------------------
SCALE_CHILD = textwrap.dedent("""
    import json, resource, statistics, sys, time
    from livegate import Engine, Knowledge
    from livegate.solver import EvaluationTimeout
    folder, profiles_file, bb_n, bb_timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    t0 = time.perf_counter()
    engine = Engine(Knowledge.load(folder + "/facts", folder + "/logic"), pool_size=1, override_pool_size=1)
    ground_s = time.perf_counter() - t0
    pools = (engine.groundings.default, engine.groundings.override)
    def controls():
        out = []
        for pool in pools:
            s = pool.take(None, None); pool.give(s); out.append(s)
        return out
    rules = [int(s.ctl.statistics["problem"]["lp"]["rules"]) for s in controls()]
    def strategy(name):
        for s in controls():
            s.ctl.configuration.solver.opt_strategy = name
    # the shipped (1x) knowledge base in the same process, each profile evaluated on
    # it beside the larger one: the growth is measured side by side, not across runs
    one = Engine(pool_size=1, override_pool_size=1)
    pool = one.groundings.default
    solver = pool.take(None, None); pool.give(solver)
    one_rules = int(solver.ctl.statistics["problem"]["lp"]["rules"])
    profiles = [engine.parse(json.loads(line)) for line in open(profiles_file)]
    for p in profiles[:3]:  # first calls prepare each Control's program
        one.evaluate(p); engine.evaluate(p)
    times = {"usc": [], "bb": [], "one": []}; solve = []; timeouts = 0; same = 0; plans = []
    for k, p in enumerate(profiles):
        order = ["usc", "one", "bb"] if k % 2 == 0 else ["bb", "one", "usc"]
        answers = {}
        for name in order:
            if name == "bb" and k >= bb_n:
                continue
            if name == "one":
                s = time.perf_counter(); one.evaluate(p); times["one"].append(time.perf_counter() - s)
                continue
            strategy(name)
            s = time.perf_counter()
            try:
                answers[name] = engine.evaluate(p, timeout=bb_timeout if name == "bb" else None)
            except EvaluationTimeout:
                timeouts += 1
                answers[name] = None
            times[name].append(time.perf_counter() - s)
        strategy("usc")
        s = time.perf_counter(); engine.solve(p); solve.append(time.perf_counter() - s)
        plans.append(len(answers["usc"]["cheapest"]["plans"]))
        if "bb" in answers:
            same += answers["bb"] is not None and answers["bb"]["cheapest"] == answers["usc"]["cheapest"]
    ms = lambda ts: statistics.median(ts) * 1e3 if ts else None
    p99 = lambda ts: sorted(ts)[min(len(ts) - 1, int(0.99 * len(ts)))] * 1e3
    print(json.dumps({"categories": len(engine.catalogue.categories), "items": len(engine.catalogue.items),
        "ground_rules": rules[0], "ground_rules_override": rules[1], "load_and_ground_s": ground_s,
        "profiles": len(profiles), "usc_median_ms": ms(times["usc"]), "usc_p99_ms": p99(times["usc"]),
        "one_rules": one_rules, "one_median_ms": ms(times["one"]), "one_profiles": len(times["one"]),
        "solve_only_median_ms": ms(solve), "bb_profiles": len(times["bb"]), "bb_median_ms": ms(times["bb"]),
        "bb_timeouts": timeouts, "bb_timeout_s": bb_timeout, "bb_same_cheapest": same,
        "mean_tied_plans": statistics.mean(plans),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def bench_scale(
    factors: list[int], profiles_of: dict[int, int], bb_of: dict[int, int], bb_timeout: float
) -> dict[str, Any]:
    from bench import synthetic

    engine = Engine(pool_size=1, override_pool_size=1)
    tmp = Path(tempfile.mkdtemp(prefix="livegate-bench-scale-"))
    rows = []
    try:
        everyone = corpus.realistic(engine, max(profiles_of.values()))
        for factor in factors:
            folder = tmp / f"kb{factor}"
            synthetic.generate(factor, folder)
            pfile = tmp / f"profiles{factor}.jsonl"
            pfile.write_text(corpus.dumps(everyone[: profiles_of[factor]]), encoding="utf-8")
            start = time.perf_counter()
            child = subprocess.run(
                [sys.executable, "-c", SCALE_CHILD, str(folder), str(pfile), str(bb_of[factor]), str(bb_timeout)],
                capture_output=True,
                text=True,
            )
            if child.returncode != 0:
                raise RuntimeError(f"the {factor}x scale run failed:\n{child.stderr}")
            rows.append({"factor": factor, **json.loads(child.stdout), "seconds": time.perf_counter() - start})
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    first = rows[0]
    for r in rows:
        # side by side: over the shipped knowledge base in the same process, on the same profiles
        r["program_growth"] = r["ground_rules"] / r["one_rules"]
        r["evaluation_growth"] = r["usc_median_ms"] / r["one_median_ms"]
        r["growth_ratio"] = r["evaluation_growth"] / r["program_growth"]
        # across runs: over the first row's own run (what earlier benchmarks reported)
        r["program_growth_across_runs"] = r["ground_rules"] / first["ground_rules"]
        r["evaluation_growth_across_runs"] = r["usc_median_ms"] / first["usc_median_ms"]
        r["growth_ratio_across_runs"] = r["evaluation_growth_across_runs"] / r["program_growth_across_runs"]
        if r["bb_median_ms"] is not None and first["bb_median_ms"] is not None:
            r["bb_evaluation_growth"] = r["bb_median_ms"] / first["bb_median_ms"]
            r["bb_growth_ratio"] = r["bb_evaluation_growth"] / r["program_growth"]
    return {"bb_timeout_s": bb_timeout, "rows": rows}


def print_scale(result: dict[str, Any]) -> None:
    print("\n== scale: synthetic knowledge bases (bench/synthetic.py), realistic profiles, Engine.evaluate ==")
    print(
        f"{'factor':>6} {'cats':>5} {'rules':>9} {'ground s':>8} {'n':>4} {'usc median':>10} {'p99':>8} "
        f"{'1x beside':>9} {'growth':>7} {'/program':>8} {'across':>6} | {'baseline: bb':>12} {'n':>3} {'t-outs':>6} "
        f"{'same':>4} {'growth':>7} | {'ties':>5} {'RSS MB':>7}"
    )
    for r in result["rows"]:
        bb = f"{r['bb_median_ms']:>12.1f}" if r["bb_median_ms"] is not None else f"{'-':>12}"
        bbg = f"{r['bb_evaluation_growth']:>6.1f}x" if "bb_evaluation_growth" in r else f"{'-':>7}"
        print(
            f"{r['factor']:>5}x {r['categories']:>5} {r['ground_rules']:>9} {r['load_and_ground_s']:>8.1f} "
            f"{r['profiles']:>4} {r['usc_median_ms']:>10.1f} {r['usc_p99_ms']:>8.1f} {r['one_median_ms']:>9.1f} "
            f"{r['evaluation_growth']:>6.1f}x {r['growth_ratio']:>8.2f} {r['growth_ratio_across_runs']:>6.2f} | "
            f"{bb} {r['bb_profiles']:>3} {r['bb_timeouts']:>6} {r['bb_same_cheapest']:>4} "
            f"{bbg} | {r['mean_tied_plans']:>5.1f} {r['max_rss_mb']:>7.0f}"
        )
    print(
        "(ms; 1x beside: the shipped knowledge base in the same process, each profile evaluated on it in turn; "
        "growth: the median over that 1x median; /program: that over the ground program's growth (target <= 1.3); "
        "across: the same ratio taken over the first row's run instead, as earlier benchmarks did; "
        f"bb: clingo's default branch-and-bound on the same grounding, each evaluation bounded by "
        f"{result['bb_timeout_s']:g} s (a time-out counts as the bound), its growth across runs; "
        "rules: the default grounding's)"
    )


# -- main ------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run of every part (2-5 minutes)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the figures")
    parser.add_argument("--profiles", type=int, help="engine: realistic profiles (1,000; quick 150)")
    parser.add_argument("--previous", default=PREVIOUS, help="engine: the previous release's revision ('' to skip)")
    parser.add_argument("--http-seconds", type=float, help="http: seconds per wrk run (10; quick 3)")
    parser.add_argument("--rss-requests", type=int, help="rss: requests with distinct own costs (100,000; quick 3,000)")
    parser.add_argument(
        "--rss-warm-up",
        type=int,
        help="rss: requests before the first RSS (20,000; quick 100), then rounds of 5,000 while the "
        "workers' caches still fill, up to 4 times as many in all",
    )
    parser.add_argument("--batch-profiles", type=int, help="batch: profiles (100,000; quick 2,000)")
    parser.add_argument("--scale-factors", help="scale: factors (1,10,100; quick 1,10)")
    args = parser.parse_args(argv)
    parts = [p for p in args.only.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    quick = args.quick
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "clingo": clingo.__version__,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": quick,
        "parts": parts,
    }
    started = time.perf_counter()
    print(
        f"livegate benchmark, {results['date']}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"clingo {clingo.__version__}, options {' '.join(OPTIONS)}"
    )
    for part in PARTS:
        if part not in parts:
            continue
        t0 = time.perf_counter()
        if part == "engine":
            n = args.profiles or (150 if quick else 1000)
            results["engine"] = bench_engine(n, 1 if quick else 3, 10 if quick else 40, args.previous or None)
            print_engine(results["engine"])
        elif part == "http":
            results["http"] = bench_http(args.http_seconds or (3 if quick else 10), 1 if quick else 2)
            print_http(results["http"])
        elif part == "rss":
            results["rss"] = bench_rss(
                args.rss_requests or (3000 if quick else 100_000),
                args.rss_warm_up if args.rss_warm_up is not None else (100 if quick else 20_000),
            )
            print_rss(results["rss"])
        elif part == "batch":
            results["batch"] = bench_batch(args.batch_profiles or (2000 if quick else 100_000))
            print_batch(results["batch"])
        elif part == "scale":
            factors = [int(f) for f in (args.scale_factors or ("1,10" if quick else "1,10,100")).split(",")]
            profiles_of = {
                f: (20 if quick else 200) if f == 1 else (5 if quick else 40) if f <= 10 else 10 for f in factors
            }
            bb_of = {f: min(profiles_of[f], 20 if f == 1 else 3 if quick else 10 if f <= 10 else 5) for f in factors}
            results["scale"] = bench_scale(factors, profiles_of, bb_of, 2.0 if quick else 10.0)
            print_scale(results["scale"])
        results.setdefault("seconds", {})[part] = time.perf_counter() - t0
        args.json.write_text(json.dumps(results, indent=2) + "\n")  # after each part: a later failure keeps it
    results["seconds"]["total"] = time.perf_counter() - started
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{results['seconds']['total']:.0f} s in all; written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
