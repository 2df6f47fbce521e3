"""Seeded corpora of profiles that look like the traffic users send.

The generator reads only the published catalogue JSON (``livegate catalogue``,
``GET /v1/catalogue``, :meth:`livegate.kb.Knowledge.catalogue_json`), so the
same seed gives the same profiles with any version of the package whose
catalogue has the same ids. ``livegate impact --random N`` replays such a
corpus; the benchmarks (``bench/``) and ``tools/answer_corpus.py`` measure and
compare on it.

What "realistic" means here (the figures the performance work is judged on):

* **holdings** at a density drawn per profile from 3 % to 60 % of the items,
  mostly built around one to three alternatives of the categories the subject
  aims at (complete, or one or two documents short), plus documents held at
  random at that density; counted items with counts 1–3;
* **subject types** weighted towards enterprises, with roles only where the
  subject type may have them (the catalogue's ``subject_types`` when
  it publishes them), never two that exclude each other (``excludes``);
* **activities** in about a third of the profiles;
* **goals**: a scenario in about half, candidate categories in a fifth, an
  access method in about a third (never a scenario that none of the candidates
  serves: a contradiction, refused);
* **cost overrides** in about a third: one to six items, values from 0 to a few
  hundred, now and then up to 100,000, drawn fresh so no two sets repeat.
"""

from __future__ import annotations

import json
import random
from typing import Any

from .profile import filters_miss

__all__ = ["SEED", "WARM_UP_SEED", "Vocabulary", "dumps", "light_profiles", "profile", "profiles"]

SEED = 20261129
"""The seed of the measured corpus."""
WARM_UP_SEED = 7
"""The seed of the corpus that warms a server or a cache before a measurement (never the measured one)."""

_SUBJECT_WEIGHTS = {"enterprise": 60, "other_organization": 12, "government": 9, "media": 10, "personal": 6}
"""How often each subject type comes (ids the catalogue lacks are skipped, others weigh 5)."""


class Vocabulary:
    """The ids a profile may use, read from the catalogue JSON."""

    def __init__(self, catalogue: dict[str, Any]):
        self.items = [i["id"] for i in catalogue["items"]]
        self.counted = [i["id"] for i in catalogue["items"] if i.get("counted")]
        self.categories = [c["id"] for c in catalogue["categories"]]
        self.scenario_of = {c["id"]: c["scenario"] for c in catalogue["categories"]}
        self.scenarios = [s["id"] for s in catalogue["scenarios"]]
        self.access_methods = [a["id"] for a in catalogue["access_methods"]]
        self.activities = [a["id"] for a in catalogue["activities"]]
        self.activities_of: dict[str, list[str]] = {}
        for a in catalogue["activities"]:
            self.activities_of.setdefault(a["category"], []).append(a["id"])
        self.subject_types = [t["id"] for t in catalogue["subject_types"]]
        self.roles_for: dict[str, list[str]] = {t: [] for t in self.subject_types}
        self.excludes: dict[str, list[str]] = {}
        for r in catalogue["roles"]:
            for t in r.get("subject_types", self.subject_types):
                if t in self.roles_for:
                    self.roles_for[t].append(r["id"])
            self.excludes[r["id"]] = r.get("excludes", [])
        self.held_only_by: dict[str, list[str]] = {i["id"]: i.get("subject_types", []) for i in catalogue["items"]}
        self.alternatives: list[tuple[str, list[dict[str, Any]], list[str]]] = [
            (c["id"], alt["items"], alt.get("reserved_for", []))
            for c in catalogue["categories"]
            for alt in c["alternatives"]
        ]

    def compatible(self, roles: list[str]) -> list[str]:
        """``roles`` without each one an earlier one excludes (公立学校 beside 私立学校 is refused)."""
        return [r for n, r in enumerate(roles) if not set(self.excludes.get(r, ())) & set(roles[:n])]

    def holdable(self, subject: str, item: str) -> bool:
        """A subject of type ``subject`` can hold ``item`` (an item only other types hold is refused)."""
        types = self.held_only_by.get(item)
        return not types or subject in types


def _subject(rnd: random.Random, vocab: Vocabulary) -> str:
    weights = [_SUBJECT_WEIGHTS.get(t, 5) for t in vocab.subject_types]
    return rnd.choices(vocab.subject_types, weights)[0]


def profile(rnd: random.Random, vocab: Vocabulary, *, overrides: bool | None = None) -> dict[str, Any]:
    """One realistic profile; ``overrides`` forces cost overrides on or off (default: a third)."""
    subject = _subject(rnd, vocab)
    roles: list[str] = []
    allowed = vocab.roles_for.get(subject, [])
    if allowed and rnd.random() < 0.35:
        roles = rnd.sample(allowed, rnd.choice([1, 1, 1, 2]) if len(allowed) > 1 else 1)
        roles = vocab.compatible(roles)

    # the categories the subject aims at, and what it holds towards them
    aims = rnd.sample(vocab.alternatives, rnd.choice([1, 1, 2, 3]))
    density = rnd.choice([0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6])
    held: dict[str, int] = {}
    for _, items, _ in aims:
        needed = [dict(e) for e in items]
        rnd.shuffle(needed)
        short = rnd.choice([0, 0, 1, 1, 2])
        for entry in needed[short:]:
            held[entry["item"]] = max(held.get(entry["item"], 0), entry.get("count", 1))
    for item in vocab.items:
        if rnd.random() < density:
            held.setdefault(item, 1)
    documents, counts = [], {}
    held = {i: n for i, n in held.items() if vocab.holdable(subject, i)}  # no draw: the seed's profiles stay
    for item, n in held.items():
        if item in vocab.counted:
            counts[item] = rnd.choice([max(1, n - 1), n, n, min(3, n + 1)])
        else:
            documents.append(item)
    rnd.shuffle(documents)

    out: dict[str, Any] = {"subject": {"type": subject}, "documents": documents}
    if roles:
        out["subject"]["roles"] = roles
    if counts:
        out["counts"] = counts
    if rnd.random() < 0.33:
        own = [a for c, _, _ in aims for a in vocab.activities_of.get(c, [])]
        pool = own * 3 + vocab.activities
        out["activities"] = list(dict.fromkeys(rnd.sample(pool, rnd.choice([1, 1, 2]))))

    goal: dict[str, Any] = {}
    if rnd.random() < 0.5:
        goal["scenario"] = vocab.scenario_of[aims[0][0]] if rnd.random() < 0.8 else rnd.choice(vocab.scenarios)
    if rnd.random() < 0.2:
        goal["categories"] = list(dict.fromkeys([c for c, _, _ in aims] + rnd.sample(vocab.categories, 1)))
    if rnd.random() < 0.33:
        goal["access"] = rnd.choice(vocab.access_methods)
    _meet(goal, vocab)
    if goal:
        out["goal"] = goal

    if overrides if overrides is not None else rnd.random() < 1 / 3:
        pool = [e["item"] for _, items, _ in aims for e in items] * 2 + vocab.items
        chosen = list(dict.fromkeys(rnd.sample(pool, rnd.randint(1, 6))))
        out["costs"] = {i: (rnd.randint(0, 100_000) if rnd.random() < 0.05 else rnd.randint(0, 400)) for i in chosen}
    return out


def _meet(goal: dict[str, Any], vocab: Vocabulary) -> None:
    """Leave out a goal's scenario that none of its candidate categories serves: such a goal is
    refused as a contradiction, and users send goals whose filters meet. (No draw of ``rnd``: every
    other profile of a seed stays as it was.)"""
    if filters_miss(goal.get("scenario"), [vocab.scenario_of[c] for c in goal.get("categories") or []]):
        del goal["scenario"]


def profiles(
    catalogue: dict[str, Any], n: int = 1000, seed: int = SEED, *, overrides: bool | None = None
) -> list[dict[str, Any]]:
    """``n`` realistic profiles from ``seed`` (see the module's docstring)."""
    rnd = random.Random(seed)
    vocab = Vocabulary(catalogue)
    return [profile(rnd, vocab, overrides=overrides) for _ in range(n)]


def light_profiles(catalogue: dict[str, Any], n: int = 1000, seed: int = SEED) -> list[dict[str, Any]]:
    """The earlier benchmark's corpus: 0–10 documents drawn uniformly, no cost overrides
    (kept as a second row: lighter than real traffic)."""
    rnd = random.Random(seed)
    vocab = Vocabulary(catalogue)
    out = []
    for _ in range(n):
        p: dict[str, Any] = {
            "subject": {
                "type": (t := rnd.choice(vocab.subject_types)),
                "roles": vocab.compatible(
                    rnd.sample(vocab.roles_for[t], min(len(vocab.roles_for[t]), rnd.randint(0, 2)))
                ),
            },
            "documents": rnd.sample(vocab.items, rnd.randint(0, 10)),
            "counts": {i: rnd.randint(1, 3) for i in rnd.sample(vocab.counted, rnd.randint(0, len(vocab.counted)))},
            "activities": rnd.sample(vocab.activities, rnd.randint(0, 2)),
            "goal": {},
        }
        p["documents"] = [d for d in p["documents"] if d not in p["counts"] and vocab.holdable(t, d)]
        if rnd.random() < 0.6:
            p["goal"]["scenario"] = rnd.choice(vocab.scenarios)
        if rnd.random() < 0.3:
            p["goal"]["categories"] = rnd.sample(vocab.categories, rnd.randint(1, 4))
        if rnd.random() < 0.4:
            p["goal"]["access"] = rnd.choice(vocab.access_methods)
        _meet(p["goal"], vocab)
        out.append(p)
    return out


def dumps(profiles_: list[dict[str, Any]]) -> str:
    """JSON Lines, one profile a line."""
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in profiles_)
