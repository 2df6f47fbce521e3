"""Shape the solver's answer into the JSON of SPEC section 3, with
explanations in Chinese built from the reason atoms and the source's names.

Nothing here decides anything of the domain: every status, set, cost and plan
comes from an atom; this module only names things and orders them stably.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import clingo

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Answer
    from .profile import Profile

__all__ = ["Shaper", "read_answer", "option_id", "to_python", "to_python_rep"]


def _convert(sym: clingo.Symbol) -> Any:
    if sym.type == clingo.SymbolType.Number:
        return sym.number
    if sym.type == clingo.SymbolType.String:
        return sym.string
    args = sym.arguments
    if not args:
        return sym.name
    return (sym.name, *(_convert(a) for a in args))


_CONVERTED: dict[int, Any] = {}


def to_python(sym: clingo.Symbol) -> Any:
    """A symbol as plain Python: a number as ``int``, a string or constant as
    ``str``, a compound term as a tuple ``(name, *args)`` (``name`` is ``""``
    for a tuple).

    Memoised by the symbol's handle (``Symbol._rep``, clingo's interned
    ``clingo_symbol_t``: equal symbols share it within a process), because
    hashing and comparing ``Symbol`` objects crosses into C each time. The
    ground program has a finite set of shown atoms, so the memo is bounded by
    it (and reset past 1<<16 entries, for the cost-override groundings)."""
    key = sym._rep
    value = _CONVERTED.get(key)
    if value is None:
        if len(_CONVERTED) > 1 << 16:
            _CONVERTED.clear()
        value = _CONVERTED[key] = _convert(sym)
    return value


def to_python_rep(rep: int) -> Any:
    """:func:`to_python` of the symbol with handle ``rep`` (as read from a model)."""
    value = _CONVERTED.get(rep)
    if value is None:
        value = to_python(clingo.Symbol(rep))
    return value


def option_id(option: Any) -> str:
    """The own alternative of an option: ``alt``, or the first of ``(alt, required_alt)``."""
    return option[1] if isinstance(option, tuple) else option


def read_answer(atoms: list[Any]) -> dict[str, Any]:
    """Group the shown atoms of one model (converted by :func:`to_python`) by predicate."""
    out: dict[str, Any] = {
        "unsupported": [], "direct": [], "status": {}, "combined": {}, "sets": {}, "costs": {},
        "requires": {}, "external": {}, "reasons": {}, "warnings": {},
        "plan": {"direct": False, "categories": [], "alternatives": {}, "missing": {},
                 "access": None, "companions": [], "external": {}, "none": False},
    }
    plan = out["plan"]
    sets = out["sets"]

    def set_entry(c: str, option: Any) -> dict:
        return sets.setdefault(c, {}).setdefault(option, {"items": {}, "choices": {}, "cost": 0})

    for atom in atoms:
        if isinstance(atom, str):
            name, a = atom, ()
        else:
            name, a = atom[0], atom[1:]
        if name == "status":
            out["status"][a[0]] = a[1]
        elif name == "minimal_missing_set":
            set_entry(a[0], a[1])["cost"] = a[2]
        elif name == "missing_item_cost":
            out["costs"][a[0]] = a[1]
        elif name == "minimal_missing_item":
            set_entry(a[0], a[1])["items"][a[2]] = a[3]
        elif name == "missing_set_alternative":
            set_entry(a[0], a[1])["choices"][a[2]] = a[3]
        elif name == "reason":
            out["reasons"].setdefault(a[0], []).append(a[1])
        elif name == "warning":
            out["warnings"].setdefault(a[0], []).append(a[1])
        elif name == "requires_category":
            out["requires"].setdefault(a[0], []).append((a[1], a[2]))
        elif name == "external_requirement":
            out["external"].setdefault(a[0], []).append((a[1], a[2]))
        elif name == "combined_access":
            out["combined"].setdefault(a[0], []).append((a[1], a[2]))
        elif name == "subject_unsupported":
            out["unsupported"].append(a[0])
        elif name == "direct_access":
            out["direct"].append(a[0])
        elif name == "plan_direct":
            plan["direct"] = True
        elif name == "plan_category":
            plan["categories"].append(a[0])
        elif name == "plan_alternative":
            plan["alternatives"].setdefault(a[0], []).append(a[1])
        elif name == "plan_missing":
            plan["missing"][a[0]] = a[1]
        elif name == "plan_access":
            plan["access"] = a[0]
        elif name == "plan_companion":
            plan["companions"].append((a[0], a[1]))
        elif name == "plan_external":
            plan["external"].setdefault(a[0], []).append(a[1])
        elif name == "no_plan":
            plan["none"] = True
    return out


class _Namer:
    """Names and sentences from the catalogue (the source's own words)."""

    def __init__(self, catalogue):
        self.cat = catalogue

    def category(self, c: str) -> str:
        return f"【{self.cat.categories[c]['name']}】"

    def item(self, i: str) -> str:
        it = self.cat.items[i]
        return it["name"] + (f"（{it['qualifier']}）" if it["qualifier"] else "")

    def alternative(self, c: str, alt: str) -> str:
        for a in self.cat.categories[c]["alternatives"]:
            if a["id"] == alt:
                return f"「{a['label']}」"
        return alt

    def access(self, a: str) -> str:
        return self.cat.access_methods[a]["name"]

    def source(self, c: str) -> str:
        src = self.cat.categories[c]["source"]
        return f"来源：{src['section']}（第 {src['line']} 行）{src['url']}"

    def missing(self, items: dict[str, int]) -> str:
        parts = []
        for i, n in items.items():
            it = self.cat.items[i]
            extra = f"，还差 {n} 份" if it["counted"] else ""
            parts.append(f"{self.item(i)}（{_CLASS_ZH[it['issuer_class']]}{extra}）")
        return "、".join(parts)


_REASON_FIELDS = {
    "unsupported_subject": ("subject_type",), "excluded_by_activity": ("activity",),
    "reserved": ("alternative", "role"), "blocked_by_activity": ("activity",),
    "met": ("category", "alternative", "item", "held"), "nothing_required": ("category", "alternative"),
    "plain_only": ("alternative", "item", "plain"), "requires_category": ("category", "activity"),
    "required_category_unusable": ("category",), "external": ("external_category", "activity"),
}
"""The arguments of each kind of ``reason/2`` term (logic/explain.lp), by name."""


def _reason_dict(why: tuple) -> dict[str, Any]:
    return {"kind": why[0], **dict(zip(_REASON_FIELDS[why[0]], why[1:]))}


_CLASS_ZH = {"self_prepared": "自行准备", "partner": "需合作方提供", "registration": "登记备案",
             "licence": "行政许可"}
_STATUS_ZH = {"eligible": "已具备条件", "missing": "尚缺材料", "not_applicable": "不适用",
              "blocked": "被阻止"}


def _reason_sentence(n: _Namer, cat, c: str, why: tuple) -> str:
    kind, a = why[0], why[1:]
    if kind == "unsupported_subject":
        line = cat.unsupported_subject_types.get(a[0])
        return f"个人认证的微信小程序暂不支持直播业务（来源第 {line} 行），任何类目都不适用。"
    if kind == "excluded_by_activity":
        act = cat.activities[a[0]]
        return f"所声明的活动不符合本类目的适用条件：「{act['text']}」，因此本类目不适用。"
    if kind == "reserved":
        role = cat.roles[a[1]]
        return f"{n.alternative(c, a[0])}仅适用于{role}（角色 {a[1]}），本主体不具备该角色。"
    if kind == "blocked_by_activity":
        act = cat.activities[a[0]]
        text = f"因所声明的活动被阻止：「{act['text']}」"
        return text + (f"整改：{act['remedy']}。" if act["remedy"] else "")
    if kind == "met":
        owner, alt, item, held = a
        via = "" if held == item else f"（以所持{n.item(held)}满足）"
        return f"满足{n.category(owner)}{n.alternative(owner, alt)}：已持有{n.item(item)}{via}。"
    if kind == "nothing_required":
        owner, alt = a
        return f"{n.category(owner)}的资质要求为「-」：无需提交资质文件。"
    if kind == "plain_only":
        alt, item, plain = a[0], a[1], a[2]
        return (f"所持{n.item(plain)}不满足{n.alternative(c, alt)}的要求：需要{n.item(item)}。")
    if kind == "requires_category":
        act = cat.activities[a[1]]
        return f"因「{act['text']}」，还需同时具备{n.category(a[0])}类目（其材料计入本类目的缺少集合）。"
    if kind == "required_category_unusable":
        return f"所需的{n.category(a[0])}类目对本主体不适用或被阻止，因此本类目无法达成。"
    if kind == "external":
        act = cat.activities[a[1]]
        return f"因「{act['text']}」，还需补充{cat.external_categories[a[0]]}（不在本目录内，不计入成本）。"
    return repr(why)


def _warning_text(cat, w: tuple) -> dict[str, Any]:
    if w[0] == "note":
        note = cat.notes[w[1]]
        return {"kind": "note", "id": note["id"], "text": note["text"],
                "lead_time_days": note.get("lead_time_days")}
    act = cat.activities[w[1]]
    return {"kind": "remedy", "id": act["id"], "text": act["remedy"]}


_MISS = object()

_ATOM_INFO: dict[int, tuple[Any, str | None]] = {}


def _atom_info(handle: int) -> tuple[Any, str | None]:
    """A shown atom by its symbol handle: its plain-Python form, and the category
    it is about (None for the other predicates of the whole answer, "" for the
    plan's, which are read per optimal model instead)."""
    atom = to_python_rep(handle)
    name = atom[0] if atom.__class__ is tuple else atom
    c = atom[1] if name in _CATEGORY_PREDICATES else "" if name in _PLAN_PREDICATES else None
    if len(_ATOM_INFO) > 1 << 16:
        _ATOM_INFO.clear()
    info = _ATOM_INFO[handle] = (atom, c)
    return info

_CATEGORY_PREDICATES = frozenset({"status", "minimal_missing_set", "minimal_missing_item", "missing_set_alternative",
                                   "reason", "warning", "requires_category", "external_requirement",
                                   "combined_access"})
"""The shown predicates whose first argument is a category: what one category entry is made of."""

_PLAN_PREDICATES = frozenset({"plan_direct", "plan_category", "plan_alternative", "plan_missing", "plan_access",
                              "plan_companion", "plan_external", "no_plan"})
"""The shown predicates of one plan (``logic/plan.lp``)."""


def _sort_sets(sets: list[dict]) -> list[dict]:
    return sorted(sets, key=lambda s: (s["cost"], len(s["documents"]), s["alternative"]))


class Shaper:
    """Builds responses for one catalogue. What depends only on the catalogue
    (names, sources, sentences for a given reason) is built once and reused,
    and so is each category entry and plan, keyed by the atoms it is made of
    (with the item costs): the same atoms give the same entry. Cached entries
    are shared between responses, which must not be changed."""

    _MAX_CACHED = 50_000
    _MAX_ENTRIES = 8_192
    _MAX_TABLES = 64

    def __init__(self, catalogue, ruleset: dict[str, str]):
        self.cat = catalogue
        self.ruleset = ruleset
        self.names = _Namer(catalogue)
        self.position = {c: k for k, c in enumerate(catalogue.categories)}
        self.notes = sorted(catalogue.general_notes.values(), key=lambda v: v["line"])
        self.counted = frozenset(i for i, it in catalogue.items.items() if it["counted"])
        self._sentences: dict[tuple, str] = {}
        self._entries: dict[tuple, dict[tuple, dict]] = {}  # (overrides, explain) -> atoms -> entry
        self._plans: dict[tuple, dict | None] = {}

    def _cached(self, key: tuple, make) -> str:
        text = self._sentences.get(key)
        if text is None:
            if len(self._sentences) > self._MAX_CACHED:
                self._sentences.clear()
            text = self._sentences[key] = make()
        return text

    def response(self, profile: "Profile", answer: "Answer", *, with_explanations: bool = True) -> dict[str, Any]:
        cat = self.cat
        by_category: dict[str, list[int]] = {c: [] for c in cat.categories}
        rest: list = []
        first_plan: list = []
        known = _ATOM_INFO.get
        for handle in answer.handles:
            atom, c = known(handle) or _atom_info(handle)
            if c:
                by_category[c].append(handle)
            elif c is None:
                rest.append(atom)
            else:
                first_plan.append(atom)
        det = read_answer(rest)  # the atoms about the whole answer, not one category
        costs = det["costs"]
        requires = {}
        categories = []
        # an entry is a function of its category's atoms (which name the category:
        # every category has its status atom) and the item costs (the defaults
        # and the request's overrides): built once per such key. The atoms come
        # in the grounding's output order, so a tuple will do: the same atoms in
        # another order would only miss, never mismatch.
        entries = self._entries.get((answer.overrides, with_explanations))
        if entries is None:
            if len(self._entries) > self._MAX_TABLES:
                self._entries.clear()
            entries = self._entries[(answer.overrides, with_explanations)] = {}
        for c, handles in by_category.items():
            key = tuple(handles)
            entry = entries.get(key)
            if entry is None:
                atoms = [(known(h) or _atom_info(h))[0] for h in handles]
                entry = self._category_entry(c, read_answer(atoms), costs, with_explanations)
                if len(entries) > self._MAX_ENTRIES:
                    entries.clear()
                entries[key] = entry
            if entry["requires"]:
                requires[c] = entry["requires"]
            categories.append(entry["json"])

        plans = [self._plan_cached(first_plan if atoms is None else atoms, cost, with_explanations, costs,
                                   requires, answer.overrides)
                 for atoms, cost in answer.plans]
        plans = [p for p in plans if p is not None]
        plans.sort(key=lambda p: (p["cost"], len(p["missing"]), len(p["categories"]),
                                  [self.position[c] for c in p["categories"]], p["missing"]))
        unique: list[dict] = []
        for p in plans:  # one plan per (categories, missing), as SPEC 2.7 tells plans apart
            if not unique or (p["categories"], p["missing"]) != (unique[-1]["categories"], unique[-1]["missing"]):
                unique.append(p)
        cheapest: dict[str, Any] = {"cost": unique[0]["cost"] if unique else None, "plans": unique}
        if with_explanations and not unique:
            cheapest["explanation"] = [_no_plan_sentence(cat, det, profile)]
        return {
            "ruleset": dict(self.ruleset),
            "subject_supported": not det["unsupported"],
            "direct_standard_live": "standard_live" in det["direct"],
            "eligible": [c["id"] for c in categories if c["status"] == "eligible"],
            "categories": categories,
            "cheapest": cheapest,
            "item_costs": dict(sorted(costs.items())),
            "notes": [dict(v) for v in self.notes],
        }

    def _category_entry(self, c: str, det: dict[str, Any], costs: dict[str, int],
                        with_explanations: bool) -> dict[str, Any]:
        """The JSON entry of category ``c`` from its atoms (grouped by :func:`read_answer`),
        and what plans need of it (the categories it requires, with the activity)."""
        cat, info = self.cat, self.cat.categories[c]
        status = det["status"][c]
        sets = []
        for option, entry in det["sets"].get(c, {}).items():
            own = option_id(option)
            choices = entry["choices"] or {c: own}
            documents = sorted(entry["items"])
            sets.append({"alternative": own, "alternatives": dict(sorted(choices.items())),
                         "documents": documents,
                         "shortfalls": {i: entry["items"][i] for i in documents if i in self.counted},
                         "item_costs": {i: costs[i] for i in documents},
                         "cost": entry["cost"]})
        sets = _sort_sets(sets)
        out: dict[str, Any] = {
            "id": c, "name": info["name"], "status": status, "access": info["access"],
            "scenario": info["scenario"],
            "combined_access": [{"with": p, "access": a} for p, a in sorted(det["combined"].get(c, []))],
            "missing_sets": sets,
            "requires_categories": sorted({r for r, _ in det["requires"].get(c, [])}),
            "external_requirements": sorted({x for x, _ in det["external"].get(c, [])}),
            "warnings": sorted((_warning_text(cat, w) for w in det["warnings"].get(c, [])),
                               key=lambda w: (w["kind"], w["id"])),
            "source": dict(info["source"]),
            "reasons": sorted((_reason_dict(why) for why in det["reasons"].get(c, [])),
                              key=lambda r: tuple(map(str, r.values()))),
        }
        if with_explanations:
            out["explanation"] = self._category_explanation(c, status, det, sets)
        return {"json": out, "requires": sorted(det["requires"].get(c, []))}

    def _plan_cached(self, atoms: list, cost: list[int], with_explanations: bool, costs: dict[str, int],
                     requires: dict[str, list], overrides: tuple) -> dict[str, Any] | None:
        """:meth:`_plan`, built once per (plan atoms, optimisation vector, item costs, and the
        categories its categories require, which its explanation names)."""
        plan = read_answer(atoms)["plan"]
        key = (frozenset(atoms), tuple(cost), overrides, with_explanations,
               tuple((c, tuple(requires[c])) for c in sorted(plan["categories"]) if c in requires))
        out = self._plans.get(key, _MISS)
        if out is not _MISS:
            return out
        out = self._plan(plan, cost, with_explanations, {"costs": costs, "requires": requires})
        if len(self._plans) > self._MAX_ENTRIES:
            self._plans.clear()
        self._plans[key] = out
        return out

    def _category_explanation(self, c: str, status: str, det, sets) -> list[str]:
        n, cat = self.names, self.cat
        lines = [self._cached(("status", c, status), lambda: (
            f"{n.category(c)}：{_STATUS_ZH[status]}；可使用{n.access(cat.categories[c]['access'])}接入。"))]
        lines += sorted(self._cached((c, why), lambda why=why: _reason_sentence(n, cat, c, why))
                        for why in det["reasons"].get(c, []))
        if status in ("missing", "blocked"):
            for s in sets:
                key = ("set", tuple(s["alternatives"].items()), tuple(s["documents"]),
                       tuple(s["shortfalls"].items()), s["cost"])
                lines.append(self._cached(key, lambda s=s: _set_sentence(n, s)))
        for p, a in det["combined"].get(c, []):
            lines.append(f"同时具备{n.category(p)}类目，可使用{n.access(a)}接入。")
        lines.append(self._cached(("source", c), lambda: n.source(c)))
        return lines

    def _plan(self, plan: dict, cost: list[int], with_explanations: bool, det: dict):
        cat = self.cat
        if plan["none"]:
            return None
        categories = sorted(plan["categories"], key=self.position.__getitem__)
        missing = dict(sorted(plan["missing"].items()))
        out: dict[str, Any] = {
            "direct": plan["direct"], "categories": categories,
            "alternatives": {c: min(alts) for c, alts in sorted(plan["alternatives"].items())},
            "equivalent_alternatives": {c: sorted(alts) for c, alts in sorted(plan["alternatives"].items())},
            "missing": sorted(missing),
            "shortfalls": {i: k for i, k in missing.items() if i in self.counted},
            "missing_detail": [{"id": i, "name": cat.items[i]["name"], "qualifier": cat.items[i]["qualifier"],
                                "issuer_class": cat.items[i]["issuer_class"], "count": k,
                                "unit_cost": det["costs"][i], "cost": k * det["costs"][i]}
                               for i, k in missing.items()],
            "access": plan["access"],
            # the optimisation vector is (no plan @4, cost @3, items @2, categories @1)
            "cost": cost[1],
            "companions": [{"category": c, "companion": p} for c, p in sorted(plan["companions"])],
            "external_requirements": sorted({x for xs in plan["external"].values() for x in xs}),
            "lead_time_days": max((cat.notes[nid].get("lead_time_days") or 0
                                   for c in categories for nid in cat.categories[c]["notes"]), default=0),
        }
        if with_explanations:
            out["explanation"] = _plan_explanation(self.names, cat, out, det["requires"])
        return out


def _plan_explanation(n: "_Namer", cat, p: dict, requires: dict) -> list[str]:
    if p["direct"]:
        line = next(iter(cat.direct_routes.values()))[1]
        return [f"政府主体认证的小程序可直接使用{n.access(p['access'])}进行接入（来源第 {line} 行），"
                f"无需任何类目，成本 0。"]
    lines = []
    for c in p["categories"]:
        alts = "或".join(n.alternative(c, a) for a in p["equivalent_alternatives"].get(c, []))
        lines.append(f"申请{n.category(c)}类目，按{alts}。")
    for c in p["categories"]:
        for r, activity in requires.get(c, []):
            lines.append(f"因「{cat.activities[activity]['text']}」，{n.category(c)}还需同时具备{n.category(r)}类目。")
    for c, comp in [(x["category"], x["companion"]) for x in p["companions"]]:
        lines.append(f"{n.category(c)}与{n.category(comp)}同时具备，可使用{n.access(p['access'])}接入。")
    if p["missing"]:
        counts = {d["id"]: d["count"] for d in p["missing_detail"]}
        lines.append(f"还需取得：{n.missing(counts)}；合计成本 {p['cost']}。")
    else:
        lines.append("所需材料均已具备，成本 0。")
    for x in p["external_requirements"]:
        lines.append(f"另需补充{cat.external_categories[x]}（不在本目录内）。")
    if p["lead_time_days"]:
        lines.append(f"注意：首次提交代码审核需经当地互联网主管机关审核确认，预计 {p['lead_time_days']} 天左右。")
    lines.append(f"接入方式：{n.access(p['access'])}。")
    lines += [n.source(c) for c in p["categories"]]
    return lines


def _set_sentence(n: "_Namer", s: dict) -> str:
    alternatives = "、".join(n.alternative(k, v) for k, v in s["alternatives"].items())
    if not s["documents"]:
        return f"按{alternatives}所需材料均已具备。"
    missing = n.missing({i: s["shortfalls"].get(i, 1) for i in s["documents"]})
    return f"按{alternatives}还缺：{missing}；成本 {s['cost']}。"


def _no_plan_sentence(cat, det, profile) -> str:
    if det["unsupported"]:
        line = cat.unsupported_subject_types[det["unsupported"][0]]
        return f"个人认证的微信小程序暂不支持直播业务（来源第 {line} 行），没有任何可行路径。"
    return "在所给目标（场景、候选类目、接入方式）下，没有可用的类目：候选类目均不适用、被阻止或无法达到所需接入方式。"
