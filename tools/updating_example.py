"""The worked example of docs/updating.md, made by running the commands it shows.

    python tools/updating_example.py            # print the example (Markdown)
    python tools/updating_example.py --check    # exit 1 when docs/updating.md shows something else
    python tools/updating_example.py --write    # put the example into docs/updating.md

In a temporary folder: ``kb/`` is a copy of this repository's ``facts/`` and
``logic/``; ``kb-new/`` is the same with two changes the source might make —
社交-直播 gains a fourth alternative, and 《信息网络传播视听节目许可证》 is
renamed (in its item and in the alternative label that quotes it);
``decisions.jsonl`` is a decision log of seeded realistic requests
(:mod:`livegate.corpus`, without cost overrides) in the format the API writes.
Then ``livegate lint``, ``livegate diff`` and ``livegate impact`` run there as a
maintainer would run them, and their output is the example (the ruleset digest
that ``lint`` prints is shortened to ``sha256:…``, so that the page does not
change with every comment of the files). ``tests/test_updating_example.py``
runs ``--check``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from livegate import corpus
from livegate.kb import Knowledge

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "updating.md"
BEGIN = "<!-- worked-example: begin (made by tools/updating_example.py --write; do not edit by hand) -->"
END = "<!-- worked-example: end -->"

CATEGORY = "social_live"
NEW_ALTERNATIVE = (
    "alternative(social_live, telecom_internet_info, "
    '"4.《增值电信业务经营许可证》（核准服务项目包含“互联网信息服务业务”）").',
    "requires_item(social_live, telecom_internet_info, value_added_telecom_licence_internet_info).",
)
ITEM, OLD_NAME, NEW_NAME = "av_programme_licence", "《信息网络传播视听节目许可证》", "《网络视听节目许可证》"
REQUESTS = 400
"""The decision log's length."""


def edit(kb: Path) -> None:
    """The two changes, as a maintainer would type them into the copy."""
    for path in sorted((kb / "facts").glob("*.lp")):
        text = path.read_text(encoding="utf-8")
        lines = [
            line.replace(OLD_NAME, NEW_NAME) if line.startswith((f"item({ITEM},", "alternative(")) else line
            for line in text.splitlines()
        ]
        if any(line.startswith(f"category({CATEGORY},") for line in lines):
            rows = tuple(f"{pred}({CATEGORY}," for pred in ("alternative", "requires_item", "reserved_for"))
            at = max(k for k, line in enumerate(lines) if line.startswith(rows))
            lines[at + 1 : at + 1] = ["", *NEW_ALTERNATIVE]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _facts_diff(old: Path, new: Path) -> str:
    out: list[str] = []
    for path in sorted((new / "facts").glob("*.lp")):
        a = (old / "facts" / path.name).read_text(encoding="utf-8").splitlines(keepends=True)
        b = path.read_text(encoding="utf-8").splitlines(keepends=True)
        out += difflib.unified_diff(a, b, f"kb/facts/{path.name}", f"kb-new/facts/{path.name}", n=1)
    return "".join(out)


def decision_log(kb: Path, path: Path, n: int = REQUESTS, overrides: bool | None = False) -> None:
    """A decision log of ``n`` seeded corpus profiles answered by the knowledge base at ``kb``."""
    knowledge = Knowledge.load(kb / "facts", kb / "logic")
    profiles = corpus.profiles(knowledge.catalogue_json(), n, corpus.SEED, overrides=overrides)
    with open(path, "w", encoding="utf-8") as log:
        for k, profile in enumerate(profiles, 1):
            entry = {
                "decision_id": f"00000000-0000-4000-8000-{k:012d}",
                "time": "2026-11-29T09:00:00.000Z",
                "endpoint": "/v1/evaluate",
                "ruleset": knowledge.ruleset,
                "profile": profile,
            }
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _run(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "livegate", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"livegate {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    out = re.sub(r"sha256:[0-9a-f]{64}", "sha256:…", done.stdout)
    return f"$ livegate {' '.join(args)}\n{out}"


def example() -> str:
    """The worked example, in Markdown."""
    with tempfile.TemporaryDirectory(prefix="livegate-example-") as tmp:
        here = Path(tmp)
        for name in ("kb", "kb-new"):
            shutil.copytree(ROOT / "facts", here / name / "facts")
            shutil.copytree(ROOT / "logic", here / name / "logic")
        edit(here / "kb-new")
        decision_log(here / "kb", here / "decisions.jsonl")
        changes = _facts_diff(here / "kb", here / "kb-new")
        lint = _run(here, "--facts", "kb-new/facts", "--logic", "kb-new/logic", "lint")
        diff = _run(here, "diff", "kb", "kb-new")
        impact = _run(here, "impact", "kb", "kb-new", "--log", "decisions.jsonl", "--examples", "1")
        version = Knowledge.load(here / "kb" / "facts", here / "kb" / "logic").version
    major, minor, *_ = (int(part) for part in version.split("."))
    bumped = f"{major}.{minor + 1}.0"
    summary = impact.rstrip("\n").splitlines()[-1]
    changed = re.match(r"impact: (\d+) profiles, (\d+) changed", summary)
    assert changed is not None, summary
    return "\n".join(
        [
            "**1. The edit.** In `kb-new/facts/` (a copy of `facts/`), the new row of 社交-直播 and the new name:",
            "",
            "```diff",
            changes.rstrip("\n"),
            "```",
            "",
            "**2. Lint** the changed copy:",
            "",
            "```console",
            lint.rstrip("\n"),
            "```",
            "",
            "**3. Diff**: what changed in meaning, by category, in the source's names:",
            "",
            "```console",
            diff.rstrip("\n"),
            "```",
            "",
            f"**4. Impact** on a decision log of {REQUESTS} requests (`decisions.jsonl`, one JSON object a line with",
            "its `profile`, as `LIVEGATE_DECISION_LOG` writes them):",
            "",
            "```console",
            impact.rstrip("\n"),
            "```",
            "",
            f"**5. Bump the version.** {changed.group(2)} of the {changed.group(1)} answers change, so the version",
            f"goes from {version} to at least {bumped}, in `facts/catalogue.lp`:",
            "",
            "```diff",
            f'-ruleset_version("{version}").',
            f'+ruleset_version("{bumped}").',
            "```",
            "",
            "**6. The CHANGELOG**, under `## [Unreleased]`:",
            "",
            "```markdown",
            f"### Ruleset {bumped}",
            "",
            "#### Changed",
            "- 社交-直播: a fourth alternative, 《增值电信业务经营许可证》（核准服务项目包含“互联网信息服务业务”）.",
            f"- {OLD_NAME} is now {NEW_NAME} (the item, and the alternative labels that quote it).",
            "",
            f"Impact on the decision log: {summary.split(';')[0].removeprefix('impact: ')}.",
            "```",
        ]
    )


def _block(text: str) -> str:
    return f"{BEGIN}\n\n{text}\n\n{END}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 when docs/updating.md shows another example")
    mode.add_argument("--write", action="store_true", help="put the example into docs/updating.md")
    args = parser.parse_args(argv)
    made = _block(example())
    if not (args.check or args.write):
        print(made)
        return 0
    doc = DOC.read_text(encoding="utf-8")
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        print(f"{DOC}: no worked-example markers", file=sys.stderr)
        return 1
    shown = doc[start : end + len(END)]
    if args.write:
        DOC.write_text(doc[:start] + made + doc[end + len(END) :], encoding="utf-8")
        print(f"{DOC.relative_to(ROOT)}: worked example written")
        return 0
    if shown == made:
        print(f"{DOC.relative_to(ROOT)}: the worked example is what the commands print")
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            shown.splitlines(keepends=True), made.splitlines(keepends=True), "docs/updating.md", "the commands now"
        )
    )
    print("\nthe worked example is out of date: python tools/updating_example.py --write", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
