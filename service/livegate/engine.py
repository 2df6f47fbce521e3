"""The engine: the knowledge base grounded once, a profile answered per call.

How it answers a profile without grounding again: ``logic/inputs.lp`` declares
every input atom (``subject/1``, ``holds/1``, ``holds_count/2``, ``does/1``,
``goal_*``) as an external over its domain. After grounding, each external's
solver literal is looked up once, keyed by the plain-Python form of its
symbol; a profile becomes a list of assumption literals (positive for its
atoms, negative for all others), never program text. Models are read through
clingo's C API (:class:`_ModelReader`): symbol handles and literals, no
``Symbol`` object per atom. Cost overrides are numbers the
grounder needs (they feed ``#sum`` and ``#minimize``), so each distinct set of
overrides is grounded once, as facts of the ``cost/2`` program part with
symbol parameters, and kept in a small LRU cache.

Thread safety: a ``clingo.Control`` must not be used by two threads at once.
Each ruleset grounding keeps a pool of Controls; a call borrows one, solves,
and returns it. Up to ``pool_size`` Controls are grounded per pool, lazily; a
thread that finds none free waits for one. Request state never outlives a call.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import clingo

from .explain import Shaper, to_python
from .knowledge import Knowledge
from .profile import Profile, parse_profile

__all__ = ["Engine", "EvaluationTimeout", "Answer"]


class EvaluationTimeout(RuntimeError):
    """The solver did not finish within the time bound; the call was interrupted."""

    status = 503

    def to_dict(self) -> dict[str, Any]:
        return {"code": "evaluation_timeout", "message": str(self), "field": None}


PLAN_SIGNATURES = (("plan_direct", 0), ("plan_category", 1), ("plan_alternative", 2), ("plan_missing", 2),
                   ("plan_access", 1), ("plan_companion", 2), ("plan_external", 2), ("no_plan", 0))
"""The shown atoms of ``logic/plan.lp`` that tell one optimal plan from another."""

INPUT_SIGNATURES = (("subject", 1), ("has_role", 1), ("holds", 1), ("holds_count", 2), ("does", 1),
                    ("goal_scenario", 1), ("goal_category", 1), ("goal_access", 1))
"""The externals of ``logic/inputs.lp``: the predicates a profile switches on."""


try:  # clingo's own cffi binding: the calls below skip the wrappers' per-call allocations
    from clingo._internal import _ffi, _handle_error, _lib
    _SHOWN = _lib.clingo_show_type_shown
except ImportError:  # pragma: no cover - another clingo build: the public API (slower, same answers)
    _lib = None


class _ModelReader:
    """Reads models of one Control through clingo's C API: the shown atoms as
    their interned symbol handles (one call and one copy, instead of a
    ``Symbol`` object per atom) and ``is_true`` with one reused out-buffer
    (``Model.is_true`` allocates one per call). A Control is used by one thread
    at a time, and so is its reader."""

    def __init__(self) -> None:
        if _lib is not None:
            self._size = _ffi.new("size_t*")
            self._bool = _ffi.new("bool*")

    def shown(self, model: clingo.Model) -> list[int]:
        if _lib is None:
            return [s._rep for s in model.symbols(shown=True)]
        rep, size = model._rep, self._size
        _handle_error(_lib.clingo_model_symbols_size(rep, _SHOWN, size))
        n = size[0]
        handles = _ffi.new("clingo_symbol_t[]", n)
        _handle_error(_lib.clingo_model_symbols(rep, _SHOWN, handles, n))
        return _ffi.unpack(handles, n)

    def proven(self, model: clingo.Model) -> bool:
        """``model.optimality_proven``."""
        if _lib is None:
            return model.optimality_proven
        if not _lib.clingo_model_optimality_proven(model._rep, self._bool):
            _handle_error(False)
        return self._bool[0]

    def truth(self, model: clingo.Model):
        """A function literal -> bool for this model."""
        if _lib is None:
            return model.is_true
        rep, out, call = model._rep, self._bool, _lib.clingo_model_is_true

        def is_true(literal: int) -> bool:
            if not call(rep, literal, out):
                _handle_error(False)
            return out[0]
        return is_true


@dataclass
class Answer:
    """The solver's answer for one profile: the shown atoms of the first
    optimal model (as clingo's symbol handles, see :func:`explain.to_python_rep`),
    and for every optimal model its plan atoms (plain Python, see
    :func:`explain.to_python`; ``None`` for the first model, whose plan atoms
    are among ``handles``) and its optimisation vector."""

    handles: list[int]
    plans: list[tuple[list | None, list[int]]]
    overrides: tuple[tuple[str, int], ...] = ()
    """The cost overrides of the grounding that answered (item costs follow from them)."""


class _Solver:
    """One grounded Control and the literal of each of its externals."""

    def __init__(self, knowledge: Knowledge, overrides: tuple[tuple[str, int], ...]):
        ctl = clingo.Control(["--opt-mode=optN", "--models=0", "--warn=none"])
        for path in knowledge.facts_files:
            ctl.load(str(path))
        ctl.load(str(knowledge.logic_entry))
        parts = [("base", [])]
        parts += [("cost", [clingo.Function(item), clingo.Number(weight)]) for item, weight in overrides]
        ctl.ground(parts)
        # every input atom by its plain-Python form (``("holds", "business_license")``),
        # with its position in the assumption list: a profile's assumptions are
        # this list of negative literals with its own atoms' positions flipped
        self.position: dict[tuple, int] = {}
        self.all_false: list[int] = []
        self.count_limit: dict[str, int] = {}
        for name, arity in INPUT_SIGNATURES:
            for atom in ctl.symbolic_atoms.by_signature(name, arity):
                if not atom.is_external:
                    continue
                key = to_python(atom.symbol)
                self.position[key] = len(self.all_false)
                self.all_false.append(-atom.literal)
                ctl.assign_external(atom.literal, None)
                if name == "holds_count":
                    self.count_limit[key[1]] = max(self.count_limit.get(key[1], 0), key[2])
        self.reader = _ModelReader()
        # The plan atoms the ground program can make true, with their solver
        # literal: every optimal model is read through these instead of
        # walking all shown atoms. Those that depend on a category (its
        # alternatives, its external requirements, the items its alternatives
        # ask for) are checked only when the category is in the plan.
        by_category: dict[str, list[tuple[int, Any]]] = {c: [] for c in knowledge.catalogue.categories}
        by_item: dict[str, list[tuple[int, Any]]] = {}
        self.plan_literals: list[tuple[int, Any, list[tuple[int, Any]]]] = []
        for name, arity in PLAN_SIGNATURES:
            for atom in ctl.symbolic_atoms.by_signature(name, arity):
                entry = (atom.literal, to_python(atom.symbol))
                if name in ("plan_alternative", "plan_external"):
                    by_category[entry[1][1]].append(entry)
                elif name == "plan_missing":
                    by_item.setdefault(entry[1][1], []).append(entry)
                else:
                    self.plan_literals.append((*entry, []))
        for c, info in knowledge.catalogue.categories.items():
            items = {req["item"] for alt in info["alternatives"] for req in alt["items"]}
            by_category[c] += [entry for i in sorted(items) for entry in by_item.get(i, [])]
        self.plan_literals = [(lit, atom, by_category[atom[1]] if atom[0] == "plan_category" else extra)
                              for lit, atom, extra in self.plan_literals]
        self.ctl = ctl

    def assumptions(self, true_atoms: set[tuple]) -> list[int]:
        literals = self.all_false.copy()
        position = self.position
        for atom in true_atoms:
            k = position.get(atom)
            if k is not None:  # every validated id has its external; as before, others change nothing
                literals[k] = -literals[k]
        return literals

    def solve(self, true_atoms: set[tuple], timeout: float | None,
              watchdog: "_Watchdog", bound: float | None = None) -> Answer:
        """Solve with the profile's atoms; interrupted after ``timeout`` seconds
        (what is left of the evaluation's ``bound``, named in the error)."""
        bound = timeout if bound is None else bound
        handles: list[int] = []
        plans: list[tuple[list, list[int]]] = []
        # a local, not self: the Control keeps its last handler, and a closure
        # over self would make Control -> handler -> self -> Control a cycle
        # that only the cyclic collector frees (evicted groundings linger)
        plan_literals, reader = self.plan_literals, self.reader

        def on_model(model: clingo.Model) -> None:
            if not reader.proven(model):
                return
            if not handles:  # the first optimal model: every shown atom, its plan's among them
                handles.extend(reader.shown(model))
                plans.append((None, list(model.cost)))  # None: the plan atoms among the handles
                return
            is_true = reader.truth(model)
            atoms, seen = [], set()
            for lit, atom, dependent in plan_literals:
                if is_true(lit):
                    atoms.append(atom)
                    for dep_lit, dep_atom in dependent:
                        if dep_lit not in seen and is_true(dep_lit):
                            seen.add(dep_lit)
                            atoms.append(dep_atom)
            plans.append((atoms, list(model.cost)))

        if timeout is not None:
            watchdog.arm(self.ctl, timeout)
        fired = False
        try:
            result = self.ctl.solve(assumptions=self.assumptions(true_atoms), on_model=on_model)
        finally:
            if timeout is not None:
                fired = watchdog.disarm(self.ctl)
        if fired and not result.interrupted:
            # The interrupt came as the search was ending: clingo keeps an
            # interrupt that finds no search for the next solve, which would
            # then stop at once. Spend it on a throwaway call.
            self.ctl.solve(assumptions=self.assumptions(set()))
        if result.interrupted:
            raise EvaluationTimeout(f"the evaluation took longer than {bound:g} s and was stopped")
        if not result.satisfiable or not plans:
            raise RuntimeError("the knowledge base has no answer for this profile (inconsistent rules)")
        return Answer(handles, plans)


class _Watchdog:
    """Interrupts solves that pass their deadline (``Control.interrupt`` is
    thread-safe). One thread per engine, started on first use, instead of an
    asynchronous solve per call (which costs a thread per call)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadlines: dict[int, tuple[float, clingo.Control]] = {}
        self._thread: threading.Thread | None = None

    def arm(self, ctl: clingo.Control, timeout: float) -> None:
        with self._cond:
            self._deadlines[id(ctl)] = (time.monotonic() + timeout, ctl)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="livegate-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self, ctl: clingo.Control) -> bool:
        """Forget the deadline; True if the watchdog already interrupted this Control."""
        with self._cond:
            return self._deadlines.pop(id(ctl), None) is None

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._deadlines:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                for key, (deadline, ctl) in list(self._deadlines.items()):
                    if deadline <= now:
                        ctl.interrupt()
                        del self._deadlines[key]
                if self._deadlines:
                    self._cond.wait(min(d for d, _ in self._deadlines.values()) - now)


class _Pool:
    """The Controls of one grounding (the base, or one set of cost overrides)."""

    def __init__(self, knowledge: Knowledge, overrides: tuple[tuple[str, int], ...], size: int,
                 builder: ThreadPoolExecutor):
        self.knowledge, self.overrides, self.size = knowledge, overrides, size
        self.idle: queue.SimpleQueue[_Solver] = queue.SimpleQueue()
        self.made = 0
        self.lock = threading.Lock()
        self.builder = builder

    def take(self, deadline: float | None, bound: float | None = None) -> _Solver:
        """An idle Control, a new one, or the next one given back; by ``deadline``
        (``time.monotonic()``) or :class:`EvaluationTimeout`. Grounding cannot be
        interrupted, so a new Control is grounded on the builder thread: past the
        deadline the caller gets its 503 and the grounding, once done, joins the pool."""
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            pass
        with self.lock:
            make = self.made < self.size
            if make:
                self.made += 1
        if not make:
            try:
                return self.idle.get(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise EvaluationTimeout(f"the evaluation took longer than {bound:g} s and was stopped "
                                        "(while waiting for a free solver)") from None
        future = self.builder.submit(_Solver, self.knowledge, self.overrides)
        try:
            return future.result(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            future.add_done_callback(self._adopt)
            raise EvaluationTimeout(f"the evaluation took longer than {bound:g} s and was stopped "
                                    "(while grounding its cost overrides)") from None
        except BaseException:
            with self.lock:
                self.made -= 1
            raise

    def _adopt(self, future: Future) -> None:
        if future.exception() is None:
            self.give(future.result())
        else:
            with self.lock:
                self.made -= 1

    def give(self, solver: _Solver) -> None:
        self.idle.put(solver)


class Engine:
    """Answers profiles against one knowledge base.

    ``Engine()`` loads the knowledge base shipped with the package and grounds
    it once; :meth:`evaluate` answers one profile (a dict as decoded from JSON)
    with the JSON-ready dict of SPEC section 3.

    ``answer_cache=N`` keeps the last N answers (0, the default: none), keyed by
    what they are a function of: the profile's input atoms, its cost overrides
    and whether explanations are asked. A profile asked again is then answered
    without solving (the API turns it on: ``LIVEGATE_ANSWER_CACHE``). The
    knowledge base of an engine never changes, so an entry never goes stale.
    """

    def __init__(self, knowledge: Knowledge | None = None, *, pool_size: int = 4,
                 override_cache: int = 16, timeout: float | None = None, answer_cache: int = 0):
        self.knowledge = knowledge or Knowledge.load()
        self.catalogue = self.knowledge.catalogue
        self.pool_size = pool_size
        self.timeout = timeout
        self._override_cache = override_cache
        self._pools: OrderedDict[tuple, _Pool] = OrderedDict()
        self._pools_lock = threading.Lock()
        self._watchdog = _Watchdog()
        self._builder = ThreadPoolExecutor(max_workers=2, thread_name_prefix="livegate-ground")
        self._default = self._pool(())
        first = self._default.take(None)  # ground once now, not on the first request
        self._count_limit = first.count_limit  # the same in every grounding (it does not depend on costs)
        self._default.give(first)
        self.answer_cache = answer_cache
        self._answers: dict[tuple, dict] = {}
        self._answers_lock = threading.Lock()
        self.ruleset = {"version": self.knowledge.version, "digest": self.knowledge.digest}
        self._shaper = Shaper(self.catalogue, self.ruleset)

    # -- pools ---------------------------------------------------------------
    def _pool(self, overrides: tuple[tuple[str, int], ...]) -> _Pool:
        with self._pools_lock:
            pool = self._pools.get(overrides)
            if pool is None:
                # a grounding with cost overrides is rarer: at most two Controls of it
                size = self.pool_size if not overrides else min(self.pool_size, 2)
                pool = _Pool(self.knowledge, overrides, size, self._builder)
                self._pools[overrides] = pool
            self._pools.move_to_end(overrides)
            while len(self._pools) > self._override_cache + 1:
                oldest = next(k for k in self._pools if k != ())
                del self._pools[oldest]
            return pool

    # -- inputs --------------------------------------------------------------
    @staticmethod
    def _input_atoms(profile: Profile, count_limit: dict[str, int]) -> set[tuple]:
        """The profile's input atoms, each in the plain-Python form of its symbol
        (``("holds", "business_license")`` for ``holds(business_license)``),
        which names one external of the grounding."""
        atoms = {("subject", profile.subject.type)}
        atoms |= {("has_role", r) for r in profile.subject.roles}
        held = {i: 1 for i in profile.documents}
        held.update(profile.counts)  # counts replace a document's entry
        for item, n in held.items():
            if n <= 0:
                continue
            if item in count_limit:
                atoms.add(("holds_count", item, min(n, count_limit[item])))
            else:
                atoms.add(("holds", item))
        atoms |= {("does", a) for a in profile.activities}
        if profile.goal.scenario is not None:
            atoms.add(("goal_scenario", profile.goal.scenario))
        atoms |= {("goal_category", c) for c in profile.goal.categories}
        if profile.goal.access is not None:
            atoms.add(("goal_access", profile.goal.access))
        return atoms

    def _overrides(self, profile: Profile) -> tuple[tuple[str, int], ...]:
        """The profile's cost overrides that differ from the defaults, sorted: one grounding each."""
        return tuple(sorted((i, w) for i, w in profile.costs.items()
                            if w != self.catalogue.items[i]["default_cost"]))

    # -- public --------------------------------------------------------------
    def parse(self, data: Any) -> Profile:
        """Validate a decoded JSON profile; raises :class:`ProfileError`."""
        return parse_profile(data, self.catalogue)

    def solve(self, profile: Profile, timeout: float | None = None) -> Answer:
        """Solve a validated profile; the raw atoms of the answer."""
        return self._solve(self._input_atoms(profile, self._count_limit), self._overrides(profile), timeout)

    def _solve(self, atoms: set[tuple], overrides: tuple[tuple[str, int], ...], timeout: float | None) -> Answer:
        bound = self.timeout if timeout is None else timeout
        deadline = None if bound is None else time.monotonic() + bound
        pool = self._pool(overrides)
        solver = pool.take(deadline, bound)
        try:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            answer = solver.solve(atoms, remaining, self._watchdog, bound)
            answer.overrides = overrides
            return answer
        finally:
            pool.give(solver)

    def evaluate(self, data: Any, *, explain_: bool = True, timeout: float | None = None) -> dict:
        """Answer one profile (decoded JSON) with the response of SPEC section 3.

        The answer is fresh at its top level, but its category entries and
        plans may be shared with other answers (they are cached by the atoms
        they are made of): treat them as read-only, and ``copy.deepcopy`` an
        answer before changing it."""
        profile = data if isinstance(data, Profile) else self.parse(data)
        atoms, overrides = self._input_atoms(profile, self._count_limit), self._overrides(profile)
        if not self.answer_cache:
            return self._shaper.response(profile, self._solve(atoms, overrides, timeout), with_explanations=explain_)
        # the answer is a function of the input atoms, the cost overrides and explain_
        key = (frozenset(atoms), overrides, explain_)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._shaper.response(profile, self._solve(atoms, overrides, timeout),
                                           with_explanations=explain_)
            with self._answers_lock:
                while len(self._answers) >= self.answer_cache:  # the oldest first
                    del self._answers[next(iter(self._answers))]
                self._answers[key] = answer
        return dict(answer)

