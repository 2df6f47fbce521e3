"""Readable text for the command line: the cheapest path first, then every category.
Every word comes from :class:`livegate.names.Names` (the source's names and the
message catalogue's ``report.*`` and ``status.*``)."""

from __future__ import annotations

import re
from typing import Any

from ..contract import ELIGIBLE
from ..names import Names

__all__ = ["catalogue_text", "evaluation_text"]


def _item(n: Names, i: str, count: int = 1) -> str:
    it = n.cat.items[i]
    more = f" ×{count}" if it.counted else ""
    return n.t("report.item", name=n.item(i), more=more, id=i, issuer=n.issuer(it.issuer_class))


def _costs(n: Names, profile: dict[str, Any] | None) -> str:
    """What a cost is: a relative effort score per missing document by its issuer class (the
    catalogue's default costs, docs/semantics.md#issuer-classes), or the profile's own."""
    classes = sorted(n.cat.issuer_classes.values(), key=lambda k: (k.default_cost, k.id))
    named = n.join(
        (n.t("report.cost_class", name=n.issuer(k.id), cost=k.default_cost) for k in classes), "explain.comma"
    )
    own = (profile or {}).get("costs") or {}
    if not isinstance(own, dict) or not own:
        return n.t("report.costs", classes=named)
    items = n.join(
        (n.t("report.cost_class", name=n.item(i) if i in n.cat.items else i, cost=cost) for i, cost in own.items()),
        "explain.comma",
    )
    return n.t("report.costs_own", classes=named, items=items)


def _helps(step: dict[str, Any], goal_cost: int | None) -> bool:
    """Whether a next step does something for the goal: lowers its cheapest cost, gives it a plan
    where it has none, or makes eligible a category the goal allows (``unlocks_for_goal``)."""
    if step["lowers_by"] or (goal_cost is None and step["cheapest_cost_after"] is not None):
        return True
    return bool(step["unlocks_for_goal"])


def _steps(n: Names, answer: dict[str, Any]) -> list[str]:
    """The next steps that help the goal, as the answer ranks them (goal first); the others (the
    answer lists them all) in one line; when none helps, why once."""
    steps, goal_cost = answer.get("next_steps", []), answer["cheapest"]["cost"]
    out = []
    for k, step in enumerate(steps, 1):
        if not _helps(step, goal_cost):
            continue
        after = step["cheapest_cost_after"]
        out.append(
            "  "
            + n.t(
                "report.step",
                k=k,
                item=_item(n, step["document"], step["count"]),
                count="",
                after=n.t("report.step.none") if after is None else after,
                lowers=n.t("report.step.lowers", by=step["lowers_by"]) if step["lowers_by"] else "",
                unlocks=n.t("report.step.unlocks", categories=n.join([n.category(c) for c in step["unlocks"]]))
                if step["unlocks"]
                else "",
            )
        )
    shown = len(out)
    if not shown:  # the no-plan reasons above say why the goal has no path
        out.append(
            "  " + (n.t("report.steps_no_path") if goal_cost is None else n.t("report.steps_none", cost=goal_cost))
        )
    if len(steps) > shown:
        out.append("  " + n.t("report.steps_more" if shown else "report.steps_other", count=len(steps) - shown))
    return out


def _plan_short(n: Names, plan: dict[str, Any]) -> str:
    """A plan on one line: its categories, and what it lacks (tied plans of one category differ there)."""
    names = " + ".join(n.category(c) for c in plan["categories"]) or n.t("report.no_category")
    said = [n.t("report.lacks", item=n.join([n.item(i) for i in plan["missing"]]))] if plan["missing"] else []
    if plan["external_requirements"]:  # a cost of 0 is not the whole story (L66: 时政信息类目 too)
        said.append(
            n.t("report.also_external", category=n.join([n.external(x) for x in plan["external_requirements"]]))
        )
    return f"{names} ({n.t('report.clause_sep').join(said)})" if said else names


def evaluation_text(answer: dict[str, Any], n: Names, profile: dict[str, Any] | None = None) -> str:
    """The answer to ``profile`` as a report in ``n``'s language. The next steps are those that
    help the goal (``--format json`` has them all)."""
    out: list[str] = []
    rs = answer["ruleset"]
    out.append(n.t("report.header", version=rs["version"], digest=rs["digest"][:19]))
    if answer["subject_supported"]:  # (else nothing is costed)
        out.append(_costs(n, profile))
    else:
        types = [t for t, st in n.cat.subject_types.items() if not st.supported]
        out.append(n.t("report.unsupported", rule=n.rule_quoted(types[0])[0] if types else ""))
    cheapest = answer["cheapest"]
    out.append("")
    out.append(n.t("report.cheapest"))
    if cheapest["cost"] is None:
        out += ["  " + line for line in cheapest.get("explanation", [n.t("report.no_path")])]
    for k, plan in enumerate(cheapest["plans"], 1):
        names = " + ".join(n.category(c) for c in plan["categories"]) or n.t("report.no_category")
        out.append(n.t("report.plan", n=k, categories=names, cost=plan["cost"], access=n.access(plan["access"])))
        for line in plan.get("explanation", []):
            out.append("    " + line)
        if "explanation" not in plan:
            for d in plan["missing_detail"]:
                out.append("    " + n.t("report.lacks", item=_item(n, d["id"], d["count"])))
    by_scenario = answer.get("cheapest_by_scenario", {})
    if by_scenario:
        out.append("")
        out.append(n.t("report.by_scenario"))
        for s, found in by_scenario.items():
            if found["cost"] is None:
                why = " ".join(found.get("explanation", []))
                out.append("  " + n.t("report.scenario_none", scenario=n.scenario(s), id=s, why=why))
                continue
            paths = " | ".join(_plan_short(n, p) for p in found["plans"])
            out.append(
                "  " + n.t("report.scenario", scenario=n.scenario(s), id=s, cost=found["cost"], categories=paths)
            )
    if answer.get("next_steps"):
        out.append("")
        out.append(n.t("report.next_steps"))
        out += _steps(n, answer)
    out.append("")
    out.append(n.t("report.categories"))
    for c in answer["categories"]:
        out.append(
            n.t(
                "report.category",
                name=n.category(c["id"]),
                id=c["id"],
                status=n.t("report.status", name=n.status(c["status"]), id=c["status"]),
                access=n.access(c["access"]),
            )
        )
        if "explanation" in c:  # between the status line and the source: reasons, then what each set lacks
            out += ["    " + line for line in c["explanation"][1:-1]]
        elif c["status"] != ELIGIBLE:
            for s in c["missing_sets"]:
                items = n.join([_item(n, i, s["shortfalls"].get(i, 1)) for i in s["documents"]])
                out.append("    " + n.t("report.set", alternative=s["alternative"], cost=s["cost"], items=items))
    out.append("")
    for note in answer.get("notes", []):  # the source's words; in English with their translation
        if note["en"]["text"] is None:  # livegate's own sentence (it quotes the source itself): no quotes
            out.append(n.t("report.own_note", text=note["text"]))
            continue
        text = n.quoted(note["text"], n.gloss("notes", note["id"]), whole=True)
        out.append(n.t("report.note", text=text, line=note["line"]))
    return "\n".join(out) + "\n"


_EFFECT = re.compile(r"(\w+)\((\w+)\)")


def _effect(n: Names, effect: str) -> str:
    """What declaring an activity does to its category (``activity_effect/2``), in words."""
    found = _EFFECT.fullmatch(effect)
    kind, arg = found.groups() if found else (effect, None)
    if kind == "requires_category" and arg in n.cat.categories:
        return n.t("report.catalogue.effect.requires", category=n.category(arg))
    if kind == "requires_external" and arg in n.cat.external_categories:
        return n.t("report.catalogue.effect.requires", category=n.external(arg))
    if arg is None and n.has(f"report.catalogue.effect.{kind}"):
        return n.t(f"report.catalogue.effect.{kind}")
    return effect  # an effect this package has no words for: as the facts write it


def catalogue_text(data: dict[str, Any], n: Names) -> str:
    out = [n.t("report.header", version=data["ruleset"]["version"], digest=data["ruleset"]["digest"][:19]), ""]
    out.append(n.t("report.catalogue.categories", n=len(data["categories"])))
    for c in data["categories"]:
        out.append(
            n.t(
                "report.catalogue.category",
                name=n.category(c["id"]),
                id=c["id"],
                scenario=n.scenario(c["scenario"]),
                scenario_id=c["scenario"],
                access=n.access(c["access"]),
                access_id=c["access"],
                line=c["source"]["line"],
            )
        )
        if c["scope"]:
            out.append(n.t("report.catalogue.scope", scope=n.scope_quoted(c["id"], whole=True)))
        out += [n.t("report.catalogue.note", text=n.note_quoted(note["id"], whole=True)) for note in c["notes"]]
        if c["source"]["url"]:
            out.append(n.t("report.catalogue.source", url=c["source"]["url"]))
        for alt in c["alternatives"]:
            reserved = (
                n.t(
                    "report.catalogue.reserved", roles=n.join([n.role(r) for r in alt["reserved_for"]], "explain.comma")
                )
                if alt["reserved_for"]
                else ""
            )
            gloss = n.alternative_gloss(c["id"], alt["id"])  # English only: the label was Chinese only
            label = alt["label"] if not gloss else n.t("explain.alternative_glossed", label=alt["label"], gloss=gloss)
            out.append(f"    - {alt['id']}{reserved}: {label}")
            for req in alt["items"]:
                count = f" ×{req['count']}" if req["count"] > 1 else ""
                out.append(f"        · {req['item']}{count}: {n.item(req['item'])}")
    out.append("")
    out.append(n.t("report.catalogue.items", n=len(data["items"])))
    for i in data["items"]:
        out.append(
            n.t(
                "report.catalogue.item",
                id=i["id"],
                name=n.item(i["id"]),
                issuer=n.issuer(i["issuer_class"]),
                cost=i["default_cost"],
            )
        )
    for key in ("roles", "scenarios", "subject_types", "access_methods"):
        out.append("")
        out.append(n.t(f"report.catalogue.{key}"))
        out += [f"  {r['id']}: {r['name']}" for r in data[key]]
    out.append("")
    out.append(n.t("report.catalogue.activities"))
    # what declaring the activity says, then the source's sentence it comes from (which may say the
    # opposite: 「不涉及以上几类内容的…」 for 视频客服 with other content)
    out += [
        n.t(
            "report.catalogue.activity",
            id=a["id"],
            category=n.category(a["category"]),
            category_id=a["category"],
            effects=n.join([_effect(n, e) for e in a["effects"]]),
            label=n.activity(a["id"]),
            text=n.activity_quoted(a["id"]),
            line=a["line"],
        )
        for a in data["activities"]
    ]
    return "\n".join(out) + "\n"
