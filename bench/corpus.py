"""A fixed, seeded corpus of valid random profiles over the whole catalogue:
every subject type, roles, items (counted ones with counts 0–3), activities,
goals (scenario, candidate categories, access). No cost overrides: those take
another path (one grounding per distinct set, cached), measured apart."""

from __future__ import annotations

import random

from livegate import Catalogue


SEED = 20261129
"""The seed of the measured corpus."""
WARM_UP_SEED = 7
"""The seed of the corpus that warms caches before a measurement (never the measured one)."""


def profiles(catalogue: Catalogue, n: int = 1000, seed: int = SEED) -> list[dict]:
    rnd = random.Random(seed)
    items = list(catalogue.items)
    counted = [i for i in items if catalogue.items[i]["counted"]]
    out = []
    for _ in range(n):
        p: dict = {
            "subject": {"type": rnd.choice(list(catalogue.subject_types)),
                        "roles": rnd.sample(list(catalogue.roles), rnd.randint(0, 2))},
            "documents": rnd.sample(items, rnd.randint(0, 10)),
            "counts": {i: rnd.randint(0, 3) for i in rnd.sample(counted, rnd.randint(0, len(counted)))},
            "activities": rnd.sample(list(catalogue.activities), rnd.randint(0, 2)),
            "goal": {},
        }
        if rnd.random() < 0.6:
            p["goal"]["scenario"] = rnd.choice(list(catalogue.scenarios))
        if rnd.random() < 0.3:
            p["goal"]["categories"] = rnd.sample(list(catalogue.categories), rnd.randint(1, 4))
        if rnd.random() < 0.4:
            p["goal"]["access"] = rnd.choice(list(catalogue.access_methods))
        out.append(p)
    return out
