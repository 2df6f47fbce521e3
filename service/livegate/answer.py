"""Shape the solver's answer into the published JSON answer.

Every status, missing set, plan, reason and next step comes from an atom of
:class:`~livegate.solver.Answer`; this module groups atoms by what they are about
(:mod:`livegate.contract` says which), names things (:mod:`livegate.names`),
orders them stably, and writes JSON. Two things it computes from those atoms, by
rules written down in docs/semantics.md: a set's or a plan's cost, the sum of
the unit costs the answer shows for its missing items (the weights the rules
minimise; with a profile's own costs they are bits, over which a sum in the
rules grounds without end: docs/performance.md), and for each next step the
cheapest cost once held, from the plans the rules say it gains (``step_gain/5``),
with the steps' order (docs/semantics.md#next-steps).

The answer is written as JSON bytes, assembled from one fragment per category
and one per plan. Bytes are immutable, so a fragment can be kept and reused by
later answers without any caller being able to change another's answer: a
category's fragment is a function of its own atoms, the unit costs and the
language, and :class:`Shaper` keeps those that show no cost of the profile's own
in a cache bounded in bytes; plans, and their explanations without the line of
their cost, are kept alike (bounds given in its constructor; ``docs/engine.md``
gives the figures that justify them). The
shape of the JSON is defined by the pydantic models of
:mod:`livegate.models` (which also give ``/openapi.json``); every answer the
test suite sees is validated against them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from cachetools import LRUCache

from . import contract
from .contract import Term
from .kb import Catalogue
from .names import Names
from .words import LANGUAGES
from .words import gloss as english_gloss

if TYPE_CHECKING:  # pragma: no cover
    from .profile import Profile
    from .solver import Answer

__all__ = ["PLAN_EXPLANATIONS", "SENTENCES", "Explainer", "Shaped", "Shaper", "Summary", "dumps"]

SENTENCES = 16_384
"""Sentences an explainer keeps, least recently used first out."""

PLAN_EXPLANATIONS = 4_096
"""Plans' explanations an explainer keeps (without the line of their cost), least recently used
first out."""

_T = TypeVar("_T")


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON, keys in their order (the same bytes as ``json.dumps`` with
    ``ensure_ascii=False`` and compact separators)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


@dataclass(frozen=True, kw_only=True)
class Summary:
    """What a batch's CSV row and a decision log record of an answer: the eligible categories,
    the goal's cheapest cost and plans (their categories, and what each lacks) and every
    category's status. :meth:`Shaper.summarise` writes one from the rules' summary alone."""

    eligible: tuple[str, ...]
    cheapest_cost: int | None
    cheapest_plans: tuple[tuple[str, ...], ...]
    statuses: tuple[str, ...]
    """Each category's status, in the catalogue's order."""
    cheapest_missing: tuple[tuple[str, ...], ...]
    """What each of ``cheapest_plans`` lacks."""
    cheapest_shortfalls: tuple[tuple[tuple[str, int], ...], ...] = ()
    """How many more of each counted item each of ``cheapest_plans`` lacks (its ``shortfalls``)."""
    cheapest_external: tuple[tuple[str, ...], ...] = ()
    """The categories outside the catalogue each of ``cheapest_plans`` also needs (its
    ``external_requirements``: a declared activity's, L13 and L66)."""


@dataclass(frozen=True, kw_only=True)
class Shaped(Summary):
    """One answer, written: the whole answer and its path (the members ``cheapest``,
    ``cheapest_by_scenario``, ``next_steps`` and ``notes``, as they appear in it) as
    JSON bytes, and its :class:`Summary`."""

    body: bytes
    path: bytes
    ruleset: bytes

    def json(self) -> dict[str, Any]:
        """The answer as fresh Python objects (nothing shared with any other caller)."""
        data: dict[str, Any] = orjson.loads(self.body)
        return data


def _option_own(option: Term) -> str:
    """The own alternative of an option: ``alt``, or the first of the pair ``(alt, required_alt)``."""
    return option[1] if isinstance(option, tuple) else option


class Explainer:
    """Sentences in one language, from reasons and answer parts. A sentence depends only on
    what it says, so each is written once and kept (the vocabulary is finite: at most one
    per reason atom of the grounding and language)."""

    def __init__(self, names: Names, *, plan_explanations: int = PLAN_EXPLANATIONS):
        self.n = names
        self.cat = names.cat
        # What is kept never holds a cost: a missing set's cost is any number under a profile's
        # own costs, so its sentence is written around the kept parts each time. The bound is a
        # backstop (docs/performance.md#rss).
        self._sentences: LRUCache[tuple[Any, ...], Any] = LRUCache(maxsize=SENTENCES)
        # plans' explanations (but the line of their cost), apart: a dozen lines each; 0: none kept
        self._plans: LRUCache[tuple[Any, ...], tuple[tuple[str, ...], str | None, tuple[str, ...]]] | None = (
            LRUCache(maxsize=plan_explanations) if plan_explanations else None
        )
        self.plans_limit = plan_explanations
        self._lock = threading.Lock()

    def kept(self) -> int:
        """How many sentences (and parts of sentences) are kept."""
        return len(self._sentences)

    def plans_kept(self) -> int:
        """How many plans' explanations are kept."""
        return len(self._plans) if self._plans is not None else 0

    def _kept(self, key: tuple[Any, ...], make: Callable[[], _T]) -> _T:
        return _kept(self._sentences, self._lock, key, make)

    def status(self, c: str, status: str) -> str:
        n = self.n
        return self._kept(
            ("status", c, status),
            lambda: n.t(
                "explain.status",
                category=n.category(c),
                status=n.status(status),
                access=n.access(self.cat.categories[c].access),
            ),
        )

    def reason(self, c: str, why: tuple[Any, ...]) -> str:
        return self._kept(("reason", c, why), lambda: self._reason(c, why))

    def _reason(self, c: str, why: tuple[Any, ...]) -> str:
        n = self.n
        kind, fields = why[0], dict(zip((f for f, _ in contract.REASONS[why[0]]), why[1:], strict=True))
        owner = fields.get("category", c)
        values: dict[str, Any] = {}
        for field, kind_of_id in contract.REASONS[kind]:
            value = fields[field]
            if kind_of_id == "category":
                values[field] = n.category(value)
            elif kind_of_id == "alternative":
                values[field] = n.alternative(owner, value)
            elif kind_of_id == "item":
                values[field] = n.item(value)
            elif kind_of_id == "role":
                values[field] = n.role(value)
                values["role_id"] = value
            elif kind_of_id == "activity":
                values[field] = n.activity_quoted(value)  # the source's note
                values["label"] = n.activity(value)  # what declaring it says of the subject
                values["remedy"] = n.remedy_beyond(value)
                values["line"] = self.cat.activities[value].line  # of its note
            elif kind_of_id == "external_category":
                values[field] = n.external(value)
            elif kind_of_id == "subject_type":
                values["rule"], values["line"] = n.rule_quoted(value)
            elif kind_of_id == "subject":
                values[field] = n.subject(value)
        key = f"explain.reason.{kind}"
        if values.get("remedy") and n.has(f"{key}.remedy"):
            key += ".remedy"
        if "held" in fields and fields["held"] != fields["item"]:
            key += ".via"
        return n.t(key, **values)

    def missing(self, items: dict[str, int]) -> str:
        n = self.n
        return n.join([n.missing_item(i, k) for i, k in items.items()])

    def missing_set(self, c: str, s: dict[str, Any]) -> str:
        key = ("set", c, tuple(s["alternatives"].items()), tuple(s["documents"]), tuple(s["shortfalls"].items()))
        if not s["documents"]:
            return self._kept(key, lambda: self.n.t("explain.set.met", alternatives=self._alternatives(c, s)))
        alternatives, missing = self._kept(key, lambda: (self._alternatives(c, s), self._missing_of(s)))
        return self.n.t("explain.set.missing", alternatives=alternatives, missing=missing, cost=s["cost"])

    def _alternatives(self, c: str, s: dict[str, Any]) -> str:
        """The alternatives a set takes, all together: category ``c``'s first, then that of each
        category an activity makes ``c`` require, named with its category."""
        n, chosen = self.n, s["alternatives"]
        parts = [n.alternative(c, chosen[c])] if c in chosen else []
        parts += [
            n.t("explain.alternative_of", category=n.category(r), alternative=n.alternative(r, alt))
            for r, alt in chosen.items()
            if r != c
        ]
        return n.both(parts)

    def _missing_of(self, s: dict[str, Any]) -> str:
        return self.missing({i: s["shortfalls"].get(i, 1) for i in s["documents"]})

    def combined(self, companion: str, access: str) -> str:
        return self.n.t("explain.combined", category=self.n.category(companion), access=self.n.access(access))

    def source(self, c: str) -> str:
        return self._kept(("source", c), lambda: self.n.source(c))

    def scope(self, c: str) -> str:
        return self._kept(("scope", c), lambda: self.n.t("explain.scope_assumed", scope=self.n.scope_quoted(c)))

    def plan(self, p: dict[str, Any], requires: dict[str, list[tuple[str, str]]], subject_type: str) -> list[str]:
        """Plan ``p``'s explanation. Its lines repeat across answers, all but the one that
        states the plan's cost (any number under a profile's own costs): the others are kept,
        keyed by everything they say, and that one is written each time."""
        n = self.n
        if p["direct"]:
            rule, line = n.rule_quoted(subject_type)
            return [n.t("explain.plan.direct", rule=rule, line=line)]
        kept = self._plans
        before, missing, after = self._plan_parts(p, requires) if kept is None else self._kept_plan(kept, p, requires)
        if missing is None:
            return [*before, *after]
        return [*before, n.t("explain.plan.missing", missing=missing, cost=p["cost"]), *after]

    def _kept_plan(
        self,
        kept: LRUCache[tuple[Any, ...], tuple[tuple[str, ...], str | None, tuple[str, ...]]],
        p: dict[str, Any],
        requires: dict[str, list[tuple[str, str]]],
    ) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
        """:meth:`_plan_parts`, kept in ``kept`` by everything they say."""
        categories = p["categories"]
        key = (
            tuple(categories),
            tuple((c, tuple(a)) for c, a in p["equivalent_alternatives"].items()),
            tuple(tuple(requires.get(c, ())) for c in categories),
            tuple((x["category"], x["companion"]) for x in p["companions"]),
            p["access"],
            tuple((d["id"], d["count"]) for d in p["missing_detail"]),
            tuple(p["external_requirements"]),
            tuple(p["assumes"]),
        )
        return _kept(kept, self._lock, key, lambda: self._plan_parts(p, requires))

    def _plan_parts(
        self, p: dict[str, Any], requires: dict[str, list[tuple[str, str]]]
    ) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
        """A plan's explanation in three parts: the lines before the one that states what it lacks
        and its cost, what it lacks (None: nothing, and that line is among the others), the lines
        after."""
        n, cat = self.n, self.cat
        lines = []
        for c in p["categories"]:
            alts = n.t("explain.or").join(n.alternative(c, a) for a in p["equivalent_alternatives"].get(c, []))
            lines.append(n.t("explain.plan.category", category=n.category(c), alternatives=alts))
        for c in p["categories"]:
            for r, activity in requires.get(c, []):
                lines.append(
                    n.t(
                        "explain.plan.requires",
                        activity=n.activity(activity),  # its label: the note quoted said "需补充…" twice over
                        category=n.category(c),
                        required=n.category(r),
                    )
                )
        lines += [
            n.t("explain.plan.scope", category=n.category(c), scope=n.scope_quoted(c))
            for c in p["categories"]
            if cat.categories[c].scope
        ]
        for companion in p["companions"]:
            lines.append(
                n.t(
                    "explain.plan.companion",
                    category=n.category(companion["category"]),
                    companion=n.category(companion["companion"]),
                    access=n.access(p["access"]),
                )
            )
        before = tuple(lines)
        lines = []
        missing = None
        if p["missing"]:
            missing = self.missing({d["id"]: d["count"] for d in p["missing_detail"]})
        else:
            lines.append(n.t("explain.plan.nothing_missing"))
        lines += [n.t("explain.plan.external", external_category=n.external(x)) for x in p["external_requirements"]]
        notes = dict.fromkeys(
            (c, note) for c in p["categories"] for note in cat.categories[c].notes if cat.notes[note].lead_time_days
        )
        lines += [
            n.t("explain.plan.note", category=n.category(c), note=n.note_quoted(note), line=cat.notes[note].line)
            for c, note in notes
        ]
        lines += [
            n.t(
                "explain.plan.assumes",
                activity=n.activity(a),
                note=n.activity_quoted(a),
                line=cat.activities[a].line,
            )
            for a in p["assumes"]
        ]
        lines.append(n.t("explain.plan.access", access=n.access(p["access"])))
        lines += [self.source(c) for c in p["categories"]]
        return before, missing, tuple(lines)

    def passed_over(self, blocked: list[dict[str, str]]) -> list[str]:
        """What a plan of a question says of the categories the question allows but a declared
        activity blocks (``blocked_in_question/3``): the plan goes around them, and its own
        categories must fit what the mini program really does."""
        return [
            self._kept(("passed_over", b["activity"], b["category"]), partial(self._passed_over, b)) for b in blocked
        ]

    def _passed_over(self, blocked: dict[str, str]) -> str:
        return self._activity_sentence("explain.plan.blocked", blocked)

    def _activity_sentence(self, key: str, said: dict[str, str]) -> str:
        """Sentence ``key`` of a declared activity and a category: the activity, the category, the
        source's note and its line."""
        n, activity = self.n, said["activity"]
        return n.t(
            key,
            activity=n.activity(activity),
            category=n.category(said["category"]),
            note=n.activity_quoted(activity),
            line=self.cat.activities[activity].line,
        )

    def required_around(self, declared: list[dict[str, str]], categories: list[str]) -> list[str]:
        """What a plan of a question says of each category a declared activity needs that the plan
        does not include (``required_in_question/3``): the note still holds for what the mini program
        does, whichever category it applies for."""
        return [
            self._kept(("required_around", d["activity"], d["category"]), partial(self._required_around, d))
            for d in declared
            if d["category"] not in categories
        ]

    def _required_around(self, declared: dict[str, str]) -> str:
        return self._activity_sentence("explain.plan.declared_requires", declared)

    def conditions(self, scenario: str | None, categories: list[str], access: str | None) -> str:
        """The conditions a question puts on its categories, as ``no_plan`` names them: its scenario,
        the goal's candidate categories, the goal's access method (those given)."""
        n = self.n
        parts = [n.t("explain.condition.scenario", scenario=n.scenario(scenario))] if scenario else []
        if categories:  # in the catalogue's order, once each: as the answer is, whatever the order given
            named = n.t("explain.comma").join(n.category(c) for c in self.cat.categories if c in set(categories))
            parts.append(n.t("explain.condition.categories", categories=named))
        if access:
            parts.append(n.t("explain.condition.access", access=n.access(access)))
        return n.t("explain.comma").join(parts)

    def no_plan(self, reasons: list[dict[str, Any]], conditions: str = "") -> list[str]:
        """Why a question has no plan, the most specific cause first (as the reasons come);
        ``conditions`` (:meth:`conditions`) are what ``goal_filters`` says left every category out."""
        n, cat = self.n, self.cat
        lines = []
        roles: dict[str, list[str]] = {}  # role_missing, by category: one sentence naming every role
        for why in reasons:
            if why["kind"] in ("role_missing", "role_not_for_type"):
                roles.setdefault(why["category"], []).append(why["role"])
        for why in reasons:
            kind = why["kind"]
            if kind == "subject_unsupported":
                rule, line = n.rule_quoted(why["subject_type"])
                lines.append(n.t("explain.no_plan.unsupported", rule=rule, line=line))
            elif kind == "activity_blocks":
                act = cat.activities[why["activity"]]
                remedy = n.remedy_beyond(act.id)
                lines.append(
                    n.t(
                        "explain.no_plan.activity_blocks" + (".remedy" if remedy else ""),
                        activity=n.activity(act.id),
                        note=n.activity_quoted(act.id),
                        line=act.line,
                        category=n.category(why["category"]),
                        remedy=remedy or "",
                    )
                )
            elif kind in ("role_missing", "role_not_for_type"):
                c = why["category"]
                role = n.either([n.role(r) for r in roles[c]])
                subject = n.subject(why["subject_type"]) if kind == "role_not_for_type" else ""
                lines.append(n.t(f"explain.no_plan.{kind}", category=n.category(c), role=role, subject=subject))
            elif kind == "item_not_for_type":
                item, subject = n.item(why["item"]), n.subject(why["subject_type"])
                lines.append(
                    n.t(f"explain.no_plan.{kind}", category=n.category(why["category"]), item=item, subject=subject)
                )
            else:
                lines.append(n.t("explain.no_plan.goal", conditions=conditions))
        return list(dict.fromkeys(lines))


class Shaper:
    """Writes answers for one catalogue and ruleset.

    ``fragment_cache_bytes`` bounds the cache of category fragments (0: none);
    a fragment is the JSON of one category's entry, keyed by the atoms it is
    made of, the language and whether explanations are on. Only fragments that
    show no cost of a profile's own are kept: a profile's own costs are nearly
    always a set of its own, whose fragments no later answer would use.
    ``plan_cache_bytes`` bounds the cache of plans, kept on the same terms and
    keyed by their atoms (0: none, and no plan's explanation kept either).
    """

    def __init__(
        self,
        catalogue: Catalogue,
        ruleset: dict[str, str],
        *,
        fragment_cache_bytes: int = 0,
        plan_cache_bytes: int = 0,
    ):
        self.cat = catalogue
        self.ruleset = dict(ruleset)
        self.ruleset_json = dumps(self.ruleset)
        self.position = {c: k for k, c in enumerate(catalogue.categories)}
        self.item_position = {i: k for k, i in enumerate(catalogue.items)}
        self.activity_position = {a: k for k, a in enumerate(catalogue.activities)}
        self.counted = frozenset(i for i, it in catalogue.items.items() if it.counted)
        self.general_notes = [
            {"id": g.id, "text": g.text, "line": g.line, "en": {"text": english_gloss("notes", g.id)}}
            for g in catalogue.general_notes
        ]
        self._explainers = {
            lang: Explainer(Names(catalogue, lang), plan_explanations=PLAN_EXPLANATIONS if plan_cache_bytes else 0)
            for lang in LANGUAGES
        }
        self._fragments: LRUCache[tuple[Any, ...], tuple[bytes, str, tuple[Any, ...], tuple[str, ...]]] | None = (
            LRUCache(maxsize=fragment_cache_bytes, getsizeof=lambda v: len(v[0]) + 200)
            if fragment_cache_bytes
            else None
        )
        # plans by their atoms; each counted as its JSON's length (taken once, when kept)
        self._plans: LRUCache[tuple[Term, ...], dict[str, Any]] | None = (
            LRUCache(maxsize=plan_cache_bytes, getsizeof=lambda p: len(dumps(p)) + 200) if plan_cache_bytes else None
        )
        self._lock = threading.Lock()
        self.scope = {p.name: p.scope for p in contract.SHOWN}
        self.scenario_of = {c: info.scenario for c, info in catalogue.categories.items()}

    def stats(self) -> dict[str, dict[str, int]]:
        """What the caches hold and their limits: category fragments and plans (entries, the bytes
        their bounds count), sentences and plans' explanations (entries, all languages)."""

        def state(cache: LRUCache[Any, Any] | None) -> dict[str, int]:
            if cache is None:
                return {"entries": 0, "bytes": 0, "limit": 0}
            return {"entries": len(cache), "bytes": int(cache.currsize), "limit": int(cache.maxsize)}

        with self._lock:
            fragments, plans = state(self._fragments), state(self._plans)
        return {
            "fragments": fragments,
            "plans": plans,
            "sentences": {
                "entries": sum(e.kept() for e in self._explainers.values()),
                "limit": SENTENCES * len(self._explainers),
            },
            "plan_explanations": {
                "entries": sum(e.plans_kept() for e in self._explainers.values()),
                "limit": sum(e.plans_limit for e in self._explainers.values()),
            },
        }

    # -- the whole answer ------------------------------------------------------------
    def shape(
        self,
        profile: Profile,
        answer: Answer,
        units: dict[str, int],
        overrides: tuple[Any, ...] = (),
        *,
        explain: bool = True,
        lang: str = LANGUAGES[0],
    ) -> Shaped:
        """The answer to ``profile`` from the solver's ``answer``; ``units`` is every item's unit
        cost (the profile's own, else its issuer class's default), ``overrides`` the profile's own
        costs (a profile with some is not served from the fragment cache)."""
        explainer = self._explainers[lang]
        own = frozenset(i for i, _ in overrides)  # the items the profile costs itself
        by_category: dict[str, list[Term]] = {c: [] for c in self.cat.categories}
        by_plan: dict[Term, list[Term]] = {}
        rest: list[Term] = []
        scope = self.scope
        for atom in answer.atoms:
            name = atom[0] if atom.__class__ is tuple else atom
            where = scope[name]
            if where == "category":
                by_category[atom[1]].append(atom)
            elif where == "plan":
                by_plan.setdefault(atom[1], []).append(atom)
            else:
                rest.append(atom)
        det = contract.group(rest)
        unsupported = [t for (t,) in det["subject_unsupported"]]

        fragments: list[bytes] = []
        statuses: list[str] = []
        eligible: list[str] = []
        requires: dict[str, list[tuple[str, str]]] = {}
        listed: set[str] = set()
        for c, atoms in by_category.items():
            fragment, status, required, items = self._category(c, atoms, units, own, explain, explainer)
            fragments.append(fragment)
            statuses.append(status)
            listed.update(items)
            if status == contract.ELIGIBLE:
                eligible.append(c)
            if required:
                requires[c] = list(required)

        plans = {plan: self._plan_of(plan, atoms, units, own) for plan, atoms in by_plan.items()}
        for p in plans.values():
            listed.update(p["missing"])
        by_question: dict[Term, list[Term]] = {}
        for question, plan in det["cheapest"]:
            by_question.setdefault(question, []).append(plan)
        reasons: dict[Term, list[dict[str, Any]]] = {}
        for question, why in det["no_plan_reason"]:
            reasons.setdefault(question, []).append(_fields(why, contract.NO_PLAN_REASONS))
        order = list(contract.NO_PLAN_REASONS)
        blocked: dict[Term, list[dict[str, str]]] = {}
        for question, activity, category in sorted(
            det["blocked_in_question"], key=lambda q_a_c: (self.position[q_a_c[2]], q_a_c[1])
        ):
            blocked.setdefault(question, []).append({"activity": activity, "category": category})
        declared: dict[Term, list[dict[str, str]]] = {}
        for question, activity, category in sorted(
            det["required_in_question"], key=lambda q_a_c: (self.position[q_a_c[2]], q_a_c[1])
        ):
            declared.setdefault(question, []).append({"activity": activity, "category": category})

        goal = profile.goal

        def answer_of(question: Term) -> dict[str, Any]:
            found = self._unique([plans[p] for p in by_question.get(question, [])])
            why = sorted(reasons.get(question, []), key=lambda r: (order.index(r["kind"]), str(r)))
            passed = blocked.get(question, [])
            needs = declared.get(question, [])
            out: dict[str, Any] = {
                "cost": found[0]["cost"] if found else None,
                "plans": [],
                "no_plan_reasons": why,
                "blocked": passed,
                "declared_requires": needs,
            }
            for p in found:
                entry = dict(p)
                if explain:
                    entry["explanation"] = (
                        explainer.plan(p, requires, profile.subject.type)
                        + explainer.passed_over(passed)
                        + explainer.required_around(needs, p["categories"])
                    )
                out["plans"].append(entry)
            if explain and not found:
                scenario = question[1] if question != contract.GOAL else goal.scenario
                out["explanation"] = explainer.no_plan(
                    why, explainer.conditions(scenario, goal.categories, goal.access)
                )
            return out

        cheapest = answer_of(contract.GOAL)
        by_scenario = {
            s: answer_of((_SCENARIO, s))
            for s in self.cat.scenarios
            if (_SCENARIO, s) in {q for (q,) in det["no_plan"]} | set(by_question)
        }
        # the categories the goal allows (its scenario, candidates and access: question_scope/2)
        asked = frozenset(c for q, c in det["question_scope"] if q == contract.GOAL)
        steps = self._steps(det, plans, units, cheapest["cost"], {s: a["cost"] for s, a in by_scenario.items()}, asked)
        listed.update(step["document"] for step in steps)
        notes = list(self.general_notes)
        for (note,) in det["scenario_not_given"]:  # the goal names no scenario: the preamble's rule matters
            rule = next(g for g in self.general_notes if g["id"] == note)
            notes.insert(
                0,
                {
                    "id": "scenario_not_given",
                    "text": explainer.n.t(
                        "note.scenario_not_given",
                        rule=explainer.n.quoted(str(rule["text"]), explainer.n.gloss("notes", note)),
                        line=rule["line"],
                    ),
                    "line": rule["line"],
                    "en": {"text": None},  # livegate's own sentence, in the answer's language already
                },
            )
        head = {
            "subject_supported": not unsupported,
            "direct_standard_live": contract.DIRECT_STANDARD_LIVE in {a for (a,) in det["direct_access"]},
            "eligible": eligible,
        }
        path = dumps({"cheapest": cheapest, "cheapest_by_scenario": by_scenario, "next_steps": steps})[1:-1]
        notes_json = b'"notes":' + dumps(notes)
        body = b"".join(
            [
                b'{"ruleset":',
                self.ruleset_json,
                b",",
                dumps(head)[1:-1],
                b',"categories":[',
                b",".join(fragments),
                b"],",
                path,
                b',"item_costs":',
                dumps({i: units[i] for i in sorted(listed)}),
                b",",
                notes_json,
                b"}",
            ]
        )
        return Shaped(
            body=body,
            path=path + b"," + notes_json,
            ruleset=self.ruleset_json,
            eligible=tuple(eligible),
            cheapest_cost=cheapest["cost"],
            cheapest_plans=tuple(tuple(p["categories"]) for p in cheapest["plans"]),
            statuses=tuple(statuses),
            cheapest_missing=tuple(tuple(p["missing"]) for p in cheapest["plans"]),
            cheapest_shortfalls=tuple(tuple(p["shortfalls"].items()) for p in cheapest["plans"]),
            cheapest_external=tuple(tuple(p["external_requirements"]) for p in cheapest["plans"]),
        )

    # -- a summary -----------------------------------------------------------------------
    def summarise(self, answer: Answer, units: dict[str, int], overrides: tuple[Any, ...] = ()) -> Summary:
        """The :class:`Summary` of the solver's ``answer`` (of the full rules or of their summary:
        it reads only statuses and the goal's cheapest plans), without writing the answer."""
        own = frozenset(i for i, _ in overrides)
        statuses: dict[str, str] = {}
        goal_plans: list[Term] = []
        by_plan: dict[Term, list[Term]] = {}
        for atom in answer.atoms:
            name = atom[0] if atom.__class__ is tuple else atom
            if name == "status":
                statuses[atom[1]] = atom[2]
            elif name == "cheapest":
                if atom[1] == contract.GOAL:
                    goal_plans.append(atom[2])
            elif self.scope[name] == "plan":
                by_plan.setdefault(atom[1], []).append(atom)
        plans = self._unique([self._plan_of(p, by_plan.get(p, []), units, own) for p in goal_plans])
        ordered = tuple(statuses[c] for c in self.cat.categories)
        return Summary(
            eligible=tuple(
                c for c, status in zip(self.cat.categories, ordered, strict=True) if status == contract.ELIGIBLE
            ),
            cheapest_cost=plans[0]["cost"] if plans else None,
            cheapest_plans=tuple(tuple(p["categories"]) for p in plans),
            statuses=ordered,
            cheapest_missing=tuple(tuple(p["missing"]) for p in plans),
            cheapest_shortfalls=tuple(tuple(p["shortfalls"].items()) for p in plans),
            cheapest_external=tuple(tuple(p["external_requirements"]) for p in plans),
        )

    # -- one category ------------------------------------------------------------------
    def _category(
        self,
        c: str,
        atoms: list[Term],
        units: dict[str, int],
        own: frozenset[str],
        explain: bool,
        explainer: Explainer,
    ) -> tuple[bytes, str, tuple[Any, ...], tuple[str, ...]]:
        """The JSON of category ``c``'s entry, its status, the categories it requires (with the
        activity) and the items its sets lack (``own``: the items the profile costs itself)."""
        fragments = self._fragments
        # the entry shows the unit costs of the items its sets lack, and only those: where the
        # profile costs none of them itself, the default-cost entry is the same bytes. Otherwise
        # it is a set of its own, whose fragment no later answer would use.
        if fragments is None or _lacks_own(atoms, "minimal_missing_item", 3, own):
            return self._category_entry(c, atoms, units, explain, explainer)
        return _kept(
            fragments,
            self._lock,
            (explain, explainer.n.lang, tuple(atoms)),
            lambda: self._category_entry(c, atoms, units, explain, explainer),
        )

    def _category_entry(
        self, c: str, atoms: list[Term], units: dict[str, int], explain: bool, explainer: Explainer
    ) -> tuple[bytes, str, tuple[Any, ...], tuple[str, ...]]:
        det = contract.group(atoms)
        info = self.cat.categories[c]
        status = det["status"][0][1]
        sets_by_option: dict[Term, dict[str, Any]] = {}

        def entry(option: Term) -> dict[str, Any]:
            return sets_by_option.setdefault(option, {"items": {}, "choices": {}})

        for _, option in det["minimal_missing_set"]:
            entry(option)
        for _, option, item, count in det["minimal_missing_item"]:
            entry(option)["items"][item] = count
        for _, option, in_category, alt in det["missing_set_alternative"]:
            entry(option)["choices"][in_category] = alt
        sets = []
        for option, s in sets_by_option.items():
            own = _option_own(option)
            documents = sorted(s["items"])
            sets.append(
                {
                    "alternative": own,
                    "alternatives": dict(sorted((s["choices"] or {c: own}).items())),
                    "documents": documents,
                    "shortfalls": {i: s["items"][i] for i in documents if i in self.counted},
                    "item_costs": {i: units[i] for i in documents},
                    "cost": sum(units[i] * s["items"][i] for i in documents),
                }
            )
        sets.sort(key=lambda s: (s["cost"], len(s["documents"]), s["alternative"]))
        requires = sorted((r, a) for _, r, a in det["requires_category"])
        reasons = [_fields(why, contract.REASONS) for _, why in det["reason"]]
        out: dict[str, Any] = {
            "id": c,
            "name": info.name,
            "status": status,
            "access": info.access,
            "scenario": info.scenario,
            "scope": info.scope,
            "combined_access": [{"with": p, "access": a} for _, p, a in sorted(det["combined_access"])],
            "missing_sets": sets,
            "requires_categories": sorted({r for r, _ in requires}),
            "external_requirements": sorted({x for _, x, _ in det["external_requirement"]}),
            "warnings": sorted((self._warning(what) for _, what in det["warning"]), key=lambda w: (w["kind"], w["id"])),
            "source": {"section": info.source.section, "url": info.source.url, "line": info.source.line},
            "reasons": sorted(reasons, key=lambda r: tuple(map(str, r.values()))),
        }
        if explain:
            lines = [explainer.status(c, status)]
            # the same order in every language (sorting the sentences put "blocked" first in English
            # and last in Chinese): by kind as the contract lists them, then options as the source does
            kinds = list(contract.REASONS)
            options = [a.id for a in info.alternatives]

            def order(why: Term) -> tuple[Any, ...]:
                fields = _fields(why, contract.REASONS)
                option = fields.get("alternative")
                return kinds.index(why[0]), options.index(option) if option in options else -1, str(fields)

            lines += [explainer.reason(c, why) for why in sorted((w for _, w in det["reason"]), key=order)]
            if status == contract.ELIGIBLE and info.scope:
                lines.append(explainer.scope(c))
            else:
                lines += [explainer.missing_set(c, s) for s in sets]
            lines += [explainer.combined(p, a) for _, p, a in sorted(det["combined_access"])]
            lines.append(explainer.source(c))
            out["explanation"] = lines
        items = tuple(sorted({i for s in sets for i in s["documents"]}))
        return dumps(out), status, tuple(requires), items

    def _warning(self, what: tuple[Any, ...]) -> dict[str, Any]:
        kind, key = what[0], what[1]
        if dict(contract.WARNINGS[kind])["id"] == "note":
            note = self.cat.notes[key]
            return {
                "kind": kind,
                "id": key,
                "text": note.text,
                "lead_time_days": note.lead_time_days,
                "line": note.line,
                "en": {"text": english_gloss("notes", key)},
            }
        act = self.cat.activities[key]
        return {
            "kind": kind,
            "id": key,
            "text": act.remedy,
            "line": act.line,
            "en": {"text": english_gloss("remedies", key)},
        }

    # -- plans ---------------------------------------------------------------------------
    def _plan_of(self, plan: Term, atoms: list[Term], units: dict[str, int], own: frozenset[str]) -> dict[str, Any]:
        """Plan ``plan`` from its atoms, kept (never changed once made: callers copy before
        adding to it) where its cost is the default one: where the profile costs none of the
        items it lacks itself. A plan with such an item is made anew and not kept, as a
        category's fragment is."""
        plans = self._plans
        if plans is None or _lacks_own(atoms, "plan_missing", 2, own):
            return self._plan(plan, contract.group(atoms), units)
        return _kept(plans, self._lock, tuple(atoms), lambda: self._plan(plan, contract.group(atoms), units))

    def _plan(self, plan: Term, det: dict[str, list[tuple[Any, ...]]], units: dict[str, int]) -> dict[str, Any]:
        """One plan from its atoms (all but the explanation, which depends on the language)."""
        cat = self.cat
        categories = sorted((c for _, c in det["plan_category"]), key=self.position.__getitem__)
        missing = dict(sorted((i, n) for _, i, n in det["plan_missing"]))
        alternatives: dict[str, list[str]] = {}
        for _, c, alt in det["plan_alternative"]:
            if alt not in alternatives.setdefault(c, []):
                alternatives[c].append(alt)
        return {
            "direct": not categories,
            "categories": categories,
            "alternatives": {c: min(alts) for c, alts in sorted(alternatives.items())},
            "equivalent_alternatives": {c: sorted(alts) for c, alts in sorted(alternatives.items())},
            "missing": sorted(missing),
            "shortfalls": {i: k for i, k in missing.items() if i in self.counted},
            "missing_detail": [
                {
                    "id": i,
                    "name": cat.items[i].name,
                    "qualifier": cat.items[i].qualifier,
                    "issuer_class": cat.items[i].issuer_class,
                    "count": k,
                    "unit_cost": units[i],
                    "cost": k * units[i],
                }
                for i, k in missing.items()
            ],
            "access": det["plan_access"][0][1] if det["plan_access"] else None,
            "cost": sum(k * units[i] for i, k in missing.items()),
            "companions": [{"category": c, "companion": p} for _, c, p in sorted(det["plan_companion"])],
            "external_requirements": sorted({x for _, _, x in det["plan_external"]}),
            "lead_time_days": max((d for _, d in det["plan_lead_time"]), default=0),
            "scope": {c: cat.categories[c].scope for c in categories},
            "assumes": sorted({a for _, a in det["plan_assumes"]}, key=self.activity_position.__getitem__),
        }

    def _unique(self, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The plans in a stable order, those with the same categories and missing items as one
        (their alternatives together): plans are told apart by these."""
        merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        for p in plans:
            key = (tuple(p["categories"]), tuple(p["missing"]))
            if key not in merged:
                merged[key] = p
                continue
            kept = merged[key] = dict(merged[key])
            alts = {
                c: sorted(set(kept["equivalent_alternatives"].get(c, [])) | set(a))
                for c, a in p["equivalent_alternatives"].items()
            }
            kept["equivalent_alternatives"] = alts
            kept["alternatives"] = {c: a[0] for c, a in alts.items()}
        return sorted(
            merged.values(),
            key=lambda p: (
                p["cost"],
                len(p["missing"]),
                len(p["categories"]),
                [self.position[c] for c in p["categories"]],
                p["missing"],
            ),
        )

    # -- next steps -----------------------------------------------------------------------------
    def _steps(
        self,
        det: dict[str, list[tuple[Any, ...]]],
        plans: dict[Term, dict[str, Any]],
        units: dict[str, int],
        goal_cost: int | None,
        scenario_costs: dict[str, int | None],
        asked: frozenset[str],
    ) -> list[dict[str, Any]]:
        """Every next step with what it unlocks and the cheapest cost once held, of the goal and
        of each scenario: the least of the cheapest cost now and of what each plan the solver
        says gains from the step then costs (its cost less the shortfalls the step meets).
        Ranked (docs/semantics.md#next-steps): a step of a cheapest path first (``on_cheapest_path``:
        it lowers the goal's cost by exactly its own), then by the goal's cost after the step, then by the
        categories it unlocks among those the goal allows (``asked``, the rules' question_scope/2:
        its scenario's, its candidates and those reaching its access; every category when the goal
        names nothing: ``unlocks_for_goal``),
        what it takes off the scenarios' costs together, its own cost (among steps that help the
        goal), the plain form of a document before its qualified form (among steps that help the
        goal), all it unlocks, its own cost."""
        unlocks: dict[tuple[str, int], list[str]] = {}
        for i, n, c in det["unlocks"]:
            unlocks.setdefault((i, n), []).append(c)
        gains: dict[tuple[str, int], dict[Term, int]] = {}
        for i, n, plan, j, k in det["step_gain"]:
            met = gains.setdefault((i, n), {})
            met[plan] = met.get(plan, 0) + k * units[j]
        scenario_of = self.scenario_of
        out = []
        for i, n in det["step"]:
            after = dict(scenario_costs)
            best: int | None = goal_cost
            for plan, saved in gains.get((i, n), {}).items():
                cost = plans[plan]["cost"] - saved
                s = scenario_of[plan[1]]
                now = after.get(s)
                if now is None or cost < now:
                    after[s] = cost
                if best is None or cost < best:
                    best = cost
            out.append(
                {
                    "document": i,
                    "count": n,
                    "unlocks": (opened := sorted(unlocks.get((i, n), []), key=self.position.__getitem__)),
                    "unlocks_for_goal": [c for c in opened if c in asked],
                    "cheapest_cost_after": best,
                    "lowers_by": goal_cost - best if goal_cost is not None and best is not None else None,
                    # taken and paid for, it leaves the goal's cheapest cost where it is: a step of a cheapest
                    # path (a licence refused on purpose, for its notice of refusal, is not: L42)
                    "on_cheapest_path": goal_cost is not None
                    and best is not None
                    and best < goal_cost
                    and best + units[i] * n == goal_cost,
                    "cheapest_cost_after_by_scenario": {s: after[s] for s in scenario_costs},
                }
            )

        def gained(step: dict[str, Any]) -> int:  # what the step takes off the scenarios' costs, together
            return sum(
                scenario_costs[s] - c
                for s, c in step["cheapest_cost_after_by_scenario"].items()
                if c is not None and scenario_costs[s] is not None
            )

        taken = {(step["document"], step["count"]) for step in out}

        def rank(step: dict[str, Any]) -> tuple[Any, ...]:
            own, helps, gain = units[step["document"]] * step["count"], len(step["unlocks_for_goal"]), gained(step)
            # a qualified document whose plain form is a step too: it asks more than the plain form
            # (a business scope, an issuer) for what it adds outside the goal
            plain = self.cat.items[step["document"]].plain_form
            narrower = plain is not None and (plain, step["count"]) in taken
            return (
                step["cheapest_cost_after"] is None,
                not step["on_cheapest_path"],  # what the cheapest path takes first: the same cost in all
                step["cheapest_cost_after"] or 0,
                -helps,
                -gain,
                own if helps or gain else 0,  # of two steps that do as much for the goal, the cheaper
                narrower if helps or gain else False,  # … and the plain form before its qualified one
                -len(step["unlocks"]),
                own,
                self.item_position[step["document"]],
                step["count"],
            )

        out.sort(key=rank)
        return out


_SCENARIO = contract.SCENARIO


def _kept(cache: LRUCache[Any, Any], lock: threading.Lock, key: Any, make: Callable[[], _T]) -> _T:
    """The value kept under ``key``, else ``make()``'s, then kept. An LRU lookup reorders the
    cache (and another thread may evict): both steps under ``lock``. A value over the cache's
    bound alone is not kept (a bound smaller than one value keeps nothing, rather than failing
    the answer)."""
    with lock:
        value: _T | None = cache.get(key)
    if value is None:
        value = make()
        with lock, contextlib.suppress(ValueError):  # cachetools: "value too large"
            cache[key] = value
    return value


def _lacks_own(atoms: list[Term], name: str, position: int, own: frozenset[str]) -> bool:
    """Whether one of the ``name`` atoms among ``atoms`` lacks (the item at ``position``) an item
    the profile costs itself: what is made of them then shows a cost of the profile's own."""
    return bool(own) and any(a[0] == name and a[position] in own for a in atoms)


def _fields(why: Term, kinds: dict[str, tuple[tuple[str, str], ...]]) -> dict[str, Any]:
    """A reason term as an object: its kind and its arguments by name."""
    if isinstance(why, str):
        return {"kind": why}
    return {"kind": why[0], **dict(zip((f for f, _ in kinds[why[0]]), why[1:], strict=True))}
