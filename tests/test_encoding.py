"""Encoding unit tests: the generic rules of logic/ on tiny knowledge bases.

Each case is a tiny program — a fake category or two written as facts, plus the
profile as input facts — loaded together with the real ``logic/main.lp`` and
solved with ``--opt-mode=optN --enum-mode=brave`` as analysts run it. The
expected atoms of the named predicates are compared sorted (every atom of that
predicate, not a subset), and the goal's cheapest plans as a set, each plan as
its atoms without the plan's name (``plan_category(k)``, ``plan_missing(c,1)``;
``plan_direct`` for the direct route). A minimal missing set is checked with
its cost, the sum of its items' weights (``item_weight/2``) times their counts:
``minimal_missing_set(k,a,10)``. Where given, ``cost`` is
[no plan, total cost, missing items, categories] of the goal's cheapest plan.
Cases come in satisfied / unsatisfied twins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import clingo
import pytest

ROOT = Path(__file__).resolve().parent.parent
LOGIC_ENTRY = ROOT / "logic" / "main.lp"

# The vocabulary every tiny program shares (costs: self 1, partner 3, registration 5, licence 10).
VOCABULARY = """
subject_type(enterprise, "企业"). subject_type(personal, "个人"). subject_type(government, "政府").
unsupported_subject_type(personal, 2).
direct_route(government, std, 2).
access_method(std, "标准直播", "u"). access_method(plug, "插件", "u").
scenario(sc, "s"). scenario(other, "o").
issuer_class(self_prepared, 1). issuer_class(partner, 3). issuer_class(registration, 5). issuer_class(licence, 10).
role(r, "角色"). role(gov, "政府主体"). role_implied_by_subject(gov, government).
"""

PLAN_PREDICATES = ("plan_category", "plan_missing", "plan_access", "plan_companion")


def category(c: str, access: str = "std", scenario: str = "sc") -> str:
    return f'category({c}, "{c}"). category_access({c}, {access}). category_scenario({c}, {scenario}).\n'


def item(i: str, klass: str = "licence") -> str:
    return f'item({i}, "{i}", {klass}).\n'


def alternative(c: str, alt: str, *items: str, reserved: str | None = None) -> str:
    out = f'alternative({c}, {alt}, "{alt}").\n' + "".join(f"requires_item({c}, {alt}, {i}).\n" for i in items)
    if reserved:
        out += f"reserved_for({c}, {alt}, {reserved}).\n"
    return out


@dataclass
class Solved:
    symbols: list[clingo.Symbol]  # the shown atoms of the last (brave) model: true in some optimal model

    def atoms(self, *names: str) -> list[str]:
        """Atoms of the named predicates, sorted; a minimal missing set with its cost."""
        out = [str(s) for s in self.symbols if s.name in names and s.name != "minimal_missing_set"]
        if "minimal_missing_set" in names:
            out += [f"minimal_missing_set({c},{o},{cost})" for (c, o), cost in self.set_costs().items()]
        return sorted(out)

    def _args(self, name: str) -> list[list[clingo.Symbol]]:
        return [list(s.arguments) for s in self.symbols if s.name == name]

    def set_costs(self) -> dict[tuple[str, str], int]:
        weight = {str(i): w.number for i, w in self._args("item_weight")}
        costs = {(str(c), str(o)): 0 for c, o in self._args("minimal_missing_set")}
        for c, o, i, n in self._args("minimal_missing_item"):
            costs[(str(c), str(o))] += n.number * weight[str(i)]
        return costs

    def goal_plans(self) -> dict[str, list[clingo.Symbol]]:
        """The goal's cheapest plans by name, each with its plan_* atoms' other arguments."""
        plans: dict[str, list[clingo.Symbol]] = {str(p): [] for q, p in self._args("cheapest") if str(q) == "goal"}
        for s in self.symbols:
            if s.name in PLAN_PREDICATES and str(s.arguments[0]) in plans:
                plans[str(s.arguments[0])].append(s)
        return plans

    @property
    def plans(self) -> set[tuple[str, ...]]:
        out = set()
        for name, atoms in self.goal_plans().items():
            shown = [str(clingo.Function(s.name, s.arguments[1:])) for s in atoms]
            out.add(tuple(sorted(shown + (["plan_direct"] if name == "direct" else []))))
        return out or {()}

    @property
    def cost(self) -> list[int]:
        """[no plan, cost, missing items, categories] of the goal's cheapest plan (all tie on these)."""
        plans = self.goal_plans()
        if not plans:
            return [1, 0, 0, 0]
        weight = {str(i): w.number for i, w in self._args("item_weight")}
        vectors = set()
        for atoms in plans.values():
            missing = [(str(s.arguments[1]), s.arguments[2].number) for s in atoms if s.name == "plan_missing"]
            categories = [s for s in atoms if s.name == "plan_category"]
            vectors.add((0, sum(n * weight[i] for i, n in missing), sum(n for _, n in missing), len(categories)))
        assert len(vectors) == 1, f"tied plans differ: {vectors}"
        return list(vectors.pop())


def solve(program: str) -> Solved:
    messages: list[str] = []
    ctl = clingo.Control(
        ["--opt-mode=optN", "--enum-mode=brave", "--models=0", "--warn=none"],
        logger=lambda code, msg: messages.append(msg),
    )
    ctl.load(str(LOGIC_ENTRY))
    ctl.add("base", [], VOCABULARY + program + "\n#show item_weight/2.")
    ctl.ground([("base", [])])
    last: list[clingo.Symbol] = []

    def on_model(model: clingo.Model) -> None:
        if model.optimality_proven:
            last[:] = model.symbols(shown=True)

    result = ctl.solve(on_model=on_model)
    assert result.satisfiable, messages
    assert last, "no optimal model"
    return Solved(last)


@dataclass
class Case:
    name: str
    program: str
    expect: dict[str, list[str]] = field(default_factory=dict)  # predicate name(s) "a|b" -> every atom
    plans: set[tuple[str, ...]] | None = None
    cost: list[int] | None = None


# --- tiny knowledge bases --------------------------------------------------------------------
ONE_ALT = category("k") + item("i1") + item("i2", "self_prepared") + alternative("k", "a", "i1", "i2")

RESERVED = (
    category("k")
    + category("k2")
    + item("i1")
    + item("i2", "registration")
    + alternative("k", "a1", "i1", reserved="r")
    + alternative("k", "a2", "i2")
    + alternative("k2", "b", "i1", reserved="r")
    + "role_subject_type(r, enterprise).\n"
)

# a role no enterprise may hold (role_subject_type/2 gives it to no type of this tiny catalogue)
GOV_RESERVED = category("k") + item("i1", "registration") + alternative("k", "a", "i1", reserved="gov")

ITEM_FIT = (  # the row asks for c1, which only an other_organization holds, and for i1, which anyone may
    category("k")
    + item("c1", "registration")
    + item("i1")
    + alternative("k", "a", "c1", "i1")
    + "item_subject_type(c1, other_organization).\n"
)

QUALIFIED = (
    category("kp")
    + category("kq")
    + item("p")
    + item("q")
    + 'item_qualified(q, p, "scope").\n'
    + alternative("kp", "a", "p")
    + alternative("kq", "b", "q")
)

COUNTED = (
    category("k")
    + item("c", "partner")
    + alternative("k", "a", "c")
    + "requires_count(k, a, c, 2).\ngoal_category(k).\n"
)

NESTED = category("k") + item("i1") + item("i2") + alternative("k", "a1", "i1") + alternative("k", "a2", "i1", "i2")
DISJOINT = category("k") + item("i1") + item("i2") + alternative("k", "a1", "i1") + alternative("k", "a2", "i2")
COUNTED_NESTED = (
    category("k")
    + item("c", "partner")
    + item("i", "self_prepared")
    + alternative("k", "a1", "c")
    + "requires_count(k, a1, c, 2).\n"
    + alternative("k", "a2", "c", "i")
)

ACTIVITIES = (
    category("k") + alternative("k", "a") + 'activity(blk, k, "blocked note"). activity_effect(blk, blocks).\n'
    'activity_remedy(blk, "remove it"). activity(exc, k, "excluding note"). activity_effect(exc, excludes).\n'
    "goal_category(k).\n"
)
RESERVED_BLOCKED = (
    category("k")
    + item("i1")
    + alternative("k", "a", "i1", reserved="r")
    + 'activity(blk, k, "blocked note"). activity_effect(blk, blocks).\n'
    + "role_subject_type(r, enterprise).\n"
)

REQUIRED = (
    category("k1")
    + category("k2")
    + item("i1")
    + item("i2")
    + item("i3", "registration")
    + alternative("k1", "a", "i1")
    + alternative("k2", "b1", "i2")
    + alternative("k2", "b2", "i3")
    + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\n'
)

SHARED = (
    category("k1")
    + category("k2")
    + item("s")
    + item("i1", "self_prepared")
    + alternative("k1", "a", "s", "i1")
    + alternative("k2", "b", "s")
    + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\ndoes(act). goal_category(k1).\n'
    "subject(enterprise).\n"
)
NOT_SHARED = SHARED.replace("requires_item(k2, b, s).", "requires_item(k2, b, t).") + item("t")

TIE_ITEMS = (
    category("k1")
    + category("k2")
    + item("x")
    + item("y1", "registration")
    + item("y2", "registration")
    + alternative("k1", "a", "x")
    + alternative("k2", "b", "y1", "y2")
    + "subject(enterprise).\n"
)
TIE_CATEGORIES = (
    category("k1")
    + category("k2")
    + category("k3")
    + item("x")
    + alternative("k1", "a")
    + alternative("k2", "b", "x")
    + alternative("k3", "c", "x")
    + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\n'
    "subject(enterprise). does(act).\n"
)
TIE_ALL = (
    category("k1")
    + category("k2")
    + item("x")
    + item("y")
    + alternative("k1", "a", "x")
    + alternative("k2", "b", "y")
    + "subject(enterprise).\n"
)

COMPANION = (
    category("ke", access="plug")
    + category("ks", access="std")
    + item("e1", "self_prepared")
    + item("s1")
    + alternative("ke", "a", "e1")
    + alternative("ks", "b", "s1")
    + "companion_access(ke, ks, std).\nsubject(enterprise). holds(e1). goal_category(ke).\n"
)

DIRECT = category("k", access="plug") + alternative("k", "a")

CASES = [
    # an alternative met vs one item missing
    Case(
        "alternative_met_makes_category_eligible",
        ONE_ALT + "subject(enterprise). holds(i1). holds(i2).",
        {
            "status": ["status(k,eligible)"],
            "minimal_missing_set": ["minimal_missing_set(k,a,0)"],
            "minimal_missing_item": [],
            "reason": ["reason(k,met(k,a,i1,i1))", "reason(k,met(k,a,i2,i2))"],
        },
    ),
    Case(
        "alternative_missing_one_item_is_missing_that_item",
        ONE_ALT + "subject(enterprise). holds(i1).",
        {
            "status": ["status(k,missing)"],
            "minimal_missing_set": ["minimal_missing_set(k,a,1)"],
            "minimal_missing_item": ["minimal_missing_item(k,a,i2,1)"],
            "reason": [],
        },
    ),
    # reserved alternative with vs without the role
    Case(
        "reserved_alternative_counts_for_subject_with_role",
        RESERVED + "subject(enterprise). has_role(r). holds(i1).",
        {
            "status": ["status(k,eligible)", "status(k2,eligible)"],
            "minimal_missing_set": ["minimal_missing_set(k,a1,0)", "minimal_missing_set(k2,b,0)"],
        },
    ),
    Case(
        "reserved_alternative_is_never_offered_without_the_role",
        RESERVED + "subject(enterprise). holds(i1).",
        {
            "status": ["status(k,missing)", "status(k2,not_applicable)"],
            "minimal_missing_set": ["minimal_missing_set(k,a2,5)"],
            "reason": ["reason(k,reserved(a1,r))", "reason(k2,reserved(b,r))"],
        },
    ),
    Case(
        "role_implied_by_subject_type_opens_reserved_alternative",
        GOV_RESERVED + "subject(government). holds(i1).",
        {"status": ["status(k,eligible)"], "reason": ["reason(k,met(k,a,i1,i1))"]},
    ),
    Case(
        "role_of_another_subject_type_stays_closed",
        GOV_RESERVED + "subject(enterprise). holds(i1).",
        {
            "status": ["status(k,not_applicable)"],
            "minimal_missing_set": [],
            # not "reserved": that reason tells a subject which role to declare, and no enterprise can be gov
            "reason": ["reason(k,reserved_for_other_type(a,gov,enterprise))"],
        },
    ),
    # qualified satisfies plain vs plain does not satisfy qualified
    Case(
        "qualified_item_satisfies_plain_requirement",
        QUALIFIED + "subject(enterprise). holds(q).",
        {
            "status": ["status(kp,eligible)", "status(kq,eligible)"],
            "reason": ["reason(kp,met(kp,a,p,q))", "reason(kq,met(kq,b,q,q))"],
        },
    ),
    Case(
        "plain_item_does_not_satisfy_qualified_requirement",
        QUALIFIED + "subject(enterprise). holds(p).",
        {
            "status": ["status(kp,eligible)", "status(kq,missing)"],
            "minimal_missing_item": ["minimal_missing_item(kq,b,q,1)"],
            "reason": ["reason(kp,met(kp,a,p,p))", "reason(kq,plain_only(b,q,p))"],
        },
    ),
    # counted shortfall
    Case(
        "counted_item_held_twice_is_met",
        COUNTED + "subject(enterprise). holds_count(c, 2).",
        {"status": ["status(k,eligible)"], "minimal_missing_item": []},
        plans={("plan_access(std)", "plan_category(k)")},
    ),
    Case(
        "counted_item_held_three_times_is_met",
        COUNTED + "subject(enterprise). holds_count(c, 3).",
        {"status": ["status(k,eligible)"], "minimal_missing_item": []},
    ),
    Case(
        "counted_item_held_once_lacks_one_more",
        COUNTED + "subject(enterprise). holds_count(c, 1).",
        {
            "status": ["status(k,missing)"],
            "minimal_missing_set": ["minimal_missing_set(k,a,3)"],
            "minimal_missing_item": ["minimal_missing_item(k,a,c,1)"],
        },
        plans={("plan_access(std)", "plan_category(k)", "plan_missing(c,1)")},
        cost=[0, 3, 1, 1],
    ),
    Case(
        "counted_item_held_as_plain_document_counts_one",
        COUNTED + "subject(enterprise). holds(c).",
        {"minimal_missing_item": ["minimal_missing_item(k,a,c,1)"]},
    ),
    Case(
        "counted_item_not_held_lacks_two_costing_twice",
        COUNTED + "subject(enterprise).",
        {
            "minimal_missing_set": ["minimal_missing_set(k,a,6)"],
            "minimal_missing_item": ["minimal_missing_item(k,a,c,2)"],
        },
        plans={("plan_access(std)", "plan_category(k)", "plan_missing(c,2)")},
        cost=[0, 6, 2, 1],
    ),
    # subset-minimality
    Case(
        "superset_missing_set_is_dropped",
        NESTED + "subject(enterprise).",
        {
            "minimal_missing_set": ["minimal_missing_set(k,a1,10)"],
            "minimal_missing_item": ["minimal_missing_item(k,a1,i1,1)"],
        },
    ),
    Case(
        "incomparable_missing_sets_are_both_kept",
        DISJOINT + "subject(enterprise).",
        {"minimal_missing_set": ["minimal_missing_set(k,a1,10)", "minimal_missing_set(k,a2,10)"]},
    ),
    Case(
        "equal_missing_sets_of_two_alternatives_are_both_kept",
        NESTED + "subject(enterprise). holds(i2).",
        {"minimal_missing_set": ["minimal_missing_set(k,a1,10)", "minimal_missing_set(k,a2,10)"]},
    ),
    Case(
        "larger_shortfall_of_a_counted_item_is_dropped",
        COUNTED_NESTED + "subject(enterprise). holds(i).",
        {
            "minimal_missing_set": ["minimal_missing_set(k,a2,3)"],
            "minimal_missing_item": ["minimal_missing_item(k,a2,c,1)"],
        },
    ),
    Case(
        "incomparable_counted_shortfalls_are_both_kept",
        COUNTED_NESTED + "subject(enterprise).",
        {
            "minimal_missing_set": ["minimal_missing_set(k,a1,6)", "minimal_missing_set(k,a2,4)"],
            "minimal_missing_item": [
                "minimal_missing_item(k,a1,c,2)",
                "minimal_missing_item(k,a2,c,1)",
                "minimal_missing_item(k,a2,i,1)",
            ],
        },
    ),
    # blocking vs excluding activity
    Case(
        "no_activity_leaves_category_eligible",
        ACTIVITIES + "subject(enterprise).",
        {"status": ["status(k,eligible)"], "warning": []},
        plans={("plan_access(std)", "plan_category(k)")},
    ),
    Case(
        # the plan through k holds only if the subject does neither of k's activities: declared,
        # blk would block k, exc rule it out (plan_assumes/2)
        "a_plan_assumes_the_activities_of_its_categories_the_profile_does_not_declare",
        ACTIVITIES + "subject(enterprise).",
        {"plan_assumes": ["plan_assumes(p(k,a),blk)", "plan_assumes(p(k,a),exc)"]},
        plans={("plan_access(std)", "plan_category(k)")},
    ),
    Case(
        "a_declared_activity_that_only_adds_a_requirement_is_not_assumed",
        category("k1")
        + alternative("k1", "a")
        + 'activity(ext, k1, "note"). activity_effect(ext, external(xcat)). activity(oth, k1, "other note").\n'
        + "subject(enterprise). does(ext).",
        {"plan_assumes": ["plan_assumes(p(k1,a),oth)"]},
    ),
    Case(
        "blocking_activity_blocks_but_keeps_missing_sets",
        ACTIVITIES + "subject(enterprise). does(blk).",
        {
            "status": ["status(k,blocked)"],
            "minimal_missing_set": ["minimal_missing_set(k,a,0)"],
            "reason": ["reason(k,blocked_by_activity(blk))"],
            "warning": ["warning(k,remedy(blk))"],
            "no_plan": ["no_plan(goal)", "no_plan(scenario(sc))"],
        },
        plans={()},
    ),
    Case(
        "excluding_activity_makes_category_not_applicable",
        ACTIVITIES + "subject(enterprise). does(exc).",
        {
            "status": ["status(k,not_applicable)"],
            "minimal_missing_set": [],
            "reason": ["reason(k,excluded_by_activity(exc))"],
            "no_plan": ["no_plan(goal)", "no_plan(scenario(sc))"],
        },
    ),
    Case(
        "excluding_activity_takes_precedence_over_blocking",
        ACTIVITIES + "subject(enterprise). does(blk). does(exc).",
        {"status": ["status(k,not_applicable)"], "minimal_missing_set": []},
    ),
    Case(
        "no_open_alternative_takes_precedence_over_blocking",
        RESERVED_BLOCKED + "subject(enterprise). does(blk).",
        {"status": ["status(k,not_applicable)"], "reason": ["reason(k,reserved(a,r))"]},
    ),
    Case(
        "blocking_applies_once_the_role_opens_the_alternative",
        RESERVED_BLOCKED + "subject(enterprise). has_role(r). does(blk).",
        {"status": ["status(k,blocked)"], "minimal_missing_set": ["minimal_missing_set(k,a,10)"]},
    ),
    Case(
        "personal_subject_takes_precedence_over_everything",
        ACTIVITIES + "subject(personal). does(blk).",
        {
            "status": ["status(k,not_applicable)"],
            "subject_unsupported": ["subject_unsupported(personal)"],
            "reason": ["reason(k,unsupported_subject(personal))"],
            "minimal_missing_set": [],
            "no_plan": ["no_plan(goal)", "no_plan(scenario(sc))"],
        },
    ),
    # a required category combines the sets
    Case(
        "required_category_combines_missing_sets",
        REQUIRED + "subject(enterprise). does(act). holds(i1). goal_category(k1).",
        {
            "status": ["status(k1,missing)", "status(k2,missing)"],
            "requires_category": ["requires_category(k1,k2,act)"],
            "minimal_missing_set": [
                "minimal_missing_set(k1,(a,b1),10)",
                "minimal_missing_set(k1,(a,b2),5)",
                "minimal_missing_set(k2,b1,10)",
                "minimal_missing_set(k2,b2,5)",
            ],
            "missing_set_alternative": [
                "missing_set_alternative(k1,(a,b1),k1,a)",
                "missing_set_alternative(k1,(a,b1),k2,b1)",
                "missing_set_alternative(k1,(a,b2),k1,a)",
                "missing_set_alternative(k1,(a,b2),k2,b2)",
            ],
        },
        plans={("plan_access(std)", "plan_category(k1)", "plan_category(k2)", "plan_missing(i3,1)")},
        cost=[0, 5, 1, 2],
    ),
    Case(
        "required_category_met_makes_category_eligible",
        REQUIRED + "subject(enterprise). does(act). holds(i1). holds(i3).",
        {"status": ["status(k1,eligible)", "status(k2,eligible)"]},
    ),
    Case(
        "without_the_activity_no_category_is_required",
        REQUIRED + "subject(enterprise). holds(i1).",
        {
            "status": ["status(k1,eligible)", "status(k2,missing)"],
            "requires_category": [],
            "minimal_missing_set": [
                "minimal_missing_set(k1,a,0)",
                "minimal_missing_set(k2,b1,10)",
                "minimal_missing_set(k2,b2,5)",
            ],
            "missing_set_alternative": [],
        },
    ),
    # cheapest plan counts a shared item once
    Case(
        "shared_item_is_counted_once",
        SHARED,
        {"minimal_missing_set": ["minimal_missing_set(k1,(a,b),11)", "minimal_missing_set(k2,b,10)"]},
        plans={
            ("plan_access(std)", "plan_category(k1)", "plan_category(k2)", "plan_missing(i1,1)", "plan_missing(s,1)")
        },
        cost=[0, 11, 2, 2],
    ),
    Case(
        "distinct_items_are_each_counted",
        NOT_SHARED,
        {"minimal_missing_set": ["minimal_missing_set(k1,(a,b),21)", "minimal_missing_set(k2,b,10)"]},
        plans={
            (
                "plan_access(std)",
                "plan_category(k1)",
                "plan_category(k2)",
                "plan_missing(i1,1)",
                "plan_missing(s,1)",
                "plan_missing(t,1)",
            )
        },
        cost=[0, 21, 3, 2],
    ),
    # tie-breaks: fewer items, then fewer categories; all remaining ties returned
    Case(
        "cost_tie_is_broken_by_fewer_missing_items",
        TIE_ITEMS,
        plans={("plan_access(std)", "plan_category(k1)", "plan_missing(x,1)")},
        cost=[0, 10, 1, 1],
    ),
    Case(
        "cost_override_makes_the_two_item_plan_cheapest",
        TIE_ITEMS + "cost_override(y1, 4).",
        {"minimal_missing_set": ["minimal_missing_set(k1,a,10)", "minimal_missing_set(k2,b,9)"]},
        plans={("plan_access(std)", "plan_category(k2)", "plan_missing(y1,1)", "plan_missing(y2,1)")},
        cost=[0, 9, 2, 1],
    ),
    Case(
        "item_tie_is_broken_by_fewer_categories",
        TIE_CATEGORIES + "goal_category(k1). goal_category(k3).",
        plans={("plan_access(std)", "plan_category(k3)", "plan_missing(x,1)")},
        cost=[0, 10, 1, 1],
    ),
    Case(
        "required_pair_is_the_plan_when_it_is_the_only_candidate",
        TIE_CATEGORIES + "goal_category(k1).",
        plans={("plan_access(std)", "plan_category(k1)", "plan_category(k2)", "plan_missing(x,1)")},
        cost=[0, 10, 1, 2],
    ),
    Case(
        "all_tied_plans_are_returned",
        TIE_ALL,
        plans={
            ("plan_access(std)", "plan_category(k1)", "plan_missing(x,1)"),
            ("plan_access(std)", "plan_category(k2)", "plan_missing(y,1)"),
        },
        cost=[0, 10, 1, 1],
    ),
    # companion access
    Case(
        "goal_access_brings_the_companion_into_the_plan",
        COMPANION + "goal_access(std).",
        {"combined_access": []},
        plans={
            (
                "plan_access(std)",
                "plan_category(ke)",
                "plan_category(ks)",
                "plan_companion(ke,ks)",
                "plan_missing(s1,1)",
            )
        },
        cost=[0, 10, 1, 2],
    ),
    Case(
        # what each question allows (question_scope/2, by which the next steps are ranked): the goal's
        # access method leaves out a category that cannot reach it, in the scenario's question too
        "a_question_allows_only_the_categories_reaching_the_goal_access",
        category("kp", access="plug")
        + category("ks")
        + category("ko", access="plug", scenario="other")
        + item("x")
        + alternative("kp", "a", "x")
        + alternative("ks", "a", "x")
        + alternative("ko", "a", "x")
        + "subject(enterprise). goal_access(plug). goal_scenario(sc).",
        {"question_scope": ["question_scope(goal,kp)", "question_scope(scenario(sc),kp)"]},
    ),
    Case(
        "own_access_needs_no_companion",
        COMPANION + "goal_access(plug).",
        plans={("plan_access(plug)", "plan_category(ke)")},
        cost=[0, 0, 0, 1],
    ),
    Case(
        "holding_both_grants_the_combined_access",
        COMPANION + "holds(s1).",
        {"combined_access": ["combined_access(ke,ks,std)"], "status": ["status(ke,eligible)", "status(ks,eligible)"]},
    ),
    # the direct route
    Case(
        "government_takes_the_direct_route_at_cost_0",
        DIRECT + "subject(government).",
        {"direct_access": ["direct_access(std)"], "no_plan": []},
        plans={("plan_access(std)", "plan_direct")},
    ),
    Case(
        "government_with_goal_access_standard_keeps_the_direct_route",
        DIRECT + "subject(government). goal_access(std).",
        plans={("plan_access(std)", "plan_direct")},
    ),
    Case(
        "government_needing_another_access_gets_no_direct_route",
        DIRECT + "subject(government). goal_access(plug).",
        {"direct_access": ["direct_access(std)"]},
        plans={("plan_access(plug)", "plan_category(k)")},
    ),
    Case(
        "enterprise_has_no_direct_route",
        DIRECT + "subject(enterprise).",
        {"direct_access": []},
        plans={("plan_access(plug)", "plan_category(k)")},
    ),
    Case(
        "personal_subject_has_no_plan",
        DIRECT + "subject(personal).",
        {
            "status": ["status(k,not_applicable)"],
            "no_plan": ["no_plan(goal)", "no_plan(scenario(sc))"],
            "direct_access": [],
        },
        plans={()},
    ),
]


# --- the cheapest path per scenario, next steps, why no plan ------------------------------------
# k1 (scenario sc) lacks a licence (10); k2 (scenario other) lacks a self-prepared item (1)
TWO_SCENARIOS = (
    category("k1")
    + category("k2", scenario="other")
    + item("lic")
    + item("own", "self_prepared")
    + alternative("k1", "a", "lic")
    + alternative("k2", "b", "own")
)
# k lacks lic+own by a, or lic2 alone by b; k3 lacks nothing
STEPS = (
    category("k")
    + category("k3", scenario="other")
    + item("lic")
    + item("lic2")
    + item("own", "self_prepared")
    + alternative("k", "a", "lic", "own")
    + alternative("k", "b", "lic2")
    + alternative("k3", "c")
)
COUNTED_STEP = category("k") + item("agr", "partner") + alternative("k", "a", "agr") + "requires_count(k, a, agr, 2).\n"
BLOCKED_GOAL = ACTIVITIES.replace("goal_category(k).\n", "") + category("k9", scenario="other") + alternative("k9", "z")

CASES += [
    Case(
        "each_scenario_has_its_own_cheapest_plan_and_the_goal_the_cheapest_of_them",
        TWO_SCENARIOS + "subject(enterprise).",
        {
            "cheapest": [
                "cheapest(goal,p(k2,b))",
                "cheapest(scenario(other),p(k2,b))",
                "cheapest(scenario(sc),p(k1,a))",
            ],
            "no_plan": [],
        },
        plans={("plan_access(std)", "plan_category(k2)", "plan_missing(own,1)")},
        cost=[0, 1, 1, 1],
    ),
    Case(
        "a_goal_scenario_leaves_only_its_own_question",
        TWO_SCENARIOS + "subject(enterprise). goal_scenario(sc).",
        {"cheapest": ["cheapest(goal,p(k1,a))", "cheapest(scenario(sc),p(k1,a))"], "scenario_not_given": []},
        cost=[0, 10, 1, 1],
    ),
    Case(
        "without_a_goal_scenario_the_preamble_rule_is_noted",
        TWO_SCENARIOS + "subject(enterprise). scenario_rule(must_match).",
        {"scenario_not_given": ["scenario_not_given(must_match)"]},
    ),
    Case(
        "an_own_cost_moves_the_goal_to_the_other_scenario",
        TWO_SCENARIOS + "subject(enterprise). cost_override(lic, 0).",
        {"cheapest": ["cheapest(goal,p(k1,a))", "cheapest(scenario(other),p(k2,b))", "cheapest(scenario(sc),p(k1,a))"]},
        cost=[0, 0, 1, 1],
    ),
    Case(
        "a_plan_that_lacks_nothing_beats_one_that_lacks_an_item_of_cost_0",
        TWO_SCENARIOS + "subject(enterprise). holds(own). cost_override(lic, 0).",
        {"cheapest": ["cheapest(goal,p(k2,b))", "cheapest(scenario(other),p(k2,b))", "cheapest(scenario(sc),p(k1,a))"]},
        plans={("plan_access(std)", "plan_category(k2)")},
        cost=[0, 0, 0, 1],
    ),
    Case(
        "a_next_step_unlocks_the_categories_whose_minimal_set_it_is",
        STEPS + "subject(enterprise). goal_scenario(sc).",
        {
            "step": ["step(lic,1)", "step(lic2,1)", "step(own,1)"],
            "unlocks": ["unlocks(lic2,1,k)"],
            # plan p(k,a) lacks lic and own; p(k,b) lacks lic2
            "step_gain": [
                "step_gain(lic,1,p(k,a),lic,1)",
                "step_gain(lic2,1,p(k,b),lic2,1)",
                "step_gain(own,1,p(k,a),own,1)",
            ],
        },
        plans={("plan_access(std)", "plan_category(k)", "plan_missing(lic2,1)")},
    ),
    Case(
        "a_counted_step_says_how_many_more",
        COUNTED_STEP + "subject(enterprise). holds_count(agr, 1).",
        {"step": ["step(agr,1)"], "unlocks": ["unlocks(agr,1,k)"], "step_gain": ["step_gain(agr,1,p(k,a),agr,1)"]},
    ),
    Case(
        "a_counted_step_of_two_when_none_is_held",
        COUNTED_STEP + "subject(enterprise).",
        {"step": ["step(agr,2)"], "unlocks": ["unlocks(agr,2,k)"], "step_gain": ["step_gain(agr,2,p(k,a),agr,2)"]},
    ),
    Case(
        "a_qualified_form_is_a_step_for_its_plain_requirement",
        QUALIFIED + "subject(enterprise).",
        # kp asks for p, kq for its qualified form q: holding q meets both, p only kp
        {"step": ["step(p,1)", "step(q,1)"], "unlocks": ["unlocks(p,1,kp)", "unlocks(q,1,kp)", "unlocks(q,1,kq)"]},
    ),
    Case(
        "the_activity_that_blocks_the_goal_is_named_before_the_goal_filters",
        BLOCKED_GOAL + "subject(enterprise). does(blk). goal_scenario(sc).",
        {
            "no_plan": ["no_plan(goal)", "no_plan(scenario(sc))"],
            "no_plan_reason": [
                "no_plan_reason(goal,activity_blocks(blk,k))",
                "no_plan_reason(scenario(sc),activity_blocks(blk,k))",
            ],
        },
    ),
    Case(
        # k is blocked; the plans go through k2 (and k9 for the goal): each question the blocked
        # category is in names it (blocked_in_question/3), the scenario "other" does not
        "a_blocked_category_is_named_by_the_questions_that_allow_it_and_go_around_it",
        BLOCKED_GOAL + category("k2") + alternative("k2", "b") + "subject(enterprise). does(blk).",
        {
            "status": ["status(k,blocked)", "status(k2,eligible)", "status(k9,eligible)"],
            "no_plan": [],
            "no_plan_reason": [],
            "blocked_in_question": [
                "blocked_in_question(goal,blk,k)",
                "blocked_in_question(scenario(sc),blk,k)",
            ],
        },
    ),
    Case(
        "a_blocked_category_the_goal_leaves_out_is_named_by_no_question",
        BLOCKED_GOAL.replace(category("k"), category("k", access="plug"))
        + category("k2")
        + alternative("k2", "b")
        + "subject(enterprise). does(blk). goal_access(std).",
        {"status": ["status(k,blocked)", "status(k2,eligible)", "status(k9,eligible)"], "blocked_in_question": []},
    ),
    Case(
        "a_subject_that_cannot_stream_is_told_no_blocked_category",
        BLOCKED_GOAL + "subject(personal). does(blk).",
        {"subject_unsupported": ["subject_unsupported(personal)"], "blocked_in_question": []},
    ),
    Case(
        "goal_filters_alone_when_nothing_blocks",
        TWO_SCENARIOS + "subject(enterprise). goal_scenario(sc). goal_access(plug).",
        {
            "no_plan": ["no_plan(goal)", "no_plan(scenario(sc))"],
            "no_plan_reason": ["no_plan_reason(goal,goal_filters)", "no_plan_reason(scenario(sc),goal_filters)"],
        },
    ),
    Case(
        "a_reserved_category_names_the_missing_role",
        GOV_RESERVED + "role_subject_type(gov, enterprise). subject(enterprise).",
        {
            "no_plan_reason": [
                "no_plan_reason(goal,role_missing(gov,k))",
                "no_plan_reason(scenario(sc),role_missing(gov,k))",
            ]
        },
    ),
    Case(
        # a media subject was told to declare car roles the profile check then refuses for its type
        "a_category_reserved_for_roles_the_subject_type_cannot_hold_says_so_not_to_declare_one",
        GOV_RESERVED + "subject(enterprise).",
        {
            "no_plan_reason": [
                "no_plan_reason(goal,role_not_for_type(gov,k,enterprise))",
                "no_plan_reason(scenario(sc),role_not_for_type(gov,k,enterprise))",
            ]
        },
    ),
    Case(
        # a role that fits is the advice; the others (of other types) are not named beside it
        "of_the_roles_a_category_reserves_only_those_the_subject_type_may_hold_are_named",
        GOV_RESERVED
        + alternative("k", "b", "i1", reserved="r")
        + "role_subject_type(r, enterprise). subject(enterprise).",
        {
            "no_plan_reason": [
                "no_plan_reason(goal,role_missing(r,k))",
                "no_plan_reason(scenario(sc),role_missing(r,k))",
            ],
            "reason": ["reason(k,reserved(b,r))", "reason(k,reserved_for_other_type(a,gov,enterprise))"],
        },
    ),
    # item fit (item_subject_type/2): a company holds no public body's certificate
    Case(
        "an_alternative_asking_for_an_item_the_subject_type_cannot_hold_is_not_open_even_if_held",
        ITEM_FIT + "subject(enterprise). holds(c1).",
        {
            "status": ["status(k,not_applicable)"],
            "minimal_missing_set": [],
            "reason": ["reason(k,item_not_for_type(a,c1,enterprise))"],
            "no_plan_reason": [  # the item, not the goal's filters
                "no_plan_reason(goal,item_not_for_type(c1,k,enterprise))",
                "no_plan_reason(scenario(sc),item_not_for_type(c1,k,enterprise))",
            ],
        },
    ),
    Case(
        "a_type_that_can_hold_the_item_is_offered_the_alternative",
        ITEM_FIT + "subject(other_organization).",
        {"status": ["status(k,missing)"], "minimal_missing_set": ["minimal_missing_set(k,a,15)"], "reason": []},
    ),
    Case(
        # the role closes the row first: the reason is the role to declare, not the item as well
        "a_row_reserved_for_a_role_the_subject_lacks_is_named_for_its_role_only",
        ITEM_FIT.replace(alternative("k", "a", "c1", "i1"), alternative("k", "a", "c1", "i1", reserved="r"))
        + "role_subject_type(r, enterprise). subject(enterprise).",
        {
            "reason": ["reason(k,reserved(a,r))"],
            "no_plan_reason": [
                "no_plan_reason(goal,role_missing(r,k))",
                "no_plan_reason(scenario(sc),role_missing(r,k))",
            ],
        },
    ),
    Case(
        # the role held opens the row's roles; the item still closes it, and no role is asked for
        "a_row_of_a_role_the_subject_holds_asking_for_an_item_its_type_cannot_hold_names_the_item_only",
        ITEM_FIT.replace(alternative("k", "a", "c1", "i1"), alternative("k", "a", "c1", "i1", reserved="r"))
        + "role_subject_type(r, enterprise). subject(enterprise). has_role(r).",
        {
            "status": ["status(k,not_applicable)"],
            "reason": ["reason(k,item_not_for_type(a,c1,enterprise))"],
            "no_plan_reason": [
                "no_plan_reason(goal,item_not_for_type(c1,k,enterprise))",
                "no_plan_reason(scenario(sc),item_not_for_type(c1,k,enterprise))",
            ],
        },
    ),
    Case(
        "an_unsupported_subject_is_the_reason",
        GOV_RESERVED + "subject(personal).",
        {
            "no_plan_reason": [
                "no_plan_reason(goal,subject_unsupported(personal))",
                "no_plan_reason(scenario(sc),subject_unsupported(personal))",
            ]
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rules_on_tiny_program(case: Case):
    solved = solve(case.program)
    for predicate, atoms in case.expect.items():
        assert solved.atoms(predicate) == sorted(atoms), predicate
    if case.plans is not None:
        assert solved.plans == case.plans
    if case.cost is not None:
        assert solved.cost == case.cost


def test_every_category_has_exactly_one_status_on_tiny_programs():
    for case in CASES:
        solved = solve(case.program)
        statuses = [re.match(r"status\((\w+),", a).group(1) for a in solved.atoms("status")]
        categories = re.findall(r"category\((\w+), \"", case.program)
        assert sorted(statuses) == sorted(categories), case.name


def _strip_comments(text: str) -> str:
    text = re.sub(r"%\*.*?\*%", "", text, flags=re.S)
    return re.sub(r"%.*", "", text)


def test_logic_names_no_category_item_role_or_activity(catalogue):
    """The rules are generic: no id of the knowledge base appears in logic/ outside comments."""
    ids = set(catalogue.categories) | set(catalogue.items) | set(catalogue.activities) | set(catalogue.roles)
    ids |= {a.id for c in catalogue.categories.values() for a in c.alternatives} - {"none"}
    for path in sorted((ROOT / "logic").rglob("*.lp")):
        words = set(re.findall(r"[a-z_][a-z0-9_]*", _strip_comments(path.read_text(encoding="utf-8"))))
        assert not words & ids, f"{path.name} names {sorted(words & ids)}"
