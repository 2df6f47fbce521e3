"""``livegate batch``: many profiles, one per line, on every core.

Each worker process grounds its own engine once (clingo Controls are per
process); lines are evaluated in chunks and written back in input order. A bad
line (malformed JSON, invalid profile) is reported with its line number and
does not stop the run.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..engine import Engine
from ..kb import Knowledge
from ..profile import JsonError, ProfileError, loads
from ..solver import EvaluationTimeout

__all__ = ["run_batch"]


@dataclass
class _Worker:
    """What one worker process holds: its own engine (clingo Controls are per process)."""

    engine: Engine | None = None
    explain: bool = False


_WORKER = _Worker()


def _init(explain: bool, facts: str | None, logic: str | None) -> None:
    _WORKER.engine = Engine(Knowledge.load(facts, logic), pool_size=1)
    _WORKER.explain = explain


def _evaluate(numbered: tuple[int, str]) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None]:
    number, text = numbered
    engine = _WORKER.engine
    assert engine is not None
    try:
        data = loads(text)
    except JsonError as exc:
        return number, None, {"code": "malformed_json", "message": str(exc)}
    try:
        return number, engine.evaluate(data, explain=_WORKER.explain), None
    except ProfileError as exc:
        return number, None, exc.to_dict()
    except EvaluationTimeout as exc:
        return number, None, exc.to_dict()


def _lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield number, line


class _CsvOut:
    def __init__(self, out: IO[str], categories: list[str]):
        self.categories = categories
        self.writer = csv.writer(out)
        self.writer.writerow(
            ["line", "error", *categories, "cheapest_cost", "cheapest_plans", "cheapest_categories", "cheapest_missing"]
        )

    def write(self, number: int, answer: dict[str, Any] | None, error: dict[str, Any] | None) -> None:
        if answer is None:
            assert error is not None
            self.writer.writerow([number, error["message"], *[""] * len(self.categories), "", "", "", ""])
            return
        status = {c["id"]: c["status"] for c in answer["categories"]}
        plans = answer["cheapest"]["plans"]
        first = plans[0] if plans else {"categories": [], "missing": []}
        cost = answer["cheapest"]["cost"]
        self.writer.writerow(
            [
                number,
                "",
                *[status[c] for c in self.categories],
                "" if cost is None else cost,
                len(plans),
                ";".join(first["categories"]),
                ";".join(first["missing"]),
            ]
        )


class _JsonOut:
    def __init__(self, out: IO[str]):
        self.out = out

    def write(self, number: int, answer: dict[str, Any] | None, error: dict[str, Any] | None) -> None:
        row = {"line": number, "error": error} if answer is None else {"line": number, **answer}
        self.out.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_batch(
    source: IO[str],
    out: IO[str],
    *,
    csv_format: bool,
    workers: int | None,
    explain: bool,
    facts: str | None = None,
    logic: str | None = None,
    progress: bool | None = None,
    err: IO[str] = sys.stderr,
) -> int:
    """Evaluate every line of ``source`` into ``out``; returns the number of bad lines."""
    categories = list(Knowledge.load(facts, logic).catalogue.categories)
    writer = _CsvOut(out, categories) if csv_format else _JsonOut(out)
    workers = workers or os.cpu_count() or 1
    show_progress = err.isatty() if progress is None else progress
    eligible: Counter[str] = Counter()
    done = bad = 0
    started = time.perf_counter()
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(explain, facts, logic)) as pool:
        results = pool.imap(_evaluate, _lines(source), chunksize=64)
        if show_progress:
            from tqdm import tqdm

            results = tqdm(results, unit=" profiles", file=err)
        for number, answer, error in results:
            done += 1
            if answer is None:
                assert error is not None
                bad += 1
                err.write(f"line {number}: {error['message']}\n")
            else:
                eligible.update(answer["eligible"])
            writer.write(number, answer, error)
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    err.write(
        f"batch: {done} profiles in {elapsed:.2f} s ({rate:,.0f} profiles/s, {workers} workers); {bad} bad line(s)\n"
    )
    err.write("eligible per category:\n")
    for c in categories:
        err.write(f"  {c}: {eligible[c]}\n")
    return bad
