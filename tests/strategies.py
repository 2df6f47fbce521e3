"""Hypothesis strategies: valid random profiles over the whole vocabulary.

The vocabulary (subject types, roles, items, activities, categories,
scenarios, access methods) is read from ``facts/`` by the reference reader, so
the generator follows the knowledge base without a hand-kept list.

Settings profiles (applied with ``@SETTINGS`` on the property tests, so they
never change other test files' hypothesis settings):

* ``livegate-default`` — a fixed, modest number of examples, derandomised so
  a normal run always compares the same profiles (CI is reproducible);
* ``livegate-long`` — many more, random, selected by the environment variable
  ``LIVEGATE_TEST_HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import copy
import json
import os
import random as _random
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from livegate.profile import filters_miss

from tests.reference import holdings, kb

K = kb()

DEFAULT_EXAMPLES = 100
LONG_EXAMPLES = 2000

settings.register_profile(
    "livegate-default",
    max_examples=DEFAULT_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "livegate-long",
    max_examples=LONG_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PROFILE_NAME = (
    "livegate-long" if os.environ.get("LIVEGATE_TEST_HYPOTHESIS_PROFILE", "").strip() == "long" else "livegate-default"
)
SETTINGS = settings.get_profile(PROFILE_NAME)

COUNTED_ITEMS = sorted({i for s in K.counted.values() for i in s})
ALTERNATIVES = sorted((c, a) for c in K.categories for a in K.alternatives[c])


def _unique(draw, elements, max_size: int, min_size: int = 0) -> list:
    return draw(st.lists(elements, min_size=min_size, max_size=max_size, unique=True))


def compatible(roles: list[str], exclusive: frozenset[tuple[str, str]]) -> list[str]:
    """``roles`` without each one an earlier one excludes (two such roles are refused:
    docs/semantics.md#role-fit)."""
    out: list[str] = []
    for r in roles:
        if not any((r, o) in exclusive or (o, r) in exclusive for o in out):
            out.append(r)
    return out


def _chance(draw, numerator: int, denominator: int) -> bool:
    """True with probability numerator/denominator (sampled_from is uniform; integers() is not)."""
    return draw(st.sampled_from(range(denominator))) < numerator


def consistent(documents: list[str], counts: dict[str, int], plain_of: dict[str, str]) -> list[str]:
    """``documents`` without what ``counts`` contradicts (refused, docs/semantics.md#limits): a
    document counted 0, or a qualified form of an item counted 0."""
    return [i for i in documents if counts.get(i) != 0 and counts.get(plain_of.get(i, i)) != 0]


def holdable(subject_type: str, items: list[str]) -> list[str]:
    """``items`` without those only other subject types can hold (``item_subject_type/2``: a
    profile holding one is refused, docs/semantics.md#limits)."""
    return [i for i in items if not K.item_subject_types.get(i) or subject_type in K.item_subject_types[i]]


def meet(goal: dict[str, Any], scenario_of: dict[str, str]) -> dict[str, Any]:
    """``goal`` without a scenario that none of its candidate categories serves (refused as a
    contradiction: the filters intersect)."""
    if filters_miss(goal.get("scenario"), [scenario_of[c] for c in goal.get("categories") or []]):
        del goal["scenario"]
    return goal


def _related(category: str) -> list[str]:
    """The category, its companions and the categories its activities can require."""
    out = [category] + [comp for comp, _ in K.companions.get(category, [])]
    for act, cat in K.activity_category.items():
        if cat == category:
            out += [e[1] for e in K.activity_effects.get(act, []) if e[0] == "requires_category"]
    return out


# Categories with something special (companion, required category, counted
# items, qualified items, reserved rows, blocking activities): half the
# profiles focus on one of them, with a goal that aims at it.
SPECIAL = (
    ["ecommerce_platform"] * 4
    + ["finance_stock_info_platform"] * 4
    + [
        "edu_platform",
        "social_live",
        "auto_presale",
        "edu_academic_school",
        "edu_online_video_course",
        "edu_online_education",
        "finance_private_fund",
        "finance_public_fund",
        "finance_credit_reporting",
        "tools_video_cs",
    ]
)


@st.composite
def profiles(draw) -> dict[str, Any]:
    """A valid profile: every id known, counts 0–3, costs 0–30.

    Each profile has a focus category: its goal, documents and activities lean
    towards it and the categories related to it, so that near-complete
    alternatives, companions, required categories and ties come up often.
    """
    special = draw(st.booleans())
    focus = draw(st.sampled_from(SPECIAL if special else K.categories), label="focus")
    related = _related(focus)
    subject_type = draw(st.sampled_from([*K.subject_types, "enterprise", "government", "other_organization"]))
    allowed = [r for r in K.roles if subject_type in K.role_subject_types[r]]  # a role the type may hold
    roles = _unique(draw, st.sampled_from(allowed), 3) if allowed else []
    for cat, alt in sorted(K.reserved):
        if cat in related and _chance(draw, 1, 3):
            roles += [r for r in sorted(K.reserved[(cat, alt)]) if r not in roles and r in allowed]
    roles = compatible(roles, K.exclusive_roles)

    # Documents: a few near-complete alternatives (so that categories are often
    # eligible or one item short), plus some random items.
    near = [(c, a) for c in related for a in K.alternatives[c]]
    chosen = _unique(draw, st.sampled_from(near), 3) + _unique(draw, st.sampled_from(ALTERNATIVES), 2)
    documents: list[str] = []
    for cat, alt in chosen:
        needed = sorted(K.requirement.get((cat, alt), {}))
        how = draw(st.sampled_from(["complete", "one_short", "one_short", "random"]))
        if how == "one_short" and needed:
            needed.remove(draw(st.sampled_from(needed)))
        for item in needed:
            if how != "random" or _chance(draw, 1, 2):
                # sometimes the plain form of a qualified item, which must not do
                documents.append(draw(st.sampled_from([item, item, item, K.plain_of.get(item, item)])))
    documents += _unique(draw, st.sampled_from(K.items), 4)
    documents = holdable(subject_type, list(dict.fromkeys(documents)))

    counts: dict[str, int] = {}
    for item in _unique(draw, st.sampled_from(COUNTED_ITEMS * 3 + K.items + documents), 4):
        counts[item] = draw(st.sampled_from([0, 1, 2, 3]))
    counts = {i: k for i, k in counts.items() if k == 0 or i in holdable(subject_type, [i])}
    # a count of 0 for a listed document (or for its plain item) is a contradiction (refused): the listing goes
    documents = consistent(documents, counts, K.plain_of)

    own = [a for a, c in K.activity_category.items() if c in related]
    activities = [
        a
        for a in sorted(own)
        if _chance(draw, 1, 2 if any(e[0] == "requires_category" for e in K.activity_effects[a]) else 4)
    ]
    activities += [a for a in _unique(draw, st.sampled_from(K.activities), 2) if a not in activities]

    profile: dict[str, Any] = {"subject": {"type": subject_type}}
    if roles or draw(st.booleans()):
        profile["subject"]["roles"] = roles
    if documents or draw(st.booleans()):
        profile["documents"] = documents
    if counts or draw(st.booleans()):
        profile["counts"] = counts
    if activities or draw(st.booleans()):
        profile["activities"] = activities

    mode = draw(
        st.sampled_from(
            ["focus", "focus", "scenario", "both"]
            if special
            else ["none", "scenario", "categories", "both", "focus", "random", "random"]
        )
    )
    if mode != "none":
        goal: dict[str, Any] = {}
        if mode in ("scenario", "both"):
            goal["scenario"] = K.scenario[focus]
        if mode in ("categories", "both"):
            goal["categories"] = list(dict.fromkeys(_unique(draw, st.sampled_from(K.categories), 2) + related[:1]))
        if mode == "random":
            scenario = draw(st.none() | st.sampled_from(K.scenarios))
            if scenario is not None or draw(st.booleans()):
                goal["scenario"] = scenario
            categories = _unique(draw, st.sampled_from(K.categories), 4)
            if categories or draw(st.booleans()):
                goal["categories"] = categories
        if mode == "focus":  # the focus alone, with the access its companion would upgrade it to
            goal["categories"] = [focus]
        upgrades = [acc for _, acc in K.companions.get(focus, [])] if special else []
        access = draw(st.sampled_from([None, None] + K.access_methods + ["standard_live"] + upgrades * 8))
        if access is not None or draw(st.booleans()):
            goal["access"] = access
        profile["goal"] = meet(goal, K.scenario)

    if _chance(draw, 1, 3):
        pool = sorted({i for c in related for a in K.alternatives[c] for i in K.requirement.get((c, a), {})})
        items = _unique(draw, st.sampled_from(pool + K.items + documents), 3, min_size=1)
        profile["costs"] = {i: draw(st.sampled_from([0, 1, 2, 3, 5, 7, 10, 15, 30])) for i in items}
    return profile


def with_item(profile: dict[str, Any], item: str, units: int = 1) -> dict[str, Any]:
    """The profile holding ``units`` more of ``item`` (a copy)."""
    p = _copy(profile)
    held = holdings(p).get(item, 0)
    if units == 1 and held == 0 and item not in p.get("counts", {}) and item not in p.get("documents", []):
        p.setdefault("documents", []).append(item)
    else:
        p.setdefault("counts", {})[item] = held + units
    return p


def without_item(profile: dict[str, Any], item: str) -> dict[str, Any]:
    """The profile holding one fewer of ``item`` (a copy); nothing changes if not held."""
    p = _copy(profile)
    counts = p.get("counts", {})
    if item in counts:
        counts[item] = max(0, counts[item] - 1)
        if counts[item] == 0 and item in p.get("documents", []):  # else a contradiction
            p["documents"] = [d for d in p["documents"] if d != item]
    elif item in p.get("documents", []):
        p["documents"] = [d for d in p["documents"] if d != item]
    return p


def scrambled(profile: dict[str, Any], rnd: _random.Random) -> dict[str, Any]:
    """The same profile with its lists shuffled and partly duplicated, its maps reordered."""

    def mix(values: list) -> list:
        out = list(values) + [v for v in values if rnd.random() < 0.5]
        rnd.shuffle(out)
        return out

    def reorder(mapping: dict) -> dict:
        keys = list(mapping)
        rnd.shuffle(keys)
        return {k: mapping[k] for k in keys}

    p = _copy(profile)
    if "roles" in p["subject"]:
        p["subject"]["roles"] = mix(p["subject"]["roles"])
    for key in ("documents", "activities"):
        if key in p:
            p[key] = mix(p[key])
    for key in ("counts", "costs"):
        if key in p:
            p[key] = reorder(p[key])
    if "goal" in p and "categories" in p["goal"]:
        p["goal"]["categories"] = mix(p["goal"]["categories"])
    return reorder(p)


def _copy(profile: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(profile)


EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


def random_profiles(n: int, seed: int) -> list[dict]:
    """The examples, then valid profiles drawn from the whole vocabulary with
    ``random`` (no hypothesis: a fixed list for tests that compare paths); a
    few distinct cost overrides."""
    rnd = _random.Random(seed)
    overrides = [
        {},
        {},
        {},
        {"business_license": 0},
        {"av_programme_licence": 2, "training_coop_agreement": 7},
        {"non_commercial_icp_filing": 30},
    ]
    out = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES][:n]
    while len(out) < n:
        subject_type = rnd.choice(K.subject_types)
        allowed = [r for r in K.roles if subject_type in K.role_subject_types[r]]
        counts = {i: rnd.randint(0, 3) for i in rnd.sample(K.items, rnd.randint(0, 3))}
        counts = {i: k for i, k in counts.items() if k == 0 or holdable(subject_type, [i])}
        out.append(
            {
                "subject": {
                    "type": subject_type,
                    "roles": compatible(rnd.sample(allowed, min(len(allowed), rnd.randint(0, 2))), K.exclusive_roles),
                },
                "documents": holdable(
                    subject_type, consistent(rnd.sample(K.items, rnd.randint(0, 12)), counts, K.plain_of)
                ),
                "counts": counts,
                "activities": rnd.sample(K.activities, rnd.randint(0, 2)),
                "goal": meet(
                    {
                        "scenario": rnd.choice([None, *K.scenarios]),
                        "categories": rnd.sample(K.categories, rnd.choice([0, 0, 1, 3])),
                        "access": rnd.choice([None, *K.access_methods]),
                    },
                    K.scenario,
                ),
                "costs": rnd.choice(overrides),
            }
        )
    return out


# ---------------------------------------------------------------------------
# Synthetic knowledge bases (tests/test_synthetic_kb.py)
# ---------------------------------------------------------------------------

FACTS_DIR = Path(__file__).resolve().parent.parent / "facts"

VOCABULARY_PREDICATES = (
    "ruleset_version(",
    "subject_type(",
    "unsupported_subject_type(",
    "direct_route(",
    "subject_type_rule(",
    "general_note(",
    "scenario_rule(",
    "access_method(",
    "issuer_class(",
    "issuer_class_name(",
    "role(",
    "role_implied_by_subject(",
    "role_subject_type(",
    "scenario(",
    "external_category(",
)
"""What a synthetic knowledge base keeps of facts/catalogue.lp: the vocabulary (subject types,
roles and the types each fits, scenarios, access methods, issuer classes, general notes); its
items, categories and activities are generated."""

SYNTHETIC_SCENARIOS = ("ecommerce", "education", "finance")
ISSUER_CLASSES = ("self_prepared", "partner", "registration", "licence")
EXTERNALS = ("medical_categories", "current_affairs")


def vocabulary() -> str:
    """The catalogue's vocabulary facts, as written in facts/catalogue.lp (one per line)."""
    lines = (FACTS_DIR / "catalogue.lp").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.startswith(VOCABULARY_PREDICATES)) + "\n"


def _q(text: str) -> str:
    return '"' + text + '"'


# The strategies are built once, here or once per knowledge base, never in a draw: hypothesis
# validates each new strategy object, which took more time than the draws themselves (built
# anew for each profile, they were 3/4 of its time). The same strategies draw the same values.
_ISSUER_CLASS = st.sampled_from(ISSUER_CLASSES)
_SCENARIO = st.sampled_from(SYNTHETIC_SCENARIOS)
_CATEGORY_ACCESS = st.sampled_from(["standard_live", "cloud_live_plugin", "cloud_live_plugin"])
_REQUIRED_COUNT = st.sampled_from([2, 3])
_RESERVED_FOR = st.lists(st.sampled_from(sorted(K.roles)), min_size=1, max_size=2, unique=True)
_EFFECT = st.sampled_from(["excludes", "blocks", "requires_category", "requires_category", "external"])
_EXTERNAL = st.sampled_from(EXTERNALS)
_COIN = st.booleans()
_ONE_IN_THREE = st.integers(0, 2)
_ONE_IN_FOUR = st.integers(0, 3)
_HELD_COUNT = st.sampled_from([0, 1, 1, 2, 3])
_OWN_COST = st.sampled_from([0, 1, 2, 5, 7, 30])


def _few(values: list) -> st.SearchStrategy[list]:
    """Up to three distinct ``values``: what ``_unique(draw, st.sampled_from(values), 3)`` draws."""
    return st.lists(st.sampled_from(values), max_size=3, unique=True)


@st.composite
def knowledge_bases(draw) -> str:
    """The facts of a small random knowledge base in the facts' own vocabulary, of the shapes
    ``logic/checks/lint.lp`` lets a ruleset have (a test asserts that it lints clean).

    Items (some qualified forms of others; some counted — asked for 2 by one alternative and 3 by
    another, never with a qualified form: lint's counted_qualified_item), categories over three
    scenarios and both access methods, each with 1–3 alternatives (some reserved for roles, some
    asking for nothing), companions that upgrade the access, activities that exclude, block,
    require another category (at most one each, which requires none itself; it may be blocked,
    excluded or reserved, so unusable) or an external category, remedies, notes with lead times."""
    n_items = draw(st.integers(3, 7), label="items")
    items = [f"i{n}" for n in range(n_items)]
    plain_of: dict[str, str] = {}
    for n, item in enumerate(items):
        if n and draw(st.integers(0, 3)) == 0:  # a qualified form of an earlier, unqualified item
            plain_of[item] = draw(st.sampled_from([i for i in items[:n] if i not in plain_of]))
    countable = [i for i in items if i not in plain_of and i not in plain_of.values()]
    classes = {i: draw(_ISSUER_CLASS) for i in items}

    facts: list[str] = []
    used: set[str] = set()
    n_categories = draw(st.integers(2, 5), label="categories")
    categories = [f"k{n}" for n in range(n_categories)]
    some_items = _few(items)
    some_category = st.sampled_from(categories)
    for n, c in enumerate(categories):
        scenario = draw(_SCENARIO)
        access = draw(_CATEGORY_ACCESS)
        facts += [
            f"category({c}, {_q('category ' + c)}).",
            f"category_source({c}, {_q('section ' + c)}, {_q('https://example.org/' + c)}, {10 + n}).",
            f"category_scenario({c}, {scenario}).",
            f"category_scene({c}, {_q('scene of ' + c)}).",
            f"category_scope({c}, {_q('scope of ' + c)}).",
            f"category_access({c}, {access}).",
        ]
        for a in range(draw(st.integers(1, 3), label="alternatives")):
            alt = f"a{a}"
            facts.append(f"alternative({c}, {alt}, {_q(f'{a + 1}. {c} {alt}')}).")
            for item in draw(some_items):
                used.add(item)
                facts.append(f"requires_item({c}, {alt}, {item}).")
                if item in countable and draw(st.integers(0, 2)) == 0:
                    facts.append(f"requires_count({c}, {alt}, {item}, {draw(_REQUIRED_COUNT)}).")
            if draw(st.integers(0, 3)) == 0:
                for role in draw(_RESERVED_FOR):
                    facts.append(f"reserved_for({c}, {alt}, {role}).")
        if access == "cloud_live_plugin" and draw(st.booleans()):
            companion = draw(st.sampled_from([k for k in categories if k != c]))
            facts.append(f"companion_access({c}, {companion}, standard_live).")
        if draw(st.integers(0, 4)) == 0:
            facts.append(f"category_note({c}, note_{c}, {_q('note of ' + c)}).")
            facts.append(f"note_line(note_{c}, {draw(st.integers(1, 900))}).")
            if draw(st.booleans()):
                facts.append(f"note_lead_time(note_{c}, {draw(st.integers(1, 30))}).")

    required: dict[str, str] = {}  # category -> the one category an activity makes it require
    for n in range(draw(st.integers(0, 4), label="activities")):
        act = f"act{n}"
        c = draw(some_category)
        kind = draw(_EFFECT)
        # lint: one required category per category, which requires none itself and is not itself
        others = [r for r in categories if r != c and r not in required]
        if kind == "requires_category" and (c in required or c in required.values() or not others):
            kind = "external"
        if kind == "requires_category":
            required[c] = draw(st.sampled_from(others))
            effect = f"requires_category({required[c]})"
        elif kind == "external":
            effect = f"requires_external({draw(_EXTERNAL)})"
        else:
            effect = kind
        facts += [
            f"activity({act}, {c}, {_q('activity ' + act)}).",
            f"activity_label({act}, {_q('label of ' + act)}).",
            f"activity_effect({act}, {effect}).",
            f"activity_line({act}, {draw(st.integers(1, 900))}).",
        ]
        if draw(st.booleans()):
            facts.append(f"activity_remedy({act}, {_q('remedy of ' + act)}).")

    used |= {plain_of[i] for i in used if i in plain_of}  # lint: every item is used
    declared = [f"item({i}, {_q('item ' + i)}, {classes[i]})." for i in items if i in used]
    declared += [f"item_qualified({q}, {p}, {_q('qualifier of ' + q)})." for q, p in plain_of.items() if q in used]
    return vocabulary() + "\n".join(declared + facts) + "\n"


def synthetic_profiles(k) -> st.SearchStrategy[dict[str, Any]]:
    """Valid profiles over the synthetic knowledge base ``k`` (a reference.KB): near-complete
    alternatives often, counts of counted items and of their qualified forms, activities, goals.

    Every strategy over ``k`` is built here, once per knowledge base; each profile only draws."""
    subject_types = st.sampled_from([*k.subject_types, "enterprise", "enterprise", "government"])
    roles_of = {}  # subject type -> the roles it may hold, when any
    for t in {*k.subject_types, "enterprise", "government"}:
        allowed = [r for r in k.roles if t in k.role_subject_types[r]]
        if allowed:
            roles_of[t] = _few(allowed)
    alternatives = _few(sorted((c, a) for c in k.categories for a in k.alternatives[c]))
    needed = {key: sorted(req) for key, req in k.requirement.items()}
    left_out = {key: st.sampled_from(items) for key, items in needed.items() if items}
    forms = {
        item: st.sampled_from([item, *k.qualified_forms.get(item, []), k.plain_of.get(item, item)])
        for items in needed.values()
        for item in items
    }
    items = _few(k.items) if k.items else None
    counted = sorted({i for s in k.counted.values() for i in s})
    related = sorted({*counted, *(q for i in counted for q in k.qualified_forms.get(i, []))})
    pool = related or k.items
    counts_of = _few(pool) if pool else None
    activities = _few(k.activities) if k.activities else None
    scenarios = st.sampled_from(sorted(set(k.scenario.values())))
    categories = _few(k.categories)
    access_methods = st.sampled_from(k.access_methods)

    @st.composite
    def profile(draw) -> dict[str, Any]:
        subject_type = draw(subject_types)
        roles = compatible(draw(roles_of[subject_type]), k.exclusive_roles) if subject_type in roles_of else []
        documents: list[str] = []
        for key in draw(alternatives):
            wanted = list(needed.get(key, []))
            if wanted and draw(_COIN):
                wanted.remove(draw(left_out[key]))
            documents += [draw(forms[item]) for item in wanted]
        documents += draw(items) if items is not None else []
        counts = {i: draw(_HELD_COUNT) for i in (draw(counts_of) if counts_of is not None else [])}
        documents = consistent(list(dict.fromkeys(documents)), counts, k.plain_of)
        out: dict[str, Any] = {
            "subject": {"type": subject_type, "roles": roles},
            "documents": documents,
            "counts": counts,
            "activities": draw(activities) if activities is not None else [],
        }
        goal: dict[str, Any] = {}
        if draw(_COIN):
            goal["scenario"] = draw(scenarios)
        if draw(_ONE_IN_THREE) == 0:
            goal["categories"] = draw(categories)
        if draw(_COIN):
            goal["access"] = draw(access_methods)
        if meet(goal, k.scenario):
            out["goal"] = goal
        if items is not None and draw(_ONE_IN_FOUR) == 0:
            out["costs"] = {i: draw(_OWN_COST) for i in draw(items)}
        return out

    return profile()
