"""``livegate impact``: on copies of the knowledge base with one change each, the replay counts
exactly the profiles whose answers change — checked against the engine run directly on both
copies, its answers compared by meaning — and reports how they change."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from livegate import Engine, corpus
from livegate.impact import Case, compare_answers, differences, random_cases, read_cases, replay
from livegate.profile import ProfileError
from livegate.rulesets import checkout

from tests.support.kb_copies import (
    add_alternative,
    blocking_activity,
    copy_kb,
    item_outside,
    load,
    plain_category,
    reclassable_item,
    remove_category,
    reorder,
    set_activity_effect,
    set_item_class,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return copy_kb(ROOT, tmp_path_factory.mktemp("base") / "kb")


@pytest.fixture(scope="module")
def cat(base: Path):
    return load(base).catalogue


@pytest.fixture(scope="module")
def old_engine(base: Path) -> Engine:
    return Engine(load(base), pool_size=1)


def _canonical(value: Any) -> Any:
    """A value with every list sorted (by its entries' JSON): equal exactly when equal by meaning."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _outcome(engine: Engine, profile: Any) -> Any:
    try:
        answer = engine.evaluate(profile, explain=False)
    except ProfileError:
        return "refused"
    answer.pop("ruleset")
    return _canonical(answer)


def changed_directly(old: Engine, new: Engine, cases: list[Case]) -> list[str]:
    """The cases whose answer differs when each engine answers them itself."""
    return [c.where for c in cases if _outcome(old, c.data) != _outcome(new, c.data)]


def cases_for(base: Path, extra: list[dict[str, Any]]) -> list[Case]:
    examples = [
        Case(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted((ROOT / "examples").glob("*.json"))
    ]
    targeted = [Case(f"targeted:{k}", p) for k, p in enumerate(extra, 1)]
    # cost overrides in a few only: each distinct set is a grounding of its own per ruleset
    knowledge = load(base)
    randoms = random_cases(knowledge, 40, seed=3, overrides=False) + random_cases(knowledge, 2, seed=4, overrides=True)
    return examples + randoms + targeted


def _alternative_added(kb: Path, cat) -> list[dict[str, Any]]:
    category = next(iter(cat.categories))
    item = item_outside(cat, category)
    add_alternative(kb, category, "lg_test_added", "9. 测试", [item])
    return [{"subject": {"type": t}, "documents": [item]} for t in cat.subject_types]


def _item_reclassed(kb: Path, cat) -> list[dict[str, Any]]:
    item, _, new = reclassable_item(cat)
    set_item_class(kb, item, new)
    return [{"subject": {"type": "enterprise"}, "documents": []}]


def _category_removed(kb: Path, cat) -> list[dict[str, Any]]:
    category = plain_category(cat)
    remove_category(kb, category)
    return [{"subject": {"type": "enterprise"}, "goal": {"categories": [category]}}] * 3


def _effect_changed(kb: Path, cat) -> list[dict[str, Any]]:
    activity = blocking_activity(cat)
    set_activity_effect(kb, activity, "blocks", "excludes")
    return [{"subject": {"type": "enterprise"}, "activities": [activity]}]


def _reordered(kb: Path, cat) -> list[dict[str, Any]]:
    reorder(kb)
    return []


MUTATIONS: dict[str, Callable[[Path, Any], list[dict[str, Any]]]] = {
    "an alternative added": _alternative_added,
    "an item re-classed": _item_reclassed,
    "a category removed": _category_removed,
    "an activity's effect changed": _effect_changed,
    "facts reordered": _reordered,
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_impact_counts_exactly_the_profiles_whose_answers_change(mutation, base, cat, old_engine, tmp_path):
    kb = copy_kb(base, tmp_path / "kb-new")
    cases = cases_for(base, MUTATIONS[mutation](kb, cat))
    with checkout(str(base)) as old, checkout(str(kb)) as new:
        impact = replay(old, new, cases, workers=1, progress=False)
    expected = changed_directly(old_engine, Engine(load(kb), pool_size=1), cases)
    assert impact.profiles == len(cases)
    assert impact.changed_where == expected
    assert impact.changed == len(expected)
    data = impact.to_json()
    assert (data["profiles"], data["changed"]) == (len(cases), len(expected))
    if mutation == "facts reordered":
        assert impact.changed == 0 and not data["examples"]
    else:
        assert impact.changed > 0


def test_a_removed_category_makes_the_profiles_that_name_it_invalid_and_says_which_id(base, cat, tmp_path):
    kb = copy_kb(base, tmp_path / "kb-new")
    category = plain_category(cat)
    remove_category(kb, category)
    cases = [
        Case("a", {"subject": {"type": "enterprise"}, "goal": {"categories": [category]}}),
        Case("b", {"subject": {"type": "enterprise"}}),
        Case("c", {"subject": {"type": "enterprise"}, "goal": {"categories": ["no_such_category"]}}),
    ]
    with checkout(str(base)) as old, checkout(str(kb)) as new:
        data = replay(old, new, cases, workers=1, progress=False).to_json()
    assert data["kinds"]["invalid"] == 1
    assert data["invalid"]["ids"] == [{"kind": "category", "id": category, "profiles": 1}]
    (example,) = data["examples"]["invalid"]
    assert example["where"] == "a" and example["before"] == "answered"
    assert example["after"]["refused"][0]["field"] == "goal.categories[0]"
    assert data["refused_by_both"] == 1  # "c" names an id neither knows: not compared
    assert data["changed"] == 2  # "b" lost the category's entry


def test_an_added_alternative_is_reported_by_category_with_examples(base, cat, tmp_path):
    kb = copy_kb(base, tmp_path / "kb-new")
    category = next(iter(cat.categories))
    item = item_outside(cat, category)
    add_alternative(kb, category, "lg_test_added", "9. 测试", [item])
    holder = {"subject": {"type": "enterprise"}, "documents": [item]}
    with checkout(str(base)) as old, checkout(str(kb)) as new:
        data = replay(old, new, [Case("holder", holder)], workers=1, progress=False).to_json()
    assert data["eligible"] == {"gained": {category: 1}, "lost": {}}
    (status,) = data["status"]
    assert (status["category"], status["new"], status["profiles"]) == (category, "eligible", 1)
    (example,) = data["examples"]["eligible_set"]
    assert example["profile"] == holder
    assert category not in example["before"] and category in example["after"]


def test_many_workers_give_what_one_gives(base, cat, tmp_path):
    kb = copy_kb(base, tmp_path / "kb-new")
    _alternative_added(kb, cat)
    cases = random_cases(load(base), 130, seed=11, overrides=False)  # enough for two workers
    with checkout(str(base)) as old, checkout(str(kb)) as new:
        one = replay(old, new, cases, workers=1, progress=False)
        two = replay(old, new, cases, workers=2, progress=False)
    assert two.workers == 2
    assert one.to_json() == two.to_json()
    assert one.changed_where == two.changed_where


# --- comparing by meaning -------------------------------------------------------------------------
ANSWER = {
    "ruleset": {"version": "1", "digest": "a"},
    "eligible": ["x", "y"],
    "categories": [
        {
            "id": "x",
            "status": "eligible",
            "missing_sets": [{"documents": ["a", "b"], "cost": 2}, {"documents": [], "cost": 0}],
        },
        {"id": "y", "status": "eligible", "missing_sets": []},
    ],
    "cheapest": {"cost": 0, "plans": [{"categories": ["x"], "missing": [], "cost": 0}]},
    "item_costs": {"a": 1, "b": 1},
}


def _reordered_answer() -> dict[str, Any]:
    other = json.loads(json.dumps(ANSWER))
    other["ruleset"] = {"version": "2", "digest": "b"}
    other["eligible"].reverse()
    other["categories"].reverse()
    other["categories"][1]["missing_sets"].reverse()
    other["categories"][1]["missing_sets"][1]["documents"].reverse()
    other["item_costs"] = dict(reversed(other["item_costs"].items()))
    return other


def test_the_order_of_lists_and_the_ruleset_named_are_not_changes():
    assert differences(ANSWER, _reordered_answer()) == []
    assert compare_answers(ANSWER, _reordered_answer()) == {}


def test_a_change_is_told_by_kind_and_by_path():
    other = _reordered_answer()
    other["categories"][0]["status"] = "missing"  # y
    other["eligible"].remove("y")
    other["categories"][1]["missing_sets"][0]["cost"] = 3  # x, the set of a and b, in the new order
    other["cheapest"]["plans"].append({"categories": ["z"], "missing": ["q"], "cost": 0})
    other["new_field"] = True
    change = compare_answers(ANSWER, other, ids=frozenset({"a", "b"}))
    assert change["kinds"] == ["eligible_set", "status", "plans", "other"]
    assert (change["gained"], change["lost"]) == ([], ["y"])
    assert change["status"] == [["y", "eligible", "missing"]]
    assert change["paths"] == [
        "categories[].missing_sets[].cost",
        "categories[].status",
        "cheapest.plans[]",
        "eligible[]",
        "new_field",
    ]
    assert change["views"]["plans"][1] == ["x: missing nothing, cost 0", "z: missing q, cost 0"]


def test_ids_in_paths_are_written_as_a_star():
    paths = [p for p, _, _ in differences({"item_costs": {"a": 1}}, {"item_costs": {"a": 2}}, frozenset({"a"}))]
    assert paths == ["item_costs.*"]


# --- reading profiles -----------------------------------------------------------------------------
def test_a_decision_log_is_read_by_its_profile_field_and_bad_lines_are_listed(tmp_path):
    log = tmp_path / "decisions.jsonl"
    log.write_text(
        json.dumps({"decision_id": "d1", "profile": {"subject": {"type": "enterprise"}}})
        + "\n\n{not json\n"
        + json.dumps({"decision_id": "d2"})
        + "\n",
        encoding="utf-8",
    )
    cases, unreadable = read_cases(log, log=True)
    assert [(c.where, c.decision_id) for c in cases] == [(f"{log}:1", "d1")]
    assert [str(u).split(": ", 1)[0] for u in unreadable] == [f"{log}:3", f"{log}:4"]
    assert str(unreadable[1]).endswith("not a decision (no profile field)")
    # messages/zh.json: impact.unreadable_line "{where}：{problem}", impact.not_a_decision
    assert unreadable[1].text("zh") == f"{log}:4：不是一条决策（没有 profile 字段）"


def test_a_json_file_of_profiles_is_one_case_per_profile(tmp_path):
    one, many = tmp_path / "one.json", tmp_path / "many.json"
    one.write_text('{"subject": {"type": "enterprise"}}', encoding="utf-8")
    many.write_text('[{"subject": {"type": "enterprise"}}, {"subject": {"type": "media"}}]', encoding="utf-8")
    assert [c.where for c in read_cases(one, log=False)[0]] == [str(one)]
    assert [c.where for c in read_cases(many, log=False)[0]] == [f"{many}[0]", f"{many}[1]"]


def test_fail_a_profiles_file_saved_with_a_byte_order_mark_is_read_whole(tmp_path):
    # Windows Notepad saves UTF-8 with one, which batch and evaluate skip: so does impact
    one, lines = tmp_path / "one.json", tmp_path / "lines.jsonl"
    one.write_text('\ufeff{"subject": {"type": "enterprise"}}', encoding="utf-8")
    lines.write_text('\ufeff{"subject": {"type": "enterprise"}}\n{"subject": {"type": "media"}}\n', encoding="utf-8")
    enterprise = {"subject": {"type": "enterprise"}}
    assert [(c.where, c.data) for c in read_cases(one, log=False)[0]] == [(str(one), enterprise)]
    cases, unreadable = read_cases(lines, log=False)
    assert [c.where for c in cases] == [f"{lines}:1", f"{lines}:2"] and unreadable == []


# --- the command ----------------------------------------------------------------------------------
def livegate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livegate", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=300,
    )


def test_the_command_gates_on_change_and_puts_the_counts_at_the_top_of_its_json(base, cat, tmp_path):
    kb = copy_kb(base, tmp_path / "kb-new")
    _alternative_added(kb, cat)
    log = tmp_path / "decisions.jsonl"
    profiles = corpus.profiles(load(base).catalogue_json(), 30, seed=5, overrides=False)
    log.write_text("".join(json.dumps({"decision_id": str(k), "profile": p}) + "\n" for k, p in enumerate(profiles)))
    proc = livegate("impact", str(base), str(kb), "--log", str(log), "--format", "json", "--fail-on-change")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["profiles"] == 30 and 0 < data["changed"] <= 30
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"impact: 30 profiles, {data['changed']} changed")

    proc = livegate("impact", str(base), str(kb), "--log", str(log))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1] == summary
    assert f"【{cat.categories[next(iter(cat.categories))].name}】" in proc.stdout

    proc = livegate(
        "impact",
        str(base),
        str(base),
        "--random",
        "5",
        "--profiles",
        *map(str, sorted((ROOT / "examples").glob("*.json"))),
        "--fail-on-change",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1].startswith("impact: 15 profiles, 0 changed")


def test_the_command_without_profiles_or_with_a_missing_file_says_so(base):
    proc = livegate("impact", str(base), str(base))
    assert proc.returncode == 2 and "no profiles" in proc.stderr
    proc = livegate("impact", str(base), str(base), "--log", "no/such/file.jsonl")
    assert proc.returncode == 2 and "no/such/file.jsonl: cannot read" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_report_in_chinese_counts_the_same_as_in_english(base, cat, tmp_path):
    kb = copy_kb(base, tmp_path / "kb-new")
    _alternative_added(kb, cat)
    args = ("impact", str(base), str(kb), "--random", "20", "--workers", "1")
    english = livegate(*args)
    chinese = livegate(*args, "--lang", "zh")
    assert english.returncode == chinese.returncode == 0, chinese.stderr
    summary = re.fullmatch(r"impact: 20 profiles, (\d+) changed \(([\d.]+) %\).*", english.stdout.splitlines()[-1])
    assert summary, english.stdout
    changed, share = summary.groups()
    # messages/zh.json: impact.summary "影响：{profiles} 份资料，{changed} 份有变化{share}…",
    # impact.share "（{percent:.1f} %）"
    assert chinese.stdout.splitlines()[-1].startswith(f"影响：20 份资料，{changed} 份有变化（{share} %）")
    assert chinese.stdout.splitlines()[2] == f"答案有变化：20 份中 {changed} 份（{share} %）"
    assert "  可用类目集合 " in chinese.stdout and "  最低成本上升 " in chinese.stdout
    assert "20 份随机资料（种子 20261129）" in chinese.stdout.splitlines()[0]
    assert chinese.stderr.startswith("impact：20 份资料各回答两次")
    assert english.stdout == livegate(*args, "--lang", "en").stdout
    assert "answers changed: " in english.stdout and "eligible set" in english.stdout


def test_the_command_s_errors_in_chinese_with_lang_zh(base):
    proc = livegate("impact", str(base), str(base), "--lang", "zh")
    assert proc.returncode == 2
    assert proc.stderr.startswith("livegate：") and "no profiles" not in proc.stderr
    proc = livegate("impact", "no-such-revision", str(base), "--random", "1", "--lang", "zh")
    assert proc.returncode == 2
    assert "'no-such-revision' 既不是含有 facts/ 和 logic/ 的文件夹，也不是" in proc.stderr


def test_rules_this_livegate_cannot_answer_with_are_refused_naming_their_ruleset_and_ours(base, tmp_path):
    """Rules of another major version (here: a shown predicate of ruleset 1.x that this package's
    reader does not know) are refused once, before any worker starts, saying which ruleset each
    side is and what to do instead; no traceback."""
    old = copy_kb(base, tmp_path / "kb-1.x")
    catalogue = old / "facts" / "catalogue.lp"
    ours = load(base).ruleset["version"]
    text = catalogue.read_text(encoding="utf-8")
    assert f'ruleset_version("{ours}").' in text
    catalogue.write_text(text.replace(f'ruleset_version("{ours}").', 'ruleset_version("1.0.1").'), encoding="utf-8")
    with (old / "logic" / "show.lp").open("a", encoding="utf-8") as show:
        show.write("plan_option(x, y).\n#show plan_option/2.\n")  # 1.x's plan atom
    proc = livegate("impact", str(old), str(base), "--random", "2", "--workers", "1")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert f"old {old} (ruleset 1.0.1): this livegate cannot answer with these rules" in proc.stderr
    assert f"it answers with ruleset {ours}" in proc.stderr and "livegate diff" in proc.stderr
    zh = livegate("impact", str(old), str(base), "--random", "2", "--workers", "1", "--lang", "zh")
    assert f"旧规则集 {old}（规则集 1.0.1）：此版本的 livegate 无法用这些规则作答；它随附规则集 {ours}" in zh.stderr


def test_files_that_give_no_profile_are_an_error_naming_each_file(base, tmp_path):
    # a log none of whose lines has a profile field reported "0 profiles, 0 changed" and exited 0:
    # a CI gate given the wrong file passed on nothing
    small = tmp_path / "small.jsonl"
    small.write_text('{"decision_id": "d1", "answer": {}}\n{"not": "a decision"}\n', encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    proc = livegate("impact", str(base), str(base), "--log", str(small), "--fail-on-change")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        f"livegate: no profiles to replay: {small}: none of its 2 lines has a “profile” field"
        " (each line of a decision log has one)\n"
    )
    proc = livegate("impact", str(base), str(base), "--log", str(small), "--profiles", str(empty), "--lang", "zh")
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("livegate：没有可重放的资料：") and f"{empty}：其中没有资料（文件为空）" in proc.stderr
    )
    # one file with profiles is enough: the other's lines are listed as not read
    one = tmp_path / "one.json"
    one.write_text('{"subject": {"type": "enterprise"}}', encoding="utf-8")
    proc = livegate("impact", str(base), str(base), "--log", str(small), "--profiles", str(one), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("impact: 1 profiles, 0 changed")


def test_the_rulesets_come_before_profiles_and_the_error_says_so(base):
    # --profiles takes every argument after it: "impact --profiles x.json HEAD" said only "required: old"
    example = str(ROOT / "examples" / "bank.json")
    proc = livegate("impact", "--profiles", example, str(base))
    assert proc.returncode == 2
    assert "the following arguments are required: OLD" in proc.stderr
    assert "The rulesets come before the options (livegate impact OLD [NEW] --profiles FILE…)" in proc.stderr
    assert "after OLD [NEW]: it takes every argument that follows" in re.sub(
        r"\s+", " ", livegate("impact", "--help").stdout
    )
    proc = livegate("impact", str(base), str(base), "--profiles", example, "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("impact: 1 profiles, 0 changed")
