"""``livegate batch``: many profiles, one per line, on every core.

Each worker process grounds its own engine once (clingo Controls are per
process); lines are evaluated in chunks and written back in input order. A bad
line (malformed JSON, invalid profile) is reported with its line number and
does not stop the run.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..answer import Shaped, Summary, dumps
from ..engine import Engine
from ..kb import Knowledge
from ..profile import JsonError, ProfileError, loads
from ..solver import EvaluationTimeout
from ..words import Message

__all__ = ["CSV_HEAD", "csv_row", "run_batch"]


@dataclass
class _Worker:
    """What one worker process holds: its own engine (clingo Controls are per process) and how
    its rows are written (each worker shapes its rows, so the parent only writes them)."""

    engine: Engine | None = None
    explain: bool = False
    csv_format: bool = False
    categories: tuple[str, ...] = ()


_WORKER = _Worker()

Row = list[Any] | str
"""One output row: CSV cells, or a JSON line (with its newline)."""


def _init(explain: bool, csv_format: bool, facts: str | None, logic: str | None) -> None:
    knowledge = Knowledge.load(facts, logic)
    # a CSV row holds statuses and the goal's cheapest plans only: the rules' summary suffices
    _WORKER.engine = Engine(knowledge, pool_size=1, summary_only=csv_format)
    _WORKER.explain = explain
    _WORKER.csv_format = csv_format
    _WORKER.categories = tuple(knowledge.catalogue.categories)


def _evaluate(numbered: tuple[int, str]) -> tuple[int, Row, list[str], str | None]:
    """A line's row, its eligible categories and its error message (None if answered)."""
    number, text = numbered
    engine = _WORKER.engine
    assert engine is not None
    summary: Summary | None = None
    shaped: Shaped | None = None
    error = None
    try:
        profile = loads(text)
        if _WORKER.csv_format:
            summary = engine.summary(profile)
        else:
            summary = shaped = engine.answer(profile, explain=_WORKER.explain)
    except JsonError as exc:
        error = {"code": "malformed_json", "message": str(exc)}
    except (ProfileError, EvaluationTimeout) as exc:
        error = exc.to_dict()
    row: Row = csv_row(number, summary, error) if _WORKER.csv_format else _json_line(number, shaped, error)
    return number, row, [] if summary is None else list(summary.eligible), None if error is None else error["message"]


def _lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield number, line


CSV_HEAD = ["line", "error", "cheapest_cost", "cheapest_plans", "cheapest_categories", "cheapest_missing"]
"""The CSV columns; a column per category (its status) comes after ``error``."""


def csv_row(number: int, summary: Summary | None, error: dict[str, Any] | None) -> list[Any]:
    """Line ``number``'s CSV row: from its summary, else its error's message with the other cells
    empty (as many status cells as the worker's catalogue has categories)."""
    if summary is None:
        assert error is not None
        return [number, error["message"], *[""] * len(_WORKER.categories), "", "", "", ""]
    plans = summary.cheapest_plans
    cost = summary.cheapest_cost
    return [
        number,
        "",
        *summary.statuses,  # in the catalogue's order, as the header's categories
        "" if cost is None else cost,
        len(plans),
        ";".join(plans[0]) if plans else "",
        ";".join(summary.cheapest_missing[0]) if plans else "",
    ]


def _json_line(number: int, shaped: Shaped | None, error: dict[str, Any] | None) -> str:
    """Line ``number``'s JSON line: ``{"line": N, …}`` with the answer's members as written (its
    bytes, not decoded and encoded again), else with its ``error``."""
    if shaped is None:
        return dumps({"line": number, "error": error}).decode() + "\n"
    return f'{{"line":{number},' + shaped.body[1:].decode() + "\n"


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
    writer = csv.writer(out)
    if csv_format:
        writer.writerow([*CSV_HEAD[:2], *categories, *CSV_HEAD[2:]])
    workers = workers or os.cpu_count() or 1
    show_progress = err.isatty() if progress is None else progress
    eligible: Counter[str] = Counter()
    done = bad = 0
    started = time.perf_counter()
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(explain, csv_format, facts, logic)) as pool:
        results = pool.imap(_evaluate, _lines(source), chunksize=64)
        if show_progress:
            from tqdm import tqdm

            results = tqdm(results, unit=" profiles", file=err)
        for number, row, answer_eligible, error in results:
            done += 1
            if error is not None:
                bad += 1
                err.write(f"{Message('cli.batch_line', number=number, error=error)}\n")
            eligible.update(answer_eligible)
            if isinstance(row, str):
                out.write(row)
            else:
                writer.writerow(row)
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    summary = Message(
        "cli.batch_done",
        done=done,
        seconds=elapsed,
        rate=rate,
        workers=Message("cli.workers", n=workers),
        bad=Message("cli.bad_lines", n=bad),
    )
    err.write(f"{summary}\n{Message('cli.batch_eligible')}\n")
    for c in categories:
        err.write(f"  {c}: {eligible[c]}\n")
    return bad
