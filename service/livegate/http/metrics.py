"""Prometheus metrics, with the standard client library (``prometheus_client``).

Each app has one :class:`Metrics` (``init_app``); the request hooks
(:mod:`livegate.app`), the decisions (:mod:`.decisions`), the error handler
(:mod:`.errors`) and the worker's event loop (:mod:`.worker`) record into it.
``GET /metrics`` (blueprint :data:`exposition`, registered only when the
``METRICS`` setting is true) answers in Prometheus' text format.

Under ``livegate serve`` the metrics are multi-process: ``serve`` creates a
private directory, names it in ``PROMETHEUS_MULTIPROC_DIR`` before anything
imports ``prometheus_client`` (the library picks its mode at import), and
removes it on exit; every worker writes its values there, the master too
(:class:`ServerMetrics`: reloads, worker restarts), and a scrape, whichever
worker answers it, adds up every process's files (gunicorn's ``child_exit``
hook marks a dead worker's live gauges gone). Without that variable (the
test client, an embedding) the app's own registry is exposed.

``prometheus_client`` is imported inside functions, never at this module's
import, so that importing :mod:`livegate.app` cannot fix the library's mode
before ``serve`` has set the directory.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal, get_args

from flask import Blueprint, Flask, current_app
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = [
    "EXTENSION",
    "MULTIPROC_ENV",
    "Metrics",
    "ServerMetrics",
    "exposition",
    "init_app",
    "metrics",
    "multiprocess_dir",
]

EXTENSION = "livegate.metrics"
"""Key of the app's :class:`Metrics` in ``app.extensions``."""

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""The variable that puts ``prometheus_client`` in multi-process mode (set by ``livegate serve``)."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: from an answer-cache hit (~1 ms) to past the default time bound (2 s)."""

ReloadStage = Literal["copy", "parse", "lint", "ground", "evaluate", "boot", "timeout"]
"""Where a reload can be refused (the ``stage`` label of ``livegate_ruleset_reloads``; ``ok`` when applied).
The one list of them: the type checker holds every caller to it."""
RELOAD_STAGES: tuple[ReloadStage, ...] = get_args(ReloadStage)

RestartCause = Literal["reload", "exit"]
"""Why a worker was replaced (the ``cause`` label of ``livegate_worker_restarts``)."""
RESTART_CAUSES: tuple[RestartCause, ...] = get_args(RestartCause)

SlowState = Literal["request_begun", "idle", "answer_unread"]
"""A connection closed at READ_TIMEOUT: with a request begun (408), idle, or with its answer not
taken by the client (``livegate_slow_connections_closed``)."""
SLOW_STATES: tuple[SlowState, ...] = get_args(SlowState)

UNMATCHED = "(unmatched)"
"""The endpoint label of a request no route matched (404): paths are not labels."""


def multiprocess_dir() -> str | None:
    """The multi-process directory, or None (single-process: the app's registry)."""
    return os.environ.get(MULTIPROC_ENV) or None


def _check_mode() -> None:
    from prometheus_client import values

    if multiprocess_dir() and values.ValueClass is values.MutexValue:
        raise RuntimeError(
            f"prometheus_client was imported before {MULTIPROC_ENV} was set: its values would stay per process"
        )


class Metrics:
    """One app's metrics (see docs/api.md#metrics for each one's meaning)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        _check_mode()
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "livegate_http_requests",
            "Requests answered by the app, by endpoint (the route's rule), method and status.",
            ["endpoint", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "livegate_http_request_duration_seconds",
            "Time from a request's arrival at the app to its answer, by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.wait = Histogram(
            "livegate_http_request_wait_seconds",
            "Time a request waited, arrived whole, for a thread of its worker (livegate serve only).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.solve = Histogram(
            "livegate_solve_duration_seconds",
            "Time of the engine's call (solve and write the answer) for answers not taken from the cache.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.timeouts = Counter(
            "livegate_evaluation_timeouts",
            "Evaluations stopped at their time bound (TIMEOUT; answered 503).",
            registry=registry,
        )
        self.cache_hits = Counter(
            "livegate_answer_cache_hits", "Answers taken from the answer cache.", registry=registry
        )
        self.cache_misses = Counter(
            "livegate_answer_cache_misses",
            "Answers the answer cache did not hold (the engine was called).",
            registry=registry,
        )
        self.cache_bytes = Gauge(
            "livegate_answer_cache_bytes",
            "Bytes the answer caches hold (summed over live workers).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.cache_entries = Gauge(
            "livegate_answer_cache_entries",
            "Answers the answer caches hold (summed over live workers).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.waiting = Gauge(
            "livegate_requests_waiting",
            "Whole requests waiting for a thread (summed over live workers; livegate serve only): a queue "
            "that grows is a saturated service, and a request that waits past QUEUE_TIMEOUT is refused (503).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.connections = Gauge(
            "livegate_connections_open",
            "Connections the workers hold (summed over live workers; livegate serve only; MAX_CONNECTIONS each).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.log_failures = Counter(
            "livegate_decision_log_write_failures",
            "Writes of the decision log that failed (each answer withheld with 503).",
            registry=registry,
        )
        self.rejected = Counter(
            "livegate_rejected_requests",
            "Requests answered with an error, by the error's code (also the worker's own 408 and 431).",
            ["code"],
            registry=registry,
        )
        self.slow_closed = Counter(
            "livegate_slow_connections_closed",
            "Connections the worker closed at READ_TIMEOUT: with a request begun (408), idle, or its answer unread.",
            ["state"],
            registry=registry,
        )
        for state in SLOW_STATES:  # each series at 0 from the start (the codes: errors.register)
            self.slow_closed.labels(state=state)
        self.ruleset = Gauge(
            "livegate_ruleset_info",
            "The ruleset each live worker serves (1 per worker; the pid label under livegate serve).",
            ["version", "digest"],
            registry=registry,
            multiprocess_mode="liveall",
        )

    def slow_connection_closed(self, state: SlowState) -> None:
        self.slow_closed.labels(state=state).inc()

    def serving(self, ruleset: dict[str, str]) -> None:
        """Name the ruleset this process serves."""
        self.ruleset.labels(version=ruleset["version"], digest=ruleset["digest"]).set(1)

    def saturation(self, waiting: int, connections: int) -> None:
        """What a worker of ``livegate serve`` holds now: requests waiting for a thread, connections."""
        self.waiting.set(waiting)
        self.connections.set(connections)

    def cache_size(self, stats: dict[str, int]) -> None:
        self.cache_bytes.set(stats["bytes"])
        self.cache_entries.set(stats["entries"])

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition and its content type: every process's values under ``livegate
        serve``, this app's otherwise."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        registry: CollectorRegistry = self.registry
        if multiprocess_dir():
            from prometheus_client import CollectorRegistry
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST


class ServerMetrics:
    """What the master of ``livegate serve`` records: ruleset reloads and worker restarts."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge

        _check_mode()
        registry = CollectorRegistry()
        self.reloads = Counter(
            "livegate_ruleset_reloads",
            f"Ruleset reloads (kill -HUP): applied, unchanged (the files held the ruleset served), or refused at a "
            f"stage ({', '.join(RELOAD_STAGES)}).",
            ["outcome", "stage"],
            registry=registry,
        )
        self.last_reload_ok = Gauge(
            "livegate_ruleset_last_reload_success",
            "1 if the last reload was applied or unchanged (or none was asked), 0 if it was refused.",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.last_reload_time = Gauge(
            "livegate_ruleset_last_reload_timestamp_seconds",
            "When the last reload was applied or refused (Unix time).",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.restarts = Counter(
            "livegate_worker_restarts",
            "Workers that exited while the server ran and were replaced: by a reload, or on their own "
            "(a crash, a worker timeout).",
            ["cause"],
            registry=registry,
        )
        self.last_reload_ok.set(1)
        # each series at 0 from the start, so that an alert on their increase works before the first
        self.reloads.labels(outcome="applied", stage="ok")
        self.reloads.labels(outcome="unchanged", stage="ok")
        for stage in RELOAD_STAGES:
            self.reloads.labels(outcome="refused", stage=stage)
        for cause in RESTART_CAUSES:
            self.restarts.labels(cause=cause)

    def restarted(self, cause: RestartCause) -> None:
        self.restarts.labels(cause=cause).inc()

    def reloaded(
        self, outcome: Literal["applied", "refused", "unchanged"], stage: ReloadStage | Literal["ok"], when: float
    ) -> None:
        self.reloads.labels(outcome=outcome, stage=stage).inc()
        self.last_reload_ok.set(0 if outcome == "refused" else 1)
        self.last_reload_time.set(when)


exposition = Blueprint("metrics", __name__)


@exposition.get("/metrics")
def scrape() -> Response:
    body, content_type = metrics().exposition()
    response = Response(body, content_type=content_type)
    response.cache_control.no_store = True
    return response


def init_app(app: Flask) -> Metrics:
    """Attach the app's :class:`Metrics`; ``GET /metrics`` answers only when ``METRICS`` is true."""
    found = Metrics()
    app.extensions[EXTENSION] = found
    if app.config["METRICS"]:
        app.register_blueprint(exposition)
    return found


def metrics(app: Any = None) -> Metrics:
    """The app's (by default the current app's) :class:`Metrics`."""
    found: Metrics = (app or current_app).extensions[EXTENSION]
    return found
