"""How long ``livegate impact`` takes on a decision log: the figure of docs/performance.md#impact.

    python -m tools.impact_benchmark                      # 10,000 logged requests, 2 workers
    python -m tools.impact_benchmark --n 2000 --workers 1

In a temporary folder, ``kb/`` is this repository's knowledge base and ``kb-new/``
the worked example's change (``tools/updating_example.py``: an alternative added,
an item renamed). Two decision logs of ``--n`` seeded realistic requests
(:mod:`livegate.corpus`) are written in the API's format: one without cost
overrides, one as the corpus draws them (a third of the requests with a fresh set
of overrides each, the worst case: every set is grounded once per ruleset). Each
is replayed by ``livegate impact kb kb-new --log …`` as a separate process, timed
from start to exit (loading both rulesets, forking the workers, reading the log,
answering every request twice, comparing, writing the report), with the CPU time
of the command and its workers beside it; the machine's load average is printed
too, since this machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.updating_example import ROOT, decision_log, edit

HEADER = "| decision log | requests | workers | seconds | requests/s | CPU seconds | answers changed | load average |"


def timed(here: Path, log: str, workers: int) -> tuple[float, float, dict]:
    """Wall-clock seconds, CPU seconds (the command and its workers) and the JSON report."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = ["impact", "kb", "kb-new", "--log", log, "--workers", str(workers), "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "livegate", *command],
        cwd=here,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="requests in each log (default 10,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--only", choices=["plain", "overrides"], default=None, help="one of the two logs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="livegate-impact-bench-") as tmp:
        here = Path(tmp)
        for name in ("kb", "kb-new"):
            shutil.copytree(ROOT / "facts", here / name / "facts")
            shutil.copytree(ROOT / "logic", here / name / "logic")
        edit(here / "kb-new")
        logs = {
            "plain": ("no cost overrides", False),
            "overrides": ("a third with fresh cost overrides (livegate.corpus)", None),
        }
        print(HEADER)
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for key, (label, overrides) in logs.items():
            if args.only and key != args.only:
                continue
            decision_log(here / "kb", here / f"{key}.jsonl", args.n, overrides)
            before = os.getloadavg()[0]
            seconds, cpu, report = timed(here, f"{key}.jsonl", args.workers)
            load = f"{before:.1f} → {os.getloadavg()[0]:.1f}"
            print(
                f"| {label} | {report['profiles']:,} | {args.workers} | {seconds:.1f} | "
                f"{report['profiles'] / seconds:,.0f} | {cpu:.1f} | {report['changed']:,} | {load} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
