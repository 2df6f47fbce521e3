"""The contract between ``logic/`` and Python, declared once.

What the rules read (the input predicates of ``logic/inputs.lp``), what they
show (``logic/show.lp``), the arguments of every reason and warning term
(``logic/explain.lp``), the values of the status they derive and the meaning
of each optimisation priority (``logic/plan.lp``) are written here and nowhere
else in the package; ``tests/test_contract.py`` checks each declaration
against the ``.lp`` files, so the two cannot drift apart.

This is also the one module that touches clingo's private API: reading a
model's shown atoms as interned symbol handles through clingo's C API
(``clingo._internal``) instead of one Python ``Symbol`` per atom. Every such
call has a public-API twin (:class:`PublicModelReader`), used where the
private module is missing, and a test checks that both read the same; the
clingo release line is pinned in ``pyproject.toml``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import clingo

if TYPE_CHECKING:  # pragma: no cover
    from .profile import Profile

__all__ = [
    "CHECKED_ARGUMENTS",
    "ELIGIBLE",
    "GOAL",
    "INPUTS",
    "NO_PLAN_REASONS",
    "OVERRIDES",
    "OVERRIDE_BITS",
    "OVERRIDE_PART",
    "PRIORITIES",
    "REASONS",
    "SCENARIO",
    "SHOWN",
    "STATUSES",
    "SUMMARY_ARGUMENTS",
    "WARNINGS",
    "FastModelReader",
    "ModelReader",
    "Predicate",
    "PublicModelReader",
    "Term",
    "costs_by_priority",
    "group",
    "input_atoms",
    "model_reader",
    "shown_table",
    "to_python",
]

Term = Any
"""A symbol as plain Python (:func:`to_python`): ``int``, ``str``, or a tuple ``(name, *args)``."""


@dataclass(frozen=True)
class Predicate:
    """A predicate of the contract: its name, the names of its arguments and, for a
    shown one, what an answer groups it by (the whole answer, one category, one plan)."""

    name: str
    args: tuple[str, ...]
    scope: Literal["input", "answer", "category", "plan", "step"]

    @property
    def signature(self) -> tuple[str, int]:
        return self.name, len(self.args)


INPUTS: tuple[Predicate, ...] = (
    Predicate("subject", ("subject_type",), "input"),
    Predicate("has_role", ("role",), "input"),
    Predicate("holds", ("item",), "input"),
    Predicate("holds_count", ("item", "count"), "input"),
    Predicate("does", ("activity",), "input"),
    Predicate("goal_scenario", ("scenario",), "input"),
    Predicate("goal_category", ("category",), "input"),
    Predicate("goal_access", ("access",), "input"),
)
"""The externals of ``logic/inputs.lp``'s base part: the atoms a profile switches on."""

OVERRIDES: tuple[Predicate, ...] = (
    Predicate("overridden", ("item",), "input"),
    Predicate("override_bit", ("item", "bit"), "input"),
)
"""The externals of the program part :data:`OVERRIDE_PART` (``logic/inputs.lp``): a profile's
own cost of an item, as bits. Set with ``assign_external`` on the override grounding only."""

OVERRIDE_PART = "override_costs"
"""The program part that declares :data:`OVERRIDES`."""

OVERRIDE_BITS = 17
"""Bits per cost (0 … 100,000 < 2**17)."""

CHECKED_ARGUMENTS = ("-c", "inputs=checked")
"""clingo's arguments by which the engine tells the rules that it checks every profile itself
(``logic/inputs.lp``'s ``inputs_checked``): the rules' checks of a hand-written profile
(``input_problem/1``) are then not ground."""

SUMMARY_ARGUMENTS = ("-c", "detail=summary")
"""clingo's arguments that ask the rules for a summary (``logic/inputs.lp``'s ``summary``): the
statuses and the goal's cheapest plans, without the scenarios' plans, minimal missing sets,
reasons, warnings or next steps."""

SHOWN: tuple[Predicate, ...] = (
    Predicate("input_problem", ("problem",), "answer"),  # an analyst's .lp only: CHECKED_ARGUMENTS
    Predicate("subject_unsupported", ("subject_type",), "answer"),
    Predicate("direct_access", ("access",), "answer"),
    Predicate("status", ("category", "status"), "category"),
    Predicate("combined_access", ("category", "companion", "access"), "category"),
    Predicate("minimal_missing_set", ("category", "option"), "category"),
    Predicate("minimal_missing_item", ("category", "option", "item", "count"), "category"),
    Predicate("missing_set_alternative", ("category", "option", "in_category", "alternative"), "category"),
    Predicate("requires_category", ("category", "required", "activity"), "category"),
    Predicate("external_requirement", ("category", "external_category", "activity"), "category"),
    Predicate("reason", ("category", "why"), "category"),
    Predicate("warning", ("category", "what"), "category"),
    Predicate("cheapest", ("question", "plan"), "answer"),
    Predicate("no_plan", ("question",), "answer"),
    Predicate("no_plan_reason", ("question", "why"), "answer"),
    Predicate("blocked_in_question", ("question", "activity", "category"), "answer"),
    Predicate("required_in_question", ("question", "activity", "category"), "answer"),
    Predicate("scenario_not_given", ("note",), "answer"),
    Predicate("plan_category", ("plan", "category"), "plan"),
    Predicate("plan_alternative", ("plan", "category", "alternative"), "plan"),
    Predicate("plan_missing", ("plan", "item", "count"), "plan"),
    Predicate("plan_access", ("plan", "access"), "plan"),
    Predicate("plan_companion", ("plan", "category", "companion"), "plan"),
    Predicate("plan_external", ("plan", "category", "external_category"), "plan"),
    Predicate("plan_lead_time", ("plan", "days"), "plan"),
    Predicate("plan_assumes", ("plan", "activity"), "plan"),
    Predicate("step", ("item", "count"), "step"),
    Predicate("unlocks", ("item", "count", "category"), "step"),
    Predicate("step_gain", ("item", "count", "plan", "meets", "by"), "step"),
    Predicate("question_scope", ("question", "category"), "answer"),
)
"""The shown predicates of ``logic/show.lp``, in its order: the public output. A plan is
named by a term (``("p", category, option)``, ``("p", category, option, companion,
companion_option)`` or ``"direct"``); a question is ``"goal"`` or ``("scenario", id)``."""

GOAL = "goal"
"""The question of the profile's goal (``cheapest/2``'s first argument)."""

SCENARIO = "scenario"
"""The function symbol of a scenario's question: ``scenario(S)``."""

NO_PLAN_REASONS: dict[str, tuple[tuple[str, str], ...]] = {
    "activity_blocks": (("activity", "activity"), ("category", "category")),
    "subject_unsupported": (("subject_type", "subject_type"),),
    "role_missing": (("role", "role"), ("category", "category")),
    "role_not_for_type": (("role", "role"), ("category", "category"), ("subject_type", "subject")),
    "item_not_for_type": (("item", "item"), ("category", "category"), ("subject_type", "subject")),
    "goal_filters": (),
}
"""Every kind of ``no_plan_reason(Q, Why)`` term (``logic/explain.lp``): its arguments as (field
name, kind of id), in the order answers list them (the activity that blocks the goal first)."""

REASONS: dict[str, tuple[tuple[str, str], ...]] = {
    "unsupported_subject": (("subject_type", "subject_type"),),
    "excluded_by_activity": (("activity", "activity"),),
    "reserved": (("alternative", "alternative"), ("role", "role")),
    "reserved_for_other_type": (("alternative", "alternative"), ("role", "role"), ("subject_type", "subject")),
    "item_not_for_type": (("alternative", "alternative"), ("item", "item"), ("subject_type", "subject")),
    "blocked_by_activity": (("activity", "activity"),),
    "met": (("category", "category"), ("alternative", "alternative"), ("item", "item"), ("held", "item")),
    "nothing_required": (("category", "category"), ("alternative", "alternative")),
    "plain_only": (("alternative", "alternative"), ("item", "item"), ("plain", "item")),
    "requires_category": (("category", "category"), ("activity", "activity")),
    "required_category_unusable": (("category", "category"),),
    "external": (("external_category", "external_category"), ("activity", "activity")),
}
"""Every kind of ``reason(C, Why)`` term (``logic/explain.lp``): its arguments as
(field name in the answer, kind of id). An ``alternative`` is one of the reason's
own category unless the term names another ``category`` before it. A ``subject_type`` of kind
``subject_type`` is the source's rule about that type, of kind ``subject`` the subject's own type."""

WARNINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "note": (("id", "note"),),
    "remedy": (("id", "activity"),),
}
"""Every kind of ``warning(C, What)`` term: a note that travels with C, or the remedy for an activity."""

STATUSES: tuple[str, ...] = ("eligible", "missing", "not_applicable", "blocked")
"""The values of ``status(C, S)`` (``logic/eligibility.lp``), in the order answers explain them."""

ELIGIBLE = STATUSES[0]
"""The status of a category the subject may apply for now (the answer's ``eligible`` list)."""

DIRECT_STANDARD_LIVE = "standard_live"
"""The access method the answer's ``direct_standard_live`` field is about (an API field of the contract)."""

PRIORITIES: dict[int, str] = {
    8: "goal_no_plan",
    7: "goal_cost",
    6: "goal_missing_items",
    5: "goal_categories",
    4: "scenario_no_plan",
    3: "scenario_cost",
    2: "scenario_missing_items",
    1: "scenario_categories",
}
"""What each optimisation priority of ``logic/plan.lp`` counts (@8 … @1)."""


def costs_by_priority(priorities: Iterable[int], costs: Iterable[int]) -> dict[str, int]:
    """An optimisation vector by meaning (``{"goal_cost": 13, …}``); a level clingo leaves
    out because nothing is counted at it is 0."""
    out = dict.fromkeys(PRIORITIES.values(), 0)
    out.update({PRIORITIES[p]: c for p, c in zip(priorities, costs, strict=True)})
    return out


def input_atoms(profile: Profile, counted_limit: dict[str, int]) -> set[tuple[Term, ...]]:
    """A validated profile's input atoms, each in the plain-Python form of its symbol
    (``("holds", "business_license")``), which names one external of the grounding.

    A ``counts`` entry replaces the item's ``documents`` entry; a count of a counted
    item is capped at the largest count any requirement asks (``counted_limit``):
    holding more changes nothing."""
    atoms: set[tuple[Term, ...]] = {("subject", profile.subject.type)}
    atoms |= {("has_role", r) for r in profile.subject.roles}
    held = dict.fromkeys(profile.documents, 1)
    held.update(profile.counts)
    for item, n in held.items():
        if n <= 0:
            continue
        if item in counted_limit:
            atoms.add(("holds_count", item, min(n, counted_limit[item])))
        else:
            atoms.add(("holds", item))
    atoms |= {("does", a) for a in profile.activities}
    if profile.goal.scenario is not None:
        atoms.add(("goal_scenario", profile.goal.scenario))
    atoms |= {("goal_category", c) for c in profile.goal.categories}
    if profile.goal.access is not None:
        atoms.add(("goal_access", profile.goal.access))
    return atoms


# -- symbols as plain Python ---------------------------------------------------------
def to_python(sym: clingo.Symbol, memo: dict[clingo.Symbol, Term] | None = None) -> Term:
    """A symbol as plain Python: a number as ``int``, a string or constant as ``str``,
    a compound term as a tuple ``(name, *args)`` (``name`` is ``""`` for a tuple).
    With ``memo``, each distinct symbol (subterms too) is converted once and kept there."""
    if memo is not None:
        known = memo.get(sym)
        if known is not None:
            return known
    if sym.type == clingo.SymbolType.Number:
        term: Term = sym.number
    elif sym.type == clingo.SymbolType.String:
        term = sym.string
    else:
        args = sym.arguments
        term = (sym.name, *(to_python(a, memo) for a in args)) if args else sym.name
    if memo is not None:
        memo[sym] = term
    return term


def group(atoms: Iterable[Term]) -> dict[str, list[tuple[Term, ...]]]:
    """Shown atoms (as :func:`to_python` gives them) by predicate name: each a list of argument tuples."""
    out: dict[str, list[tuple[Term, ...]]] = {p.name: [] for p in SHOWN}
    for atom in atoms:
        if isinstance(atom, str):
            out[atom].append(())
        else:
            out[atom[0]].append(atom[1:])
    return out


# -- reading models -------------------------------------------------------------------
ModelReader = Any
"""A reader for one Control's models: :class:`FastModelReader` or :class:`PublicModelReader`."""


def shown_table(ctl: clingo.Control, reader: ModelReader) -> dict[Any, Term]:
    """Every atom of a shown predicate the grounding can make true, by the key
    ``reader.shown`` returns for it (its symbol handle, or its ``Symbol`` for the
    public reader), as plain Python. Built once per grounding: reading a model is
    then a lookup per atom."""
    table: dict[Any, Term] = {}
    converted: dict[clingo.Symbol, Term] = {}  # the atoms share most subterms: each converted once
    for pred in SHOWN:
        for atom in ctl.symbolic_atoms.by_signature(*pred.signature):
            table[reader.key(atom.symbol)] = to_python(atom.symbol, converted)
    return table


class PublicModelReader:
    """Reads models through clingo's public API (``Model.symbols``, ``Model.is_true``)."""

    @staticmethod
    def key(sym: clingo.Symbol) -> Any:
        return sym

    def capacity(self, n: int) -> None:
        """Nothing to prepare: ``Model.symbols`` sizes its own list."""

    def shown(self, model: clingo.Model) -> list[Any]:
        return list(model.symbols(shown=True))

    def proven(self, model: clingo.Model) -> bool:
        return model.optimality_proven

    def truth(self, model: clingo.Model) -> Callable[[int], bool]:
        return model.is_true


try:  # clingo's own cffi binding: the calls below skip the wrappers' per-call allocations
    from clingo._internal import _ffi, _handle_error, _lib
except ImportError:  # pragma: no cover - another clingo build: the public twin answers the same
    _lib = None


class FastModelReader:
    """Reads models through clingo's C API: the shown atoms as their interned symbol
    handles (one call and one copy, instead of a ``Symbol`` object per atom) and
    ``is_true`` and optimality with one reused out-buffer. A Control is used by one
    thread at a time, and so is its reader."""

    @staticmethod
    def key(sym: clingo.Symbol) -> Any:
        return sym._rep

    def __init__(self) -> None:
        self._size = _ffi.new("size_t*")
        self._bool = _ffi.new("bool*")
        self._n = 0

    def capacity(self, n: int) -> None:
        """At most ``n`` atoms are shown (the grounding's shown table): read a model with one
        call into a buffer of that size, its unused end marked by a handle no shown atom has
        (clingo computes a model's shown atoms anew on each call, so asking their number first
        computes them twice)."""
        self._n = n
        self._mark = clingo.Supremum._rep
        self._blank = _ffi.new("clingo_symbol_t[]", [self._mark] * n)
        self._buf = _ffi.new("clingo_symbol_t[]", n)

    def shown(self, model: clingo.Model) -> list[int]:
        n = self._n
        if n:
            buf = self._buf
            _ffi.memmove(buf, self._blank, _ffi.sizeof(buf))
            if _lib.clingo_model_symbols(model._rep, _lib.clingo_show_type_shown, buf, n):
                handles = _ffi.unpack(buf, n)
                try:
                    return handles[: handles.index(self._mark)]
                except ValueError:
                    return handles
            # more shown atoms than the table holds (never, for a signature-only #show): read as below
        rep, size = model._rep, self._size
        _handle_error(_lib.clingo_model_symbols_size(rep, _lib.clingo_show_type_shown, size))
        n = size[0]
        handles = _ffi.new("clingo_symbol_t[]", n)
        _handle_error(_lib.clingo_model_symbols(rep, _lib.clingo_show_type_shown, handles, n))
        return _ffi.unpack(handles, n)

    def proven(self, model: clingo.Model) -> bool:
        if not _lib.clingo_model_optimality_proven(model._rep, self._bool):
            _handle_error(False)
        return bool(self._bool[0])

    def truth(self, model: clingo.Model) -> Callable[[int], bool]:
        rep, out, call = model._rep, self._bool, _lib.clingo_model_is_true

        def is_true(literal: int) -> bool:
            if not call(rep, literal, out):
                _handle_error(False)
            return bool(out[0])

        return is_true


model_reader: type = FastModelReader if _lib is not None else PublicModelReader
"""The reader the solver uses: the C API one where this clingo has it."""
