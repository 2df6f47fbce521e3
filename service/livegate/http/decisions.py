"""Decisions: the one path every evaluation of the API and the web page takes —
validate, evaluate, log.

:func:`init_app` attaches a :class:`Decisions` to an app (flaskr's
``init_app`` habit): the engine (built from the configuration unless
``ENGINE`` gives one), the decision log, and the cache of answers to profiles
asked again. Blueprints reach it with :func:`decisions`.

The answer cache (:class:`AnswerCache`) keeps written answers
(:class:`~livegate.answer.Shaped`: JSON bytes and a summary, immutable), keyed
by what an answer is a function of: the profile's input atoms, its cost
overrides, the language and whether explanations are asked; it is bounded by
entries and by bytes. ``decision_id`` and the logs stay per request.

A decision is logged when its answer is delivered: the API logs it before it
answers (an answer that cannot be logged is withheld), the page once its answer
is rendered (:meth:`Decisions.record`); only a logged decision's id reaches the
access log. Each delivered decision is also one JSON line on the
``livegate.decision`` logger (:data:`DECISION_LOGGER`; no handler unless a
logging configuration gives it one), and is counted in the app's
:class:`~livegate.http.metrics.Metrics` with the cache's hits and misses and the
engine's time.

:meth:`Decisions.readiness` is what ``/v1/health/ready`` answers: the engine is
grounded, the decision log can be written, the ruleset passes ``livegate lint``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from flask import Flask, current_app, g

from .. import __version__
from ..answer import Shaped, dumps
from ..engine import Engine
from ..kb import Knowledge
from ..profile import Profile
from ..solver import EvaluationTimeout
from ..words import ENGLISH, LANGUAGES, Message, Said
from .config import ConfigError
from .logs import DECISION_LOGGER, json_line, now

if TYPE_CHECKING:
    from .metrics import Metrics

__all__ = [
    "DECISION_LOGGER",
    "EXTENSION",
    "AnswerCache",
    "Decision",
    "DecisionLog",
    "DecisionLogError",
    "Decisions",
    "decisions",
    "init_app",
    "now",
]

EXTENSION = "livegate.decisions"
"""Key of the app's :class:`Decisions` in ``app.extensions``."""


LOGGER = logging.getLogger("livegate")
"""Where the server tells its operator what it does not tell clients (the decision log's path)."""


FAILURE_MEMORY = 30.0
"""Seconds a failed write of the decision log keeps ``/v1/health`` degraded (unless a write succeeds)."""

FREE_MIN = 64 * 1024
"""Bytes the decision log's file system must have free (for the service's user) for ``/v1/health``
to call the log writable: about fifty decisions. A full disk was reported writable again once
:data:`FAILURE_MEMORY` had passed, the load balancer put the instance back, and its answers
were withheld again (an SRE's review)."""

FAILURE_SAID_EVERY = 10.0
"""Seconds between two error lines of a worker whose decision-log writes keep failing (each
withheld answer logged its own: 430 lines in two seconds)."""


def recorded(data: dict[str, Any]) -> dict[str, Any]:
    """A valid profile as the decision log records it: as received, but each list without its
    repeated ids (``documents``, ``activities``, ``subject.roles``, ``goal.categories``), which
    change no answer. A profile is validated before it is recorded, so what remains is bounded by
    the catalogue; 200 copies of one id made one request write 24 KB of log (a security review)."""

    def once(value: Any) -> Any:
        return list(dict.fromkeys(value)) if isinstance(value, list) else value

    out = {k: once(v) for k, v in data.items()}
    for key in ("subject", "goal"):
        if isinstance(out.get(key), dict):
            out[key] = {k: once(v) for k, v in out[key].items()}
    return out


class DecisionLogError(Said, RuntimeError):
    """The decision log could not be written; the decision is withheld (an unlogged answer is unauditable).
    Its message names no server path (the server's log does)."""

    status = 503
    retry_after = int(FAILURE_MEMORY)
    """Seconds a client should wait before asking again (``Retry-After``): as long as
    ``/v1/health`` stays degraded after a failed write."""

    def to_dict(self, lang: str = ENGLISH) -> dict[str, Any]:
        return {"code": "decision_log_unavailable", "message": self.said.text(lang), "field": None}


class DecisionLog:
    """A JSON Lines file, one line per decision, appended with one ``write`` on an ``O_APPEND``
    file under an exclusive ``flock`` of the file, so that neither threads nor workers interleave
    or glue lines. Created (in a folder that exists) and opened at start-up: ``ConfigError`` if it
    cannot be, unless ``strict`` is false — a worker that ``livegate serve`` starts after it checked
    the log (a crashed worker's replacement; not a reload's) boots degraded instead, its writes refused
    with 503 and ``/v1/health`` saying why, until the log can be written again: one worker failing
    to boot halted the whole server (gunicorn stops when a worker cannot boot)."""

    def __init__(self, path: str | Path, *, strict: bool = True):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._failed: tuple[float, str | Message] | None = None  # when the last write failed, and why
        self._said_at = -FAILURE_SAID_EVERY  # when a failure was last logged
        self._unsaid = 0  # failures since, not logged
        problem: Message | None = None
        if not self.path.parent.is_dir():  # a mistyped folder is refused, not made: the auditor would look elsewhere
            problem = Message("config.decision_log_folder", path=self.path, folder=self.path.parent)
        else:
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
            except OSError as exc:
                problem = Message("config.decision_log", path=self.path, error=exc.strerror)
        if problem is not None and strict:
            raise ConfigError(problem)
        if problem is not None:
            LOGGER.error("this worker starts degraded: %s", problem)

    def write(self, entry: dict[str, Any]) -> None:
        line = dumps(entry) + b"\n"
        try:
            with self._lock:
                try:
                    fd, readable = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640), True
                except PermissionError:  # a log the service may append to but not read
                    fd, readable = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640), False
                try:
                    # every writer, in every worker, holds the file's lock from looking at its end to
                    # the end of its line: another worker's line half-written was taken for a torn
                    # one, and a blank line followed it (38 in 36,600 decisions from four workers)
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    # a line left torn (a worker killed as it wrote, a log restored from a copy): end
                    # it, so that this decision is a line of its own, not glued to the torn one
                    end = os.fstat(fd).st_size
                    if readable and end and os.pread(fd, 1, end - 1) != b"\n":
                        line = b"\n" + line
                    written = os.write(fd, line)
                    if written != len(line):  # a full disk: the part written goes, this decision is withheld
                        with contextlib.suppress(OSError):
                            os.ftruncate(fd, end)
                finally:
                    os.close(fd)  # (and the lock with it)
        except OSError as exc:
            self._fail(exc.strerror or type(exc).__name__)
        if written != len(line):
            self._fail(Message("http.short_write", written=written, size=len(line)))
        self._failed = None

    def _fail(self, reason: str | Message) -> NoReturn:
        now = time.monotonic()
        self._failed = (now, reason)
        if now >= self._said_at + FAILURE_SAID_EVERY:
            more, self._said_at, self._unsaid = self._unsaid, now, 0
            LOGGER.error(
                "the decision log %s cannot be written: %s; the answer was withheld%s",
                self.path,
                reason,
                f" (and {more} more since the last such line)" if more else "",
            )
        else:
            self._unsaid += 1
        raise DecisionLogError(Message("http.decision_log", reason=reason)) from None

    def problem(self) -> str | None:
        """Why the log cannot be written now, or None: it cannot be opened for appending, its
        file system has less than :data:`FREE_MIN` bytes free, or the last write failed (less
        than :data:`FAILURE_MEMORY` seconds ago, none since)."""
        try:
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
        except OSError as exc:
            return str(Message("http.decision_log_open", error=exc.strerror or type(exc).__name__))
        free = free_bytes(self.path)
        if free is not None and free < FREE_MIN:
            return str(Message("http.decision_log_full", free=free, least=FREE_MIN))
        failed = self._failed
        if failed is not None and time.monotonic() - failed[0] < FAILURE_MEMORY:
            return str(Message("http.decision_log_write", error=failed[1]))
        return None


def free_bytes(path: Path) -> int | None:
    """Bytes the file system holding ``path`` has free for this process: the blocks reserved for
    root count too when it runs as root. None where it cannot be asked."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return (st.f_bfree if os.geteuid() == 0 else st.f_bavail) * st.f_frsize


class AnswerCache:
    """Written answers by key, least recently used first out, bounded by ``max_entries`` and by
    ``max_bytes`` (an answer's JSON bytes and an allowance for its key and summary). Thread-safe."""

    OVERHEAD = 1024
    """Bytes counted for each entry besides its answer's JSON: the key's atoms and the summary."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Any, tuple[Shaped, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def size(cls, shaped: Shaped) -> int:
        """The bytes an entry is counted for."""
        return len(shaped.body) + len(shaped.path) + len(shaped.ruleset) + cls.OVERHEAD

    def get(self, key: Any) -> Shaped | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Any, shaped: Shaped) -> None:
        size = self.size(shaped)
        if size > self.max_bytes or not self.max_entries:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (shaped, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def stats(self) -> dict[str, int]:
        """Entries, their bytes and the limits, as ``/v1/health`` reports them."""
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "limit": self.max_bytes,
                "max_entries": self.max_entries,
            }


@dataclass(frozen=True)
class Decision:
    """One decided profile: as received, validated, answered, and its id."""

    data: Any
    profile: Profile
    answer: Shaped
    decision_id: str


class Decisions:
    """Validate → evaluate → log, with an optional :class:`AnswerCache` (``answer_cache`` entries,
    ``answer_cache_bytes`` bytes)."""

    def __init__(
        self,
        engine: Engine,
        log: DecisionLog | None,
        *,
        answer_cache: int = 0,
        answer_cache_bytes: int = 16 * 1024 * 1024,
        timeout: float | None,
        metrics: Metrics | None = None,
    ):
        self.engine = engine
        self.log = log
        self.timeout = timeout
        self.answers = AnswerCache(answer_cache, answer_cache_bytes) if answer_cache and answer_cache_bytes else None
        self.metrics = metrics
        self._decision_log = logging.getLogger(DECISION_LOGGER)

    def _solve(self, profile: Profile, *, explain: bool, lang: str) -> Shaped:
        """The engine's answer, timed (and a time-out counted) in the metrics."""
        started = time.perf_counter()
        try:
            shaped = self.engine.answer(profile, explain=explain, lang=lang, timeout=self.timeout)
        except EvaluationTimeout:
            if self.metrics is not None:
                self.metrics.timeouts.inc()
            # said, without the profile (no log holds one but the decision log): the request id, which
            # the 503 carries to its sender (a time-out left only an access line, and the docs asked
            # operators to report a hard profile)
            LOGGER.warning(
                "an evaluation was stopped at its time bound (%s s): request %s", self.timeout, g.get("request_id")
            )
            raise
        if self.metrics is not None:
            self.metrics.solve.observe(time.perf_counter() - started)
        return shaped

    def answer(self, profile: Profile, *, explain: bool, lang: str) -> Shaped:
        """The written answer of a validated profile, from the cache when it was asked before."""
        engine = self.engine
        if self.answers is None:
            return self._solve(profile, explain=explain, lang=lang)
        key = (frozenset(engine.input_atoms(profile)), engine.overrides(profile), explain, lang)
        shaped = self.answers.get(key)
        if shaped is not None:
            if self.metrics is not None:
                self.metrics.cache_hits.inc()
            return shaped
        if self.metrics is not None:
            self.metrics.cache_misses.inc()
        shaped = self._solve(profile, explain=explain, lang=lang)
        self.answers.put(key, shaped)
        if self.metrics is not None:
            self.metrics.cache_size(self.answers.stats())
        return shaped

    def decide(
        self, data: Any, endpoint: str, *, explain: bool = True, lang: str = LANGUAGES[0], log: bool = True
    ) -> Decision:
        """Validate, evaluate and (unless ``log`` is false: the caller records it once it is
        delivered) log one decoded profile."""
        profile = self.engine.parse(data)
        shaped = self.answer(profile, explain=explain, lang=lang)
        decision = Decision(data, profile, shaped, str(uuid.uuid4()))
        if log:
            self.record(decision, endpoint)
        return decision

    def record(self, decision: Decision, endpoint: str) -> None:
        """Log a decision (:class:`DecisionLogError` if that fails); from then on the request's
        access-log line names it."""
        shaped = decision.answer
        when = now()
        if self.log is not None:
            try:
                self.log.write(
                    {
                        "decision_id": decision.decision_id,
                        "time": when,
                        "request_id": g.get("request_id"),
                        "endpoint": endpoint,
                        "ruleset": self.engine.ruleset,
                        "package": __version__,
                        "profile": recorded(decision.data),
                        "eligible": list(shaped.eligible),
                        "cheapest_cost": shaped.cheapest_cost,
                        "cheapest_plans": [list(p) for p in shaped.cheapest_plans],
                    }
                )
            except DecisionLogError:
                if self.metrics is not None:
                    self.metrics.log_failures.inc()
                raise
        g.decision_id = decision.decision_id
        if self._decision_log.isEnabledFor(logging.INFO):
            line = {
                "time": when,
                "decision_id": decision.decision_id,
                "request_id": g.get("request_id"),
                "endpoint": endpoint,
                "ruleset": self.engine.ruleset,
                "eligible": list(shaped.eligible),
                "cheapest_cost": shaped.cheapest_cost,
            }
            self._decision_log.info(json_line(line))

    @functools.cached_property
    def lint_problems(self) -> tuple[str, ...]:
        """What ``livegate lint`` finds in the engine's ruleset (run once, on first asking)."""
        return tuple(self.engine.knowledge.lint(ground=False))  # its engine has ground the rules

    def readiness(self) -> dict[str, Any]:
        """What ``/v1/health/ready`` answers: each check, and the problems of those that fail."""
        problem = self.log.problem() if self.log is not None else None
        lint = self.lint_problems
        checks = {
            "engine_grounded": self.engine is not None,
            "decision_log_writable": problem is None,
            "ruleset_linted": not lint,
        }
        problems = [f"decision log: {problem}"] if problem else []
        problems += [f"lint: {p}" for p in lint]
        return {
            "status": "ready" if all(checks.values()) else "not_ready",
            "ruleset": self.engine.ruleset,
            "checks": checks,
            "problems": problems,
        }

    def health(self) -> dict[str, Any]:
        """What ``/v1/health`` says of the decision log and this worker's caches."""
        problem = self.log.problem() if self.log is not None else None
        return {
            "decision_log": {"configured": self.log is not None, "writable": problem is None, "problem": problem},
            "answer_cache": self.answers.stats()
            if self.answers is not None
            else {"entries": 0, "bytes": 0, "limit": 0, "max_entries": 0},
            "engine_caches": self.engine.cache_stats(),
        }


def init_app(app: Flask, metrics: Metrics | None = None) -> None:
    """Attach the app's :class:`Decisions`, building its engine from the configuration."""
    cfg = app.config
    # the decision log first: a log that cannot be opened fails the app at once, before seconds of
    # grounding — unless livegate serve checked it at start-up and starts this worker later in the
    # same generation (a crashed worker's replacement: BOOT_DEGRADED), which then starts degraded
    # rather than halt the server; a reload's new worker is still refused (the reload with it)
    strict = not cfg["BOOT_DEGRADED"]
    log = DecisionLog(cfg["DECISION_LOG"], strict=strict) if cfg["DECISION_LOG"] else None
    engine = cfg["ENGINE"]
    if engine is None:
        engine = Engine(Knowledge.load(cfg["FACTS_DIR"], cfg["LOGIC_DIR"]), pool_size=cfg["POOL_SIZE"], fill_pools=True)
    app.extensions[EXTENSION] = Decisions(
        engine,
        log,
        answer_cache=cfg["ANSWER_CACHE"],
        answer_cache_bytes=cfg["ANSWER_CACHE_BYTES"],
        timeout=cfg["TIMEOUT"],
        metrics=metrics,
    )
    if metrics is not None:
        metrics.serving(engine.ruleset)


def decisions() -> Decisions:
    """The current app's :class:`Decisions`."""
    found: Decisions = current_app.extensions[EXTENSION]
    return found
