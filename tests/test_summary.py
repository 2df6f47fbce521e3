"""A summary: the statuses and the goal's cheapest plans from the rules asked with
``-c detail=summary`` (``logic/inputs.lp``'s ``summary``), which derive no scenario's plans,
minimal missing set, reason, warning or next step. What it records must equal what the full answer says,
profile by profile, own costs included: ``livegate batch --csv`` writes its rows from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import clingo
import pytest
from livegate import Engine, Knowledge, contract
from livegate.solver import Solver

from tests.strategies import random_profiles
from tests.test_examples import ANALYST_OPTIONS, _files

ROOT = Path(__file__).resolve().parent.parent
FIELDS = (
    "eligible",
    "cheapest_cost",
    "cheapest_plans",
    "statuses",
    "cheapest_missing",
    "cheapest_shortfalls",
    "cheapest_external",
)
LEFT_OUT = {
    ("minimal_missing_set", 2),
    ("minimal_missing_item", 4),
    ("missing_set_alternative", 4),
    ("reason", 2),
    ("warning", 2),
    ("no_plan_reason", 2),
    ("scenario_not_given", 1),
    ("step", 2),
    ("unlocks", 3),
    ("step_gain", 5),
}
"""The shown predicates a summary leaves out (docs/semantics.md#summary)."""


@pytest.fixture(scope="module")
def summaries(knowledge: Knowledge) -> Engine:
    return Engine(knowledge, pool_size=1, summary_only=True)


def _record(summary: object) -> dict[str, object]:
    return {f: getattr(summary, f) for f in FIELDS}


def test_a_summary_records_what_the_full_answer_says(engine, summaries):
    """400 profiles over the whole vocabulary (the examples first; some with own costs): the
    summary engine, and a full engine's summary, record exactly what the written answer does."""
    profiles = random_profiles(400, seed=77)
    assert sum(1 for p in profiles if p.get("costs")) >= 100
    for profile in profiles:
        full = engine.answer(profile, explain=False)
        answer = full.json()
        said = {
            "eligible": tuple(answer["eligible"]),
            "cheapest_cost": answer["cheapest"]["cost"],
            "cheapest_plans": tuple(tuple(p["categories"]) for p in answer["cheapest"]["plans"]),
            "statuses": tuple(c["status"] for c in answer["categories"]),
            "cheapest_missing": tuple(tuple(p["missing"]) for p in answer["cheapest"]["plans"]),
            "cheapest_shortfalls": tuple(tuple(p["shortfalls"].items()) for p in answer["cheapest"]["plans"]),
            "cheapest_external": tuple(tuple(p["external_requirements"]) for p in answer["cheapest"]["plans"]),
        }
        assert _record(full) == said, profile
        assert _record(summaries.summary(profile)) == said, profile
        assert _record(engine.summary(profile)) == said, profile


def test_a_summary_of_the_examples_says_what_the_source_says(summaries):
    """Worked out by hand from the source (default costs: licence 10): the dealer lacks only
    the MIIT access permit for 汽车-预售 (L820), the bank holds 《金融许可证》 (L512-L515)."""
    import json

    dealer = summaries.summary(json.loads((ROOT / "examples" / "car_dealer.json").read_text(encoding="utf-8")))
    assert dealer.cheapest_cost == 10
    assert dealer.cheapest_plans == (("auto_presale",),)
    assert dealer.cheapest_missing == (("vehicle_manufacturer_access_permit",),)
    bank = summaries.summary(json.loads((ROOT / "examples" / "bank.json").read_text(encoding="utf-8")))
    assert "finance_bank" in bank.eligible and bank.cheapest_cost == 0


@pytest.mark.parametrize("overrides", [False, True], ids=["default", "own costs"])
def test_the_summary_grounding_has_none_of_what_it_leaves_out_and_is_smaller(knowledge, overrides):
    full = Solver(knowledge, overrides=overrides)
    summary = Solver(knowledge, overrides=overrides, summary=True)

    def atoms(solver: Solver, signature: tuple[str, int]) -> int:
        return sum(1 for _ in solver.ctl.symbolic_atoms.by_signature(*signature))

    for signature in LEFT_OUT:
        assert atoms(full, signature) > 0, signature
        assert atoms(summary, signature) == 0, signature
    assert atoms(summary, ("status", 2)) == atoms(full, ("status", 2))

    def cheapest(solver: Solver) -> set[str]:
        return {str(a.symbol) for a in solver.ctl.symbolic_atoms.by_signature("cheapest", 2)}

    # the goal's plans may be the same; no scenario's is reported
    assert cheapest(summary) == {a for a in cheapest(full) if a.startswith("cheapest(goal,")}
    assert any(a.startswith("cheapest(scenario(") for a in cheapest(full))
    assert len(summary.ctl.symbolic_atoms) < 0.85 * len(full.ctl.symbolic_atoms)


def test_a_full_answer_s_ground_program_gains_no_solver_variable_from_the_summary(knowledge):
    """``summary`` and ``reported`` are known when grounding: without ``-c detail=summary`` they
    are facts or nothing, and no rule keeps them in its body (4,198 variables, as before them)."""
    solver = Solver(knowledge)
    summary = list(solver.ctl.symbolic_atoms.by_signature("summary", 0))
    reported = list(solver.ctl.symbolic_atoms.by_signature("reported", 1))
    assert not summary
    assert reported and all(a.is_fact for a in reported)


def test_a_summary_engine_refuses_to_write_a_full_answer(summaries):
    with pytest.raises(TypeError, match="summary"):
        summaries.answer({"subject": {"type": "enterprise"}})
    with pytest.raises(TypeError, match="summary"):
        summaries.evaluate({"subject": {"type": "enterprise"}})


def _shown(lp: Path, *arguments: str) -> set[str]:
    """The analysts' command on an example, its last model's atoms."""
    proc = subprocess.run(
        [sys.executable, "-m", "clingo", *_files(), str(lp), *ANALYST_OPTIONS, "-V0", "--quiet=1", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert "OPTIMUM FOUND" in proc.stdout, proc.stderr
    return set(proc.stdout.split("\n")[0].split())


@pytest.mark.parametrize("lp", sorted((ROOT / "examples").glob("*.lp")), ids=lambda p: p.stem)
def test_analysts_get_a_summary_with_c_detail_summary(lp):
    """``-c detail=summary`` on the analysts' command: the same statuses and goal's cheapest plans
    (with all they hold) as the full run, no scenario's plans, and nothing else a summary leaves out."""
    full, summary = _shown(lp), _shown(lp, "-c", "detail=summary")

    def of(atoms: set[str], *names: str) -> set[str]:
        return {a for a in atoms if a.split("(")[0] in names}

    def goal(atoms: set[str]) -> set[str]:
        """The goal's cheapest plans and the atoms of each (plan_*(Id, ...))."""
        ids = {a[len("cheapest(goal,") : -1] for a in atoms if a.startswith("cheapest(goal,")}
        held = {a for a in atoms if a.startswith("plan_") and any(a.startswith(f"{a.split('(')[0]}({i},") for i in ids)}
        return {f"cheapest(goal,{i})" for i in ids} | held | ({"no_plan(goal)"} & atoms)

    assert of(full, "status") and goal(full)
    assert of(summary, "status") == of(full, "status")
    assert goal(summary) == goal(full)
    assert of(summary, "cheapest", "no_plan") | {a for a in summary if a.startswith("plan_")} == goal(summary)
    assert not of(summary, *(name for name, _ in LEFT_OUT))
    assert of(full, "reason", "minimal_missing_set")


def test_the_arguments_that_ask_for_a_summary_are_those_of_the_contract():
    ctl = clingo.Control([*contract.SUMMARY_ARGUMENTS])
    ctl.add("base", [], "summary :- detail = summary.")
    ctl.ground([("base", [])])
    assert [str(a.symbol) for a in ctl.symbolic_atoms] == ["summary"]
