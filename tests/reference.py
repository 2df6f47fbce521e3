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
  categories).
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
    aliases: dict[str, str] = field(default_factory=dict)  # old item id -> item id


def load_kb(facts_dir: Path = FACTS_DIR) -> KB:
    f = read_facts(facts_dir)
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
        aliases=dict(f.get("item_alias", [])),
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


@dataclass(frozen=True)
class Plan:
    direct: bool
    categories: frozenset
    alternatives: tuple[tuple[str, str], ...]
    missing: frozenset  # {(item, units)}
    counted: frozenset
    access: str
    cost: int

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
class Result:
    subject_supported: bool
    direct_standard_live: bool
    categories: dict[str, CategoryResult]
    plans: list[Plan]  # every plan, optimal or not
    cheapest_cost: int | None
    optimal: dict[tuple, dict]  # plan key -> {"alternatives": {cat: set}, "plans": [Plan]}

    @property
    def eligible(self) -> list[str]:
        return sorted(c for c, r in self.categories.items() if r.status == ELIGIBLE)


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
        self.held = holdings(profile)
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

    # -- requirements -------------------------------------------------------
    def have(self, item: str) -> int:
        """How many of ``item`` the profile meets: its own count plus its qualified forms'."""
        return self.held.get(item, 0) + sum(self.held.get(q, 0) for q in self.k.qualified_forms.get(item, []))

    def applicable(self, cat: str) -> list[str]:
        out = []
        for alt in self.k.alternatives[cat]:
            roles = self.k.reserved.get((cat, alt))
            if not roles or roles & self.roles:
                out.append(alt)
        return out

    def requires(self, cat: str) -> list[str]:
        return sorted({e[1] for e in self.effects[cat] if e[0] == "requires_category"})

    def externals(self, cat: str) -> list[str]:
        return sorted({e[1] for e in self.effects[cat] if e[0] == "requires_external"})

    def closure(self, cat: str) -> list[str]:
        seen: list[str] = []
        todo = [cat]
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.append(c)
            todo.extend(self.requires(c))
        return sorted(seen)

    def missing_of(self, option: Iterable[tuple[str, str]]) -> tuple[frozenset, frozenset, int]:
        """Items an option (one alternative per category) still lacks; shared items once."""
        need: dict[str, int] = {}
        counted: set[str] = set()
        for cat, alt in option:
            for item, n in self.k.requirement.get((cat, alt), {}).items():
                need[item] = max(need.get(item, 0), n)
            counted |= self.k.counted.get((cat, alt), frozenset())
        missing = {}
        for item, n in need.items():
            short = n - self.have(item)
            if short > 0:
                missing[item] = short
        cost = sum(self.cost[i] * n for i, n in missing.items())
        return frozenset(missing.items()), frozenset(counted & missing.keys()), cost

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
            memo[cat] = MISSING  # guards a (never expected) cycle of required categories
            held_alt = any(not self.missing_of([(cat, a)])[0] for a in self.applicable(cat))
            required_ok = all(self.own_status(r, memo) == ELIGIBLE for r in self.requires(cat))
            status = ELIGIBLE if held_alt and required_ok else MISSING
        memo[cat] = status
        return status

    def minimal_sets(self, cat: str) -> list[MissingSet]:
        sets = []
        for option in self.options(self.closure(cat)):
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
            cats[c] = CategoryResult(c, status, k.access[c], sets, self.requires(c), self.externals(c))

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
                    members = set(self.closure(target))
                    if comp is not None:
                        members |= set(self.closure(comp))
                    if not members <= usable:
                        continue
                    for option in self.options(members):
                        missing, counted, cost = self.missing_of(option)
                        plans.append(Plan(False, frozenset(members), option, missing, counted, acc, cost))
        optimal: dict[tuple, dict] = {}
        cheapest = None
        if plans:
            best = min(p.rank for p in plans)
            cheapest = best[0]
            for p in plans:
                if p.rank != best:
                    continue
                entry = optimal.setdefault(p.key, {"alternatives": defaultdict(set), "plans": []})
                entry["plans"].append(p)
                for c, a in p.alternatives:
                    entry["alternatives"][c].add(a)
        return Result(
            subject_supported=supported,
            direct_standard_live="standard_live" in direct_access,
            categories=cats,
            plans=plans,
            cheapest_cost=cheapest,
            optimal=optimal,
        )


def evaluate(profile: Mapping[str, Any], k: KB | None = None) -> Result:
    """Evaluate a (valid) profile against the knowledge base, by docs/semantics.md."""
    return _Evaluator(k or kb(), profile).run()


def plan_externals(result: Result, plan: Plan) -> list[str]:
    return sorted({x for c in plan.categories for x in result.categories[c].external_requirements})
