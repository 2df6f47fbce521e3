"""The API's contract: an OpenAPI 3.1 document generated from schema objects.

The request schema is the one that validates requests: the pydantic models of
:mod:`livegate.profile` (``Profile``, ``Subject``, ``Goal``). The response
schemas are the pydantic models of :mod:`livegate.models`, the one definition
of the answer's shape (the tests validate every answer against them, and
schemathesis checks every response it provokes against this document). The
ids a profile may use, and the values of the answer's status, are published
as ``enum`` s read from the catalogue and the contract, so a client (and a
fuzzer) sees the valid vocabulary; the ids of answers, which a later minor
version may add to, as ``x-extensible-enum``, and the answers' schemas are
open (docs/api.md#compatibility). The request is still
validated by :func:`livegate.profile.parse_profile`, which names the nearest
valid ids.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .. import contract
from ..kb import Catalogue
from ..models import CatalogueDoc, Category, CheapestAnswer, Error, Evaluation, Health, Item, Liveness, Readiness
from ..profile import Profile
from ..words import LANGUAGES
from .errors import ERROR_CODES

__all__ = [
    "PACKAGE_VERSION_HEADER",
    "PROFILE_VOCABULARY",
    "REQUEST_ID_HEADER",
    "RULESET_DIGEST_HEADER",
    "RULESET_VERSION_HEADER",
    "build_openapi",
]

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_PATTERN = r"^[\x21-\x2B\x2D-\x7E]{1,128}$"
"""A usable request id, as the document states it: 1–128 visible ASCII characters but the comma."""
RULESET_DIGEST_HEADER = "X-Ruleset-Digest"
RULESET_VERSION_HEADER = "X-Ruleset-Version"
PACKAGE_VERSION_HEADER = "X-Livegate-Version"


def example_profile(catalogue: Catalogue) -> dict[str, Any]:
    """The example shown on the interactive page, read off the catalogue: a subject of the
    first supported type without a direct route, holding the one document of the first
    alternative (in the source's order) that asks for a single document and no role,
    and aiming at that category."""
    subject = next(t.id for t in catalogue.subject_types.values() if t.supported and not t.direct_access)
    category, alternative = next(
        (c, a)
        for c in catalogue.categories.values()
        for a in c.alternatives
        if len(a.items) == 1 and not a.reserved_for and a.items[0].count == 1
    )
    return {
        "subject": {"type": subject},
        "documents": [alternative.items[0].item],
        "goal": {"scenario": category.scenario, "categories": [category.id]},
    }


PROFILE_VOCABULARY: dict[tuple[str, ...], str] = {
    ("Subject", "type"): "subject_types",
    ("Subject", "roles", "items"): "roles",
    ("Profile", "documents", "items"): "items",
    ("Profile", "counts", "propertyNames"): "items",
    ("Profile", "activities", "items"): "activities",
    ("Goal", "scenario"): "scenarios",
    ("Goal", "categories", "items"): "categories",
    ("Goal", "access"): "access_methods",
    ("Profile", "costs", "propertyNames"): "items",
}
"""Where each id field of the profile schema takes its values from (a
``Catalogue`` attribute): (model, property, sub-schema…) → vocabulary. The same
pairing as the id checks of :func:`livegate.profile.parse_profile`."""

EXTENSIBLE_ENUM = "x-extensible-enum"
"""The known values of a field that a later minor version may add to (Zalando's API guidelines): a
client generator reads the field as a string, where an ``enum`` would make a new value an error."""

ANSWER_VOCABULARY: dict[tuple[str, ...], str] = {
    ("CategoryResult", "access"): "access_methods",
    ("Plan", "access"): "access_methods",
    ("CombinedAccess", "access"): "access_methods",
    ("CompanionAccess", "access"): "access_methods",
    ("Category", "access"): "access_methods",
    ("AccessMethod", "id"): "access_methods",
    ("CategoryResult", "scenario"): "scenarios",
    ("Category", "scenario"): "scenarios",
    ("CategoryResult", "id"): "categories",
    ("Evaluation", "eligible", "items"): "categories",
    ("Evaluation", "item_costs", "propertyNames"): "items",
    ("Plan", "categories", "items"): "categories",
    ("Plan", "missing", "items"): "items",
    ("Plan", "assumes", "items"): "activities",
    ("NextStep", "document"): "items",
    ("NextStep", "unlocks", "items"): "categories",
    ("NextStep", "unlocks_for_goal", "items"): "categories",
    ("NoPlanReason", "activity"): "activities",
    ("NoPlanReason", "category"): "categories",
    ("NoPlanReason", "role"): "roles",
    ("NoPlanReason", "item"): "items",
    ("NoPlanReason", "subject_type"): "subject_types",
}
"""Fields of the published documents whose values are catalogue ids (listed as :data:`EXTENSIBLE_ENUM`)."""

OPEN_KINDS: tuple[tuple[str, str], ...] = (
    ("NoPlanReason", "kind"),
    ("CategoryWarning", "kind"),
    ("ProblemDetail", "kind"),
    ("ProblemDetail", "of"),
    ("ReloadState", "stage"),
)
"""Fields whose values the models list (``Literal``) but a later minor version may add to, as it may
add error codes (docs/api.md#compatibility): published as :data:`EXTENSIBLE_ENUM`, not ``enum``
(a generated client read a new kind as an error)."""


# -- the document ---------------------------------------------------------------
_REQUEST_MODELS: list[type[BaseModel]] = [Profile]
_RESPONSE_MODELS: list[type[BaseModel]] = [
    Evaluation,
    CheapestAnswer,
    CatalogueDoc,
    Category,
    Item,
    Health,
    Liveness,
    Readiness,
    Error,
]


def _schemas(catalogue: Catalogue) -> dict[str, Any]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in _REQUEST_MODELS]
    pairs += [(m, "serialization") for m in _RESPONSE_MODELS]
    _, top = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    schemas = top["$defs"]
    for path, vocabulary in PROFILE_VOCABULARY.items():
        ids = set(getattr(catalogue, vocabulary))
        if vocabulary == "items":
            ids |= catalogue.aliases.keys()  # earlier item ids a profile may still send (item_alias/2)
        _node(schemas, path)["enum"] = sorted(ids)
        if len(path) == 2:  # see _enum_title
            _node(schemas, path)["title"] = _enum_title(path)
    # in answers, ids a later minor version may add: a client generated today must still read them
    for path, vocabulary in ANSWER_VOCABULARY.items():
        _node(schemas, path)[EXTENSIBLE_ENUM] = sorted(getattr(catalogue, vocabulary))
    _node(schemas, ("SubjectType", "direct_access"))[EXTENSIBLE_ENUM] = sorted(catalogue.access_methods)
    _node(schemas, ("ErrorDetail", "code"))[EXTENSIBLE_ENUM] = list(ERROR_CODES)
    for path in OPEN_KINDS:
        node = _node(schemas, path)
        node[EXTENSIBLE_ENUM] = node.pop("enum")
    _node(schemas, ("Reason", "kind"))[EXTENSIBLE_ENUM] = list(contract.REASONS)
    _node(schemas, ("CategoryResult", "status"))["enum"] = list(contract.STATUSES)  # closed: a new one is major
    _open_answers(schemas)
    # the API's answer always names its decision (the CLI's, of the same model, does not)
    evaluation = schemas["Evaluation"]
    evaluation["properties"]["decision_id"] = {
        "type": "string",
        "description": evaluation["properties"]["decision_id"]["description"],
    }
    evaluation["required"] = ["decision_id", *evaluation.get("required", [])]
    return schemas


def _open_answers(schemas: dict[str, Any]) -> None:
    """Drop ``additionalProperties: false`` from every schema the profile does not use: an answer
    may gain fields in a minor version (docs/api.md#compatibility), and a client that validated
    answers against a closed schema would refuse them. The models stay closed (``extra="forbid"``),
    so the tests still catch a field the shaper writes that the models do not declare; the
    profile's schemas stay closed, as its validation is (an unknown field is a 422)."""
    request: set[str] = set()
    todo = [m.__name__ for m in _REQUEST_MODELS]
    while todo:
        name = todo.pop()
        if name not in request:
            request.add(name)
            todo += re.findall(r'"#/components/schemas/(\w+)"', json.dumps(schemas[name]))
    for name, schema in schemas.items():
        if name not in request and schema.get("additionalProperties") is False:
            del schema["additionalProperties"]


def _enum_title(path: tuple[str, ...]) -> str:
    """The title of a property's enum of ids: ``TypeId``. Client generators name an enum by its
    model and its title, ``Subject`` + ``Type`` (pydantic's title of ``type``), which is also the
    name of the catalogue's ``SubjectType`` schema: openapi-python-client then dropped ``Subject``
    and ``Profile``, and both evaluation endpoints with them. ``Subject`` + ``TypeId`` is free."""
    name = "".join(part.title() for part in path[1].split("_"))
    return name if name.endswith("Id") else name + "Id"


def _node(schemas: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: dict[str, Any] = schemas[path[0]]["properties"][path[1]]
    for part in path[2:]:
        node = node.setdefault(part, {"type": "string"})
    if "anyOf" in node:  # an optional id: the non-null branch
        node = next(branch for branch in node["anyOf"] if branch.get("type") == "string")
    return node


def _header(description: str, **schema: Any) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "string", **schema}}


def _response(description: str, schema: str | None = None, *headers: str) -> dict[str, Any]:
    """A response with the headers every answer of the app carries, and ``headers`` besides."""
    out: dict[str, Any] = {
        "description": description,
        "headers": {
            name: {"$ref": f"#/components/headers/{name}"}
            for name in (
                REQUEST_ID_HEADER,
                RULESET_DIGEST_HEADER,
                RULESET_VERSION_HEADER,
                PACKAGE_VERSION_HEADER,
                *headers,
            )
        },
    }
    if schema is not None:
        out["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return out


def _errors(*statuses: int) -> dict[str, Any]:
    """The error responses of ``statuses``, each naming its codes; and those the server writes
    itself before a request is read or where its HTTP parser refuses it (400, 408, 413, 417, 431, 501:
    no request id or ruleset headers, ``request_id`` null)."""
    text = {
        400: "Malformed JSON, or a bad query parameter.",
        404: "No such id.",
        413: "Body larger than the configured limit (default 64 KiB).",
        415: "Content-Type is not application/json.",
        422: "The profile is invalid: missing or wrong-typed fields, unknown fields, unknown ids "
        "(with the nearest valid ones).",
        503: "The evaluation exceeded its time bound (default 2 s) and was stopped, or the decision log "
        "could not be written; retry later.",
    }
    out = {
        str(c): _response(f"{text[c]} Codes: {_codes(c)}.", "Error", "Vary", *(["Retry-After"] if c == 503 else []))
        for c in statuses
    }
    # any operation can meet a fault of the service's own
    out["500"] = _response(
        f"A fault of the service (a bug): the request id names it in the log. Code: {_codes(500)}.", "Error"
    )
    by_server = (
        (400, "The request line or a header is not valid HTTP/1.1", "malformed_request"),
        (408, "The request did not arrive in full within READ_TIMEOUT", "request_timeout"),
        (413, "A chunked body with a chunk announced over the limit, refused as its size is read", "body_too_large"),
        (417, "An Expect header other than 100-continue", "expectation_failed"),
        (431, "Head over 32 KiB", "request_header_fields_too_large"),
        (501, "A transfer coding the server does not know, before chunked", "unsupported_transfer_coding"),
        (503, "The request waited longer than QUEUE_TIMEOUT for a thread (the service is saturated)", "overloaded"),
    )
    for status, what, code in by_server:
        said = (
            f"{what} (livegate serve; written before the request is read: no request id or ruleset headers, "
            f"`request_id` null; the connection is closed). Code: `{code}`."
        )
        if str(status) in out:  # the operation's own 400s, and the server's
            out[str(status)]["description"] += f" Or: {said[0].lower()}{said[1:]}"
            continue
        out[str(status)] = {
            "description": said,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return out


def _header_parameter(name: str, description: str) -> dict[str, Any]:
    """An optional request header the server reads."""
    return {"name": name, "in": "header", "required": False, "description": description, "schema": {"type": "string"}}


def _codes(status: int) -> str:
    return ", ".join(f"`{code}`" for code, (s, _) in ERROR_CODES.items() if s == status)


def build_openapi(catalogue: Catalogue, *, version: str, ruleset: dict[str, str]) -> dict[str, Any]:
    """The OpenAPI document of the API for one knowledge base."""
    schemas = _schemas(catalogue)
    explain = {
        "name": "explain",
        "in": "query",
        "required": False,
        "description": "false leaves out the explanations (a smaller, faster answer).",
        "schema": {"type": "boolean", "default": True},
    }
    lang = {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "The language of the explanations and of error messages: zh (Chinese) or en (English); "
        "a language tag is read by its primary subtag, in any case, as Accept-Language is (en-US is en). "
        "Without it, the best of Accept-Language; without either, explanations are Chinese and errors English.",
        "schema": {"type": "string", "enum": list(LANGUAGES)},
    }
    accept_language = _header_parameter(
        "Accept-Language", "Read when ?lang is not given: its best language among zh and en, by quality."
    )
    request_id = _header_parameter(
        REQUEST_ID_HEADER,
        "Echoed in the answer's X-Request-Id (and its access-log line) when usable: 1–128 visible "
        "ASCII characters other than the comma, the pattern of the answer's X-Request-Id (any other is "
        "replaced by a generated id, not refused: compare the answer's header with the one sent).",
    )
    if_none_match = _header_parameter(
        "If-None-Match", "An ETag of an earlier answer: 304 while the catalogue is the same."
    )
    # a lookup's answer is the same in every language; its 404 says "no such id" in the request's
    lookup_lang = {
        **lang,
        "description": "The language of a 404's message: zh or en (a language tag by its primary subtag; any "
        "other value is not refused here, and counts as not given). Without it, the best of Accept-Language; "
        "without either, English. The entry itself is the same in every language.",
        "schema": {"type": "string", "examples": list(LANGUAGES)},
    }
    profile_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Profile"},
                "example": example_profile(catalogue),
            }
        },
    }

    def evaluation(summary: str, description: str, answer: str, op_id: str) -> dict[str, Any]:
        return {
            "post": {
                "operationId": op_id,
                "summary": summary,
                "description": description,
                "tags": ["evaluation"],
                "parameters": [explain, lang, accept_language, request_id],
                "requestBody": profile_body,
                "responses": {"200": _response("The answer.", answer, "Vary"), **_errors(400, 413, 415, 422, 503)},
            }
        }

    def lookup(kind: str, ids: list[str], schema: str, op_id: str) -> dict[str, Any]:
        return {
            "get": {
                "operationId": op_id,
                "summary": f"One {kind} of the catalogue",
                "tags": ["catalogue"],
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": f"The {kind}'s id; a later minor version may add ids, and an unknown one"
                        " is a 404 naming the nearest.",
                        "schema": {"type": "string", EXTENSIBLE_ENUM: ids},
                    },
                    if_none_match,
                    request_id,
                    lookup_lang,
                    accept_language,
                ],
                "responses": {
                    "200": _response(
                        f"The {kind}."
                        + (
                            " An earlier id answers as the item it names, whose address is Content-Location."
                            if kind == "item"
                            else ""
                        ),
                        schema,
                        "ETag",
                        "Cache-Control",
                        *(["Content-Location"] if kind == "item" else []),
                    ),
                    "304": _response("Not modified (If-None-Match).", None, "ETag", "Cache-Control"),
                    **_errors(404),
                },
            }
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "livegate",
            "version": version,
            "summary": "Which WeChat mini-program service categories let you stream live, what you still "
            "lack, and the cheapest path.",
            "description": f"Ruleset {ruleset['version']} ({ruleset['digest']}). Every error is "
            '`{"error": {"code", "message", "field", …}}`.',
        },
        "paths": {
            "/v1/evaluate": evaluation(
                "Evaluate a profile",
                "Eligibility, missing-document sets and explanations for every category, and the cheapest path.",
                "Evaluation",
                "evaluate",
            ),
            "/v1/cheapest": evaluation(
                "Only the cheapest path for a profile",
                "The same profile as /v1/evaluate; the answer holds only the path: the cheapest plans of the goal and "
                "of each scenario, the next steps, the notes and the ruleset.",
                "CheapestAnswer",
                "cheapest",
            ),
            "/v1/catalogue": {
                "get": {
                    "operationId": "catalogue",
                    "summary": "The whole catalogue",
                    "tags": ["catalogue"],
                    "parameters": [if_none_match, request_id],
                    "responses": {
                        "200": _response("The catalogue.", "CatalogueDoc", "ETag", "Cache-Control"),
                        "304": _response("Not modified (If-None-Match).", None, "ETag", "Cache-Control"),
                        **_errors(),
                    },
                }
            },
            "/v1/categories/{id}": lookup("category", list(catalogue.categories), "Category", "category"),
            # an earlier id a profile may still send answers as the item it names (Content-Location)
            "/v1/items/{id}": lookup("item", sorted([*catalogue.items, *catalogue.aliases]), "Item", "item"),
            "/v1/health": {
                "get": {
                    "operationId": "health",
                    "parameters": [request_id],
                    "summary": "Name, version, ruleset, decision log and answer cache",
                    "tags": ["service"],
                    "responses": {
                        "200": _response("The service is up.", "Health"),
                        "503": _response(
                            "Degraded: the decision log cannot be written, so every evaluation here is refused.",
                            "Health",
                        ),
                        **_errors(),
                    },
                }
            },
            "/v1/health/live": {
                "get": {
                    "operationId": "live",
                    "parameters": [request_id],
                    "summary": "Liveness: the process answers",
                    "tags": ["service"],
                    "responses": {"200": _response("The process answers.", "Liveness"), **_errors()},
                }
            },
            "/v1/health/ready": {
                "get": {
                    "operationId": "ready",
                    "parameters": [request_id],
                    "summary": "Readiness: engine grounded, decision log writable, ruleset linted",
                    "tags": ["service"],
                    "responses": {
                        "200": _response("Ready for evaluations.", "Readiness"),
                        "503": _response("Not ready: the checks that fail and why.", "Readiness"),
                        **_errors(),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "tags": ["service"],
                    "parameters": [if_none_match, request_id],
                    "responses": {
                        "200": {
                            **_response("The OpenAPI document (revalidate: no-cache).", None, "ETag", "Cache-Control"),
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "304": _response("Not modified (If-None-Match).", None, "ETag", "Cache-Control"),
                        **_errors(),
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            "headers": {
                REQUEST_ID_HEADER: _header(
                    "The client's X-Request-Id if it sent one usable one (1–128 visible "
                    "ASCII characters other than the comma), else a generated one.",
                    pattern=REQUEST_ID_PATTERN,
                ),
                RULESET_DIGEST_HEADER: _header(
                    "Digest of facts/ + logic/ that answered.", pattern=r"^sha256:[0-9a-f]{64}$"
                ),
                RULESET_VERSION_HEADER: _header("Version of the ruleset that answered."),
                PACKAGE_VERSION_HEADER: _header(
                    "Version of the livegate package that answered: its validation, ranking and words "
                    "(the rules' is X-Ruleset-Version). Log both to replay an answer."
                ),
                "Vary": _header("Accept-Language: the words follow the request's language."),
                "ETag": _header(
                    "Names this version of the catalogue (and of the entry asked); send it as If-None-Match."
                ),
                "Cache-Control": _header(
                    "The catalogue's: public, max-age=CATALOGUE_MAX_AGE (default 300 s); this document's: "
                    "no-cache (keep it, revalidate with If-None-Match)."
                ),
                "Content-Location": {
                    "description": "Sent when the id asked is an item's earlier id (item_alias/2): the address "
                    "of the item it names (/v1/items/<its id>).",
                    "required": False,
                    "schema": {"type": "string"},
                },
                "Retry-After": _header(
                    "Seconds to wait before asking again: 1 after evaluation_timeout, 30 after "
                    "decision_log_unavailable (as long as /v1/health stays degraded).",
                    type="integer",
                    minimum=1,
                ),
            },
        },
    }
