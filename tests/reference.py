"""A reference evaluator of docs/semantics.md, written from the document's text.

Plain Python and brute force: it shares nothing with the engine but the facts
of ``facts/``, which it reads by grounding those files alone with clingo and
collecting the atoms. It never reads ``logic/`` and never imports the engine's
modules. Everything the engine decides by rules is decided here again by
enumeration, so the two can be compared on any profile.

What it computes (docs/semantics.md#statuses to #cheapest, ties as #ties decides):

* the status of every category — precedence: personal subject, an activity
  that excludes the category, no alternative open to the subject, a blocking
  activity, then eligible / missing;
* the access method each category grants alone;
* the subset-minimal missing sets (multiset inclusion for counted items) over
  the applicable options, a category that another requires joining its sets;
* every plan (goal-allowed usable target × one applicable alternative per
  category × required categories × companion where the goal access needs one),
  the cheapest cost and the set of optimal plans by (cost, missing units,
  categories) — for the goal and, as ``cheapest_by_scenario``, for every
  scenario the goal allows (docs/semantics.md#cheapest);
* the next steps (:func:`next_steps`): every document (and count) that some
  minimal set of a usable category lacks, and, by evaluating the profile again
  with that much more of it, the categories it makes eligible and the cheapest
  cost of the goal and of each scenario afterwards.

Corners the facts of today never reach are read as ``logic/`` reads them
(docs/testing.md#reference-corners): the synthetic knowledge bases of
tests/test_synthetic_kb.py reach the last two; lint keeps every ruleset
livegate serves out of the first (no counted item has a qualified form) and
out of chains of required categories:

* a plain item and its qualified forms are counted each on its own: holding
  one plain and one qualified copy is holding one, not two, of the plain item;
* a category that an activity makes require another is met only through that
  category's own alternatives (one step: what the required category itself
  requires is not followed), and has no options while the required category
  is not usable;
* a required category that is missing does not keep the requiring one from
  being eligible: one of its alternatives must be held, nothing more.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import clingo

FACTS_DIR = Path(__file__).resolve().parent.parent / "facts"

ELIGIBLE, MISSING, NOT_APPLICABLE, BLOCKED = "eligible", "missing", "not_applicable", "blocked"


# ---------------------------------------------------------------------------
# The knowledge base, read from facts/ alone
# ---------------------------------------------------------------------------


def _value(sym: clingo.Symbol) -> Any:
    if sym.type == clingo.SymbolType.Number:
        return sym.number
    if sym.type == clingo.SymbolType.String:
        return sym.string
    if sym.arguments:
        return (sym.name, *(_value(a) for a in sym.arguments))
    return sym.name


def read_facts(facts_dir: Path = FACTS_DIR) -> dict[str, list[tuple]]:
    """Ground the fact files alone and return {predicate: [argument tuples]}."""
    ctl = clingo.Control(["--warn=none"], logger=lambda code, message: None)
    for path in sorted(facts_dir.glob("*.lp")):
        ctl.load(str(path))
    ctl.ground([("base", [])])
    out: dict[str, list[tuple]] = defaultdict(list)
    for atom in ctl.symbolic_atoms:
        sym = atom.symbol
        out[sym.name].append(tuple(_value(a) for a in sym.arguments))
    for rows in out.values():
        rows.sort(key=repr)
    return dict(out)


@dataclass
class KB:
    subject_types: list[str]
    roles: list[str]
    scenarios: list[str]
    access_methods: list[str]
    items: list[str]
    activities: list[str]
    categories: list[str]
    access: dict[str, str]  # category -> access alone
    scenario: dict[str, str]  # category -> scenario
    companions: dict[str, list[tuple[str, str]]]  # category -> [(companion, access)]
    alternatives: dict[str, list[str]]  # category -> alternatives
    requirement: dict[tuple[str, str], dict[str, int]]  # (cat, alt) -> {item: n}
    counted: dict[tuple[str, str], frozenset[str]]  # (cat, alt) -> counted items
    reserved: dict[tuple[str, str], frozenset[str]]  # (cat, alt) -> roles
    default_cost: dict[str, int]  # item -> issuer-class cost
    qualified_forms: dict[str, list[str]]  # plain item -> qualified items
    implied_roles: dict[str, frozenset[str]]  # subject type -> roles
    activity_category: dict[str, str]
    activity_effects: dict[str, list[tuple]]  # activity -> [effect tuple]
    unsupported: frozenset[str]
    direct: dict[str, frozenset[str]]  # subject type -> access methods
    plain_of: dict[str, str] = field(default_factory=dict)  # qualified item -> plain item
    role_subject_types: dict[str, frozenset[str]] = field(default_factory=dict)  # role -> subject types allowed
    exclusive_roles: frozenset[tuple[str, str]] = frozenset()  # pairs of roles no subject declares both of
    item_subject_types: dict[str, frozenset[str]] = field(default_factory=dict)  # item -> the only types holding it
    aliases: dict[str, str] = field(default_factory=dict)  # old item id -> item id
    notes: dict[str, list[str]] = field(default_factory=dict)  # category -> its notes
    lead_time: dict[str, int] = field(default_factory=dict)  # note -> days
    remedies: frozenset[str] = frozenset()  # activities the source gives a remedy for


def load_kb(facts_dir: Path = FACTS_DIR) -> KB:
    f: dict[str, list[tuple]] = defaultdict(list, read_facts(facts_dir))  # a small knowledge base lacks some
    categories = sorted(c for c, _ in f["category"])
    alternatives: dict[str, list[str]] = defaultdict(list)
    for c, a, _label in f["alternative"]:
        alternatives[c].append(a)
    requirement: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for c, a, i in f["requires_item"]:
        requirement[(c, a)].setdefault(i, 1)
    counted: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: dict[tuple[str, str, str], int] = {}
    for c, a, i, n in f.get("requires_count", []):
        counts[(c, a, i)] = max(n, counts.get((c, a, i), 0))
    for (c, a, i), n in counts.items():
        requirement[(c, a)][i] = n  # "N or more" replaces the single copy
        counted[(c, a)].add(i)
    reserved: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c, a, r in f.get("reserved_for", []):
        reserved[(c, a)].add(r)
    class_cost = dict(f["issuer_class"])
    qualified_forms: dict[str, list[str]] = defaultdict(list)
    plain_of: dict[str, str] = {}
    for q, p, _text in f.get("item_qualified", []):
        qualified_forms[p].append(q)
        plain_of[q] = p
    implied: dict[str, set[str]] = defaultdict(set)
    for r, t in f.get("role_implied_by_subject", []):
        implied[t].add(r)
    effects: dict[str, list[tuple]] = defaultdict(list)
    for a, e in f.get("activity_effect", []):
        effects[a].append(e if isinstance(e, tuple) else (e,))
    direct: dict[str, set[str]] = defaultdict(set)
    for t, acc, _line in f.get("direct_route", []):
        direct[t].add(acc)
    companions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for c, comp, acc in f.get("companion_access", []):
        companions[c].append((comp, acc))
    role_types: dict[str, set[str]] = defaultdict(set)
    for r, t in f.get("role_subject_type", []):
        role_types[r].add(t)
    item_types: dict[str, set[str]] = defaultdict(set)
    for i, t in f.get("item_subject_type", []):
        item_types[i].add(t)
    return KB(
        subject_types=sorted(t for t, _ in f["subject_type"]),
        roles=sorted(r for r, _ in f["role"]),
        scenarios=sorted(s for s, _ in f["scenario"]),
        access_methods=sorted(a for a, *_ in f["access_method"]),
        items=sorted(i for i, *_ in f["item"]),
        activities=sorted(a for a, *_ in f["activity"]),
        categories=categories,
        access=dict(f["category_access"]),
        scenario=dict(f["category_scenario"]),
        companions=dict(companions),
        alternatives={c: sorted(alternatives[c]) for c in categories},
        requirement={k: dict(v) for k, v in requirement.items()},
        counted={k: frozenset(v) for k, v in counted.items()},
        reserved={k: frozenset(v) for k, v in reserved.items()},
        default_cost={i: class_cost[k] for i, _name, k in f["item"]},
        qualified_forms=dict(qualified_forms),
        implied_roles={t: frozenset(v) for t, v in implied.items()},
        activity_category={a: c for a, c, _text in f["activity"]},
        activity_effects=dict(effects),
        unsupported=frozenset(t for t, _line in f.get("unsupported_subject_type", [])),
        direct={t: frozenset(v) for t, v in direct.items()},
        plain_of=plain_of,
        role_subject_types={r: frozenset(role_types.get(r, ())) for r, _ in f["role"]},
        exclusive_roles=frozenset((a, b) for a, b in f.get("roles_exclusive", [])),
        item_subject_types={i: frozenset(t) for i, t in item_types.items()},
        aliases=dict(f.get("item_alias", [])),
        notes={c: sorted(n for c2, n, _text in f["category_note"] if c2 == c) for c in categories},
        lead_time=dict(f["note_lead_time"]),
        remedies=frozenset(a for a, _text in f["activity_remedy"]),
    )


@lru_cache(maxsize=1)
def kb() -> KB:
    return load_kb()


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingSet:
    alternatives: tuple[tuple[str, str], ...]  # sorted (category, alternative)
    missing: frozenset  # {(item, units)}
    counted: frozenset  # items reported with a shortfall
    cost: int

    @property
    def units(self) -> int:
        return sum(n for _, n in self.missing)

    def shortfalls(self) -> dict[str, int]:
        return {i: n for i, n in self.missing if i in self.counted}


@dataclass
class CategoryResult:
    id: str
    status: str
    access: str
    missing_sets: list[MissingSet]
    requires_categories: list[str]
    external_requirements: list[str]
    combined_access: frozenset = frozenset()  # {(companion, access)} when both are eligible
    warnings: frozenset = frozenset()  # {("note", note) or ("remedy", activity)}


@dataclass(frozen=True)
class Plan:
    direct: bool
    categories: frozenset
    alternatives: tuple[tuple[str, str], ...]
    missing: frozenset  # {(item, units)}
    counted: frozenset
    access: str
    cost: int
    target: str | None = None  # None for the direct route
    companion: str | None = None  # the target's companion for the goal's access

    @property
    def units(self) -> int:
        return sum(n for _, n in self.missing)

    @property
    def key(self) -> tuple:
        """Plans are told apart by (categories, missing items) — docs/semantics.md#ties."""
        return (self.categories, self.missing)

    @property
    def rank(self) -> tuple[int, int, int]:
        return (self.cost, self.units, len(self.categories))


@dataclass
class Question:
    """The cheapest plans of one question (the goal, or one scenario)."""

    cost: int | None
    optimal: dict[tuple, dict]  # plan key -> {"alternatives": {cat: set}, "plans": [Plan]}


@dataclass
class Result:
    subject_supported: bool
    direct_standard_live: bool
    categories: dict[str, CategoryResult]
    plans: list[Plan]  # every plan, optimal or not
    cheapest_cost: int | None
    optimal: dict[tuple, dict]  # plan key -> {"alternatives": {cat: set}, "plans": [Plan]}
    by_scenario: dict[str, Question] = field(default_factory=dict)  # every scenario the goal allows

    @property
    def eligible(self) -> list[str]:
        return sorted(c for c, r in self.categories.items() if r.status == ELIGIBLE)


def cheapest_of(plans: Iterable[Plan]) -> Question:
    """The least (cost, missing units, categories) among ``plans``, and every plan that has it,
    grouped by (categories, missing items) — docs/semantics.md#optimisation and #ties."""
    plans = list(plans)
    if not plans:
        return Question(None, {})
    best = min(p.rank for p in plans)
    optimal: dict[tuple, dict] = {}
    for p in plans:
        if p.rank != best:
            continue
        entry = optimal.setdefault(p.key, {"alternatives": defaultdict(set), "plans": []})
        entry["plans"].append(p)
        for c, a in p.alternatives:
            entry["alternatives"][c].add(a)
    return Question(best[0], optimal)


# ---------------------------------------------------------------------------
# The evaluation
# ---------------------------------------------------------------------------


def holdings(profile: Mapping[str, Any]) -> dict[str, int]:
    """Documents count one each; ``counts`` replaces a document's entry (0 = not held)."""
    held = dict.fromkeys(profile.get("documents", []), 1)
    held.update(profile.get("counts", {}))
    return {i: n for i, n in held.items() if n > 0}


class _Evaluator:
    def __init__(self, k: KB, profile: Mapping[str, Any]):
        self.k = k
        self.p = profile
        subject = profile["subject"]
        self.type = subject["type"]
        self.roles = set(subject.get("roles", [])) | set(k.implied_roles.get(self.type, ()))
        # a count is a number held only for a counted item (one some requirement asks a number of);
        # of any other item, a qualified form of a counted one too, it means "held" (semantics#counts)
        self.counted = {i for s in k.counted.values() for i in s}
        self.held = {i: n if i in self.counted else 1 for i, n in holdings(profile).items()}
        self.activities = set(profile.get("activities", []))
        costs = profile.get("costs", {})
        self.cost = {i: costs.get(i, c) for i, c in k.default_cost.items()}
        goal = profile.get("goal", {}) or {}
        self.goal_scenario = goal.get("scenario")
        self.goal_categories = set(goal.get("categories", []) or [])
        self.goal_access = goal.get("access")
        self.effects: dict[str, list[tuple]] = defaultdict(list)
        for a in sorted(self.activities):
            self.effects[k.activity_category[a]].extend(k.activity_effects.get(a, []))
        self._missing: dict[tuple, tuple[frozenset, frozenset, int]] = {}

    # -- requirements -------------------------------------------------------
    def have(self, item: str) -> int:
        """How many of ``item`` the profile meets: its own count, or a qualified form's, whichever
        is larger — each form is counted on its own, never added to another (requirements.lp
        holds_at_least/2; docs/testing.md#reference-corners)."""
        return max([self.held.get(item, 0), *(self.held.get(q, 0) for q in self.k.qualified_forms.get(item, []))])

    def applicable(self, cat: str) -> list[str]:
        """The alternatives reserved for no role or one the subject has, that ask for no item only
        other subject types can hold (a public body's certificate is no path for a company)."""
        out = []
        for alt in self.k.alternatives[cat]:
            roles = self.k.reserved.get((cat, alt))
            types = [self.k.item_subject_types.get(i) for i in self.k.requirement.get((cat, alt), {})]
            if (not roles or roles & self.roles) and all(not t or self.type in t for t in types):
                out.append(alt)
        return out

    def requires(self, cat: str) -> list[str]:
        return sorted({e[1] for e in self.effects[cat] if e[0] == "requires_category"})

    def externals(self, cat: str) -> list[str]:
        return sorted({e[1] for e in self.effects[cat] if e[0] == "requires_external"})

    def usable(self, cat: str) -> bool:
        """Neither not applicable nor blocked (docs/semantics.md#statuses): holdings play no part."""
        effects = {e[0] for e in self.effects[cat]}
        return (
            self.type not in self.k.unsupported
            and "excludes" not in effects
            and "blocks" not in effects
            and bool(self.applicable(cat))
        )

    def closure(self, cat: str) -> list[str] | None:
        """The category and the categories it requires — one step, not what those require in turn
        — or None when a required category is not usable (then the category has no option)."""
        required = [r for r in self.requires(cat) if r != cat]
        if not all(self.usable(r) for r in required):
            return None
        return sorted({cat, *required})

    def missing_of(self, option: tuple[tuple[str, str], ...]) -> tuple[frozenset, frozenset, int]:
        """Items an option (one alternative per category) still lacks; shared items once. Worked out
        once per option: statuses, missing sets and plans ask about the same options."""
        known = self._missing.get(option)
        if known is None:
            known = self._missing[option] = self._lacks(option)
        return known

    def _lacks(self, option: tuple[tuple[str, str], ...]) -> tuple[frozenset, frozenset, int]:
        need: dict[str, int] = {}
        for cat, alt in option:
            for item, n in self.k.requirement.get((cat, alt), {}).items():
                need[item] = max(need.get(item, 0), n)
        # a counted item (one that some requirement asks for a number of) is reported with its
        # shortfall wherever it is missing, also where this option asks for one
        missing = {}
        for item, n in need.items():
            short = n - self.have(item)
            if short > 0:
                missing[item] = short
        cost = sum(self.cost[i] * n for i, n in missing.items())
        return frozenset(missing.items()), frozenset(self.counted & missing.keys()), cost

    def options(self, cats: Iterable[str]) -> list[tuple[tuple[str, str], ...]]:
        cats = sorted(set(cats))
        choices = [[(c, a) for a in self.applicable(c)] for c in cats]
        return [tuple(o) for o in itertools.product(*choices)]

    # -- statuses -----------------------------------------------------------
    def own_status(self, cat: str, memo: dict[str, str]) -> str:
        if cat in memo:
            return memo[cat]
        effects = {e[0] for e in self.effects[cat]}
        if self.type in self.k.unsupported or "excludes" in effects or not self.applicable(cat):
            status = NOT_APPLICABLE
        elif "blocks" in effects:
            status = BLOCKED
        else:
            members = self.closure(cat)
            met = members is not None and any(not self.missing_of(o)[0] for o in self.options(members))
            status = ELIGIBLE if met else MISSING
        memo[cat] = status
        return status

    def minimal_sets(self, cat: str) -> list[MissingSet]:
        sets = []
        members = self.closure(cat)
        for option in self.options(members) if members is not None else []:
            missing, counted, cost = self.missing_of(option)
            sets.append(MissingSet(option, missing, counted, cost))

        def leq(a: frozenset, b: frozenset) -> bool:
            bd = dict(b)
            return all(bd.get(i, 0) >= n for i, n in a)

        return [s for s in sets if not any(leq(o.missing, s.missing) and o.missing != s.missing for o in sets)]

    # -- the whole answer ---------------------------------------------------
    def run(self) -> Result:
        k = self.k
        memo: dict[str, str] = {}
        cats: dict[str, CategoryResult] = {}
        for c in k.categories:
            status = self.own_status(c, memo)
            sets = [] if status == NOT_APPLICABLE else self.minimal_sets(c)
            externals = [] if status == NOT_APPLICABLE else self.externals(c)  # docs/semantics.md#external
            requires = [] if status == NOT_APPLICABLE else self.requires(c)  # docs/semantics.md#combined-sets
            cats[c] = CategoryResult(c, status, k.access[c], sets, requires, externals)
        for c, r in cats.items():  # docs/semantics.md#companions, #warnings
            r.combined_access = frozenset(
                (p, a) for p, a in k.companions.get(c, []) if r.status == ELIGIBLE and cats[p].status == ELIGIBLE
            )
            remedies = {
                ("remedy", a)
                for a in self.activities
                if k.activity_category[a] == c and a in k.remedies and r.status != NOT_APPLICABLE  # #remedies
            }
            r.warnings = frozenset({("note", n) for n in k.notes.get(c, [])} | remedies)

        supported = self.type not in k.unsupported
        direct_access = k.direct.get(self.type, frozenset()) if supported else frozenset()
        plans: list[Plan] = []
        if supported:
            for acc in sorted(direct_access):
                if self.goal_access is None or self.goal_access == acc:
                    plans.append(Plan(True, frozenset(), (), frozenset(), frozenset(), acc, 0))
            usable = {c for c, r in cats.items() if r.status in (ELIGIBLE, MISSING)}
            for target in k.categories:
                if target not in usable:
                    continue
                if self.goal_scenario is not None and k.scenario[target] != self.goal_scenario:
                    continue
                if self.goal_categories and target not in self.goal_categories:
                    continue
                if self.goal_access is None or k.access[target] == self.goal_access:
                    variants = [(None, k.access[target])]
                else:
                    variants = [(comp, acc) for comp, acc in k.companions.get(target, []) if acc == self.goal_access]
                for comp, acc in variants:
                    own = self.closure(target)
                    other = self.closure(comp) if comp is not None else []
                    if own is None or other is None:
                        continue
                    members = set(own) | set(other)
                    if not members <= usable:
                        continue
                    for option in self.options(members):
                        missing, counted, cost = self.missing_of(option)
                        plans.append(Plan(False, frozenset(members), option, missing, counted, acc, cost, target, comp))
        goal = cheapest_of(plans)
        # the scenarios the goal allows: those of the categories its scenario and candidates let in,
        # whether usable or not (the access filter does not narrow them); the direct route is no
        # category, so it answers none of them (docs/semantics.md#plans)
        allowed = {
            k.scenario[c]
            for c in k.categories
            if (self.goal_scenario is None or k.scenario[c] == self.goal_scenario)
            and (not self.goal_categories or c in self.goal_categories)
        }
        by_scenario = {
            s: cheapest_of(p for p in plans if not p.direct and k.scenario[p.target] == s) for s in sorted(allowed)
        }
        return Result(
            subject_supported=supported,
            direct_standard_live="standard_live" in direct_access,
            categories=cats,
            plans=plans,
            cheapest_cost=goal.cost,
            optimal=goal.optimal,
            by_scenario=by_scenario,
        )


def evaluate(profile: Mapping[str, Any], k: KB | None = None) -> Result:
    """Evaluate a (valid) profile against the knowledge base, by docs/semantics.md."""
    return _Evaluator(k or kb(), profile).run()


@dataclass(frozen=True)
class Step:
    document: str
    count: int
    unlocks: frozenset  # categories the step alone makes eligible
    cost_after: int | None  # the goal's cheapest cost once the step is held
    cost_after_by_scenario: dict  # scenario -> its cheapest cost once held


def with_more(profile: Mapping[str, Any], item: str, units: int) -> dict[str, Any]:
    """The profile holding ``units`` more of ``item``: its count raised (a copy)."""
    p = dict(profile)
    p["counts"] = {**profile.get("counts", {}), item: holdings(profile).get(item, 0) + units}
    return p


def next_steps(profile: Mapping[str, Any], k: KB | None = None, before: Result | None = None) -> dict[tuple, Step]:
    """Every next step, by (document, count): each (item, shortfall) of a minimal missing set of a
    usable category (docs/semantics.md#next-steps), with what holding that much more of the
    item does — found by evaluating the profile again with it, not by arithmetic on plans."""
    k = k or kb()
    before = before or evaluate(profile, k)
    usable = {c for c, r in before.categories.items() if r.status in (ELIGIBLE, MISSING)}
    wanted = sorted({(i, n) for c in usable for s in before.categories[c].missing_sets for i, n in s.missing})
    out = {}
    for item, units in wanted:
        after = evaluate(with_more(profile, item, units), k)
        unlocks = frozenset(
            c for c, r in before.categories.items() if r.status == MISSING and after.categories[c].status == ELIGIBLE
        )
        out[(item, units)] = Step(
            item,
            units,
            unlocks,
            after.cheapest_cost,
            {s: after.by_scenario[s].cost for s in before.by_scenario},
        )
    return out


def plan_lead_time(k: KB, plan: Plan) -> int:
    """The longest lead time a note of the plan's categories announces (0: none)."""
    return max([0, *(k.lead_time.get(n, 0) for c in plan.categories for n in k.notes.get(c, []))])


def plan_externals(result: Result, plan: Plan) -> list[str]:
    return sorted({x for c in plan.categories for x in result.categories[c].external_requirements})
