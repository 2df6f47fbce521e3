"""Two rulesets side by side: where each one is, and what changed between them.

A ruleset is named as ``livegate diff`` and ``livegate impact`` take it: a
folder holding ``facts/`` and ``logic/`` (a copy of the knowledge base), or a
git revision of the repository (``HEAD~3``, ``v1.0.0``), whose two folders are
extracted with ``git archive`` into a temporary folder — the working tree is
never checked out or written. :func:`checkout` gives a :class:`RulesetSource`
for either.

:func:`compare` is the semantic comparison: the facts of each side are
grounded and grouped, predicate by predicate, into records keyed by their ids
(a category, an alternative of a category, an item …), so reordering facts, or
moving them from one file to another, changes nothing. Every predicate that
``facts/catalogue.lp`` documents has its record and field in :data:`SCHEMA`;
a fact of any other predicate is compared as it is, under ``other``. The
rules (``logic/``) are compared as text.
"""

from __future__ import annotations

import difflib
import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clingo

from .kb import Knowledge, KnowledgeError, _load_facts, _value, default_paths
from .words import Message, Said

__all__ = [
    "SCHEMA",
    "SECTIONS",
    "RulesetError",
    "RulesetSource",
    "checkout",
    "compare",
    "compare_facts",
    "compare_files",
    "extract",
    "facts_records",
]


class RulesetError(Said, Exception):
    """A ruleset could not be found: neither a folder with ``facts/`` and ``logic/`` nor a git revision
    (its words, ``said``: the catalogue's ``ruleset.*``)."""


@dataclass(frozen=True)
class RulesetSource:
    """One side of a comparison: ``root`` holds ``facts/`` and ``logic/``; ``label`` is how
    reports name it (the folder or revision as given); ``revision`` is the commit, if any."""

    label: str
    root: Path
    revision: str | None = None

    @property
    def facts(self) -> Path:
        return self.root / "facts"

    @property
    def logic(self) -> Path:
        return self.root / "logic"

    def load(self) -> Knowledge:
        """The knowledge base of this side (``KnowledgeError`` if it is broken)."""
        return Knowledge.load(self.facts, self.logic)

    def describe(self) -> dict[str, Any]:
        return {"source": self.label, "revision": self.revision}


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)


def repository(start: Path | None = None) -> Path | None:
    """The git repository a revision is read from: the one around ``start`` (default: the
    current folder), else the one holding the package's knowledge base; None if neither."""
    candidates = [start or Path.cwd()]
    with suppress(KnowledgeError):
        candidates.append(default_paths()[0].resolve().parent)
    for folder in candidates:
        try:
            done = _git(folder, "rev-parse", "--show-toplevel")
        except OSError:  # no git on this machine
            return None
        if done.returncode == 0:
            return Path(done.stdout.decode().strip())
    return None


def resolve_revision(spec: str, repo: Path) -> str | None:
    """The commit ``spec`` names in ``repo``, or None."""
    done = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{spec}^{{commit}}")
    return done.stdout.decode().strip() if done.returncode == 0 else None


def extract(repo: Path, commit: str, into: Path, folders: Iterable[str] = ("facts", "logic")) -> None:
    """Write ``folders`` of ``commit`` under ``into`` (``git archive``; the working tree is untouched)."""
    done = _git(repo, "archive", "--format=tar", commit, "--", *folders)
    if done.returncode != 0:
        raise RulesetError(Message("ruleset.archive_failed", commit=commit[:12], error=done.stderr.decode().strip()))
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(into, filter="data")


@contextmanager
def checkout(spec: str, *, repo: Path | None = None) -> Iterator[RulesetSource]:
    """The ruleset ``spec`` names, for the duration of the ``with`` block: a folder holding
    ``facts/`` and ``logic/`` as it is, or a git revision of ``repo`` (default:
    :func:`repository`) extracted into a temporary folder removed afterwards."""
    folder = Path(spec)
    if (folder / "facts").is_dir() and (folder / "logic").is_dir():
        yield RulesetSource(spec, folder)
        return
    where = repo or repository()
    commit = resolve_revision(spec, where) if where is not None else None
    if where is None or commit is None:
        if where is None:
            raise RulesetError(Message("ruleset.not_found_no_repository", spec=spec))
        raise RulesetError(Message("ruleset.not_found", spec=spec, repository=where))
    with tempfile.TemporaryDirectory(prefix="livegate-ruleset-") as tmp:
        extract(where, commit, Path(tmp))
        source = RulesetSource(spec, Path(tmp), commit)
        if not (source.facts.is_dir() and source.logic.is_dir()):
            raise RulesetError(Message("ruleset.no_folders", spec=spec, commit=commit[:12]))
        yield source


# -- the facts as records ----------------------------------------------------------------
SECTIONS = (
    "categories",
    "alternatives",
    "items",
    "issuer_classes",
    "activities",
    "access_methods",
    "roles",
    "scenarios",
    "subject_types",
    "external_categories",
    "notes",
    "general_notes",
)
"""The records the facts are grouped into, in the order reports list them."""

Field = tuple[str, tuple[int, ...]]
SCHEMA: dict[str, tuple[str, tuple[int, ...], tuple[Field, ...]]] = {
    # predicate/arity: (section, positions of the key, ((field, positions of its value), ...))
    "ruleset_version/1": ("ruleset", (), (("version", (0,)),)),
    "subject_type/2": ("subject_types", (0,), (("name", (1,)),)),
    "unsupported_subject_type/2": ("subject_types", (0,), (("unsupported_line", (1,)),)),
    "direct_route/3": ("subject_types", (0,), (("direct_route", (1, 2)),)),
    "subject_type_rule/2": ("subject_types", (0,), (("rule", (1,)),)),
    "role/2": ("roles", (0,), (("name", (1,)),)),
    "role_implied_by_subject/2": ("roles", (0,), (("implied_by_subject", (1,)),)),
    "scenario/2": ("scenarios", (0,), (("name", (1,)),)),
    "access_method/3": ("access_methods", (0,), (("name", (1,)), ("url", (2,)))),
    "issuer_class/2": ("issuer_classes", (0,), (("default_cost", (1,)),)),
    "issuer_class_name/2": ("issuer_classes", (0,), (("name", (1,)),)),
    "item/3": ("items", (0,), (("name", (1,)), ("issuer_class", (2,)))),
    "item_qualified/3": ("items", (0,), (("plain_form", (1,)), ("qualifier", (2,)))),
    "category/2": ("categories", (0,), (("name", (1,)),)),
    "category_source/4": ("categories", (0,), (("source", (1, 2, 3)),)),
    "category_scenario/2": ("categories", (0,), (("scenario", (1,)),)),
    "category_scene/2": ("categories", (0,), (("scene", (1,)),)),
    "category_scope/2": ("categories", (0,), (("scope", (1,)),)),
    "category_access/2": ("categories", (0,), (("access", (1,)),)),
    "companion_access/3": ("categories", (0,), (("companions", (1, 2)),)),
    "alternative/3": ("alternatives", (0, 1), (("label", (2,)),)),
    "requires_item/3": ("alternatives", (0, 1), (("items", (2,)),)),
    "requires_count/4": ("alternatives", (0, 1), (("counts", (2, 3)),)),
    "reserved_for/3": ("alternatives", (0, 1), (("roles", (2,)),)),
    "activity/3": ("activities", (0,), (("category", (1,)), ("text", (2,)))),
    "activity_label/2": ("activities", (0,), (("label", (1,)),)),
    "activity_effect/2": ("activities", (0,), (("effects", (1,)),)),
    "activity_remedy/2": ("activities", (0,), (("remedy", (1,)),)),
    "activity_line/2": ("activities", (0,), (("line", (1,)),)),
    "external_category/2": ("external_categories", (0,), (("name", (1,)),)),
    "category_note/3": ("notes", (1,), (("category", (0,)), ("text", (2,)))),
    "note_lead_time/2": ("notes", (0,), (("lead_time_days", (1,)),)),
    "note_line/2": ("notes", (0,), (("line", (1,)),)),
    "general_note/3": ("general_notes", (0,), (("text", (1,)), ("line", (2,)))),
}
"""Every predicate ``facts/catalogue.lp`` documents: the record it describes and the field it
gives. A field holds a set of values (one for most; ``items`` of an alternative, ``effects``
of an activity, ``companions`` of a category hold several)."""

Records = dict[str, dict[tuple[Any, ...], dict[str, set[Any]]]]


def facts_records(symbols: Iterable[clingo.Symbol]) -> tuple[Records, dict[str, set[str]]]:
    """The facts as records (section → key → field → values) and, per signature, the facts of
    predicates :data:`SCHEMA` does not know (as clingo writes them)."""
    records: Records = {}
    other: dict[str, set[str]] = {}
    for sym in symbols:
        if sym.type != clingo.SymbolType.Function or not sym.name:
            continue
        signature = f"{sym.name}/{len(sym.arguments)}"
        shape = SCHEMA.get(signature)
        if shape is None:
            other.setdefault(signature, set()).add(str(sym))
            continue
        section, key_at, fields = shape
        args = [_value(a) for a in sym.arguments]
        record = records.setdefault(section, {}).setdefault(tuple(args[k] for k in key_at), {})
        for name, at in fields:
            record.setdefault(name, set()).add(args[at[0]] if len(at) == 1 else tuple(args[k] for k in at))
    return records, other


MULTI = frozenset({"items", "counts", "roles", "effects", "companions", "implied_by_subject"})
"""Fields that hold a set of values by nature: given as lists, and their changes as
``added``/``removed`` (the others as ``old``/``new``)."""

NAMED_BY = ("name", "label")
"""Fields that name a record: a changed record carries the first it has, as it reads now."""


def _sorted(values: Iterable[Any]) -> list[Any]:
    ordered = sorted(values, key=lambda v: (str(type(v)), v))
    return [list(v) if isinstance(v, tuple) else v for v in ordered]


def _plain(name: str, values: set[Any] | None) -> Any:
    """A field's values as JSON: a list for a set-valued field; else None, the one value, or a list."""
    out = _sorted(values or ())
    if name in MULTI:
        return out
    return out[0] if len(out) == 1 else (out or None)


def _fields(record: dict[str, set[Any]]) -> dict[str, Any]:
    return {name: _plain(name, values) for name, values in sorted(record.items())}


def _changed_fields(old: dict[str, set[Any]], new: dict[str, set[Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(set(old) | set(new)):
        was, now = old.get(name, set()), new.get(name, set())
        if was == now:
            continue
        if name in MULTI:
            out[name] = {"added": _sorted(now - was), "removed": _sorted(was - now)}
        else:
            out[name] = {"old": _plain(name, was), "new": _plain(name, now)}
    return out


def _named(old: dict[str, set[Any]], new: dict[str, set[Any]]) -> dict[str, Any]:
    for name in NAMED_BY:
        if new.get(name) or old.get(name):
            return {name: _plain(name, new.get(name) or old.get(name))}
    return {}


def _order(keys: Iterable[tuple[Any, ...]], position: dict[Any, int]) -> list[tuple[Any, ...]]:
    return sorted(keys, key=lambda k: (position.get(k[0], len(position)), [str(x) for x in k]))


def _section_diff(
    old: dict[tuple[Any, ...], dict[str, set[Any]]],
    new: dict[tuple[Any, ...], dict[str, set[Any]]],
    position: dict[Any, int],
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    for key in _order(set(old) | set(new), position):
        entry = {"id": key[-1]} if len(key) == 1 else {"category": key[0], "id": key[-1]}
        if key not in old:
            out["added"].append({**entry, **_fields(new[key])})
        elif key not in new:
            out["removed"].append({**entry, **_fields(old[key])})
        elif changed := _changed_fields(old[key], new[key]):
            out["changed"].append({**entry, **_named(old[key], new[key]), "fields": changed})
    return {kind: entries for kind, entries in out.items() if entries}


def compare_facts(old: Knowledge, new: Knowledge) -> dict[str, Any]:
    """The semantic difference of two knowledge bases' facts, section by section; empty when the
    facts are the same (whatever their order, layout or files)."""
    old_records, old_other = facts_records(_load_facts(list(old.facts_files)))
    new_records, new_other = facts_records(_load_facts(list(new.facts_files)))
    position: dict[Any, int] = {}
    for c in [*new.catalogue.categories, *old.catalogue.categories]:  # the source's order; removed ones last
        position.setdefault(c, len(position))
    out: dict[str, Any] = {}
    for section in SECTIONS:
        diff = _section_diff(old_records.get(section, {}), new_records.get(section, {}), position)
        if diff:
            out[section] = diff

    # an item's cost is its issuer class's: a re-classed item, or a class whose cost changed, re-costs it
    recosted = {
        i: (old.catalogue.items[i].default_cost, item.default_cost)
        for i, item in new.catalogue.items.items()
        if i in old.catalogue.items and old.catalogue.items[i].default_cost != item.default_cost
    }
    if recosted:
        changed = out.setdefault("items", {}).setdefault("changed", [])
        by_id = {entry["id"]: entry for entry in changed}
        for i, (was, now) in recosted.items():
            if i not in by_id:
                by_id[i] = {"id": i, "name": new.catalogue.items[i].name, "fields": {}}
                changed.append(by_id[i])
            by_id[i]["fields"]["default_cost"] = {"old": was, "new": now}
        changed.sort(key=lambda entry: entry["id"])

    # alternatives are reported inside their category: of a category added or removed, with it
    alternatives = out.pop("alternatives", {})
    categories = out.setdefault("categories", {})
    for kind, entries in alternatives.items():
        for entry in entries:
            c = entry.pop("category")
            whole = next((e for e in categories.get(kind, []) if e["id"] == c), None) if kind != "changed" else None
            if whole is not None:
                whole.setdefault("alternatives", []).append(entry)
                continue
            target = next((e for e in categories.get("changed", []) if e["id"] == c), None)
            if target is None:
                known = new.catalogue.categories.get(c) or old.catalogue.categories.get(c)
                target = {"id": c, "name": known.name if known else c, "fields": {}}
                categories.setdefault("changed", []).append(target)
            target.setdefault("alternatives", {}).setdefault(kind, []).append(entry)
    if "changed" in categories:
        categories["changed"].sort(key=lambda e: (position.get(e["id"], len(position)), e["id"]))
        for entry in categories["changed"]:
            if not entry["fields"]:
                del entry["fields"]
    if not categories:
        del out["categories"]

    version = _changed_fields(old_records.get("ruleset", {}).get((), {}), new_records.get("ruleset", {}).get((), {}))
    if version:
        out["version"] = version["version"]
    other: dict[str, dict[str, list[str]]] = {}
    for signature in sorted(set(old_other) | set(new_other)):
        old_atoms, new_atoms = old_other.get(signature, set()), new_other.get(signature, set())
        change = {"added": sorted(new_atoms - old_atoms), "removed": sorted(old_atoms - new_atoms)}
        if change["added"] or change["removed"]:
            other[signature] = {kind: atoms for kind, atoms in change.items() if atoms}
    if other:
        out["other"] = other
    order = ["version", *(s for s in SECTIONS if s != "alternatives"), "other"]
    return {section: out[section] for section in order if section in out}


# -- the files ---------------------------------------------------------------------------
def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _text(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)


def compare_files(old: Path, new: Path, name: str, *, text: bool) -> dict[str, Any]:
    """Which files of two folders differ, by their bytes; with ``text``, their unified diff."""
    was, now = _files(old), _files(new)
    out: dict[str, Any] = {
        "added": sorted(set(now) - set(was)),
        "removed": sorted(set(was) - set(now)),
        "changed": sorted(f for f in set(was) & set(now) if was[f].read_bytes() != now[f].read_bytes()),
    }
    if text:
        lines: list[str] = []
        for f in sorted(set(was) | set(now)):
            if f in out["added"] or f in out["removed"] or f in out["changed"]:
                a = _text(was[f]) if f in was else []
                b = _text(now[f]) if f in now else []
                diff = difflib.unified_diff(
                    a, b, f"a/{name}/{f}" if f in was else os.devnull, f"b/{name}/{f}" if f in now else os.devnull
                )
                lines += [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff]
        out["diff"] = "".join(lines)
    return out


def compare(
    old: RulesetSource, new: RulesetSource, knowledge: tuple[Knowledge, Knowledge] | None = None
) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: the facts by meaning, the rules as text
    (``knowledge``: the two sides already loaded).

    ``changed`` is true when a fact or a file of ``logic/`` differs; files of ``facts/``
    whose bytes differ while their facts do not (comments, order, layout) are listed under
    ``files`` only."""
    old_kb, new_kb = knowledge or (old.load(), new.load())
    facts = compare_facts(old_kb, new_kb)
    logic = compare_files(old.logic, new.logic, "logic", text=True)
    files = compare_files(old.facts, new.facts, "facts", text=False)
    logic_changed = bool(logic["added"] or logic["removed"] or logic["changed"])
    return {
        "old": {**old.describe(), "ruleset": old_kb.ruleset},
        "new": {**new.describe(), "ruleset": new_kb.ruleset},
        "changed": bool(facts) or logic_changed,
        "facts": facts,
        "logic": logic,
        "files": {
            "facts": sorted(files["added"] + files["removed"] + files["changed"]),
            "logic": sorted(logic["added"] + logic["removed"] + logic["changed"]),
        },
    }
