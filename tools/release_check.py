"""The ruleset's version rule, checked on the working tree against the repository's history.

    python tools/release_check.py            # exit 1 when the rule is broken; tests/test_release.py runs it

The rule (CHANGELOG.md, docs/semantics.md#versioning): a change to ``facts/`` that
alters any answer needs at least a **minor** bump of ``ruleset_version`` (in
``facts/catalogue.lp``) and a CHANGELOG line naming it (``Ruleset X.Y.Z``); a change
that alters no answer may be a patch, or wait for the next bump.

What the working tree is compared against — the **baseline** — comes from the
commits that changed ``ruleset_version``:

* the working tree's version differs from the last one committed (a bump not yet
  committed): the commit that set the last committed version;
* the working tree's version was set by a commit, and CHANGELOG.md lists it under
  ``[Unreleased]``: the commit before it (changes may gather under an unreleased
  version; the bump must cover all of them);
* it was set by a commit and is released: that commit (any answer changed since
  needs a new version).

The baseline's ``facts/`` is taken with ``git archive`` and paired with the working
tree's ``logic/``, so that the check sees what the facts change does, whatever
the rules and the package did meanwhile. When the two sets of facts mean the same
(comments, order, files), no answer can change and nothing is evaluated; otherwise
the examples and a seeded corpus (:mod:`livegate.corpus`) are replayed under both
(:func:`livegate.impact.replay`) and every answer compared by meaning.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from livegate import corpus
from livegate.impact import Case, random_cases, replay
from livegate.rulesets import RulesetSource, compare_facts, extract

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r'^ruleset_version\("([^"]+)"\)\.', re.M)
CATALOGUE = "facts/catalogue.lp"


@dataclass
class Verdict:
    """The outcome: ``ok``, or the ``problems``; ``lines`` say what was compared and found."""

    ok: bool = True
    skipped: str | None = None
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changed: int = 0

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


@dataclass(frozen=True)
class Baseline:
    commit: str
    version: str
    why: str


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def version_of(text: str | None) -> str | None:
    found = VERSION.search(text or "")
    return found.group(1) if found else None


def version_at(root: Path, commit: str) -> str | None:
    return version_of(_git(root, "show", f"{commit}:{CATALOGUE}"))


def parse(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def at_least_minor(old: str, new: str) -> bool:
    """``new`` is a minor or major version after ``old``."""
    a, b = parse(old), parse(new)
    return b[:1] > a[:1] or (b[:1] == a[:1] and b[1:2] > a[1:2])


def changelog_names(changelog: str, version: str) -> bool:
    """CHANGELOG.md has a line naming ``Ruleset <version>``."""
    return re.search(rf"\bRuleset {re.escape(version)}\b", changelog) is not None


def unreleased(changelog: str, version: str) -> bool:
    """CHANGELOG.md lists ``Ruleset <version>`` under ``## [Unreleased]``."""
    section = re.search(r"^## \[Unreleased\]\s*$(.*?)(?=^## |\Z)", changelog, re.M | re.S)
    return section is not None and changelog_names(section.group(1), version)


def version_commits(root: Path) -> list[str] | None:
    """The commits that changed ``ruleset_version``, newest first (None: no git history here)."""
    log = _git(root, "log", "--format=%H", "-G", r"^ruleset_version\(", "--", CATALOGUE)
    if log is None:
        return None
    out = []
    for commit in log.split():
        before = version_at(root, f"{commit}^") if _git(root, "rev-parse", "--verify", "-q", f"{commit}^") else None
        if version_at(root, commit) != before:
            out.append(commit)
    return out


def baseline(root: Path, version: str, changelog: str) -> Baseline | None:
    """What the working tree is held against (see the module's docstring); None before any version."""
    commits = version_commits(root)
    if not commits:
        return None
    last = commits[0]
    committed = version_at(root, last) or ""
    if version != committed:
        return Baseline(last, committed, f"{last[:12]}, which set {committed}, the version committed last")
    if unreleased(changelog, version):
        parent = (_git(root, "rev-parse", f"{last}^") or "").strip()
        before = version_at(root, parent) if parent else None
        if not parent or before is None:
            return None
        return Baseline(
            parent, before, f"{parent[:12]}, the commit before {last[:12]} set {version} (listed as unreleased)"
        )
    return Baseline(last, version, f"{last[:12]}, which set {version} (released)")


def examples(root: Path) -> list[Case]:
    return [
        Case(f"examples/{p.name}", json.loads(p.read_text(encoding="utf-8")))
        for p in sorted((root / "examples").glob("*.json"))
    ]


def check(root: Path = ROOT, *, n: int = 200, seed: int = corpus.SEED, workers: int = 1) -> Verdict:
    """The version rule on ``root``'s working tree (see the module's docstring)."""
    verdict = Verdict()
    if _git(root, "rev-parse", "--show-toplevel") is None:
        verdict.skipped = f"{root} is not a git checkout"
        return verdict
    if (_git(root, "rev-parse", "--is-shallow-repository") or "").strip() == "true":
        verdict.skipped = "a shallow clone: the commit that set the version may be missing (fetch with --unshallow)"
        return verdict
    version = version_of((root / CATALOGUE).read_text(encoding="utf-8"))
    if version is None:
        verdict.fail(f"{CATALOGUE} has no ruleset_version/1")
        return verdict
    changelog_path = root / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.is_file() else ""
    base = baseline(root, version, changelog)
    if base is None:
        verdict.skipped = f"no version before {version} in the history"
        return verdict
    verdict.lines.append(f"working tree: ruleset {version}; baseline: {base.why}")

    with tempfile.TemporaryDirectory(prefix="livegate-release-") as tmp:
        extract(root, base.commit, Path(tmp), ("facts",))
        shutil.copytree(root / "logic", Path(tmp) / "logic")
        old = RulesetSource(f"{base.commit[:12]} (facts/ at the baseline, logic/ of the working tree)", Path(tmp))
        new = RulesetSource("the working tree", root)
        facts = compare_facts(old.load(), new.load())
        facts.pop("version", None)
        if not facts:
            verdict.lines.append("facts/: no change in meaning since the baseline, so no answer can change")
        else:
            verdict.lines.append(f"facts/ changed in: {', '.join(facts)}")
            old_kb = old.load()
            cases = examples(root)
            cases += random_cases(old_kb, n, seed, overrides=False)
            cases += random_cases(old_kb, max(1, n // 40), seed + 1, overrides=True)
            impact = replay(old, new, cases, workers=workers, progress=False, explain=False)
            verdict.changed = impact.changed
            verdict.lines.append(impact.summary())

    if verdict.changed:
        if not at_least_minor(base.version, version):
            verdict.fail(
                f"{verdict.changed} answer(s) changed since {base.commit[:12]} (ruleset {base.version}): "
                f"ruleset_version in {CATALOGUE} needs at least a minor bump over {base.version} (it is {version})"
            )
        if not changelog_names(changelog, version):
            verdict.fail(f'answers changed: CHANGELOG.md needs a "Ruleset {version}" line saying how')
    elif version != base.version and not changelog_names(changelog, version):
        verdict.fail(
            f'ruleset_version is {version} (was {base.version}): CHANGELOG.md needs a "Ruleset {version}" line'
        )
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    parser.add_argument("--n", type=int, default=200, help="seeded profiles besides the examples (default 200)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    verdict = check(args.root, n=args.n, workers=args.workers)
    for line in verdict.lines:
        print(line)
    if verdict.skipped:
        print(f"release check: skipped: {verdict.skipped}")
        return 0
    for problem in verdict.problems:
        print(f"FAIL: {problem}")
    print("release check: ok" if verdict.ok else "release check: the ruleset's version rule is broken")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
