"""Every error the API answers, as ``{"error": {"code", "message", "field", ...}}``.

One handler (:func:`register`) turns werkzeug's HTTP errors (unknown route 404,
wrong method 405, …) and the domain exceptions into that shape, and counts each
by its code (``livegate_rejected_requests_total``). A domain
exception carries ``status`` and ``to_dict()``: :class:`ApiError` here,
:class:`~livegate.profile.ProfileError`, :class:`~livegate.solver.EvaluationTimeout`
and :class:`~livegate.http.decisions.DecisionLogError`. Every message the API writes
itself comes from the message catalogue (``http.*``, ``engine.*``, ``json.*``,
``problem.*``), in the language the request asks for (``?lang``, ``Accept-Language``), else
English; werkzeug's own words remain for the other HTTP errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from ..answer import dumps
from ..words import ENGLISH, Message, Said
from .language import asked, vary
from .metrics import EXTENSION as METRICS

__all__ = ["ApiError", "error_response", "plain_error", "register"]


class ApiError(Said):
    """A request the API refuses: its status, a code, its words (``said``; the API answers them
    in the language the request asks for, else English) and the field at fault."""

    def __init__(self, status: int, code: str, said: Message | str, field: str | None = None, **extra: Any):
        super().__init__(said)
        self.status, self.code, self.field, self.extra = status, code, field, extra

    def to_dict(self, lang: str = ENGLISH) -> dict[str, Any]:
        return {"code": self.code, "message": self.said.text(lang), "field": self.field, **self.extra}


def error_response(exc: Exception) -> Response:
    """The one error handler: every error as ``{"error": {...}}`` with its status, its words in
    the language the request asks for (:func:`~livegate.http.language.asked`), else English."""
    lang = asked() or ENGLISH
    if isinstance(exc, HTTPException):
        response = exc.get_response()  # keeps headers such as Allow on a 405
        status = exc.code or 500
        message = exc.description or exc.name  # werkzeug's words for the rest
        if isinstance(exc, NotFound):
            message = Message("http.no_endpoint", path=request.path).text(lang)
        elif isinstance(exc, MethodNotAllowed):
            allowed = ", ".join(sorted(exc.valid_methods or []))  # werkzeug keeps them in a set
            said = Message("http.method_not_allowed", method=request.method, path=request.path, allowed=allowed)
            message = said.text(lang)
        body = {
            "code": re.sub(r"\W+", "_", (exc.name or "error").lower()).strip("_"),
            "message": message,
            "field": None,
        }
    else:
        response = Response()
        status = exc.status  # type: ignore[attr-defined]
        body = exc.to_dict(lang)  # type: ignore[attr-defined]
    body["request_id"] = g.get("request_id")
    vary(response)
    counted = current_app.extensions.get(METRICS)
    if counted is not None:
        counted.rejected.labels(code=body["code"]).inc()
    response.set_data(dumps({"error": body}))
    response.mimetype = "application/json"
    response.status_code = status
    return response


def register(app: Flask, *exception_classes: type[Exception]) -> None:
    """Answer werkzeug's HTTP errors and each of ``exception_classes`` with :func:`error_response`."""
    for exc_class in (HTTPException, ApiError, *exception_classes):
        app.register_error_handler(exc_class, error_response)


def plain_error(status: int, code: str, said: Message, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """A whole HTTP/1.1 answer in the error shape, for the server to write where no app runs (a
    request that did not arrive in time); it closes the connection."""
    body = dumps({"error": {"code": code, "message": str(said), "field": None, "request_id": None}}) + b"\n"
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
