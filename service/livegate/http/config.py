"""Configuration of the app: defaults, then ``LIVEGATE_<KEY>`` environment
variables (read as JSON where they parse, else as strings), then the mapping
given to :func:`livegate.app.create_app`, then the ``serve`` flags. Every value
is checked at start-up; a bad one stops it with a message naming the variable."""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..words import Message, Said

__all__ = ["DEFAULTS", "ConfigError", "load_config"]

DEFAULTS: dict[str, Any] = {
    "TIMEOUT": 2.0,  # seconds one evaluation may take before it is stopped (503)
    "MAX_CONTENT_LENGTH": 64 * 1024,  # largest request body in bytes (413)
    "DECISION_LOG": None,  # path of the JSON-Lines decision log; None: no log
    "POOL_SIZE": 2,  # clingo Controls (and gunicorn threads) per worker: concurrent evaluations
    "ANSWER_CACHE": 1024,  # answers kept per worker for profiles asked again; 0: none
    "ANSWER_CACHE_BYTES": 16 * 1024 * 1024,  # and the bytes they may take in all, per worker
    "FACTS_DIR": None,  # knowledge base folders; None: the shipped ones
    "LOGIC_DIR": None,
    "CATALOGUE_MAX_AGE": 300,  # Cache-Control max-age of the catalogue endpoints, seconds
    "ACCESS_LOG": True,  # one JSON line per request on the "livegate.access" logger
    "PUBLIC_URL": None,  # the service's public base URL (https://host[/prefix]) for links; None: relative links
    "PROXY_HOPS": 0,  # trusted reverse proxies in front: the client's address from X-Forwarded-For (0: the peer's)
    "READ_TIMEOUT": 10.0,  # livegate serve: seconds a request may take to arrive in full (then closed)
    "QUEUE_TIMEOUT": 1.0,  # livegate serve: seconds a whole request may wait for a thread (then 503 overloaded)
    "MAX_CONNECTIONS": 1000,  # livegate serve: open connections per worker (more wait to be accepted)
    "METRICS": False,  # GET /metrics (Prometheus text format) on the API's port
    "LOG_CONFIG": None,  # livegate serve: a logging configuration file (dictConfig .json/.yaml, or fileConfig .ini)
    "CHECK_MEMORY": 3072,  # livegate serve: MiB of memory the ruleset's check may take, at start-up and each reload
    "RUN_DIR": None,  # livegate serve sets it: the directory where workers name the ruleset they serve
    "ENGINE": None,  # a ready Engine to use instead of building one (tests, embedding)
    "BOOT_DEGRADED": False,  # livegate serve sets it for a worker it starts after start-up's checks
}
"""Configuration keys, their defaults and meaning; each can be set as ``LIVEGATE_<KEY>``."""

PATHS = ("DECISION_LOG", "FACTS_DIR", "LOGIC_DIR", "LOG_CONFIG", "RUN_DIR")
"""Keys that name a path: read as written from ``LIVEGATE_<KEY>``, never as JSON (a log named
``true`` is a file named true, not the boolean), as ``PUBLIC_URL`` is; never empty."""

INTERNAL = ("ENGINE", "RUN_DIR", "BOOT_DEGRADED")
"""Keys that ``create_app``'s caller gives (a ready engine; ``serve``'s own run directory; whether a
decision log that cannot be opened leaves the app degraded rather than refused), never the
environment: ``LIVEGATE_RUN_DIR`` was taken and then ignored, without a word."""

BOOLEANS = ("ACCESS_LOG", "METRICS")
"""Keys that are true or false: ``LIVEGATE_<KEY>`` may say so as ``true``/``false``, ``1``/``0``,
``yes``/``no`` or ``on``/``off``, in any case (JSON's ``true`` only was taken; ``True`` was refused)."""

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")

_HINTS = (
    ("PORT|HOST|BIND|ADDR|LISTEN", "config.hint_bind"),
    ("WORKER", "config.hint_workers"),
    ("THREAD", "config.hint_threads"),
)
"""What a variable that is no setting may have meant, by the words in its name: a command-line option."""


def _hint(key: str) -> Message | str:
    return next((Message(said) for words, said in _HINTS if re.search(words, key)), "")


TEST_PREFIX = "LIVEGATE_TEST_"
"""Variables of the test suite's own (``LIVEGATE_TEST_REQUIRE_BROWSER`` …): not settings, and not refused."""


_SERVICE_LINK = re.compile(
    r"LIVEGATE_(?:[A-Z0-9_]+_)?(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT_\d+_(?:TCP|UDP|SCTP)(?:_PROTO|_PORT|_ADDR)?)"
)
_SERVICE_LINK_URL = re.compile(r"(?:tcp|udp|sctp)://\S+:\d+")
_SERVICE_PORT = re.compile(r"LIVEGATE_(?:[A-Z0-9_]+_)?PORT")


def kubernetes_service_link(name: str, value: str) -> bool:
    """Whether ``name=value`` is a variable Kubernetes gives every pod for a Service whose name
    starts with ``livegate`` (``LIVEGATE_SERVICE_HOST``, ``LIVEGATE_PORT=tcp://10.96.0.12:8000``,
    ``LIVEGATE_PORT_8000_TCP_ADDR`` …, the pod spec's ``enableServiceLinks``): no setting, and not
    refused — a Service named ``livegate`` made the next rollout's pods refuse to start. A
    ``LIVEGATE_PORT`` that is a plain number is still refused (``--port`` sets the port)."""
    if _SERVICE_LINK.fullmatch(name):
        return True
    return _SERVICE_PORT.fullmatch(name) is not None and _SERVICE_LINK_URL.fullmatch(value) is not None


class ConfigError(Said, ValueError):
    """A configuration value is out of range or of the wrong type."""


def load_config(config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``LIVEGATE_*`` variables of ``environ``, then ``config``; checked."""
    out = dict(DEFAULTS)
    environ = os.environ if environ is None else environ
    for name, raw in sorted(environ.items()):
        if not name.startswith("LIVEGATE_") or name.startswith(TEST_PREFIX) or kubernetes_service_link(name, raw):
            continue
        key = name[len("LIVEGATE_") :]
        if key not in DEFAULTS or key in INTERNAL:
            # a misspelt setting would be ignored without a word: LIVEGATE_DECISON_LOG, no audit log
            near = difflib.get_close_matches(key, [k for k in DEFAULTS if k not in INTERNAL], n=1, cutoff=0.6)
            said = Message("config.unknown", name=name, nearest=f"LIVEGATE_{near[0]}" if near else "")
            raise ConfigError(said if near else Message("config.unknown_none", name=name, hint=_hint(key)))
        if key in (*PATHS, "PUBLIC_URL"):
            out[key] = raw
            continue
        if key in BOOLEANS:  # as an operator writes them in a unit file, a .env or a Helm chart
            word = raw.strip().lower()
            out[key] = True if word in _TRUE else False if word in _FALSE else raw
            continue
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    out.update(config or {})
    _check(out)
    return out


MAX_SECONDS = 86_400.0
"""The longest time bound a setting in seconds may give (a day): beyond it, or not a finite
number (``NaN``, ``Infinity``), a socket or gunicorn's own timeout cannot take it."""


MIN_CHECK_MEMORY, MAX_CHECK_MEMORY = 256, 1024 * 1024
"""The bounds of ``CHECK_MEMORY`` in MiB: below 256 the shipped ruleset's check (about 210 MB)
cannot run; above 1 TiB no machine serving this has it, and the operating system's limit would
overflow."""


def _check(cfg: dict[str, Any]) -> None:
    def number(key: str, low: float, kinds: tuple[type, ...] = (int, float)) -> None:
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, kinds) or not isinstance(value, int | float) or value < low:
            kind = "config.integer" if kinds == (int,) else "config.number"
            raise ConfigError(Message(kind, key=key, low=low, value=value))

    def seconds(key: str, low: float, *, above: bool = False) -> None:
        """A time bound: a finite number from ``low`` (above 0 with ``above``) to a day."""
        value = cfg[key]
        number_ = not isinstance(value, bool) and isinstance(value, int | float)
        if not number_ or not math.isfinite(value) or value > MAX_SECONDS or value < low or (above and value == low):
            kind = "config.seconds_above" if above else "config.seconds"
            raise ConfigError(Message(kind, key=key, low=low, high=MAX_SECONDS, value=value))

    seconds("TIMEOUT", 0, above=True)
    number("MAX_CONTENT_LENGTH", 1, (int,))
    number("POOL_SIZE", 1, (int,))
    number("ANSWER_CACHE", 0, (int,))
    number("ANSWER_CACHE_BYTES", 0, (int,))
    seconds("READ_TIMEOUT", 0.1)
    seconds("QUEUE_TIMEOUT", 0, above=True)
    number("MAX_CONNECTIONS", 1, (int,))
    number("CATALOGUE_MAX_AGE", 0, (int,))
    number("PROXY_HOPS", 0, (int,))
    memory = cfg["CHECK_MEMORY"]
    if isinstance(memory, bool) or not isinstance(memory, int) or not MIN_CHECK_MEMORY <= memory <= MAX_CHECK_MEMORY:
        raise ConfigError(
            Message(
                "config.integer_range", key="CHECK_MEMORY", low=MIN_CHECK_MEMORY, high=MAX_CHECK_MEMORY, value=memory
            )
        )
    for key in BOOLEANS:
        if not isinstance(cfg[key], bool):
            raise ConfigError(Message("config.boolean", key=key, value=cfg[key]))
    if cfg["PUBLIC_URL"] is not None:
        url = urlsplit(str(cfg["PUBLIC_URL"]))
        if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
            raise ConfigError(Message("config.public_url", value=cfg["PUBLIC_URL"]))
        cfg["PUBLIC_URL"] = str(cfg["PUBLIC_URL"]).rstrip("/")
    for key in PATHS:
        if cfg[key] is not None:
            if isinstance(cfg[key], bool) or not str(cfg[key]).strip():
                raise ConfigError(Message("config.path", key=key, value=cfg[key]))
            cfg[key] = str(cfg[key])
    from ..engine import Engine

    if cfg["ENGINE"] is not None and not isinstance(cfg["ENGINE"], Engine):
        raise ConfigError(Message("config.engine"))
