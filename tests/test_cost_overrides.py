"""A profile's own costs are data: no request grounds anything.

Two hundred profiles, each with its own distinct set of costs, are answered by
the engine's two groundings made at start-up. The number of Controls does not
change, and every answer is exactly the one of the old way, kept here as the
baseline: a fresh grounding per set of costs, the costs as ``cost_override/2``
facts (what an analyst writes; built with clingo's backend, not as program
text) and the profile's inputs set with ``assign_external``
(docs/semantics.md#cost-overrides, docs/engine.md#grounding).
"""

from __future__ import annotations

import random
from typing import Any

import clingo
import pytest
from livegate import Engine
from livegate.contract import SHOWN, costs_by_priority, to_python
from livegate.profile import ProfileError
from livegate.solver import OPTIONS

from tests.strategies import random_profiles

SETS = 200


def _baseline(engine: Engine, atoms: set[tuple[Any, ...]], costs: dict[str, int]) -> tuple[set[Any], dict[str, int]]:
    """The shown atoms true in some optimal model and the optimum, from a Control ground for these costs."""
    knowledge = engine.knowledge
    ctl = clingo.Control(list(OPTIONS))
    for path in knowledge.facts_files:
        ctl.load(str(path))
    ctl.load(str(knowledge.logic_entry))
    with ctl.backend() as backend:
        for item, weight in costs.items():
            fact = clingo.Function("cost_override", [clingo.Function(item), clingo.Number(weight)])
            backend.add_rule([backend.add_atom(fact)])
    ctl.ground([("base", [])])
    for atom in atoms:
        name, *args = atom
        symbol = clingo.Function(name, [clingo.Number(a) if isinstance(a, int) else clingo.Function(a) for a in args])
        ctl.assign_external(symbol, True)
    shown = {p.signature for p in SHOWN}
    last: list[Any] = []
    optimum: dict[str, int] = {}

    def on_model(model: clingo.Model) -> None:
        if model.optimality_proven:
            last[:] = [to_python(s) for s in model.symbols(atoms=True) if (s.name, len(s.arguments)) in shown]
            optimum.update(costs_by_priority(model.priority, model.cost))

    ctl.solve(on_model=on_model)
    return set(last), optimum


def _cases(engine: Engine) -> list[tuple[Any, dict[str, int]]]:
    """SETS realistic profiles, each with a distinct set of one to six costs of its own: mostly of
    items the profile lacks somewhere (those that can change a plan), some of any item."""
    items = sorted(engine.catalogue.items)
    out: list[tuple[Any, dict[str, int]]] = []
    seen: set[tuple[tuple[str, int], ...]] = set()
    for n, data in enumerate(random_profiles(3 * SETS, seed=11)):
        # a generator per profile: a change of the rules that changes one profile's lacking items
        # changes that profile's costs, not the draws of every profile after it
        rng = random.Random(f"11-{n}")
        try:
            lacking = sorted(engine.evaluate({**data, "costs": {}}, explain=False)["item_costs"])
        except ProfileError:
            continue
        pool = lacking if lacking and rng.random() < 0.8 else items
        chosen = rng.sample(pool, min(len(pool), rng.randint(1, 6)))
        costs = {i: rng.choice([0, 1, 2, 4, 7, 25, 100, 999, 100_000]) for i in chosen}
        try:
            profile = engine.parse({**data, "costs": costs})
        except ProfileError:
            continue
        key = engine.overrides(profile)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append((profile, costs))
        if len(out) == SETS:
            break
    assert len(out) == SETS
    return out


@pytest.fixture(scope="module")
def fresh(knowledge) -> Engine:
    return Engine(knowledge, pool_size=1, override_pool_size=1)


def test_distinct_costs_ground_nothing_and_answer_as_a_grounding_per_set_did(fresh):
    cases = _cases(fresh)
    controls = fresh.groundings.controls()
    assert controls == 2  # one per grounding, made at start-up
    different = []
    for profile, costs in cases:
        answer = fresh.solve(profile)
        atoms, optimum = _baseline(fresh, fresh.input_atoms(profile), costs)
        if set(answer.atoms) != atoms or answer.costs != optimum:
            different.append((profile, costs))
    assert fresh.groundings.controls() == controls
    assert not different, f"{len(different)} of {SETS} differ from their own grounding, e.g. {different[:2]}"


def test_costs_change_answers_in_the_sample(fresh):
    """The comparison above is not vacuous: in the sample, own costs change the optimum (a cost of the
    goal or of a scenario) of some profiles and the shown atoms (plans, costs' effects) of more."""
    optimum = atoms = 0
    for profile, _ in _cases(fresh):
        own = fresh.solve(profile)
        default = fresh.solve(profile.model_copy(update={"costs": {}}))
        optimum += own.costs != default.costs
        atoms += set(own.atoms) != set(default.atoms)
    assert optimum >= SETS // 20 and atoms >= SETS // 20, (optimum, atoms)


def test_own_costs_add_no_kept_sentence_and_each_sentence_shows_its_cost(fresh):
    """A missing set's sentence shows its cost, which own costs make any number: the explainer keeps
    the parts that do not depend on it and writes the cost in each time, so a client that cycles
    through costs cannot fill its memory, and no answer shows another's cost."""
    profile = next(p for p, _ in _cases(fresh))
    lacking = sorted(fresh.evaluate(profile.model_copy(update={"costs": {}}), explain=False)["item_costs"])
    item = lacking[0]
    explainer = fresh.shaper._explainers["en"]
    fresh.evaluate({**profile.model_dump(mode="json", exclude_none=True), "costs": {item: 1}}, lang="en")
    kept = len(explainer._sentences)
    shown = 0
    for cost in range(2, 202):
        data = {**profile.model_dump(mode="json", exclude_none=True), "costs": {item: cost * 37}}
        for c in fresh.evaluate(data, lang="en")["categories"]:
            written = [line for line in c["explanation"] if "still missing" in line]
            if c["status"] == "eligible" and c["scope"]:
                continue
            for s in c["missing_sets"]:
                if s["documents"]:
                    assert any(line.endswith(f"; cost {s['cost']}.") for line in written), (c["id"], s, written)
                    shown += item in s["documents"]
    assert len(explainer._sentences) == kept
    assert shown >= 200  # the costed item is in some set of every answer: its cost was written each time
