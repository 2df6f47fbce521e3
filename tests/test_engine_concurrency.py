"""One engine, sixteen threads at once: exactly the answers of sequential calls."""

from __future__ import annotations

import copy
import json
import random
import threading
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


def test_sixteen_threads_on_a_small_pool_with_evicted_overrides(knowledge):
    # Fewer solvers than threads and an override cache smaller than the number
    # of distinct cost overrides: threads wait for solvers and pools are evicted
    # and rebuilt while others use them.
    engine = Engine(knowledge, pool_size=2, override_groundings=2)
    _run(engine, _profiles(24, seed=16))
