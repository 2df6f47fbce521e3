"""The engine's answer arranged for the answer page: the one-sentence verdict, the cheapest plans
(ties that differ only in an equivalent alternative shown once, with "or"), the next steps, the
reasons there is no plan, and the categories worth showing.

Nothing here decides: every status, set, cost, plan, step and reason is the engine's. This module
groups and names them, and builds the links that re-ask with one thing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

from markupsafe import Markup, escape

from .site import Words

__all__ = [
    "category_why",
    "next_steps",
    "no_plan_reasons",
    "plan_groups",
    "relevant_categories",
    "unlisted_categories",
    "verdict",
]


# -- names as markup: the source's name (Chinese, marked as such) with its English gloss -------------
def cat_name(words: Words, c: str) -> Markup:
    gloss = words.gloss_category(c)
    name = Markup('<span class="src" lang="zh-CN">【{}】</span>').format(words.category(c))
    return name + (Markup(' <span class="gloss">{}</span>').format(gloss) if gloss else Markup(""))


def item_name(words: Words, i: str) -> Markup:
    gloss = words.gloss_item(i)
    name = Markup('<span class="src" lang="zh-CN">{}</span>').format(words.item(i))
    return name + (Markup(' <span class="gloss">({})</span>').format(gloss) if gloss else Markup(""))


def alt_name(words: Words, c: str, alt: str, css: str = "src") -> Markup:
    """An alternative's label as the source writes it, with its English gloss on the English page
    (``css``: the page's tables and plans mark it ``src alt``, a chip)."""
    gloss = words.gloss_alternative(c, alt)
    name = Markup('<span class="{}" lang="zh-CN">「{}」</span>').format(css, words.alternative(c, alt))
    return name + (Markup(' <span class="gloss">({})</span>').format(gloss) if gloss else Markup(""))


def activity_name(words: Words, a: str) -> Markup:
    return words.t("quoted_value", markup=True, value=words.activity(a))


def joined(words: Words, parts: list[Markup], key: str = "list_sep") -> Markup:
    return Markup(escape(words.t(key))).join(parts)


# -- plans -----------------------------------------------------------------------------------------
def _missing_count(plan: dict[str, Any]) -> int:
    return sum(d["count"] for d in plan["missing_detail"])


def plan_groups(answer: dict[str, Any], cat: Any) -> list[dict[str, Any]]:
    """The cheapest plans, those with the same categories, access and cost merged when they are every
    combination of some alternatives per category (then shown once, each category's alternatives with
    "or"). Each group: ``plans`` (``(index, plan)``), ``common`` (items every plan lacks, with counts),
    ``choices`` (per category with more than one alternative: ``(category, [(alternative, [items])])``)."""
    groups: dict[tuple, list[tuple[int, dict[str, Any]]]] = {}
    for k, p in enumerate(answer["cheapest"]["plans"]):
        key = (tuple(p["categories"]), p["access"], p["cost"], p["direct"])
        groups.setdefault(key, []).append((k, p))
    out: list[dict[str, Any]] = []
    for members in groups.values():
        first = members[0][1]
        cats = first["categories"]
        per_cat = {c: list(dict.fromkeys(p["alternatives"][c] for _, p in members)) for c in cats}
        combos = {tuple(p["alternatives"][c] for c in cats) for _, p in members}
        cartesian = len(members) > 1 and combos == set(product(*(per_cat[c] for c in cats)))
        parts = [members] if cartesian else [[m] for m in members]
        for part in parts:
            plans = [p for _, p in part]
            counts = {d["id"]: d["count"] for d in plans[0]["missing_detail"]}
            common = [i for i in counts if all(i in p["missing"] for p in plans)]
            choices = []
            for c in cats:
                alts = list(dict.fromkeys(p["alternatives"][c] for p in plans))
                if len(alts) < 2:
                    continue
                options = []
                for a in alts:
                    items = [
                        i
                        for p in plans
                        if p["alternatives"][c] == a
                        for i in p["missing"]
                        if i not in common and any(r.item == i for r in cat.categories[c].alternative(a).items)
                    ]
                    options.append((a, list(dict.fromkeys(items))))
                choices.append((c, options))
            out.append(
                {
                    "plans": part,
                    "first": plans[0],
                    "index": part[0][0],
                    "common": [(i, counts[i]) for i in common],
                    "choices": choices,
                    "count": _missing_count(plans[0]),
                }
            )
    return out


def _cats_markup(words: Words, cats: list[str]) -> Markup:
    return Markup(" + ").join(cat_name(words, c) for c in cats)


def _missing_markup(words: Words, group: dict[str, Any]) -> Markup:
    parts = []
    for i, n in group["common"]:
        part = item_name(words, i)
        if n > 1:
            part += Markup(escape(words.t("times", n=n)))
        parts.append(part)
    for _c, options in group["choices"]:
        alts = [Markup(" + ").join(item_name(words, i) for i in items) for _a, items in options if items]
        if alts:
            parts.append(Markup(escape(words.t("either_or_sep"))).join(alts))
    return joined(words, parts, "items_sep")  # item names may hold 、 themselves


def verdict(words: Words, answer: dict[str, Any], groups: list[dict[str, Any]], scenario: str | None) -> dict[str, Any]:
    """The answer in one sentence: ``kind`` (yes, missing, no, unsupported, pick) and ``text`` (markup);
    for a path still missing documents through a category with a scope, ``condition`` (markup): the
    scope the mini program must fit, shown above the sentence; when the cheapest paths go through
    different categories, ``options``: each path with its scope, to choose from (:func:`_choose`)."""
    cheapest = answer["cheapest"]
    if not answer["subject_supported"]:
        reason = next((r for r in cheapest["no_plan_reasons"] if r["kind"] == "subject_unsupported"), None)
        subject = reason["subject_type"] if reason else "personal"
        rule, _line = words.names.subject_rule(subject)
        return {"kind": "unsupported", "text": words.t("verdict_unsupported", markup=True, rule=rule)}
    direct = bool(groups) and groups[0]["first"]["direct"]
    if scenario is None and not direct:  # the direct route needs no scenario (docs/semantics.md#direct-route)
        return {"kind": "pick", "text": words.t("verdict_pick", markup=True)}
    if not groups:
        reasons = no_plan_reasons(words, answer, lambda _a: "")
        first = reasons[0]["short"] if reasons else words.t("no_path")
        return {"kind": "no", "text": words.t("verdict_none", markup=True, reason=first)}
    group = groups[0]
    plan = group["first"]
    if not plan["direct"] and _through_other_categories(groups):
        return _choose(words, groups)
    tail = words.t("sentence_sep") + _aside(_more_markup(words, groups)) if len(groups) > 1 else Markup("")
    if plan["direct"]:
        return {
            "kind": "yes",
            "text": words.t("verdict_direct", markup=True, access=words.access(plan["access"])) + tail,
        }
    cats = _cats_markup(words, plan["categories"])
    access = words.access(plan["access"])
    external = _external_markup(words, plan)
    scopes = _scopes_markup(words, plan)
    unlisted = unlisted_categories(words, group)
    if plan["cost"] == 0 and not plan["missing"]:
        # a category whose option asks nothing (the source's 「-」) is not "every document held": the
        # source lists none, and WeChat's current rules prevail (L3)
        lead = words.t("verdict_yes_scoped", markup=True, scopes=scopes) if scopes else words.t("verdict_yes")
        if unlisted and len(unlisted) == len(plan["categories"]):
            body = words.t("verdict_unlisted", markup=True, categories=cats, access=access, external=external)
        else:
            part = (
                words.t("verdict_unlisted_part", markup=True, categories=_cats_markup(words, unlisted))
                if unlisted
                else Markup("")
            )
            body = words.t(
                "verdict_ready", markup=True, categories=cats, unlisted=part, access=access, external=external
            )
        return {"kind": "yes", "text": lead + words.t("sentence_sep") + body + tail}
    text = words.t(
        "verdict_missing",
        markup=True,
        n=group["count"],
        items=Markup('<span class="verdict-items">{}</span>').format(_missing_markup(words, group)),
        categories=cats,
        access=access,
        external=external,
    )
    # the scope condition first, above the sentence: a shop selling its own goods read "还差 4 份材料…
    # 备齐后申请【电商平台】" and missed that 电商平台 is for platforms of many merchants (a compliance
    # officer's review; the source's L5: a category that does not fit is rejected at review)
    condition = words.t("verdict_provided", markup=True, scopes=scopes) if scopes else None
    return {"kind": "missing", "text": text + tail, "condition": condition}


def _through_other_categories(groups: list[dict[str, Any]]) -> bool:
    """Whether the paths tied for the cheapest go through different categories."""
    return len({tuple(g["first"]["categories"]) for g in groups}) > 1


def _choose(words: Words, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The verdict when the cheapest paths go through different categories: no cost can say which
    to take, only the mini program's real business (the source's L5: a category that does not fit
    is rejected at review). The sentence says so, and ``options`` lists every path with the scope
    it rests on. The first path was the answer, its scope the condition, and the others an aside:
    a training company read "可以，前提是…【教育-教育信息服务】…（教育政策、考试通知）" and skimmed past
    the category that fits it (an English-reading compliance manager's review)."""
    plan = groups[0]["first"]
    kind = "yes" if plan["cost"] == 0 and not plan["missing"] else "missing"
    options = [
        {
            "index": k,
            "categories": _cats_markup(words, g["first"]["categories"]),
            "scope": _scopes_markup(words, g["first"]),
            "missing": g["count"] if g["first"]["missing"] else 0,
            # a 「-」 requirement is not "every document held": the source lists none (as the sentence
            # of a single path says)
            "unlisted": len(unlisted_categories(words, g)) == len(g["first"]["categories"]),
        }
        for k, g in enumerate(groups, 1)
    ]
    text = words.t(f"verdict_choose_{kind}", markup=True, n=len(groups), cost=plan["cost"])
    if all(o["unlisted"] for o in options):  # said once, not on every line
        for o in options:
            o["unlisted"] = False
        return {"kind": kind, "text": text, "options": options, "note": words.t("options_all_unlisted")}
    return {"kind": kind, "text": text, "options": options}


def _aside(text: Markup) -> Markup:
    """A part of the verdict that qualifies it (its tied paths): set apart from the sentence that
    answers, in normal weight (an outside review: at 390 px the whole answer in heading-size bold
    ran to 30 lines)."""
    return Markup('<span class="verdict-aside">{}</span>').format(text)


def _more_markup(words: Words, groups: list[dict[str, Any]]) -> Markup:
    """The paths tied with the first: how many; when they go through other categories, that the one
    to take is the one whose scope fits the mini program's real business (the source's L5: a
    category that does not is rejected at review), which no cost can say."""
    more = len(groups) - 1
    differ = _through_other_categories(groups)
    return words.t("verdict_more_choose" if differ else "verdict_more", markup=True, n=more)


def _scopes_markup(words: Words, plan: dict[str, Any]) -> Markup:
    """The scope (类目适用范围) of each category of the plan that has one, quoted: the answer holds only
    if the mini program fits it (the engine's ``scope``; L5: a category must match the real scenario)."""
    parts = []
    for c in plan["categories"]:
        scope = plan.get("scope", {}).get(c)
        if not scope:
            continue
        quoted = Markup('<span class="src scope" lang="zh-CN">{}</span>').format(scope.removesuffix("。"))
        gloss = words.names.gloss("scopes", c)
        glossed = Markup(' <span class="gloss">({})</span>').format(gloss.removesuffix(".")) if gloss else Markup("")
        parts.append(words.t("verdict_scope", markup=True, category=cat_name(words, c), scope=quoted, gloss=glossed))
    return joined(words, parts, "items_sep")


def _external_markup(words: Words, plan: dict[str, Any]) -> Markup:
    """The plan's requirements outside the catalogue (the engine's ``external_requirements``), as a clause."""
    names = [Markup(escape(words.external(x))) for x in plan.get("external_requirements", [])]
    return words.t("verdict_external", markup=True, external=joined(words, names)) if names else Markup("")


def unlisted_categories(words: Words, group: dict[str, Any]) -> list[str]:
    """The plan's categories for which every option of the group asks no document (the source's 「-」)."""
    cat = words.cat
    return [
        c
        for c in group["first"]["categories"]
        if all(not cat.categories[c].alternative(p["alternatives"][c]).items for _, p in group["plans"])
    ]


# -- next steps and no-plan reasons -------------------------------------------------------------------
def next_steps(
    words: Words, answer: dict[str, Any], relevant: set[str], link: Callable[[str, int], str], limit: int = 3
) -> list[dict[str, Any]]:
    """The engine's next steps that lower the goal's cheapest cost (best first, at most ``limit``)."""
    before = answer["cheapest"]["cost"]
    out = []
    for step in answer["next_steps"]:
        if not step["lowers_by"]:
            continue
        out.append(
            {
                "step": step,
                "before": before,
                "unlocks": [c for c in step["unlocks"] if c in relevant],
                "link": link(step["document"], step["count"]),
            }
        )
        if len(out) == limit:
            break
    return out


def no_plan_reasons(words: Words, answer: dict[str, Any], without: Callable[[str], str]) -> list[dict[str, Any]]:
    """Why there is no plan, most specific first: the sentence, the source's remedy, a what-if link."""
    out = []
    # a category open only to some roles is one reason naming them all ("… open only to A, B or C"),
    # not one line per role, each of which would read as if that role alone could
    roles: dict[str, list[str]] = {}
    for r in answer["cheapest"]["no_plan_reasons"]:
        if r["kind"] in ("role_missing", "role_not_for_type"):
            roles.setdefault(r["category"], []).append(r["role"])
    for r in answer["cheapest"]["no_plan_reasons"]:
        kind = r["kind"]
        remedy = ""
        link = ""
        if kind in ("role_missing", "role_not_for_type") and r["role"] != roles[r["category"]][0]:
            continue
        if kind == "activity_blocks":
            a = r["activity"]
            text = words.t(
                "reason_activity_blocks",
                markup=True,
                activity=activity_name(words, a),
                category=cat_name(words, r["category"]),
                note=Markup('<q lang="zh-CN">{}</q>').format(words.cat.activities[a].text)
                if words.lang == "en"
                else Markup("“{}”").format(words.cat.activities[a].text),
            )
            if words.cat.activities[a].remedy:
                remedy = words.names.remedy(a)
            link = without(a)
            short = words.t(
                "reason_activity_blocks_short",
                markup=True,
                activity=activity_name(words, a),
                category=cat_name(words, r["category"]),
            )
        elif kind in ("role_missing", "role_not_for_type"):
            either = words.names.either([words.role(role) for role in roles[r["category"]]])
            subject = words.names.subject(r["subject_type"]) if kind == "role_not_for_type" else ""
            text = words.t(
                f"reason_{kind}", markup=True, category=cat_name(words, r["category"]), role=either, subject=subject
            )
        elif kind == "item_not_for_type":
            text = words.t(
                "reason_item_not_for_type",
                markup=True,
                category=cat_name(words, r["category"]),
                item=item_name(words, r["item"]),
                subject=words.names.subject(r["subject_type"]),
            )
        elif kind == "subject_unsupported":
            text = Markup(escape(words.names.subject_rule(r["subject_type"])[0]))
        else:
            text = words.t("reason_goal_filters", markup=True)
            short = words.t("reason_goal_filters_short", markup=True)
        if kind not in ("activity_blocks", "goal_filters"):
            short = text
        out.append(
            {
                "kind": kind,
                "text": text,
                "short": short,
                "remedy": remedy,
                "without": link,
                "activity": r.get("activity"),
            }
        )
    return out


# -- categories -------------------------------------------------------------------------------------
def relevant_categories(answer: dict[str, Any], scenario: str | None) -> set[str]:
    """The categories of the scenario (all without one), and every category of a cheapest plan."""
    ids = {e["id"] for e in answer["categories"] if scenario in (None, e["scenario"])}
    for p in answer["cheapest"]["plans"]:
        ids.update(p["categories"])
    return ids


def category_why(words: Words, entry: dict[str, Any]) -> list[Markup]:
    """Why a category has its status, from the engine's reasons (no line numbers, no ids)."""
    c = entry["id"]
    lines: list[Markup] = []
    for r in entry["reasons"]:
        kind = r["kind"]
        if kind in ("reserved", "reserved_for_other_type"):
            alternative = alt_name(words, c, r["alternative"])
            subject = words.names.subject(r["subject_type"]) if kind == "reserved_for_other_type" else ""
            role = words.role(r["role"])
            lines.append(words.t(f"why_{kind}", markup=True, alternative=alternative, role=role, subject=subject))
        elif kind == "item_not_for_type":
            alternative = alt_name(words, c, r["alternative"])
            subject = words.names.subject(r["subject_type"])
            item = item_name(words, r["item"])
            lines.append(
                words.t("why_item_not_for_type", markup=True, alternative=alternative, item=item, subject=subject)
            )
        elif kind == "blocked_by_activity":
            line = words.t("why_blocked", markup=True, activity=activity_name(words, r["activity"]))
            if words.cat.activities[r["activity"]].remedy:
                remedy = words.names.remedy(r["activity"])
                line += words.t("sentence_sep") + words.t("why_remedy", markup=True, remedy=remedy)
            lines.append(line)
        elif kind == "excluded_by_activity":
            lines.append(words.t("why_excluded", markup=True, activity=activity_name(words, r["activity"])))
        elif kind == "plain_only":
            lines.append(
                words.t(
                    "why_plain_only",
                    markup=True,
                    plain=item_name(words, r["plain"]),
                    alternative=alt_name(words, c, r["alternative"]),
                    item=item_name(words, r["item"]),
                )
            )
        elif kind == "requires_category":
            lines.append(
                words.t(
                    "why_requires",
                    markup=True,
                    activity=activity_name(words, r["activity"]),
                    category=cat_name(words, r["category"]),
                )
            )
        elif kind == "required_category_unusable":
            lines.append(words.t("why_required_unusable", markup=True, category=cat_name(words, r["category"])))
        elif kind == "external":
            lines.append(
                words.t(
                    "why_external",
                    markup=True,
                    activity=activity_name(words, r["activity"]),
                    external=words.external(r["external_category"]),
                )
            )
        elif kind == "unsupported_subject":
            lines.append(Markup(escape(words.names.subject_rule(r["subject_type"])[0])))
    return lines
