"""The ruleset's version rule (``tools/release_check.py``): on this repository, and on a small
git repository of the knowledge base in which facts change, with and without a version bump."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.kb_copies import add_alternative, copy_kb, edit_facts, item_outside, load, reorder
from tools.release_check import Verdict, at_least_minor, check, unreleased

ROOT = Path(__file__).resolve().parent.parent


def test_the_repository_keeps_the_version_rule():
    verdict = check(ROOT)
    if verdict.skipped:
        pytest.skip(verdict.skipped)
    assert verdict.ok, "\n".join(verdict.lines + verdict.problems)


def test_a_minor_bump_is_a_minor_or_major_step():
    assert at_least_minor("1.0.1", "1.1.0") and at_least_minor("1.0.1", "2.0.0")
    assert not at_least_minor("1.0.1", "1.0.2") and not at_least_minor("1.1.0", "1.1.0")


def test_unreleased_means_listed_under_the_unreleased_heading():
    text = "# Changelog\n\n## [Unreleased]\n\n### Ruleset 1.2.0\n\n## Ruleset 1.1.0 / Package 0.3.0\n"
    assert unreleased(text, "1.2.0") and not unreleased(text, "1.1.0")


# --- a repository of the knowledge base -------------------------------------------------------
RELEASED = "# Changelog\n\n## [Unreleased]\n\n## Ruleset {v}\n\nThe first version.\n"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def set_version(repo: Path, version: str) -> None:
    edit_facts(repo, lambda line: re.sub(r'^ruleset_version\("[^"]*"\)', f'ruleset_version("{version}")', line))


def write_changelog(repo: Path, unreleased_lines: str = "", released: str = "1.0.0") -> None:
    text = RELEASED.format(v=released).replace("## [Unreleased]\n", f"## [Unreleased]\n\n{unreleased_lines}")
    (repo / "CHANGELOG.md").write_text(text, encoding="utf-8")


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Ruleset 1.0.0 committed and released, with three examples."""
    repo = copy_kb(ROOT, tmp_path / "repo")
    (repo / "examples").mkdir()
    for example in sorted((ROOT / "examples").glob("*.json"))[:3]:
        shutil.copy(example, repo / "examples")
    set_version(repo, "1.0.0")
    write_changelog(repo)
    git(repo, "init", "-q")
    commit(repo, "ruleset 1.0.0")
    return repo


def change_answers(repo: Path) -> None:
    """An alternative any holder of one common item meets: many answers change."""
    cat = load(repo).catalogue
    category = next(iter(cat.categories))
    add_alternative(repo, category, "lg_test_added", "9. 测试", [item_outside(cat, category)])


def verdict_of(repo: Path) -> Verdict:
    verdict = check(repo, n=20)
    assert not verdict.skipped, verdict.skipped
    return verdict


def test_fail_when_answers_change_without_a_bump(repo):
    change_answers(repo)
    verdict = verdict_of(repo)
    assert not verdict.ok and verdict.changed > 0
    assert "needs at least a minor bump over 1.0.0 (it is 1.0.0)" in verdict.problems[0]


def test_fail_when_answers_change_with_a_patch_bump(repo):
    change_answers(repo)
    set_version(repo, "1.0.1")
    write_changelog(repo, "### Ruleset 1.0.1\n- an alternative\n")
    verdict = verdict_of(repo)
    assert [p.split(":")[0] for p in verdict.problems] == [
        f"{verdict.changed} answer(s) changed since {git(repo, 'rev-parse', 'HEAD')[:12]} (ruleset 1.0.0)"
    ]


def test_fail_when_a_minor_bump_has_no_changelog_line(repo):
    change_answers(repo)
    set_version(repo, "1.1.0")
    assert verdict_of(repo).problems == ['answers changed: CHANGELOG.md needs a "Ruleset 1.1.0" line saying how']


def test_success_when_a_minor_bump_has_its_changelog_line_and_changes_gather_until_released(repo):
    change_answers(repo)
    set_version(repo, "1.1.0")
    write_changelog(repo, "### Ruleset 1.1.0\n- an alternative\n")
    assert verdict_of(repo).ok
    commit(repo, "ruleset 1.1.0")
    assert verdict_of(repo).ok  # held against the commit before 1.1.0 was set

    cat = load(repo).catalogue
    category = list(cat.categories)[1]
    add_alternative(repo, category, "lg_test_more", "9. 又一行", [item_outside(cat, category)])
    assert verdict_of(repo).ok  # 1.1.0 is unreleased: the bump covers this change too

    write_changelog(repo, released="1.1.0")  # 1.1.0 is released now
    commit(repo, "release 1.1.0")
    assert not verdict_of(repo).ok  # a change after the release needs a new version


def test_success_when_facts_are_only_reordered_and_nothing_is_evaluated(repo):
    reorder(repo)
    verdict = verdict_of(repo)
    assert verdict.ok and verdict.changed == 0
    assert "no change in meaning since the baseline" in verdict.lines[-1]


def test_success_with_a_patch_for_a_fact_no_answer_shows(repo):
    # an issuer class's name is in the explanations only, which the check leaves out
    edit_facts(repo, lambda line: re.sub(r'^(issuer_class_name\(\w+, ")[^"]*', r"\1改过的名字", line, count=1))
    set_version(repo, "1.0.1")
    assert verdict_of(repo).problems == [
        'ruleset_version is 1.0.1 (was 1.0.0): CHANGELOG.md needs a "Ruleset 1.0.1" line'
    ]
    write_changelog(repo, "### Ruleset 1.0.1\n- issuer class names\n")
    verdict = verdict_of(repo)
    assert verdict.ok and verdict.changed == 0 and "issuer_classes" in verdict.lines[1]
