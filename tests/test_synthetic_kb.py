"""The engine against the reference on small random knowledge bases (issue 16).

Today's facts leave corners of the rules unvisited: no counted item has a
qualified form, no item is asked for two different counts, no required
category is itself blocked, requires another or is missing. Here hypothesis
writes small knowledge bases in the facts' own vocabulary
(:func:`tests.strategies.knowledge_bases`: qualified and counted items, roles,
companions, activities that exclude, block or require another category, chains
and cycles of required categories, notes and remedies), loads each into a real
:class:`livegate.Engine` over the repository's ``logic/``, and compares its
answers to random profiles (:func:`tests.strategies.synthetic_profiles`) with
the reference evaluator's (:mod:`tests.reference`) on the same facts: statuses,
access, missing sets, combined access, warnings, the cheapest plans of the goal
and of every scenario with their alternatives, companions, externals, lead
times and missing details, and every next step, each checked by asking the
engine again with the step held.

The default run tries ``DEFAULT_KBS`` knowledge bases; the ``slow`` one
``LONG_KBS`` (CI runs both: 500 took 140-155 s on a loaded 2-core machine;
``LIVEGATE_TEST_SYNTHETIC_KBS`` sets more for a longer run), each with ``PROFILES``
profiles. Most of a knowledge base's time is the engine's: its start on the
knowledge base (two groundings) and about 30 evaluations. The test's own part
is kept small: the profiles' strategies are built once per knowledge base
(:func:`tests.strategies.synthetic_profiles`), and the reference works out each
option's missing items once per profile.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from livegate import Engine, Knowledge

from tests import reference as ref
from tests.strategies import knowledge_bases, synthetic_profiles, vocabulary
from tests.test_differential import assert_matches_reference, assert_steps_match_reference, question_plans

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KBS = 25
LONG_KBS = int(os.environ.get("LIVEGATE_TEST_SYNTHETIC_KBS", "500"))
PROFILES = 20

COMMON: dict = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    # a failure is reported as found, not shrunk: each try grounds a knowledge base, and shrinking
    # one took minutes (a mutant of logic/ fails fast); the example is small enough to read as it is
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "report_multiple_bugs": False,
}


def load(facts: str) -> tuple[Engine, ref.KB, list[str]]:
    """An engine over ``facts`` and the repository's logic/, the reference's reading of them, and
    what ``livegate lint`` says of them."""
    with tempfile.TemporaryDirectory(prefix="livegate-synthetic-") as folder:
        (Path(folder) / "synthetic.lp").write_text(facts, encoding="utf-8")
        knowledge = Knowledge.load(folder, ROOT / "logic")
        return Engine(knowledge, pool_size=1), ref.load_kb(Path(folder)), knowledge.lint()


def assert_details_match(answer: dict, expected: ref.Result, k: ref.KB, profile: dict) -> None:
    """What the reference's plan comparison leaves out: combined access, warnings, the plans'
    companions, lead times and missing details, and the unit costs."""
    units = {i: profile.get("costs", {}).get(i, c) for i, c in k.default_cost.items()}
    for cat in answer["categories"]:
        exp = expected.categories[cat["id"]]
        assert {(x["with"], x["access"]) for x in cat["combined_access"]} == exp.combined_access, cat["id"]
        assert {(w["kind"], w["id"]) for w in cat["warnings"]} == exp.warnings, cat["id"]
    for i, cost in answer["item_costs"].items():
        assert cost == units[i], i
    questions = [(answer["cheapest"], expected.optimal)] + [
        (answer["cheapest_by_scenario"][s], q.optimal) for s, q in expected.by_scenario.items()
    ]
    for found, optimal in questions:
        for key, plan in question_plans(found).items():
            options = optimal[key]["plans"]
            assert plan["lead_time_days"] == ref.plan_lead_time(k, options[0])
            # a plan's companions are one of its merged options' (docs/semantics.md#ties merges a
            # target with its required category and the same two as target and companion)
            companions = {(p.target, p.companion) for p in options if p.companion}
            assert {(x["category"], x["companion"]) for x in plan["companions"]} <= companions, plan
            if all(p.companion for p in options):
                assert plan["companions"], plan
            shortfalls = dict(key[1])
            assert [d["id"] for d in plan["missing_detail"]] == plan["missing"]
            for d in plan["missing_detail"]:
                assert (d["count"], d["unit_cost"], d["cost"]) == (
                    shortfalls[d["id"]],
                    units[d["id"]],
                    shortfalls[d["id"]] * units[d["id"]],
                ), d


def assert_steps_hold(engine: Engine, answer: dict, profile: dict) -> None:
    """Holding the top-ranked step, the engine asked again gives its costs and unlocks it."""
    if not answer["next_steps"]:
        return
    step = answer["next_steps"][0]
    after = engine.evaluate(ref.with_more(profile, step["document"], step["count"]))
    assert after["cheapest"]["cost"] == step["cheapest_cost_after"], step
    for s, cost in step["cheapest_cost_after_by_scenario"].items():
        assert after["cheapest_by_scenario"][s]["cost"] == cost, (s, step)
    assert set(after["eligible"]) - set(answer["eligible"]) == set(step["unlocks"]), step


def check(data: st.DataObject) -> None:
    facts = data.draw(knowledge_bases(), label="facts")
    engine, k, lint = load(facts)
    assert lint == [], "a knowledge base livegate would refuse to serve"
    profiles = synthetic_profiles(k)
    for n in range(PROFILES):
        profile = data.draw(profiles, label=f"profile {n}")
        answer = engine.evaluate(profile)
        expected = ref.evaluate(profile, k)
        assert_matches_reference(answer, expected)
        assert_details_match(answer, expected, k, profile)
        assert_steps_match_reference(answer, profile, expected, k)
        assert_steps_hold(engine, answer, profile)


@settings(max_examples=DEFAULT_KBS, derandomize=True, **COMMON)
@given(data=st.data())
def test_engine_matches_reference_on_synthetic_knowledge_bases(data):
    check(data)


@pytest.mark.slow
@settings(max_examples=LONG_KBS, derandomize=True, **COMMON)
@given(data=st.data())
def test_engine_matches_reference_on_many_synthetic_knowledge_bases(data):
    check(data)


def category_facts(
    c: str, line: int, access: str, *alternatives: tuple[str, tuple[str, ...]], scenario: str = "ecommerce"
) -> str:
    """One category with its alternatives (id, items), as the generator writes it."""
    out = [
        f'category({c}, "category {c}").',
        f'category_source({c}, "section {c}", "https://example.org/{c}", {line}).',
        f"category_scenario({c}, {scenario}).",
        f'category_scene({c}, "scene of {c}").',
        f'category_scope({c}, "scope of {c}").',
        f"category_access({c}, {access}).",
    ]
    for n, (alt, items) in enumerate(alternatives):
        out.append(f'alternative({c}, {alt}, "{n + 1}. {alt}").')
        out += [f"requires_item({c}, {alt}, {i})." for i in items]
    return "\n".join(out) + "\n"


ITEMS = 'item(x, "x", licence). item(y, "y", licence).\n'
HAND_WRITTEN = [
    pytest.param(
        # every pair of kc's and kp's alternatives lacks {x, y}: four plans the answer merges into one,
        # which reports the first alternative of each category (docs/semantics.md#ties)
        ITEMS
        + category_facts("kc", 10, "cloud_live_plugin", ("a1", ("x",)), ("a2", ("x", "y")))
        + category_facts("kp", 11, "standard_live", ("b1", ("x", "y")), ("b2", ("y",)))
        + "companion_access(kc, kp, standard_live).\n",
        {"subject": {"type": "enterprise"}, "goal": {"categories": ["kc"], "access": "standard_live"}},
        [({"kc": "a1", "kp": "b1"}, {"kc": ["a1", "a2"], "kp": ["b1", "b2"]})],
        None,
        id="merged_plans_report_their_first_alternatives",
    ),
    pytest.param(
        # two tied plans: the one of the category the source lists first comes first, whatever
        # their missing items' ids (docs/semantics.md#ties)
        'item(z, "z", licence). item(a, "a", licence).\n'
        + category_facts("ka", 10, "standard_live", ("a1", ("z",)))
        + category_facts("kb", 11, "standard_live", ("b1", ("a",))),
        {"subject": {"type": "enterprise"}},
        [({"ka": "a1"}, {"ka": ["a1"]}), ({"kb": "b1"}, {"kb": ["b1"]})],
        None,
        id="tied_plans_in_the_sources_order",
    ),
    pytest.param(
        # the profile's own costs: x and y cost 1 each, z 2, so in the ecommerce scenario ka (x and y)
        # and kb (z) both cost 2 and kb, lacking one item fewer, is cheapest — each item's cost
        # counts, also two equal ones (the goal, settled by kt's free plan, leaves the scenario open)
        'item(x, "x", licence). item(y, "y", licence). item(z, "z", licence).\n'
        + category_facts("ka", 10, "standard_live", ("a1", ("x", "y")))
        + category_facts("kb", 11, "standard_live", ("b1", ("z",)))
        + category_facts("kt", 12, "standard_live", ("t1", ()), scenario="education"),
        {"subject": {"type": "enterprise"}, "costs": {"x": 1, "y": 1, "z": 2}},
        [({"kt": "t1"}, {"kt": ["t1"]})],
        [["kb"]],
        id="own_costs_of_equal_items_count_each",
    ),
    pytest.param(
        # in the ecommerce scenario kc with its companion kp (education, lacking nothing) lacks x (10),
        # ks lacks y and z (5 + 5): a tie in cost that the fewer missing items settle before the fewer
        # categories (docs/semantics.md#ties), in a scenario's plans as in the goal's. The random
        # knowledge bases did not reach it: 500 of them passed with the scenarios' two levels swapped
        'item(x, "x", licence). item(y, "y", registration). item(z, "z", registration).\n'
        + category_facts("kc", 10, "cloud_live_plugin", ("a1", ("x",)))
        + category_facts("kp", 11, "standard_live", ("b1", ()), scenario="education")
        + category_facts("ks", 12, "standard_live", ("s1", ("y", "z")))
        + "companion_access(kc, kp, standard_live).\n",
        {"subject": {"type": "enterprise"}, "goal": {"access": "standard_live"}},
        [({"kp": "b1"}, {"kp": ["b1"]})],
        [["kc", "kp"]],
        id="scenario_ties_go_to_fewer_missing_items_before_fewer_categories",
    ),
]


@pytest.mark.parametrize(("facts", "profile", "plans", "ecommerce"), HAND_WRITTEN)
def test_hand_written_knowledge_bases(facts, profile, plans, ecommerce):
    engine, k, lint = load(vocabulary() + facts)
    assert lint == []
    answer = engine.evaluate(profile)
    assert [(p["alternatives"], p["equivalent_alternatives"]) for p in answer["cheapest"]["plans"]] == plans
    assert_matches_reference(answer, ref.evaluate(profile, k))
    if ecommerce is not None:  # the categories of the ecommerce scenario's cheapest plans
        assert [p["categories"] for p in answer["cheapest_by_scenario"]["ecommerce"]["plans"]] == ecommerce
