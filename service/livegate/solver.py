"""The solver: the knowledge base grounded once, a profile solved per call.

``logic/inputs.lp`` declares every input atom as an external over its domain.
After grounding, each external's solver literal is looked up once, keyed by the
plain-Python form of its symbol (``("holds", "business_license")``); a
profile's input atoms become a list of assumption literals, never program
text. The shown atoms of the first optimal model are read as one list, and
every further optimal model through the literals of its plan atoms only
(:mod:`livegate.contract` reads them).

Cost overrides are numbers the grounder needs (they feed ``#sum`` and
``#minimize``), so each distinct set is grounded once, as facts of the
``cost/2`` program part, and kept by :class:`Groundings` (least recently used
out first).

Thread safety: a ``clingo.Control`` must not be used by two threads at once.
Each grounding keeps a pool of Controls; a call borrows one, solves, and
returns it. A thread that finds none free waits for one. One watchdog thread
interrupts a solve that passes its time bound (``Control.interrupt`` is
thread-safe), and the Control stays usable.
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

from . import contract
from .contract import Term
from .kb import Knowledge

__all__ = ["Answer", "EvaluationTimeout", "Groundings", "Solver", "Watchdog"]

Overrides = tuple[tuple[str, int], ...]
"""A profile's cost overrides that differ from the defaults, sorted: ``(("business_license", 0),)``."""


class EvaluationTimeout(RuntimeError):
    """The solver did not finish within the time bound; the call was interrupted."""

    status = 503

    def to_dict(self) -> dict[str, Any]:
        return {"code": "evaluation_timeout", "message": str(self), "field": None}


@dataclass(frozen=True)
class Answer:
    """The solver's answer for one profile: the shown atoms of the first optimal
    model, and for every optimal model its plan atoms (``None`` for the first,
    whose plan atoms are among ``atoms``) with its optimisation vector by meaning
    (:func:`contract.costs_by_priority`)."""

    atoms: list[Term]
    plans: list[tuple[list[Term] | None, dict[str, int]]]
    overrides: Overrides


class Solver:
    """One grounded Control, the literal of each of its externals and a table of its shown atoms."""

    def __init__(self, knowledge: Knowledge, overrides: Overrides = (), reader: type = contract.model_reader):
        ctl = clingo.Control(["--opt-mode=optN", "--models=0", "--warn=none"])
        for path in knowledge.facts_files:
            ctl.load(str(path))
        ctl.load(str(knowledge.logic_entry))
        parts: list[tuple[str, list[clingo.Symbol]]] = [("base", [])]
        parts += [("cost", [clingo.Function(item), clingo.Number(weight)]) for item, weight in overrides]
        ctl.ground(parts)
        # every input atom by its plain-Python form, with its position in the
        # assumption list: a profile's assumptions are this list of negative
        # literals with its own atoms' positions flipped
        self.position: dict[tuple[Term, ...], int] = {}
        self.all_false: list[int] = []
        for pred in contract.INPUTS:
            for atom in ctl.symbolic_atoms.by_signature(*pred.signature):
                if atom.is_external:
                    self.position[contract.to_python(atom.symbol)] = len(self.all_false)
                    self.all_false.append(-atom.literal)
                    ctl.assign_external(atom.literal, None)
        self.reader = reader()
        self.table = contract.shown_table(ctl, self.reader)
        self.plan_literals = self._plan_literals(ctl, knowledge)
        self.ctl = ctl

    def _plan_literals(self, ctl: clingo.Control, knowledge: Knowledge) -> list[tuple[int, Term, list]]:
        """The plan atoms the ground program can make true, with their solver literal:
        every optimal model after the first is read through these instead of walking
        all shown atoms. Those that depend on a category (its alternatives, its external
        requirements, the items its alternatives ask for) are checked only when the
        category is in the plan."""
        by_category: dict[str, list[tuple[int, Term]]] = {c: [] for c in knowledge.catalogue.categories}
        by_item: dict[str, list[tuple[int, Term]]] = {}
        plain: list[tuple[int, Term]] = []
        for pred in contract.PLAN:
            for atom in ctl.symbolic_atoms.by_signature(*pred.signature):
                entry = (atom.literal, contract.to_python(atom.symbol))
                first = pred.args[0] if pred.args else None
                if first == "category" and pred.name not in {"plan_category", "plan_companion"}:
                    by_category[entry[1][1]].append(entry)
                elif first == "item":
                    by_item.setdefault(entry[1][1], []).append(entry)
                else:
                    plain.append(entry)
        for c, info in knowledge.catalogue.categories.items():
            items = sorted({r.item for alt in info.alternatives for r in alt.items})
            by_category[c] += [entry for i in items for entry in by_item.get(i, [])]
        return [
            (lit, atom, by_category[atom[1]] if isinstance(atom, tuple) and atom[0] == "plan_category" else [])
            for lit, atom in plain
        ]

    def assumptions(self, true_atoms: set[tuple[Term, ...]]) -> list[int]:
        literals = self.all_false.copy()
        position = self.position
        for atom in true_atoms:
            k = position.get(atom)
            if k is not None:  # every validated id has its external; others change nothing
                literals[k] = -literals[k]
        return literals

    def solve(
        self,
        true_atoms: set[tuple[Term, ...]],
        overrides: Overrides,
        timeout: float | None,
        watchdog: Watchdog,
        bound: float | None = None,
    ) -> Answer:
        """Solve with the profile's atoms; interrupted after ``timeout`` seconds
        (what is left of the evaluation's ``bound``, named in the error)."""
        bound = timeout if bound is None else bound
        first: list[Any] = []
        plans: list[tuple[list[Term] | None, dict[str, int]]] = []
        # locals, not self: the Control keeps its last handler, and a closure over
        # self would make Control -> handler -> self -> Control a cycle that only
        # the cyclic collector frees
        plan_literals, reader = self.plan_literals, self.reader

        def on_model(model: clingo.Model) -> None:
            if not reader.proven(model):
                return
            costs = contract.costs_by_priority(model.priority, model.cost)
            if not first:  # the first optimal model: every shown atom, its plan's among them
                first.extend(reader.shown(model))
                plans.append((None, costs))
                return
            is_true = reader.truth(model)
            atoms: list[Term] = []
            seen: set[int] = set()
            for lit, atom, dependent in plan_literals:
                if is_true(lit):
                    atoms.append(atom)
                    for dep_lit, dep_atom in dependent:
                        if dep_lit not in seen and is_true(dep_lit):
                            seen.add(dep_lit)
                            atoms.append(dep_atom)
            plans.append((atoms, costs))

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
        table = self.table
        return Answer([table[key] for key in first], plans, overrides)


class Watchdog:
    """Interrupts solves that pass their deadline. One thread per engine, started on
    first use, instead of an asynchronous solve per call (which costs a thread per call)."""

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

    def __init__(
        self, knowledge: Knowledge, overrides: Overrides, size: int, builder: ThreadPoolExecutor, reader: type
    ):
        self.knowledge, self.overrides, self.size, self.reader = knowledge, overrides, size, reader
        self.idle: queue.SimpleQueue[Solver] = queue.SimpleQueue()
        self.made = 0
        self.lock = threading.Lock()
        self.builder = builder

    def take(self, deadline: float | None, bound: float | None) -> Solver:
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
                raise EvaluationTimeout(
                    f"the evaluation took longer than {bound:g} s and was stopped (while waiting for a free solver)"
                ) from None
        future = self.builder.submit(Solver, self.knowledge, self.overrides, self.reader)
        try:
            return future.result(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            future.add_done_callback(self._adopt)
            raise EvaluationTimeout(
                f"the evaluation took longer than {bound:g} s and was stopped (while grounding its cost overrides)"
            ) from None
        except BaseException:
            with self.lock:
                self.made -= 1
            raise

    def _adopt(self, future: Future[Solver]) -> None:
        if future.exception() is None:
            self.give(future.result())
        else:
            with self.lock:
                self.made -= 1

    def give(self, solver: Solver) -> None:
        self.idle.put(solver)


class Groundings:
    """The pools of Controls: the base grounding (``pool_size`` Controls) and one per
    distinct set of cost overrides, the ``override_groundings`` most recently used
    kept (at most two Controls each)."""

    def __init__(
        self,
        knowledge: Knowledge,
        *,
        pool_size: int = 4,
        override_groundings: int = 16,
        reader: type = contract.model_reader,
    ):
        self.knowledge, self.pool_size, self.keep, self.reader = knowledge, pool_size, override_groundings, reader
        self._pools: OrderedDict[Overrides, _Pool] = OrderedDict()
        self._lock = threading.Lock()
        self._builder = ThreadPoolExecutor(max_workers=2, thread_name_prefix="livegate-ground")
        self.watchdog = Watchdog()
        base = self.pool(())
        base.give(base.take(None, None))  # ground once now, not on the first request

    def pool(self, overrides: Overrides) -> _Pool:
        with self._lock:
            pool = self._pools.get(overrides)
            if pool is None:
                size = self.pool_size if not overrides else min(self.pool_size, 2)
                pool = _Pool(self.knowledge, overrides, size, self._builder, self.reader)
                self._pools[overrides] = pool
            self._pools.move_to_end(overrides)
            while len(self._pools) > self.keep + 1:
                del self._pools[next(k for k in self._pools if k != ())]
            return pool

    def solve(self, atoms: set[tuple[Term, ...]], overrides: Overrides, bound: float | None) -> Answer:
        """Solve on a Control of the overrides' grounding, within ``bound`` seconds in all."""
        deadline = None if bound is None else time.monotonic() + bound
        pool = self.pool(overrides)
        solver = pool.take(deadline, bound)
        try:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            return solver.solve(atoms, overrides, remaining, self.watchdog, bound)
        finally:
            pool.give(solver)
