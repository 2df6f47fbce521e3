"""python -m tools.mutate — see tools/mutate/__init__.py for what it does and docs/testing.md#mutation-score."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sys
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Queue
from typing import Any

from . import points, shaper
from .run import DEFAULT_LAYERS, KILLED, Outcome, Workspace

ROOT = Path(__file__).resolve().parent.parent.parent
KNOWN = Path(__file__).resolve().parent / "known.toml"
FILES = ("logic/*.lp",)
"""The files mutated by default: an entry of ``known.toml`` is matched against their mutants, whatever --files."""
TEST_EXTRAS = ("pytest", "hypothesis")
"""The modules of the test extras the fast layers import: without them no mutant can be run."""


def load_known(path: Path) -> dict[str, dict[str, Any]]:
    """Survivors already looked at: id -> {verdict: equivalent | open, why, ...}."""
    if not path.is_file():
        return {}
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
    return {entry["id"]: entry for entry in entries}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.mutate",
        description="Mutation score of logic/: systematic mutants of the rules, each run against the fast "
        "test layers in a copy of the repository (the working tree is never written).",
    )
    parser.add_argument("--files", nargs="+", default=list(FILES), help="globs of the files to mutate")
    parser.add_argument("--tests", nargs="+", default=list(DEFAULT_LAYERS), help="test files (globs) to run")
    parser.add_argument(
        "--operators", nargs="+", choices=sorted({*points.OPERATORS, "shaper"}), help="only these operators"
    )
    parser.add_argument(
        "--shaper", action="store_true", help=f"also the shaper's mutants ({shaper.FILE}: tools/mutate/shaper.py)"
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--show", metavar="ID", help="print one mutant's changed statement(s) and exit")
    parser.add_argument("--sample", type=int, metavar="N", help="run N mutants drawn at random (seeded)")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    parser.add_argument(
        "--seconds",
        type=float,
        help="time budget: start no mutant after this many seconds of mutants (the unmutated run not counted)",
    )
    parser.add_argument("--ids", nargs="+", metavar="ID", help="run only these mutants")
    parser.add_argument("--rerun", type=Path, metavar="REPORT", help="run only the survivors of an earlier report")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3 x the unmutated run, >= 180)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once, one copy each (default 1)")
    parser.add_argument("--rev", help="copy this git revision (git archive) instead of the working tree")
    parser.add_argument("--report", type=Path, help="write every outcome as JSON here")
    parser.add_argument("--known", type=Path, default=KNOWN, help="survivors already explained (TOML)")
    parser.add_argument("--fail-under", type=float, metavar="PERCENT", help="also fail when the score is below")
    return parser.parse_args(argv)


def select(args: argparse.Namespace, mutants: list[points.Mutant]) -> list[points.Mutant]:
    if args.operators:
        mutants = [m for m in mutants if m.operator in args.operators]
    wanted: set[str] = set(args.ids or [])
    if args.rerun:
        report = json.loads(args.rerun.read_text(encoding="utf-8"))
        wanted |= {o["id"] for o in report["outcomes"] if o["status"] == "survived"}
    if wanted:
        unknown = wanted - {m.id for m in mutants}
        if unknown:
            print(f"not a mutant of today's files (changed since?): {' '.join(sorted(unknown))}", file=sys.stderr)
        mutants = [m for m in mutants if m.id in wanted]
    if args.sample is not None and args.sample < len(mutants):
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample), key=lambda m: (m.file, m.line))
    return mutants


def missing_test_extras() -> list[str]:
    """The modules of the test extras this Python lacks (the layers run with this Python, ``Workspace.python``)."""
    return [name for name in TEST_EXTRAS if importlib.util.find_spec(name) is None]


def stale_entries(root: Path, known: dict[str, dict[str, Any]], run: list[points.Mutant]) -> list[tuple[str, str]]:
    """The entries of ``known`` (id, file) that match no mutant of today's files at all.

    A mutant's id is a digest of its file, statement, operator and mutation, and the mutants of
    a file depend on the files enumerated with it (the ``constant`` operator takes its
    replacements from all of them). So an entry is matched against the mutants of this run, of
    a default run (``FILES``), of the shaper, and — an entry of some other file — of its file
    alone: an entry of a file the run does not mutate is not stale for that."""
    today = {m.id for m in run} | {m.id for m in points.mutants(root, FILES)} | {m.id for m in shaper.mutants(root)[0]}
    others = {entry.get("file", "") for id_, entry in known.items() if id_ not in today}
    for file in sorted(others):
        if file.endswith(".lp") and (root / file).is_file():
            today |= {m.id for m in points.mutants(root, [file])}
    return sorted((id_, entry.get("file", "?")) for id_, entry in known.items() if id_ not in today)


def describe(m: points.Mutant) -> str:
    return f"{m.file}:{m.line} [{m.operator}] {m.description}"


def summary(outcomes: list[Outcome], known: dict[str, dict[str, Any]], total: int) -> tuple[list[str], float, bool]:
    """The report's lines, the score and whether an unexplained survivor was found."""
    counts = Counter(o.status for o in outcomes)
    run = [o for o in outcomes if o.status != "skipped"]
    killed = [o for o in run if o.status in KILLED]
    score = 100.0 * len(killed) / len(run) if run else 100.0
    lines = [
        f"mutants: {total} enumerated, {len(run)} run, {counts['skipped']} skipped (time budget)",
        f"killed {len(killed)}/{len(run)} = {score:.1f} %: {counts['killed']} by a failing test, "
        f"{counts['error']} by clingo refusing the rules (parse or grounding error), "
        f"{counts['timeout']} by running out of time",
    ]
    valid = [o for o in run if o.status != "error"]
    if valid:
        valid_killed = sum(o.status in ("killed", "timeout") for o in valid)
        lines.append(f"among the {len(valid)} mutants clingo accepts: {100.0 * valid_killed / len(valid):.1f} % killed")
    by_file: dict[str, Counter[str]] = {}
    for o in run:
        by_file.setdefault(o.mutant.file, Counter())["killed" if o.status in KILLED else "survived"] += 1
    for file, c in sorted(by_file.items()):
        lines.append(f"  {file}: {c['killed']}/{c['killed'] + c['survived']} killed")
    survivors = [o for o in run if o.status == "survived"]
    unexplained = False
    if survivors:
        lines.append(f"survivors ({len(survivors)}):")
    for o in survivors:
        entry = known.get(o.mutant.id)
        verdict = f"known {entry['verdict']}: {entry['why']}" if entry else "NOT EXPLAINED"
        unexplained |= entry is None
        lines.append(f"  {o.mutant.id} {describe(o.mutant)}")
        lines.append(f"      {verdict}")
    return lines, score, unexplained


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.list or args.show):
        missing = missing_test_extras()
        if missing:
            print(
                "python -m tools.mutate runs the tests, which need the test extras: pip install -e '.[test]' "
                f"(docs/testing.md#running); this Python ({sys.executable}) has no {', '.join(missing)}",
                file=sys.stderr,
            )
            return 2
    jobs = 1 if (args.list or args.show) else max(1, args.jobs)
    started = time.monotonic()
    # the mutants are read from the copy, so that --rev mutates that revision's rules
    spaces = [Workspace.create(ROOT, args.rev, args.tests, args.timeout or 180.0) for _ in range(jobs)]
    try:
        return mutate(args, spaces, started)
    finally:
        for space in spaces:
            space.remove()


def mutate(args: argparse.Namespace, spaces: list[Workspace], started: float) -> int:
    root = spaces[0].root
    everything = points.mutants(root, args.files)
    if args.shaper:
        more, lost = shaper.mutants(root)
        everything += more
        if lost:
            print(f"{shaper.FILE}: passages of tools/mutate/shaper.py no longer found once:", *lost, sep="\n  ")
            return 2
    if args.show:
        for m in everything:
            if m.id == args.show:
                print(describe(m))
                print(f"rule: {m.rule}")
                for _, _, text in m.edits:
                    print(f"becomes: {text or '(removed)'}")
                return 0
        print(f"no mutant {args.show}", file=sys.stderr)
        return 2
    problems = points.check_round_trip(root, args.files)
    if problems:
        print("clingo does not print these statements back as they read; fix the tool first:", *problems, sep="\n")
        return 2
    chosen = select(args, everything)
    if args.list:
        for m in chosen:
            print(f"{m.id} {describe(m)}")
        print(f"{len(chosen)} mutants: {dict(Counter(m.operator for m in chosen).most_common())}")
        return 0
    known = load_known(args.known)
    source = "revision " + args.rev if args.rev else "the working tree"
    print(f"{len(chosen)} of {len(everything)} mutants of {' '.join(args.files)}, copied from {source}", flush=True)

    ok, lines, baseline = spaces[0].check_isolation()
    print(*lines, sep="\n", flush=True)
    if not ok:
        print("the copy is not what the tests test, or the unmutated rules fail: no score", file=sys.stderr)
        return 2
    timeout = args.timeout or max(180.0, 3 * baseline)
    for space in spaces:
        space.timeout = timeout
    # the budget is the mutants': counted from here, after the unmutated run, so that a slow
    # machine still runs a mutant or more (docs/testing.md#mutation-score)
    outcomes = run_all(chosen, spaces, time.monotonic(), args.seconds)

    lines, score, unexplained = summary(outcomes, known, len(everything))
    stale = stale_entries(root, known, everything)
    if stale:
        lines.append(
            f"{args.known.name}: {len(stale)} "
            + ("entry matches" if len(stale) == 1 else "entries match")
            + " no mutant of today's files (rules changed): "
            + " ".join(f"{id_} ({file})" for id_, file in stale)
        )
    elapsed = time.monotonic() - started
    lines.append(f"time: {elapsed:.0f}s ({len(spaces)} job(s), per-mutant timeout {timeout:.0f}s)")
    print(*lines, sep="\n")
    if args.report:
        args.report.write_text(
            json.dumps(
                {
                    "files": args.files,
                    "tests": list(spaces[0].test_files()),
                    "source": source,
                    "enumerated": len(everything),
                    "score": round(score, 2),
                    "seconds": round(elapsed),
                    "outcomes": [o.to_json() for o in outcomes],
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    failed = unexplained or (args.fail_under is not None and score < args.fail_under)
    return 1 if failed else 0


def run_all(
    chosen: list[points.Mutant], spaces: list[Workspace], started: float, seconds: float | None
) -> list[Outcome]:
    free: Queue[Workspace] = Queue()
    for space in spaces:
        free.put(space)
    lock = threading.Lock()
    done: list[Outcome] = []

    def one(mutant: points.Mutant) -> Outcome:
        if seconds is not None and time.monotonic() - started > seconds:
            outcome = Outcome(mutant, "skipped", 0.0, "time budget spent")
        else:
            space = free.get()
            try:
                outcome = space.run(mutant)
            finally:
                free.put(space)
        with lock:
            done.append(outcome)
            if outcome.status != "skipped":
                print(
                    f"[{len(done)}/{len(chosen)}] {outcome.status:8} {outcome.seconds:5.0f}s "
                    f"{mutant.id} {describe(mutant)}"
                    + (f"  — {outcome.detail}" if outcome.status != "survived" else ""),
                    flush=True,
                )
        return outcome

    with ThreadPoolExecutor(max_workers=len(spaces)) as pool:
        return list(pool.map(one, chosen))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
