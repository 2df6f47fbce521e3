"""``livegate serve`` under concurrent requests, under load and with a worker killed.

- Two workers answer 16 clients at once exactly as the engine answers the same
  profiles one by one.
- ``bench/load.py`` runs for a short, fixed time (``LOAD_SECONDS``; longer
  runs: ``python -m bench.load --seconds 60``) and its figures are checked
  here one property at a time: no 5xx, no wrong answer, no connection error
  except those in flight on the worker it kills, a replacement worker that
  answers, and RSS growth under 10 %.
- Distinct sets of own costs make no Control, and an engine's Controls are
  freed at once when it goes, not when the cyclic garbage collector next runs.
"""

from __future__ import annotations

import gc
import json
import random
import subprocess
import sys
import threading
from pathlib import Path

import clingo
import pytest
from livegate import Engine
from livegate.http.config import DEFAULTS

from tests.strategies import K, compatible
from tests.support.server import Server, send

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted((HERE.parent / "examples").glob("*.json"))
CLIENTS = 16
REQUESTS_PER_CLIENT = 12
LOAD_SECONDS = 8
LOAD_OVERRIDE_SETS = 16
"""Distinct sets of own costs in the load mix (none is ground: the override grounding answers them all)."""
RANDOM_PROFILES = 30
PATH_FIELDS = ("cheapest", "cheapest_by_scenario", "next_steps", "notes")
"""What ``/v1/cheapest`` answers besides the ruleset (docs/answer.md)."""


def _random_profiles(catalogue, n: int, seed: int = 4) -> list[dict]:
    """Valid profiles over every kind of id (roles that fit the subject type, never two that exclude each
    other; no document both listed and counted 0, which is refused), some with counts and own costs."""
    rng = random.Random(seed)
    items, activities = sorted(catalogue.items), sorted(catalogue.activities)
    out = []
    for _ in range(n):
        kind = rng.choice(sorted(catalogue.subject_types))
        fitting = sorted(r for r, role in catalogue.roles.items() if kind in role.subject_types)
        profile = {
            "subject": {
                "type": kind,
                "roles": compatible(rng.sample(fitting, min(len(fitting), rng.randint(0, 2))), K.exclusive_roles),
            },
            "documents": rng.sample(items, rng.randint(0, 6)),
            "activities": rng.sample(activities, rng.randint(0, 2)),
        }
        if rng.random() < 0.4:
            counted = rng.choice(items)
            profile["counts"] = {counted: rng.randint(0 if counted not in profile["documents"] else 1, 3)}
        if rng.random() < 0.8:  # many distinct sets of own costs
            profile["costs"] = {rng.choice(items): rng.randint(0, 20)}
        if rng.random() < 0.5:
            profile["goal"] = {"scenario": rng.choice(sorted(catalogue.scenarios))}
        out.append(profile)
    return out


def test_two_workers_answer_16_concurrent_clients_as_the_engine_does_one_by_one(engine, catalogue):
    profiles = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    profiles += _random_profiles(catalogue, RANDOM_PROFILES)
    overrides = {
        (i, w) for p in profiles for i, w in p.get("costs", {}).items() if w != catalogue.items[i].default_cost
    }
    assert len(overrides) > 16, "many distinct sets of own costs"
    requests = [
        (path, n)
        for n in range(len(profiles))
        for path in ("/v1/evaluate", "/v1/evaluate?explain=false", "/v1/cheapest")
    ]
    expected = {}
    for path, n in requests:  # one by one, in this process
        answer = json.loads(json.dumps(engine.evaluate(profiles[n], explain="explain=false" not in path)))
        expected[path, n] = {k: answer[k] for k in ("ruleset", *PATH_FIELDS)} if path == "/v1/cheapest" else answer
    results: list[tuple[str, int, int, dict | str]] = []
    start = threading.Barrier(CLIENTS)

    def client(index: int) -> None:
        start.wait(30)
        for k in range(REQUESTS_PER_CLIENT):
            path, n = requests[(index * 31 + k * 7) % len(requests)]
            try:
                status, body, _ = send(server.port, "POST", path, json.dumps(profiles[n]).encode(), "application/json")
            except OSError as exc:
                results.append((path, n, 0, repr(exc)))
                continue
            results.append((path, n, status, json.loads(body) if status == 200 else body.decode()[:300]))

    with Server(workers=2, threads=DEFAULTS["POOL_SIZE"]) as server:
        workers = server.pids()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads)
        assert server.pids() == workers, "a worker was replaced during the run"
        stderr = server.stderr()

    assert len(results) == CLIENTS * REQUESTS_PER_CLIENT
    errors = [(path, n, status, body) for path, n, status, body in results if status != 200]
    assert not errors
    decision_ids = [body.pop("decision_id") for _, _, _, body in results]
    assert len(set(decision_ids)) == len(decision_ids)
    wrong = [(path, n) for path, n, _, body in results if body != expected[path, n]]
    assert not wrong, f"{len(wrong)} answers differ from the engine's, e.g. {wrong[:3]}"
    assert "Traceback" not in stderr


# -- bench/load.py ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def load_run(request, tmp_path_factory) -> dict:
    """One run of bench/load.py; its figures, failures and report (printed at the end of the module)."""
    out = tmp_path_factory.mktemp("load") / "figures.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--seconds",
            str(LOAD_SECONDS),
            "--override-sets",
            str(LOAD_OVERRIDE_SETS),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=LOAD_SECONDS + 150,
        cwd=HERE.parent,
    )
    assert proc.returncode in (0, 1), f"load.py exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    run = json.loads(out.read_text(encoding="utf-8"))
    run["returncode"], run["report"] = proc.returncode, proc.stdout
    yield run
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in proc.stdout.splitlines():
                reporter.write_line(line)


def test_load_script_passes_every_one_of_its_checks(load_run):
    assert (load_run["returncode"], load_run["failures"]) == (0, []), load_run["report"]


def test_load_gets_no_5xx_no_wrong_answer_and_the_right_4xx_for_each_invalid_request(load_run):
    figures = load_run["figures"]
    assert figures["valid_requests"] > 0 and figures["invalid_requests"] > 0
    assert figures["server_errors_5xx"] == 0
    assert figures["wrong_answers"] == 0
    assert figures["wrong_statuses"] == 0
    assert figures["wrong_error_codes"] == 0
    assert {"200", "400", "404", "405", "413", "415", "422"} <= set(figures["statuses"])


def test_a_worker_killed_mid_load_loses_only_requests_in_flight_and_is_replaced(load_run):
    figures = load_run["figures"]
    kill = figures["kill"]
    assert kill["victim"] is not None and kill["replacement"] not in (None, kill["victim"])
    assert kill["connection_errors_not_in_flight"] == 0
    assert kill["lost"] <= kill["in_flight_at_kill"] <= figures["clients"]
    assert figures["connection_errors"] == kill["lost"]
    assert kill["requests_after_replacement"] > 0 and kill["failed_after_replacement"] == 0
    assert kill["replacement_alone"] == {"200": 20}


def test_rss_of_the_workers_alive_throughout_grows_less_than_10_percent(load_run):
    rss = load_run["figures"]["rss"]
    assert rss["first_quarter_samples"] > 0 and rss["last_quarter_samples"] > 0
    assert rss["lasting_growth"] < 0.10, rss


def test_load_server_stopped_cleanly(load_run):
    assert load_run["figures"]["server_exit_status"] == 0


# -- memory: Controls -------------------------------------------------------------------
# Each clingo.Control keeps its last solve handler (Control._handler -> the on_model closure). A closure
# that held the solver would make Control -> handler -> closure -> solver -> Control a reference cycle, and
# a dropped engine's Controls would wait for the cyclic garbage collector (in 0.1, with a grounding per
# set of own costs, ~96 dead Controls after 100 evaluations, ~230 MB per worker instead of ~145 MB).
def test_own_costs_make_no_control_and_a_dropped_engines_controls_are_freed_at_once(knowledge):
    gc.collect()
    before = sum(isinstance(o, clingo.Control) for o in gc.get_objects())
    gc.disable()
    try:
        engine = Engine(knowledge, pool_size=1)
        profile = {"subject": {"type": "enterprise"}, "documents": ["business_license"]}
        for n in range(40):  # 20 distinct sets of own costs, each asked twice
            engine.evaluate({**profile, "costs": {"training_coop_agreement": n % 20}})
        made = sum(isinstance(o, clingo.Control) for o in gc.get_objects()) - before
        del engine
        left = sum(isinstance(o, clingo.Control) for o in gc.get_objects()) - before
    finally:
        gc.enable()
    assert made == 2  # the default grounding's and the override grounding's, from start-up
    assert left == 0
