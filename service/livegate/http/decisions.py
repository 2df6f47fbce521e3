"""Decisions: the one path every evaluation of the API and the web page takes —
validate, evaluate, log.

:func:`init_app` attaches a :class:`Decisions` to an app (flaskr's
``init_app`` habit): the engine (built from the configuration unless
``ENGINE`` gives one), the decision log, and the cache of answers to profiles
asked again. Blueprints reach it with :func:`decisions`.

The answer cache keeps written answers (:class:`~livegate.answer.Shaped`:
JSON bytes and a summary, immutable), keyed by what an answer is a function
of: the profile's input atoms, its cost overrides, the language and whether
explanations are asked. ``decision_id`` and the logs stay per request.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from flask import Flask, current_app, g

from ..answer import Shaped, dumps
from ..engine import Engine
from ..kb import Knowledge
from ..names import LANGUAGES
from ..profile import Profile
from .config import ConfigError

__all__ = ["EXTENSION", "Decision", "DecisionLog", "DecisionLogError", "Decisions", "decisions", "init_app", "now"]

EXTENSION = "livegate.decisions"
"""Key of the app's :class:`Decisions` in ``app.extensions``."""


class DecisionLogError(RuntimeError):
    """The decision log could not be written; the decision is withheld (an unlogged answer is unauditable)."""

    status = 503

    def to_dict(self) -> dict[str, Any]:
        return {"code": "decision_log_unavailable", "message": str(self), "field": None}


class DecisionLog:
    """A JSON Lines file, one line per decision, appended with one ``write`` on an
    ``O_APPEND`` file so that workers do not interleave. Created and opened once at
    start-up (``ConfigError`` if it cannot be)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
        except OSError as exc:
            raise ConfigError(
                f"DECISION_LOG (LIVEGATE_DECISION_LOG) {self.path} cannot be opened for appending: {exc.strerror}"
            ) from None
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        line = dumps(entry) + b"\n"
        try:
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    written = os.write(fd, line)
                finally:
                    os.close(fd)
            if written != len(line):
                raise OSError(0, f"only {written} of {len(line)} bytes written")
        except OSError as exc:
            raise DecisionLogError(
                f"the decision log {self.path} cannot be written: {exc.strerror}; the answer was withheld"
            ) from None


@dataclass(frozen=True)
class Decision:
    """One decided profile: as received, validated, answered, and its id."""

    data: Any
    profile: Profile
    answer: Shaped
    decision_id: str


class Decisions:
    """Validate → evaluate → log, with an optional cache of written answers (``answer_cache`` entries)."""

    def __init__(self, engine: Engine, log: DecisionLog | None, *, answer_cache: int = 0, timeout: float | None):
        self.engine = engine
        self.log = log
        self.timeout = timeout
        self._answers: LRUCache[tuple[Any, ...], Shaped] | None = LRUCache(answer_cache) if answer_cache else None
        self._lock = threading.Lock()

    def answer(self, profile: Profile, *, explain: bool, lang: str) -> Shaped:
        """The written answer of a validated profile, from the cache when it was asked before."""
        engine = self.engine
        if self._answers is None:
            return engine.answer(profile, explain=explain, lang=lang, timeout=self.timeout)
        key = (frozenset(engine.input_atoms(profile)), engine.overrides(profile), explain, lang)
        with self._lock:
            shaped = self._answers.get(key)
        if shaped is None:
            shaped = engine.answer(profile, explain=explain, lang=lang, timeout=self.timeout)
            with self._lock:
                self._answers[key] = shaped
        return shaped

    def decide(self, data: Any, endpoint: str, *, explain: bool = True, lang: str = LANGUAGES[0]) -> Decision:
        """Validate, evaluate and log one decoded profile."""
        profile = self.engine.parse(data)
        shaped = self.answer(profile, explain=explain, lang=lang)
        decision = Decision(data, profile, shaped, str(uuid.uuid4()))
        g.decision_id = decision.decision_id
        if self.log is not None:
            self.log.write(
                {
                    "decision_id": decision.decision_id,
                    "time": now(),
                    "request_id": g.get("request_id"),
                    "endpoint": endpoint,
                    "ruleset": self.engine.ruleset,
                    "profile": data,
                    "eligible": list(shaped.eligible),
                    "cheapest_cost": shaped.cheapest_cost,
                    "cheapest_plans": [list(p) for p in shaped.cheapest_plans],
                }
            )
        return decision


def now() -> str:
    """The time as the logs write it: UTC, milliseconds, ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def init_app(app: Flask) -> None:
    """Attach the app's :class:`Decisions`, building its engine from the configuration."""
    cfg = app.config
    engine = cfg["ENGINE"]
    if engine is None:
        engine = Engine(Knowledge.load(cfg["FACTS_DIR"], cfg["LOGIC_DIR"]), pool_size=cfg["POOL_SIZE"])
    log = DecisionLog(cfg["DECISION_LOG"]) if cfg["DECISION_LOG"] else None
    app.extensions[EXTENSION] = Decisions(engine, log, answer_cache=cfg["ANSWER_CACHE"], timeout=cfg["TIMEOUT"])


def decisions() -> Decisions:
    """The current app's :class:`Decisions`."""
    found: Decisions = current_app.extensions[EXTENSION]
    return found
