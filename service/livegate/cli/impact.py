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
import unicodedata
from collections import defaultdict
from typing import IO, Any

from ..engine import Engine
from ..impact import KINDS, Case, Impact, random_cases, read_cases, replay
from ..kb import Knowledge, KnowledgeError
from ..profile import ProfileError
from ..rulesets import RulesetError, checkout
from ..words import ENGLISH, Message, Phrases
from .diff import Words

__all__ = ["impact_text", "run_impact"]


def _probe(knowledge: Knowledge, side: str, label: str) -> None:
    """Answer a minimal profile, so that rules this package cannot run fail before any worker starts."""
    subject = next(iter(knowledge.catalogue.subject_types), "")
    try:
        Engine(knowledge, pool_size=1).evaluate({"subject": {"type": subject}})
    except ProfileError:
        pass
    except Exception as exc:  # whatever breaks here breaks every profile: say so once, without a traceback
        error = f"{type(exc).__name__}: {exc}"
        said = Message(
            "ruleset.cannot_answer",
            side=Message(f"ruleset.side.{side}"),
            label=label,
            version=knowledge.ruleset["version"],
            ours=Knowledge.load().ruleset["version"],  # the rules shipped with this package
            error=error,
        )
        raise KnowledgeError(said) from None


def _counts(counter: dict[Any, int], words: Words) -> str:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return words.join((f"{words.category(c)} {n}" for c, n in ranked), "impact.list_separator")


def _state(status: Any, words: Words) -> str:
    """A category's status; ``(no entry)`` on the side where the category does not exist."""
    return words.t("impact.no_entry") if status is None else str(status)


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
        return [words.t("impact.eligible", marks=words.join(marks, "impact.list_separator"))]
    if kind == "status":
        return [f"{words.category(c)}: {_state(before[c], words)} → {_state(after[c], words)}" for c in before]
    if kind in ("cost_up", "cost_down"):
        return [words.t("impact.cheapest_cost", before=before, after=after)]
    if kind == "plans" and isinstance(before, list):
        return [f"- {p}" for p in before if p not in after] + [f"+ {p}" for p in after if p not in before]
    if kind in ("plans", "other"):
        return [f"{path}: {_shown(before[path])} → {_shown(after[path])}" for path in before]
    return [words.t("impact.before", value=_compact(before)), words.t("impact.after", value=_compact(after))]


def _width(text: str) -> int:
    """How many columns ``text`` takes in a terminal (a CJK character two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def impact_text(impact: Impact, old: Knowledge, new: Knowledge, origin: str, lang: str = ENGLISH) -> str:
    """The replay as a report in ``lang``, ending with :meth:`Impact.summary`."""
    words = Words(old, new, lang)
    data = impact.to_json()
    o, n = data["old"], data["new"]
    versions = {"old_version": o["ruleset"]["version"], "new_version": n["ruleset"]["version"]}
    explained = "" if data["explain"] else words.t("impact.explanations_left_out")
    out = [
        words.t(
            "impact.header",
            old=o["source"],
            new=n["source"],
            profiles=data["profiles"],
            origin=origin,
            explained=explained,
            **versions,
        ),
        "",
    ]
    share = words.t("impact.share", percent=100 * impact.changed / impact.profiles) if impact.profiles else ""
    out.append(words.t("impact.changed", changed=impact.changed, profiles=impact.profiles, share=share))
    if impact.skipped:
        out.append(words.t("impact.skipped", count=impact.skipped))
    titles = {kind: words.t(f"impact.title.{kind}") for kind in KINDS}
    width = max(_width(t) for t in titles.values())
    for kind in KINDS:
        title = titles[kind]
        out.append(f"  {title}{' ' * (width - _width(title))}  {impact.kinds[kind]:>6}")
        if kind == "eligible_set":
            if impact.gained:
                out.append("      " + words.t("impact.gained", counts=_counts(impact.gained, words)))
            if impact.lost:
                out.append("      " + words.t("impact.lost", counts=_counts(impact.lost, words)))
        elif kind == "status" and impact.status:
            by_category: dict[str, list[str]] = defaultdict(list)
            for entry in data["status"]:
                move = f"{_state(entry['old'], words)} → {_state(entry['new'], words)}"
                by_category[entry["category"]].append(f"{move} {entry['profiles']}")
            for c, moves in by_category.items():
                out.append(f"      {words.category(c)}: {words.join(moves, 'impact.list_separator')}")
        elif kind == "cost_down" and (impact.cost_delta or impact.no_plan_before or impact.no_plan_after):
            cost = data["cost"]
            spread = words.join((f"{d} ×{k}" for d, k in cost["delta"].items()), "impact.list_separator")
            out.append("      " + words.t("impact.by_how_much", spread=spread or "—"))
            if cost["no_plan_before"] or cost["no_plan_after"]:
                out.append(
                    "      " + words.t("impact.no_plan", before=cost["no_plan_before"], after=cost["no_plan_after"])
                )
        elif kind == "invalid" and data["invalid"]["ids"]:
            ids = words.join(
                (f"{e['kind']} {e['id']!r} ×{e['profiles']}" for e in data["invalid"]["ids"]), "impact.list_separator"
            )
            out.append("      " + words.t("impact.unknown_ids", ids=ids))
    if data["fields"]:
        out += ["", words.t("impact.fields_head")]
        out += [f"  {path}: {count}" for path, count in list(data["fields"].items())[:12]]
        if len(data["fields"]) > 12:
            out.append("  " + words.t("impact.more_paths", count=len(data["fields"]) - 12))
    if data["examples"]:
        out += ["", words.t("impact.examples_head", count=impact.examples_per_kind)]
    for kind, examples in data["examples"].items():
        for ex in examples:
            decision = words.t("impact.decision", id=ex["decision_id"]) if "decision_id" in ex else ""
            out.append(f"  {titles[kind]} — {ex['where']}{decision}")
            out.append("      " + words.t("impact.profile", profile=_compact(ex["profile"])))
            out += [f"      {line}" for line in _example_lines(kind, ex["before"], ex["after"], words)]
    if impact.unreadable:
        out += ["", words.t("impact.unreadable_head", count=len(impact.unreadable))]
        out += [f"  {line.text(lang)}" for line in impact.unreadable[:10]]
    out += ["", impact.summary(lang)]
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
    lang: str = ENGLISH,
    out: IO[str] = sys.stdout,
    err: IO[str] = sys.stderr,
) -> int:
    """``livegate impact``: 0, or 1 with ``fail_on_change`` when an answer changed or a line could
    not be read. Raises
    :class:`~livegate.rulesets.RulesetError`, :class:`~livegate.kb.KnowledgeError` or
    ``OSError`` (a file that cannot be read)."""
    if not (logs or profiles or random):
        raise RulesetError(Message("cli.impact_no_profiles"))
    with checkout(old) as old_source, checkout(new) as new_source:
        old_kb, new_kb = old_source.load(), new_source.load()
        _probe(old_kb, "old", old_source.label)
        _probe(new_kb, "new", new_source.label)
        cases: list[Case] = []
        unreadable: list[Message] = []
        origins = []
        empty: list[Message] = []  # why each file gave no profile
        for path, log in [*((p, True) for p in logs), *((p, False) for p in profiles)]:
            read, bad = read_cases(path, log=log)
            cases += read
            unreadable += bad
            origins.append(path)
            if not read:
                key = "impact.nothing_in" if not bad else "impact.no_decisions" if log else "impact.no_profiles_in"
                empty.append(Message(key, path=path, count=len(bad)))
        if not cases and not random:  # a gate that passes on a file of no profiles passes on nothing
            reasons = Phrases(lang).join((m.text(lang) for m in empty), "report.clause_sep")
            raise RulesetError(Message("cli.impact_none_read", reason=reasons))
        if random:
            cases += random_cases(old_kb, random, seed)
            origins.append(Message("impact.random", count=random, seed=seed).text(lang))
        impact = replay(old_source, new_source, cases, explain=explain, workers=workers, examples=examples, err=err)
    impact.unreadable = unreadable
    processes = Message("cli.workers", n=impact.workers)
    done = Message("cli.impact_done", profiles=impact.profiles, seconds=impact.seconds, workers=processes)
    err.write(done.text(lang) + "\n")
    if fmt == "json":
        out.write(json.dumps(impact.to_json(), ensure_ascii=False, indent=2) + "\n")
        err.write(impact.summary(lang) + "\n")
    else:
        origin = Phrases(lang).join(origins, "impact.list_separator")
        out.write(impact_text(impact, old_kb, new_kb, origin, lang))
    # a gate passes only on what it compared: lines it could not read are not "no change"
    return 1 if fail_on_change and (impact.changed or impact.unreadable) else 0
