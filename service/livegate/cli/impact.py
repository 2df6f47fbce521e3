"""``livegate impact OLD NEW``: whose answers change, and how, before a new ruleset ships.

The profiles come from a decision log (``--log``), from profile files
(``--profiles``) or from :mod:`livegate.corpus` (``--random N``, drawn from the
old ruleset's catalogue); :func:`livegate.impact.replay` answers each under
both rulesets on every core. The report ends with one summary line (on
standard error with ``--format json``), which a CI job can gate on; with
``--fail-on-change`` the exit status is 1 when any answer changed.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import IO, Any

from ..engine import Engine
from ..impact import KINDS, Case, Impact, random_cases, read_cases, replay
from ..kb import Knowledge, KnowledgeError
from ..names import Message
from ..profile import ProfileError
from ..rulesets import RulesetError, checkout
from .diff import Words

__all__ = ["impact_text", "run_impact"]

TITLES = {
    "eligible_set": "eligible set",
    "status": "status",
    "cost_up": "cheapest cost up",
    "cost_down": "cheapest cost down",
    "plans": "cheapest plans",
    "other": "other fields",
    "invalid": "became invalid",
    "valid_again": "valid again",
}
"""How the text names each kind of change."""


def _probe(knowledge: Knowledge, side: str, label: str) -> None:
    """Answer a minimal profile, so that rules this package cannot run fail before any worker starts."""
    subject = next(iter(knowledge.catalogue.subject_types), "")
    try:
        Engine(knowledge, pool_size=1).evaluate({"subject": {"type": subject}})
    except ProfileError:
        pass
    except Exception as exc:  # whatever breaks here breaks every profile: say so once, without a traceback
        raise KnowledgeError(
            f"{side} {label}: this livegate cannot answer with these rules ({type(exc).__name__}: {exc})"
        ) from None


def _counts(counter: dict[Any, int], words: Words) -> str:
    return ", ".join(f"{words.category(c)} {n}" for c, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _state(status: Any) -> str:
    """A category's status; ``(no entry)`` on the side where the category does not exist."""
    return "(no entry)" if status is None else str(status)


def _shown(value: Any) -> str:
    """A value of an answer as the examples show it: a string as it is, anything else as JSON."""
    return value if isinstance(value, str) else _compact(value)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _example_lines(kind: str, before: Any, after: Any, words: Words) -> list[str]:
    """What changed in one example, before → after, for its kind."""
    if kind == "eligible_set":
        gained = [c for c in after if c not in before]
        lost = [c for c in before if c not in after]
        marks = [f"+ {words.category(c)}" for c in gained] + [f"- {words.category(c)}" for c in lost]
        return ["eligible: " + ", ".join(marks)]
    if kind == "status":
        return [f"{words.category(c)}: {_state(before[c])} → {_state(after[c])}" for c in before]
    if kind in ("cost_up", "cost_down"):
        return [f"cheapest cost: {before} → {after}"]
    if kind == "plans" and isinstance(before, list):
        return [f"- {p}" for p in before if p not in after] + [f"+ {p}" for p in after if p not in before]
    if kind in ("plans", "other"):
        return [f"{path}: {_shown(before[path])} → {_shown(after[path])}" for path in before]
    return [f"before: {_compact(before)}", f"after:  {_compact(after)}"]


def impact_text(impact: Impact, old: Knowledge, new: Knowledge, origin: str) -> str:
    """The replay as a report, ending with :meth:`Impact.summary`."""
    words = Words(old, new)
    data = impact.to_json()
    o, n = data["old"], data["new"]
    out = [
        f"impact: old {o['source']} ({o['ruleset']['version']}) → new {n['source']} ({n['ruleset']['version']}), "
        f"{data['profiles']} profiles from {origin}" + ("" if data["explain"] else " (explanations left out)"),
        "",
    ]
    share = f" ({100 * impact.changed / impact.profiles:.1f} %)" if impact.profiles else ""
    out.append(f"answers changed: {impact.changed} of {impact.profiles}{share}")
    if impact.skipped:
        out.append(f"refused by both rulesets (not compared): {impact.skipped}")
    width = max(len(t) for t in TITLES.values())
    for kind in KINDS:
        out.append(f"  {TITLES[kind]:<{width}}  {impact.kinds[kind]:>6}")
        if kind == "eligible_set":
            if impact.gained:
                out.append(f"      gained: {_counts(impact.gained, words)}")
            if impact.lost:
                out.append(f"      lost: {_counts(impact.lost, words)}")
        elif kind == "status" and impact.status:
            by_category: dict[str, list[str]] = defaultdict(list)
            for entry in data["status"]:
                move = f"{_state(entry['old'])} → {_state(entry['new'])}"
                by_category[entry["category"]].append(f"{move} {entry['profiles']}")
            for c, moves in by_category.items():
                out.append(f"      {words.category(c)}: {', '.join(moves)}")
        elif kind == "cost_down" and (impact.cost_delta or impact.no_plan_before or impact.no_plan_after):
            cost = data["cost"]
            spread = ", ".join(f"{d} ×{k}" for d, k in cost["delta"].items())
            out.append(f"      by how much (new − old, profiles): {spread or '—'}")
            if cost["no_plan_before"] or cost["no_plan_after"]:
                out.append(
                    f"      no plan before, one now: {cost['no_plan_before']}; "
                    f"a plan before, none now: {cost['no_plan_after']}"
                )
        elif kind == "invalid" and data["invalid"]["ids"]:
            ids = ", ".join(f"{e['kind']} {e['id']!r} ×{e['profiles']}" for e in data["invalid"]["ids"])
            out.append(f"      unknown to the new ruleset: {ids}")
    if data["fields"]:
        out += ["", "where the answers differ (path: profiles)"]
        out += [f"  {path}: {count}" for path, count in list(data["fields"].items())[:12]]
        if len(data["fields"]) > 12:
            more = len(data["fields"]) - 12
            out.append(f"  … {more} more path{'s' if more > 1 else ''} (--format json lists them all)")
    if data["examples"]:
        out += ["", f"examples (the first {impact.examples_per_kind} of each kind, before → after)"]
    for kind, examples in data["examples"].items():
        for ex in examples:
            decision = f" (decision {ex['decision_id']})" if "decision_id" in ex else ""
            out.append(f"  {TITLES[kind]} — {ex['where']}{decision}")
            out.append(f"      profile: {_compact(ex['profile'])}")
            out += [f"      {line}" for line in _example_lines(kind, ex["before"], ex["after"], words)]
    if impact.unreadable:
        out += ["", f"lines not read ({len(impact.unreadable)}):"]
        out += [f"  {line}" for line in impact.unreadable[:10]]
    out += ["", impact.summary()]
    return "\n".join(out) + "\n"


def run_impact(
    old: str,
    new: str,
    *,
    logs: list[str],
    profiles: list[str],
    random: int,
    seed: int,
    workers: int | None,
    explain: bool,
    examples: int,
    fmt: str = "text",
    fail_on_change: bool = False,
    out: IO[str] = sys.stdout,
    err: IO[str] = sys.stderr,
) -> int:
    """``livegate impact``: 0, or 1 with ``fail_on_change`` when an answer changed. Raises
    :class:`~livegate.rulesets.RulesetError`, :class:`~livegate.kb.KnowledgeError` or
    ``OSError`` (a file that cannot be read)."""
    if not (logs or profiles or random):
        raise RulesetError(str(Message("cli.impact_no_profiles")))
    with checkout(old) as old_source, checkout(new) as new_source:
        old_kb, new_kb = old_source.load(), new_source.load()
        _probe(old_kb, "old", old_source.label)
        _probe(new_kb, "new", new_source.label)
        cases: list[Case] = []
        unreadable: list[str] = []
        origins = []
        for path, log in [*((p, True) for p in logs), *((p, False) for p in profiles)]:
            read, bad = read_cases(path, log=log)
            cases += read
            unreadable += bad
            origins.append(path)
        if random:
            cases += random_cases(old_kb, random, seed)
            origins.append(f"{random} random profiles (seed {seed})")
        impact = replay(old_source, new_source, cases, explain=explain, workers=workers, examples=examples, err=err)
    impact.unreadable = unreadable
    done = Message("cli.impact_done", profiles=impact.profiles, seconds=impact.seconds, workers=impact.workers)
    err.write(f"{done}\n")
    if fmt == "json":
        out.write(json.dumps(impact.to_json(), ensure_ascii=False, indent=2) + "\n")
        err.write(impact.summary() + "\n")
    else:
        out.write(impact_text(impact, old_kb, new_kb, ", ".join(origins)))
    return 1 if fail_on_change and impact.changed else 0
