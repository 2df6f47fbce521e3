"""Encoding unit tests for the corners the mutation score found unguarded.

``python -m tools.mutate`` (docs/testing.md#mutation-score) changed each rule of
``logic/`` in turn; these tiny programs fail when one of the mutants that
survived the other layers is in place. Each case pins what docs/semantics.md
says about a corner today's facts never reach, in the style of
``tests/test_encoding.py`` (whose vocabulary and solver they share): a tiny
knowledge base plus a profile, every atom of the named predicates compared.
The comment above a case names the rule it guards. The cases look only at
predicates whose shape the plan and cost rework leaves alone (statuses,
minimal missing items, reasons, combined access); each knowledge base is
written here, not borrowed from tests/test_encoding.py.
"""

from __future__ import annotations

import pytest

from tests.test_encoding import Case, alternative, category, item, solve

QUALIFIED = (
    category("kp")
    + category("kq")
    + item("p")
    + item("q")
    + 'item_qualified(q, p, "scope").\n'
    + alternative("kp", "a", "p")
    + alternative("kq", "b", "q")
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
COMPANION = (
    category("ke", access="plug")
    + category("ks", access="std")
    + item("e1", "self_prepared")
    + item("s1")
    + alternative("ke", "a", "e1")
    + alternative("ks", "b", "s1")
    + "companion_access(ke, ks, std).\n"
)
ACTIVITIES = (
    category("k")
    + alternative("k", "a")
    + 'activity(blk, k, "blocked note"). activity_effect(blk, blocks).\n'
    + 'activity(exc, k, "excluding note"). activity_effect(exc, excludes).\n'
)
RESERVED_ONLY = category("k") + item("i1") + alternative("k", "a", "i1", reserved="r")
MET_AND_PARTLY_MET = (
    category("k") + item("i1") + item("i2") + alternative("k", "a1", "i1") + alternative("k", "a2", "i1", "i2")
)
REQUIRED_FREE = (
    category("k1")
    + category("k2")
    + item("i1")
    + alternative("k1", "a", "i1")
    + alternative("k2", "b")
    + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\n'
)
EXTERNAL = (
    category("k")
    + alternative("k", "a")
    + 'external_category(x, "X"). activity(ext, k, "note"). activity_effect(ext, requires_external(x)).\n'
)
COUNTED_TWICE = (
    category("k")
    + item("c", "partner")
    + item("i", "self_prepared")
    + alternative("k", "a1", "c")
    + "requires_count(k, a1, c, 2).\n"
    + alternative("k", "a2", "c", "i")
    + "requires_count(k, a2, c, 2).\n"
)

CASES = [
    # eligibility.lp combined_access/3: both categories must be eligible, the target too
    Case(
        "companion_eligible_alone_grants_no_combined_access",
        COMPANION + "subject(enterprise). holds(s1).",
        {"status": ["status(ke,missing)", "status(ks,eligible)"], "combined_access": []},
    ),
    # explain.lp excluded_by_activity and reserved: a personal subject gets only unsupported_subject
    Case(
        "personal_subject_gets_no_excluded_reason",
        ACTIVITIES + "subject(personal). does(exc).",
        {"status": ["status(k,not_applicable)"], "reason": ["reason(k,unsupported_subject(personal))"]},
    ),
    Case(
        "personal_subject_gets_no_reserved_reason",
        RESERVED_ONLY + "subject(personal).",
        {"status": ["status(k,not_applicable)"], "reason": ["reason(k,unsupported_subject(personal))"]},
    ),
    # explain.lp met_option/2: only a fully met option gives met reasons
    Case(
        "only_the_fully_met_option_gives_met_reasons",
        MET_AND_PARTLY_MET + "subject(enterprise). holds(i1).",
        {"status": ["status(k,eligible)"], "reason": ["reason(k,met(k,a1,i1,i1))"]},
    ),
    # explain.lp met/4 through option_choice/4: a required category's items are met reasons too
    Case(
        "met_reasons_name_the_items_of_the_required_category",
        REQUIRED + "subject(enterprise). does(act). holds(i1). holds(i3).",
        {
            "status": ["status(k1,eligible)", "status(k2,eligible)"],
            "reason": [
                "reason(k1,met(k1,a,i1,i1))",
                "reason(k1,met(k2,b2,i3,i3))",
                "reason(k1,requires_category(k2,act))",
                "reason(k2,met(k2,b2,i3,i3))",
            ],
        },
    ),
    # explain.lp nothing_required/2: a "-" alternative, alone or as the required category's
    Case(
        "a_dash_alternative_is_met_with_nothing_required",
        category("k") + alternative("k", "a") + "subject(enterprise).",
        {"status": ["status(k,eligible)"], "reason": ["reason(k,nothing_required(k,a))"]},
    ),
    Case(
        "a_required_dash_alternative_is_met_with_nothing_required",
        REQUIRED_FREE + "subject(enterprise). does(act). holds(i1).",
        {
            "status": ["status(k1,eligible)", "status(k2,eligible)"],
            "reason": [
                "reason(k1,met(k1,a,i1,i1))",
                "reason(k1,nothing_required(k2,b))",
                "reason(k1,requires_category(k2,act))",
                "reason(k2,nothing_required(k2,b))",
            ],
        },
    ),
    # explain.lp plain_only/3 needs a usable category: a personal subject gets only unsupported_subject
    Case(
        "personal_subject_holding_a_plain_form_gets_no_plain_only_reason",
        QUALIFIED + "subject(personal). holds(p).",
        {
            "status": ["status(kp,not_applicable)", "status(kq,not_applicable)"],
            "reason": ["reason(kp,unsupported_subject(personal))", "reason(kq,unsupported_subject(personal))"],
        },
    ),
    # explain.lp plain_only/3 needs an open alternative: a reserved row says only that it is reserved
    Case(
        "plain_form_for_a_reserved_alternative_gives_no_plain_only_reason",
        category("k")
        + item("p")
        + item("q")
        + item("i2")
        + 'item_qualified(q, p, "scope").\n'
        + alternative("k", "a1", "q", reserved="r")
        + alternative("k", "a2", "i2")
        + "role_subject_type(r, enterprise). subject(enterprise). holds(p).",
        {"status": ["status(k,missing)"], "reason": ["reason(k,reserved(a1,r))"]},
    ),
    # requirements.lp held_count/2 and explain.lp plain_only/3: a count of 0 replaces the document
    # and means "not held" (docs/semantics.md#counts), so no plain_only reason either
    Case(
        "a_count_of_zero_means_not_held_even_when_listed",
        QUALIFIED + "subject(enterprise). holds(p). holds_count(p, 0).",
        {
            "status": ["status(kp,missing)", "status(kq,missing)"],
            "minimal_missing_item": ["minimal_missing_item(kp,a,p,1)", "minimal_missing_item(kq,b,q,1)"],
            "reason": [],
        },
    ),
    # requirements.lp met_by/4: the held item named is one held, not a plain form counted 0
    Case(
        "a_qualified_form_meets_the_plain_requirement_whose_count_is_zero",
        QUALIFIED + "subject(enterprise). holds(q). holds_count(p, 0).",
        {
            "status": ["status(kp,eligible)", "status(kq,eligible)"],
            "reason": ["reason(kp,met(kp,a,p,q))", "reason(kq,met(kq,b,q,q))"],
        },
    ),
    # explain.lp requires_category/2 and required_category_unusable/1: not for a personal subject
    Case(
        "personal_subject_gets_no_requires_category_reason",
        REQUIRED + "subject(personal). does(act).",
        {
            "status": ["status(k1,not_applicable)", "status(k2,not_applicable)"],
            "reason": ["reason(k1,unsupported_subject(personal))", "reason(k2,unsupported_subject(personal))"],
        },
    ),
    # requirements.lp option/2 needs a usable required category; explain.lp says why (open point 8)
    Case(
        "a_blocked_required_category_leaves_the_category_missing_with_no_set",
        REQUIRED
        + 'activity(blk2, k2, "n"). activity_effect(blk2, blocks).\n'
        + "subject(enterprise). does(act). does(blk2). holds(i1).",
        {
            "status": ["status(k1,missing)", "status(k2,blocked)"],
            "minimal_missing_item": ["minimal_missing_item(k2,b1,i2,1)", "minimal_missing_item(k2,b2,i3,1)"],
            "reason": [
                "reason(k1,required_category_unusable(k2))",
                "reason(k1,requires_category(k2,act))",
                "reason(k2,blocked_by_activity(blk2))",
            ],
        },
    ),
    # explain.lp external/2: given for a category that is not not_applicable
    Case(
        "an_external_requirement_gives_an_external_reason",
        EXTERNAL + "subject(enterprise). does(ext).",
        {
            "status": ["status(k,eligible)"],
            "external_requirement": ["external_requirement(k,x,ext)"],
            "reason": ["reason(k,external(x,ext))", "reason(k,nothing_required(k,a))"],
        },
    ),
    Case(
        "personal_subject_gets_no_external_reason",
        EXTERNAL + "subject(personal). does(ext).",
        {"status": ["status(k,not_applicable)"], "reason": ["reason(k,unsupported_subject(personal))"]},
    ),
    # missing.lp option_lacks_at_least/4: a shortfall of 2 lies within a shortfall of 2 plus an item
    Case(
        "an_equal_counted_shortfall_plus_an_item_is_not_minimal",
        COUNTED_TWICE + "subject(enterprise).",
        {"status": ["status(k,missing)"], "minimal_missing_item": ["minimal_missing_item(k,a1,c,2)"]},
    ),
    # explain.lp no_plan_reason/2: an activity that excludes the only category of the goal is named
    # as the cause (docs/semantics.md#no-plan), as one that blocks it is
    Case(
        "an_excluding_activity_is_the_reason_for_no_plan",
        ACTIVITIES + "subject(enterprise). does(exc).",
        {
            "status": ["status(k,not_applicable)"],
            "no_plan": ["no_plan(goal)", "no_plan(scenario(sc))"],
            "no_plan_reason": [
                "no_plan_reason(goal,activity_blocks(exc,k))",
                "no_plan_reason(scenario(sc),activity_blocks(exc,k))",
            ],
        },
    ),
    # plan.lp option_size/3 and settled/2: a plan that lacks nothing with one category beats one
    # with two (the required category's); both lack nothing (docs/semantics.md#optimisation)
    Case(
        "a_free_plan_of_one_category_beats_a_free_plan_of_two",
        REQUIRED + category("k3") + alternative("k3", "c") + "subject(enterprise). does(act). holds(i1). holds(i3).",
        {
            "status": ["status(k1,eligible)", "status(k2,eligible)", "status(k3,eligible)"],
            "cheapest": [
                "cheapest(goal,p(k2,b2))",
                "cheapest(goal,p(k3,c))",
                "cheapest(scenario(sc),p(k2,b2))",
                "cheapest(scenario(sc),p(k3,c))",
            ],
        },
    ),
    # plan.lp, the scenarios' weak constraints: each scenario's cost is its own (an item two
    # scenarios' plans lack counts in each), so a scenario never takes a dearer plan because another
    # scenario's plan lacks the same item (docs/semantics.md#optimisation: they do not interact)
    Case(
        "each_scenario_pays_for_an_item_another_scenario_lacks_too",
        category("ka")
        + category("kb")
        + category("kc", scenario="other")
        + category("kt", scenario="third")
        + 'scenario(third, "t").\n'
        + item("x")
        + item("y", "registration")
        + alternative("ka", "a", "x")
        + alternative("kb", "b", "y")
        + alternative("kc", "c", "x")
        + alternative("kt", "t")
        + "subject(enterprise).",
        {
            "cheapest": [
                "cheapest(goal,p(kt,t))",
                "cheapest(scenario(other),p(kc,c))",
                "cheapest(scenario(sc),p(kb,b))",
                "cheapest(scenario(third),p(kt,t))",
            ],
        },
    ),
    # plan.lp settled/2 of the goal: of the scenarios' free plans, only those of fewest categories
    # (here one scenario's fewest has two categories, another's one)
    Case(
        "the_goal_keeps_the_free_plans_of_fewest_categories_over_all_scenarios",
        category("k1", scenario="other")
        + category("k2")
        + alternative("k1", "a")
        + alternative("k2", "b")
        + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\n'
        + "subject(enterprise). does(act).",
        {
            "cheapest": [
                "cheapest(goal,p(k2,b))",
                "cheapest(scenario(other),p(k1,(a,b)))",
                "cheapest(scenario(sc),p(k2,b))",
            ],
        },
    ),
    # plan.lp, the scenarios' last level: between plans of equal cost and missing items, a scenario's
    # cheapest is the one of fewer categories (here in a scenario the goal's free plans leave open)
    Case(
        "a_scenario_breaks_a_tie_by_fewer_categories",
        category("kx")
        + category("k1")
        + category("k2", scenario="other")
        + category("kz", scenario="other")
        + item("x")
        + alternative("kx", "a", "x")
        + alternative("k1", "a", "x")
        + alternative("k2", "b")
        + alternative("kz", "c")
        + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\n'
        + "subject(enterprise). does(act).",
        {
            "cheapest": [
                "cheapest(goal,p(k2,b))",
                "cheapest(goal,p(kz,c))",
                "cheapest(scenario(other),p(k2,b))",
                "cheapest(scenario(other),p(kz,c))",
                "cheapest(scenario(sc),p(kx,a))",
            ],
        },
    ),
    # plan.lp id_missing/3: a plan with a companion lacks an item both lack once, by the larger
    # shortfall (docs/semantics.md#plans)
    Case(
        "a_companion_plan_lacks_a_shared_counted_item_by_the_larger_shortfall",
        category("ke", access="plug")
        + category("ks", access="std")
        + item("c", "partner")
        + alternative("ke", "a", "c")
        + "requires_count(ke, a, c, 2).\n"
        + alternative("ks", "b", "c")
        + "requires_count(ks, b, c, 3).\n"
        + "companion_access(ke, ks, std).\n"
        + "subject(enterprise). goal_access(std). goal_category(ke).",
        {"status": ["status(ke,missing)", "status(ks,missing)"]},
        plans={
            (
                "plan_access(std)",
                "plan_category(ke)",
                "plan_category(ks)",
                "plan_companion(ke,ks)",
                "plan_missing(c,3)",
            )
        },
        cost=[0, 9, 3, 2],
    ),
    # requirements.lp option_missing/4: a combined option lacks an item both its alternatives lack
    # once, by the larger shortfall (docs/semantics.md#combined-sets)
    Case(
        "a_combined_set_lacks_a_shared_counted_item_by_the_larger_shortfall",
        category("k1")
        + category("k2")
        + item("c", "partner")
        + alternative("k1", "a", "c")
        + "requires_count(k1, a, c, 2).\n"
        + alternative("k2", "b", "c")
        + "requires_count(k2, b, c, 3).\n"
        + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\n'
        + "subject(enterprise). does(act).",
        {
            "minimal_missing_item": [
                "minimal_missing_item(k1,(a,b),c,3)",
                "minimal_missing_item(k2,b,c,3)",
            ],
        },
    ),
    # explain.lp no_plan_reason/2: an activity is named only for a category of the question's scope
    Case(
        "only_a_blocked_category_in_scope_is_a_reason_for_no_plan",
        category("ka")
        + category("kb")
        + alternative("ka", "a")
        + alternative("kb", "b")
        + 'activity(blk_a, ka, "note"). activity_effect(blk_a, blocks).\n'
        + 'activity(blk_b, kb, "note"). activity_effect(blk_b, blocks).\n'
        + "subject(enterprise). does(blk_a). does(blk_b). goal_category(ka).",
        {
            "no_plan_reason": [
                "no_plan_reason(goal,activity_blocks(blk_a,ka))",
                "no_plan_reason(scenario(sc),activity_blocks(blk_a,ka))",
            ],
        },
    ),
    # plan.lp access_allowed/1: a category that needs a companion for the goal's access is no
    # candidate while its companion is unusable, so the goal's filter is named beside the activity
    # that blocks the other candidate (docs/semantics.md#no-plan)
    Case(
        "a_category_whose_companion_is_blocked_is_left_out_by_the_goals_access",
        category("kc", access="plug")
        + category("kp")
        + category("kx")
        + alternative("kc", "a")
        + alternative("kp", "b")
        + alternative("kx", "c")
        + "companion_access(kc, kp, std).\n"
        + 'activity(blk_p, kp, "note"). activity_effect(blk_p, blocks).\n'
        + 'activity(blk_x, kx, "note"). activity_effect(blk_x, blocks).\n'
        + "subject(enterprise). does(blk_p). does(blk_x). goal_category(kc). goal_category(kx). goal_access(std).",
        {
            "no_plan_reason": [
                "no_plan_reason(goal,activity_blocks(blk_x,kx))",
                "no_plan_reason(goal,goal_filters)",
                "no_plan_reason(scenario(sc),activity_blocks(blk_x,kx))",
                "no_plan_reason(scenario(sc),goal_filters)",
            ],
        },
    ),
    # plan.lp, the scenarios' levels: at equal cost, fewer missing items before fewer categories
    # (docs/semantics.md#optimisation), in a scenario the goal's free plans leave open
    Case(
        "a_scenario_prefers_fewer_missing_items_to_fewer_categories",
        category("ka")
        + category("k1")
        + category("k2", scenario="other")
        + category("kt", scenario="third")
        + 'scenario(third, "t").\n'
        + item("x", "self_prepared")
        + item("y", "self_prepared")
        + item("z")
        + "cost_override(z, 2).\n"
        + alternative("ka", "a", "x", "y")
        + alternative("k1", "a", "z")
        + alternative("k2", "b")
        + alternative("kt", "t")
        + 'activity(act, k1, "note"). activity_effect(act, requires_category(k2)).\n'
        + "subject(enterprise). does(act).",
        {
            "cheapest": [
                "cheapest(goal,p(k2,b))",
                "cheapest(goal,p(kt,t))",
                "cheapest(scenario(other),p(k2,b))",
                "cheapest(scenario(sc),p(k1,(a,b)))",
                "cheapest(scenario(third),p(kt,t))",
            ],
        },
    ),
    # missing.lp missing_set_alternative/4: only for a minimal combined set
    Case(
        "only_a_minimal_combined_set_names_its_alternatives",
        REQUIRED + "subject(enterprise). does(act). holds(i1). holds(i3).",
        {
            "status": ["status(k1,eligible)", "status(k2,eligible)"],
            "missing_set_alternative": [
                "missing_set_alternative(k1,(a,b2),k1,a)",
                "missing_set_alternative(k1,(a,b2),k2,b2)",
            ],
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
