"""``livegate diff``: copies of the knowledge base with one change each, and the diff reports
exactly that change, by meaning — nothing for facts only reordered or moved between files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from livegate.cli.diff import diff_summary
from livegate.rulesets import SCHEMA, SECTIONS, RulesetError, checkout, compare
from livegate.words import LANGUAGES, messages

from tests.support.kb_copies import (
    add_alternative,
    blocking_activity,
    copy_kb,
    item_outside,
    load,
    plain_category,
    reclassable_item,
    remove_category,
    rename_item,
    reorder,
    set_activity_effect,
    set_item_class,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """An untouched copy of the repository's knowledge base (the OLD side)."""
    return copy_kb(ROOT, tmp_path_factory.mktemp("base") / "kb")


@pytest.fixture
def kb(base: Path, tmp_path: Path) -> Path:
    """A second copy, to change (the NEW side)."""
    return copy_kb(base, tmp_path / "kb-new")


@pytest.fixture(scope="module")
def cat(base: Path):
    return load(base).catalogue


def diff(old: Path | str, new: Path | str, **kw) -> dict:
    with checkout(str(old), **kw) as a, checkout(str(new), **kw) as b:
        return compare(a, b)


def livegate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livegate", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=120,
    )


# --- one change each ----------------------------------------------------------------------------
def test_an_added_alternative_is_reported_in_its_category_and_nothing_else(base, kb, cat):
    category = next(iter(cat.categories))
    item = item_outside(cat, category)
    add_alternative(kb, category, "lg_test_added", "9. 测试：新增的一行", [item])
    result = diff(base, kb)
    assert result["facts"] == {
        "categories": {
            "changed": [
                {
                    "id": category,
                    "name": cat.categories[category].name,
                    "alternatives": {
                        "added": [{"id": "lg_test_added", "label": "9. 测试：新增的一行", "items": [item]}]
                    },
                }
            ]
        }
    }
    assert result["changed"] and result["files"]["logic"] == []


def test_a_reclassed_item_is_reported_with_the_cost_it_now_has(base, kb, cat):
    item, old, new = reclassable_item(cat)
    set_item_class(kb, item, new)
    result = diff(base, kb)
    assert result["facts"] == {
        "items": {
            "changed": [
                {
                    "id": item,
                    "name": cat.items[item].name,
                    "fields": {
                        "issuer_class": {"old": old, "new": new},
                        "default_cost": {
                            "old": cat.issuer_classes[old].default_cost,
                            "new": cat.issuer_classes[new].default_cost,
                        },
                    },
                }
            ]
        }
    }


def test_a_removed_category_is_reported_once_with_its_alternatives(base, kb, cat):
    category = plain_category(cat)
    remove_category(kb, category)
    facts = diff(base, kb)["facts"]
    assert list(facts) == ["categories"] and list(facts["categories"]) == ["removed"]
    (removed,) = facts["categories"]["removed"]
    info = cat.categories[category]
    assert (removed["id"], removed["name"], removed["scenario"], removed["access"]) == (
        category,
        info.name,
        info.scenario,
        info.access,
    )
    assert sorted(a["id"] for a in removed["alternatives"]) == sorted(a.id for a in info.alternatives)
    assert removed["source"] == [info.source.section, info.source.url, info.source.line]


def test_a_changed_activity_effect_is_reported_as_the_effect_it_had_and_has(base, kb, cat):
    activity = blocking_activity(cat)
    set_activity_effect(kb, activity, "blocks", "excludes")
    assert diff(base, kb)["facts"] == {
        "activities": {
            "changed": [
                {
                    "id": activity,
                    "label": cat.activities[activity].label,
                    "fields": {"effects": {"added": ["excludes"], "removed": ["blocks"]}},
                }
            ]
        }
    }


def test_a_renamed_item_is_reported_with_both_names_and_the_labels_that_quote_it(base, kb, cat):
    item = next(
        i
        for i, it in cat.items.items()
        if any(it.name in a.label for c in cat.categories.values() for a in c.alternatives)
    )
    old = cat.items[item].name
    rename_item(kb, item, old, "《改名后的许可证》")
    facts = diff(base, kb)["facts"]
    assert facts["items"] == {
        "changed": [
            {"id": item, "name": "《改名后的许可证》", "fields": {"name": {"old": old, "new": "《改名后的许可证》"}}}
        ]
    }
    labels = [
        alt["fields"]["label"] for entry in facts["categories"]["changed"] for alt in entry["alternatives"]["changed"]
    ]
    assert labels and all(c["old"].replace(old, "《改名后的许可证》") == c["new"] for c in labels)


def test_reordering_facts_and_moving_them_between_files_changes_nothing(base, kb):
    reorder(kb)
    result = diff(base, kb)
    assert result["facts"] == {}
    assert not result["changed"]
    assert result["files"]["facts"], "the copy's files differ in their bytes"
    assert result["old"]["ruleset"]["digest"] != result["new"]["ruleset"]["digest"]
    assert diff_summary(result).startswith("diff: no change in meaning")


def test_a_rule_change_is_shown_as_a_text_diff_of_logic(base, kb):
    with open(kb / "logic" / "plan.lp", "a", encoding="utf-8") as rules:
        rules.write("% a rule would go here\n")
    result = diff(base, kb)
    assert result["facts"] == {} and result["changed"]
    assert result["files"]["logic"] == ["plan.lp"]
    assert "+% a rule would go here\n" in result["logic"]["diff"]
    assert "--- a/logic/plan.lp" in result["logic"]["diff"]


def test_a_fact_outside_the_documented_vocabulary_is_compared_as_it_is(base, kb):
    with open(kb / "facts" / "catalogue.lp", "a", encoding="utf-8") as facts:
        facts.write('made_up(thing, 3, "字").\n')
    assert diff(base, kb)["facts"] == {"other": {"made_up/3": {"added": ['made_up(thing,3,"字")']}}}


def test_the_version_is_reported_when_it_changes(base, kb, cat):
    path = kb / "facts" / "catalogue.lp"
    path.write_text(
        path.read_text(encoding="utf-8").replace(f'ruleset_version("{cat.version}")', 'ruleset_version("9.9.9")'),
        encoding="utf-8",
    )
    assert diff(base, kb)["facts"] == {"version": {"old": cat.version, "new": "9.9.9"}}


def test_every_predicate_of_the_schema_is_documented_in_the_catalogue():
    documented = set(re.findall(r"^%\*! (\w+)\(([^)]*)\)", (ROOT / "facts" / "catalogue.lp").read_text(), re.M))
    signatures = {f"{name}/{len(args.split(','))}" for name, args in documented}
    assert set(SCHEMA) <= signatures


# --- git revisions ------------------------------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(base: Path, tmp_path: Path, cat) -> Path:
    """A git repository with two commits: the knowledge base, then an alternative added."""
    repo = copy_kb(base, tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", "facts", "logic")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "kb")
    category = next(iter(cat.categories))
    add_alternative(repo, category, "lg_test_added", "9. 测试", [item_outside(cat, category)])
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-a", "-m", "added")
    return repo


def test_git_revisions_are_read_without_touching_the_working_tree(repo: Path):
    (repo / "facts" / "social.lp").write_text("% work in progress\n", encoding="utf-8")
    result = diff("HEAD~1", "HEAD", repo=repo)
    (changed,) = result["facts"]["categories"]["changed"]
    assert changed["alternatives"]["added"][0]["id"] == "lg_test_added"
    assert result["old"]["revision"] == git(repo, "rev-parse", "HEAD~1").strip()
    assert git(repo, "status", "--porcelain").splitlines() == [" M facts/social.lp"]


def test_the_command_reads_revisions_of_the_repository_it_runs_in(repo: Path):
    proc = livegate("diff", "HEAD~1", "HEAD", "--format", "json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert list(result["facts"]) == ["categories"]
    proc = livegate("diff", "HEAD~1", "--exit-code", cwd=repo)  # NEW defaults to the current folder
    assert proc.returncode == 1 and "+ alternative “9. 测试” (lg_test_added)" in proc.stdout


def test_an_unknown_revision_is_refused_with_a_message(tmp_path: Path):
    proc = livegate("diff", "no-such-revision", str(ROOT))
    assert proc.returncode == 2
    assert "'no-such-revision' is neither a folder holding facts/ and logic/ nor a git revision" in proc.stderr
    assert "Traceback" not in proc.stderr
    with pytest.raises(RulesetError), checkout("no-such-revision", repo=ROOT):
        pass


# --- the text -----------------------------------------------------------------------------------
def _alternative_and_class_changed(kb: Path, cat) -> tuple[str, str, str, str, str]:
    """An alternative added to the first category and an item re-classed: the category, the
    alternative's item, the item re-classed, its old class and its new one."""
    category = next(iter(cat.categories))
    item = item_outside(cat, category)
    add_alternative(kb, category, "lg_test_added", "9. 测试", [item])
    item_b, old_class, new_class = reclassable_item(cat)
    set_item_class(kb, item_b, new_class)
    return category, item, item_b, old_class, new_class


def test_the_text_names_what_changed_in_the_source_words(base, kb, cat):
    category, item, item_b, old_class, new_class = _alternative_and_class_changed(kb, cat)
    proc = livegate("diff", str(base), str(kb))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"~ 【{cat.categories[category].name}】 {category}" in out
    assert f"+ alternative “9. 测试” (lg_test_added): items {cat.items[item].name}" in out
    assert f"items re-classed (1)\n  ~ {cat.items[item_b].name}" in out
    assert f"{old_class} → {new_class}" in out
    assert out.rstrip().splitlines()[-1] == ("diff: categories 1 changed; items 1 changed; logic/ unchanged")
    assert livegate("diff", str(base), str(kb), "--exit-code").returncode == 1
    assert livegate("diff", str(base), str(base), "--exit-code").returncode == 0


def test_the_text_in_chinese_with_lang_zh(base, kb, cat):
    _, item, item_b, _, _ = _alternative_and_class_changed(kb, cat)
    proc = livegate("diff", str(base), str(kb), "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # messages/zh.json: diff.header, diff.head "{section}：{kind} {count} 项", diff.alternative
    # "{mark} 资质方案 {alternative}：{detail}", diff.items_by.issuer_class, diff.summary*
    assert out.startswith(f"规则集对比：旧 {base}（")
    assert "类目：变更 1 项" in out
    assert f"+ 资质方案 “9. 测试”（lg_test_added）：材料 {cat.items[item].name}" in out
    assert f"改了出具方类别的材料（1）\n  ~ {cat.items[item_b].name}" in out
    assert out.rstrip().splitlines()[-1] == "diff：类目 变更 1；材料 变更 1；logic/ 无变更"
    assert not re.search(r"\b(added|removed|changed|items|categories|alternative|rules)\b", out), out
    english = livegate("diff", str(base), str(kb)).stdout
    assert english == livegate("diff", str(base), str(kb), "--lang", "en").stdout
    assert english.rstrip().splitlines()[-1] == "diff: categories 1 changed; items 1 changed; logic/ unchanged"
    proc = livegate("diff", "no-such-revision", "--lang", "zh")
    assert proc.returncode == 2
    assert proc.stderr.startswith("livegate：'no-such-revision' 既不是含有 facts/ 和 logic/ 的文件夹，也不是 ")


def test_every_section_and_field_of_the_facts_has_words_in_both_languages():
    for lang in LANGUAGES:
        words = messages(lang)
        for section, _, fields in SCHEMA.values():
            assert section == "ruleset" or f"diff.section.{section}" in words, (lang, section)
            for field, _ in fields:
                assert f"diff.field.{field}" in words, (lang, field)
        assert all(f"diff.section.{s}" in words for s in SECTIONS)
    assert {k for k in messages("en") if k.startswith("diff.section.")} == {f"diff.section.{s}" for s in SECTIONS}


def test_categories_are_listed_in_the_source_order(base, kb, cat):
    first, *_, last = list(cat.categories)
    for category in (last, first):
        add_alternative(kb, category, "lg_test_added", "9. 测试", [item_outside(cat, category)])
    changed = diff(base, kb)["facts"]["categories"]["changed"]
    assert [entry["id"] for entry in changed] == [first, last]
