"""Hostile input through the engine, the API (Flask's test client) and a real ``livegate serve``.

Each hostile request (program text, unicode, NUL bytes, 100,000-element
arrays, 10,000-deep nesting, huge and negative numbers, duplicate keys, the
wrong type at every field, wrong content types, malformed bodies and HTTP)
must get its own 4xx: a JSON error whose ``field`` names the field at fault
and whose message says what is wrong. None may change a later answer: after
each one the reference profile is answered byte for byte as before
(``decision_id`` aside). The server's worker must be the same process at the
end (nothing crashed it). How many hostile inputs each layer tried is printed
at the end of the module.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import socket
import urllib.parse
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from livegate import Engine, ProfileError
from livegate.app import create_app
from livegate.profile import JsonError, loads, visible
from livegate.words import messages

from tests.support.figures import report
from tests.support.server import HOST, Server, send, without_decision_id

PWNED = Path("/tmp/livegate-hostile-pwned")
REFERENCE = {
    "subject": {"type": "enterprise", "roles": ["car_dealer"]},
    "documents": ["business_license"],
    "counts": {"training_coop_agreement": 1},
    "activities": ["stock_trading"],
    "goal": {"scenario": "auto"},
    "costs": {"manufacturer_sales_authorisation": 2},
}
"""A profile whose answer touches roles, counts, activities, a goal and a cost override."""
ENTERPRISE = {"type": "enterprise"}
BIG_LIMIT = 8 * 1024 * 1024
"""MAX_CONTENT_LENGTH of the app that lets 100,000-element arrays through to validation."""

STRINGS = {
    "asp_close_and_reopen": "a). b(",
    "asp_include_passwd": '#include "/etc/passwd".',
    "asp_script_python": f'#script (python)\nimport os\nos.system("touch {PWNED}")\n#end.',
    "asp_script_lua": f'#script (lua) os.execute("touch {PWNED}") #end.',
    "asp_const": "#const n=1.",
    "asp_show": "#show.",
    "asp_external": "#external holds(financial_licence).",
    "asp_constraint": ":- holds(business_license).",
    "asp_fact": "holds(financial_licence).",
    "asp_variable": "X",
    "asp_anonymous_variable": "_",
    "asp_line_comment": "business_license % rest",
    "asp_block_comment": "%* business_license *%",
    "asp_string": '"business_license"',
    "asp_number": "1",
    "asp_function_term": "f(business_license)",
    "asp_classical_negation": "-business_license",
    "asp_default_negation": "not business_license",
    "escaped_quote": 'business_license\\"',
    "newline_then_fact": "business_license\nholds(financial_licence).",
    "nul_only": "\x00",
    "nul_suffix": "business_license\x00",
    "nul_inside": "business\x00license",
    "control_characters": "\x1b[31mbusiness_license\x1b[0m",
    "unicode_han": "营业执照",
    "unicode_cyrillic_lookalike": "busіness_license",
    "unicode_fullwidth": "ｂｕｓｉｎｅｓｓ_license",
    "unicode_zero_width_space": "business\u200b_license",
    "unicode_right_to_left_override": "\u202ebusiness_license",
    "unicode_combining_accent": "business_license\u0301",
    "unicode_emoji": "🎥📄",
    "unicode_bom": "\ufeffbusiness_license",
    "lone_surrogate": "\ud800",
    "padded_with_spaces": " business_license ",
    "empty": "",
    "over_80_characters": "a" * 81,
    "ten_thousand_characters": "b" * 10_000,
    "path_traversal": "../../etc/passwd",
    "format_string": "{0.__class__}%s%n",
    "sql": "'; DROP TABLE items; --",
    "html": "<script>alert(1)</script>",
}
SHORT = {k: v for k, v in STRINGS.items() if len(v) < 1000 and k != "lone_surrogate"}
"""The strings that also fit a URL (a surrogate has no UTF-8 form)."""

WRONG = {
    "null": None,
    "false": False,
    "true": True,
    "zero": 0,
    "negative": -1,
    "fraction": 1.5,
    "string": "business_license",
    "empty_list": [],
    "list": ["business_license"],
    "empty_object": {},
    "object": {"type": "enterprise"},
}
FIELDS = {  # field -> (the JSON kinds it accepts, a profile with `value` put there)
    "(body)": ({"object"}, lambda v: v),
    "subject": ({"object"}, lambda v: {"subject": v}),
    "subject.type": ({"string"}, lambda v: {"subject": {"type": v}}),
    "subject.roles": ({"list"}, lambda v: {"subject": {"type": "enterprise", "roles": v}}),
    "subject.roles[0]": ({"string"}, lambda v: {"subject": {"type": "enterprise", "roles": [v]}}),
    "documents": ({"list"}, lambda v: {"subject": ENTERPRISE, "documents": v}),
    "documents[0]": ({"string"}, lambda v: {"subject": ENTERPRISE, "documents": [v]}),
    "counts": ({"object"}, lambda v: {"subject": ENTERPRISE, "counts": v}),
    "counts.training_coop_agreement": (
        {"count"},
        lambda v: {"subject": ENTERPRISE, "counts": {"training_coop_agreement": v}},
    ),
    "activities": ({"list"}, lambda v: {"subject": ENTERPRISE, "activities": v}),
    "activities[0]": ({"string"}, lambda v: {"subject": ENTERPRISE, "activities": [v]}),
    "goal": ({"object"}, lambda v: {"subject": ENTERPRISE, "goal": v}),
    "goal.scenario": ({"string", "null"}, lambda v: {"subject": ENTERPRISE, "goal": {"scenario": v}}),
    "goal.categories": ({"list"}, lambda v: {"subject": ENTERPRISE, "goal": {"categories": v}}),
    "goal.categories[0]": ({"string"}, lambda v: {"subject": ENTERPRISE, "goal": {"categories": [v]}}),
    "goal.access": ({"string", "null"}, lambda v: {"subject": ENTERPRISE, "goal": {"access": v}}),
    "costs": ({"object"}, lambda v: {"subject": ENTERPRISE, "costs": v}),
    "costs.business_license": ({"count"}, lambda v: {"subject": ENTERPRISE, "costs": {"business_license": v}}),
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "count" if value >= 0 else "number"
    return {float: "number", str: "string", list: "list", dict: "object"}[type(value)]


def _named(text: str) -> str:
    """How a field name holding ``text`` is written in an error: pydantic shows a lone surrogate as U+FFFDs."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@dataclasses.dataclass(frozen=True)
class Hostile:
    """One hostile request and the error it must get."""

    name: str
    body: bytes | None
    status: int
    code: str
    field: str | None
    says: str = ""  # a phrase the message must hold (besides the field, for invalid_profile)
    content_type: str | None = "application/json"
    method: str = "POST"
    path: str = "/v1/evaluate"
    limit: int | None = None  # the app's MAX_CONTENT_LENGTH; None: the default

    @property
    def engine_input(self) -> Any:
        """What the engine is given: the body as the API decodes it, for bodies that reach validation."""
        if self.status != 422 or self.body is None:
            return _NOTHING
        try:
            return loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, JsonError):
            return _NOTHING


_NOTHING = object()


def _profile_case(name: str, data: Any, field: str, **kw: Any) -> Hostile:
    return Hostile(name, json.dumps(data).encode(), 422, "invalid_profile", field, **kw)


def _raw_case(name: str, body: bytes, status: int, code: str, field: str | None, says: str, **kw: Any) -> Hostile:
    return Hostile(name, body, status, code, field, says, **kw)


def hostile_cases() -> list[Hostile]:
    out: list[Hostile] = []
    valid_body = json.dumps({"subject": ENTERPRISE}).encode()

    # strings: in every id field, as a field name, in the query and in the URL
    for label, text in STRINGS.items():
        places = {
            "subject.type": ({"subject": {"type": text}}, "subject.type"),
            "subject.roles": ({"subject": {"type": "enterprise", "roles": ["car_dealer", text]}}, "subject.roles[1]"),
            "documents": ({"subject": ENTERPRISE, "documents": ["business_license", text]}, "documents[1]"),
            "counts": ({"subject": ENTERPRISE, "counts": {text: 1}}, f"counts.{_named(text)}"),
            "activities": ({"subject": ENTERPRISE, "activities": [text]}, "activities[0]"),
            "goal.scenario": ({"subject": ENTERPRISE, "goal": {"scenario": text}}, "goal.scenario"),
            "goal.categories": (
                {"subject": ENTERPRISE, "goal": {"categories": ["finance_bank", text]}},
                "goal.categories[1]",
            ),
            "goal.access": ({"subject": ENTERPRISE, "goal": {"access": text}}, "goal.access"),
            "costs": ({"subject": ENTERPRISE, "costs": {text: 3}}, f"costs.{_named(text)}"),
        }
        if label != "lone_surrogate":  # pydantic names an unknown top-level key it cannot decode "(body)"
            places["unknown top-level field"] = ({"subject": ENTERPRISE, text: ["business_license"]}, text or "(body)")
        for where, (data, field) in places.items():
            out.append(_profile_case(f"{label} in {where}", data, field))
    for label, text in SHORT.items():
        quoted = urllib.parse.quote(text, safe="")
        if text.lower() not in {"true", "1", "yes", "false", "0", "no"}:
            out.append(
                Hostile(
                    f"{label} as explain",
                    valid_body,
                    400,
                    "invalid_query",
                    "explain",
                    "true or false",
                    path=f"/v1/evaluate?explain={quoted}",
                )
            )
        for kind in ("category", "item"):
            path = f"/v1/{'categories' if kind == 'category' else 'items'}/{quoted}"
            if "/" in text or not text:  # another route, or none
                out.append(
                    Hostile(
                        f"{label} as {kind} id", None, 404, "not_found", None, "no such endpoint", None, "GET", path
                    )
                )
            else:
                out.append(
                    Hostile(
                        f"{label} as {kind} id",
                        None,
                        404,
                        f"unknown_{kind}",
                        "id",
                        f"unknown {kind} id",
                        None,
                        "GET",
                        path,
                    )
                )

    # the wrong type at every field
    for field, (accepted, place) in FIELDS.items():
        for label, value in WRONG.items():
            if _kind(value) in accepted:
                continue
            out.append(_profile_case(f"{label} as {field}", place(value), field))

    # huge, negative and fractional numbers, as raw JSON literals
    numbers = [
        "-1",
        "-1000000",
        "2147483648",
        "9223372036854775808",
        "-9223372036854775809",
        "1" + "0" * 100,
        "-1" + "0" * 100,
        "1e308",
        "-1e308",
        "1e400",
        "-1e400",
        "0.5",
        "1.000001",
        "9" * 4000,
    ]
    for field, ceiling in (("counts.training_coop_agreement", "1001"), ("costs.business_license", "100001")):
        outer, item = field.split(".")
        for literal in [*numbers, ceiling]:
            body = b'{"subject": {"type": "enterprise"}, "%s": {"%s": %s}}' % (
                outer.encode(),
                item.encode(),
                literal.encode(),
            )
            short = literal if len(literal) < 24 else f"{literal[:6]}…({len(literal)} characters)"
            out.append(_raw_case(f"{short} as {field}", body, 422, "invalid_profile", field, ""))
        body = b'{"subject": {"type": "enterprise"}, "%s": {"%s": %s}}' % (outer.encode(), item.encode(), b"9" * 4301)
        out.append(_raw_case(f"a 4301-digit number as {field}", body, 400, "malformed_json", "(body)", "too long"))

    # 100,000-element arrays and objects: over the body limit (413), and under a raised one (422)
    big = {
        "documents": {"subject": ENTERPRISE, "documents": ["business_license"] * 100_000},
        "subject.roles": {"subject": {"type": "enterprise", "roles": ["car_dealer"] * 100_000}},
        "activities": {"subject": ENTERPRISE, "activities": ["stock_trading"] * 100_000},
        "goal.categories": {"subject": ENTERPRISE, "goal": {"categories": ["finance_bank"] * 100_000}},
        "counts": {"subject": ENTERPRISE, "counts": {f"item_{n}": 1 for n in range(100_000)}},
        "costs": {"subject": ENTERPRISE, "costs": {f"item_{n}": 1 for n in range(100_000)}},
        "(body)": ["business_license"] * 100_000,
    }
    for field, data in big.items():
        out.append(
            Hostile(
                f"100,000 entries in {field} over the body limit",
                json.dumps(data).encode(),
                413,
                "body_too_large",
                "(body)",
                "65536 bytes",
            )
        )
        out.append(_profile_case(f"100,000 entries in {field} under a raised body limit", data, field, limit=BIG_LIMIT))
    numbers_list = b'{"subject": {"type": "enterprise"}, "documents": [' + b",".join([b"0"] * 32_000) + b"]}"
    out.append(
        _raw_case(
            "32,000 numbers in documents within the body limit",
            numbers_list,
            422,
            "invalid_profile",
            "documents",
            "at most 200",
        )
    )

    # 10,000-deep nesting (the decoder refuses it) and 500-deep nesting (decoded, then refused)
    for label, opened, closed in (("arrays", b"[", b"]"), ("objects", b'{"a":', b"}")):
        out.append(
            _raw_case(
                f"10,000-deep {label} as the body",
                opened * 10_000 + b"1" + closed * 10_000,
                400,
                "malformed_json",
                "(body)",
                "nested too deeply",
            )
        )
        out.append(
            _raw_case(
                f"10,000-deep {label} in documents",
                b'{"subject": {"type": "enterprise"}, "documents": ' + opened * 10_000 + b"1" + closed * 10_000 + b"}",
                400,
                "malformed_json",
                "(body)",
                "nested too deeply",
            )
        )
        out.append(
            _raw_case(
                f"500-deep {label} in an unknown field",
                b'{"subject": {"type": "enterprise"}, "x": ' + opened * 500 + b"1" + closed * 500 + b"}",
                422,
                "invalid_profile",
                "x",
                "unknown field",
            )
        )
    out.append(
        _raw_case(
            "500-deep arrays in documents",
            b'{"subject": {"type": "enterprise"}, "documents": [' + b"[" * 500 + b"]" * 500 + b"]}",
            422,
            "invalid_profile",
            "documents[0]",
            "must be a string",
        )
    )

    # duplicate keys: JSON leaves their meaning open, so a profile holding them is ambiguous
    for label, body, key in (
        ("duplicate subject", b'{"subject": {"type": "personal"}, "subject": {"type": "enterprise"}}', "subject"),
        ("duplicate subject type", b'{"subject": {"type": "personal", "type": "enterprise"}}', "type"),
        (
            "duplicate count",
            b'{"subject": {"type": "enterprise"}, '
            b'"counts": {"training_coop_agreement": 1000, "training_coop_agreement": 1}}',
            "training_coop_agreement",
        ),
        (
            "duplicate cost",
            b'{"subject": {"type": "enterprise"}, "costs": {"business_license": 0, "business_license": 5}}',
            "business_license",
        ),
    ):
        out.append(_raw_case(label, body, 400, "malformed_json", "(body)", f"the key {key!r} appears twice"))

    # wrong content types and malformed bodies
    profile = json.dumps({"subject": ENTERPRISE}).encode()
    for content_type, body in (
        (None, profile),
        ("text/plain", profile),
        ("text/json", profile),
        ("application/javascript", profile),
        ("application/x-www-form-urlencoded", b"subject=enterprise"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="subject"\r\n\r\nenterprise\r\n--x--\r\n',
        ),
        ("application/xml", b"<subject><type>enterprise</type></subject>"),
        ("application/jsonp", profile),
        ("*/*", profile),
        ("application/json; charset=latin-1", profile),
        ("application/json; charset=utf-16", json.dumps({"subject": ENTERPRISE}).encode("utf-16")),
    ):
        out.append(
            Hostile(
                f"content type {content_type}",
                body,
                415,
                "unsupported_media_type",
                "Content-Type",
                "Content-Type" if content_type is None or "charset" not in content_type else "UTF-8",
                content_type,
            )
        )
    for label, body, status, code, field, says in (
        ("empty body", b"", 400, "malformed_json", "(body)", "empty"),
        ("whitespace body", b" \r\n\t ", 400, "malformed_json", "(body)", "only whitespace"),
        ("null body", b"null", 422, "invalid_profile", "(body)", "JSON object"),
        ("string body", b'"enterprise"', 422, "invalid_profile", "(body)", "JSON object"),
        ("number body", b"1", 422, "invalid_profile", "(body)", "JSON object"),
        ("array body", b'[{"subject": {"type": "enterprise"}}]', 422, "invalid_profile", "(body)", "JSON object"),
        ("invalid UTF-8", b'{"subject": {"type": "\xff\xfe"}}', 400, "malformed_json", "(body)", "not UTF-8"),
        ("overlong UTF-8", b'{"subject": {"type": "\xc0\xae"}}', 400, "malformed_json", "(body)", "not UTF-8"),
        (
            "UTF-8 encoded surrogate",
            b'{"subject": {"type": "\xed\xa0\x80"}}',
            400,
            "malformed_json",
            "(body)",
            "not UTF-8",
        ),
        ("byte order mark", b"\xef\xbb\xbf" + profile, 400, "malformed_json", "(body)", "byte order mark"),
        (
            "raw NUL inside a string",
            b'{"subject": {"type": "enter\x00prise"}}',
            400,
            "malformed_json",
            "(body)",
            "control character",
        ),
        ("raw NUL after the object", profile + b"\x00", 400, "malformed_json", "(body)", "follows the JSON value"),
        ("two objects", profile + profile, 400, "malformed_json", "(body)", "follows the JSON value"),
        ("truncated", profile[:-2], 400, "malformed_json", "(body)", "line 1"),
        ("single quotes", b"{'subject': {'type': 'enterprise'}}", 400, "malformed_json", "(body)", "line 1"),
        (
            "comment",
            b'{"subject": {"type": "enterprise"}} // c',
            400,
            "malformed_json",
            "(body)",
            "follows the JSON value",
        ),
        ("trailing comma", b'{"subject": {"type": "enterprise"},}', 400, "malformed_json", "(body)", "line 1"),
        (
            "NaN",
            b'{"subject": {"type": "enterprise"}, "costs": {"business_license": NaN}}',
            400,
            "malformed_json",
            "(body)",
            "NaN",
        ),
        (
            "Infinity",
            b'{"subject": {"type": "enterprise"}, "counts": {"training_coop_agreement": Infinity}}',
            400,
            "malformed_json",
            "(body)",
            "Infinity",
        ),
        (
            "-Infinity",
            b'{"subject": {"type": "enterprise"}, "counts": {"training_coop_agreement": -Infinity}}',
            400,
            "malformed_json",
            "(body)",
            "Infinity",
        ),
        (
            "one byte over 64 KiB",
            profile + b" " * (64 * 1024 + 1 - len(profile)),
            413,
            "body_too_large",
            "(body)",
            "65536 bytes",
        ),
    ):
        out.append(_raw_case(label, body, status, code, field, says))

    # every field at once: 1,150 unknown ids near real ones, just under the body limit
    out.append(
        _raw_case(
            "1,150 near-miss ids in every list",
            _near_misses(),
            422,
            "invalid_profile",
            "subject.roles[0]",
            "did you mean",
        )
    )
    names = [c.name for c in out]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, f"two hostile cases share a name: {duplicated}"
    return out


def _near_misses() -> bytes:
    from livegate import Knowledge

    catalogue = Knowledge.load().catalogue

    def ids(valid, n: int) -> list[str]:
        v = sorted(valid)
        return [f"{v[i % len(v)]}_x{i}"[:45] for i in range(n)]

    data = {
        "subject": {"type": "enterprise", "roles": ids(catalogue.roles, 200)},
        "documents": ids(catalogue.items, 200),
        "counts": dict.fromkeys(ids(catalogue.items, 150), 1),
        "activities": ids(catalogue.activities, 200),
        "goal": {"categories": ids(catalogue.categories, 200)},
        "costs": {k + "c": 1 for k in ids(catalogue.items, 200)},
    }
    body = json.dumps(data).encode()
    assert len(body) <= 64 * 1024
    return body


CASES = hostile_cases()


def _engine_only_cases() -> list[tuple[str, Any, str]]:
    """Inputs a Python caller can hand the engine that JSON cannot express."""
    deep_list: list = []
    cursor = deep_list
    for _ in range(10_000):
        cursor.append([])
        cursor = cursor[0]
    deep_dict: dict = {}
    node = deep_dict
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    cyclic: list = []
    cyclic.append(cyclic)
    return [
        ("a tuple as documents", {"subject": ENTERPRISE, "documents": ("business_license",)}, "documents"),
        ("a set as documents", {"subject": ENTERPRISE, "documents": {"business_license"}}, "documents"),
        ("bytes as subject type", {"subject": {"type": b"enterprise"}}, "subject.type"),
        ("a bytearray as subject type", {"subject": {"type": bytearray(b"enterprise")}}, "subject.type"),
        (
            "NaN as a count",
            {"subject": ENTERPRISE, "counts": {"training_coop_agreement": float("nan")}},
            "counts.training_coop_agreement",
        ),
        (
            "infinity as a cost",
            {"subject": ENTERPRISE, "costs": {"business_license": float("inf")}},
            "costs.business_license",
        ),
        (
            "a Decimal as a count",
            {"subject": ENTERPRISE, "counts": {"training_coop_agreement": Decimal(1)}},
            "counts.training_coop_agreement",
        ),
        (
            "10**10000 as a count",
            {"subject": ENTERPRISE, "counts": {"training_coop_agreement": 10**10_000}},
            "counts.training_coop_agreement",
        ),
        ("an object as subject", {"subject": object()}, "subject"),
        ("10,000-deep lists as documents", {"subject": ENTERPRISE, "documents": deep_list}, "documents[0]"),
        (
            "10,000-deep lists as goal categories",
            {"subject": ENTERPRISE, "goal": {"categories": deep_list}},
            "goal.categories[0]",
        ),
        ("10,000-deep dicts in an unknown field", {"subject": ENTERPRISE, "x": deep_dict}, "x"),
        ("10,000-deep dicts as counts", {"subject": ENTERPRISE, "counts": deep_dict}, "counts.a"),
        ("a list that holds itself as documents", {"subject": ENTERPRISE, "documents": cyclic}, "documents[0]"),
    ]


ENGINE_CASES = [pytest.param(data, c.field, id=c.name) for c in CASES if (data := c.engine_input) is not _NOTHING] + [
    pytest.param(data, field, id=name) for name, data, field in _engine_only_cases()
]


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tried(request):
    """How many hostile inputs each layer was given; printed at the end of the module."""
    counts: collections.Counter = collections.Counter()
    yield counts
    if counts:
        report(request, ["hostile inputs tried: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))])


@pytest.fixture(scope="module")
def hostile_engine() -> Engine:
    """An engine of its own, so that nothing another module did is in its state."""
    return Engine(pool_size=2)


@pytest.fixture(scope="module")
def engine_reference(hostile_engine) -> bytes:
    return _answer_bytes(hostile_engine.evaluate(REFERENCE))


@pytest.fixture(scope="module")
def clients(hostile_engine) -> dict[int | None, Any]:
    """Test clients of two apps on one engine: the default body limit, and a raised one."""
    return {
        None: create_app({"ENGINE": hostile_engine, "ACCESS_LOG": False}).test_client(),
        BIG_LIMIT: create_app(
            {"ENGINE": hostile_engine, "ACCESS_LOG": False, "MAX_CONTENT_LENGTH": BIG_LIMIT}
        ).test_client(),
    }


@pytest.fixture(scope="module")
def api_reference(clients) -> bytes:
    return _reference_over(clients[None])


def _answer_bytes(answer: dict) -> bytes:
    return json.dumps(answer, ensure_ascii=False, sort_keys=False).encode()


def _reference_over(client) -> bytes:
    response = client.post("/v1/evaluate", json=REFERENCE)
    assert response.status_code == 200
    return without_decision_id(response.get_data())


def _check_error(case: Hostile, status: int, content_type: str, body: bytes) -> None:
    assert status == case.status, body[:300]
    assert content_type.split(";", maxsplit=1)[0] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == case.code
    assert error["message"]
    assert "Traceback" not in error["message"]
    if case.code == "invalid_profile":
        assert case.field in [e["field"] for e in error["errors"]]
        assert f"{visible(case.field)}: " in error["message"]  # its words escape what a terminal obeys
    else:
        assert error["field"] == case.field
    assert case.says in error["message"]


# -- the engine --------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "field"), ENGINE_CASES)
def test_engine_refuses_hostile_input_naming_the_field_and_answers_the_reference_as_before(
    hostile_engine, engine_reference, tried, data, field
):
    tried["engine"] += 1
    with pytest.raises(ProfileError) as raised:
        hostile_engine.evaluate(data)
    assert field in [e["field"] for e in raised.value.errors]
    assert all(e["problem"] for e in raised.value.errors)
    assert _answer_bytes(hostile_engine.evaluate(REFERENCE)) == engine_reference


# -- the API (test client) ------------------------------------------------------------------
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_api_answers_hostile_input_with_its_4xx_naming_the_field_and_the_reference_as_before(
    clients, api_reference, tried, case
):
    tried["API (test client)"] += 1
    client = clients[case.limit]
    response = client.open(case.path, method=case.method, data=case.body, content_type=case.content_type)
    _check_error(case, response.status_code, response.headers["Content-Type"], response.get_data())
    assert _reference_over(client) == api_reference


def test_no_hostile_input_left_a_trace_on_disk_or_in_the_answers(hostile_engine, engine_reference):
    """Run after the parametrized tests of this module: nothing was executed, the ruleset is the shipped one."""
    from livegate import Knowledge

    assert not PWNED.exists()
    assert Knowledge.load().digest == hostile_engine.ruleset["digest"]
    assert _answer_bytes(hostile_engine.evaluate(REFERENCE)) == engine_reference


# -- a real server ------------------------------------------------------------------------
RAW = [  # (name, bytes sent on one connection, the status gunicorn or the app must answer, known bug)
    ("garbage request line", b"GARBAGE\r\n\r\n", 400, None),
    ("HTTP/0.9 request", b"GET /v1/health\r\n\r\n", 400, None),
    ("unknown HTTP version", b"GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n", 400, None),
    ("NUL in the method", b"G\x00ET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 400, None),
    ("NUL in the path", b"GET /v1/\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, None),
    ("NUL in a header", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\x00b\r\n\r\n", 400, None),
    ("bare LF line ends", b"GET /v1/health HTTP/1.1\nHost: x\n\n", 400, None),
    ("folded header", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400, None),
    ("space before a colon", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n", 400, None),
    # the head's one bound is 32 KiB (gunicorn's 8,190 bytes a header and 100 headers are lifted)
    ("header of 10,000 bytes", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 10_000 + b"\r\n\r\n", 200, None),
    ("header of 40,000 bytes", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 40_000 + b"\r\n\r\n", 431, None),
    (
        "200 headers",
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
        200,
        None,
    ),
    # the app answers a long request line (the page's form sends every field without JavaScript)
    ("request line of 10,000 bytes", b"GET /v1/" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 404, None),
    ("request line of 40,000 bytes", b"GET /v1/" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 431, None),
    (
        "Content-Length abc",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}",
        400,
        None,
    ),
    (
        "Content-Length -1",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}",
        400,
        None,
    ),
    (
        "two Content-Lengths",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        400,
        None,
    ),
    (
        "Content-Length and chunked",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        None,
    ),
    (
        "body shorter than its Content-Length",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        b'{"subject"',
        400,
        None,
    ),
    (
        "chunk size that is not hex",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        400,
        None,
    ),
]


@pytest.fixture(scope="module")
def server():
    """``livegate serve`` with one worker, so that a crash or a restart would change its pid."""
    with Server(workers=1, threads=2) as running:
        yield running


def _raw(port: int, data: bytes) -> tuple[int | None, bytes]:
    """Send bytes on a fresh connection, close our side, read the answer: (status or None, answer)."""
    with socket.create_connection((HOST, port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while len(answer) < 1_000_000:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    if not answer.startswith(b"HTTP/1."):
        return None, answer
    return int(answer.split(b" ", 2)[1]), answer


def test_server_answers_every_hostile_request_with_its_4xx_and_its_worker_survives(server, tried):
    port = server.port
    workers = server.pids()
    reference = without_decision_id(
        send(port, "POST", "/v1/evaluate", json.dumps(REFERENCE).encode(), "application/json")[1]
    )
    failures: list[str] = []

    def reference_unchanged(name: str) -> None:
        status, body, _ = send(port, "POST", "/v1/evaluate", json.dumps(REFERENCE).encode(), "application/json")
        if status != 200 or without_decision_id(body) != reference:
            failures.append(f"{name}: the reference answer changed ({status})")

    for case in CASES:
        if case.limit is not None:
            continue  # the server runs with the default body limit
        tried["API (livegate serve)"] += 1
        status, body, headers = send(port, case.method, case.path, case.body, case.content_type)
        try:
            _check_error(case, status, headers.get("content-type", ""), body)
        except AssertionError as exc:
            failures.append(f"{case.name}: {status} {body[:200]!r} ({exc})")
        reference_unchanged(case.name)
    for name, data, status, bug in RAW:
        tried["raw HTTP (livegate serve)"] += 1
        got, answer = _raw(port, data)
        if not bug and got != status:
            failures.append(f"{name}: {got} instead of {status}: {answer[:200]!r}")
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        if got is not None and got >= 400 and b"content-type: application/json" not in head:
            failures.append(f"{name}: not the API's error shape (gunicorn's HTML page?): {answer[:200]!r}")
        reference_unchanged(name)
    tried["raw HTTP (livegate serve)"] += 1
    with socket.create_connection((HOST, port), timeout=10):
        pass  # a connection opened and closed without a request
    reference_unchanged("empty connection")

    assert not failures, "\n".join(failures)
    assert server.pids() == workers, "the worker was replaced: it crashed or was killed"
    assert send(port, "GET", "/v1/health")[0] == 200
    assert server.proc.poll() is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_server_answers_a_malformed_chunked_body_with_400_in_words_of_the_request(server, lang):
    """The message says what a chunked body must be, in the request's language, and holds no
    Python repr of the server's exception (it said "Invalid chunk size: b'zz'" in both languages)."""
    request = RAW[-1][1].replace(b"/v1/evaluate", f"/v1/evaluate?lang={lang}".encode())
    status, answer = _raw(server.port, request)
    assert status == 400, answer[:300]
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["code"] == "malformed_body" and error["field"] == "(body)"
    assert "b'" not in error["message"] and "Invalid chunk" not in error["message"], error["message"]
    assert error["message"] == messages(lang)["http.chunked_malformed"]
