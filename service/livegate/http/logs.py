"""Logging: the loggers livegate writes to, and a JSON formatter for a logging configuration.

- ``livegate.access``: one JSON line per request (time, request id, method, path, status,
  latency, the wait for a thread, bytes, remote, and the decision id of a logged decision),
  written by the app, or by the worker for a request it refused before any app saw it (408,
  431: ``refused_by``);
- ``livegate.decision``: one JSON line per decision delivered (time, decision id, request id,
  endpoint, ruleset, eligible set, cheapest cost);
- ``livegate``: what the operator must know (a decision log that cannot be written, a ruleset
  reload applied or refused), as plain sentences;
- ``gunicorn.error``: the server's own messages (workers booting and exiting, signals).

The JSON lines are the records' messages, so any formatter that writes ``%(message)s`` keeps them
one JSON object a line. :class:`JsonFormatter` makes every other record a JSON line too, for a
log collector that reads nothing else::

    "formatters": {"json": {"()": "livegate.http.logs.JsonFormatter"}}
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = [
    "ACCESS_LOGGER",
    "DECISION_LOGGER",
    "PATH_LOGGED",
    "READY",
    "JsonFormatter",
    "json_line",
    "log_access",
    "now",
]

ACCESS_LOGGER = "livegate.access"
DECISION_LOGGER = "livegate.decision"

READY = "livegate.ready"
"""The WSGI environ key the worker (:mod:`.worker`) sets to when a request had arrived whole
(``time.perf_counter()``): the access log's ``wait_ms`` and the wait histogram count from it
the time the request waited for a thread."""


_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
"""The line breaks JSON leaves as they are (it escapes those below U+0020 only), as escapes: a
reader splitting on Unicode's line breaks (Python's ``splitlines``, some viewers) saw a request's
path as two log lines."""

PATH_LOGGED = 2_048
"""At most this many characters of a request's path are logged (then "…"): a 404 logged a 32 KB path."""


def json_line(data: object) -> str:
    """``data`` as one JSON line of a log: UTF-8 as it is, but no character that breaks a line."""
    return json.dumps(data, ensure_ascii=False).translate(_BREAKS)


def now() -> str:
    """The time as the logs write it: UTC, milliseconds, ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def log_access(
    *,
    request_id: str | None,
    method: str | None,
    path: str | None,
    status: int,
    latency_ms: float | None,
    wait_ms: float | None,
    size: int | None,
    remote: str | None,
    **more: str,
) -> None:
    """One line of the access log (``livegate.access``), its fields always in this order; ``more``
    after them (``decision_id``; ``refused_by``; an error answer's ``code``)."""
    line: dict[str, object] = {
        "time": now(),
        "request_id": request_id,
        "method": method,
        "path": path if path is None or len(path) <= PATH_LOGGED else path[:PATH_LOGGED] + "…",
        "status": status,
        "latency_ms": latency_ms,
        "wait_ms": wait_ms,
        "bytes": size,
        "remote": remote,
        **more,
    }
    logging.getLogger(ACCESS_LOGGER).info(json_line(line))


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: a message that is already a JSON object (the access and decision
    lines) with ``logger``, ``level`` and ``pid`` added after its own fields; any other as ``{"time",
    "level", "logger", "pid", "message"}`` (and ``exception``). With every logger in one file, a line
    says which it is and which process wrote it (an access line and a decision line were told apart
    by their keys only, and two "engine grounded" lines could not be tied to their workers)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{") and message.endswith("}") and not record.exc_info:
            try:
                formed = json.loads(message)
            except ValueError:
                return message
            if not isinstance(formed, dict):
                return message
            formed.setdefault("logger", record.name)
            formed.setdefault("level", record.levelname)
            formed.setdefault("pid", record.process)
            return json_line(formed)
        line = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": message,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json_line(line)
