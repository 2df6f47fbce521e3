"""The solver: the knowledge base grounded once, a profile solved per call.

``logic/inputs.lp`` declares every input atom as an external over its domain.
After grounding, each external's solver literal is looked up once, keyed by the
plain-Python form of its symbol (``("holds", "business_license")``); a
profile's input atoms become a list of assumption literals, never program text.

Costs are data, never ground anew: two groundings of the same rules are made at
start-up. The default grounding answers profiles that state no cost of their
own. The override grounding adds the program part ``override_costs``, whose
externals say which items the profile costs itself and that cost's bits; like
the input externals they are assumptions of each solve, true for the call's own
costs. Profiles without costs of their own do not carry the ~1,100 bit externals.

The solver runs with ``--opt-mode=optN --enum-mode=brave``: the last model it
reports holds every atom true in some optimal model, so one read gives all the
tied cheapest plans of the goal and of every scenario (:mod:`livegate.contract`
says what each shown atom is).

Thread safety: a ``clingo.Control`` must not be used by two threads at once.
Each grounding keeps a pool of Controls; a call borrows one, solves, and
returns it. A thread that finds none free waits for one. One watchdog thread
interrupts a solve that passes its time bound (``Control.interrupt`` is
thread-safe), and the Control stays usable.
"""

from __future__ import annotations

import functools
import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import clingo

from . import contract
from .contract import Term
from .kb import Knowledge, ground_files
from .words import ENGLISH, Message, Said

__all__ = ["Answer", "EvaluationTimeout", "Groundings", "Solver", "Watchdog"]

Overrides = tuple[tuple[str, int], ...]
"""A profile's own costs that differ from the defaults, sorted: ``(("business_license", 0),)``."""

OPTIONS = (
    "--opt-mode=optN",
    "--enum-mode=brave",
    "--opt-strategy=usc",
    "--heuristic=Vmtf",
    "--models=0",
    "--warn=none",
)
"""How every Control solves: all optimal models' atoms, as brave consequences.

``--opt-strategy=usc`` (core-guided optimisation) instead of clingo's default
branch-and-bound: equal on today's knowledge base, and on a ten-times larger
synthetic one it proves the optimum in under a second where branch-and-bound
took minutes. ``--heuristic=Vmtf`` instead of the default ``Vsids``: it changes
which models are met first, never the answer (the brave consequences of every
optimal model), and a median evaluation needs no choice at all, so what it saves
is ``Vsids``'s work on every call: 7 % of an evaluation's median and 8 % of its
p99 on the shipped knowledge base (docs/performance.md has the figures)."""


class EvaluationTimeout(Said, RuntimeError):
    """The solver did not finish within the time bound; the call was interrupted."""

    status = 503
    retry_after = 1
    """Seconds a client should wait before asking again (``Retry-After``): the bound was passed
    on a busy worker, or by a profile that is hard for this ruleset; one retry tells which."""

    def to_dict(self, lang: str = ENGLISH) -> dict[str, Any]:
        return {"code": "evaluation_timeout", "message": self.said.text(lang), "field": None}


@dataclass(frozen=True)
class Answer:
    """The solver's answer for one profile: the shown atoms true in some optimal model, and
    the optimisation vector by meaning (:func:`contract.costs_by_priority`)."""

    atoms: list[Term]
    costs: dict[str, int]


class Solver:
    """One grounded Control, the literal of each of its externals and a table of its shown atoms."""

    def __init__(
        self,
        knowledge: Knowledge,
        *,
        overrides: bool = False,
        summary: bool = False,
        reader: type = contract.model_reader,
    ):
        arguments = [*OPTIONS, *contract.CHECKED_ARGUMENTS, *(contract.SUMMARY_ARGUMENTS if summary else ())]
        parts: list[tuple[str, list[clingo.Symbol]]] = [("base", [])]
        if overrides:
            parts.append((contract.OVERRIDE_PART, []))
        # rules clingo cannot ground (an unsafe variable …) are a KnowledgeError naming file and line
        ctl = ground_files([*knowledge.facts_files, knowledge.logic_entry], parts, arguments)
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
        # the cost externals (override grounding only), also free and passed as
        # assumptions: false unless the call's own costs make them true. (Setting
        # them with assign_external instead makes clingo prepare the program anew
        # on the next solve: 5x slower per call, measured.)
        self.cost_literal: dict[tuple[Term, ...], int] = {}
        for pred in contract.OVERRIDES:
            for atom in ctl.symbolic_atoms.by_signature(*pred.signature):
                if atom.is_external:
                    self.cost_literal[contract.to_python(atom.symbol)] = len(self.all_false)
                    self.all_false.append(-atom.literal)
                    ctl.assign_external(atom.literal, None)
        self.reader = reader()
        self.table = contract.shown_table(ctl, self.reader)
        self.reader.capacity(len(self.table))
        self.ctl = ctl
        # clingo prepares the ground program for search on the first solve, which
        # no interrupt stops (seconds on a large knowledge base): do it now, with
        # assumptions that contradict each other, so no search follows
        if self.all_false:
            ctl.solve(assumptions=[self.all_false[0], -self.all_false[0]])

    def assumptions(self, true_atoms: set[tuple[Term, ...]]) -> list[int]:
        literals = self.all_false.copy()
        position = self.position
        for atom in true_atoms:
            k = position.get(atom)
            if k is not None:  # every validated id has its external; others change nothing
                literals[k] = -literals[k]
        return literals

    def _cost_positions(self, overrides: Overrides) -> list[int]:
        """Where in the assumptions the cost externals true for ``overrides`` are: each
        overridden item and its cost's 1-bits."""
        out: list[int] = []
        for item, weight in overrides:
            out.append(self.cost_literal[("overridden", item)])
            out += [
                self.cost_literal[("override_bit", item, b)] for b in range(contract.OVERRIDE_BITS) if weight >> b & 1
            ]
        return out

    def solve(
        self,
        true_atoms: set[tuple[Term, ...]],
        overrides: Overrides,
        timeout: float | None,
        watchdog: Watchdog,
        bound: float | None = None,
    ) -> Answer:
        """Solve with the profile's atoms and own costs; interrupted after ``timeout`` seconds
        (what is left of the evaluation's ``bound``, named in the error)."""
        if overrides and not self.cost_literal:
            raise ValueError("cost overrides need the override grounding")
        bound = timeout if bound is None else bound
        last: list[Any] = []
        costs: dict[str, int] = {}
        # locals, not self: the Control keeps its last handler, and a closure over
        # self would make Control -> handler -> self -> Control a cycle that only
        # the cyclic collector frees
        reader = self.reader

        def on_model(model: clingo.Model) -> None:
            if reader.proven(model):  # a brave-consequence model: the optimal atoms found so far
                last[:] = reader.shown(model)
                costs.update(contract.costs_by_priority(model.priority, model.cost))

        ctl = self.ctl
        assumptions = self.assumptions(true_atoms)
        for k in self._cost_positions(overrides):
            assumptions[k] = -assumptions[k]
        if timeout is not None:
            watchdog.arm(ctl, timeout)
        fired = False
        try:
            result = ctl.solve(assumptions=assumptions, on_model=on_model)
        finally:
            if timeout is not None:
                fired = watchdog.disarm(ctl)
        if fired and not result.interrupted:
            # The interrupt came as the search was ending: clingo keeps an
            # interrupt that finds no search for the next solve, which would
            # then stop at once. Spend it on a throwaway call.
            ctl.solve(assumptions=self.assumptions(set()))
        if result.interrupted:
            raise EvaluationTimeout(Message("engine.timeout", seconds=bound))
        if not result.satisfiable or not last:
            raise RuntimeError("the knowledge base has no answer for this profile (inconsistent rules)")
        table = self.table
        return Answer([table[key] for key in last], costs)


class Watchdog:
    """Interrupts solves that pass their deadline. One thread per engine, started on
    first use, instead of an asynchronous solve per call (which costs a thread per call)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadlines: dict[int, tuple[float, clingo.Control]] = {}
        self._thread: threading.Thread | None = None
        self._wake = math.inf  # when the thread looks next, unless told sooner

    def arm(self, ctl: clingo.Control, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            self._deadlines[id(ctl)] = (deadline, ctl)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="livegate-watchdog", daemon=True)
                self._thread.start()
            # Woken only for a deadline before the one it waits for: with one timeout for
            # all, only when it waits for none (nothing was armed when it last looked).
            # (Waking it for every call costs each request two thread switches.)
            if deadline < self._wake:
                self._wake = deadline
                self._cond.notify()

    def disarm(self, ctl: clingo.Control) -> bool:
        """Forget the deadline; True if the watchdog already interrupted this Control."""
        with self._cond:
            return self._deadlines.pop(id(ctl), None) is None

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for key, (deadline, ctl) in list(self._deadlines.items()):
                    if deadline <= now:
                        ctl.interrupt()
                        del self._deadlines[key]
                self._wake = min((d for d, _ in self._deadlines.values()), default=math.inf)
                self._cond.wait(None if self._wake == math.inf else self._wake - now)


class _Pool:
    """The Controls of one grounding (``make`` grounds one), made on demand up to ``size``."""

    def __init__(self, make: Callable[[], Solver], size: int, builder: ThreadPoolExecutor):
        self.make, self.size = make, size
        # last in, first out: a call takes the Control used last, whose memory is still in the
        # CPU's caches (first in, first out, four Controls taking turns made each call 1.3x slower)
        self.idle: queue.LifoQueue[Solver] = queue.LifoQueue()
        self.made = 0
        self.lock = threading.Lock()
        self.builder = builder

    def take(self, deadline: float | None, bound: float | None) -> Solver:
        """An idle Control, or the first one given back or newly ground; by ``deadline``
        (``time.monotonic()``) or :class:`EvaluationTimeout`. Grounding cannot be
        interrupted, so a new Control (while the pool has fewer than ``size``) is ground
        on the builder thread and joins the pool when ready; meanwhile the caller takes
        whichever Control is free first, so growing the pool never fails a request that
        an existing Control could serve in time."""
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            pass
        with self.lock:
            grow = self.made < self.size
            if grow:
                self.made += 1
        if grow:
            future = self.builder.submit(self.make)
            future.add_done_callback(self._adopt)
        try:
            return self.idle.get(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            key = "engine.timeout_grounding" if grow else "engine.timeout_waiting"
            raise EvaluationTimeout(Message(key, seconds=bound)) from None

    def prime(self) -> None:
        """Ground the first Control here and now (start-up: a knowledge base that does not
        ground fails the caller, not a request)."""
        solver = self.make()
        with self.lock:
            self.made += 1
        self.give(solver)

    def fill(self) -> None:
        """Ground the rest of the pool on the builder thread, now rather than under load."""
        with self.lock:
            missing = self.size - self.made
            self.made = self.size
        for _ in range(missing):
            self.builder.submit(self.make).add_done_callback(self._adopt)

    def _adopt(self, future: Future[Solver]) -> None:
        if future.exception() is None:
            self.give(future.result())
        else:
            with self.lock:
                self.made -= 1

    def give(self, solver: Solver) -> None:
        self.idle.put(solver)


class Groundings:
    """The two groundings, each a pool of Controls: the default one (``pool_size``
    Controls) and the override one for profiles with costs of their own
    (``override_pool_size``, default the same). The first Control of each is ground
    at start-up; the others when a call finds none free, or, with ``fill``, on the
    builder thread right after start-up (a server: its memory and its grounding work
    then come before the traffic, not under it). With ``summary``, both ground the
    rules for a summary (:data:`contract.SUMMARY_ARGUMENTS`) instead of a full answer."""

    def __init__(
        self,
        knowledge: Knowledge,
        *,
        pool_size: int = 4,
        override_pool_size: int | None = None,
        reader: type = contract.model_reader,
        fill: bool = False,
        summary: bool = False,
    ):
        builder = ThreadPoolExecutor(max_workers=2, thread_name_prefix="livegate-ground")
        self.knowledge = knowledge
        self.summary = summary
        self.default = _Pool(functools.partial(Solver, knowledge, summary=summary, reader=reader), pool_size, builder)
        self.override = _Pool(
            functools.partial(Solver, knowledge, overrides=True, summary=summary, reader=reader),
            override_pool_size or pool_size,
            builder,
        )
        self.watchdog = Watchdog()
        for pool in (self.default, self.override):  # ground once now, not on the first request
            pool.prime()
        if fill:
            for pool in (self.default, self.override):
                pool.fill()

    def solve(self, atoms: set[tuple[Term, ...]], overrides: Overrides, bound: float | None) -> Answer:
        """Solve on a Control of the right grounding, within ``bound`` seconds in all."""
        deadline = None if bound is None else time.monotonic() + bound
        pool = self.override if overrides else self.default
        solver = pool.take(deadline, bound)
        try:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            return solver.solve(atoms, overrides, remaining, self.watchdog, bound)
        finally:
            pool.give(solver)

    def controls(self) -> int:
        """How many Controls have been ground (for tests: no request grounds one beyond the pools)."""
        return self.default.made + self.override.made
