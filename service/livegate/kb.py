"""The knowledge base on disk: where the ``.lp`` files are, their digest, and
the catalogue that ``facts/`` declares, as typed, read-only records.

The facts are read by grounding ``facts/`` alone and walking the atoms with
clingo's symbol API. Nothing here decides anything about a profile: the
catalogue is what the source says (names, sources, alternatives, notes), for
the words of an answer and for validating ids.

``facts/`` and ``logic/`` ship inside the package as ``livegate/facts`` and
``livegate/logic`` (in the source tree, links to the repository's top-level
folders, so an editable install reads the repository's own files);
:func:`default_paths` finds them with :mod:`importlib.resources`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import clingo

from .words import Message, Said, gloss

__all__ = [
    "AccessMethod",
    "Activity",
    "Alternative",
    "Catalogue",
    "Category",
    "Companion",
    "GeneralNote",
    "IssuerClass",
    "Item",
    "Knowledge",
    "KnowledgeError",
    "Note",
    "Requirement",
    "Role",
    "Scenario",
    "Source",
    "SubjectType",
    "default_paths",
]


class KnowledgeError(Said, Exception):
    """The knowledge base could not be read or parsed (a broken ``.lp`` file). Its words
    (``said``) are the catalogue's ``kb.*``, or clingo's own for a file that does not parse."""


def default_paths() -> tuple[Path, Path]:
    """The ``facts/`` and ``logic/`` folders shipped with the package."""
    package = Path(str(files("livegate")))
    facts, logic = package / "facts", package / "logic"
    if not (logic / "main.lp").is_file():
        raise KnowledgeError(Message("kb.not_found", path=logic / "main.lp"))
    return facts, logic


# -- the catalogue's records --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Source:
    """Where a category stands in the source: its heading path, its requirement link, its line."""

    section: str
    url: str
    line: int


@dataclass(frozen=True, slots=True)
class Requirement:
    """An alternative needs ``count`` of ``item`` (1 unless the item is counted)."""

    item: str
    count: int


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way to meet a category: all of its items; open only to ``reserved_for`` roles if any."""

    id: str
    label: str
    items: tuple[Requirement, ...]
    reserved_for: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Companion:
    """Held together with category ``category``, the owner grants ``access``."""

    category: str
    access: str


@dataclass(frozen=True, slots=True)
class Category:
    """A service category as the source describes it."""

    id: str
    name: str
    alternatives: tuple[Alternative, ...]
    notes: tuple[str, ...]
    activities: tuple[str, ...]
    companions: tuple[Companion, ...]
    source: Source
    scenario: str
    scene: str | None
    scope: str | None
    access: str

    def alternative(self, alt: str) -> Alternative:
        return next(a for a in self.alternatives if a.id == alt)


@dataclass(frozen=True, slots=True)
class Item:
    """A document a requirement names; a qualified one names its plain form."""

    id: str
    name: str
    issuer_class: str
    default_cost: int
    qualifier: str | None
    plain_form: str | None
    qualified_forms: tuple[str, ...]
    counted: bool
    unit: str | None = None
    """What one of a counted item is counted in (``counted_unit/2``), where the facts say."""
    subject_types: tuple[str, ...] = ()
    """The only subject types that can hold the item (``item_subject_type/2``); empty: any."""


@dataclass(frozen=True, slots=True)
class Activity:
    """Something a profile may declare, from a note of ``category``; ``effects`` as the facts write them."""

    id: str
    category: str
    label: str | None
    text: str
    effects: tuple[str, ...]
    remedy: str | None
    line: int | None = None  # of the source, where its note is


@dataclass(frozen=True, slots=True)
class Note:
    """A note that always travels with its category (e.g. a review lead time)."""

    id: str
    text: str | None
    category: str | None
    lead_time_days: int | None
    line: int | None = None  # of the source


@dataclass(frozen=True, slots=True)
class GeneralNote:
    """A note of the source's preamble that travels with every answer."""

    id: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class SubjectType:
    """A subject type; ``rule`` is the source's sentence about it, at ``line``."""

    id: str
    name: str
    supported: bool
    direct_access: str | None
    rule: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class Role:
    """A role some alternatives are reserved for, the subject types that may hold it, and the roles
    a subject holding it cannot also hold (``roles_exclusive/2``, either way round)."""

    id: str
    name: str
    subject_types: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class AccessMethod:
    id: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class IssuerClass:
    id: str
    name: str
    default_cost: int


@dataclass(frozen=True)
class Catalogue:
    """Everything ``facts/`` declares. Mappings keep the order the answer uses
    (categories by their line in the source; other ids sorted)."""

    version: str
    subject_types: dict[str, SubjectType]
    roles: dict[str, Role]
    role_implied_by_subject: dict[str, str]
    scenarios: dict[str, Scenario]
    access_methods: dict[str, AccessMethod]
    issuer_classes: dict[str, IssuerClass]
    items: dict[str, Item]
    categories: dict[str, Category]
    activities: dict[str, Activity]
    external_categories: dict[str, str]
    notes: dict[str, Note]
    general_notes: tuple[GeneralNote, ...]
    counted_limit: dict[str, int] = field(default_factory=dict)
    """The largest count any requirement asks of each counted item."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Earlier item ids still accepted in profiles, each with its item (``item_alias/2``)."""

    @classmethod
    def from_symbols(cls, symbols: Iterable[clingo.Symbol]) -> Catalogue:
        by: dict[str, list[list[Any]]] = {}
        for sym in symbols:
            if sym.type == clingo.SymbolType.Function and sym.name:
                by.setdefault(f"{sym.name}/{len(sym.arguments)}", []).append([_value(a) for a in sym.arguments])

        def rows(sig: str) -> list[list[Any]]:
            return sorted(by.get(sig, []), key=lambda r: [str(x) for x in r])

        version = next((v for (v,) in rows("ruleset_version/1")), "")
        rules = dict(rows("subject_type_rule/2"))
        unsupported = dict(rows("unsupported_subject_type/2"))
        direct = {t: (a, line) for t, a, line in rows("direct_route/3")}
        subject_types = {
            t: SubjectType(
                t,
                name,
                t not in unsupported,
                direct.get(t, (None, None))[0],
                rules.get(t),
                unsupported.get(t, direct.get(t, (None, None))[1]),
            )
            for t, name in rows("subject_type/2")
        }
        class_names = dict(rows("issuer_class_name/2"))
        issuer_classes = {k: IssuerClass(k, class_names.get(k, k), w) for k, w in rows("issuer_class/2")}
        qualified = {q: (p, text) for q, p, text in rows("item_qualified/3")}
        counts = {(c, a, i): n for c, a, i, n in rows("requires_count/4")}
        counted: dict[str, int] = {}
        for (_c, _a, i), n in counts.items():
            counted[i] = max(counted.get(i, 0), n)
        units = dict(rows("counted_unit/2"))
        items = {
            i: Item(
                i,
                name,
                klass,
                issuer_classes[klass].default_cost if klass in issuer_classes else 0,
                qualified[i][1] if i in qualified else None,
                qualified[i][0] if i in qualified else None,
                tuple(q for q, (p, _) in qualified.items() if p == i),
                i in counted,
                units.get(i),
                tuple(t for i2, t in rows("item_subject_type/2") if i2 == i),
            )
            for i, name, klass in rows("item/3")
        }

        alternatives: dict[tuple[str, str], dict[str, Any]] = {}
        for c, alt, label in rows("alternative/3"):
            alternatives[(c, alt)] = {"id": alt, "label": label, "items": [], "reserved_for": []}
        # a fact about an alternative or an activity the facts do not declare is left out here:
        # `livegate lint` names it (undeclared_alternative, undeclared_activity), and can only
        # if loading does not stop at the first one
        for c, alt, i in rows("requires_item/3"):
            if (c, alt) in alternatives:
                alternatives[(c, alt)]["items"].append(Requirement(i, counts.get((c, alt, i), 1)))
        for c, alt, r in rows("reserved_for/3"):
            if (c, alt) in alternatives:
                alternatives[(c, alt)]["reserved_for"].append(r)
        by_category: dict[str, list[Alternative]] = {}
        for (c, _), a in sorted(alternatives.items(), key=lambda kv: kv[1]["label"]):
            by_category.setdefault(c, []).append(
                Alternative(a["id"], a["label"], tuple(a["items"]), tuple(a["reserved_for"]))
            )

        notes: dict[str, dict[str, Any]] = {}
        category_notes: dict[str, list[str]] = {}

        def note(n: str) -> dict[str, Any]:
            return notes.setdefault(n, {"text": None, "category": None, "lead_time_days": None, "line": None})

        for n, days in rows("note_lead_time/2"):
            note(n)["lead_time_days"] = days
        for n, line in rows("note_line/2"):
            note(n)["line"] = line
        for c, n, text in rows("category_note/3"):
            category_notes.setdefault(c, []).append(n)
            note(n).update({"text": text, "category": c})
        activity_rows: dict[str, dict[str, Any]] = {}
        category_activities: dict[str, list[str]] = {}
        for a, c, text in rows("activity/3"):
            activity_rows[a] = {"category": c, "label": None, "text": text, "effects": [], "remedy": None}
            category_activities.setdefault(c, []).append(a)
        for a, text in rows("activity_label/2"):
            if a in activity_rows:
                activity_rows[a]["label"] = text
        for a, effect in rows("activity_effect/2"):
            if a in activity_rows:
                activity_rows[a]["effects"].append(effect)
        for a, text in rows("activity_remedy/2"):
            if a in activity_rows:
                activity_rows[a]["remedy"] = text
        for a, line in rows("activity_line/2"):
            if a in activity_rows:
                activity_rows[a]["line"] = line

        single = {
            sig: {row[0]: row[1:] for row in rows(sig)}
            for sig in (
                "category_source/4",
                "category_scenario/2",
                "category_scene/2",
                "category_scope/2",
                "category_access/2",
            )
        }
        companions: dict[str, list[Companion]] = {}
        for c, p, a in rows("companion_access/3"):
            companions.setdefault(c, []).append(Companion(p, a))
        categories = [
            Category(
                c,
                name,
                tuple(by_category.get(c, [])),
                tuple(category_notes.get(c, [])),
                tuple(category_activities.get(c, [])),
                tuple(companions.get(c, [])),
                Source(*single["category_source/4"][c]) if c in single["category_source/4"] else Source("", "", 0),
                single["category_scenario/2"].get(c, [""])[0],
                single["category_scene/2"].get(c, [None])[0],
                single["category_scope/2"].get(c, [None])[0],
                single["category_access/2"].get(c, [""])[0],
            )
            for c, name in rows("category/2")
        ]
        categories.sort(key=lambda c: (c.source.line, c.name))

        return cls(
            version=version,
            subject_types=subject_types,
            roles={
                r: Role(
                    r,
                    n,
                    tuple(t for r2, t in rows("role_subject_type/2") if r2 == r),
                    tuple(sorted({b if a == r else a for a, b in rows("roles_exclusive/2") if r in (a, b)})),
                )
                for r, n in rows("role/2")
            },
            role_implied_by_subject=dict(rows("role_implied_by_subject/2")),
            scenarios={s: Scenario(s, n) for s, n in rows("scenario/2")},
            access_methods={a: AccessMethod(a, n, u) for a, n, u in rows("access_method/3")},
            issuer_classes=issuer_classes,
            items=items,
            categories={c.id: c for c in categories},
            activities={
                a: Activity(a, r["category"], r["label"], r["text"], tuple(r["effects"]), r["remedy"], r.get("line"))
                for a, r in activity_rows.items()
            },
            external_categories=dict(rows("external_category/2")),
            notes={n: Note(n, v["text"], v["category"], v["lead_time_days"], v["line"]) for n, v in notes.items()},
            general_notes=tuple(
                sorted((GeneralNote(n, text, line) for n, text, line in rows("general_note/3")), key=lambda g: g.line)
            ),
            counted_limit=counted,
            aliases=dict(rows("item_alias/2")),
        )

    def to_json(self, ruleset: dict[str, str]) -> dict[str, Any]:
        """The catalogue as the CLI and the API publish it (``GET /v1/catalogue``)."""
        return {
            "ruleset": dict(ruleset),
            "categories": [
                {
                    "id": c.id,
                    "name": c.name,
                    "alternatives": [
                        {
                            "id": a.id,
                            "label": a.label,
                            "items": [{"item": r.item, "count": r.count} for r in a.items],
                            "reserved_for": list(a.reserved_for),
                        }
                        for a in c.alternatives
                    ],
                    "notes": [self._note_json(n) for n in c.notes],
                    "activities": list(c.activities),
                    "companions": [{"category": p.category, "access": p.access} for p in c.companions],
                    "source": {"section": c.source.section, "url": c.source.url, "line": c.source.line},
                    "scenario": c.scenario,
                    "scene": c.scene,
                    "scope": c.scope,
                    "access": c.access,
                    "en": {
                        "name": gloss("categories", c.id),
                        "scope": gloss("scopes", c.id),
                    },
                }
                for c in self.categories.values()
            ],
            "items": [
                {
                    "id": i.id,
                    "name": i.name,
                    "issuer_class": i.issuer_class,
                    "default_cost": i.default_cost,
                    "qualifier": i.qualifier,
                    "plain_form": i.plain_form,
                    "qualified_forms": list(i.qualified_forms),
                    "counted": i.counted,
                    "unit": i.unit,
                    "subject_types": list(i.subject_types),
                    "en": {
                        "name": gloss("items", i.id),
                        "qualifier": gloss("qualifiers", i.id),
                        "unit": gloss("units", i.unit) if i.unit else None,
                    },
                }
                for i in self.items.values()
            ],
            "roles": [
                {
                    "id": r.id,
                    "name": r.name,
                    "subject_types": list(r.subject_types),
                    "excludes": list(r.excludes),
                    "en": {"name": gloss("roles", r.id)},
                }
                for r in self.roles.values()
            ],
            "activities": [
                {
                    "id": a.id,
                    "category": a.category,
                    "label": a.label,
                    "text": a.text,
                    "effects": list(a.effects),
                    "remedy": a.remedy,
                    "line": a.line,
                    "en": {
                        "label": gloss("activities", a.id),
                        "text": gloss("activity_notes", a.id),
                        "remedy": gloss("remedies", a.id) if a.remedy else None,
                    },
                }
                for a in self.activities.values()
            ],
            "scenarios": [
                {"id": s.id, "name": s.name, "en": {"name": gloss("scenarios", s.id)}} for s in self.scenarios.values()
            ],
            "subject_types": [
                {
                    "id": t.id,
                    "name": t.name,
                    "supported": t.supported,
                    "direct_access": t.direct_access,
                    "rule": t.rule,
                    "line": t.line,
                    "en": {
                        "name": gloss("subject_types", t.id),
                        "rule": gloss("subject_rules", t.id) if t.rule else None,
                    },
                }
                for t in self.subject_types.values()
            ],
            "access_methods": [
                {"id": a.id, "name": a.name, "url": a.url, "en": {"name": gloss("access_methods", a.id)}}
                for a in self.access_methods.values()
            ],
            "issuer_classes": [
                {
                    "id": k.id,
                    "name": k.name,
                    "default_cost": k.default_cost,
                    "en": {"name": gloss("issuer_classes", k.id)},
                }
                for k in self.issuer_classes.values()
            ],
            "external_categories": [
                {"id": x, "name": n, "en": {"name": gloss("external_categories", x)}}
                for x, n in self.external_categories.items()
            ],
            "general_notes": [
                {"id": g.id, "text": g.text, "line": g.line, "en": {"text": gloss("notes", g.id)}}
                for g in self.general_notes
            ],
            "item_aliases": dict(self.aliases),
        }

    def _note_json(self, n: str) -> dict[str, Any]:
        note = self.notes[n]
        out: dict[str, Any] = {"id": n}
        if note.lead_time_days is not None:
            out["lead_time_days"] = note.lead_time_days
        if note.text is not None:
            out.update(text=note.text, category=note.category, en={"text": gloss("notes", n)})
        if note.line is not None:
            out["line"] = note.line
        return out


def _value(sym: clingo.Symbol) -> Any:
    if sym.type == clingo.SymbolType.String:
        return sym.string
    if sym.type == clingo.SymbolType.Number:
        return sym.number
    return str(sym)


def ground_files(
    paths: Iterable[Path],
    parts: list[tuple[str, list[clingo.Symbol]]] | None = None,
    arguments: Iterable[str] = ("--warn=none",),
) -> clingo.Control:
    """A Control given ``arguments`` that has loaded ``paths`` and ground ``parts`` (None: loaded
    only, parsed). What clingo cannot read or ground is a :class:`KnowledgeError` in clingo's own
    words, naming the file and line (it printed them to stderr, and said "parsing failed")."""
    said: list[str] = []
    ctl = clingo.Control(list(arguments), logger=lambda _code, message: said.append(message.strip()))
    try:
        for path in paths:
            ctl.load(str(path))
        if parts is not None:
            ctl.ground(parts)
    except RuntimeError as exc:
        raise KnowledgeError("; ".join(said) or str(exc)) from None
    said.clear()
    return ctl


def _load_facts(files_: list[Path]) -> list[clingo.Symbol]:
    ctl = ground_files(files_, [("base", [])])
    return [atom.symbol for atom in ctl.symbolic_atoms if atom.is_fact]


def _program_parts(logic: Path) -> set[str]:
    """The names of the ``#program`` parts of the rules (without parameters), ``base`` aside."""
    return {
        name
        for path in logic.glob("*.lp")
        for name in re.findall(r"^\s*#program\s+(\w+)\s*\.", path.read_text(encoding="utf-8"), re.M)
        if name != "base"
    }


@dataclass(frozen=True)
class Knowledge:
    """The ``.lp`` files of one ruleset, their version and digest, and the catalogue."""

    facts_files: tuple[Path, ...]
    logic_entry: Path
    lint_file: Path
    digest: str
    catalogue: Catalogue

    @property
    def version(self) -> str:
        return self.catalogue.version

    @property
    def ruleset(self) -> dict[str, str]:
        """What every answer names: the ruleset's version and digest."""
        return {"version": self.version, "digest": self.digest}

    @classmethod
    def load(cls, facts_dir: Path | str | None = None, logic_dir: Path | str | None = None) -> Knowledge:
        default_facts, default_logic = default_paths()
        facts = Path(facts_dir or default_facts)
        logic = Path(logic_dir or default_logic)
        facts_files = sorted(facts.glob("*.lp"))
        if not facts_files:
            raise KnowledgeError(Message("kb.no_facts", folder=facts))
        entry = logic / "main.lp"
        if not entry.is_file():
            raise KnowledgeError(Message("kb.no_entry", path=entry))
        catalogue = Catalogue.from_symbols(_load_facts(facts_files))
        ground_files([entry])  # the rules parse: a syntax error is told here, not first by the solver
        return cls(tuple(facts_files), entry, logic / "checks" / "lint.lp", digest(facts, logic), catalogue)

    def lint(self, *, ground: bool = True) -> list[str]:
        """Run ``logic/checks/lint.lp`` over the facts, and (``ground``) ground the rules with them;
        one line per problem."""
        try:
            ctl = ground_files([*self.facts_files, self.lint_file], [("base", [])])
        except KnowledgeError as exc:
            return [str(exc)]
        problems: list[str] = []
        ctl.solve(
            on_model=lambda m: problems.extend(f"{s.arguments[0]}: {s.arguments[1]}" for s in m.symbols(shown=True))
        )
        said = self.grounding_error() if ground else None
        if said is not None:
            problems.append(f"ground_error: {said}")
        # every answer and response head carries the version (X-Ruleset-Version): a character a
        # header cannot hold would make every response of the service fail, probes included
        if self.version and not SEMVER.fullmatch(self.version):
            problems.append(f"bad_version: ruleset_version({self.version!r}) is not MAJOR.MINOR.PATCH")
        return sorted(problems)

    def grounding_error(self) -> str | None:
        """clingo's words if the rules do not ground with these facts, every program part of them
        (``#program`` names): an unsafe variable parses but stops grounding, and passed lint to be
        refused by ``serve`` (and hung ``batch``, whose workers failed to start over and over)."""
        parts = sorted(_program_parts(self.logic_entry.parent))
        try:
            ground_files([*self.facts_files, self.logic_entry], [("base", []), *((part, []) for part in parts)])
        except KnowledgeError as exc:
            return str(exc)
        return None

    def catalogue_json(self) -> dict[str, Any]:
        """The published catalogue of this knowledge base."""
        return self.catalogue.to_json(self.ruleset)


SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")
"""A ruleset's version: semantic versioning (semver.org), ASCII only."""


def same_rules(facts: Path, logic: Path, other_facts: Path, other_logic: Path) -> bool:
    """Whether two pairs of ``facts/`` and ``logic/`` folders hold the same ``.lp`` files, byte for
    byte (``logic/checks/`` included: ``livegate lint`` reads it)."""

    def files(f: Path, lg: Path) -> tuple[str, list[tuple[str, bytes]]]:
        checks = [(p.name, p.read_bytes()) for p in sorted((lg / "checks").glob("*.lp"))]
        return digest(f, lg), checks

    return files(facts, logic) == files(other_facts, other_logic)


def digest(facts: Path, logic: Path) -> str:
    """The ruleset digest of the folders ``facts`` and ``logic``: sha256 over each ``.lp`` file's
    ``facts/`` or ``logic/`` and name, then its bytes (``facts/*.lp`` sorted, then ``logic/*.lp``
    sorted; ``logic/checks/`` is no part of the ruleset). The folders' own names do not count: the
    same rules copied to ``/srv/kb_facts`` have the same digest (an integrator's review: a copy
    served from other folders said another ruleset)."""
    sha = hashlib.sha256()
    for name, folder in (("facts", facts), ("logic", logic)):
        for path in sorted(folder.glob("*.lp")):
            sha.update(f"{name}/{path.name}\n".encode())
            sha.update(path.read_bytes())
    return "sha256:" + sha.hexdigest()
