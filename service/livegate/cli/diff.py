"""``livegate diff OLD NEW``: what changed in the rules' meaning, by category, in the source's names.

The comparison is :func:`livegate.rulesets.compare`; this module writes it as
text (or the CLI dumps it as JSON), in English or Chinese: its words are the
message catalogue's ``diff.*``. A line starts with ``+`` for what was added,
``-`` for what was removed, ``~`` for what changed; ids stand beside the
source's names.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, Any

from ..kb import Knowledge
from ..rulesets import checkout, compare
from ..words import ENGLISH, Phrases

__all__ = ["Words", "diff_summary", "diff_text", "run_diff"]

SETS = frozenset({"items", "counts", "roles", "companions"})
"""Fields listed with the source's names of their ids."""

TEXTS = frozenset({"name", "label", "text", "scene", "scope", "qualifier", "rule", "remedy", "url"})
"""Fields whose values are the source's wording: quoted in the text."""


class Words(Phrases):
    """The report's words in one language, and the source's names of ids, from the new
    catalogue first, then the old one."""

    def __init__(self, old: Knowledge, new: Knowledge, lang: str = ENGLISH):
        super().__init__(lang)
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


def _quote(field: str, value: Any, words: Words) -> str:
    if value is None:
        return words.t("diff.none")
    if field in TEXTS and isinstance(value, str):
        return words.t("diff.quote", text=value)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _values(field: str, values: list[Any], words: Words) -> str:
    """A set field's values, by the source's names where they have one."""
    if field == "items":
        return words.join((words.item(i) for i in values), "diff.list_separator")
    if field == "counts":
        return words.join((f"{words.item(i)} ×{n}" for i, n in values), "diff.list_separator")
    if field == "roles":
        return words.join((words.role(r) for r in values), "diff.list_separator")
    if field == "companions":
        return words.join((f"{words.category(c)} → {a}" for c, a in values), "diff.list_separator")
    return words.join((_quote(field, v, words) for v in values), "diff.list_separator")


def _change(field: str, change: dict[str, Any], words: Words) -> str:
    label = words.t(f"diff.field.{field}")
    if "added" in change or "removed" in change:
        parts = []
        if change.get("added"):
            parts.append("+ " + _values(field, change["added"], words))
        if change.get("removed"):
            parts.append("- " + _values(field, change["removed"], words))
        return words.t("diff.set_change", field=label, marked=" ".join(parts))
    old, new = _quote(field, change["old"], words), _quote(field, change["new"], words)
    return words.t("diff.value_change", field=label, old=old, new=new)


def _record(entry: dict[str, Any], words: Words, skip: tuple[str, ...] = ()) -> str:
    """The fields of a record added or removed, on one line."""
    parts = []
    for k, v in entry.items():
        if k in ("id", "category", "alternatives", *skip) or v is None or v == []:
            continue
        text = _values(k, v, words) if isinstance(v, list) and k in SETS else _quote(k, v, words)
        parts.append(words.t("diff.record_field", field=words.t(f"diff.field.{k}"), value=text))
    return words.join(parts, "diff.record_separator")


def _alternative(mark: str, entry: dict[str, Any], detail: str, words: Words) -> str:
    """One alternative's line: its label and id, and ``detail``."""
    label = entry.get("label")
    named = words.t("diff.alternative_labelled", label=label, id=entry["id"]) if label else f"{entry['id']}"
    return words.t("diff.alternative", mark=mark, alternative=named, detail=detail)


def _head(section: str, kind: str, count: int, words: Words) -> str:
    """A section's heading: "categories added (2)"."""
    return words.t(
        "diff.head", section=words.t(f"diff.section.{section}"), kind=words.t(f"diff.kind.{kind}"), count=count
    )


def _categories(section: dict[str, Any], words: Words, out: list[str]) -> None:
    for kind, mark in (("added", "+"), ("removed", "-")):
        entries = section.get(kind, [])
        if entries:
            out.append(_head("categories", kind, len(entries), words))
        for entry in entries:
            out.append(f"  {mark} {words.category(entry['id'])}")
            detail = _record(entry, words, skip=("name",))
            if detail:
                out.append(f"      {detail}")
            for alt in entry.get("alternatives", []):
                out.append("      " + _alternative(mark, alt, _record(alt, words, ("label",)), words))
    changed = section.get("changed", [])
    if changed:
        out.append(_head("categories", "changed", len(changed), words))
    for entry in changed:
        out.append(f"  ~ {words.category(entry['id'])}")
        for field, change in entry.get("fields", {}).items():
            out.append(f"      {_change(field, change, words)}")
        alternatives = entry.get("alternatives", {})
        for alt in alternatives.get("added", []):
            out.append("      " + _alternative("+", alt, _record(alt, words, ("label",)), words))
        for alt in alternatives.get("removed", []):
            out.append("      " + _alternative("-", alt, _record(alt, words, ("label",)), words))
        for alt in alternatives.get("changed", []):
            changes = words.join((_change(f, c, words) for f, c in alt["fields"].items()), "diff.record_separator")
            out.append("      " + _alternative("~", alt, changes, words))


ITEM_GROUPS = ("name", "issuer_class", "default_cost")
"""The item changes the text lists on their own, each under its heading (``diff.items_by``)."""


def _items(section: dict[str, Any], words: Words, out: list[str]) -> None:
    for kind, mark in (("added", "+"), ("removed", "-")):
        entries = section.get(kind, [])
        if entries:
            out.append(_head("items", kind, len(entries), words))
        for entry in entries:
            out.append(f"  {mark} {words.item(entry['id'])}: {_record(entry, words, ('name',))}")
    changed = section.get("changed", [])
    for field in ITEM_GROUPS:
        entries = [e for e in changed if field in e["fields"]]
        if entries:
            out.append(words.t(f"diff.items_by.{field}", count=len(entries)))
        for entry in entries:
            change = entry["fields"][field]
            head = entry["id"] if field == "name" else words.item(entry["id"])
            out.append(f"  ~ {head}: {_quote(field, change['old'], words)} → {_quote(field, change['new'], words)}")
    rest = [e for e in changed if set(e["fields"]) - set(ITEM_GROUPS)]
    if rest:
        out.append(words.t("diff.items_otherwise", count=len(rest)))
    for entry in rest:
        changes = (_change(f, c, words) for f, c in entry["fields"].items() if f not in ITEM_GROUPS)
        out.append(f"  ~ {words.item(entry['id'])}: {words.join(changes, 'diff.record_separator')}")


def _generic(section_id: str, section: dict[str, Any], words: Words, out: list[str]) -> None:
    for kind, mark in (("added", "+"), ("removed", "-"), ("changed", "~")):
        entries = section.get(kind, [])
        if entries:
            out.append(_head(section_id, kind, len(entries), words))
        for entry in entries:
            named = entry.get("name") or entry.get("label")
            head = (
                f"{entry['id']} {words.t('diff.quote', text=named)}"
                if named and kind == "changed"
                else str(entry["id"])
            )
            if kind == "changed":
                changes = (_change(f, c, words) for f, c in entry["fields"].items())
                detail = words.join(changes, "diff.record_separator")
            else:
                detail = _record(entry, words)
            out.append(f"  {mark} {head}: {detail}" if detail else f"  {mark} {head}")


def diff_summary(result: dict[str, Any], lang: str = ENGLISH) -> str:
    """One line: what changed, counted (in ``lang``)."""
    say = Phrases(lang)
    facts, files = result["facts"], result["files"]
    if not result["changed"]:
        note = say.t("diff.layout_only", files=say.t("diff.files", count=len(files["facts"])))
        return say.t("diff.no_change") + (note if files["facts"] else "")
    parts = []
    for section, body in facts.items():
        if section == "version":
            parts.append(say.t("diff.summary_version", old=body["old"], new=body["new"]))
        elif section == "other":
            parts.append(say.t("diff.summary_other", predicates=say.t("diff.predicates", count=len(body))))
        else:
            counted = say.join(
                (
                    say.t("diff.summary_count", count=len(body[k]), kind=say.t(f"diff.kind.{k}"))
                    for k in ("added", "removed", "changed")
                    if body.get(k)
                ),
                "diff.list_separator",
            )
            parts.append(say.t("diff.summary_section", section=say.t(f"diff.section.{section}"), counted=counted))
    if files["logic"]:
        parts.append(say.t("diff.logic_changed", files=say.t("diff.files", count=len(files["logic"]))))
    else:
        parts.append(say.t("diff.logic_unchanged"))
    return say.t("diff.summary", parts=say.join(parts, "diff.record_separator"))


def diff_text(result: dict[str, Any], old: Knowledge, new: Knowledge, lang: str = ENGLISH) -> str:
    """The comparison as a report in ``lang``, section by section, ending with :func:`diff_summary`."""
    words = Words(old, new, lang)
    o, n = result["old"], result["new"]
    versions = {"old_version": o["ruleset"]["version"], "new_version": n["ruleset"]["version"]}
    out = [words.t("diff.header", old=o["source"], new=n["source"], **versions)]
    facts = result["facts"]
    if "version" in facts:
        out += ["", words.t("diff.version", old=facts["version"]["old"], new=facts["version"]["new"])]
    for section, body in facts.items():
        if section == "version":
            continue
        out.append("")
        if section == "categories":
            _categories(body, words, out)
        elif section == "items":
            _items(body, words, out)
        elif section == "other":
            out.append(words.t("diff.other_head", predicates=words.t("diff.predicates", count=len(body))))
            for change in body.values():
                for atom in change.get("added", []):
                    out.append(f"  + {atom}")
                for atom in change.get("removed", []):
                    out.append(f"  - {atom}")
        else:
            _generic(section, body, words, out)
    logic = result["logic"]
    out.append("")
    if result["files"]["logic"]:
        out.append(words.t("diff.rules_changed", files=", ".join(result["files"]["logic"])))
        out.append(logic["diff"].rstrip("\n"))
    else:
        out.append(words.t("diff.rules_unchanged"))
    out += ["", diff_summary(result, lang)]
    return "\n".join(out) + "\n"


def run_diff(
    old: str, new: str, *, fmt: str = "text", exit_code: bool = False, lang: str = ENGLISH, out: IO[str] = sys.stdout
) -> int:
    """``livegate diff OLD NEW``: 0, or 1 with ``exit_code`` when something changed.
    Raises :class:`~livegate.rulesets.RulesetError` or :class:`~livegate.kb.KnowledgeError`."""
    with checkout(old) as old_source, checkout(new) as new_source:
        old_kb, new_kb = old_source.load(), new_source.load()
        result = compare(old_source, new_source, (old_kb, new_kb))
    if fmt == "json":
        out.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(diff_text(result, old_kb, new_kb, lang))
    return 1 if exit_code and result["changed"] else 0
