"""Replaying profiles against two rulesets: whose answers change, and how.

Every profile is answered by both rulesets (an engine for each, per worker
process, as ``livegate batch`` does) and the two answers are compared **by
meaning**: the order of a list is not a change, nor is the ``ruleset`` the
answer names. A changed answer is described by the fields this module knows —
the eligible set (categories gained or lost), each category's status, the
cheapest cost (up or down, by how much) and the cheapest plans — and any other
difference, in a field this module does not name, counts as ``other``; every
difference is also counted by its path in the answer (``fields``), with list
positions written ``[]`` and ids of the knowledge base ``*``. A profile the new
ruleset refuses while the old one answered it (it names an id that no longer
exists) has changed too, and is listed with the id.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from . import corpus
from .answer import Shaped
from .engine import Engine
from .kb import Knowledge
from .profile import JsonError, ProfileError, loads
from .rulesets import RulesetSource
from .words import ENGLISH, Message, Phrases

__all__ = [
    "IGNORED",
    "KINDS",
    "Case",
    "Impact",
    "compare_answers",
    "differences",
    "random_cases",
    "read_cases",
    "replay",
]

IGNORED = frozenset({"ruleset"})
"""Top-level answer fields left out of the comparison: they name the rules that answered."""

KINDS = ("eligible_set", "status", "cost_up", "cost_down", "plans", "other", "invalid", "valid_again")
"""The kinds of change, in the order reports list them (a changed profile may be of several)."""


@dataclass(frozen=True)
class Case:
    """One profile to replay: where it comes from (``file:line``, ``random:N``) and its JSON."""

    where: str
    data: Any
    decision_id: str | None = None


# -- reading profiles --------------------------------------------------------------------
def _json_lines(path: Path) -> Iterator[tuple[int, Any | None, Message | None]]:
    # a byte order mark (Notepad's) is not line 1's; a line ends at \n (or \r\n) only: a lone \r is
    # JSON's whitespace inside a line, where wc, sed and pandas see it
    with open(path, encoding="utf-8-sig", newline="\n") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield number, loads(line), None
            except JsonError as exc:
                yield number, None, exc.said


def read_cases(path: Path | str, *, log: bool) -> tuple[list[Case], list[Message]]:
    """The profiles of a decision log (``log``: JSON Lines with a ``profile`` field, as
    ``LIVEGATE_DECISION_LOG`` writes them) or of a profiles file (JSON Lines, one profile a
    line; or a ``.json`` file holding one profile or a list of them), and the lines that
    could not be read, each with why. ``OSError`` if the file cannot be read."""
    path = Path(path)
    cases: list[Case] = []
    unreadable: list[Message] = []
    if not log and path.suffix == ".json":
        try:
            data = loads(path.read_text(encoding="utf-8-sig"))
        except JsonError as exc:
            return [], [Message("impact.unreadable_line", where=path, problem=exc.said)]
        if isinstance(data, list):
            return [Case(f"{path}[{k}]", p) for k, p in enumerate(data)], []
        return [Case(str(path), data)], []
    for number, data, problem in _json_lines(path):
        where = f"{path}:{number}"
        if problem is not None:
            unreadable.append(Message("impact.unreadable_line", where=where, problem=problem))
        elif not log:
            cases.append(Case(where, data))
        elif isinstance(data, dict) and "profile" in data:
            decision = data.get("decision_id")
            cases.append(Case(where, data["profile"], decision if isinstance(decision, str) else None))
        else:
            unreadable.append(Message("impact.unreadable_line", where=where, problem=Message("impact.not_a_decision")))
    return cases, unreadable


def random_cases(knowledge: Knowledge, n: int, seed: int = corpus.SEED, *, overrides: bool | None = None) -> list[Case]:
    """``n`` realistic profiles of :mod:`livegate.corpus`, drawn from ``knowledge``'s catalogue
    (``overrides``: cost overrides in all, none, or by default a third of them)."""
    profiles = corpus.profiles(knowledge.catalogue_json(), n, seed, overrides=overrides)
    return [Case(f"random:{k}", p) for k, p in enumerate(profiles, 1)]


# -- comparing two answers ---------------------------------------------------------------
def _canon(value: Any) -> bytes:
    """JSON bytes that are equal exactly when two values are equal by meaning (lists sorted)."""
    if isinstance(value, dict):
        return b"{" + b",".join(orjson.dumps(str(k)) + b":" + _canon(value[k]) for k in sorted(value)) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(sorted(_canon(v) for v in value)) + b"]"
    return orjson.dumps(value)


def _by_id(values: list[Any]) -> dict[Any, Any] | None:
    """A list of records with unique ``id`` fields, by id; None for any other list."""
    if not all(isinstance(v, dict) and "id" in v for v in values):
        return None
    keyed = {orjson.dumps(v["id"]): v for v in values}
    return keyed if len(keyed) == len(values) else None


ABSENT = "(absent)"
"""What a difference shows for a side that has no such field or entry."""


class _Differ:
    def __init__(self, ids: frozenset[str]):
        self.ids = ids
        self.found: list[tuple[str, Any, Any]] = []

    def key(self, path: str, k: Any) -> str:
        name = "*" if k in self.ids else str(k)
        return f"{path}.{name}" if path else name

    def walk(self, a: Any, b: Any, path: str) -> None:
        if a == b and type(a) is type(b):
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(a.keys() | b.keys(), key=str):
                if k not in a or k not in b:
                    self.found.append((self.key(path, k), a.get(k, ABSENT), b.get(k, ABSENT)))
                else:
                    self.walk(a[k], b[k], self.key(path, k))
        elif isinstance(a, list) and isinstance(b, list):
            self.walk_list(a, b, f"{path}[]")
        else:
            self.found.append((path, a, b))

    def walk_list(self, a: list[Any], b: list[Any], path: str) -> None:
        ids_a, ids_b = _by_id(a), _by_id(b)
        if ids_a is not None and ids_b is not None and (ids_a or ids_b):
            for k in sorted(ids_a.keys() | ids_b.keys()):
                if k not in ids_a or k not in ids_b:
                    self.found.append((path, ids_a.get(k, ABSENT), ids_b.get(k, ABSENT)))
                else:
                    self.walk(ids_a[k], ids_b[k], path)
            return
        keys_a, keys_b = [_canon(v) for v in a], [_canon(v) for v in b]
        left, right = Counter(keys_a), Counter(keys_b)
        if left == right:
            return  # the same entries in another order
        only_a = [n for n, k in enumerate(keys_a) if left[k] > right[k]]
        only_b = [n for n, k in enumerate(keys_b) if right[k] > left[k]]
        for x, y in _pairs([a[n] for n in only_a], [b[n] for n in only_b]):
            if x is ABSENT or y is ABSENT:
                self.found.append((path, x, y))
            else:
                self.walk(x, y, path)


def _likeness(x: Any, y: Any) -> int:
    """How many fields two records share with equal values (0 for anything but two records)."""
    if not (isinstance(x, dict) and isinstance(y, dict)):
        return 0
    return sum(1 for k in x.keys() & y.keys() if x[k] == y[k])


def _pairs(only_a: list[Any], only_b: list[Any]) -> list[tuple[Any, Any]]:
    """The entries one list has and the other lacks, paired where two records are mostly alike
    (an entry whose fields changed), the rest alone (an entry added or removed)."""
    scored = sorted(
        ((_likeness(x, y), i, j) for i, x in enumerate(only_a) for j, y in enumerate(only_b)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    paired: list[tuple[Any, Any]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for score, i, j in scored:
        x = only_a[i]
        if score == 0 or score * 2 < len(x) or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        paired.append((x, only_b[j]))
    paired += [(x, ABSENT) for i, x in enumerate(only_a) if i not in used_a]
    paired += [(ABSENT, y) for j, y in enumerate(only_b) if j not in used_b]
    return paired


def differences(old: Any, new: Any, ids: frozenset[str] = frozenset()) -> list[tuple[str, Any, Any]]:
    """Where two answers differ by meaning, as ``(path, old, new)`` — ``[]`` for a list's
    entries (matched by ``id`` where they have one), ``*`` for a key that is one of ``ids``,
    :data:`ABSENT` for a side without that field or entry. Empty when they are equal."""
    differ = _Differ(ids)
    if isinstance(old, dict) and isinstance(new, dict):
        old = {k: v for k, v in old.items() if k not in IGNORED}
        new = {k: v for k, v in new.items() if k not in IGNORED}
    differ.walk(old, new, "")
    return differ.found


def _get(answer: dict[str, Any], *path: str) -> Any:
    value: Any = answer
    for k in path:
        value = value.get(k) if isinstance(value, dict) else None
    return value


def _statuses(answer: dict[str, Any]) -> dict[str, Any]:
    entries = answer.get("categories")
    if not isinstance(entries, list):
        return {}
    return {e["id"]: e.get("status") for e in entries if isinstance(e, dict) and "id" in e}


def _plan_text(plan: Any) -> str:
    """A plan on one line: its categories (with the alternatives that lead to it), what it lacks, its cost."""
    if not isinstance(plan, dict):
        return str(plan)
    ways = plan.get("equivalent_alternatives") or plan.get("alternatives") or {}
    parts = []
    for c in plan.get("categories") or []:
        alts = ways.get(c) if isinstance(ways, dict) else None
        alts = [alts] if isinstance(alts, str) else alts
        parts.append(f"{c} ({' | '.join(alts)})" if alts else str(c))
    categories = " + ".join(parts) or ("direct" if plan.get("direct") else "(none)")
    missing = ", ".join(plan.get("missing") or []) or "nothing"
    return f"{categories}: missing {missing}, cost {plan.get('cost')}"


def _plans(answer: dict[str, Any]) -> list[str]:
    plans = _get(answer, "cheapest", "plans")
    return sorted(_plan_text(p) for p in plans) if isinstance(plans, list) else []


NAMED = ("eligible", "categories[].status", "cheapest.cost", "cheapest.plans")
"""The answer's paths this module reports by name; a difference elsewhere is ``other``."""


def _short(value: Any, limit: int = 160) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    text = orjson.dumps(value).decode()
    return value if len(text) <= limit else text[: limit - 1] + "…"


def compare_answers(old: dict[str, Any], new: dict[str, Any], ids: frozenset[str] = frozenset()) -> dict[str, Any]:
    """How ``new`` differs from ``old``: empty when they are equal by meaning; otherwise
    ``kinds`` (of :data:`KINDS`), the named changes, ``paths``, and per kind the ``views``
    of what changed: ``[before, after]``."""
    found = differences(old, new, ids)
    if not found:
        return {}
    out: dict[str, Any] = {"kinds": [], "paths": sorted({p for p, _, _ in found})}
    views: dict[str, list[Any]] = {}
    was, now = set(old.get("eligible") or []), set(new.get("eligible") or [])
    if was != now:
        out["gained"], out["lost"] = sorted(now - was), sorted(was - now)
        views["eligible_set"] = [old.get("eligible"), new.get("eligible")]
    s_old, s_new = _statuses(old), _statuses(new)
    moved = [[c, s_old.get(c), s_new.get(c)] for c in [*s_old, *(c for c in s_new if c not in s_old)]]
    moved = [m for m in moved if m[1] != m[2]]
    if moved:
        out["status"] = moved
        views["status"] = [{c: o for c, o, _ in moved}, {c: n for c, _, n in moved}]
    c_old, c_new = _get(old, "cheapest", "cost"), _get(new, "cheapest", "cost")
    if c_old != c_new:
        up = c_new is None or (c_old is not None and c_new > c_old)
        out["cost"] = [c_old, c_new]
        views["cost_up" if up else "cost_down"] = [c_old, c_new]
    in_plans = [(p, a, b) for p, a, b in found if p == "cheapest.plans[]" or p.startswith("cheapest.plans[].")]
    if in_plans:
        views["plans"] = [_plans(old), _plans(new)]
        if views["plans"][0] == views["plans"][1]:  # the same plans in short: say which fields differ
            views["plans"] = [{p: _short(a) for p, a, _ in in_plans[:3]}, {p: _short(b) for p, _, b in in_plans[:3]}]
    rest = [(p, a, b) for p, a, b in found if not any(p == n or p.startswith((n + ".", n + "[]")) for n in NAMED)]
    if rest:
        views["other"] = [{p: _short(a) for p, a, _ in rest[:3]}, {p: _short(b) for p, _, b in rest[:3]}]
    out["kinds"] = [k for k in KINDS if k in views]
    out["views"] = views
    return out


# -- the replay --------------------------------------------------------------------------
def _unknown_ids(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each problem of a refused profile, with the unknown id and what it was meant to name."""
    out = []
    for e in errors:
        unknown = e.get("kind") == "unknown_id"
        out.append(
            {
                "field": e.get("field"),
                "kind": e.get("of") if unknown else None,
                "id": e.get("value") if unknown else None,
                "problem": e.get("problem"),
            }
        )
    return out


@dataclass
class _Worker:
    """What one worker process holds: an engine for each ruleset (clingo Controls are per process)."""

    old: Engine | None = None
    new: Engine | None = None
    explain: bool = False
    ids: frozenset[str] = frozenset()


_WORKER = _Worker()


def _catalogue_ids(knowledge: Knowledge) -> set[str]:
    cat = knowledge.catalogue
    return {
        *cat.categories,
        *cat.items,
        *cat.activities,
        *cat.roles,
        *cat.scenarios,
        *cat.access_methods,
        *cat.issuer_classes,
        *cat.subject_types,
        *cat.external_categories,
        *cat.notes,
        *(a.id for c in cat.categories.values() for a in c.alternatives),
    }


def _init(old: tuple[str, str], new: tuple[str, str], explain: bool) -> None:
    old_kb, new_kb = Knowledge.load(*old), Knowledge.load(*new)
    _WORKER.old, _WORKER.new = Engine(old_kb, pool_size=1), Engine(new_kb, pool_size=1)
    _WORKER.explain = explain
    _WORKER.ids = frozenset(_catalogue_ids(old_kb) | _catalogue_ids(new_kb))


def _answer(engine: Engine, data: Any) -> tuple[Shaped | None, list[dict[str, Any]] | None]:
    try:
        return engine.answer(data, explain=_WORKER.explain), None
    except ProfileError as exc:
        return None, exc.errors


def _unnamed(shaped: Shaped) -> bytes | None:
    """The answer's bytes after the ``ruleset`` it opens with (None if it does not open with it)."""
    head = b'{"ruleset":' + shaped.ruleset
    return shaped.body[len(head) :] if shaped.body.startswith(head) else None


def _replay_one(numbered: tuple[int, Case]) -> tuple[int, dict[str, Any]]:
    number, case = numbered
    assert _WORKER.old is not None and _WORKER.new is not None
    old, old_errors = _answer(_WORKER.old, case.data)
    new, new_errors = _answer(_WORKER.new, case.data)
    if old is None and new is None:
        return number, {"outcome": "skipped"}
    if old is None:
        return number, {"outcome": "changed", "kinds": ["valid_again"], "case": case, "errors": old_errors}
    if new is None:
        assert new_errors is not None
        ids = _unknown_ids(new_errors)
        return number, {"outcome": "changed", "kinds": ["invalid"], "case": case, "ids": ids}
    same_bytes = _unnamed(old)
    if same_bytes is not None and same_bytes == _unnamed(new):  # the common case, without decoding
        return number, {"outcome": "same"}
    change = compare_answers(old.json(), new.json(), _WORKER.ids)
    if not change:
        return number, {"outcome": "same"}
    return number, {"outcome": "changed", "case": case, **change}


@dataclass
class Impact:
    """What a replay found; :meth:`to_json` is ``livegate impact --format json``."""

    old: dict[str, Any]
    new: dict[str, Any]
    explain: bool
    examples_per_kind: int = 3
    profiles: int = 0
    changed: int = 0
    skipped: int = 0
    unreadable: list[Message] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    gained: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    status: Counter[tuple[str, Any, Any]] = field(default_factory=Counter)
    cost_delta: Counter[int] = field(default_factory=Counter)
    no_plan_before: int = 0
    no_plan_after: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    invalid_ids: Counter[tuple[Any, Any]] = field(default_factory=Counter)
    examples: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    """Per kind, the first examples in input order, each with its position."""
    changed_at: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1

    @property
    def changed_where(self) -> list[str]:
        """Every changed profile's ``where``, in input order (not in the JSON report)."""
        return [where for _, where in sorted(self.changed_at)]

    def add(self, number: int, result: dict[str, Any]) -> None:
        """Count the result of the case at position ``number`` of the input (results may come in any order)."""
        self.profiles += 1
        outcome = result["outcome"]
        if outcome == "skipped":
            self.skipped += 1
            return
        if outcome != "changed":
            return
        case: Case = result["case"]
        self.changed += 1
        self.changed_at.append((number, case.where))
        self.kinds.update(result["kinds"])
        self.gained.update(result.get("gained", ()))
        self.lost.update(result.get("lost", ()))
        self.status.update(tuple(m) for m in result.get("status", ()))
        self.fields.update(result.get("paths", ()))
        if "cost" in result:
            was, now = result["cost"]
            if was is None:
                self.no_plan_before += 1
            elif now is None:
                self.no_plan_after += 1
            else:
                self.cost_delta[now - was] += 1
        for unknown in result.get("ids", ()):
            self.invalid_ids[(unknown["kind"], unknown["id"])] += 1
        for kind in result["kinds"] if self.examples_per_kind > 0 else ():  # (--examples 0: none)
            shown = self.examples.setdefault(kind, [])
            if len(shown) < self.examples_per_kind or number < shown[-1][0]:
                shown.append((number, self._example(case, result, kind)))
                shown.sort(key=lambda entry: entry[0])
                del shown[self.examples_per_kind :]

    @staticmethod
    def _example(case: Case, result: dict[str, Any], kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {"where": case.where}
        if case.decision_id:
            out["decision_id"] = case.decision_id
        out["profile"] = case.data
        if kind == "invalid":
            out["before"], out["after"] = "answered", {"refused": result["ids"]}
        elif kind == "valid_again":
            out["before"], out["after"] = {"refused": result["errors"]}, "answered"
        else:
            out["before"], out["after"] = result["views"][kind]
        return out

    def summary(self, lang: str = ENGLISH) -> str:
        """One line a CI job can gate on (in ``lang``)."""
        say = Phrases(lang)
        share = say.t("impact.share", percent=100 * self.changed / self.profiles) if self.profiles else ""
        kinds = say.join(
            (f"{say.t(f'impact.summary_kind.{k}')} {self.kinds[k]}" for k in KINDS if self.kinds[k]),
            "impact.list_separator",
        )
        left = [  # what was not compared: a gate that reads this line should know
            *([say.t("impact.summary_unreadable", count=len(self.unreadable))] if self.unreadable else []),
            *([say.t("impact.summary_skipped", count=self.skipped)] if self.skipped else []),
        ]
        return say.t(
            "impact.summary",
            profiles=self.profiles,
            changed=self.changed,
            share=share,
            kinds=say.t("impact.summary_kinds", kinds=kinds) if kinds else "",
            left=say.t("impact.summary_left", parts=say.join(left, "impact.list_separator")) if left else "",
            old=self.old["source"],
            old_version=self.old["ruleset"]["version"],
            new=self.new["source"],
            new_version=self.new["ruleset"]["version"],
        )

    def to_json(self) -> dict[str, Any]:
        ups = sum(n for d, n in self.cost_delta.items() if d > 0) + self.no_plan_after
        downs = sum(n for d, n in self.cost_delta.items() if d < 0) + self.no_plan_before
        return {
            "profiles": self.profiles,
            "changed": self.changed,
            "unchanged": self.profiles - self.changed - self.skipped,
            "refused_by_both": self.skipped,
            "old": self.old,
            "new": self.new,
            "explain": self.explain,
            "kinds": {k: self.kinds[k] for k in KINDS},
            "eligible": {
                "gained": dict(sorted(self.gained.items())),
                "lost": dict(sorted(self.lost.items())),
            },
            "status": [
                {"category": c, "old": o, "new": n, "profiles": count}
                for (c, o, n), count in sorted(self.status.items(), key=lambda kv: (-kv[1], [str(x) for x in kv[0]]))
            ],
            "cost": {
                "up": ups,
                "down": downs,
                "no_plan_before": self.no_plan_before,
                "no_plan_after": self.no_plan_after,
                "delta": {f"{d:+d}": n for d, n in sorted(self.cost_delta.items())},
            },
            "plans": self.kinds["plans"],
            "other": self.kinds["other"],
            "invalid": {
                "profiles": self.kinds["invalid"],
                "ids": [
                    {"kind": kind, "id": id_, "profiles": n}
                    for (kind, id_), n in sorted(self.invalid_ids.items(), key=lambda kv: (-kv[1], str(kv[0])))
                ],
            },
            "fields": dict(sorted(self.fields.items(), key=lambda kv: (-kv[1], kv[0]))),
            "examples": {k: [example for _, example in self.examples[k]] for k in KINDS if k in self.examples},
            "unreadable": [str(line) for line in self.unreadable],
        }


def _describe(source: RulesetSource, knowledge: Knowledge) -> dict[str, Any]:
    return {**source.describe(), "ruleset": knowledge.ruleset}


def replay(
    old: RulesetSource,
    new: RulesetSource,
    cases: list[Case],
    *,
    explain: bool = False,
    workers: int | None = None,
    examples: int = 3,
    progress: bool | None = None,
    err: IO[str] = sys.stderr,
) -> Impact:
    """Answer every case under both rulesets and compare (see the module's docstring).

    ``workers`` processes (default: one per core; 1 runs in this process); a progress bar on
    ``err`` when it is a terminal (or ``progress``)."""
    old_kb, new_kb = old.load(), new.load()
    impact = Impact(_describe(old, old_kb), _describe(new, new_kb), explain, examples)
    workers = max(1, workers or os.cpu_count() or 1)
    if len(cases) < 2 * 64:
        workers = 1  # forking and grounding twice per worker costs more than it saves
    impact.workers = workers
    show = err.isatty() if progress is None else progress
    paths = ((str(old.facts), str(old.logic)), (str(new.facts), str(new.logic)), explain)
    numbered = list(enumerate(cases))
    started = time.perf_counter()
    with _results(paths, numbered, workers) as results:
        shown: Iterator[tuple[int, dict[str, Any]]] = results
        if show:
            from tqdm import tqdm

            shown = tqdm(results, total=len(cases), unit=" profiles", file=err)
        for number, result in shown:
            impact.add(number, result)
    impact.seconds = time.perf_counter() - started
    return impact


class _results:
    """The results of :func:`_replay_one` over the numbered cases, each with its number: from a
    pool of worker processes, or from this process when ``workers`` is 1."""

    def __init__(self, paths: tuple[Any, ...], cases: list[tuple[int, Case]], workers: int):
        self.paths, self.cases, self.workers = paths, cases, workers
        self.pool: Any = None

    def __enter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.workers == 1:
            _init(*self.paths)
            return map(_replay_one, self.cases)
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.pool = ctx.Pool(self.workers, initializer=_init, initargs=self.paths)
        return self.pool.imap(_replay_one, self.cases, chunksize=64)

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        else:
            _WORKER.old = _WORKER.new = None
