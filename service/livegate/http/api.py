"""The HTTP API: a thin Flask app around one :class:`~livegate.engine.Engine`.

``create_app(config=None)`` builds an app (flaskr style): the defaults below,
then ``LIVEGATE_*`` environment variables (``LIVEGATE_TIMEOUT=0.5`` sets
``TIMEOUT``; values are read as JSON where they parse, else as strings), then
the ``config`` argument. :func:`init_engine` attaches the engine once per app,
so once per worker process under ``livegate serve``. No app and no mutable
state live at module level (the ``v1`` blueprint only records the routes);
request state stays in the request (``flask.g``).

Routes (all JSON): ``POST /v1/evaluate``, ``POST /v1/cheapest``,
``GET /v1/catalogue``, ``GET /v1/categories/<id>``, ``GET /v1/items/<id>``,
``GET /v1/health``, ``GET /openapi.json``; ``GET /docs/`` is the interactive
page (Swagger UI, served from the installed ``flask-swagger-ui`` package).

Every error is ``{"error": {"code", "message", "field", ...}}`` with its
status, from one handler: werkzeug's HTTP errors (unknown route 404, wrong
method 405, …) and the domain exceptions (:class:`ApiError`,
``ProfileError``, ``EvaluationTimeout``, :class:`DecisionLogError`), each of
which carries ``status`` and ``to_dict()``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, g, request
from flask.json.provider import JSONProvider
from flask_swagger_ui import get_swaggerui_blueprint
from gunicorn.http.errors import ParseException as BodyParseError  # gunicorn's InvalidChunkSize, …
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from . import __version__
from .engine import Engine, EvaluationTimeout
from .knowledge import Knowledge, catalogue_dict
from .openapi import REQUEST_ID_HEADER, RULESET_DIGEST_HEADER, RULESET_VERSION_HEADER, build_openapi
from .profile import JsonError, ProfileError, loads

__all__ = ["create_app", "init_engine", "decide", "load_config", "check_decision_log", "ApiError", "DecisionLogError",
           "ConfigError", "DEFAULTS", "EXTENSION", "ACCESS_LOGGER"]

DEFAULTS: dict[str, Any] = {
    "TIMEOUT": 2.0,                 # seconds one evaluation may take before it is stopped (503)
    "MAX_CONTENT_LENGTH": 64 * 1024,  # largest request body in bytes (413)
    "DECISION_LOG": None,           # path of the JSON-Lines decision log; None: no log
    "POOL_SIZE": 4,                 # clingo Controls per worker (concurrent evaluations)
    "ANSWER_CACHE": 1024,           # answers kept per worker for profiles asked again; 0: none
    "FACTS_DIR": None,              # knowledge base folders; None: the shipped ones
    "LOGIC_DIR": None,
    "CATALOGUE_MAX_AGE": 300,       # Cache-Control max-age of the catalogue endpoints, seconds
    "ACCESS_LOG": True,             # one JSON line per request on the "livegate.access" logger
    "ENGINE": None,                 # a ready Engine to use instead of building one (tests, embedding)
}
"""Configuration keys, their defaults and meaning; each can be set as ``LIVEGATE_<KEY>``."""

EXTENSION = "livegate"
"""Key of the per-app state in ``app.extensions``."""

ACCESS_LOGGER = "livegate.access"
_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class ConfigError(ValueError):
    """A configuration value is out of range or of the wrong type."""


class ApiError(Exception):
    """A request the API refuses: its status, a code, a message and the field at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.field, self.extra = status, code, field, extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self), "field": self.field, **self.extra}


class DecisionLogError(RuntimeError):
    """The decision log could not be written; the decision is withheld (an unlogged answer is unauditable)."""

    status = 503

    def to_dict(self) -> dict[str, Any]:
        return {"code": "decision_log_unavailable", "message": str(self), "field": None}


# -- configuration ----------------------------------------------------------------
def load_config(config: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``LIVEGATE_*`` variables of ``environ``, then ``config``; checked."""
    out = dict(DEFAULTS)
    environ = os.environ if environ is None else environ
    for name, raw in environ.items():
        if name.startswith("LIVEGATE_"):
            key = name[len("LIVEGATE_"):]
            try:
                out[key] = json.loads(raw)
            except ValueError:
                out[key] = raw
    out.update(config or {})
    _check(out)
    return out


def _check(cfg: dict[str, Any]) -> None:
    def number(key: str, low: float, kinds: tuple[type, ...] = (int, float)) -> None:
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, kinds) or value < low:
            kind = "an integer" if kinds == (int,) else "a number"
            raise ConfigError(f"{key} (LIVEGATE_{key}) must be {kind} >= {low:g}, not {value!r}")

    number("TIMEOUT", 1e-9)
    number("MAX_CONTENT_LENGTH", 1, (int,))
    number("POOL_SIZE", 1, (int,))
    number("ANSWER_CACHE", 0, (int,))
    number("CATALOGUE_MAX_AGE", 0, (int,))
    if not isinstance(cfg["ACCESS_LOG"], bool):
        raise ConfigError(f"ACCESS_LOG (LIVEGATE_ACCESS_LOG) must be true or false, not {cfg['ACCESS_LOG']!r}")
    for key in ("DECISION_LOG", "FACTS_DIR", "LOGIC_DIR"):
        if cfg[key] is not None:
            cfg[key] = str(cfg[key])
    if cfg["ENGINE"] is not None and not isinstance(cfg["ENGINE"], Engine):
        raise ConfigError("ENGINE must be a livegate.Engine")


# -- per-app state ------------------------------------------------------------------
class _State:
    """What one app holds: the engine and what is computed once from it."""

    def __init__(self, engine: Engine, decision_log: str | None):
        self.engine = engine
        self.ruleset = dict(engine.ruleset)
        self.catalogue = catalogue_dict(engine.knowledge)
        self.catalogue_body = _json_bytes(self.catalogue)
        self.catalogue_etag = hashlib.sha256(self.catalogue_body).hexdigest()[:32]
        self.categories = {c["id"]: c for c in self.catalogue["categories"]}
        self.items = {i["id"]: i for i in self.catalogue["items"]}
        self.openapi_body = _json_bytes(build_openapi(engine.catalogue, version=__version__,
                                                      ruleset=self.ruleset))
        self.decision_log = check_decision_log(decision_log)
        self._log_lock = threading.Lock()

    def log_decision(self, entry: dict[str, Any]) -> None:
        """Append one JSON line; one ``write`` on an O_APPEND file, so workers do not interleave."""
        if self.decision_log is None:
            return
        line = _json_bytes(entry) + b"\n"
        try:
            with self._log_lock:
                fd = os.open(self.decision_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    written = os.write(fd, line)
                finally:
                    os.close(fd)
            if written != len(line):
                raise OSError(0, f"only {written} of {len(line)} bytes written")
        except OSError as exc:
            raise DecisionLogError(f"the decision log {self.decision_log} cannot be written: "
                                   f"{exc.strerror}; the answer was withheld") from None


def check_decision_log(path: str | None) -> Path | None:
    """The decision log's path, created and opened once for appending; ``ConfigError`` if it cannot be."""
    if not path:
        return None
    log = Path(path)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
    except OSError as exc:
        raise ConfigError(f"DECISION_LOG (LIVEGATE_DECISION_LOG) {log} cannot be opened for appending: "
                          f"{exc.strerror}") from None
    return log


def init_engine(app: Flask) -> None:
    """Attach the engine (built here unless ``ENGINE`` gives one) and what derives from it."""
    engine = app.config["ENGINE"]
    if engine is None:
        knowledge = Knowledge.load(app.config["FACTS_DIR"], app.config["LOGIC_DIR"])
        engine = Engine(knowledge, pool_size=app.config["POOL_SIZE"], answer_cache=app.config["ANSWER_CACHE"])
    app.extensions[EXTENSION] = _State(engine, app.config["DECISION_LOG"])


def _state() -> _State:
    return current_app.extensions[EXTENSION]


def _json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON, keys in their order: orjson (a 50 KB answer in about a
    tenth of the standard library's time), or ``json`` for what orjson refuses
    (integers beyond 64 bits)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class _JsonProvider(JSONProvider):
    """Flask's JSON for returned dicts, through :func:`_json_bytes` (the same bytes
    as ``json.dumps`` with ``ensure_ascii=False`` and compact separators)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return _json_bytes(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        body = _json_bytes(self._prepare_response_obj(args, kwargs)) + b"\n"
        return self._app.response_class(body, mimetype="application/json")


# -- request helpers --------------------------------------------------------------
def _read_profile() -> Any:
    """The request body as decoded JSON, or the 415/413/400 that says why not."""
    if request.mimetype != "application/json" and not (
            request.mimetype.startswith("application/") and request.mimetype.endswith("+json")):
        got = request.headers.get("Content-Type") or "none"
        raise ApiError(415, "unsupported_media_type",
                       f"send the profile as JSON with Content-Type: application/json (got {got})",
                       "Content-Type")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", f"JSON must be UTF-8, not {charset}", "Content-Type")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    too_large = ApiError(413, "body_too_large",
                         f"the body is larger than the limit of {limit} bytes (LIVEGATE_MAX_CONTENT_LENGTH)",
                         "(body)")
    if request.content_length is not None:
        if request.content_length > limit:
            raise too_large
        raw = request.get_data(cache=False)
    elif request.environ.get("wsgi.input_terminated"):
        # A streamed (chunked) body: werkzeug's stream would stop silently at the
        # limit, so read one byte past it to tell "too large" from "exactly the limit".
        try:
            raw = _read_at_most(request.input_stream, limit + 1)
        except (OSError, ValueError, BodyParseError) as exc:  # a broken chunked encoding
            raise ApiError(400, "malformed_body", f"the chunked body is malformed: {exc}", "(body)") from None
        if len(raw) > limit:
            raise too_large
    else:  # no length and a server that does not end the stream: no body (werkzeug's safe default)
        raw = b""
    if not raw.strip():
        raise ApiError(400, "malformed_json", "the body is empty; send a profile as a JSON object", "(body)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_json", f"the body is not UTF-8 (byte {exc.start})", "(body)") from None
    try:
        return loads(text)
    except JsonError as exc:
        raise ApiError(400, "malformed_json", str(exc), "(body)") from None


def _read_at_most(stream, size: int) -> bytes:
    chunks, total = [], 0
    while total < size:
        chunk = stream.read(size - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _explain() -> bool:
    raw = request.args.get("explain")
    if raw is None:
        return True
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ApiError(400, "invalid_query", f"explain must be true or false, not {raw!r}", "explain")


def decide(data: Any, endpoint: str, *, explain: bool = True) -> tuple[Any, dict[str, Any], str]:
    """Validate, evaluate and log one decoded profile (the API's and the web page's
    one path): the parsed profile, the engine's answer and its decision id."""
    state = _state()
    profile = state.engine.parse(data)
    answer = state.engine.evaluate(profile, explain_=explain, timeout=current_app.config["TIMEOUT"])
    decision_id = str(uuid.uuid4())
    g.decision_id = decision_id
    state.log_decision({
        "decision_id": decision_id, "time": _now(), "request_id": g.get("request_id"), "endpoint": endpoint,
        "ruleset": answer["ruleset"], "profile": data, "eligible": answer["eligible"],
        "cheapest_cost": answer["cheapest"]["cost"],
        "cheapest_plans": [p["categories"] for p in answer["cheapest"]["plans"]],
    })
    return profile, answer, decision_id


def _decide(endpoint: str) -> tuple[dict[str, Any], str]:
    """The request's profile, decided: the engine's answer and its decision id."""
    _, answer, decision_id = decide(_read_profile(), endpoint, explain=_explain())
    return answer, decision_id


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cached(body: bytes, etag: str) -> Response:
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["CATALOGUE_MAX_AGE"]
    return response.make_conditional(request)


def _lookup(kind: str, table: dict[str, dict], id_: str) -> Response:
    entry = table.get(id_)
    if entry is None:
        nearest = difflib.get_close_matches(id_, sorted(table), n=3, cutoff=0.5)
        hint = ("; did you mean " + " or ".join(repr(n) for n in nearest) + "?") if nearest else ""
        raise ApiError(404, f"unknown_{kind}", f"unknown {kind} id {id_!r}{hint}", "id", nearest=nearest)
    body = _json_bytes(entry)
    return _cached(body, f"{_state().catalogue_etag}-{hashlib.sha256(body).hexdigest()[:16]}")


# -- routes ---------------------------------------------------------------------
v1 = Blueprint("v1", __name__, url_prefix="/v1")


@v1.post("/evaluate")
def evaluate():
    answer, decision_id = _decide("evaluate")
    return {"decision_id": decision_id, **answer}


@v1.post("/cheapest")
def cheapest():
    answer, decision_id = _decide("cheapest")
    return {"decision_id": decision_id, "ruleset": answer["ruleset"], "cheapest": answer["cheapest"]}


@v1.get("/catalogue")
def catalogue():
    state = _state()
    return _cached(state.catalogue_body, state.catalogue_etag)


@v1.get("/categories/<id_>")
def category(id_: str):
    return _lookup("category", _state().categories, id_)


@v1.get("/items/<id_>")
def item(id_: str):
    return _lookup("item", _state().items, id_)


@v1.get("/health")
def health():
    state = _state()
    return {"status": "ok", "name": "livegate", "version": __version__, "ruleset": dict(state.ruleset),
            "engine_loaded": state.engine is not None}


def openapi():
    response = Response(_state().openapi_body, mimetype="application/json")
    response.cache_control.no_cache = True
    return response


# -- cross-cutting: request id, ruleset headers, access log, errors ---------------
def _begin() -> None:
    g.started = time.perf_counter()
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    state = current_app.extensions.get(EXTENSION)
    if state is not None:
        response.headers[RULESET_DIGEST_HEADER] = state.ruleset["digest"]
        response.headers[RULESET_VERSION_HEADER] = state.ruleset["version"]
    if current_app.config["ACCESS_LOG"]:
        started = g.get("started")
        line = {
            "time": _now(), "request_id": request_id, "method": request.method, "path": request.path,
            "status": response.status_code,
            "latency_ms": round((time.perf_counter() - started) * 1000, 3) if started else None,
            "bytes": response.content_length, "remote": request.remote_addr,
        }
        if g.get("decision_id"):
            line["decision_id"] = g.decision_id
        logging.getLogger(ACCESS_LOGGER).info(json.dumps(line, ensure_ascii=False))
    return response


def _error(exc: Exception) -> Response:
    """The one error handler: every error as ``{"error": {...}}`` with its status."""
    if isinstance(exc, HTTPException):
        response = exc.get_response()  # keeps headers such as Allow on a 405
        status = exc.code or 500
        message = exc.description or exc.name
        if isinstance(exc, NotFound):
            message = f"no such endpoint: {request.path}; the API is described at /openapi.json"
        elif isinstance(exc, MethodNotAllowed):
            message = (f"{request.method} is not allowed on {request.path}; "
                       f"allowed: {', '.join(exc.valid_methods or [])}")
        body = {"code": re.sub(r"\W+", "_", (exc.name or "error").lower()).strip("_"),
                "message": message, "field": None}
    else:
        response = Response()
        status = exc.status
        body = exc.to_dict()
    body["request_id"] = g.get("request_id")
    response.set_data(_json_bytes({"error": body}))
    response.mimetype = "application/json"
    response.status_code = status
    return response


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the API app: configuration, the engine, the routes and the error handler."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    app.json = _JsonProvider(app)
    init_engine(app)

    app.register_blueprint(v1)
    from .web import web  # the HTML pages (imported here: web.py imports this module)

    app.register_blueprint(web)
    app.add_url_rule("/openapi.json", "openapi", openapi)
    app.register_blueprint(get_swaggerui_blueprint(
        "/docs", "/openapi.json", blueprint_name="docs",
        config={"app_name": "livegate API", "validatorUrl": None, "tryItOutEnabled": True,
                "displayRequestDuration": True}))
    app.before_request(_begin)
    app.after_request(_finish)
    for exc_class in (HTTPException, ApiError, ProfileError, EvaluationTimeout, DecisionLogError):
        app.register_error_handler(exc_class, _error)
    return app
