"""The answer corpus: the same profiles answered by two versions of livegate, compared.

A refactoring must not change an answer. This script makes that checkable:

    python tools/answer_corpus.py profiles corpus/profiles.jsonl            # the examples + 500 seeded profiles
    python tools/answer_corpus.py answers corpus/profiles.jsonl corpus/before.jsonl --rev v0.1.0
    python tools/answer_corpus.py answers corpus/profiles.jsonl corpus/after.jsonl  # the installed livegate
    python tools/answer_corpus.py compare corpus/before.jsonl corpus/after.jsonl --wording tools/wording.json

``answers --rev REV`` builds REV of this repository in a throw-away virtual
environment (cached under the system's temporary folder by commit) and runs its
``livegate batch --explain``; without ``--rev`` it runs the ``livegate`` on the
PATH. Only the command line is used, so any version can answer.

``compare`` reads both files line by line and reports every difference by
JSON path. ``decision_id`` is ignored, and so is any top-level key named with
``--ignore`` (``ruleset``, when the facts changed and with them the digest). ``--wording FILE`` names the wording a
change unified on purpose: a JSON object ``{"old phrase": "new phrase"}``
applied to every string of the *before* answers first (the CHANGELOG lists the
same pairs). Exit 0 when the answers are equal, 1 when they differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from livegate import corpus  # the seeded realistic generator

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "livegate-answer-corpus"


def _catalogue(livegate: str) -> dict[str, Any]:
    out = subprocess.run([livegate, "catalogue"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def cmd_profiles(args: argparse.Namespace) -> int:
    examples = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.json"))]
    generated = corpus.profiles(_catalogue("livegate"), n=args.n, seed=args.seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(corpus.dumps(examples + generated), encoding="utf-8")
    with_costs = sum(1 for p in generated if p.get("costs"))
    print(
        f"{len(examples)} examples + {len(generated)} profiles (seed {args.seed}, {with_costs} with cost overrides)"
        f" -> {args.out}"
    )
    return 0


def _build(rev: str) -> str:
    """The ``livegate`` command of revision ``rev``, installed once into a cached venv."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    home = CACHE / sha[:12]
    command = home / "venv" / "bin" / "livegate"
    if command.exists():
        return str(command)
    home.mkdir(parents=True, exist_ok=True)
    tree = home / "tree"
    if not tree.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), sha], check=True, capture_output=True
        )
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
    subprocess.run([str(home / "venv" / "bin" / "pip"), "install", "--quiet", str(tree)], check=True)
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False, capture_output=True
    )
    return str(command)


def cmd_answers(args: argparse.Namespace) -> int:
    livegate = _build(args.rev) if args.rev else "livegate"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEGATE_")}
    with open(args.out, "w", encoding="utf-8") as out:
        done = subprocess.run(
            [livegate, "batch", args.profiles, "--explain", "--workers", str(args.workers)],
            stdout=out,
            check=False,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr)
        return done.returncode
    print(done.stderr.splitlines()[0] if done.stderr else "", f"-> {args.out}")
    return 0


def _rewrite(value: Any, wording: dict[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in wording.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_rewrite(v, wording) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite(v, wording) for k, v in value.items()}
    return value


def _differences(a: Any, b: Any, path: str) -> Iterator[str]:
    if type(a) is not type(b):
        yield f"{path}: {json.dumps(a, ensure_ascii=False)[:200]} != {json.dumps(b, ensure_ascii=False)[:200]}"
    elif isinstance(a, dict):
        if list(a) != list(b):
            yield f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            if key in b:
                yield from _differences(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} entries != {len(b)}"
        for k, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from _differences(x, y, f"{path}[{k}]")
    elif a != b:
        yield f"{path}: {json.dumps(a, ensure_ascii=False)[:200]} != {json.dumps(b, ensure_ascii=False)[:200]}"


def _load(path: str, ignore: list[str]) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        for key in ["decision_id", *ignore]:
            row.pop(key, None)
    return rows


def cmd_compare(args: argparse.Namespace) -> int:
    wording = json.loads(Path(args.wording).read_text(encoding="utf-8")) if args.wording else {}
    before, after = _load(args.before, args.ignore), _load(args.after, args.ignore)
    if len(before) != len(after):
        print(f"{len(before)} answers before, {len(after)} after")
        return 1
    differing = 0
    for k, (old, b) in enumerate(zip(before, after, strict=True)):
        a = _rewrite(old, wording)
        canonical_a = json.dumps(a, ensure_ascii=False, separators=(",", ":"))
        canonical_b = json.dumps(b, ensure_ascii=False, separators=(",", ":"))
        if canonical_a == canonical_b:
            continue
        differing += 1
        if differing <= args.show:
            print(f"line {k + 1}:")
            for line in list(_differences(a, b, "$"))[:12]:
                print("   ", line)
    digest = hashlib.sha256(Path(args.after).read_bytes()).hexdigest()[:16]
    print(
        f"{len(before)} answers compared, {differing} differ"
        f"{' (after the wording table)' if wording else ''}; after: sha256 {digest}…"
    )
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("profiles", help="write the corpus of profiles (examples + seeded realistic ones)")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--seed", type=int, default=corpus.SEED)
    p.set_defaults(func=cmd_profiles)
    p = sub.add_parser("answers", help="answer every profile with one version of livegate")
    p.add_argument("profiles")
    p.add_argument("out")
    p.add_argument("--rev", default=None, help="a git revision of this repository (default: the installed livegate)")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_answers)
    p = sub.add_parser("compare", help="compare two answer files; exit 1 if any answer differs")
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--wording", default=None, help="JSON {old: new} of wording changed on purpose")
    p.add_argument("--show", type=int, default=10, help="how many differing answers to print")
    p.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="KEY",
        help="a top-level key to leave out of the comparison (e.g. ruleset, when the facts changed)",
    )
    p.set_defaults(func=cmd_compare)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
