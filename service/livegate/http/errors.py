"""Every error the API answers, as ``{"error": {"code", "message", "field", ...}}``.

One handler (:func:`register`) turns werkzeug's HTTP errors (unknown route 404,
wrong method 405, …) and the domain exceptions into that shape, and counts each
by its code (``livegate_rejected_requests_total``). A domain
exception carries ``status`` and ``to_dict()``: :class:`ApiError` here,
:class:`~livegate.profile.ProfileError`, :class:`~livegate.solver.EvaluationTimeout`
and :class:`~livegate.http.decisions.DecisionLogError` (with ``retry_after``, sent as
``Retry-After``). Every message the API writes
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

__all__ = ["ERROR_CODES", "ApiError", "error_response", "plain_error", "register"]

ERROR_CODES: dict[str, tuple[int, str]] = {
    "malformed_json": (
        400,
        "The body is not a JSON value: empty, not UTF-8, NaN, nested too deep, a duplicate key, "
        "a leading byte order mark …",
    ),
    "malformed_body": (400, "A chunked body whose chunks are malformed."),
    "malformed_request": (400, "livegate serve: the request line or a header is not valid HTTP/1.1; closed."),
    "invalid_query": (
        400,
        "A query parameter the endpoint does not read, one given twice, or a value it does not take.",
    ),
    "unknown_category": (404, "No category has this id (`nearest`: the nearest ids)."),
    "unknown_item": (404, "No item has this id (`nearest`: the nearest ids)."),
    "not_found": (404, "No such route."),
    "method_not_allowed": (405, "The route does not take this method (`Allow` names those it takes)."),
    "request_timeout": (408, "livegate serve: the request did not arrive in full within READ_TIMEOUT; closed."),
    "body_too_large": (413, "The body is larger than MAX_CONTENT_LENGTH (default 64 KiB)."),
    "expectation_failed": (417, "livegate serve: an Expect header other than 100-continue; closed."),
    "unsupported_media_type": (
        415,
        "The Content-Type is not application/json (or +json), or its charset not UTF-8, or the body is compressed "
        "(a Content-Encoding other than identity).",
    ),
    "invalid_profile": (422, "The profile is invalid or contradicts itself (`errors`: every problem, by `kind`)."),
    "request_header_fields_too_large": (431, "livegate serve: the request head is over 32 KiB; closed."),
    "internal_server_error": (500, "A fault of the service (a bug): the request id names it in the log."),
    "unsupported_transfer_coding": (501, "livegate serve: a transfer coding unknown to it (before chunked); closed."),
    "overloaded": (
        503,
        "livegate serve: the request waited for a thread longer than QUEUE_TIMEOUT (default 1 s; the service is "
        "saturated) and was not served; `Retry-After` says when to ask again; closed.",
    ),
    "evaluation_timeout": (503, "The evaluation exceeded TIMEOUT (default 2 s) and was stopped; retry later."),
    "decision_log_unavailable": (503, "The decision log could not be written, so the answer is not given."),
}
"""Every ``code`` an error of the API may have: its status and what it means (the OpenAPI
document's enum and the table of docs/api.md#error-codes). A client tells errors apart by
``code``, never by ``message``."""


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
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # a 503 that may pass: when to ask again
            response.headers["Retry-After"] = str(retry_after)
    body["request_id"] = g.get("request_id")
    g.error_code = body["code"]  # for the access line (an SRE could not count errors by code in the log)
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
    counted = app.extensions.get(METRICS)
    if counted is not None:  # every code's series from the start, at 0: a rate() over it works before its first error
        for code in ERROR_CODES:
            counted.rejected.labels(code=code)


def plain_error(
    status: int, code: str, said: Message, headers: Iterable[tuple[str, str]] = (), field: str | None = None
) -> bytes:
    """A whole HTTP/1.1 answer in the error shape, for the server to write where no app runs (a
    request that did not arrive in time); it closes the connection. ``field`` as the app names it
    (``(body)`` for a body over the limit, as the app's own 413 says)."""
    body = dumps({"error": {"code": code, "message": str(said), "field": field, "request_id": None}}) + b"\n"
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
