"""``livegate serve``: the API under gunicorn, a pre-fork WSGI server.

The master process only checks the configuration and the knowledge base, binds
the socket and supervises; each worker process builds its own app with
:func:`livegate.app.create_app` when it boots, so the engine is grounded in the
worker before it accepts its first request (no clingo state crosses a fork).
Each worker is a :class:`~livegate.http.worker.BufferingWorker`, gunicorn's
``gthread`` worker whose event loop reads each request in full before a thread
gets it: each serves ``threads`` requests at once, with one clingo Control per
thread (the engine's pool), while slow and idle connections (up to
``MAX_CONNECTIONS`` per worker, each closed after ``READ_TIMEOUT`` without a
whole request) wait in the event loop.

SIGTERM stops gracefully (in-flight requests finish, up to ``graceful_timeout``);
SIGINT (Ctrl-C) stops at once; both exit 0. Access-log lines (JSON, one per
request) go to stdout, gunicorn's own messages to stderr.
"""

from __future__ import annotations

import logging
import resource
import signal
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from ..app import ACCESS_LOGGER, create_app
from ..http.config import ConfigError, load_config
from ..http.decisions import DecisionLog
from ..kb import Knowledge, KnowledgeError

__all__ = ["LivegateServer", "serve"]


class LivegateServer(BaseApplication):
    """gunicorn, configured in code rather than from its command line."""

    def __init__(self, options: dict[str, Any], app_config: dict[str, Any]):
        self.options = options
        self.app_config = app_config
        super().__init__(prog="livegate serve")

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Called in each worker as it boots: logging, then the app with its engine.

        A stop signal that arrives while the engine grounds is held until the
        app is built: raised inside one of clingo's callbacks, the worker's
        quit handler would surface as a failed boot (gunicorn then halts with
        status 3 instead of stopping cleanly)."""
        _access_logging()
        stops = {signal.SIGINT, signal.SIGTERM, signal.SIGQUIT}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        try:
            return create_app(self.app_config)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _access_logging() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _allow_descriptors(connections: int) -> None:
    """Raise the soft limit of open files so that a worker can hold ``connections`` sockets
    (and its own files); as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    *,
    threads: int | None = None,
    config: dict[str, Any] | None = None,
    graceful_timeout: int = 10,
) -> int:
    """Run the API until SIGTERM or SIGINT; the exit status.

    ``config`` is passed to :func:`~livegate.app.create_app` in each worker
    (over ``LIVEGATE_*`` variables). ``threads`` defaults to the engine's pool
    size (``POOL_SIZE``, default 4).
    """
    config = dict(config or {})
    try:
        checked = load_config(config)
        if checked["DECISION_LOG"]:
            DecisionLog(checked["DECISION_LOG"])
        Knowledge.load(checked["FACTS_DIR"], checked["LOGIC_DIR"])
    except (ConfigError, KnowledgeError) as exc:
        sys.stderr.write(f"livegate serve: {exc}\n")
        return 2 if isinstance(exc, ConfigError) else 3
    if workers < 1 or port < 0 or port > 65535 or (threads is not None and threads < 1):
        sys.stderr.write("livegate serve: workers and threads must be >= 1 and port in 0..65535\n")
        return 2
    threads = threads or checked["POOL_SIZE"]
    config.setdefault("POOL_SIZE", threads)
    options = {
        "bind": _bind(host, port),
        "workers": workers,
        "worker_class": "livegate.http.worker.BufferingWorker",
        "threads": threads,
        "worker_connections": checked["MAX_CONNECTIONS"],
        "graceful_timeout": graceful_timeout,
        "timeout": max(30, int(checked["TIMEOUT"] * 4)),
        "proc_name": "livegate",
        "accesslog": None,  # the app writes its own structured access log
        "errorlog": "-",
        "loglevel": "info",
        "control_socket_disable": True,
        "preload_app": False,
    }
    _allow_descriptors(checked["MAX_CONNECTIONS"])
    try:
        LivegateServer(options, config).run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
