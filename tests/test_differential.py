"""Differential and property tests of the engine against the reference evaluator.

The reference (tests/reference.py) implements docs/semantics.md by brute force from the
facts alone; here random valid profiles (tests/strategies.py) are answered by
both and compared, and properties the semantics implies are checked on the
engine's answers. The number of examples is fixed per settings profile: a
modest default, many more with LIVEGATE_HYPOTHESIS_PROFILE=long.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import reference as ref
from tests.strategies import SETTINGS, K, profiles, scrambled, with_item, without_item

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


# ---------------------------------------------------------------------------
# Normal forms of the two answers
# ---------------------------------------------------------------------------


def _units(documents: list[str], shortfalls: dict[str, int]) -> frozenset:
    return frozenset((i, shortfalls.get(i, 1)) for i in documents)


def engine_sets(category: dict) -> Counter:
    out = Counter()
    for s in category["missing_sets"]:
        assert s["alternative"] == s["alternatives"][category["id"]], s
        assert set(s["shortfalls"]) <= set(s["documents"]), s
        assert len(s["documents"]) == len(set(s["documents"])), s
        out[
            (
                frozenset(s["alternatives"].items()),
                _units(s["documents"], s["shortfalls"]),
                frozenset(s["shortfalls"].items()),
                s["cost"],
            )
        ] += 1
    return out


def reference_sets(category: ref.CategoryResult) -> Counter:
    return Counter(
        (frozenset(s.alternatives), s.missing, frozenset(s.shortfalls().items()), s.cost) for s in category.missing_sets
    )


def engine_plans(answer: dict) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for plan in answer["cheapest"]["plans"]:
        key = (frozenset(plan["categories"]), _units(plan["missing"], plan["shortfalls"]))
        assert key not in out, f"two plans with the same (categories, missing): {plan}"
        out[key] = plan
    return out


def show(key: tuple) -> tuple:
    cats, missing = key
    return (sorted(cats), sorted(missing))


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def assert_matches_reference(answer: dict, expected: ref.Result) -> None:
    assert answer["subject_supported"] is expected.subject_supported
    assert answer["direct_standard_live"] is expected.direct_standard_live
    assert sorted(answer["eligible"]) == expected.eligible

    got = {c["id"]: c for c in answer["categories"]}
    assert sorted(got) == sorted(expected.categories), "the answer must list every category once"
    assert len(answer["categories"]) == len(got)
    for cid, exp in expected.categories.items():
        cat = got[cid]
        assert cat["status"] == exp.status, (cid, cat["status"], exp.status)
        assert cat["access"] == exp.access, cid
        assert engine_sets(cat) == reference_sets(exp), (
            cid,
            cat["missing_sets"],
            [(s.alternatives, sorted(s.missing), s.cost) for s in exp.missing_sets],
        )
        assert sorted(cat["requires_categories"]) == exp.requires_categories, cid
        assert sorted(cat["external_requirements"]) == exp.external_requirements, cid

    assert answer["cheapest"]["cost"] == expected.cheapest_cost
    plans = engine_plans(answer)
    assert set(plans) == set(expected.optimal), (sorted(map(show, plans)), sorted(map(show, expected.optimal)))
    for key, plan in plans.items():
        exp = expected.optimal[key]
        some = exp["plans"][0]
        assert plan["direct"] is some.direct
        assert plan["cost"] == some.cost == expected.cheapest_cost
        assert plan["access"] == some.access
        counted = set().union(*(p.counted for p in exp["plans"]))
        assert plan["shortfalls"] == {i: n for i, n in some.missing if i in counted}
        equivalent = {c: sorted(a) for c, a in exp["alternatives"].items()}
        assert {c: sorted(a) for c, a in plan["equivalent_alternatives"].items()} == equivalent, show(key)
        assert set(plan["alternatives"]) == set(equivalent)
        for c, a in plan["alternatives"].items():
            assert a in equivalent[c]
        assert sorted(plan["external_requirements"]) == ref.plan_externals(expected, some)


def evaluate(engine, profile: dict) -> dict:
    return engine.evaluate(copy.deepcopy(profile))


def dump(answer: dict) -> str:
    return json.dumps(answer, sort_keys=True, ensure_ascii=False)


# ---------------------------------------------------------------------------
# engine == reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_match_reference(engine, path):
    profile = json.loads(path.read_text(encoding="utf-8"))
    assert_matches_reference(evaluate(engine, profile), ref.evaluate(profile))


@SETTINGS
@given(profile=profiles())
def test_engine_matches_reference(engine, profile):
    assert_matches_reference(evaluate(engine, profile), ref.evaluate(profile))


# ---------------------------------------------------------------------------
# Monotonicity
# ---------------------------------------------------------------------------


@SETTINGS
@given(profile=profiles(), data=st.data())
def test_adding_an_item_never_loses_eligibility(engine, profile, data):
    item = data.draw(st.sampled_from(K.items), label="item")
    before = set(evaluate(engine, profile)["eligible"])
    after = set(evaluate(engine, with_item(profile, item))["eligible"])
    assert before <= after, (item, sorted(before - after))


@SETTINGS
@given(profile=profiles(), data=st.data())
def test_removing_an_item_never_gains_eligibility(engine, profile, data):
    held = sorted(ref.holdings(profile))
    item = data.draw(st.sampled_from(held or K.items), label="item")
    before = set(evaluate(engine, profile)["eligible"])
    after = set(evaluate(engine, without_item(profile, item))["eligible"])
    assert after <= before, (item, sorted(after - before))


# ---------------------------------------------------------------------------
# Minimal missing sets are sufficient and minimal
# ---------------------------------------------------------------------------


def _obtain(profile: dict, missing: dict[str, int]) -> dict:
    p = profile
    for item, units in sorted(missing.items()):
        if units > 0:
            p = with_item(p, item, units)
    return p


def _met(answer: dict, cid: str) -> bool:
    """The category is eligible — or, when blocked, one of its sets is empty."""
    cat = next(c for c in answer["categories"] if c["id"] == cid)
    if cat["status"] == ref.BLOCKED:
        return any(not s["documents"] for s in cat["missing_sets"])
    return cat["status"] == ref.ELIGIBLE


@SETTINGS
@given(profile=profiles(), data=st.data())
def test_minimal_sets_suffice_and_no_proper_subset_does(engine, profile, data):
    # In this knowledge base no category (with the categories it requires) has
    # one option that needs a qualified item and another that needs its plain
    # form, so a proper subset of a minimal set can never complete another option.
    answer = evaluate(engine, profile)
    candidates = [(c["id"], s) for c in answer["categories"] for s in c["missing_sets"] if s["documents"]]
    if not candidates:
        return
    picks = data.draw(
        st.lists(st.sampled_from(range(len(candidates))), min_size=1, max_size=3, unique=True), label="sets"
    )
    for n in picks:
        cid, s = candidates[n]
        missing = {i: s["shortfalls"].get(i, 1) for i in s["documents"]}
        assert _met(evaluate(engine, _obtain(profile, missing)), cid), (cid, s)
        for item, count in missing.items():
            smaller = dict(missing, **{item: count - 1})
            assert not _met(evaluate(engine, _obtain(profile, smaller)), cid), (cid, s, "without one", item)


# ---------------------------------------------------------------------------
# Nothing is cheaper than the cheapest
# ---------------------------------------------------------------------------


@SETTINGS
@given(profile=profiles())
def test_no_plan_is_cheaper_than_the_cheapest(engine, profile):
    answer = evaluate(engine, profile)
    every = ref.evaluate(profile)
    cost = answer["cheapest"]["cost"]
    if cost is None:
        assert not every.plans
        return
    assert all(p.cost >= cost for p in every.plans), min(p.cost for p in every.plans)
    by_option = {(p.categories, p.alternatives): p for p in every.plans}
    for plan in answer["cheapest"]["plans"]:
        option = (frozenset(plan["categories"]), tuple(sorted(plan["alternatives"].items())))
        assert option in by_option, f"not a valid plan: {option}"
        assert by_option[option].cost == plan["cost"] == cost


# ---------------------------------------------------------------------------
# Order, duplicates and repetition change nothing
# ---------------------------------------------------------------------------


@SETTINGS
@given(profile=profiles(), seed=st.integers(0, 2**32 - 1))
def test_shuffled_and_duplicated_lists_give_the_same_answer(engine, profile, seed):
    variant = scrambled(profile, random.Random(seed))
    assert dump(evaluate(engine, variant)) == dump(evaluate(engine, profile))


@SETTINGS
@given(profile=profiles(), other=profiles())
def test_the_same_request_twice_gives_byte_identical_json(engine, profile, other):
    first = dump(evaluate(engine, profile))
    evaluate(engine, other)  # anything in between must leave no trace
    assert dump(evaluate(engine, profile)) == first
