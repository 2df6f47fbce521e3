"""``livegate batch``: many profiles, one per line, on every core.

Each worker process grounds its own engine once (clingo Controls are per
process); lines are evaluated in chunks and written back in input order. A bad
line (malformed JSON, invalid profile) is reported with its line number and
does not stop the run. Ctrl-C stops it with one line on stderr saying how far it got
(exit 130), never a traceback.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
import os
import shlex
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import IO, Any

from ..answer import Shaped, Summary, dumps
from ..engine import Engine
from ..kb import Knowledge
from ..profile import JsonError, ProfileError, loads
from ..solver import EvaluationTimeout
from ..words import ENGLISH, LANGUAGES, Message
from .errors import CliError

__all__ = ["COUNT_MARK", "CSV_HEAD", "ITEM_SEPARATOR", "PLAN_SEPARATOR", "csv_row", "run_batch"]


@dataclass
class _Worker:
    """What one worker process holds: its own engine (clingo Controls are per process) and how
    its rows are written (each worker shapes its rows, so the parent only writes them)."""

    engine: Engine | None = None
    explain: bool = False
    lang: str = LANGUAGES[0]  # the explanations'
    said: str = ENGLISH  # the errors'
    csv_format: bool = False
    categories: tuple[str, ...] = ()
    ruleset: tuple[str, str] = ("", "")
    """The ruleset's version and digest, the last two cells of every CSV row."""


_WORKER = _Worker()

Row = list[Any] | str
"""One output row: CSV cells, or a JSON line (with its newline)."""


def _init(explain: bool, csv_format: bool, facts: str | None, logic: str | None, lang: str, said: str) -> None:
    # Ctrl-C is the parent's to handle: it stops the pool and says how far the run got
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    knowledge = Knowledge.load(facts, logic)
    # a CSV row holds statuses and the goal's cheapest plans only: the rules' summary suffices
    _WORKER.engine = Engine(knowledge, pool_size=1, summary_only=csv_format)
    _WORKER.explain = explain
    _WORKER.lang, _WORKER.said = lang, said
    _WORKER.csv_format = csv_format
    _WORKER.categories = tuple(knowledge.catalogue.categories)
    _WORKER.ruleset = (_WORKER.engine.ruleset["version"], _WORKER.engine.ruleset["digest"])


def _json_error(exc: JsonError) -> Message:
    """What is wrong with a line's JSON. A line is one record: a position in it is its column
    (Python's ``json`` says "line 1 column N" of every one-line record)."""
    said = exc.said
    if said.key == "json.at" and said.values.get("line") == 1:
        return Message("cli.batch_json_at", column=said.values["column"], why=said.values["why"])
    return said


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
            summary = shaped = engine.answer(profile, explain=_WORKER.explain, lang=_WORKER.lang)
    except JsonError as exc:
        error = {"code": "malformed_json", "message": _json_error(exc).text(_WORKER.said)}
    except (ProfileError, EvaluationTimeout) as exc:
        error = exc.to_dict(_WORKER.said)
    row: Row = csv_row(number, summary, error) if _WORKER.csv_format else _json_line(number, shaped, error)
    return number, row, [] if summary is None else list(summary.eligible), None if error is None else error["message"]


KEPT = 1 << 20
"""The input's first characters kept to tell, when every line was bad, whether the file is one
JSON document written over several lines (a profile file given to batch)."""


class _Lines:
    """The input's numbered lines that are not blank, each without its line break (a byte order
    mark at the very start of the input is not part of line 1); it counts what it read."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.read = 0
        """Lines handed out (not blank)."""
        self.blank = 0
        self.kept: list[str] | None = []
        """The input's text so far, while it is under :data:`KEPT` characters (else None)."""
        self._size = 0
        self._lines = self._generate()

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return self._lines

    def _generate(self) -> Iterator[tuple[int, str]]:
        for number, read in enumerate(self.stream, 1):
            line = read.removeprefix("\ufeff") if number == 1 else read
            if self.kept is not None:
                self._size += len(line)
                if self._size <= KEPT:
                    self.kept.append(line)
                else:
                    self.kept = None
            if not line.strip():
                self.blank += 1
                continue
            self.read += 1
            yield number, line.rstrip("\r\n")

    def total(self) -> int | None:
        """How many lines to answer the input holds: those read and the rest, read to its end
        where it has one (a file; not a pipe or a terminal, which may never end). Called once
        nothing else reads the input."""
        if not self.stream.seekable():
            return None
        try:
            for _ in self._lines:
                pass
        except (OSError, UnicodeDecodeError, ValueError):  # ValueError: still being read
            return None
        return self.read

    def one_document(self) -> bool:
        """Whether the whole input is one JSON object written over several lines."""
        if self.kept is None or self.read < 2:
            return False
        try:
            return isinstance(json.loads("".join(self.kept)), dict)
        except (ValueError, RecursionError):
            return False


PLAN_SEPARATOR = " | "
"""Between the plans of a CSV cell that describes every cheapest plan, in the plans' order."""

ITEM_SEPARATOR = ";"
"""Between a plan's categories, or the items it lacks, in a CSV cell."""

COUNT_MARK = "×"
"""Between a counted item and how many more of it a plan lacks, when more than one."""


CSV_HEAD = [
    "line",
    "error",
    "cheapest_cost",
    "cheapest_plans",
    "cheapest_categories",
    "cheapest_missing",
    "cheapest_external",
    "ruleset_version",
    "ruleset_digest",
]
"""The CSV columns; a column per category (its status) comes after ``error``."""


def _plans_cell(plans: Sequence[Sequence[str]]) -> str:
    """Every plan's ids in one cell: a plan's joined by ``;``, the plans by `` | ``; empty when no
    plan has any (tied plans lack as many items, and hold as many categories: all or none do)."""
    return PLAN_SEPARATOR.join(ITEM_SEPARATOR.join(plan) for plan in plans) if any(plans) else ""


def csv_row(
    number: int, summary: Summary | None, error: dict[str, Any] | None, ruleset: tuple[str, str] | None = None
) -> list[Any]:
    """Line ``number``'s CSV row: from its summary, else its error's message with the other cells
    empty (as many status cells as the worker's catalogue has categories). The cheapest plans'
    cells describe every one of the goal's cheapest plans, in their order (docs/cli.md#batch-csv);
    the last two name the ruleset (``ruleset``: version and digest; by default the worker's)."""
    version, digest = ruleset or _WORKER.ruleset
    if summary is None:
        assert error is not None
        return [
            number,
            _text_cell(error["message"]),
            *[""] * len(_WORKER.categories),
            "",
            "",
            "",
            "",
            "",
            version,
            digest,
        ]
    cost = summary.cheapest_cost
    return [
        number,
        "",
        *summary.statuses,  # in the catalogue's order, as the header's categories
        "" if cost is None else cost,
        len(summary.cheapest_plans),
        _plans_cell(summary.cheapest_plans),
        _plans_cell(_with_shortfalls(summary)),
        _plans_cell(summary.cheapest_external),
        version,
        digest,
    ]


_FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads a cell starting with as a formula (OWASP's CSV injection)."""


def _text_cell(text: str) -> str:
    """A cell of words that may start with the profile's own text (an error names a field as the
    line wrote it: ``{"=HYPERLINK(…)": 1}``), kept from being read as a formula by a spreadsheet:
    such a cell starts with an apostrophe, which Excel and LibreOffice show as text."""
    return "'" + text if text.startswith(_FORMULA) else text


def _with_shortfalls(summary: Summary) -> list[list[str]]:
    """Each cheapest plan's missing items, a counted item lacked more than once with how many
    more (``partner_private_school_permit×2``)."""
    out = []
    for k, missing in enumerate(summary.cheapest_missing):
        short = dict(summary.cheapest_shortfalls[k]) if k < len(summary.cheapest_shortfalls) else {}
        out.append([f"{i}{COUNT_MARK}{short[i]}" if short.get(i, 1) > 1 else i for i in missing])
    return out


def _json_line(number: int, shaped: Shaped | None, error: dict[str, Any] | None) -> str:
    """Line ``number``'s JSON line: ``{"line": N, …}`` with the answer's members as written (its
    bytes, not decoded and encoded again), else with its ``error``."""
    if shaped is None:
        return dumps({"line": number, "error": error}).decode() + "\n"
    return f'{{"line":{number},' + shaped.body[1:].decode() + "\n"


def _output_name(out: IO[str]) -> Message | str:
    """What the output is called in a message: the file ``-o`` named, else standard output."""
    for attribute in ("name", "path"):  # an open file's name; the path of the command's checked output
        name = getattr(out, attribute, None)
        if isinstance(name, str) and not name.startswith("<"):  # not <stdout>
            return name
    return Message("cli.batch_stdout")


class _Interrupts:
    """Ctrl-C in the parent: raised at once (while it waits for answers), or, while a row is
    being written, after it (``shielded``), so that the rows written are whole and counted."""

    def __init__(self) -> None:
        self.shielded = False
        self.pending = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.shielded:
            self.pending = True
        else:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _handling(interrupts: _Interrupts) -> Iterator[None]:
    """``interrupts`` handles SIGINT meanwhile (in the main thread; elsewhere signals are not ours)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, interrupts)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _pool(ctx: Any, workers: int, initargs: tuple[Any, ...]) -> Any:
    """The worker pool; its processes are forked ignoring SIGINT (and their initializer ignores it
    too), so that Ctrl-C reaches none of them, even before their initializer runs."""
    if threading.current_thread() is not threading.main_thread():
        return ctx.Pool(workers, initializer=_init, initargs=initargs)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return ctx.Pool(workers, initializer=_init, initargs=initargs)
    finally:
        signal.signal(signal.SIGINT, previous)


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
    lang: str = LANGUAGES[0],
    said: str = ENGLISH,
) -> int:
    """Evaluate every line of ``source`` into ``out``; returns the number of bad lines. ``lang`` is
    the language of the explanations, ``said`` that of the errors and of the summary on ``err``
    (the command line gives both from ``--lang``, as to ``livegate evaluate``).

    Raises :class:`~livegate.cli.errors.CliError` when ``source`` is not UTF-8 (exit 2), and on Ctrl-C
    (130, saying how many profiles were written: ``out`` holds them whole)."""
    categories = list(Knowledge.load(facts, logic).catalogue.categories)
    writer = csv.writer(out)
    lines = _Lines(source)
    workers = workers or os.cpu_count() or 1
    show_progress = err.isatty() if progress is None else progress
    eligible: Counter[str] = Counter()
    done = bad = 0
    started = time.perf_counter()
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    interrupts = _Interrupts()
    try:
        with _handling(interrupts):
            if csv_format:
                writer.writerow([*CSV_HEAD[:2], *categories, *CSV_HEAD[2:]])
            with _pool(ctx, workers, (explain, csv_format, facts, logic, lang, said)) as pool:
                results = pool.imap(_evaluate, lines, chunksize=64)
                bar = None
                if show_progress:
                    from tqdm import tqdm

                    results = bar = tqdm(results, unit=" profiles", file=err)
                try:
                    for number, row, answer_eligible, error in results:
                        interrupts.shielded = True
                        if isinstance(row, str):
                            out.write(row)
                        else:
                            writer.writerow(row)
                        done += 1
                        if error is not None:
                            bad += 1
                            err.write(Message("cli.batch_line", number=number, error=error).text(said) + "\n")
                        eligible.update(answer_eligible)
                        interrupts.shielded = False
                        if interrupts.pending:
                            raise KeyboardInterrupt
                    interrupts.shielded = True  # every row is written: Ctrl-C from here on changes nothing
                finally:
                    if bar is not None:
                        bar.close()
    except KeyboardInterrupt:
        # the rows written are whole: closing the output (the caller's) writes what it still holds
        total = lines.total()
        stopped = (
            Message("cli.batch_interrupted_after", n=done, path=_output_name(out))
            if total is None
            else Message("cli.batch_interrupted", n=total, done=done, path=_output_name(out))
        )
        raise CliError(stopped, 130) from None
    except UnicodeDecodeError:
        raise CliError(Message("cli.not_utf8", path=getattr(source, "name", "-"))) from None
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    bad_lines = Message("cli.bad_lines", n=bad)
    summary = Message(
        "cli.batch_done",
        n=done,  # chooses the singular or plural form
        done=done,
        seconds=elapsed,
        rate=rate,
        workers=Message("cli.workers", n=workers),
        bad=Message("cli.batch_blank", n=lines.blank, bad=bad_lines) if lines.blank else bad_lines,
    )
    err.write(f"{summary.text(said)}\n{Message('cli.batch_eligible').text(said)}\n")
    for c in categories:
        err.write(f"  {c}: {eligible[c]}\n")
    if bad == done and lines.one_document():  # said last, where it is seen
        name = getattr(source, "name", "-")
        path = "-" if name.startswith("<") else name
        evaluate = f"livegate evaluate {shlex.quote(path)}"
        err.write(Message("cli.batch_one_document", path=path, text=evaluate).text(said) + "\n")
    return bad
