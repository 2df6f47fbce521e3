"""The app: the HTTP API and the web page on one engine.

``create_app(config=None)`` builds it (flaskr style): the configuration
(:mod:`livegate.http.config`), the decision resource with its engine, once per
app and so once per worker under ``livegate serve``
(:func:`livegate.http.decisions.init_app`), the blueprints (the v1 API, the
OpenAPI document, the interactive ``/docs/`` page, the web page), the error
handler, the metrics (:mod:`livegate.http.metrics`; ``GET /metrics`` when
``METRICS`` is on), and what every response carries: ``X-Request-Id``, the
ruleset headers, the security headers (:mod:`livegate.http.headers`), one JSON
access-log line and its count and latency in the metrics. ``OPTIONS`` is
answered ``204`` with ``Allow``.

No app and no mutable state live at module level; request state stays in the
request (``flask.g``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask.json.provider import JSONProvider
from flask_swagger_ui import get_swaggerui_blueprint
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect

from . import __version__
from .answer import dumps
from .http import api, decisions, errors, metrics
from .http.config import load_config
from .http.headers import API_CSP, COMMON, docs_csp
from .http.logs import ACCESS_LOGGER, READY, log_access
from .http.openapi import (
    PACKAGE_VERSION_HEADER,
    REQUEST_ID_HEADER,
    REQUEST_ID_PATTERN,
    RULESET_DIGEST_HEADER,
    RULESET_VERSION_HEADER,
)
from .profile import ProfileError
from .solver import EvaluationTimeout
from .web import web

__all__ = ["ACCESS_LOGGER", "create_app"]

_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)
"""An X-Request-Id echoed as sent: 1–128 visible ASCII characters but the comma (two headers
arrive joined by one, and neither is then the client's id)."""


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted by name in the metrics; any other is counted as ``other``."""


class _JsonProvider(JSONProvider):
    """Flask's JSON for returned dicts, through :func:`livegate.answer.dumps` (the same bytes
    as ``json.dumps`` with ``ensure_ascii=False`` and compact separators)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return dumps(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Any:
        """``jsonify``'s response: one value, or the values given (a list) or keywords (an object)."""
        if args and kwargs:
            raise TypeError("jsonify() takes either values or keywords, not both")
        obj = args[0] if len(args) == 1 else (args or kwargs or None)
        return Response(dumps(obj) + b"\n", mimetype="application/json")


class _Flask(Flask):
    """Flask, answering ``OPTIONS`` with ``204 No Content`` and ``Allow`` (not an empty ``200`` page)."""

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def _begin() -> None:
    g.started = time.perf_counter()
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    for name, value in COMMON.items():
        response.headers.setdefault(name, value)
    location = response.headers.get("Location")
    if location:
        # werkzeug's own redirects (//v1//health, /docs) are built on the Host header: keep the path only
        target = urlsplit(location)
        if target.netloc and target.netloc == request.host:
            response.headers["Location"] = (target.path or "/") + (f"?{target.query}" if target.query else "")
        if isinstance(request.routing_exception, RequestRedirect):
            # and their HTML body links to http://<Host>/…: no body, the Location says where
            response.set_data(b"")
            response.mimetype = "text/plain"
    if "Content-Security-Policy" not in response.headers:  # the pages set their own
        docs_page = request.blueprint == "docs" and response.mimetype == "text/html" and not response.is_streamed
        response.headers["Content-Security-Policy"] = docs_csp(response.get_data()) if docs_page else API_CSP
    found = current_app.extensions.get(decisions.EXTENSION)
    if found is not None:
        response.headers[RULESET_DIGEST_HEADER] = found.engine.ruleset["digest"]
        response.headers[RULESET_VERSION_HEADER] = found.engine.ruleset["version"]
    response.headers[PACKAGE_VERSION_HEADER] = __version__
    started = g.get("started")
    ready = request.environ.get(READY)  # under livegate serve: when the request had arrived whole
    wait = started - ready if started is not None and ready is not None else None
    counted = current_app.extensions.get(metrics.EXTENSION)
    if counted is not None:
        endpoint = request.url_rule.rule if request.url_rule is not None else metrics.UNMATCHED
        method = request.method if request.method in _METHODS else "other"  # labels from a bounded set
        counted.requests.labels(endpoint=endpoint, method=method, status=str(response.status_code)).inc()
        if started is not None:
            counted.latency.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        if wait is not None:
            counted.wait.observe(max(0.0, wait))
    if current_app.config["ACCESS_LOG"]:
        log_access(
            request_id=request_id,
            method=request.method,
            path=request.path,
            status=response.status_code,
            latency_ms=round((time.perf_counter() - started) * 1000, 3) if started else None,
            wait_ms=round(max(0.0, wait) * 1000, 3) if wait is not None else None,
            size=response.content_length,
            remote=request.remote_addr,
            **({"decision_id": g.decision_id} if g.get("decision_id") else {}),
            **({"code": g.error_code} if g.get("error_code") else {}),
        )
    return response


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, the engine, the routes and the error handler."""
    app = _Flask(__name__)
    app.config.update(load_config(config))
    app.json = _JsonProvider(app)
    decisions.init_app(app, metrics.init_app(app))
    app.register_blueprint(api.v1)
    app.register_blueprint(api.contract_doc)
    app.register_blueprint(web)
    app.register_blueprint(
        get_swaggerui_blueprint(
            "/docs",
            "/openapi.json",
            blueprint_name="docs",
            config={
                "app_name": "livegate API",
                "validatorUrl": None,
                "tryItOutEnabled": True,
                "displayRequestDuration": True,
                # not built from the Host header, as flask-swagger-ui would (no OAuth here anyway)
                "oauth2RedirectUrl": "/docs/oauth2-redirect.html",
            },
        )
    )
    app.before_request(_begin)
    app.after_request(_finish)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # the access log's remote address is the client's, as the last `hops` proxies saw it; only
        # X-Forwarded-For is read: links never come from the Host header (PUBLIC_URL)
        fixed = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0, x_host=0, x_port=0, x_prefix=0)
        app.wsgi_app = fixed  # type: ignore[method-assign]
    errors.register(app, ProfileError, EvaluationTimeout, decisions.DecisionLogError)
    return app
