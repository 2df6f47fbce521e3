"""One engine, sixteen threads at once: exactly the answers of sequential calls."""

from __future__ import annotations

import copy
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from livegate import Engine

from strategies import K

THREADS = 16
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


def _profiles(n: int, seed: int) -> list[dict]:
    """Valid profiles drawn from the whole vocabulary; a few distinct cost overrides."""
    rnd = random.Random(seed)
    overrides = [{}, {}, {}, {"business_license": 0}, {"av_programme_licence": 2, "training_coop_agreement": 7},
                 {"non_commercial_icp_filing": 30}]
    out = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    while len(out) < n:
        profile = {
            "subject": {"type": rnd.choice(K.subject_types),
                        "roles": rnd.sample(K.roles, rnd.randint(0, 2))},
            "documents": rnd.sample(K.items, rnd.randint(0, 12)),
            "counts": {i: rnd.randint(0, 3) for i in rnd.sample(K.items, rnd.randint(0, 3))},
            "activities": rnd.sample(K.activities, rnd.randint(0, 2)),
            "goal": {"scenario": rnd.choice([None, *K.scenarios]),
                     "categories": rnd.sample(K.categories, rnd.choice([0, 0, 1, 3])),
                     "access": rnd.choice([None, *K.access_methods])},
            "costs": rnd.choice(overrides),
        }
        out.append(profile)
    return out


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
    engine = Engine(knowledge, pool_size=2, override_cache=2)
    _run(engine, _profiles(24, seed=16))
