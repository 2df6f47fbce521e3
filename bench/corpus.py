"""The benchmark's corpora: profiles that look like the traffic users send.

The generator is :mod:`livegate.corpus` (seeded; it reads only the published
catalogue, so ``livegate impact --random`` replays the same profiles): holdings
at a density drawn per profile from 3 % to 60 % of the catalogue's items, built
around one to three alternatives the subject aims at; counts 1–3 of counted
items; roles only where the subject type may hold them; activities in a third;
a goal scenario in about half, candidate categories in a fifth, an access method
in a third; cost overrides (one to six items, 0 … 100,000) in a third, drawn
fresh. What this module adds for the benchmark:

* every profile is **validated** by the engine and refusals are counted (a
  profile the engine refuses is not realistic traffic: the benchmark stops if
  any is refused, see :func:`realistic`);
* profiles are **distinct** by what keys an answer (their input atoms and own
  costs: two never share an entry of the service's answer cache), and so are
  the sets of own costs;
* a :func:`summary` of what a corpus holds, printed beside the figures.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from livegate import Engine
from livegate.corpus import SEED, WARM_UP_SEED, Vocabulary, dumps, light_profiles, profile, profiles
from livegate.profile import ProfileError

__all__ = [
    "SEED",
    "WARM_UP_SEED",
    "CorpusError",
    "Vocabulary",
    "dumps",
    "light_profiles",
    "profile",
    "profiles",
    "realistic",
    "summary",
]


class CorpusError(RuntimeError):
    """The generator made a profile the engine refuses, or could not make enough distinct ones."""


def realistic(
    engine: Engine, n: int, seed: int = SEED, *, overrides: bool | None = None, start: int = 0
) -> list[dict[str, Any]]:
    """``n`` distinct realistic profiles the engine accepts (``overrides``: force own costs on
    or off; default a third), from ``seed``. The first ``start`` distinct ones are skipped, so
    that slices of one seed never overlap. Raises :class:`CorpusError` on a refused profile."""
    import random

    rnd = random.Random(seed)
    vocab = Vocabulary(engine.knowledge.catalogue_json())
    seen: set[str] = set()
    costs_seen: set[tuple[tuple[str, int], ...]] = set()
    out: list[dict[str, Any]] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 3 * (n + start) + 1000:
            raise CorpusError(f"only {len(out)} distinct profiles of {n} after {tries} draws")
        data = profile(rnd, vocab, overrides=overrides)
        try:
            parsed = engine.parse(data)
        except ProfileError as e:
            raise CorpusError(f"the engine refuses a generated profile ({e}): {json.dumps(data)}") from e
        own = engine.overrides(parsed)
        # distinct by what keys an answer (the service's answer cache): input atoms and own costs
        key = repr((sorted(map(repr, engine.input_atoms(parsed))), own))
        if key in seen:
            continue
        if own and own in costs_seen:
            continue
        if overrides and not own:  # every own cost equal to its default: no own costs after all
            continue
        seen.add(key)
        if own:
            costs_seen.add(own)
        if len(seen) > start:
            out.append(data)
    return out


def summary(engine: Engine, corpus: list[dict[str, Any]]) -> dict[str, Any]:
    """What a corpus holds: densities of holdings, shares with each kind of input."""
    items = len(engine.catalogue.items)
    density = [(len(p.get("documents", [])) + len(p.get("counts", {}))) / items for p in corpus]
    n = len(corpus)

    def share(test: Any) -> float:
        return sum(1 for p in corpus if test(p)) / n

    return {
        "profiles": n,
        "distinct": len({json.dumps(p, sort_keys=True) for p in corpus}),
        "holdings_density_min": min(density),
        "holdings_density_median": statistics.median(density),
        "holdings_density_max": max(density),
        "with_counts": share(lambda p: bool(p.get("counts"))),
        "with_roles": share(lambda p: bool(p["subject"].get("roles"))),
        "with_activities": share(lambda p: bool(p.get("activities"))),
        "with_scenario": share(lambda p: "scenario" in p.get("goal", {})),
        "with_candidate_categories": share(lambda p: bool(p.get("goal", {}).get("categories"))),
        "with_access": share(lambda p: "access" in p.get("goal", {})),
        "with_own_costs": share(lambda p: bool(engine.overrides(engine.parse(p)))),
    }
