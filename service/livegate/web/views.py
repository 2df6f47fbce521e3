"""The web page: a form for a profile and the engine's answer, rendered on the server.

Routes (the ``web`` blueprint, registered by :func:`livegate.api.create_app`):

=========================  ==========================================================
``GET /``                  the form; with a profile in the query string, the answer too
``GET /category/<id>``     one category: its diagram, alternatives, missing sets, why
``GET /diagram/<id>.svg``  the diagram alone (``image/svg+xml``)
``GET /checklist``         a printable checklist of the items a cheapest plan still needs
``GET /checklist.md``      the same checklist as Markdown (a download)
``GET /checklist.csv``     the same checklist as CSV (a download, UTF-8 with a BOM)
=========================  ==========================================================

**The profile lives in the URL.** The form is submitted with GET, so the query
string *is* the profile and a link reproduces the answer: ``subject`` (type),
``role``, ``doc`` (items held), ``count.<item>`` (how many of a counted item),
``act`` (activities), ``scenario``, ``cat`` (candidate categories), ``access``,
``cost.<item>`` (cost overrides); ``lang=en`` switches to English (Chinese is
the default) and ``plan=N`` picks one of several tied plans for the checklist.
Empty fields a browser submits are dropped by a redirect to the clean URL.

**No domain decision is made here.** Statuses, missing sets, costs and plans
all come from :meth:`Engine.evaluate`; this module names things (the source's
own names, English glosses from ``static/web/i18n.json``), orders nothing the
engine ordered, and builds links. The one piece of arithmetic is an item's
line on a checklist: the unit cost the engine reports (``item_costs``, from
the solver's ``missing_item_cost/2``) times the shortfall it reports.

Every asset is served from the package (``static/web/``); responses carry a
Content-Security-Policy that forbids any other origin. The page works without
JavaScript; ``livegate.js`` only enhances it (answers swapped in without a full
reload, history kept, a document filter, copy-link).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from . import api
from .diagram import Alternative, Diagram, Item, render
from .engine import EvaluationTimeout
from .knowledge import Catalogue
from .profile import ProfileError

__all__ = ["web", "FormState", "LANGUAGES", "CSP"]

web = Blueprint("web", __name__)

LANGUAGES = ("zh", "en")
"""Page languages; the first is the default."""

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
"""Content-Security-Policy of every page: nothing but this server, no inline script or style."""

WEB_EXTENSION = "livegate.web"
_I18N = Path(__file__).resolve().parent / "static" / "web" / "i18n.json"
_LIST_KEYS = {"role", "doc", "act", "cat"}
_SINGLE_KEYS = {"subject", "scenario", "access"}
_INTEGER = re.compile(r"\s*-?\d{1,12}\s*")
_ISSUER_ORDER = ("licence", "registration", "partner", "self_prepared")

# -- the page's own words --------------------------------------------------------------
MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "title": "小程序直播类目助手",
        "tagline": "哪些服务类目能让我的小程序直播？还缺什么？从现在起最省事的路径是什么？",
        "lang_switch": "English", "lang_switch_title": "Switch to English",
        "intro": "填写主体、已持有的材料和目标，然后查询：先给出成本最低的路径，再列出每个类目的状态。"
                 "规则来自腾讯云关于小程序直播服务类目的文档（名称均按原文）。",
        "form_title": "您的情况", "subject_legend": "主体", "subject_type": "主体类型",
        "roles_legend": "角色（部分资质方案仅适用于这些主体）",
        "items_legend": "已持有的材料",
        "items_hint": "按来源文档的章节分组，名称与来源一致；带“份数”的材料请填写份数。",
        "items_filter": "筛选材料", "items_filter_placeholder": "输入名称的一部分，如 营业执照",
        "count_label": "份数", "count_required": "来源要求 {n} 份或以上",
        "plain_hint": "若证照含下列限定范围，请勾选对应的限定项", "used_by": "用于", "and_more": "等 {n} 个类目", "selected": "已选 {n}",
        "activities_legend": "业务情况（来源中的注意事项）", "source_note": "来源原文",
        "goal_legend": "目标", "scenario": "直播场景", "any": "不限", "access": "接入方式",
        "candidates": "候选类目（不选即不限）",
        "advanced": "高级：自定义材料成本",
        "advanced_hint": "默认成本按出具方：{classes}。填写数字即覆盖该材料的成本，留空则用默认值。",
        "default_cost": "默认 {n}",
        "submit": "查询最低成本路径",
        "answer_title": "结果", "edit": "修改资料", "share": "分享链接（包含全部资料）", "copy": "复制链接",
        "copied": "已复制",
        "cheapest": "最低成本路径", "tied": "共 {n} 条路径成本相同，均列出如下。",
        "plan_n": "路径 {n}", "cost": "成本", "total_cost": "合计成本",
        "direct": "政府主体可直接接入，无需任何类目",
        "no_path": "没有可行路径",
        "plan_categories": "类目", "alternative": "资质方案", "or": "或",
        "still_needed": "还需取得", "nothing_missing": "所需材料均已具备，可直接申请。",
        "item": "材料", "issuer": "出具方", "count": "数量", "unit_cost": "单价", "line_cost": "成本",
        "whatif": "如果我也有…", "whatif_title": "假设已持有此材料，重新计算",
        "companions": "同时需要的类目", "external": "另需补充（不在本目录内，不计成本）",
        "lead_time": "预计额外审核时间：约 {n} 天", "warnings": "注意",
        "checklist": "材料清单", "print": "可打印清单", "download_md": "下载 Markdown",
        "download_csv": "下载 CSV",
        "why": "为什么", "explain": "详细说明", "engine_note": "", "met_by": "已具备：",
        "all_categories": "全部类目", "col_category": "类目", "col_status": "状态",
        "col_access": "接入方式", "col_missing": "还缺什么", "col_why": "原因",
        "other_options": "另有 {n} 种方案", "nothing": "—",
        "source": "来源", "source_line": "（第 {n} 行）", "diagram": "结构图",
        "general_notes": "来源的总体说明",
        "errors_title": "资料有误，请修改后重新查询",
        "ruleset": "规则版本", "decision": "决策编号", "api": "JSON 接口文档",
        "held": "已持有", "missing_mark": "缺少", "absent": "未持有",
        "shortfall": "还差 {n} 份", "needs": "需 {n} 份", "holds_count": "已有 {n} 份",
        "reserved_for": "仅适用于：{roles}", "met": "已全部具备", "lacks": "缺 {n} 项 · 成本 {c}",
        "all_of": "需同时具备：", "nothing_required": "资质要求为「-」：无需提交材料",
        "held_as": "以所持 {name} 满足",
        "back": "返回结果", "scene": "直播场景", "scope": "适用范围", "alternatives": "资质方案（任选其一）",
        "missing_sets": "各方案还缺", "status": "状态",
        "status.eligible": "可申请", "status.missing": "尚缺材料", "status.not_applicable": "不适用",
        "status.blocked": "被阻止",
        "status_help.eligible": "有一个资质方案已全部具备。",
        "status_help.missing": "尚缺材料；按成本最低的方案列出。",
        "status_help.not_applicable": "主体类型、角色或所声明的业务使本类目不适用。",
        "status_help.blocked": "所声明的业务使本类目被阻止。",
        "checklist_title": "直播接入材料清单", "print_button": "打印",
        "nothing_to_obtain": "无需再取得任何材料。",
        "profile_summary": "主体：{subject}；已持有 {docs} 项材料",
        "combined": "与{other}同时具备时可使用{access}接入",
        "requires_categories": "还需同时具备的类目",
        "error_title": "出错了", "not_found": "没有这个页面或类目：{what}",
        "timeout": "计算超时，请稍后重试。", "unavailable": "暂时无法给出答案：{message}",
        "generated": "生成时间", "link": "链接", "plan_of": "（共 {n} 条路径中的第 {k} 条）",
    },
    "en": {
        "title": "Live streaming for WeChat mini programs",
        "tagline": "Which service categories let my mini program stream live, what am I missing, "
                   "and what is the cheapest path from where I stand?",
        "lang_switch": "中文", "lang_switch_title": "切换到中文",
        "intro": "Fill in your subject, the documents you hold and your goal, then ask: the cheapest path "
                 "comes first, then every category's status. The rules come from Tencent Cloud's page on "
                 "the mini-program service categories that permit live streaming. Names are the source's "
                 "own (Chinese), with an English gloss.",
        "form_title": "Your situation", "subject_legend": "Subject", "subject_type": "Subject type",
        "roles_legend": "Roles (some alternatives are reserved for them)",
        "items_legend": "Documents you hold",
        "items_hint": "Grouped by the source's sections and named as the source names them; for a document "
                      "with a number field, give how many you hold.",
        "items_filter": "Filter documents", "items_filter_placeholder": "part of a name, e.g. 营业执照 or licence",
        "count_label": "How many", "count_required": "the source asks for {n} or more",
        "plain_hint": "if yours carries a qualification listed below, tick that one instead",
        "used_by": "Used by", "and_more": "and {n} more", "selected": "{n} selected",
        "activities_legend": "What your mini program does (the source's notes)", "source_note": "Source note",
        "goal_legend": "Goal", "scenario": "Live scenario", "any": "Any", "access": "Access method",
        "candidates": "Candidate categories (none selected means any)",
        "advanced": "Advanced: cost overrides",
        "advanced_hint": "Default costs by issuer: {classes}. A number replaces that document's cost; "
                         "leave it empty for the default.",
        "default_cost": "default {n}",
        "submit": "Find the cheapest path",
        "answer_title": "Answer", "edit": "Edit profile", "share": "Shareable link (holds the whole profile)",
        "copy": "Copy link", "copied": "Copied",
        "cheapest": "Cheapest path", "tied": "{n} paths tie at the same cost; all are listed.",
        "plan_n": "Path {n}", "cost": "Cost", "total_cost": "Total cost",
        "direct": "Government subjects may stream directly, with no category",
        "no_path": "No path",
        "plan_categories": "Categories", "alternative": "Alternative", "or": "or",
        "still_needed": "Still to obtain", "nothing_missing": "You hold everything required; apply now.",
        "item": "Document", "issuer": "Issued as", "count": "Count", "unit_cost": "Unit cost",
        "line_cost": "Cost",
        "whatif": "What if I also had this?", "whatif_title": "Re-evaluate as if you held this document",
        "companions": "Together with", "external": "Also needed (outside this catalogue, no cost)",
        "lead_time": "Extra review time: about {n} days", "warnings": "Notes",
        "checklist": "Checklist", "print": "Printable checklist", "download_md": "Download Markdown",
        "download_csv": "Download CSV",
        "why": "Why", "explain": "Explanation", "engine_note": "The rule engine's explanation (in Chinese):",
        "met_by": "Met by: ",
        "all_categories": "All categories", "col_category": "Category", "col_status": "Status",
        "col_access": "Access", "col_missing": "What is missing", "col_why": "Why",
        "other_options": "{n} more option(s)", "nothing": "—",
        "source": "Source", "source_line": " (line {n})", "diagram": "Diagram",
        "general_notes": "General notes from the source",
        "errors_title": "The profile has a problem; please correct it and ask again",
        "ruleset": "Ruleset", "decision": "Decision id", "api": "JSON API docs",
        "held": "held", "missing_mark": "missing", "absent": "not held",
        "shortfall": "{n} more", "needs": "needs {n}", "holds_count": "you hold {n}",
        "reserved_for": "Reserved for: {roles}", "met": "Fully held", "lacks": "Lacks {n} · cost {c}",
        "all_of": "All of:", "nothing_required": "Requirement is “-”: no documents needed",
        "held_as": "met by your {name}",
        "back": "Back to the answer", "scene": "Live scenario", "scope": "Scope",
        "alternatives": "Alternatives (any one)", "missing_sets": "What each alternative lacks",
        "status": "Status",
        "status.eligible": "Eligible", "status.missing": "Missing documents",
        "status.not_applicable": "Not applicable", "status.blocked": "Blocked",
        "status_help.eligible": "An alternative is fully held.",
        "status_help.missing": "Documents are missing; the cheapest alternative is shown.",
        "status_help.not_applicable": "The subject type, its roles or a declared activity rule it out.",
        "status_help.blocked": "A declared activity blocks it.",
        "checklist_title": "Checklist for live streaming", "print_button": "Print",
        "nothing_to_obtain": "Nothing more to obtain.",
        "profile_summary": "Subject: {subject}; {docs} document(s) held",
        "combined": "together with {other}, access by {access}",
        "requires_categories": "Also requires the categories",
        "error_title": "Something went wrong", "not_found": "No such page or category: {what}",
        "timeout": "The evaluation took too long; please try again.",
        "unavailable": "No answer can be given right now: {message}",
        "generated": "Generated", "link": "Link", "plan_of": "(path {k} of {n})",
    },
}


def _load_i18n() -> dict[str, Any]:
    return json.loads(_I18N.read_text(encoding="utf-8"))


# -- what is computed once per app from the catalogue ------------------------------------
def _top_section(section: str) -> str:
    """The source's top-level section of a category's section ("教育 > 在线视频课程" -> "教育")."""
    for sep in (" > ", " - "):
        if sep in section:
            return section.split(sep, 1)[0].strip()
    return section.strip()


class Site:
    """The catalogue arranged for the form (computed once per app): items grouped by the source's
    sections, the count the source asks for each counted item, which categories use each item."""

    def __init__(self, catalogue: Catalogue):
        self.cat = catalogue
        self.i18n = _load_i18n()
        self.required_count: dict[str, int] = {}
        self.used_by: dict[str, list[str]] = {}
        for c, info in catalogue.categories.items():
            for alt in info["alternatives"]:
                for entry in alt["items"]:
                    i = entry["item"]
                    if catalogue.items[i]["counted"]:
                        self.required_count[i] = max(self.required_count.get(i, 0), entry["count"])
                    users = self.used_by.setdefault(i, [])
                    if c not in users:
                        users.append(c)
        self.item_sections = self._item_sections()
        self.category_sections = self._category_sections()

    def _family(self, i: str) -> list[str]:
        """A plain document and its qualified forms, plain first."""
        root = self.cat.items[i]["plain_form"] or i
        return [root] + list(self.cat.items[root]["qualified_forms"])

    def _item_sections(self) -> list[tuple[str, list[str]]]:
        sections: dict[str, list[list[str]]] = {}
        placed: set[str] = set()
        for info in self.cat.categories.values():  # the source's order
            families = sections.setdefault(_top_section(info["source"]["section"]), [])
            for alt in info["alternatives"]:
                for entry in alt["items"]:
                    family = [i for i in self._family(entry["item"]) if i not in placed]
                    if family:
                        placed.update(family)
                        families.append(family)
        rest = [i for i in self.cat.items if i not in placed]
        if rest:
            sections.setdefault("", []).extend([i] for i in rest)

        def order(family: list[str]) -> tuple:
            klass = self.cat.items[family[0]]["issuer_class"]
            rank = _ISSUER_ORDER.index(klass) if klass in _ISSUER_ORDER else len(_ISSUER_ORDER)
            return rank, self.cat.items[family[0]]["name"]

        return [(name, [i for family in sorted(fams, key=order) for i in family])
                for name, fams in sections.items() if fams]

    def _category_sections(self) -> list[tuple[str, list[str]]]:
        out: dict[str, list[str]] = {}
        for c, info in self.cat.categories.items():
            out.setdefault(_top_section(info["source"]["section"]), []).append(c)
        return list(out.items())


@web.record_once
def _setup(state) -> None:
    app: Flask = state.app
    app.extensions[WEB_EXTENSION] = Site(app.extensions[api.EXTENSION].engine.catalogue)


def _site() -> Site:
    return current_app.extensions[WEB_EXTENSION]


# -- words in the page's language -------------------------------------------------------
class Words:
    """Names and phrases in one language. The source's names (Chinese) are always shown; in English
    an English gloss comes beside them (``gloss_*``)."""

    def __init__(self, lang: str, site: Site):
        self.lang = lang
        self.site = site
        self.cat = site.cat
        self.messages = MESSAGES[lang]
        self.en = site.i18n["en"] if lang == "en" else {}
        self.colon = ": " if lang == "en" else "："

    def t(self, key: str, **values: Any) -> str:
        text = self.messages[key]
        return text.format(**values) if values else text

    def _gloss(self, table: str, key: str) -> str | None:
        return self.en.get(table, {}).get(key)

    # the source's names, and their English glosses
    def category(self, c: str) -> str:
        return self.cat.categories[c]["name"]

    def gloss_category(self, c: str) -> str | None:
        return self._gloss("categories", c)

    def item(self, i: str) -> str:
        it = self.cat.items[i]
        return it["name"] + (f"（{it['qualifier']}）" if it["qualifier"] else "")

    def gloss_item(self, i: str) -> str | None:
        name = self._gloss("items", i)
        if name is None:
            return None
        qualifier = self._gloss("qualifiers", i)
        return f"{name} ({qualifier})" if qualifier else name

    def gloss_section(self, s: str) -> str | None:
        return self._gloss("sections", s)

    def alternative(self, c: str, alt: str) -> str:
        for a in self.cat.categories[c]["alternatives"]:
            if a["id"] == alt:
                return a["label"]
        return alt

    # the catalogue's vocabulary, in the page's language
    def _named(self, table: str, key: str, zh: str) -> str:
        return self._gloss(table, key) or zh

    def subject(self, t: str) -> str:
        return self._named("subject_types", t, self.cat.subject_types[t])

    def role(self, r: str) -> str:
        return self._named("roles", r, self.cat.roles[r])

    def scenario(self, s: str) -> str:
        return self._named("scenarios", s, self.cat.scenarios[s])

    def access(self, a: str) -> str:
        return self._named("access_methods", a, self.cat.access_methods[a]["name"])

    def issuer(self, k: str) -> str:
        zh = {"self_prepared": "自行准备", "partner": "需合作方提供", "registration": "登记备案",
              "licence": "行政许可"}.get(k, k)
        return self._named("issuer_classes", k, zh)

    def issuer_costs(self) -> str:
        """The issuer classes with their default costs, as the catalogue gives them."""
        return "、".join(f"{self.issuer(k)} {v}" for k, v in sorted(self.cat.issuer_classes.items(),
                                                                  key=lambda kv: kv[1]))

    def status(self, s: str) -> str:
        return self.t(f"status.{s}")

    def status_help(self, s: str) -> str:
        return self.t(f"status_help.{s}")

    def external(self, x: str) -> str:
        return self._named("external_categories", x, self.cat.external_categories[x])

    def activity(self, a: str) -> str:
        if self.lang == "en":
            return self._gloss("activities", a) or self.cat.activities[a]["text"]
        return self.site.i18n["zh"]["activities"].get(a) or self.cat.activities[a]["text"]

    def warning(self, w: dict) -> str:
        table = "notes" if w["kind"] == "note" else "remedies"
        return self._gloss(table, w["id"]) or w["text"] or ""

    def note(self, n: dict) -> str:
        return self._gloss("notes", n["id"]) or n["text"]


# -- the profile in the query string ------------------------------------------------------
@dataclass
class FormState:
    """The form's fields as the query string gives them (strings, unvalidated)."""

    subject: str | None = None
    roles: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    counts: dict[str, str] = field(default_factory=dict)
    acts: list[str] = field(default_factory=list)
    scenario: str | None = None
    cats: list[str] = field(default_factory=list)
    access: str | None = None
    costs: dict[str, str] = field(default_factory=dict)
    present: bool = False

    @classmethod
    def from_args(cls, args: MultiDict) -> "FormState":
        def unique(key: str) -> list[str]:
            return list(dict.fromkeys(v for v in args.getlist(key) if v))

        state = cls(subject=args.get("subject") or None, roles=unique("role"), docs=unique("doc"),
                    acts=unique("act"), scenario=args.get("scenario") or None, cats=unique("cat"),
                    access=args.get("access") or None)
        for key, value in args.items(multi=True):
            if key.startswith("count.") and value.strip():
                state.counts[key[len("count."):]] = value.strip()
            elif key.startswith("cost.") and value.strip():
                state.costs[key[len("cost."):]] = value.strip()
        state.present = any(k in _LIST_KEYS or k in _SINGLE_KEYS or k.startswith(("count.", "cost."))
                            for k in args)
        return state

    def to_profile(self) -> dict[str, Any]:
        """The profile as the engine reads it (JSON shape of SPEC section 3). Numbers that do not parse
        are passed on as text, so the engine's validation names the field and the problem."""
        subject: dict[str, Any] = {}
        if self.subject is not None:
            subject["type"] = self.subject
        subject["roles"] = self.roles
        goal: dict[str, Any] = {"categories": self.cats}
        if self.scenario is not None:
            goal["scenario"] = self.scenario
        if self.access is not None:
            goal["access"] = self.access
        return {"subject": subject, "documents": self.docs,
                "counts": {i: _number(v) for i, v in self.counts.items()},
                "activities": self.acts, "goal": goal,
                "costs": {i: _number(v) for i, v in self.costs.items()}}

    def held_in(self, items: list[str]) -> int:
        """How many of ``items`` the form says are held."""
        return sum(1 for i in items if self.held_count(i) > 0)

    def held_count(self, i: str) -> int:
        """How many of item ``i`` the form says are held (a count replaces a checked document)."""
        if i in self.counts:
            value = _number(self.counts[i])
            return value if isinstance(value, int) else 0
        return 1 if i in self.docs else 0


def _number(text: str) -> int | str:
    return int(text) if _INTEGER.fullmatch(text) else text


def _lang() -> str:
    lang = request.args.get("lang", LANGUAGES[0])
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _pairs(args: MultiDict | None = None) -> list[tuple[str, str]]:
    return [(k, v) for k, v in (request.args if args is None else args).items(multi=True) if v != ""]


def _query(pairs: list[tuple[str, str]]) -> str:
    return ("?" + urlencode(pairs)) if pairs else ""


def _profile_pairs() -> list[tuple[str, str]]:
    """The query's profile and language, without page-specific keys (plan)."""
    return [(k, v) for k, v in _pairs() if k != "plan"]


def _url(endpoint: str, pairs: list[tuple[str, str]] | None = None, **values: Any) -> str:
    return url_for(endpoint, **values) + _query(_profile_pairs() if pairs is None else pairs)


def _lang_toggle() -> str:
    other = "en" if _lang() == "zh" else "zh"
    pairs = [(k, v) for k, v in _pairs() if k != "lang"]
    if other != LANGUAGES[0]:
        pairs.append(("lang", other))
    return request.path + _query(pairs)


def _whatif_url(form: FormState, item: str, shortfall: int) -> str:
    """The answer's URL with ``item`` added to the profile (``shortfall`` more of a counted item)."""
    pairs = [(k, v) for k, v in _profile_pairs() if k != f"count.{item}"]
    if _site().cat.items[item]["counted"]:
        pairs.append((f"count.{item}", str(form.held_count(item) + shortfall)))
    elif item not in form.docs:
        pairs.append(("doc", item))
    return url_for("web.index") + _query(pairs) + "#answer"


# -- evaluation -----------------------------------------------------------------------------
def _evaluate(form: FormState) -> tuple[Any, dict[str, Any]]:
    """The engine's parsed profile and answer; the decision is logged like the API's."""
    profile, answer, _ = api.decide(form.to_profile(), f"web:{request.endpoint.split('.')[-1]}")
    return profile, answer


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- shaping the answer for the templates ---------------------------------------------------
def _missing_rows(answer: dict[str, Any], form: FormState, items: dict[str, int]) -> list[dict[str, Any]]:
    """The rows of a missing-items table; unit costs are the engine's (``item_costs``)."""
    cat = _site().cat
    rows = []
    for i, n in items.items():
        unit = answer["item_costs"][i]
        rows.append({"id": i, "count": n, "counted": cat.items[i]["counted"],
                     "issuer_class": cat.items[i]["issuer_class"], "unit_cost": unit, "cost": unit * n,
                     "whatif": _whatif_url(form, i, n)})
    return rows


def _plans(profile: Any, form: FormState, answer: dict[str, Any]) -> list[dict[str, Any]]:
    by_id = {c["id"]: c for c in answer["categories"]}
    plans = []
    for k, p in enumerate(answer["cheapest"]["plans"]):
        warnings: dict[tuple, dict] = {}
        for c in p["categories"]:
            for w in by_id[c]["warnings"]:
                warnings.setdefault((w["kind"], w["id"]), w)
        plan_pairs = _profile_pairs() + ([("plan", str(k))] if k else [])
        plans.append({
            "index": k, "number": k + 1, "plan": p,
            "categories": [{"id": c, "alternatives": p["equivalent_alternatives"].get(c, [])}
                           for c in p["categories"]],
            "missing": _missing_rows(answer, form, {d["id"]: d["count"] for d in p["missing_detail"]}),
            "warnings": list(warnings.values()),
            "links": {"print": _url("web.checklist", plan_pairs), "md": _url("web.checklist_md", plan_pairs),
                      "csv": _url("web.checklist_csv", plan_pairs)},
        })
    return plans


def _category_rows(profile: Any, form: FormState, answer: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in answer["categories"]:
        sets = entry["missing_sets"]
        shown = sets[0] if sets and entry["status"] in ("missing", "blocked") else None
        rows.append({
            "entry": entry,
            "missing": (_missing_rows(answer, form, {i: shown["shortfalls"].get(i, 1) for i in shown["documents"]})
                        if shown else []),
            "shown_set": shown,
            "met": [s["alternatives"] for s in sets if not s["documents"]],
            "more_sets": len(sets) - 1 if shown else 0,
            "page": _url("web.category", id_=entry["id"]),
            "diagram": _url("web.diagram", id_=entry["id"]),
        })
    return rows


def _diagram(words: Words, c: str, form: FormState | None, entry: dict[str, Any] | None,
             key: str | None = None) -> Diagram:
    """What to draw for category ``c``: alternative states and missing marks from the engine's missing
    sets; for alternatives outside them, what the profile holds as it says it."""
    cat = words.cat
    info = cat.categories[c]
    sets_by_alt: dict[str, dict] = {}
    for s in (entry or {}).get("missing_sets", []):
        own = s["alternatives"].get(c, s["alternative"])
        if own not in sets_by_alt or s["cost"] < sets_by_alt[own]["cost"]:
            sets_by_alt[own] = s
    alternatives = []
    for alt in info["alternatives"]:
        s = sets_by_alt.get(alt["id"])
        notes = []
        if s is not None and not s["documents"]:
            state = "met"
            notes.append(words.t("met"))
        elif s is not None:
            state = "missing"
            notes.append(words.t("lacks", n=sum(s["shortfalls"].get(i, 1) for i in s["documents"]), c=s["cost"]))
        else:
            state = "other"
        if alt["reserved_for"]:
            notes.append(words.t("reserved_for", roles="、".join(words.role(r) for r in alt["reserved_for"])))
        items = []
        for requirement in alt["items"]:
            i, need = requirement["item"], requirement["count"]
            counted = cat.items[i]["counted"]
            detail = [words.issuer(cat.items[i]["issuer_class"])]
            gloss = words.gloss_item(i)
            if gloss:
                detail.insert(0, gloss)
            if counted:
                detail.append(words.t("needs", n=need))
            held = form.held_count(i) if form is not None else 0
            if s is not None:
                mark = "missing" if i in s["documents"] else "held"
                if i in s["documents"] and counted:
                    detail.append(words.t("shortfall", n=s["shortfalls"].get(i, 1)))
            elif form is None:
                mark = "absent"
            elif held >= need:
                mark = "held"
            else:
                mark = "absent"
                qualified = [q for q in cat.items[i]["qualified_forms"] if form.held_count(q) >= need]
                if qualified:
                    mark = "held"
                    detail.append(words.t("held_as", name=words.item(qualified[0])))
            if counted and form is not None and held:
                detail.append(words.t("holds_count", n=held))
            items.append(Item(words.item(i), " · ".join(detail), mark))
        alternatives.append(Alternative(alt["label"], state, " · ".join(notes), items))
    status = entry["status"] if entry else None
    title = words.category(c) + (f" — {words.gloss_category(c)}" if words.gloss_category(c) else "")
    subtitle = f"{words.t('access')}{words.colon}{words.access(info['access'])} · {words.t('source')}{words.colon}" \
               f"{info['source']['section']}{words.t('source_line', n=info['source']['line'])}"
    description = "; ".join(f"{a.label}: {a.note}" if a.note else a.label for a in alternatives)
    return Diagram(key=key or f"diagram-{c}", title=title, subtitle=subtitle, status=status,
                   status_label=words.status(status) if status else "", alternatives=alternatives,
                   words={"or": words.t("or"), "all_of": words.t("all_of"),
                          "nothing_required": words.t("nothing_required"), "held": words.t("held"),
                          "missing": words.t("missing_mark"), "absent": words.t("absent")},
                   description=description)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    lang = _lang()
    words = Words(lang, _site())
    body = render_template(template, lang=lang, w=words, site=_site(), ruleset=api._state().ruleset,
                           lang_toggle=_lang_toggle(), decision_id=g.get("decision_id"), **context)
    return Response(body, status=status, mimetype="text/html")


# -- routes ------------------------------------------------------------------------------------
@web.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Vary"] = "Accept-Language"
    return response


@web.get("/")
def index():
    if any(v == "" for _, v in request.args.items(multi=True)):
        # a GET form submits its empty fields; the shareable URL leaves them out
        return redirect(request.path + _query(_pairs()), code=303)
    form = FormState.from_args(request.args)
    context: dict[str, Any] = {"form": form, "answer": None, "errors": []}
    status = 200
    if form.present:
        try:
            profile, answer = _evaluate(form)
        except ProfileError as exc:
            context["errors"] = exc.errors
            status = exc.status
        else:
            context.update(answer=answer, plans=_plans(profile, form, answer),
                           rows=_category_rows(profile, form, answer), share_url=request.url)
            words = Words(_lang(), _site())
            context["plan_diagrams"] = [
                Markup(render(_diagram(words, c, form, next(e for e in answer["categories"] if e["id"] == c),
                                       key=f"plan{p['index']}-{c}")))
                for p in context["plans"][:1] for c in p["plan"]["categories"]]
    return _page("web/index.html", status, **context)


def _category_or_404(id_: str) -> dict[str, Any]:
    info = _site().cat.categories.get(id_)
    if info is None:
        raise NotFound(id_)
    return info


@web.get("/category/<id_>")
def category(id_: str):
    info = _category_or_404(id_)
    form = FormState.from_args(request.args)
    entry, rows = None, []
    if form.present:
        profile, answer = _evaluate(form)
        entry = next(e for e in answer["categories"] if e["id"] == id_)
        rows = [{"set": s, "missing": _missing_rows(answer, form, {i: s["shortfalls"].get(i, 1)
                                                                    for i in s["documents"]})}
                for s in entry["missing_sets"]]
    words = Words(_lang(), _site())
    svg = Markup(render(_diagram(words, id_, form if form.present else None, entry)))
    return _page("web/category.html", info=info, entry=entry, form=form, sets=rows, svg=svg,
                 back=_url("web.index") + f"#cat-{id_}")


@web.get("/diagram/<id_>.svg")
def diagram(id_: str):
    _category_or_404(id_)
    form = FormState.from_args(request.args)
    entry = None
    if form.present:
        _, answer = _evaluate(form)
        entry = next(e for e in answer["categories"] if e["id"] == id_)
    svg = render(_diagram(Words(_lang(), _site()), id_, form if form.present else None, entry))
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, mimetype="image/svg+xml")


def _checklist_data() -> dict[str, Any]:
    """The chosen plan (``plan``, default the first cheapest) and its rows."""
    form = FormState.from_args(request.args)
    if not form.present:
        raise NotFound("a checklist needs a profile in the query string")
    profile, answer = _evaluate(form)
    plans = answer["cheapest"]["plans"]
    raw = request.args.get("plan", "0")
    index = int(raw) if raw.isdigit() else -1
    if plans and not 0 <= index < len(plans):
        raise NotFound(f"plan {raw}")
    plan = plans[index] if plans else None
    rows = _missing_rows(answer, form, {d["id"]: d["count"] for d in plan["missing_detail"]}) if plan else []
    share = url_for("web.index", _external=True) + _query(_profile_pairs())
    return {"form": form, "answer": answer, "plan": plan, "index": index, "count": len(plans), "rows": rows,
            "share_url": share, "generated": _now()}


@web.get("/checklist")
def checklist():
    return _page("web/checklist.html", **_checklist_data())


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@web.get("/checklist.md")
def checklist_md():
    data = _checklist_data()
    words = Words(_lang(), _site())
    return _download(render_template("web/checklist.md", w=words, site=_site(),
                                     ruleset=api._state().ruleset, **data), "text/markdown",
                     "livegate-checklist.md")


@web.get("/checklist.csv")
def checklist_csv():
    data = _checklist_data()
    words = Words(_lang(), _site())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["item_id", words.t("item"), "qualifier", words.t("issuer"), words.t("count"),
                     words.t("unit_cost"), words.t("line_cost"), words.t("plan_categories")])
    categories = " + ".join(words.category(c) for c in data["plan"]["categories"]) if data["plan"] else ""
    for row in data["rows"]:
        it = words.cat.items[row["id"]]
        writer.writerow([row["id"], it["name"], it["qualifier"] or "", words.issuer(row["issuer_class"]),
                         row["count"], row["unit_cost"], row["cost"], categories])
    return _download("\ufeff" + out.getvalue(), "text/csv", "livegate-checklist.csv")


# -- errors on the pages are pages too (the API's errors stay JSON) -------------------------
@web.errorhandler(ProfileError)
def _profile_error(exc: ProfileError):
    return _page("web/error.html", exc.status, errors=exc.errors, message=None)


@web.errorhandler(NotFound)
def _not_found(exc: NotFound):
    words = Words(_lang(), _site())
    return _page("web/error.html", 404, errors=[], message=words.t("not_found", what=exc.description))


@web.errorhandler(EvaluationTimeout)
def _timeout(exc: EvaluationTimeout):
    return _page("web/error.html", exc.status, errors=[], message=Words(_lang(), _site()).t("timeout"))


@web.errorhandler(api.DecisionLogError)
def _unavailable(exc: api.DecisionLogError):
    words = Words(_lang(), _site())
    return _page("web/error.html", exc.status, errors=[], message=words.t("unavailable", message=str(exc)))
