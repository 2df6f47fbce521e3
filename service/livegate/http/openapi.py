"""The API's contract: an OpenAPI 3.1 document generated from schema objects.

The request schema is the one that validates requests: the pydantic models of
:mod:`livegate.profile` (``Profile``, ``Subject``, ``Goal``). The response
schemas are the pydantic models below; nothing validates responses with them at
run time, the API tests do (schemathesis checks every response it provokes
against this document). The ids a profile may use are published as ``enum`` s
read from the catalogue, so a client (and a fuzzer) sees the valid vocabulary;
the request is still validated by :func:`livegate.profile.parse_profile`, which
names the nearest valid ids.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from .knowledge import Catalogue
from .profile import Profile

__all__ = ["build_openapi", "EXAMPLE_PROFILE", "PROFILE_VOCABULARY", "REQUEST_ID_HEADER",
           "RULESET_DIGEST_HEADER", "RULESET_VERSION_HEADER"]

REQUEST_ID_HEADER = "X-Request-Id"
RULESET_DIGEST_HEADER = "X-Ruleset-Digest"
RULESET_VERSION_HEADER = "X-Ruleset-Version"

EXAMPLE_PROFILE: dict[str, Any] = {
    "subject": {"type": "enterprise"},
    "documents": ["business_license", "financial_licence"],
    "goal": {"scenario": "finance", "categories": ["finance_bank"]},
}
"""The example shown on the interactive page (a bank that holds its licence)."""

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


# -- response models -----------------------------------------------------------
Status = Literal["eligible", "missing", "not_applicable", "blocked"]
Access = Literal["standard_live", "cloud_live_plugin"]


class Ruleset(BaseModel):
    """The knowledge base that produced an answer."""

    version: str
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class Source(BaseModel):
    section: str
    url: str
    line: int


class CombinedAccess(BaseModel):
    with_: str = Field(alias="with")
    access: Access


class MissingSet(BaseModel):
    """One subset-minimal set of items a category still lacks."""

    alternative: str
    alternatives: dict[str, str]
    documents: list[str]
    shortfalls: dict[str, int]
    cost: int


class CategoryWarning(BaseModel):
    kind: Literal["note", "remedy"]
    id: str
    text: str | None
    lead_time_days: int | None = None


class CategoryResult(BaseModel):
    """The verdict on one category for the profile."""

    id: str
    name: str
    status: Status
    access: Access
    scenario: str
    combined_access: list[CombinedAccess]
    missing_sets: list[MissingSet]
    requires_categories: list[str]
    external_requirements: list[str]
    warnings: list[CategoryWarning]
    source: Source
    explanation: list[str] | None = Field(default=None, description="Left out with ?explain=false.")


class MissingItem(BaseModel):
    id: str
    name: str
    qualifier: str | None
    issuer_class: str
    count: int


class Companion(BaseModel):
    category: str
    companion: str


class Plan(BaseModel):
    """One of the cheapest ways to a category (or the government direct route)."""

    direct: bool
    categories: list[str]
    alternatives: dict[str, str]
    equivalent_alternatives: dict[str, list[str]]
    missing: list[str]
    shortfalls: dict[str, int]
    missing_detail: list[MissingItem]
    access: Access
    cost: int
    companions: list[Companion]
    external_requirements: list[str]
    lead_time_days: int
    explanation: list[str] | None = Field(default=None, description="Left out with ?explain=false.")


class Cheapest(BaseModel):
    """The plans of minimal cost; ``cost`` is null when no plan exists."""

    cost: int | None
    plans: list[Plan]
    explanation: list[str] | None = Field(default=None, description="Why there is no plan (when there is none).")


class GeneralNote(BaseModel):
    id: str
    text: str
    line: int


class Evaluation(BaseModel):
    """The full answer for one profile (SPEC section 3)."""

    decision_id: str = Field(description="Names this answer in the decision log.")
    ruleset: Ruleset
    subject_supported: bool
    direct_standard_live: bool
    eligible: list[str]
    categories: list[CategoryResult]
    cheapest: Cheapest
    notes: list[GeneralNote]


class CheapestAnswer(BaseModel):
    """Only the cheapest path, for integrations that just want the path."""

    decision_id: str
    ruleset: Ruleset
    cheapest: Cheapest


class RequiredItem(BaseModel):
    item: str
    count: int


class Alternative(BaseModel):
    id: str
    label: str
    items: list[RequiredItem]
    reserved_for: list[str]


class CategoryNote(BaseModel):
    id: str
    text: str | None = None
    category: str | None = None
    lead_time_days: int | None = None


class CompanionAccess(BaseModel):
    category: str
    access: Access


class Category(BaseModel):
    """A service category as the source describes it."""

    id: str
    name: str
    scenario: str
    access: Access
    alternatives: list[Alternative]
    notes: list[CategoryNote]
    activities: list[str]
    companions: list[CompanionAccess]
    source: Source
    scene: str | None = None
    scope: str | None = None


class Item(BaseModel):
    """A document a requirement names, possibly qualified."""

    id: str
    name: str
    issuer_class: str
    default_cost: int | None
    qualifier: str | None
    plain_form: str | None
    qualified_forms: list[str]
    counted: bool


class Named(BaseModel):
    id: str
    name: str


class Activity(BaseModel):
    id: str
    category: str
    text: str
    effects: list[str]
    remedy: str | None


class SubjectType(BaseModel):
    id: str
    name: str
    supported: bool
    direct_access: Access | None


class AccessMethod(BaseModel):
    id: Access
    name: str
    url: str


class IssuerClass(BaseModel):
    id: str
    default_cost: int


class CatalogueDoc(BaseModel):
    """Every category, item, role, activity and scenario of the knowledge base."""

    ruleset: Ruleset
    categories: list[Category]
    items: list[Item]
    roles: list[Named]
    activities: list[Activity]
    scenarios: list[Named]
    subject_types: list[SubjectType]
    access_methods: list[AccessMethod]
    issuer_classes: list[IssuerClass]
    external_categories: list[Named]
    general_notes: list[GeneralNote]


class Health(BaseModel):
    status: Literal["ok"]
    name: str
    version: str
    ruleset: Ruleset
    engine_loaded: bool


class ProblemDetail(BaseModel):
    field: str
    problem: str
    nearest: list[str] | None = None


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable: invalid_profile, malformed_json, not_found, …")
    message: str = Field(description="What is wrong and what to fix.")
    field: str | None = Field(description="JSON path of the offending field, or null.")
    request_id: str | None = None
    errors: list[ProblemDetail] | None = Field(default=None, description="Every problem of the profile.")
    nearest: list[str] | None = Field(default=None, description="Nearest valid ids (unknown id in a path).")


class Error(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


# -- the document ---------------------------------------------------------------
_REQUEST_MODELS = [Profile]
_RESPONSE_MODELS = [Evaluation, CheapestAnswer, CatalogueDoc, Category, Item, Health, Error]


def _schemas(catalogue: Catalogue) -> dict[str, Any]:
    pairs = [(m, "validation") for m in _REQUEST_MODELS] + [(m, "serialization") for m in _RESPONSE_MODELS]
    _, top = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    schemas = top["$defs"]
    for path, vocabulary in PROFILE_VOCABULARY.items():
        node = schemas[path[0]]["properties"][path[1]]
        for part in path[2:]:
            node = node.setdefault(part, {"type": "string"})
        if "anyOf" in node:  # optional id: the non-null branch
            node = next(branch for branch in node["anyOf"] if branch.get("type") == "string")
        node["enum"] = sorted(getattr(catalogue, vocabulary))
    return schemas


def _header(description: str, **schema: Any) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "string", **schema}}


def _response(description: str, schema: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "headers": {name: {"$ref": f"#/components/headers/{name}"}
                    for name in (REQUEST_ID_HEADER, RULESET_DIGEST_HEADER, RULESET_VERSION_HEADER)},
    }
    if schema is not None:
        out["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
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
    return {str(c): _response(text[c], "Error") for c in codes}


def build_openapi(catalogue: Catalogue, *, version: str, ruleset: dict[str, str]) -> dict[str, Any]:
    """The OpenAPI document of the API for one knowledge base."""
    schemas = _schemas(catalogue)
    explain = {"name": "explain", "in": "query", "required": False,
               "description": "false leaves out the explanations (a smaller, faster answer).",
               "schema": {"type": "boolean", "default": True}}
    profile_body = {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Profile"}, "example": copy.deepcopy(EXAMPLE_PROFILE)}}}

    def evaluation(summary: str, description: str, answer: str, op_id: str) -> dict[str, Any]:
        return {"post": {
            "operationId": op_id, "summary": summary, "description": description, "tags": ["evaluation"],
            "parameters": [explain], "requestBody": profile_body,
            "responses": {"200": _response("The answer.", answer), **_errors(400, 413, 415, 422, 503)},
        }}

    def lookup(kind: str, ids: list[str], schema: str, op_id: str) -> dict[str, Any]:
        return {"get": {
            "operationId": op_id, "summary": f"One {kind} of the catalogue", "tags": ["catalogue"],
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "enum": ids}}],
            "responses": {"200": _response(f"The {kind}.", schema), "304": _response("Not modified (If-None-Match)."),
                          **_errors(404)},
        }}

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
                "Evaluation", "evaluate"),
            "/v1/cheapest": evaluation(
                "Only the cheapest path for a profile",
                "The same profile as /v1/evaluate; the answer holds only the cheapest plans and the ruleset.",
                "CheapestAnswer", "cheapest"),
            "/v1/catalogue": {"get": {
                "operationId": "catalogue", "summary": "The whole catalogue", "tags": ["catalogue"],
                "responses": {"200": _response("The catalogue.", "CatalogueDoc"),
                              "304": _response("Not modified (If-None-Match).")},
            }},
            "/v1/categories/{id}": lookup("category", list(catalogue.categories), "Category", "category"),
            "/v1/items/{id}": lookup("item", list(catalogue.items), "Item", "item"),
            "/v1/health": {"get": {
                "operationId": "health", "summary": "Name, version, ruleset and engine state", "tags": ["service"],
                "responses": {"200": _response("The service is up.", "Health")},
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document", "tags": ["service"],
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {
            "schemas": schemas,
            "headers": {
                REQUEST_ID_HEADER: _header("The client's X-Request-Id if it sent a usable one (1–128 visible "
                                           "ASCII characters), else a generated one."),
                RULESET_DIGEST_HEADER: _header("Digest of facts/ + logic/ that answered.",
                                               pattern=r"^sha256:[0-9a-f]{64}$"),
                RULESET_VERSION_HEADER: _header("Version of the ruleset that answered."),
            },
        },
    }
