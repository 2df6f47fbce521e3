"""`livegate batch`: one profile per line, answers in input order, bad lines reported by number."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BANK = json.loads((ROOT / "examples" / "bank.json").read_text(encoding="utf-8"))
PERSONAL = json.loads((ROOT / "examples" / "personal_subject.json").read_text(encoding="utf-8"))
DEALER = json.loads((ROOT / "examples" / "car_dealer.json").read_text(encoding="utf-8"))


def _batch(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "livegate", "batch", str(source), "--workers", "2", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def lines() -> list[str]:
    return [
        json.dumps(BANK),
        "{not json",
        json.dumps(PERSONAL),
        "",
        json.dumps({"subject": {"type": "enterprize"}}),
        json.dumps(DEALER),
    ]


def test_batch_answers_in_input_order_and_reports_bad_lines_by_number(tmp_path, lines):
    done = _batch(tmp_path, lines)
    assert done.returncode == 1  # some lines were bad
    rows = [json.loads(x) for x in done.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 5, 6]  # the blank line 4 is skipped
    bank, bad_json, personal, bad_id, dealer = rows
    # the bank holds 《金融许可证》: 金融-银行 is eligible at cost 0 (source L512–L515)
    assert "finance_bank" in bank["eligible"] and bank["cheapest"]["cost"] == 0
    assert "explanation" not in bank["categories"][0]  # compact unless --explain
    assert bad_json["error"]["code"] == "malformed_json"
    # a personal subject cannot stream live at all (source L2)
    assert personal["subject_supported"] is False and personal["cheapest"]["plans"] == []
    assert bad_id["error"]["field"] == "subject.type" and "enterprise" in bad_id["error"]["message"]
    # the dealer lacks only the MIIT access permit, a licence: cost 10 (source L820)
    assert dealer["cheapest"]["plans"][0]["missing"] == ["vehicle_manufacturer_access_permit"]
    assert "line 2: malformed JSON" in done.stderr
    assert "line 5: subject.type: unknown subject type id 'enterprize'" in done.stderr
    assert "batch: 5 profiles" in done.stderr and "2 bad lines" in done.stderr
    assert "  finance_bank: 1\n" in done.stderr  # the summary counts eligibility per category
    assert "Traceback" not in done.stderr


def test_batch_writes_csv_with_a_status_column_per_category(tmp_path, lines):
    out = tmp_path / "out.csv"
    done = _batch(tmp_path, lines, "-o", str(out))
    assert done.returncode == 1
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["line"] for r in rows] == ["1", "2", "3", "5", "6"]
    assert rows[0]["finance_bank"] == "eligible" and rows[0]["cheapest_cost"] == "0"
    assert rows[1]["error"].startswith("malformed JSON") and rows[1]["finance_bank"] == ""
    assert rows[2]["auto_presale"] == "not_applicable" and rows[2]["cheapest_cost"] == ""
    assert rows[4]["cheapest_categories"] == "auto_presale"
    assert rows[4]["cheapest_missing"] == "vehicle_manufacturer_access_permit"


def test_batch_of_only_good_lines_exits_zero_and_can_explain(tmp_path):
    done = _batch(tmp_path, [json.dumps(BANK)] * 3, "--explain")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(rows) == 3 and all(r["categories"][0]["explanation"] for r in rows)
    assert "0 bad lines" in done.stderr


def test_batch_csv_rows_say_what_the_answers_say(tmp_path, engine):
    """Each CSV row is written from the answer as written, without reading it back: every cell
    against the answer ``Engine.evaluate`` gives for the same line (own costs in some)."""
    from tests.strategies import random_profiles

    profiles = random_profiles(30, seed=21)
    assert any(p.get("costs") for p in profiles)
    out = tmp_path / "out.csv"
    done = _batch(tmp_path, [json.dumps(p) for p in profiles], "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == len(profiles)
    for row, profile in zip(rows, profiles, strict=True):
        answer = engine.evaluate(profile, explain=False)
        plans = answer["cheapest"]["plans"]
        assert {c["id"]: row[c["id"]] for c in answer["categories"]} == {
            c["id"]: c["status"] for c in answer["categories"]
        }
        cost = answer["cheapest"]["cost"]
        assert row["cheapest_cost"] == ("" if cost is None else str(cost))
        assert row["cheapest_plans"] == str(len(plans))
        assert row["cheapest_categories"] == (";".join(plans[0]["categories"]) if plans else "")
        assert row["cheapest_missing"] == (";".join(plans[0]["missing"]) if plans else "")
        assert row["error"] == ""


def test_batch_json_lines_are_the_answers_as_written_with_their_line_number(tmp_path, engine):
    """Each JSON line is the answer ``Engine.answer`` writes, its bytes as they are, after the line
    number: no answer is decoded and encoded again (own costs in some)."""
    from tests.strategies import random_profiles

    profiles = random_profiles(20, seed=5)
    lines = [json.dumps(p) for p in profiles]
    lines.insert(3, "{not json")
    done = _batch(tmp_path, lines)
    assert done.returncode == 1, done.stderr
    out = done.stdout.splitlines()
    assert len(out) == len(lines)
    for number, (line, text) in enumerate(zip(out, lines, strict=True), 1):
        if number == 4:
            assert json.loads(line) == {"line": 4, "error": json.loads(line)["error"]}
            assert json.loads(line)["error"]["code"] == "malformed_json"
            continue
        body = engine.answer(json.loads(text), explain=False).body.decode("utf-8")
        assert line == f'{{"line":{number},' + body[1:]
        assert json.loads(line) == {"line": number, **json.loads(body)}
