"""``livegate diff OLD NEW``: what changed in the rules' meaning, by category, in the source's names.

The comparison is :func:`livegate.rulesets.compare`; this module writes it as
text (or the CLI dumps it as JSON). A line starts with ``+`` for what was
added, ``-`` for what was removed, ``~`` for what changed; ids stand beside
the source's names.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, Any

from ..kb import Knowledge
from ..rulesets import checkout, compare

__all__ = ["Words", "diff_summary", "diff_text", "run_diff"]

SETS = frozenset({"items", "counts", "roles", "companions"})
"""Fields listed with the source's names of their ids."""

TEXTS = frozenset({"name", "label", "text", "scene", "scope", "qualifier", "rule", "remedy", "url"})
"""Fields whose values are the source's wording: quoted in the text."""


class Words:
    """The source's names of ids, from the new catalogue first, then the old one."""

    def __init__(self, old: Knowledge, new: Knowledge):
        self.cats = (new.catalogue, old.catalogue)

    def _first(self, pick: Callable[[Any], str | None]) -> str | None:
        for cat in self.cats:
            found = pick(cat)
            if found is not None:
                return found
        return None

    def item(self, i: Any) -> str:
        def pick(cat: Any) -> str | None:
            it = cat.items.get(i)
            if it is None:
                return None
            return f"{it.name}（{it.qualifier}）" if it.qualifier else it.name

        name = self._first(pick)
        return f"{name} ({i})" if name else str(i)

    def category(self, c: Any) -> str:
        name = self._first(lambda cat: cat.categories[c].name if c in cat.categories else None)
        return f"【{name}】 {c}" if name else str(c)

    def role(self, r: Any) -> str:
        name = self._first(lambda cat: cat.roles[r].name if r in cat.roles else None)
        return f"{name} ({r})" if name else str(r)


def _quote(field: str, value: Any) -> str:
    if value is None:
        return "(none)"
    if field in TEXTS and isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _values(field: str, values: list[Any], words: Words) -> str:
    if field == "items":
        return ", ".join(words.item(i) for i in values)
    if field == "counts":
        return ", ".join(f"{words.item(i)} ×{n}" for i, n in values)
    if field == "roles":
        return ", ".join(words.role(r) for r in values)
    if field == "companions":
        return ", ".join(f"{words.category(c)} → {a}" for c, a in values)
    return ", ".join(_quote(field, v) for v in values)


def _change(field: str, change: dict[str, Any], words: Words) -> str:
    label = field.replace("_", " ")
    if "added" in change or "removed" in change:
        parts = []
        if change.get("added"):
            parts.append("+ " + _values(field, change["added"], words))
        if change.get("removed"):
            parts.append("- " + _values(field, change["removed"], words))
        return f"{label} " + " ".join(parts)
    return f"{label}: {_quote(field, change['old'])} → {_quote(field, change['new'])}"


def _record(entry: dict[str, Any], words: Words, skip: tuple[str, ...] = ()) -> str:
    """The fields of a record added or removed, on one line."""
    parts = []
    for k, v in entry.items():
        if k in ("id", "category", "alternatives", *skip) or v is None or v == []:
            continue
        text = _values(k, v, words) if isinstance(v, list) and k in SETS else _quote(k, v)
        parts.append(f"{k.replace('_', ' ')} {text}")
    return "; ".join(parts)


def _alternative(entry: dict[str, Any], words: Words) -> str:
    return f"“{entry.get('label')}” ({entry['id']})" if entry.get("label") else f"{entry['id']}"


def _categories(section: dict[str, Any], words: Words, out: list[str]) -> None:
    for kind, mark in (("added", "+"), ("removed", "-")):
        entries = section.get(kind, [])
        if entries:
            out.append(f"categories {kind} ({len(entries)})")
        for entry in entries:
            out.append(f"  {mark} {words.category(entry['id'])}")
            detail = _record(entry, words, skip=("name",))
            if detail:
                out.append(f"      {detail}")
            for alt in entry.get("alternatives", []):
                out.append(f"      {mark} alternative {_alternative(alt, words)}: {_record(alt, words, ('label',))}")
    changed = section.get("changed", [])
    if changed:
        out.append(f"categories changed ({len(changed)})")
    for entry in changed:
        out.append(f"  ~ {words.category(entry['id'])}")
        for field, change in entry.get("fields", {}).items():
            out.append(f"      {_change(field, change, words)}")
        alternatives = entry.get("alternatives", {})
        for alt in alternatives.get("added", []):
            out.append(f"      + alternative {_alternative(alt, words)}: {_record(alt, words, ('label',))}")
        for alt in alternatives.get("removed", []):
            out.append(f"      - alternative {_alternative(alt, words)}: {_record(alt, words, ('label',))}")
        for alt in alternatives.get("changed", []):
            changes = "; ".join(_change(f, c, words) for f, c in alt["fields"].items())
            out.append(f"      ~ alternative {_alternative(alt, words)}: {changes}")


ITEM_GROUPS = (("name", "renamed"), ("issuer_class", "re-classed"), ("default_cost", "re-costed"))
"""The item changes the text lists on their own, each under its verb."""


def _items(section: dict[str, Any], words: Words, out: list[str]) -> None:
    for kind, mark in (("added", "+"), ("removed", "-")):
        entries = section.get(kind, [])
        if entries:
            out.append(f"items {kind} ({len(entries)})")
        for entry in entries:
            out.append(f"  {mark} {words.item(entry['id'])}: {_record(entry, words, ('name',))}")
    changed = section.get("changed", [])
    for field, verb in ITEM_GROUPS:
        entries = [e for e in changed if field in e["fields"]]
        if entries:
            out.append(f"items {verb} ({len(entries)})")
        for entry in entries:
            change = entry["fields"][field]
            head = entry["id"] if field == "name" else words.item(entry["id"])
            out.append(f"  ~ {head}: {_quote(field, change['old'])} → {_quote(field, change['new'])}")
    grouped = {f for f, _ in ITEM_GROUPS}
    rest = [e for e in changed if set(e["fields"]) - grouped]
    if rest:
        out.append(f"items changed otherwise ({len(rest)})")
    for entry in rest:
        changes = "; ".join(_change(f, c, words) for f, c in entry["fields"].items() if f not in grouped)
        out.append(f"  ~ {words.item(entry['id'])}: {changes}")


def _generic(title: str, section: dict[str, Any], words: Words, out: list[str]) -> None:
    for kind, mark in (("added", "+"), ("removed", "-"), ("changed", "~")):
        entries = section.get(kind, [])
        if entries:
            out.append(f"{title} {kind} ({len(entries)})")
        for entry in entries:
            named = entry.get("name") or entry.get("label")
            head = f"{entry['id']} “{named}”" if named and kind == "changed" else str(entry["id"])
            if kind == "changed":
                detail = "; ".join(_change(f, c, words) for f, c in entry["fields"].items())
            else:
                detail = _record(entry, words)
            out.append(f"  {mark} {head}: {detail}" if detail else f"  {mark} {head}")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def diff_summary(result: dict[str, Any]) -> str:
    """One line: what changed, counted."""
    facts, files = result["facts"], result["files"]
    if not result["changed"]:
        note = f" ({_count(len(files['facts']), 'file')} of facts/ differ in comments, order or layout only)"
        return "diff: no change in meaning" + (note if files["facts"] else "")
    parts = []
    for section, body in facts.items():
        if section == "version":
            parts.append(f"ruleset_version {body['old']} → {body['new']}")
        elif section == "other":
            parts.append(f"other facts: {_count(len(body), 'predicate')}")
        else:
            counted = ", ".join(f"{len(body[k])} {k}" for k in ("added", "removed", "changed") if body.get(k))
            parts.append(f"{section.replace('_', ' ')} {counted}")
    parts.append(f"logic/ {_count(len(files['logic']), 'file')} changed" if files["logic"] else "logic/ unchanged")
    return "diff: " + "; ".join(parts)


def diff_text(result: dict[str, Any], old: Knowledge, new: Knowledge) -> str:
    """The comparison as a report, section by section, ending with :func:`diff_summary`."""
    words = Words(old, new)
    o, n = result["old"], result["new"]
    out = [
        f"ruleset diff: old {o['source']} ({o['ruleset']['version']}) → new {n['source']} ({n['ruleset']['version']})"
    ]
    facts = result["facts"]
    if "version" in facts:
        out += ["", f"ruleset_version: {facts['version']['old']} → {facts['version']['new']}"]
    for section, body in facts.items():
        if section == "version":
            continue
        out.append("")
        if section == "categories":
            _categories(body, words, out)
        elif section == "items":
            _items(body, words, out)
        elif section == "other":
            out.append(f"other facts ({_count(len(body), 'predicate')} that facts/catalogue.lp does not document)")
            for change in body.values():
                for atom in change.get("added", []):
                    out.append(f"  + {atom}")
                for atom in change.get("removed", []):
                    out.append(f"  - {atom}")
        else:
            _generic(section.replace("_", " "), body, words, out)
    logic = result["logic"]
    out.append("")
    if result["files"]["logic"]:
        out.append(f"rules (logic/): {', '.join(result['files']['logic'])}")
        out.append(logic["diff"].rstrip("\n"))
    else:
        out.append("rules (logic/): no change")
    out += ["", diff_summary(result)]
    return "\n".join(out) + "\n"


def run_diff(old: str, new: str, *, fmt: str = "text", exit_code: bool = False, out: IO[str] = sys.stdout) -> int:
    """``livegate diff OLD NEW``: 0, or 1 with ``exit_code`` when something changed.
    Raises :class:`~livegate.rulesets.RulesetError` or :class:`~livegate.kb.KnowledgeError`."""
    with checkout(old) as old_source, checkout(new) as new_source:
        old_kb, new_kb = old_source.load(), new_source.load()
        result = compare(old_source, new_source, (old_kb, new_kb))
    if fmt == "json":
        out.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(diff_text(result, old_kb, new_kb))
    return 1 if exit_code and result["changed"] else 0
