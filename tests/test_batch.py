"""`livegate batch`: one profile per line, answers in input order, bad lines reported by number."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from livegate.answer import Summary
from livegate.cli.batch import csv_row

ROOT = Path(__file__).resolve().parent.parent
BANK = json.loads((ROOT / "examples" / "bank.json").read_text(encoding="utf-8"))
PERSONAL = json.loads((ROOT / "examples" / "personal_subject.json").read_text(encoding="utf-8"))
DEALER = json.loads((ROOT / "examples" / "car_dealer.json").read_text(encoding="utf-8"))
SELLER = json.loads((ROOT / "examples" / "ecommerce_seller.json").read_text(encoding="utf-8"))


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


@pytest.mark.parametrize("where", ["after", "before"])
def test_fail_batch_explains_and_reports_in_the_language_of_lang(tmp_path, engine, lines, where):
    """batch had no --lang: explanations were Chinese and errors English whatever the command line
    said (``livegate --lang en batch`` took the language of the help only). It follows evaluate's
    --lang: explanations in it (else Chinese), errors and the summary in it (else English)."""
    args = ("--explain", "--lang", "en") if where == "after" else ("--explain",)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    head = ["--lang", "en"] if where == "before" else []
    english = subprocess.run(
        [sys.executable, "-m", "livegate", *head, "batch", str(source), "--workers", "2", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert english.returncode == 1, english.stderr
    rows = [json.loads(x) for x in english.stdout.splitlines()]
    bank = engine.evaluate(BANK, lang="en")
    assert rows[0]["categories"] == bank["categories"]  # the engine's English answer, explanations and all
    assert rows[0]["cheapest"] == bank["cheapest"]
    said = rows[3]["error"]["message"]
    assert said == "subject.type: unknown subject type id 'enterprize' (did you mean 'enterprise'?)"
    chinese = _batch(tmp_path, lines, "--explain", "--lang", "zh")
    rows = [json.loads(x) for x in chinese.stdout.splitlines()]
    assert rows[0]["cheapest"] == engine.evaluate(BANK, lang="zh")["cheapest"]
    assert rows[3]["error"]["message"].startswith("subject.type：未知的主体类型 id 'enterprize'")
    assert "第 2 行：JSON 格式有误" in chinese.stderr and "份资料" in chinese.stderr
    assert "line 2: malformed JSON" in english.stderr and "5 profiles" in english.stderr
    # without --lang: Chinese explanations (the source's language), English errors, as before
    plain = _batch(tmp_path, lines, "--explain")
    rows = [json.loads(x) for x in plain.stdout.splitlines()]
    assert rows[0]["cheapest"] == engine.evaluate(BANK, lang="zh")["cheapest"]
    assert rows[3]["error"]["message"].startswith("subject.type: unknown subject type id")


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
        # every cheapest plan, in the answer's order: plans by " | ", a plan's ids by ";"
        assert _plans(row["cheapest_categories"], len(plans)) == [p["categories"] for p in plans]
        # a counted item lacked more than once with how many more (its shortfall), docs/cli.md#batch-csv
        assert _plans(row["cheapest_missing"], len(plans)) == [
            [f"{i}×{p['shortfalls'][i]}" if p["shortfalls"].get(i, 1) > 1 else i for i in p["missing"]] for p in plans
        ]
        assert row["error"] == ""
    assert any(int(row["cheapest_plans"]) > 1 for row in rows)  # the examples hold ties (ecommerce_seller)


def _plans(cell: str, n: int) -> list[list[str]]:
    """A CSV cell of every cheapest plan read back: one list of ids per plan (docs/cli.md#batch-csv)."""
    if not cell:  # no plan has any
        return [[] for _ in range(n)]
    parts = cell.split(" | ")
    assert len(parts) == n, cell
    return [part.split(";") if part else [] for part in parts]


def test_a_csv_row_describes_every_cheapest_plan_not_only_the_first(tmp_path, engine):
    """examples/ecommerce_seller.json: two plans of equal cost, one per value-added telecom licence
    (source L36: either service item); the row used to describe the first only, as if that licence were required."""
    out = tmp_path / "out.csv"
    done = _batch(tmp_path, [json.dumps(SELLER)], "-o", str(out))
    assert done.returncode == 0, done.stderr
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
    plans = engine.evaluate(SELLER, explain=False)["cheapest"]["plans"]
    assert row["cheapest_plans"] == "2" and len(plans) == 2
    assert row["cheapest_categories"] == "ecommerce_platform | ecommerce_platform"
    first, second = row["cheapest_missing"].split(" | ")
    assert first.split(";") == plans[0]["missing"] and second.split(";") == plans[1]["missing"]
    assert "value_added_telecom_licence_internet_info" in first.split(";")
    assert "value_added_telecom_licence_online_data" in second.split(";")


def test_a_csv_row_says_how_many_more_of_a_counted_item_a_plan_lacks(tmp_path):
    """教育平台 asks for 2 training-institution cooperation agreements and 2 partner permits
    (L249-L251) beside the non-commercial ICP filing: an enterprise holding only a business licence
    lacks both pairs whole. The row said "partner_private_school_permit", as if one were enough."""
    profile = {
        "subject": {"type": "enterprise"},
        "documents": ["business_license"],
        "goal": {"categories": ["edu_platform"]},
    }
    out = tmp_path / "out.csv"
    done = _batch(tmp_path, [json.dumps(profile)], "-o", str(out))
    assert done.returncode == 0, done.stderr
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
    assert (
        row["cheapest_missing"] == "non_commercial_icp_filing;partner_private_school_permit×2;training_coop_agreement×2"
    )
    assert row["cheapest_cost"] == "17"  # registration 5, partner 3 × 2 × 2


def test_a_csv_cell_keeps_each_plan_in_its_place_and_is_empty_when_no_plan_has_ids():
    summary = Summary(
        eligible=(),
        cheapest_cost=0,
        cheapest_plans=((), ("finance_bank", "finance_trust")),
        statuses=("eligible",),
        cheapest_missing=(("a", "b"), ()),
    )
    assert csv_row(7, summary, None)[-7:-3] == [0, 2, " | finance_bank;finance_trust", "a;b | "]
    # ties lack as many items each: when none lacks anything, the cell is empty, not " | "
    ties = Summary(
        eligible=("finance_bank", "finance_trust"),
        cheapest_cost=0,
        cheapest_plans=(("finance_bank",), ("finance_trust",)),
        statuses=("eligible", "eligible"),
        cheapest_missing=((), ()),
    )
    assert csv_row(9, ties, None)[-7:-3] == [0, 2, "finance_bank | finance_trust", ""]
    none = Summary(eligible=(), cheapest_cost=None, cheapest_plans=(), statuses=("missing",), cheapest_missing=())
    assert csv_row(8, none, None)[-7:-3] == ["", 0, "", ""]


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


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
@pytest.mark.parametrize("to", ["-o", "stdout"])
def test_an_output_that_cannot_be_written_is_said_in_one_line_and_exits_2(tmp_path, to):
    """Exit 2 (1 would mean bad lines), one line naming what could not be written, no traceback."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(BANK) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "livegate", "batch", str(source), "--workers", "1"]
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            command + (["-o", "/dev/full"] if to == "-o" else []),
            stdout=subprocess.DEVNULL if to == "-o" else full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("livegate: ") and "cannot write" in line and line.endswith("No space left on device")
    if to == "-o":
        assert line == "livegate: /dev/full: cannot write: No space left on device"


@pytest.mark.skipif(sys.platform == "win32", reason="a real SIGINT to a process group")
def test_ctrl_c_stops_the_workers_and_says_how_far_it_got(tmp_path):
    """SIGINT to the whole process group, as Ctrl-C sends it: the workers ignore it (no "Process
    ForkPoolWorker-N:" lines, no traceback), the parent stops them, says how many profiles of how
    many it wrote, exits 130; the output holds exactly those rows, whole."""
    from tests.strategies import random_profiles

    source, out = tmp_path / "b4k.jsonl", tmp_path / "int.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in random_profiles(4000, seed=3)), encoding="utf-8")
    command = [sys.executable, "-m", "livegate", "batch", str(source), "--explain", "-o", str(out), "--workers", "2"]
    batch = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (out.exists() and out.stat().st_size) and batch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(batch.pid, signal.SIGINT)
        _, stderr = batch.communicate(timeout=60)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()  # its pipe closed: not left for a later test to find (a ResourceWarning)
    assert batch.returncode == 130, stderr
    (line,) = stderr.splitlines()
    said = re.fullmatch(r"livegate: interrupted after (\d+) of 4000 profiles; (.+) is incomplete", line)
    assert said and said[2] == str(out), line
    written = [json.loads(x)["line"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert 0 < int(said[1]) < 4000 and written == list(range(1, int(said[1]) + 1))


def test_a_byte_order_mark_at_the_start_of_the_input_is_not_part_of_line_1(tmp_path):
    """Windows Notepad writes one; only the very start of the file may hold it."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(("\ufeff" + json.dumps(BANK) + "\r\n\ufeff" + json.dumps(BANK) + "\r\n").encode("utf-8"))
    done = subprocess.run(
        [sys.executable, "-m", "livegate", "batch", str(source), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    first, second = (json.loads(x) for x in done.stdout.splitlines())
    assert first["line"] == 1 and "finance_bank" in first["eligible"]
    assert second["error"]["code"] == "malformed_json" and "byte order mark" in second["error"]["message"]


def test_a_malformed_line_says_where_in_the_line_and_a_profile_file_is_told_what_batch_reads(tmp_path):
    """A one-line record is its own text: a missing "}" is at its end, not "at line 2 column 1"
    (the line's own break). A pretty-printed profile file given to batch gets a hint."""
    done = _batch(tmp_path, [json.dumps(BANK), json.dumps(BANK)[:-1]])
    assert done.returncode == 1
    column = len(json.dumps(BANK))  # where the "}" should be
    said = f"malformed JSON at column {column}: a comma “,” was expected"
    assert json.loads(done.stdout.splitlines()[1])["error"]["message"] == said
    assert f"line 2: {said}\n" in done.stderr and "line 2 column 1" not in done.stderr
    assert "hint:" not in done.stderr  # one bad line among good ones: no profile file

    bank = str(ROOT / "examples" / "bank.json")
    done = subprocess.run(
        [sys.executable, "-m", "livegate", "batch", bank, "--workers", "1"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "line 1: malformed JSON at column 2: a key in double quotes was expected\n" in done.stderr
    hint = done.stderr.splitlines()[-1]
    assert hint.startswith(f"hint: {bank} looks like one JSON object") and "one profile per line (JSON Lines)" in hint
    assert hint.endswith(f"livegate evaluate {bank}")
    assert "Traceback" not in done.stderr


def test_the_summary_counts_in_the_singular_and_plural_and_says_blank_lines_are_skipped(tmp_path):
    done = _batch(tmp_path, [json.dumps(BANK)])
    assert done.returncode == 0, done.stderr
    assert "batch: 1 profile in " in done.stderr and "; 0 bad lines\n" in done.stderr
    done = _batch(tmp_path, ["", json.dumps(BANK), "  ", json.dumps(BANK), ""])
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["line"] for x in done.stdout.splitlines()] == [2, 4]
    assert "batch: 2 profiles in " in done.stderr and "; 0 bad lines; 3 blank lines skipped\n" in done.stderr


def test_an_input_that_is_not_utf8_is_said_in_one_line_and_exits_2(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(json.dumps(BANK).encode() + b"\n\xff\xfe\n")
    done = subprocess.run(
        [sys.executable, "-m", "livegate", "batch", str(source), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == f"livegate: {source}: not UTF-8 text\n"
