"""The v1 JSON API (blueprint ``v1``) and ``/openapi.json`` (blueprint ``contract``).

====================================  ==============================================
``POST /v1/evaluate``                 a profile → the full answer, with ``decision_id``
``POST /v1/cheapest``                 the same profile → ``cheapest``, ``ruleset``, ``decision_id``
``GET /v1/catalogue``                 the catalogue (ETag, Cache-Control, 304)
``GET /v1/categories/<id>``           one category; 404 with the nearest ids
``GET /v1/items/<id>``                one item; 404 with the nearest ids
``GET /v1/health``                    the summary: ruleset, decision log, answer cache, readiness, every
                                      worker's ruleset, the last reload; 503 if degraded
``GET /v1/health/live``               200 whenever the process answers
``GET /v1/health/ready``              200 when the engine is grounded, the decision log writable and the
                                      ruleset passes lint; else 503 with the problems
``GET /openapi.json``                 the OpenAPI document
====================================  ==============================================

What is computed once per app from the knowledge base (the catalogue's bytes
and ETag, the OpenAPI document) is kept in ``app.extensions["livegate.v1"]``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, request, url_for
from gunicorn.http.errors import ParseException as BodyParseError  # gunicorn's InvalidChunkSize, …
from werkzeug.wrappers import Response

from .. import __version__
from ..answer import dumps
from ..profile import ID_LENGTH, JsonError, loads, nearest_ids, suggested_ids
from ..words import LANGUAGES, Listed, Message
from .decisions import decisions
from .errors import ApiError
from .language import asked, named, vary
from .openapi import build_openapi
from .runtime import read_reload, workers

__all__ = ["contract_doc", "v1"]

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
_PUBLISHED = "livegate.v1"

v1 = Blueprint("v1", __name__, url_prefix="/v1")
contract_doc = Blueprint("contract", __name__)


@dataclass(frozen=True)
class _Published:
    """The catalogue and OpenAPI documents of one app, written once."""

    catalogue: bytes
    etag: str
    categories: dict[str, bytes]
    items: dict[str, bytes]
    aliases: dict[str, str]
    """An earlier item id a profile may still send (``item_alias/2``) → the item's id."""
    openapi: bytes
    openapi_etag: str


@v1.record_once
def _publish(state: Any) -> None:
    app = state.app
    with app.app_context():
        engine = decisions().engine
    catalogue = engine.knowledge.catalogue_json()
    body = dumps(catalogue)
    app.extensions[_PUBLISHED] = _Published(
        body,
        hashlib.sha256(body).hexdigest()[:32],
        {c["id"]: dumps(c) for c in catalogue["categories"]},
        {i["id"]: dumps(i) for i in catalogue["items"]},
        dict(engine.catalogue.aliases),
        openapi := dumps(build_openapi(engine.catalogue, version=__version__, ruleset=engine.ruleset)),
        hashlib.sha256(openapi).hexdigest()[:32],
    )


def _published() -> _Published:
    found: _Published = current_app.extensions[_PUBLISHED]
    return found


def _json(body: bytes) -> Response:
    return Response(body + b"\n", mimetype="application/json")


# -- reading a request -------------------------------------------------------------
def _read_profile() -> Any:
    """The request body as decoded JSON, or the 415/413/400 that says why not."""
    if request.mimetype != "application/json" and not (
        request.mimetype.startswith("application/") and request.mimetype.endswith("+json")
    ):
        got = request.headers.get("Content-Type") or Message("http.no_content_type")
        raise ApiError(415, "unsupported_media_type", Message("http.content_type", got=got), "Content-Type")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", Message("http.charset", charset=charset), "Content-Type")
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in ("", "identity"):  # a gzip body was "not UTF-8 (byte 1)" (RFC 9110, 8.4: 415)
        said = Message("http.content_encoding", coding=request.headers["Content-Encoding"])
        raise ApiError(415, "unsupported_media_type", said, "Content-Encoding")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    too_large = ApiError(413, "body_too_large", Message("http.body_too_large", limit=limit), "(body)")
    if request.content_length is not None:
        if request.content_length > limit:
            raise too_large
        raw = request.get_data(cache=False)
    elif request.environ.get("wsgi.input_terminated"):
        # A streamed (chunked) body: werkzeug's stream would stop silently at the
        # limit, so read one byte past it to tell "too large" from "exactly the limit".
        try:
            raw = _read_at_most(request.input_stream, limit + 1)
        except (OSError, ValueError, BodyParseError):  # a broken chunked encoding; the server's words are its own
            raise ApiError(400, "malformed_body", Message("http.chunked_malformed"), "(body)") from None
        if len(raw) > limit:
            raise too_large
    else:  # no length and a server that does not end the stream: no body (werkzeug's safe default)
        raw = b""
    if not raw.strip():  # (65,536 spaces were "the body is empty")
        raise ApiError(400, "malformed_json", Message("http.body_empty" if not raw else "http.body_blank"), "(body)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_json", Message("http.body_not_utf8", byte=exc.start), "(body)") from None
    try:
        return loads(text)
    except JsonError as exc:
        raise ApiError(400, "malformed_json", exc.said, "(body)") from None


def _read_at_most(stream: Any, size: int) -> bytes:
    chunks, total = [], 0
    while total < size:
        chunk = stream.read(size - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


_QUERY = ("explain", "lang")
"""The query parameters of ``/v1/evaluate`` and ``/v1/cheapest``."""


def _query() -> None:
    """Refuse a query parameter the answer does not read, or one given twice: a mistyped
    ``?explian=false`` would otherwise be answered as if not asked (unknown body fields are
    refused for the same reason), and ``?explain=true&explain=false`` contradicts itself."""
    for name in request.args:
        if name not in _QUERY:
            nearest = nearest_ids(name, _QUERY)
            hint = Message("problem.nearest", ids=Listed(nearest, "problem.nearest_or")) if nearest else ""
            said = Message("http.query_unknown", name=name, hint=hint)
            raise ApiError(400, "invalid_query", said, name, nearest=nearest)
        given = request.args.getlist(name)
        if len(given) > 1:
            raise ApiError(400, "invalid_query", Message("http.query_twice", name=name, count=len(given)), name)


def _explain() -> bool:
    raw = request.args.get("explain")
    if raw is None:
        return True
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ApiError(400, "invalid_query", Message("http.explain_not_bool", value=raw), "explain")


def _lang() -> str:
    """The language of the answer's explanations: ``?lang`` (refused unless it names one), else
    the best of ``Accept-Language``, else Chinese."""
    raw = request.args.get("lang")
    if raw is not None and named(raw) is None:  # en-US and EN are English, as in Accept-Language
        said = Message("http.lang_unknown", value=raw, languages=Listed(LANGUAGES, "problem.nearest_or"))
        raise ApiError(400, "invalid_query", said, "lang")
    return asked() or LANGUAGES[0]


def _cached(body: bytes, etag: str) -> Response:
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["CATALOGUE_MAX_AGE"]
    return response.make_conditional(request)


def _lookup(kind: str, table: dict[str, bytes], id_: str) -> Response:
    body = table.get(id_)
    if body is None:
        catalogue = decisions().engine.catalogue
        entries: dict[str, Any] = catalogue.categories if kind == "category" else catalogue.items
        if len(id_) > ID_LENGTH:  # no id is this long: neither searched for nor said back whole (31 KB were)
            nearest, shown = [], id_[:ID_LENGTH] + "…"
        else:  # 营业执照 → business_license
            nearest, shown = suggested_ids(id_, {k: entries.get(k) for k in table}), id_
        hint = Message("problem.nearest", ids=Listed(nearest, "problem.nearest_or")) if nearest else ""
        said = Message(f"http.unknown_{kind}", value=shown, hint=hint)
        raise ApiError(404, f"unknown_{kind}", said, "id", nearest=nearest)
    return _cached(body, f"{_published().etag}-{hashlib.sha256(body).hexdigest()[:16]}")


# -- routes ---------------------------------------------------------------------------
@v1.post("/evaluate")
def evaluate() -> Response:
    _query()
    decision = decisions().decide(_read_profile(), "evaluate", explain=_explain(), lang=_lang())
    return vary(_json(b'{"decision_id":' + dumps(decision.decision_id) + b"," + decision.answer.body[1:]))


@v1.post("/cheapest")
def cheapest() -> Response:
    _query()
    decision = decisions().decide(_read_profile(), "cheapest", explain=_explain(), lang=_lang())
    shaped = decision.answer
    return vary(
        _json(
            b'{"decision_id":'
            + dumps(decision.decision_id)
            + b',"ruleset":'
            + shaped.ruleset
            + b","
            + shaped.path
            + b"}"
        )
    )


@v1.get("/catalogue")
def catalogue() -> Response:
    published = _published()
    return _cached(published.catalogue, published.etag)


@v1.get("/categories/<id_>")
def category(id_: str) -> Response:
    return _lookup("category", _published().categories, id_)


@v1.get("/items/<id_>")
def item(id_: str) -> Response:
    """The item; asked by an earlier id a profile still accepts (``item_alias/2``), the item it
    names, whose own address ``Content-Location`` gives (a profile and this endpoint agree)."""
    published = _published()
    current = published.aliases.get(id_)
    if current is None:
        return _lookup("item", published.items, id_)
    response = _lookup("item", published.items, current)
    response.headers["Content-Location"] = url_for("v1.item", id_=current)
    return response


def _no_store(body: dict[str, Any], status: int = 200) -> Response:
    response = _json(dumps(body))
    response.status_code = status
    response.cache_control.no_store = True
    return response


@v1.get("/health")
def health() -> Response:
    """``ok`` (200), or ``degraded`` (503: a load balancer should send evaluations elsewhere) while
    the decision log cannot be written, since every evaluation here would be refused."""
    found = decisions()
    state = found.health()
    degraded = not state["decision_log"]["writable"]
    run_dir = current_app.config["RUN_DIR"]
    pid = os.getpid()
    serving = workers(run_dir) if run_dir else []
    if not any(w["pid"] == pid for w in serving):  # not under serve, or this worker's file is not written yet
        serving = sorted([*serving, {"pid": pid, "ruleset": found.engine.ruleset}], key=lambda w: w["pid"])
    body = {
        "status": "degraded" if degraded else "ok",
        "name": "livegate",
        "version": __version__,
        "ruleset": found.engine.ruleset,
        "engine_loaded": found.engine is not None,
        **state,
        "ready": found.readiness()["status"] == "ready",
        "pid": pid,
        "workers": serving,
        "reload": read_reload(run_dir) if run_dir else None,
    }
    return _no_store(body, 503 if degraded else 200)


@v1.get("/health/live")
def live() -> Response:
    """200 whenever the process answers: a liveness probe restarts it only when it does not."""
    return _no_store({"status": "alive"})


@v1.get("/health/ready")
def ready() -> Response:
    """200 ``ready`` when the engine is grounded, the decision log can be written and the ruleset
    passes lint; else 503 ``not_ready`` with the problems (send traffic elsewhere)."""
    state = decisions().readiness()
    return _no_store(state, 200 if state["status"] == "ready" else 503)


@contract_doc.get("/openapi.json")
def openapi() -> Response:
    published = _published()
    response = Response(published.openapi, mimetype="application/json")
    response.set_etag(published.openapi_etag)
    response.cache_control.no_cache = True  # kept, but revalidated: a 304 while the document is the same
    return response.make_conditional(request)
