"""What an analyst running ``batch`` and ``impact`` over a few thousand profiles found (an outside
review): a lone carriage return moved every later line number, a CSV said "eligible, cost 0" of a
plan that still needs a category outside the catalogue and could not say which rules answered it,
``-o OUT.CSV`` wrote JSON Lines, ``impact --examples 0`` ended in a traceback after replaying
everything, and ``impact``'s gate passed on lines it could not read."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from livegate import Engine

ROOT = Path(__file__).resolve().parent.parent
ENTERPRISE = {"subject": {"type": "enterprise"}}
MEDIA = {"subject": {"type": "media"}}
# 电商平台 by its licensed option, every document held (L34-L44), and merchants selling medical
# devices (L13: "需补充医疗相关类目"): cost 0, and still a category outside the catalogue to get
MEDICAL_SELLER = {
    "subject": {"type": "enterprise"},
    "documents": [
        "value_added_telecom_licence_online_data",
        "platform_service_agreement",
        "merchant_review_rules",
        "dispute_resolution_mechanism",
    ],
    "activities": ["ecom_medical_sales"],
    "goal": {"scenario": "ecommerce"},
}


def livegate(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livegate", *args],
        capture_output=True,
        input=stdin,
        cwd=ROOT,
        timeout=300,
    )


def _lines_with_a_lone_carriage_return() -> bytes:
    """Three lines as wc -l counts them; the second holds a \\r inside its JSON (whitespace)."""
    return (
        b'{"subject": {"type": "enterprise"}}\n{"subject":\r{"type": "enterprise"}}\n{"subject": {"type": "media"}}\n'
    )


def test_a_lone_carriage_return_inside_a_line_does_not_split_it_from_a_file_or_a_pipe(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(_lines_with_a_lone_carriage_return())
    for args, stdin in ((["batch", str(source)], None), (["batch", "-"], source.read_bytes())):
        done = livegate(*args, "--workers", "1", stdin=stdin)
        assert done.returncode == 0, done.stderr
        rows = [json.loads(x) for x in done.stdout.decode().splitlines()]
        assert [r["line"] for r in rows] == [1, 2, 3]
        assert rows[2]["subject_supported"] is True and "error" not in rows[1]


def test_impact_numbers_lines_as_batch_does(tmp_path):
    from livegate.impact import read_cases

    source = tmp_path / "in.jsonl"
    source.write_bytes(_lines_with_a_lone_carriage_return())
    cases, unreadable = read_cases(source, log=False)
    assert [c.where for c in cases] == [f"{source}:1", f"{source}:2", f"{source}:3"] and unreadable == []
    assert cases[2].data == MEDIA


def test_a_csv_row_names_the_categories_outside_the_catalogue_its_plan_still_needs_and_the_ruleset(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(MEDICAL_SELLER) + "\n" + json.dumps(ENTERPRISE) + "\n{bad\n", encoding="utf-8")
    out = tmp_path / "OUT.CSV"  # (the suffix in any case: Windows writes it so)
    done = livegate("batch", str(source), "-o", str(out), "--workers", "1")
    assert done.returncode == 1, done.stderr  # the third line is bad
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    seller, plain, bad = rows
    assert seller["ecommerce_platform"] == "eligible" and seller["cheapest_cost"] == "0"
    assert seller["cheapest_external"] == "medical_categories"
    assert plain["cheapest_external"] == ""
    ruleset = Engine().ruleset
    for row in rows:
        assert (row["ruleset_version"], row["ruleset_digest"]) == (ruleset["version"], ruleset["digest"])
    assert bad["error"].startswith("malformed JSON") and bad["cheapest_external"] == ""


def _impact(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text(json.dumps(ENTERPRISE) + "\n{not json\n" + json.dumps(MEDIA) + "\n", encoding="utf-8")
    return livegate("impact", str(ROOT), str(ROOT), "--profiles", str(profiles), *args)


def test_impact_with_no_examples_reports_and_its_summary_says_what_was_not_compared(tmp_path):
    done = _impact("--examples", "0", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "Traceback" not in done.stderr.decode()
    assert (
        text.rstrip()
        .splitlines()[-1]
        .startswith("impact: 2 profiles, 0 changed (0.0 %); not compared: 1 line not read; old ")
    )
    data = json.loads(_impact("--examples", "0", "--format", "json", tmp_path=tmp_path).stdout)
    assert data["examples"] == {} and len(data["unreadable"]) == 1


def test_impact_s_gate_fails_on_a_line_it_could_not_read(tmp_path):
    """The same rules on both sides change no answer, but the gate did not see line 2."""
    done = _impact("--fail-on-change", tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr
    zh = _impact("--fail-on-change", "--lang", "zh", tmp_path=tmp_path)
    assert "未比较：1 行无法读取" in zh.stdout.decode().rstrip().splitlines()[-1]
