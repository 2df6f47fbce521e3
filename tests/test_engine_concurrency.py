"""One engine, sixteen threads at once: exactly the answers of sequential calls."""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from livegate import Engine

from tests.strategies import random_profiles as _profiles

THREADS = 16


def _dump(answer: dict) -> str:
    return json.dumps(answer, sort_keys=True, ensure_ascii=False)


def _run(engine: Engine, profiles: list[dict]) -> None:
    sequential = [_dump(engine.evaluate(copy.deepcopy(p))) for p in profiles]
    start = threading.Barrier(THREADS)

    def worker(n: int) -> list[tuple[int, str]]:
        order = list(range(len(profiles)))
        random.Random(n).shuffle(order)  # every thread its own order, so all profiles overlap
        start.wait()
        return [(i, _dump(engine.evaluate(copy.deepcopy(profiles[i])))) for i in order]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    wrong = [(n, i) for n, answers in enumerate(results) for i, got in answers if got != sequential[i]]
    assert len(results) == THREADS and all(len(r) == len(profiles) for r in results)
    assert not wrong, f"{len(wrong)} concurrent answers differ from sequential ones, e.g. thread/profile {wrong[:5]}"


def test_sixteen_threads_give_the_sequential_answers(engine):
    _run(engine, _profiles(48, seed=4))


def test_sixteen_threads_on_small_pools_with_distinct_cost_overrides(knowledge):
    # Fewer solvers than threads in both groundings, and every other profile with
    # costs of its own (distinct sets): threads wait for solvers, and a Control
    # whose override externals one call set must be clean for the next.
    engine = Engine(knowledge, pool_size=2, override_pool_size=2)
    profiles = _profiles(24, seed=16)
    items = sorted(knowledge.catalogue.items)
    rng = random.Random(16)
    for n, profile in enumerate(profiles):
        if n % 2:
            profile["costs"] = {i: rng.randrange(0, 200) for i in rng.sample(items, 1 + n % 7)}
        else:
            profile.pop("costs", None)
    assert len({json.dumps(p.get("costs"), sort_keys=True) for p in profiles}) == 13
    _run(engine, profiles)


def test_a_call_takes_the_control_given_back_last(knowledge):
    # One caller at a time on a filled pool keeps using one Control, whose memory is still in
    # the CPU's caches; Controls taking turns (first in, first out) made each call 1.3x slower.
    engine = Engine(knowledge, pool_size=3, override_pool_size=1, fill_pools=True)
    pool = engine.groundings.default
    deadline = time.monotonic() + 60
    while pool.idle.qsize() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.idle.qsize() == 3, "the pool was not filled"
    used = set()
    for profile in _profiles(6, seed=5):
        profile.pop("costs", None)
        engine.evaluate(profile)
        solver = pool.take(None, None)
        used.add(id(solver))
        pool.give(solver)
    assert len(used) == 1
    assert pool.idle.qsize() == 3 and engine.groundings.controls() == 4
