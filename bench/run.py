"""The benchmark: every figure next to a baseline measured in the same run.

    python bench/run.py                 # all sections (installs Debian's wrk when missing, as root)
    python bench/run.py --quick         # smaller corpus, 3 s of HTTP, scale 1x/10x
    python bench/run.py --sections engine,scale   # some sections only

Sections
  engine  per-evaluation latency of the engine over a seeded corpus of valid
          random profiles, against (a) the naive way: a fresh clingo.Control
          that loads, grounds and solves for each profile, and (b) the plain
          Python brute-force reference evaluator of tests/reference.py
  http    POST /v1/evaluate under gunicorn (2 workers, concurrency 16, wrk),
          as shipped (answer cache on) and with the answer cache off, against
          the floor: the same server setup answering a precomputed response of
          the same size
  scale   the engine with synthetic knowledge bases 10x and 100x the size
  batch   `livegate batch` throughput on 100,000 profiles

It prints a table and writes the figures as JSON (bench/results.json).
Timings are medians and 99th percentiles of wall-clock time; this machine is
shared, so compare figures of one run with each other, not across runs.
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
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from livegate import Engine, Knowledge, corpus  # noqa: E402
from livegate.solver import Solver as _Solver  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _timed(fn: Callable[[Any], Any], inputs: Sequence[Any]) -> list[float]:
    times = []
    gc.disable()
    try:
        for x in inputs:
            start = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return times


def _interleaved(fns: Sequence[Callable[[Any], Any]], inputs: Sequence[Any]) -> list[list[float]]:
    """Each function timed once on each input, the functions in turn, each a
    third of the corpus apart: no call follows another on the same profile (a
    profile solved just before is solved faster, which a service that answers
    a stream of different profiles does not see)."""
    times: list[list[float]] = [[] for _ in fns]
    n, m = len(inputs), len(fns)
    gc.disable()
    try:
        for k in range(n):
            for j, fn in enumerate(fns):
                x = inputs[(k + j * n // m) % n]
                start = time.perf_counter()
                fn(x)
                times[j].append(time.perf_counter() - start)
    finally:
        gc.enable()
    return times


def _row(label: str, times: list[float]) -> dict:
    return {
        "label": label,
        "n": len(times),
        "median_ms": statistics.median(times) * 1e3,
        "p99_ms": _percentile(times, 0.99) * 1e3,
    }


# --- engine ---------------------------------------------------------------------
def bench_engine(n: int, naive_n: int, rounds: int) -> dict:
    """Every row is timed ``rounds`` times over the corpus, the rows in turn; a
    row reports its fastest round (its median and that round's p99), as timeit
    does, so that a slow spell of this shared machine does not decide it."""
    knowledge = Knowledge.load()
    engine = Engine(knowledge, pool_size=1)
    profiles = corpus.profiles(knowledge.catalogue_json(), n)
    parsed = [engine.parse(p) for p in profiles]
    # a running service has met many profiles before: warm the shaper's caches
    # (category entries and plans by their atoms) on another seed's corpus
    for p in corpus.profiles(knowledge.catalogue_json(), n, seed=corpus.WARM_UP_SEED):
        engine.evaluate(p)
        engine.evaluate(p, explain=False)

    def naive(p: Any) -> Any:
        solver = _Solver(knowledge, overrides=bool(engine.overrides(p)))  # a fresh Control: load, ground, solve
        answer = solver.solve(engine.input_atoms(p), engine.overrides(p), None, engine.groundings.watchdog)
        return engine.shaper.shape(p, answer, engine.unit_costs(p), engine.overrides(p))

    labels = [
        "engine.evaluate (with explanations)",
        "engine.evaluate(explain_=False)",
        "engine.solve only (no JSON)",
        "naive: fresh Control per profile",
    ]
    rounds_of: dict[str, list[list[float]]] = {label: [] for label in labels}
    for _ in range(rounds):
        # the three are timed in turn on each profile, so that a slow spell
        # falls on all of them alike
        for label, times in zip(
            labels,
            _interleaved([engine.evaluate, lambda p: engine.evaluate(p, explain=False), engine.solve], parsed),
            strict=False,
        ):
            rounds_of[label].append(times)
        rounds_of[labels[3]].append(_timed(naive, parsed[:naive_n]))
    rows = []
    for label, each in rounds_of.items():
        if not each:
            continue
        best = min(each, key=statistics.median)
        rows.append({**_row(label, best), "round_medians_ms": [statistics.median(t) * 1e3 for t in each]})
    engine_median = rows[0]["median_ms"]
    naive_median = next(r["median_ms"] for r in rows if r["label"].startswith("naive"))
    return {"profiles": n, "rounds": rounds, "rows": rows, "speedup_over_naive": naive_median / engine_median}


# --- http -----------------------------------------------------------------------
FLOOR_APP = textwrap.dedent('''
    """The floor: the same gunicorn setup answering a precomputed response."""
    import os
    from flask import Flask, Response

    BODY = open(os.environ["LIVEGATE_FLOOR_BODY"], "rb").read()

    def create_app():
        app = Flask("floor")

        @app.post("/v1/evaluate")
        def evaluate():
            return Response(BODY, mimetype="application/json")

        return app
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _wrk(url: str, body_file: Path, seconds: int, connections: int) -> dict:
    script = body_file.with_suffix(".lua")
    script.write_text(
        textwrap.dedent(f'''
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        local f = io.open("{body_file}", "rb"); wrk.body = f:read("*a"); f:close()
        done = function(summary, latency, requests)
          io.write(string.format("LIVEGATE %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
            latency:percentile(50), latency:percentile(99), summary.errors.connect + summary.errors.read +
            summary.errors.write + summary.errors.timeout, summary.errors.status, latency.max))
        end
    ''')
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LIVEGATE "))
    requests, duration_us, p50, p99, errors, status_errors, _max_us = map(int, line.split()[1:])
    return {
        "requests": requests,
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50 / 1e3,
        "p99_ms": p99 / 1e3,
        "socket_errors": errors,
        "non_2xx": status_errors,
    }


def _warm_up(url: str, body_file: Path, connections: int) -> None:
    """Two seconds of load, not measured. The first health answer comes from the
    first worker up; wrk's keep-alive connections, opened at once, would all stay
    on it while the second worker is still grounding its knowledge base."""
    time.sleep(1.0)
    _wrk(url, body_file, 2, connections)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _ensure_wrk() -> bool:
    """wrk from Debian's packages; installed here when missing and we may (root with apt-get)."""
    if shutil.which("wrk") is not None:
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install wrk) for the HTTP section …", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    return shutil.which("wrk") is not None


def bench_http(seconds: int, rounds: int, connections: int = 16) -> dict:
    if not _ensure_wrk():
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    tmp = Path(tempfile.mkdtemp(prefix="livegate-bench-"))
    profile = json.loads((ROOT / "examples" / "ecommerce_seller.json").read_text())
    body = tmp / "profile.json"
    body.write_text(json.dumps(profile))
    env = dict(os.environ, LIVEGATE_ACCESS_LOG="false")
    bindir = Path(sys.executable).parent

    def start(argv: Callable[[int], list[str]], extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
        port = _free_port()
        proc = subprocess.Popen(
            argv(port),
            env=dict(env, **extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return proc, f"http://127.0.0.1:{port}/v1/evaluate"

    def post(url: str) -> bytes:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    url, data=body.read_bytes(), headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request) as response:
                    return response.read()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    # as shipped (the answer cache on: wrk repeats one profile, so every answer
    # after the first of each worker comes from it), with the cache off (every
    # request solved: what a stream of distinct profiles costs), and the floor.
    # The three servers run side by side (idle but for the one under load) and
    # are measured in turn, `rounds` times; the best round of each is kept, so
    # that a slow spell of this shared machine does not decide the comparison.
    def livegate(port: int) -> list[str]:
        return [str(bindir / "livegate"), "serve", "--workers", "2", "--port", str(port)]

    def floor_server(port: int) -> list[str]:
        return [
            str(bindir / "gunicorn"),
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "floor_app:create_app()",
        ]

    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        servers["service"] = start(livegate, {})
        servers["service_uncached"] = start(livegate, {"LIVEGATE_ANSWER_CACHE": "0"})
        answer = post(servers["service"][1])
        post(servers["service_uncached"][1])
        (tmp / "answer.json").write_bytes(answer)
        (tmp / "floor_app.py").write_text(FLOOR_APP)
        servers["floor"] = start(
            floor_server, {"LIVEGATE_FLOOR_BODY": str(tmp / "answer.json"), "PYTHONPATH": str(tmp)}
        )
        post(servers["floor"][1])
        for _, url in servers.values():
            _warm_up(url, body, connections)
        runs: dict[str, list[dict]] = {key: [] for key in servers}
        for _ in range(rounds):
            for key, (_, url) in servers.items():
                runs[key].append(_wrk(url, body, seconds, connections))
        best = {key: max(results, key=lambda r: r["rps"]) for key, results in runs.items()}
        for key in ("service", "service_uncached"):
            best[key]["worker_rss_mb"] = [round(_rss_mb(pid), 1) for pid in _children(servers[key][0].pid)]
    finally:
        for proc, _ in servers.values():
            _stop(proc)
    labels = {
        "service": "livegate serve (answer cache on, as shipped)",
        "service_uncached": "livegate serve, LIVEGATE_ANSWER_CACHE=0",
        "floor": "floor: same server, precomputed answer",
    }
    for key, result in best.items():
        result["label"] = labels[key]
        result["rps_each_round"] = [round(r["rps"]) for r in runs[key]]
    return {
        "seconds": seconds,
        "connections": connections,
        "rounds": rounds,
        "response_bytes": len(answer),
        **best,
        "throughput_vs_floor": best["service"]["rps"] / best["floor"]["rps"],
        "uncached_throughput_vs_floor": best["service_uncached"]["rps"] / best["floor"]["rps"],
    }


# --- scale ----------------------------------------------------------------------
SCALE_CHILD = textwrap.dedent("""
    import json, resource, statistics, sys, time
    from livegate import Engine, Knowledge, corpus
    t0 = time.perf_counter()
    knowledge = Knowledge.load(sys.argv[1] + "/facts", sys.argv[1] + "/logic")
    engine = Engine(knowledge, pool_size=1)
    ground = time.perf_counter() - t0
    base = Knowledge.load()
    profiles = [engine.parse(p) for p in corpus.profiles(base.catalogue_json(), int(sys.argv[2]))]
    solver = engine.groundings.default.take(None, None)
    engine.groundings.default.give(solver)
    times, clasp, plans = [], [], []
    for p in profiles:
        s = time.perf_counter(); answer = engine.evaluate(p, explain=False); times.append(time.perf_counter() - s)
        plans.append(len(answer["cheapest"]["plans"]))
        # the baseline: clingo's solve call alone on the same grounding, no model read
        literals = solver.assumptions(engine.input_atoms(p))
        s = time.perf_counter(); solver.ctl.solve(assumptions=literals); clasp.append(time.perf_counter() - s)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"categories": len(knowledge.catalogue.categories), "items": len(knowledge.catalogue.items),
                      "ground_rules": int(solver.ctl.statistics["problem"]["lp"]["rules"]),
                      "load_and_ground_s": ground, "median_ms": statistics.median(times) * 1e3,
                      "clingo_solve_median_ms": statistics.median(clasp) * 1e3,
                      "mean_tied_plans": statistics.mean(plans), "max_rss_mb": rss}))
""")


def bench_scale(factors: list[int], n: int) -> dict:
    from bench import synthetic

    rows = []
    for factor in factors:
        target = Path(tempfile.mkdtemp(prefix=f"livegate-kb{factor}-"))
        synthetic.generate(factor, target)
        child = subprocess.run(
            [sys.executable, "-c", SCALE_CHILD, str(target), str(n), str(HERE)], capture_output=True, text=True
        )
        if child.returncode != 0:
            raise RuntimeError(f"the {factor}x scale run failed:\n{child.stderr}")
        out = child.stdout
        rows.append({"factor": factor, **json.loads(out)})
        shutil.rmtree(target, ignore_errors=True)
    return {"profiles": n, "rows": rows}


# --- batch ----------------------------------------------------------------------
def bench_batch(n: int) -> dict:
    knowledge = Knowledge.load()
    profiles = corpus.profiles(knowledge.catalogue_json(), 1000)
    tmp = Path(tempfile.mkdtemp(prefix="livegate-batch-"))
    source = tmp / "in.jsonl"
    with source.open("w") as f:
        for k in range(n):
            f.write(json.dumps(profiles[k % len(profiles)]) + "\n")
    start = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "livegate"), "batch", str(source), "-o", str(tmp / "out.csv")],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - start
    shutil.rmtree(tmp, ignore_errors=True)
    return {"profiles": n, "seconds": elapsed, "profiles_per_s": n / elapsed, "workers": os.cpu_count()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--sections", default="engine,http,scale,batch")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    quick = args.quick
    results: dict = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "quick": quick,
    }
    if "engine" in sections:
        results["engine"] = bench_engine(200 if quick else 1000, 50 if quick else 200, 1 if quick else 3)
        print("\n== engine: per evaluation, seeded corpus of", results["engine"]["profiles"], "profiles ==")
        print(f"{'':52} {'n':>6} {'median ms':>10} {'p99 ms':>9}   medians of each round")
        for r in results["engine"]["rows"]:
            print(
                f"{r['label']:52} {r['n']:>6} {r['median_ms']:>10.3f} {r['p99_ms']:>9.3f}   "
                + " ".join(f"{m:.3f}" for m in r["round_medians_ms"])
            )
        print(f"engine vs naive: {results['engine']['speedup_over_naive']:.1f}x faster")
    if "http" in sections:
        results["http"] = bench_http(3 if quick else 10, 1 if quick else 2)
        h = results["http"]
        print("\n== http: POST /v1/evaluate, gunicorn 2 workers, concurrency 16 ==")
        if "skipped" in h:
            print("skipped:", h["skipped"])
        else:
            print(f"{'':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs floor':>9}")
            for key in ("service", "service_uncached", "floor"):
                r = h[key]
                print(
                    f"{r['label']:44} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                    f"{r['socket_errors'] + r['non_2xx']:>7} {r['rps'] / h['floor']['rps']:>9.0%}"
                )
            print(
                f"response {h['response_bytes']} bytes; worker RSS MB: {h['service']['worker_rss_mb']} "
                f"(cache on), {h['service_uncached']['worker_rss_mb']} (cache off)"
            )
    if "scale" in sections:
        results["scale"] = bench_scale([1, 10] if quick else [1, 10, 100], 100 if quick else 300)
        print("\n== scale: synthetic knowledge bases ==")
        print(
            f"{'factor':>6} {'categories':>10} {'ground rules':>12} {'ground s':>9} {'median ms':>10} "
            f"{'clingo alone':>12} {'tied plans':>10} {'max RSS MB':>11}"
        )
        for r in results["scale"]["rows"]:
            print(
                f"{r['factor']:>6} {r['categories']:>10} {r['ground_rules']:>12} {r['load_and_ground_s']:>9.2f} "
                f"{r['median_ms']:>10.3f} {r['clingo_solve_median_ms']:>12.3f} {r['mean_tied_plans']:>10.1f} "
                f"{r['max_rss_mb']:>11.0f}"
            )
        first = results["scale"]["rows"][0]
        for r in results["scale"]["rows"][1:]:
            print(
                f"{r['factor']}x: evaluation {r['median_ms'] / first['median_ms']:.0f}x the 1x time, "
                f"clingo's solve alone {r['clingo_solve_median_ms'] / first['clingo_solve_median_ms']:.0f}x, "
                f"ground program {r['ground_rules'] / first['ground_rules']:.0f}x"
            )
    if "batch" in sections:
        results["batch"] = bench_batch(5000 if quick else 100_000)
        b = results["batch"]
        print(
            f"\n== batch: {b['profiles']} profiles in {b['seconds']:.1f} s = {b['profiles_per_s']:,.0f} profiles/s "
            f"({b['workers']} workers) =="
        )
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
