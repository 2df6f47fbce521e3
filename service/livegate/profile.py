"""The request: a profile, validated in two steps.

1. Its shape, by pydantic models (strict types, unknown fields rejected, sizes
   bounded). The same models give the JSON schema the API publishes.
2. Its ids, against the catalogue: every unknown id is reported with the
   nearest valid ones.

Errors name the JSON path of the field (``goal.categories[2]``) and the problem.
"""

from __future__ import annotations

import collections
import functools
import heapq
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .kb import Catalogue
from .words import ENGLISH, Listed, Message, Said, messages, template

__all__ = [
    "MAX_COST",
    "MAX_COUNT",
    "MAX_LIST",
    "JsonError",
    "ProblemKind",
    "Profile",
    "ProfileError",
    "loads",
    "nearest_ids",
    "parse_profile",
    "search_cost",
    "suggested_ids",
]

MAX_LIST = 200
"""Longest list a profile may hold (the catalogue has fewer than 100 ids of any kind)."""
MAX_COUNT = 1000
"""Largest count of one item."""
MAX_COST = 100_000
"""Largest cost override of one item."""

MAX_ERRORS = 20
"""Unknown ids reported one by one (with their nearest valid ids); more are counted."""
NEAREST_BUDGET = 20_000
"""Index entries (an id sharing a character bigram with the unknown one) that the nearest-id
searches of one profile may visit in all; an unknown id whose search would go past it is listed
without suggestions, so a rejection stays cheap whatever it holds and however large the
catalogue. Counted in work, not time, so the answer does not depend on the machine's load.
Today's catalogue: one search visits about 300, so 20 unknown ids are all searched."""
NEAREST_KEPT = 4096
"""Nearest-id answers kept (least recently used out): a few hundred KiB."""

ID_LENGTH = 80
"""Longest id a profile may send (the catalogue's are under 50 characters)."""
Id = Annotated[str, Field(min_length=1, max_length=ID_LENGTH)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Cost = Annotated[int, Field(ge=0, le=MAX_COST)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Subject(_Strict):
    """The mini program's subject (主体)."""

    type: Id = Field(description="Subject type: personal, enterprise, government, media, other_organization.")
    roles: list[Id] = Field(default=[], max_length=MAX_LIST, description="Roles some alternatives are reserved for.")


class Goal(_Strict):
    """What the plan must reach; every field narrows the candidates."""

    scenario: Id | None = Field(default=None, description="Live scenario wanted.")
    categories: list[Id] = Field(default=[], max_length=MAX_LIST, description="Candidate categories; empty means any.")
    access: Id | None = Field(default=None, description="Access method the plan must grant.")


class Profile(_Strict):
    """A subject, what it holds and does, and what it wants.

    A field left out takes its default, which the schema states (an empty list or object): a
    client generated from it sends the default, not ``null``, which is refused. (pydantic copies
    a mutable default for each profile.)"""

    subject: Subject
    documents: list[Id] = Field(default=[], max_length=MAX_LIST, description="Items held (one each).")
    counts: dict[Id, Count] = Field(
        default={},
        max_length=MAX_LIST,
        description="How many of an item are held; replaces its entry in documents.",
    )
    activities: list[Id] = Field(
        default=[], max_length=MAX_LIST, description="Activities (the source's notes) the subject does."
    )
    goal: Goal = Field(default_factory=Goal, json_schema_extra={"default": {}})
    costs: dict[Id, Cost] = Field(default={}, max_length=MAX_LIST, description="Cost overrides per item.")


UNSEEN = ("Cc", "Cf", "Zl", "Zp")
"""Unicode's control and format characters (bidirectional overrides, zero-width and tag characters)
and line and paragraph separators: what a profile's or an address's own text may not put in words
shown to a person — an escape sequence a terminal obeys, a sentence read backwards, a line break in
a log. :func:`visible` writes them as escapes; the page's errors leave them out."""


def visible(path: str) -> str:
    """A JSON path as an error's words name it: each control or format character or line break of a
    key the profile wrote as its escape in JSON (``\\u001b``), so that words printed to a terminal,
    written to a CSV or a log cannot clear the screen or read backwards (a key is the profile's own
    text; its values are quoted with ``repr`` where a problem names them). The error's ``field``
    keeps the key as written: JSON escapes it, and a client finds the key by it."""
    if path.isprintable():
        return path
    return "".join(
        c if unicodedata.category(c) not in UNSEEN else (f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
        for c in path
    )


class ProfileError(ValueError):
    """The profile is malformed or names ids the catalogue does not know.

    ``errors`` is a list of ``{"field", "kind", "problem", …}``: ``kind`` says what
    is wrong as one of :data:`ProblemKind`, ``problem`` says it in English words
    (:func:`problem_text` writes it in any language of the message catalogue, and
    ``to_dict(lang)`` answers every problem in one), and
    some kinds add what they are about: ``value`` (the unknown id, the item counted
    0, the role not allowed), ``of`` (an unknown id's :data:`IdKind`), ``limit``
    (the bound passed), ``count`` (unknown ids not listed), ``nearest`` (ids like an
    unknown one), ``subject_type`` and ``allowed`` (the subject type given, and those
    that can hold a role), ``conflict`` (the other path of a contradiction).
    ``status`` is the HTTP status an API answers with (422).
    """

    status = 422

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__(self.text(ENGLISH))

    def text(self, lang: str = ENGLISH) -> str:
        """Every problem after its field (:func:`visible`), in words of ``lang``."""
        words = messages(lang)
        return words["problem.separator"].join(
            words["problem.at"].format(field=visible(e["field"]), problem=problem_text(e, lang)) for e in self.errors
        )

    def to_dict(self, lang: str = ENGLISH) -> dict[str, Any]:
        """The API's error body, its ``message`` and each ``problem`` in words of ``lang``."""
        errors = self.errors if lang == ENGLISH else [{**e, "problem": problem_text(e, lang)} for e in self.errors]
        return {"code": "invalid_profile", "message": self.text(lang), "field": errors[0]["field"], "errors": errors}


ProblemKind = Literal[
    "not_object",  # the profile is not a JSON object
    "unknown_field",  # a field the profile has no place for
    "required",  # a field the profile must have is missing
    "object",  # not a JSON object
    "array",  # not a JSON array
    "string",  # not a string
    "text",  # a string that is not text: it holds a lone surrogate (JSON's "\\ud800"), which is no character
    "integer",  # not a whole number
    "min",  # below ``limit``
    "max",  # above ``limit``
    "empty",  # an empty string where an id belongs
    "too_long",  # a string longer than ``limit`` characters
    "too_many",  # a list or object of more than ``limit`` entries
    "invalid",  # any other shape error (the problem says which, in pydantic's English)
    "unknown_id",  # ``value`` is no id of its kind (``of``); ``nearest``: the ids most like it
    "more_unknown",  # ``count`` more unknown ids than are listed
    "count_zero",  # a count of 0 for the item ``value``, which the profile lists (``conflict``)
    "role_not_allowed",  # ``subject_type`` cannot hold the role ``value``, only ``allowed`` can (``conflict``)
    "roles_exclusive",  # the role ``value`` declared beside ``other``, which it excludes (``conflict``)
    "item_not_allowed",  # ``subject_type`` cannot hold the item ``value``, only ``allowed`` can (``conflict``)
    "count_zero_form",  # a count of 0 for the item ``value``, whose form ``held`` the profile lists (``conflict``)
    "no_candidate_in_scenario",  # no candidate category serves the goal's scenario ``value`` (``conflict``)
    "item_twice",  # ``value``, an item's earlier id, given beside the item's id (``conflict``)
]
"""What a problem of a profile can be (``kind`` of each of :attr:`ProfileError.errors`)."""

IdKind = Literal["subject_type", "role", "item", "activity", "scenario", "category", "access_method"]
"""What an unknown id was meant to name (``of`` of an ``unknown_id`` problem)."""


def problem_text(problem: dict[str, Any], lang: str = "en") -> str:
    """One problem of :attr:`ProfileError.errors` in words of ``lang``, from its kind and the
    fields that kind adds (the message catalogue's ``problem.*``). An ``invalid`` problem
    keeps pydantic's own words, which are English."""
    words = messages(lang)
    kind: ProblemKind = problem["kind"]
    if kind == "invalid":
        return str(problem["problem"])
    values = {k: v for k, v in problem.items() if k not in ("field", "kind", "problem", "nearest", "allowed", "of")}
    if kind == "unknown_id":
        values["of"] = words[f"problem.of.{problem['of']}"]
    elif kind in ("role_not_allowed", "item_not_allowed"):
        allowed = Listed(problem["allowed"], "problem.list_separator").text(lang)
        values["allowed"] = allowed or words["problem.no_subject_type"]
    text: str = template(words, f"problem.{kind}", values).format(**values)
    if problem.get("nearest"):
        text += Message("problem.nearest", ids=Listed(problem["nearest"], "problem.nearest_or")).text(lang)
    return text


def _problem(field: str, kind: ProblemKind, **fields: Any) -> dict[str, Any]:
    """A problem of a profile with its English words (the API's and the log's language)."""
    out: dict[str, Any] = {"field": field, "kind": kind, "problem": "", **fields}
    out["problem"] = problem_text(out)
    return out


_SHAPE_KINDS: dict[str, ProblemKind] = {
    "missing": "required",
    "model_type": "object",
    "dict_type": "object",
    "list_type": "array",
    "string_type": "string",
    "string_unicode": "text",
    "string_too_short": "empty",  # every string of a profile is an id, of at least 1 character
    "string_too_long": "too_long",
    "too_long": "too_many",
    "int_parsing": "integer",
    "int_type": "integer",
    "int_from_float": "integer",
    "greater_than_equal": "min",
    "less_than_equal": "max",
    "extra_forbidden": "unknown_field",
}
"""pydantic's error types, by the kind they are."""

_FIELDS: dict[tuple[str, ...], tuple[str, ...]] = {
    (): tuple(Profile.model_fields),
    ("subject",): tuple(Subject.model_fields),
    ("goal",): tuple(Goal.model_fields),
}
"""The fields of each object of a profile, by its path: an unknown field is offered the nearest."""

_LIMITS: dict[ProblemKind, str] = {"min": "ge", "max": "le", "too_long": "max_length", "too_many": "max_length"}
"""The kinds that name the bound passed (``limit``), by the key of pydantic's context that holds it."""


class JsonError(Said, ValueError):
    """The text is not JSON a profile can be read from; the message says where and why."""


class _NotJson(ValueError):
    """Text Python's json module accepts but a profile must not hold: NaN,
    Infinity, or a key twice in one object."""


def _no_constant(name: str) -> None:
    raise _NotJson(Message("json.constant", name=name))


def _number(literal: str) -> int | float:
    """A JSON number with a fractional or exponent part; an integral one (``2.0``, ``1e3``) as ``int``.

    JSON Schema's ``integer`` (what the published schema says of counts and
    costs) is any number without a fractional part, so ``2.0`` must be
    accepted wherever ``2`` is; the profile's models take only ``int``.
    """
    value = float(literal)
    if value.is_integer():
        return int(value)
    if math.isinf(value):  # 1e400 is whole, only too large for a float: out of any range, not a fraction
        return _BEYOND_FLOAT if value > 0 else -_BEYOND_FLOAT
    return value


_BEYOND_FLOAT = 10**309
"""A whole number larger than any float, for a literal that is (1e400 is 10**400, which only its range refuses)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: ``{"documents": [...], "documents": []}``
    would otherwise keep the last one silently."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _NotJson(Message("json.duplicate_key", key=key))
        out[key] = value
    return out


_JSON_REASONS: dict[str, str] = {
    "Expecting value": "value",
    "Expecting property name enclosed in double quotes": "key",
    "Expecting ':' delimiter": "colon",
    "Expecting ',' delimiter": "comma",
    "Unterminated string starting at": "unterminated_string",
    "Invalid control character at": "control_character",
    "Invalid \\escape": "escape",
    "Invalid \\uXXXX escape": "unicode_escape",
    "Extra data": "extra_data",
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": "bom",
    "Illegal trailing comma before end of object": "trailing_comma",
    "Illegal trailing comma before end of array": "trailing_comma",
}
"""What Python's ``json`` module says is wrong (``JSONDecodeError.msg``; its pure-Python decoder
also names the character, which :func:`_json_reason` takes off), by the words of the catalogue's ``json.why``."""


def _json_reason(msg: str) -> Message | str:
    """The catalogue's words for ``msg``; a message the table does not know stays as Python wrote it."""
    kind = _JSON_REASONS.get(msg) or _JSON_REASONS.get(re.sub(r": .*$| '.+'(?= at$)", "", msg))
    return Message(f"json.why.{kind}") if kind else msg


def loads(text: str) -> Any:
    """Decode a profile's JSON text the same way for the API, the CLI and batch."""
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_number, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        why = _json_reason(exc.msg)
        raise JsonError(Message("json.at", line=exc.lineno, column=exc.colno, why=why)) from None
    except RecursionError:
        raise JsonError(Message("json.too_deep")) from None
    except _NotJson as exc:
        raise JsonError(Message("json.malformed", why=exc.args[0])) from None
    except ValueError:  # an integer literal longer than Python converts
        raise JsonError(Message("json.number_too_long")) from None


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(body)"


def _bigrams(text: str) -> frozenset[str]:
    padded = f"^{text[:200]}$"
    return frozenset(padded[i : i + 2] for i in range(len(padded) - 1))


@functools.lru_cache(maxsize=64)
def _index(ids: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...], dict[str, tuple[int, ...]]]:
    """The valid ids (sorted), the number of bigrams of each, and for each bigram the ids holding
    it (by position): built once per collection of ids."""
    names = tuple(sorted(ids))
    grams = [_bigrams(name) for name in names]
    postings: dict[str, list[int]] = {}
    for k, held in enumerate(grams):
        for gram in held:
            postings.setdefault(gram, []).append(k)
    return names, tuple(len(g) for g in grams), {gram: tuple(ks) for gram, ks in postings.items()}


def nearest_ids(value: str, ids: Iterable[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The ``n`` ids most like ``value`` (Dice coefficient of their character bigrams, at least
    ``cutoff``), best first, ties by id. Cheap: the bigrams ``value`` shares with each id are
    counted (in C, by :class:`collections.Counter`) from an index built once, touching only the
    ids that share one; and the last :data:`NEAREST_KEPT` answers are kept, so a client that
    repeats its mistake (or a flood of one rejected body) costs a lookup."""
    return list(_nearest(value[:200], tuple(ids), n, cutoff))


def search_cost(value: str, ids: Iterable[str]) -> int:
    """The index entries :func:`nearest_ids` visits for ``value``: what it costs (see
    :data:`NEAREST_BUDGET`), whether or not its answer is kept."""
    _, _, postings = _index(tuple(ids))
    return sum(len(postings.get(gram, ())) for gram in _bigrams(value))


@functools.lru_cache(maxsize=64)
def _parts(ids: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """For each word of the ids (their parts between ``_``), the ids holding it, sorted."""
    out: dict[str, list[str]] = {}
    for name in sorted(ids):
        for part in set(name.split("_")):
            out.setdefault(part, []).append(name)
    return {part: tuple(names) for part, names in out.items()}


@functools.lru_cache(maxsize=NEAREST_KEPT)
def _nearest(value: str, ids: tuple[str, ...], n: int, cutoff: float) -> tuple[str, ...]:
    names, sizes, postings = _index(ids)
    grams = _bigrams(value)
    shared = collections.Counter(itertools.chain.from_iterable(postings.get(gram, ()) for gram in grams))
    size = len(grams)
    scored = heapq.nsmallest(n, ((-2 * count / (size + sizes[k]), names[k]) for k, count in shared.items()))
    alike = [name for score, name in scored if -score >= cutoff]
    # a whole word of an id ("bank" of finance_bank) is a good guess however short it is beside the id
    words = _parts(ids).get(value.strip().lower(), ()) if "_" not in value else ()
    return tuple(dict.fromkeys([*alike, *words]))[:n]


_BRACKETS = str.maketrans("", "", "《》【】「」“”\"' \u3000")


def _named_ids(value: str, valid: dict[str, Any]) -> list[str]:
    """The ids whose name (as the source or the catalogue writes it: ``企业``, ``电商平台``,
    ``《营业执照》``) is ``value``, brackets and spaces aside: a user who types the name where
    the id belongs is offered the id. Then, for two characters or more, the ids whose name holds
    ``value`` (``增值电信`` → the three 《增值电信业务经营许可证》), shortest name first."""
    said = value[:200].translate(_BRACKETS)
    if not said:
        return []
    names: dict[str, list[str]] = {}
    for id_, entry in valid.items():
        written = (getattr(entry, "name", None), getattr(entry, "label", None))
        names[id_] = [n.translate(_BRACKETS) for n in written if isinstance(n, str)]
    exact = [id_ for id_, said_as in names.items() if said in said_as]
    if len(said) < 2:
        return exact
    holding = sorted(
        (min(len(n) for n in said_as if said in n), id_)
        for id_, said_as in names.items()
        if id_ not in exact and any(said in n for n in said_as)
    )
    return exact + [id_ for _, id_ in holding]


def suggested_ids(value: str, valid: dict[str, Any], *, search: bool = True) -> list[str]:
    """At most three ids to offer for an unknown ``value``: the ids whose name is it or holds it
    (:func:`_named_ids`), then, with ``search``, the nearest by spelling (:func:`nearest_ids`). The
    profile's unknown ids and the API's unknown path ids are answered alike."""
    return list(dict.fromkeys([*_named_ids(value, valid), *(nearest_ids(value, valid) if search else [])]))[:3]


def _unknown(field: str, value: str, valid: dict[str, Any], of: IdKind, *, search: bool = True) -> dict[str, Any]:
    return _problem(field, "unknown_id", value=value, of=of, nearest=suggested_ids(value, valid, search=search))


def parse_profile(data: Any, catalogue: Catalogue) -> Profile:
    """Validate ``data`` (decoded JSON) into a :class:`Profile` or raise :class:`ProfileError`.

    A body whose shape is wrong is refused with every shape problem *and* every unknown id among
    the values whose shape is right, so that a client mends both in one round trip."""
    if not isinstance(data, dict):
        raise ProfileError([_problem("(body)", "not_object")])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        shape: list[dict[str, Any]] = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = tuple(p for p in err["loc"] if p not in ("[key]",))
            kind = _SHAPE_KINDS.get(err["type"], "invalid")
            if kind == "invalid":
                shape.append({"field": _path(loc), "kind": kind, "problem": err["msg"]})
            elif kind in _LIMITS:
                shape.append(_problem(_path(loc), kind, limit=err["ctx"][_LIMITS[kind]]))
            elif kind == "unknown_field":  # "document" → documents: the fields of its object
                fields = _FIELDS.get(tuple(str(p) for p in loc[:-1]), ())
                near = nearest_ids(str(loc[-1]), fields) if loc and _utf8(loc[-1]) else []
                shape.append(_problem(_path(loc), kind, nearest=near))
            else:
                shape.append(_problem(_path(loc), kind))
        said = {p["field"] for p in shape}
        raise ProfileError(shape + _unknown_ids(data, catalogue, skip=said)) from None

    # an item given twice (its earlier id beside its id) is said with the unknown ids, or with the
    # contradictions: it hid them both (one problem a round trip)
    twice = _given_twice(profile, catalogue.aliases)
    # the keys of counts as the profile wrote them (an earlier id), for the paths a problem names
    spelled = {catalogue.aliases.get(i, i): i for i in profile.counts}
    errors = _unknown_ids(data, catalogue)
    if errors:  # a contradiction is looked for among known ids only
        raise ProfileError(errors + twice)
    profile = _canonical(profile, catalogue.aliases)
    contradictions = twice + _contradictions(profile, catalogue, spelled)
    if contradictions:
        raise ProfileError(contradictions)
    return profile


def _ids_named(data: dict[str, Any], catalogue: Catalogue) -> Iterator[tuple[str, str, dict[str, Any], IdKind]]:
    """Every id the decoded profile ``data`` names where its place has the right shape (a string
    of an id's length; a list's first :data:`MAX_LIST` entries), with its JSON path, the ids it
    must be one of and what it names, in the order of the profile's fields."""

    one = _utf8  # a lone surrogate (JSON's "\\ud800") is a shape problem of its own, unwritable as UTF-8

    def listed(value: Any) -> Iterator[tuple[int, str]]:
        if isinstance(value, list):
            yield from ((n, v) for n, v in enumerate(value[:MAX_LIST]) if one(v))

    def keys(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            yield from (k for k in list(value)[:MAX_LIST] if one(k))

    subject = data.get("subject")
    if isinstance(subject, dict):
        if one(subject.get("type")):
            yield "subject.type", subject["type"], catalogue.subject_types, "subject_type"
        for n, r in listed(subject.get("roles")):
            yield f"subject.roles[{n}]", r, catalogue.roles, "role"
    for n, i in listed(data.get("documents")):
        yield f"documents[{n}]", i, catalogue.items, "item"
    for i in keys(data.get("counts")):
        yield f"counts.{i}", i, catalogue.items, "item"
    for n, a in listed(data.get("activities")):
        yield f"activities[{n}]", a, catalogue.activities, "activity"
    goal = data.get("goal")
    if isinstance(goal, dict):
        if one(goal.get("scenario")):
            yield "goal.scenario", goal["scenario"], catalogue.scenarios, "scenario"
        for n, c in listed(goal.get("categories")):
            yield f"goal.categories[{n}]", c, catalogue.categories, "category"
        if one(goal.get("access")):
            yield "goal.access", goal["access"], catalogue.access_methods, "access_method"
    for i in keys(data.get("costs")):
        yield f"costs.{i}", i, catalogue.items, "item"


def _utf8(value: Any) -> bool:
    """``value`` is an id-length string that UTF-8 can write (no lone surrogate)."""
    if not isinstance(value, str) or not 0 < len(value) <= ID_LENGTH:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unknown_ids(data: dict[str, Any], catalogue: Catalogue, skip: Iterable[str] = ()) -> list[dict[str, Any]]:
    """A problem for each id of ``data`` the catalogue does not know (an earlier item id is known),
    but those at a path of ``skip``: the first :data:`MAX_ERRORS` with their nearest ids, within
    :data:`NEAREST_BUDGET`, then one ``more_unknown`` counting the rest."""
    errors: list[dict[str, Any]] = []
    skipped, unlisted, budget = set(skip), 0, NEAREST_BUDGET
    for field, value, valid, of in _ids_named(data, catalogue):
        if value in valid or (of == "item" and value in catalogue.aliases) or field in skipped:
            continue
        if len(errors) < MAX_ERRORS:  # the nearest-id search is the costly part
            cost = search_cost(value, valid)
            search = cost <= budget
            budget -= cost if search else 0
            errors.append(_unknown(field, value, valid, of, search=search))
        else:
            unlisted += 1
    if unlisted:
        errors.append(_problem("(body)", "more_unknown", count=unlisted))
    return errors


def _canonical(profile: Profile, aliases: dict[str, str]) -> Profile:
    """The profile with earlier item ids (``item_alias/2``) replaced by their items' ids."""
    if not aliases or not ({*profile.documents, *profile.counts, *profile.costs} & aliases.keys()):
        return profile
    return profile.model_copy(
        update={
            "documents": [aliases.get(i, i) for i in profile.documents],
            "counts": {aliases.get(i, i): n for i, n in profile.counts.items()},
            "costs": {aliases.get(i, i): w for i, w in profile.costs.items()},
        }
    )


def filters_miss(scenario: str | None, candidate_scenarios: list[str]) -> bool:
    """A goal's filters cannot meet: it names a scenario and candidate categories, and none of the
    candidates serves the scenario (``candidate_scenarios``: the scenario of each). They intersect,
    so nothing could answer it: refused (``no_candidate_in_scenario``), and left out by the
    generators of profiles (:mod:`livegate.corpus`, the tests')."""
    return scenario is not None and bool(candidate_scenarios) and scenario not in candidate_scenarios


def _given_twice(profile: Profile, aliases: dict[str, str]) -> list[dict[str, Any]]:
    """An item given under its earlier id and its id in ``counts`` or ``costs``: once the earlier id
    is read as the item, one of the two values would be dropped, by the order of the keys."""
    out: list[dict[str, Any]] = []
    for field, given in (("counts", profile.counts), ("costs", profile.costs)):
        for old, item in aliases.items():
            if old in given and item in given:
                out.append(_problem(f"{field}.{old}", "item_twice", value=old, conflict=f"{field}.{item}"))
    return out


def _contradictions(profile: Profile, catalogue: Catalogue, spelled: dict[str, str]) -> list[dict[str, Any]]:
    """What a profile says twice in ways that cannot both hold; each problem names both JSON paths
    (a key of ``counts`` as the profile wrote it: ``spelled``)."""
    out: list[dict[str, Any]] = []
    for n, item in enumerate(profile.documents):
        if profile.counts.get(item) == 0:
            path = f"counts.{spelled.get(item, item)}"
            out.append(_problem(path, "count_zero", value=item, conflict=f"documents[{n}]"))
        plain = catalogue.items[item].plain_form
        if plain is not None and profile.counts.get(plain) == 0:  # a qualified form is one of its plain item
            path = f"counts.{spelled.get(plain, plain)}"
            out.append(_problem(path, "count_zero_form", value=plain, held=item, conflict=f"documents[{n}]"))
    scenario, candidates = profile.goal.scenario, profile.goal.categories
    if filters_miss(scenario, [catalogue.categories[c].scenario for c in candidates]):
        out.append(_problem("goal.categories", "no_candidate_in_scenario", value=scenario, conflict="goal.scenario"))
    kind = profile.subject.type
    roles = profile.subject.roles
    for n, role in enumerate(roles):
        for m, other in enumerate(roles[:n]):  # one problem a pair, at the later of the two
            if other in catalogue.roles[role].excludes:
                out.append(
                    _problem(
                        f"subject.roles[{n}]",
                        "roles_exclusive",
                        value=role,
                        other=other,
                        conflict=f"subject.roles[{m}]",
                    )
                )
        allowed = catalogue.roles[role].subject_types
        if kind not in allowed:
            path = f"subject.roles[{n}]"
            out.append(
                _problem(
                    path,
                    "role_not_allowed",
                    value=role,
                    subject_type=kind,
                    allowed=list(allowed),
                    conflict="subject.type",
                )
            )
    # an item only some types can hold, listed or counted above 0
    held = [(f"documents[{n}]", i) for n, i in enumerate(profile.documents)]
    held += [(f"counts.{spelled.get(i, i)}", i) for i, k in profile.counts.items() if k > 0]
    for path, item in held:
        allowed = catalogue.items[item].subject_types
        if allowed and kind not in allowed:
            out.append(
                _problem(
                    path,
                    "item_not_allowed",
                    value=item,
                    subject_type=kind,
                    allowed=list(allowed),
                    conflict="subject.type",
                )
            )
    return out
