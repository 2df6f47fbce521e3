"""Mutants of the shaper (``service/livegate/answer.py``): the points of the answer that the
rules leave to Python — which alternative a plan reports, the order of plans and of next steps,
the sums of the next steps' costs. Issue 16 found one of them (``min(alts)`` → ``max(alts)``)
surviving every test. Each is a text replacement of one unique passage of today's file; a
passage that is no longer there is reported (the list is kept by hand, beside the file)."""

from __future__ import annotations

from pathlib import Path

from .points import Mutant, _mutant_id

FILE = "service/livegate/answer.py"

POINTS: tuple[tuple[str, str, str], ...] = (
    # (passage, replacement, what it breaks)
    (
        '"alternatives": {c: min(alts) for c, alts',
        '"alternatives": {c: max(alts) for c, alts',
        "a plan reports the last equivalent alternative, not the first",
    ),
    (
        'kept["alternatives"] = {c: a[0] for c, a in alts.items()}',
        'kept["alternatives"] = {c: a[-1] for c, a in alts.items()}',
        "merged plans report the last equivalent alternative",
    ),
    (
        '                [self.position[c] for c in p["categories"]],\n                p["missing"],',
        '                p["missing"],\n                [self.position[c] for c in p["categories"]],',
        "plans ordered by missing items before the categories' positions",
    ),
    (
        '                len(p["missing"]),\n                len(p["categories"]),',
        '                len(p["categories"]),\n                len(p["missing"]),',
        "plans ordered by categories before missing items",
    ),
    ('cost = plans[plan]["cost"] - saved', 'cost = plans[plan]["cost"] + saved', "a step adds its gain"),
    ("met[plan] = met.get(plan, 0) + k * units[j]", "met[plan] = met.get(plan, 0) + k", "a step's gain in units"),
    ("if now is None or cost < now:", "if now is None or cost > now:", "a scenario keeps the dearer cost"),
    ("if best is None or cost < best:", "if best is None or cost > best:", "the goal keeps the dearer cost"),
    (
        '"lowers_by": goal_cost - best if',
        '"lowers_by": best - goal_cost if',
        "lowers_by negated",
    ),
    ('                -len(step["unlocks"]),', '                len(step["unlocks"]),', "steps unlocking fewer first"),
    (
        "                narrower if helps or gain else False,",
        "                not narrower if helps or gain else False,",
        "a qualified form before its plain form",
    ),
    (
        '                step["cheapest_cost_after"] or 0,',
        '                -(step["cheapest_cost_after"] or 0),',
        "steps leaving the dearest path first",
    ),
)


def mutants(root: Path) -> tuple[list[Mutant], list[str]]:
    """The shaper's mutants of today's file, and the passages no longer found in it."""
    source = (root / FILE).read_bytes()
    out, missing = [], []
    for passage, replacement, what in POINTS:
        needle = passage.encode("utf-8")
        start = source.find(needle)
        if start < 0 or source.find(needle, start + 1) >= 0:
            missing.append(passage)
            continue
        line = source.count(b"\n", 0, start) + 1
        description = f"{what}: `{passage.strip()}` → `{replacement.strip()}`"
        out.append(
            Mutant(
                _mutant_id(FILE, passage, "shaper", description),
                FILE,
                line,
                "shaper",
                description,
                passage,
                ((start, start + len(needle), replacement),),
            )
        )
    return out, missing
