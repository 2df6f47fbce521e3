"""The knowledge base on disk: where the ``.lp`` files are, their digest, and
the catalogue read from ``facts/`` (static data: names, sources, alternatives).

The catalogue is read by grounding the facts alone and walking the atoms with
clingo's symbol API; nothing here decides anything about a profile.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import clingo

__all__ = ["Knowledge", "Catalogue", "KnowledgeError", "default_paths", "catalogue_dict"]


class KnowledgeError(Exception):
    """The knowledge base could not be read or parsed (a broken ``.lp`` file)."""


def default_paths() -> tuple[Path, Path]:
    """The ``facts/`` and ``logic/`` folders shipped with the package.

    Installed, they sit inside the package (``livegate/facts``); in a source
    tree (an editable install) beside it (``service/../facts``).
    """
    here = Path(__file__).resolve().parent
    for base in (here, here.parent):
        if (base / "facts").is_dir() and (base / "logic" / "main.lp").is_file():
            return base / "facts", base / "logic"
    raise KnowledgeError(f"the knowledge base (facts/, logic/) was not found near {here}")


def _load_facts(files: list[Path]) -> list[clingo.Symbol]:
    messages: list[str] = []
    ctl = clingo.Control(["--warn=none"], logger=lambda code, msg: messages.append(msg))
    try:
        for path in files:
            ctl.load(str(path))
        ctl.ground([("base", [])])
    except RuntimeError as exc:
        raise KnowledgeError("; ".join(m.strip() for m in messages) or str(exc)) from None
    return [atom.symbol for atom in ctl.symbolic_atoms if atom.is_fact]


def _value(sym: clingo.Symbol):
    if sym.type == clingo.SymbolType.String:
        return sym.string
    if sym.type == clingo.SymbolType.Number:
        return sym.number
    return str(sym)


@dataclass
class Catalogue:
    """Everything ``facts/`` declares, as plain Python data (ids are strings)."""

    version: str = ""
    subject_types: dict[str, str] = field(default_factory=dict)
    unsupported_subject_types: dict[str, int] = field(default_factory=dict)
    direct_routes: dict[str, tuple[str, int]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    role_implied_by_subject: dict[str, str] = field(default_factory=dict)
    scenarios: dict[str, str] = field(default_factory=dict)
    access_methods: dict[str, dict] = field(default_factory=dict)
    issuer_classes: dict[str, int] = field(default_factory=dict)
    items: dict[str, dict] = field(default_factory=dict)
    categories: dict[str, dict] = field(default_factory=dict)
    activities: dict[str, dict] = field(default_factory=dict)
    external_categories: dict[str, str] = field(default_factory=dict)
    notes: dict[str, dict] = field(default_factory=dict)
    general_notes: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def from_symbols(cls, symbols: list[clingo.Symbol]) -> "Catalogue":
        cat = cls()
        by: dict[str, list[list]] = {}
        for sym in symbols:
            if sym.type == clingo.SymbolType.Function and sym.name:
                by.setdefault(f"{sym.name}/{len(sym.arguments)}", []).append(
                    [_value(a) for a in sym.arguments]
                )
        rows = lambda sig: sorted(by.get(sig, []), key=lambda r: [str(x) for x in r])  # noqa: E731
        for (v,) in rows("ruleset_version/1"):
            cat.version = v
        cat.subject_types = {t: n for t, n in rows("subject_type/2")}
        cat.unsupported_subject_types = {t: line for t, line in rows("unsupported_subject_type/2")}
        cat.direct_routes = {t: (a, line) for t, a, line in rows("direct_route/3")}
        cat.roles = {r: n for r, n in rows("role/2")}
        cat.role_implied_by_subject = {r: t for r, t in rows("role_implied_by_subject/2")}
        cat.scenarios = {s: n for s, n in rows("scenario/2")}
        cat.access_methods = {a: {"id": a, "name": n, "url": u} for a, n, u in rows("access_method/3")}
        cat.issuer_classes = {k: w for k, w in rows("issuer_class/2")}
        cat.external_categories = {x: n for x, n in rows("external_category/2")}
        for i, name, klass in rows("item/3"):
            cat.items[i] = {
                "id": i, "name": name, "issuer_class": klass,
                "default_cost": cat.issuer_classes.get(klass), "qualifier": None,
                "plain_form": None, "qualified_forms": [], "counted": False,
            }
        for q, p, text in rows("item_qualified/3"):
            cat.items[q]["qualifier"] = text
            cat.items[q]["plain_form"] = p
            cat.items[p]["qualified_forms"].append(q)
        for n, text, line in rows("general_note/3"):
            cat.general_notes[n] = {"id": n, "text": text, "line": line}
        for n, days in rows("note_lead_time/2"):
            cat.notes.setdefault(n, {"id": n})["lead_time_days"] = days
        raw: dict[str, dict] = {}
        for c, name in rows("category/2"):
            raw[c] = {"id": c, "name": name, "alternatives": [], "notes": [], "activities": [],
                      "companions": []}
        for c, section, url, line in rows("category_source/4"):
            raw[c]["source"] = {"section": section, "url": url, "line": line}
        for c, s in rows("category_scenario/2"):
            raw[c]["scenario"] = s
        for c, text in rows("category_scene/2"):
            raw[c]["scene"] = text
        for c, text in rows("category_scope/2"):
            raw[c]["scope"] = text
        for c, a in rows("category_access/2"):
            raw[c]["access"] = a
        for c, p, a in rows("companion_access/3"):
            raw[c]["companions"].append({"category": p, "access": a})
        alternatives: dict[tuple[str, str], dict] = {}
        for c, alt, label in rows("alternative/3"):
            alternatives[(c, alt)] = {"id": alt, "label": label, "items": [], "reserved_for": []}
        counts = {(c, a, i): n for c, a, i, n in rows("requires_count/4")}
        for c, alt, i in rows("requires_item/3"):
            n = counts.get((c, alt, i), 1)
            alternatives[(c, alt)]["items"].append({"item": i, "count": n})
            if (c, alt, i) in counts:
                cat.items[i]["counted"] = True
        for c, alt, r in rows("reserved_for/3"):
            alternatives[(c, alt)]["reserved_for"].append(r)
        for (c, _alt), alt in sorted(alternatives.items(), key=lambda kv: kv[1]["label"]):
            raw[c]["alternatives"].append(alt)
        for c, n, text in rows("category_note/3"):
            raw[c]["notes"].append(n)
            cat.notes.setdefault(n, {"id": n}).update({"text": text, "category": c})
        for a, c, text in rows("activity/3"):
            cat.activities[a] = {"id": a, "category": c, "label": None, "text": text, "effects": [],
                                 "remedy": None}
            raw[c]["activities"].append(a)
        for a, text in rows("activity_label/2"):
            cat.activities[a]["label"] = text
        for a, effect in rows("activity_effect/2"):
            cat.activities[a]["effects"].append(effect)
        for a, text in rows("activity_remedy/2"):
            cat.activities[a]["remedy"] = text
        order = sorted(raw.values(), key=lambda c: (c.get("source", {}).get("line", 0), c["name"]))
        cat.categories = {c["id"]: c for c in order}
        return cat


@dataclass
class Knowledge:
    """The ``.lp`` files of one ruleset, their version and digest, and the catalogue."""

    facts_files: list[Path]
    logic_entry: Path
    lint_file: Path
    digest: str
    catalogue: Catalogue

    @property
    def version(self) -> str:
        return self.catalogue.version

    @classmethod
    def load(cls, facts_dir: Path | None = None, logic_dir: Path | None = None) -> "Knowledge":
        default_facts, default_logic = default_paths()
        facts_dir = Path(facts_dir or default_facts)
        logic_dir = Path(logic_dir or default_logic)
        facts_files = sorted(facts_dir.glob("*.lp"))
        logic_files = sorted(logic_dir.glob("*.lp"))
        if not facts_files:
            raise KnowledgeError(f"no .lp files in {facts_dir}")
        entry = logic_dir / "main.lp"
        if not entry.is_file():
            raise KnowledgeError(f"no entry file {entry}")
        sha = hashlib.sha256()
        for path in facts_files + logic_files:
            sha.update(f"{path.parent.name}/{path.name}\n".encode())
            sha.update(path.read_bytes())
        catalogue = Catalogue.from_symbols(_load_facts(facts_files))
        return cls(facts_files, entry, logic_dir / "checks" / "lint.lp",
                   "sha256:" + sha.hexdigest(), catalogue)

    def lint(self) -> list[str]:
        """Run ``logic/checks/lint.lp`` over the facts; one line per problem."""
        messages: list[str] = []
        ctl = clingo.Control(["--warn=none"], logger=lambda code, msg: messages.append(msg))
        try:
            for path in self.facts_files + [self.lint_file]:
                ctl.load(str(path))
            ctl.ground([("base", [])])
        except RuntimeError as exc:
            return ["; ".join(m.strip() for m in messages) or str(exc)]
        problems: list[str] = []
        ctl.solve(on_model=lambda m: problems.extend(
            f"{s.arguments[0]}: {s.arguments[1]}" for s in m.symbols(shown=True)))
        return sorted(problems)


def catalogue_dict(knowledge: Knowledge) -> dict:
    """The catalogue as the JSON the CLI and the API publish (SPEC section 3)."""
    cat = knowledge.catalogue
    return {
        "ruleset": {"version": knowledge.version, "digest": knowledge.digest},
        "categories": [dict(c, notes=[cat.notes[n] for n in c["notes"]]) for c in cat.categories.values()],
        "items": list(cat.items.values()),
        "roles": [{"id": r, "name": n} for r, n in cat.roles.items()],
        "activities": list(cat.activities.values()),
        "scenarios": [{"id": s, "name": n} for s, n in cat.scenarios.items()],
        "subject_types": [{"id": t, "name": n, "supported": t not in cat.unsupported_subject_types,
                           "direct_access": cat.direct_routes.get(t, (None,))[0]}
                          for t, n in cat.subject_types.items()],
        "access_methods": list(cat.access_methods.values()),
        "issuer_classes": [{"id": k, "default_cost": w} for k, w in cat.issuer_classes.items()],
        "external_categories": [{"id": x, "name": n} for x, n in cat.external_categories.items()],
        "general_notes": sorted(cat.general_notes.values(), key=lambda n: n["line"]),
    }
