"""The web page's routes and view models, rendered on the server.

=========================  ==========================================================
``GET /``                  the form; with a profile in the query string, the answer too
``GET /category/<id>``     one category: its diagram, alternatives, missing sets, why
``GET /diagram/<id>.svg``  the diagram alone (``image/svg+xml``)
``GET /checklist``         a printable checklist of the items a cheapest plan still needs
``GET /checklist.md``      the same checklist as Markdown (a download)
``GET /checklist.csv``     the same checklist as CSV (a download, UTF-8 with a BOM)
=========================  ==========================================================

The profile lives in the URL (:mod:`livegate.web.form`). **No domain decision is
made here**: statuses, missing sets, costs and plans all come from the answer of
:meth:`livegate.http.decisions.Decisions.decide`; this module names things
(:mod:`livegate.web.site`), orders nothing the engine ordered, and builds links.
The one piece of arithmetic is an item's line on a checklist: the unit cost the
engine reports (``item_costs``) times the shortfall it reports.

Every asset is served from the package (``static/``); responses carry a
Content-Security-Policy that forbids any other origin. The page works without
JavaScript; ``livegate.js`` only enhances it.

A page's evaluation is logged once the page is rendered (:func:`_delivered`):
not for an error page, nor for ``HEAD``. Links are relative, or built on the
configured ``PUBLIC_URL``, never on the request's Host header.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ..answer import Summary
from ..contract import ELIGIBLE
from ..http.decisions import Decision, DecisionLogError, decisions
from ..http.errors import error_response
from ..http.headers import PAGE_CSP
from ..http.language import asked, named
from ..kb import Category
from ..profile import MAX_ERRORS, UNSEEN, ProblemKind, ProfileError, parse_profile, problem_text
from ..solver import EvaluationTimeout
from ..words import LANGUAGES
from . import shape
from .diagram import Alternative, Diagram, Item, figure, render
from .form import BUTTONS, FAMILIES, PAGE_KEYS, STEERING_FAMILIES, FormState, mistyped_keys, own_key, single_valued
from .site import SOURCE_PAGE, Site, Words
from .steps import STEPS, Questions

__all__ = ["CSP", "web"]

web = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")

CSP = PAGE_CSP
"""Content-Security-Policy of every page: nothing but this server, no inline script or style."""

_PLAN = re.compile(r"[0-9]{1,4}")
_WHOLE = re.compile(r"[0-9]{1,12}")
"""A whole number in a query (a step, a cost before, a count before); longer is no number (Python
refuses to convert more than 4,300 digits: a step of 4,301 ones was a 500)."""


def _whole(raw: str) -> int | None:
    """``raw`` as a whole number, if it is one of at most 12 digits."""
    return int(raw) if _WHOLE.fullmatch(raw) else None


"""A plan number as the checklist links write it (ASCII digits only: ``'²'.isdigit()`` is true)."""

_SITE = "livegate.web"


@web.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    with app.app_context():
        app.extensions[_SITE] = Site(decisions().engine.catalogue)


def _site() -> Site:
    site: Site = current_app.extensions[_SITE]
    return site


def _lang() -> str:
    """The language the visitor asks for (:func:`~livegate.http.language.asked`), else Chinese; a
    screen re-rendered by its language button (:func:`_normalize`) is in the language it asked for."""
    chosen: str | None = g.get("page_lang")
    return chosen or asked() or LANGUAGES[0]


def _pairs(args: MultiDict[str, str] | None = None) -> list[tuple[str, str]]:
    return [(k, v) for k, v in (request.args if args is None else args).items(multi=True) if v != ""]


def _query(pairs: list[tuple[str, str]]) -> str:
    return ("?" + urlencode(pairs)) if pairs else ""


def _profile_pairs(pairs: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The query's profile and language as the page's links carry them: each pair once, of the page's
    own keys only (a tracking parameter, or any key the page does not read, is left behind: copied
    into every link, 30 KB of them made a 4 MB page), one language that is one of the page's, the
    screens' own keys (a sub-question's answer, the roles ticked under a type) only on the guided
    check that reads them, and without the keys that steer one page (plan, step, what-if). The
    request's own are worked out once per request."""
    if pairs is None:  # (g outlives a request where an app context was already open: keyed on it)
        cached = g.get("profile_pairs")
        if cached is None or cached[0] is not request.environ:
            cached = g.profile_pairs = (request.environ, _profile_pairs(_pairs()))
        return list(cached[1])
    screens = request.endpoint == "web.index"
    lang = next((v for k, v in pairs if k == "lang" and v in LANGUAGES), None)
    return list(
        dict.fromkeys(
            (k, v)
            for k, v in pairs
            if (k, v) == ("lang", lang)
            or (
                own_key(k) and k not in PAGE_KEYS and (screens or not (k == "asked" or k.startswith(STEERING_FAMILIES)))
            )
        )
    )


def _public(path: str) -> str:
    """A link to ``path`` on this service: on ``PUBLIC_URL`` if configured, else relative."""
    base = current_app.config["PUBLIC_URL"]
    return base + path if base else path


def _url(endpoint: str, pairs: list[tuple[str, str]] | None = None, **values: Any) -> str:
    return url_for(endpoint, **values) + _query(_profile_pairs() if pairs is None else pairs)


def _lang_toggle() -> str:
    """This page in the other language: the address of the route that answered (never the path as
    the client wrote it, which a 404 page would echo: ``/\\evil.example`` is a link off the site in a
    browser), with what its links carry (:func:`_profile_pairs`), the keys that steer this page
    (its screen, plan, what-if) and those it refuses as typos (the error stays the same)."""
    other = "en" if _lang() == "zh" else "zh"
    if request.url_rule is None or request.endpoint is None or len(request.query_string) > MAX_PAGE_QUERY:
        return url_for("web.index", lang=other)
    profile = set(_profile_pairs())
    mistyped = mistyped_keys(request.args)  # as the page refused them (_refuse_mistyped_keys)
    kept = (p for p in _pairs() if p[0] != "lang" and (p in profile or p[0] in PAGE_KEYS or p[0] in mistyped))
    pairs = [*dict.fromkeys(kept), ("lang", other)]
    return url_for(request.endpoint, **(request.view_args or {})) + _query(pairs)


def _whatif_url(form: FormState, item: str, shortfall: int) -> str:
    """The answer's URL with ``item`` added to the profile (``shortfall`` more of a counted item), naming
    what was added (and a counted item's count before) for the banner."""
    pairs = [(k, v) for k, v in _profile_pairs() if k != f"count.{item}"]
    if _site().cat.items[item].counted:
        pairs.append((f"count.{item}", str(form.held_count(item) + shortfall)))
        pairs.append(("prev", str(form.held_count(item))))
    elif item not in form.docs:
        pairs.append(("doc", item))
    pairs.append(("added", item))
    return url_for("web.index") + _query(pairs) + "#answer"


def _without_url(pairs: list[tuple[str, str]], key: str, value: str) -> str:
    """The answer's URL without one value (an activity, say)."""
    return url_for("web.index") + _query([(k, v) for k, v in _profile_pairs(pairs) if (k, v) != (key, value)])


# -- evaluation -----------------------------------------------------------------------------
def _evaluate(form: FormState) -> tuple[Any, dict[str, Any]]:
    """The engine's parsed profile and answer (in the page's language). The decision is logged
    like the API's, but only once the page is rendered (:func:`_delivered`)."""
    decision = decisions().decide(form.to_profile(), "", lang=_lang(), log=False)
    g.pending_decision = decision
    return decision.profile, decision.answer.json()


def _summary(form: FormState) -> Summary | None:
    """The engine's summary of what ``form`` gives (statuses and the goal's cheapest plans; not
    logged: no answer is shown from it), or None for a profile it refuses or that runs out of time."""
    try:
        return decisions().engine.summary(form.to_profile(), timeout=current_app.config["TIMEOUT"])
    except (ProfileError, EvaluationTimeout):
        return None


def _direct_route(form: FormState) -> str | None:
    """The access method by which the subject streams directly, with no category and no document,
    when the engine's answer to what the form holds is that route (the goal's cheapest plan is one
    of no category, at cost 0: the rules' direct route, their access filter included); None
    otherwise. The remaining screens cannot change that answer, so the page offers it at once. The
    engine is asked (a summary, not logged: no answer is shown) only for a subject type the
    catalogue gives a direct route."""
    kind = _site().cat.subject_types.get(form.subject or "")
    if kind is None or kind.direct_access is None:
        return None
    summary = _summary(form)
    if summary is None:
        return None
    return kind.direct_access if summary.cheapest_cost == 0 and () in summary.cheapest_plans else None


def _delivered(response: Response) -> Response:
    """Log the decision the page was rendered from, now that it will be delivered (not for ``HEAD``,
    whose page is not): a :class:`DecisionLogError` replaces the page by the 503 page."""
    decision: Decision | None = g.pop("pending_decision", None)
    if decision is not None and request.method != "HEAD":
        endpoint = (request.endpoint or "").split(".")[-1]
        decisions().record(decision, f"web:{endpoint}")
    return response


_BEIJING = timezone(timedelta(hours=8), "CST")
"""China Standard Time (no daylight saving): the Chinese checklist's clock (a compliance officer's
review: a checklist handed on in China said "… UTC")."""


def _now(lang: str) -> tuple[str, str]:
    """Now, as a person reads it — in Chinese, Beijing time ("2026-12-06 01:46（北京时间）"), in English
    UTC ("2026-12-05 17:46 UTC"; the checklist once printed "2026-12-05T17:46:28Z") — and as a machine
    does (ISO 8601 in UTC, for ``<time datetime>``)."""
    now = datetime.now(UTC)
    local = now.astimezone(_BEIJING) if lang == "zh" else now
    shown = Words(lang, _site()).t("generated_at", time=local.strftime("%Y-%m-%d %H:%M"))
    return shown, now.isoformat(timespec="seconds").replace("+00:00", "Z")


# -- shaping the answer for the templates ---------------------------------------------------
def _missing_rows(answer: dict[str, Any], form: FormState, items: dict[str, int]) -> list[dict[str, Any]]:
    """The rows of a missing-items table; unit costs are the engine's (``item_costs``)."""
    cat = _site().cat
    rows = []
    for i, n in items.items():
        unit = answer["item_costs"][i]
        rows.append(
            {
                "id": i,
                "count": n,
                "counted": cat.items[i].counted,
                "issuer_class": cat.items[i].issuer_class,
                "unit_cost": unit,
                "cost": unit * n,
                "whatif": _whatif_url(form, i, n),
            }
        )
    return rows


def _held_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The documents of a plan's alternatives that are not missing: held, to submit with the application."""
    cat = _site().cat
    rows: dict[str, dict[str, Any]] = {}
    for c in plan["categories"]:
        for req in cat.categories[c].alternative(plan["alternatives"][c]).items:
            if req.item not in plan["missing"] and req.item not in rows:
                rows[req.item] = {"id": req.item, "count": req.count, "issuer_class": cat.items[req.item].issuer_class}
    return list(rows.values())


def _option_held(grp: dict[str, Any], category: str, alternative: str, common: set[str]) -> list[dict[str, Any]]:
    """The held documents that option ``alternative`` of ``category`` in a group of tied plans would be
    submitted with, beyond those every option of the group needs (``common``)."""
    plan = next(q for _, q in grp["plans"] if q["alternatives"][category] == alternative)
    own = {r.item for r in _site().cat.categories[category].alternative(alternative).items}
    return [r for r in _held_rows(plan) if r["id"] in own and r["id"] not in common]


def _plans(form: FormState, answer: dict[str, Any], words: Words) -> list[dict[str, Any]]:
    cat = _site().cat
    by_id = {c["id"]: c for c in answer["categories"]}
    groups = shape.plan_groups(answer, cat)
    for grp in groups:
        p = grp["first"]
        warnings: dict[tuple, dict] = {}
        for c in p["categories"]:
            for w in by_id[c]["warnings"]:
                warnings.setdefault((w["kind"], w["id"]), w)
        plan_pairs = _profile_pairs() + ([("plan", str(grp["index"]))] if grp["index"] else [])
        counts = dict(grp["common"])
        grp["number"] = len([x for x in groups if x["index"] <= grp["index"]])
        grp["missing"] = _missing_rows(answer, form, counts)
        common_held = set.intersection(*({r["id"] for r in _held_rows(q)} for _, q in grp["plans"]))
        grp["choice_rows"] = [
            (
                c,
                [
                    (
                        a,
                        _missing_rows(answer, form, {i: p["shortfalls"].get(i, 1) for i in its}),
                        _option_held(grp, c, a, common_held),
                    )
                    for a, its in opts
                ],
            )
            for c, opts in grp["choices"]
        ]
        grp["alternatives"] = {
            c: list(dict.fromkeys(a for _, q in grp["plans"] for a in q["equivalent_alternatives"].get(c, [])))
            for c in p["categories"]
        }
        grp["held"] = [r for r in _held_rows(p) if r["id"] in common_held]
        grp["unlisted"] = shape.unlisted_categories(words, grp)
        grp["warnings"] = list(warnings.values())
        grp["companion_hint"] = (
            [(c, x) for c in p["categories"] for x in cat.categories[c].companions if not form.access]
            if p["access"] != "standard_live"
            else []
        )
        grp["links"] = {
            "print": _url("web.checklist", plan_pairs),
            "md": _url("web.checklist_md", plan_pairs),
            "csv": _url("web.checklist_csv", plan_pairs),
            "standard": url_for("web.index") + _query([*_profile_pairs(), ("access", "standard_live")]) + "#answer",
        }
    return groups


def _category_rows(form: FormState, answer: dict[str, Any], words: Words) -> list[dict[str, Any]]:
    rows = []
    for entry in answer["categories"]:
        sets = entry["missing_sets"]
        shown = sets[0] if sets and entry["status"] != ELIGIBLE else None
        rows.append(
            {
                "entry": entry,
                "missing": (
                    _missing_rows(answer, form, {i: shown["shortfalls"].get(i, 1) for i in shown["documents"]})
                    if shown
                    else []
                ),
                "shown_set": shown,
                "met": [s["alternatives"] for s in sets if not s["documents"]],
                "more_sets": len(sets) - 1 if shown else 0,
                "why": shape.category_why(words, entry),
                "page": _url("web.category", id_=entry["id"]),
                "diagram": _url("web.diagram", id_=entry["id"]),
            }
        )
    return rows


def _diagram(
    words: Words, c: str, form: FormState | None, entry: dict[str, Any] | None, key: str | None = None
) -> Diagram:
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
    for alt in info.alternatives:
        s = sets_by_alt.get(alt.id)
        notes = []
        if s is not None and not s["documents"]:
            state = "met"
            notes.append(words.t("met"))
        elif s is not None:
            state = "lacking"
            notes.append(words.t("lacks", n=sum(s["shortfalls"].get(i, 1) for i in s["documents"]), c=s["cost"]))
        else:
            state = "other"
        if alt.reserved_for:
            roles = words.t("list_sep").join(words.role(r) for r in alt.reserved_for)
            notes.append(words.t("reserved_for", roles=roles))
        gloss = words.names.alternative_gloss(c, alt.id)
        if gloss:  # in English, what the source's label says (it was Chinese only: an English reader)
            notes.insert(0, gloss)
        items = []
        for requirement in alt.items:
            i, need = requirement.item, requirement.count
            counted = cat.items[i].counted
            detail = [words.issuer(cat.items[i].issuer_class)]
            gloss = words.gloss_item(i)
            if gloss:
                detail.insert(0, gloss)
            if counted:
                detail.append(words.t("needs", n=need, unit=words.names.unit(i, need)))
            held = form.held_count(i) if form is not None else 0
            if s is not None:
                mark = "lacking" if i in s["documents"] else "held"
                if i in s["documents"] and counted:
                    short = s["shortfalls"].get(i, 1)
                    detail.append(words.t("shortfall", n=short, unit=words.names.unit(i, short)))
            elif form is None:
                mark = "absent"
            elif held >= need:
                mark = "held"
            else:
                mark = "absent"
                qualified = [q for q in cat.items[i].qualified_forms if form.held_count(q) >= need]
                if qualified:
                    mark = "held"
                    detail.append(words.t("held_as", name=words.item(qualified[0])))
            if counted and form is not None and held:
                detail.append(words.t("holds_count", n=held, unit=words.names.unit(i, held)))
            items.append(Item(words.item(i), " · ".join(detail), mark))
        alternatives.append(Alternative(alt.label, state, " · ".join(notes), items))
    status = entry["status"] if entry else None
    title = words.category(c) + (f" — {words.gloss_category(c)}" if words.gloss_category(c) else "")
    subtitle = f"{words.t('access')}{words.colon}{words.access(info.access)}"
    description = "; ".join(f"{a.label}: {a.note}" if a.note else a.label for a in alternatives)
    return Diagram(
        key=key or f"diagram-{c}",
        title=title,
        subtitle=subtitle,
        status=status,
        status_label=words.status(status) if status else "",
        alternatives=alternatives,
        words={
            "or": words.t("or"),
            "all_of": words.t("all_of"),
            "nothing_required": words.t("nothing_required"),
            "held": words.t("held"),
            "lacking": words.t("missing_mark"),
            "absent": words.t("absent"),
        },
        description=description,
    )


def _page(template: str, status: int = 200, **context: Any) -> Response:
    lang = _lang()
    words = Words(lang, _site())
    context.setdefault("step_form", False)
    context.setdefault("shape", shape)  # the names as markup, one home for the templates and the shaper
    body = render_template(
        template,
        lang=lang,
        w=words,
        site=_site(),
        source_page=SOURCE_PAGE,
        ruleset=decisions().engine.ruleset,
        lang_toggle=_lang_toggle(),
        other_lang="en" if lang == "zh" else "zh",
        decision_id=pending.decision_id if (pending := g.get("pending_decision")) is not None else None,
        **context,
    )
    return Response(body, status=status, mimetype="text/html")


# -- the guided steps ------------------------------------------------------------------------------
_STEP_KEYS = {1: {"scenario"}, 2: {"subject", "role"}, 4: {"access", "cat"}}
"""The profile keys each screen owns outright; the documents screen owns the items it asks, the
activities screen the activities it asks and the cost overrides."""


def _questions(form: FormState) -> Questions:
    return Questions(_site().cat, form.scenario, form.subject, form.roles)


def _owned(step: int, key: str, value: str, q: Questions) -> bool:
    """Whether the pair ``key=value`` is a field of screen ``step`` (else it travels as a hidden field)."""
    if key in _STEP_KEYS.get(step, ()):
        return True
    if step == 3:
        asked = q.asked_items()
        return (key == "doc" and value in asked) or (key.startswith("count.") and key[6:] in asked)
    if step == 4:
        return (key == "act" and value in q.activities()) or (key.startswith("cost.") and key[5:] in q.asked_items())
    return False


def _step_url(step: int, pairs: list[tuple[str, str]] | None = None) -> str:
    pairs = _profile_pairs(pairs)
    return url_for("web.index") + _query([*pairs, ("step", str(step))])


def _step_context(step: int, form: FormState, pairs: list[tuple[str, str]], errors: list[Any]) -> dict[str, Any]:
    q = _questions(form)
    hidden = [(k, v) for k, v in _profile_pairs(pairs) if k != "lang" and not _owned(step, k, v, q)]
    context: dict[str, Any] = {
        "form": form,
        "step": step,
        "questions": q,
        "hidden": hidden,
        "errors": errors,
        "step_form": True,
        "steps": list(STEPS),  # the stepper's earlier screens are buttons of the form (goto=N)
        "explicit_lang": named(request.args.get("lang")) is not None,
        "unanswered": [],  # the documents screen's sub-questions to answer again (none pre-selected)
        "still_open": False,  # they are only still open (the language button), not refused
        "invalid_costs": set(),  # the cost overrides a refused submission names
        "direct_route": None,  # the access method of a direct route offered at once (the documents screen)
        "other_access": "",
    }
    if step == 3:
        context["groups"] = q.doc_groups()
        words = Words(_lang(), _site())
        # right after the subject screen: a subject whose type streams directly is offered its answer at once
        direct = _direct_route(form)
        context["direct_route"] = direct
        context["other_access"] = words.names.either(
            [words.access(a) for a in _site().cat.access_methods if direct is not None and a != direct]
        )
        context["needed_by"] = {
            f: shape.joined(words, [shape.cat_name(words, c) for c in cats])
            for f, cats in _needed_by(q, context["groups"]).items()
            if cats
        }
    return context


def _needed_by(q: Questions, groups: list[Any]) -> dict[str, list[str]]:
    """For each qualified form a sub-question offers, the scenario's categories whose options (those open
    to the subject) list that form: what the source asks, said under the sub-question."""
    cat = _site().cat
    out: dict[str, list[str]] = {}
    for group in groups:
        for question in group.questions:
            for f in question.qualified:
                out[f] = [
                    c
                    for c in q.categories
                    if any(
                        q.opens(alt) and any(r.item == f for r in alt.items) for alt in cat.categories[c].alternatives
                    )
                ]
    return out


def _qualified_answers(
    args: MultiDict[str, str], pairs: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Turn each ``q.<plain>`` answer (a qualified form, ``all`` or ``none``) into ``doc`` values, and the
    roles ticked under the chosen subject type (``role.<type>``) into ``role`` values. Returns the pairs
    and the plain documents ticked whose sub-question went unanswered."""
    cat = _site().cat
    subject = args.get("subject")
    out = [(k, v) for k, v in pairs if not k.startswith(("q.", "role."))]
    out += [("role", r) for r in args.getlist(f"role.{subject}") if r] if subject else []
    docs = [v for k, v in out if k == "doc"]
    unanswered: list[str] = []
    asked = {k[2:] for k in args if k.startswith("q.")} | set(args.getlist("asked"))
    for plain in asked:
        if plain not in cat.items or plain not in docs:
            continue
        answer = args.get(f"q.{plain}", "")
        forms = list(cat.items[plain].qualified_forms)
        if answer in forms:
            chosen = [answer]
        elif answer == "all":
            chosen = forms
        elif answer == "none":
            continue
        else:
            unanswered.append(plain)
            continue
        out = [(k, v) for k, v in out if (k, v) != ("doc", plain)] + [("doc", f) for f in chosen]
    return [p for p in out if p[0] != "asked"], unanswered


# -- routes ------------------------------------------------------------------------------------
_PRIVATE = "private, no-cache"
"""Every page, checklist and diagram may show a profile: a browser keeps it for its history, a shared
cache (a company's proxy) never stores it."""


@web.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP  # the others: livegate.app, on every response
    if request.endpoint != "web.static":  # pages, checklists and diagrams, in the language asked
        response.headers["Cache-Control"] = _PRIVATE
        response.vary.add("Accept-Language")
    return response


@web.get("/")
def index() -> Response:
    args = request.args
    steering = any(k in args for k in (*BUTTONS, "asked"))
    steering = steering or any(k.startswith(("q.", "role.")) for k in args)
    if steering or any(v == "" for _, v in args.items(multi=True)):
        return _normalize(args)
    form = FormState.from_args(args)
    step = _whole(args.get("step", ""))
    if step in STEPS:
        return _delivered(_page("web/step.html", **_step_context(step, form, _pairs(), [])))
    if not form.present:
        return _delivered(_page("web/step.html", **_step_context(1, form, _pairs(), [])))
    return _answer_page(form)


def _normalize(args: MultiDict[str, str]) -> Response:
    """A screen's submission (or a URL with empty fields) becomes the clean shareable URL: empty fields
    dropped, sub-questions turned into documents, and the next screen (or the answer) chosen: ``skip``,
    offered only to a subject whose type streams directly (:func:`_direct_route`), is the answer at
    once."""
    pairs = [(k, v) for k, v in args.items(multi=True) if v != "" and k not in (*BUTTONS, "step")]
    pairs, unanswered = _qualified_answers(args, pairs)
    step = _whole(args.get("step", ""))
    step = step if step in STEPS else None
    form = FormState.from_args(MultiDict(pairs))
    setlang = args.get("setlang") if args.get("setlang") in LANGUAGES else None
    if setlang is not None:  # the language button: the same screen, in the other language
        pairs = [(k, v) for k, v in pairs if k != "lang"] + [("lang", setlang)]
    pressed = any(k in args for k in BUTTONS)
    if unanswered and step == 3 and (setlang is not None or not pressed):
        # neither the language button nor a submission without a button (the browser's back button
        # returning to the screen as it was left: livegate.js keeps it in the history) validates: the same
        # screen, the same ticks, a sub-question still open left open (a redirect would turn its plain
        # document into "none")
        if setlang is not None:
            g.page_lang = setlang
        context = _step_context(3, form, pairs, [])
        context["unanswered"] = unanswered
        context["still_open"] = True
        context["explicit_lang"] = context["explicit_lang"] or setlang is not None
        return _delivered(_page("web/step.html", **context))
    if unanswered and step == 3:
        words = Words(_lang(), _site())
        errors = [  # each linked to its sub-question (target: the id of the fieldset the page shows)
            {"field": words.item(i), "problem": words.t("qualifier_unanswered"), "target": f"sub-{i}"}
            for i in unanswered
        ]
        context = _step_context(3, form, pairs, errors)
        context["unanswered"] = unanswered
        return _delivered(_page("web/step.html", 422, **context))
    goto = _whole(args.get("goto", ""))
    onwards = "next" in args or "skip" in args or (goto in STEPS and step is not None and goto > step)
    if step == 2 and setlang is None and onwards:
        # the subject's own contradictions (two roles that exclude each other) stop it on its own screen,
        # not at the end of the last one, two screens away from the boxes to untick
        try:
            parse_profile(form.to_profile(), _site().cat)
        except ProfileError as exc:
            own = [e for e in exc.errors if e["field"].startswith("subject.")]
            if own:
                return _refused_screen(2, form, pairs, own, exc.status)
    if setlang is not None:
        target = step
    elif "skip" in args and step is not None and _direct_route(form) is not None:
        target = None  # the answer at once, as the screen offered it (the direct route answers already)
    elif "next" in args and step is not None:
        target = step + 1
        kind = _site().cat.subject_types.get(form.subject or "")
        if step >= 2 and kind is not None and not kind.supported:
            target = None  # a subject that cannot stream gets its (short) answer at once
        if target is not None and target > STEPS[-1]:
            target = None
    elif "back" in args and step is not None:
        target = max(step - 1, STEPS[0])
    elif "goto" in args and step is not None:
        target = goto if goto in STEPS else step
    else:
        target = step
    if target is not None:
        return redirect(url_for("web.index") + _query([*pairs, ("step", str(target))]), code=303)
    if step is not None:  # a screen's last button: a profile the engine would refuse brings the screen back
        try:
            parse_profile(form.to_profile(), _site().cat)
        except ProfileError as exc:
            return _refused_screen(step, form, pairs, exc.errors, exc.status)
    return redirect(url_for("web.index") + _query(pairs) + "#answer", code=303)


def _refused_screen(
    step: int, form: FormState, pairs: list[tuple[str, str]], problems: list[dict[str, Any]], status: int
) -> Response:
    """Screen ``step`` brought back with the engine's ``problems`` of its profile, each linked to the
    field of this screen it is about, where the screen shows one (its ``target``): a role to untick
    (screen 2), a cost or the candidate categories (screen 4)."""
    context = _step_context(step, form, pairs, _web_errors(Words(_lang(), _site()), problems))
    fields = [e["field"] for e in problems]
    context["invalid_costs"] = {f.removeprefix("costs.") for f in fields if f.startswith("costs.")}
    asked = context["questions"].asked_items() if step == 4 else []
    for shown, e in zip(context["errors"], problems, strict=True):
        field = e["field"]
        if step == 2 and e["kind"] == "roles_exclusive":
            shown["target"] = f"role-{form.subject}-{e['value']}"
        elif field.startswith("costs.") and field.removeprefix("costs.") in asked:
            shown["target"] = f"cost-{field.removeprefix('costs.')}"
        elif step == 4 and field.startswith("goal.categories"):
            shown["target"] = "candidates"
    return _delivered(_page("web/step.html", status, **context))


def _answer_page(form: FormState) -> Response:
    words = Words(_lang(), _site())
    try:
        _profile, answer = _evaluate(form)
    except ProfileError as exc:
        errors = _web_errors(words, exc.errors)
        return _page("web/index.html", exc.status, form=form, answer=None, errors=errors, steps=_edit_steps())
    scenario = form.scenario if form.scenario in _site().cat.scenarios else None
    # the government's direct route answers the goal whatever its scenario (docs/semantics.md#direct-route):
    # without a scenario it is still the plan, and the scenarios' table stays for category plans
    direct = any(p["direct"] for p in answer["cheapest"]["plans"])
    groups = _plans(form, answer, words) if answer["subject_supported"] and (scenario or direct) else []
    relevant = shape.relevant_categories(answer, scenario)
    blocked = {b["category"] for b in answer["cheapest"]["blocked"]}  # the goal allows, an activity blocks
    rows = _category_rows(form, answer, words) if answer["subject_supported"] else []
    pairs = _pairs()
    context: dict[str, Any] = {
        "form": form,
        "answer": answer,
        "errors": [],
        "scenario": scenario,
        "groups": groups,
        "verdict": shape.verdict(words, answer, groups, scenario),
        "next_steps": shape.next_steps(words, answer, relevant, lambda i, n: _whatif_url(form, i, n))
        if scenario
        else [],
        "no_plan": shape.no_plan_reasons(words, answer, lambda a: _without_url(pairs, "act", a) + "#answer")
        if answer["subject_supported"] and scenario and not groups
        else [],
        "blocked_rows": [r for r in rows if r["entry"]["id"] in blocked] if groups else [],
        # a category a declared activity needs (required_in_question/3) that the first path lacks
        "required": [
            d for d in answer["cheapest"]["declared_requires"] if d["category"] not in groups[0]["first"]["categories"]
        ]
        if groups
        else [],
        "relevant_rows": [r for r in rows if r["entry"]["id"] in relevant],
        "other_rows": [r for r in rows if r["entry"]["id"] not in relevant],
        "by_scenario": _by_scenario(answer, words) if scenario is None and answer["subject_supported"] else [],
        "share_url": _public(url_for("web.index") + _query(_profile_pairs())),
        # a subject that cannot stream (L2) is not helped by other documents, activities or scenario:
        # only the subject's screen can change its answer
        "steps": _edit_steps() if answer["subject_supported"] else [(n, u) for n, u in _edit_steps() if n == 2],
        "banner": _banner(form, answer),
        "held": _held(form, pairs),
        # L2 rules out the individual only: the same check as an enterprise, its roles left out
        "as_enterprise": None
        if answer["subject_supported"]
        else url_for("web.index")
        + _query([*((k, v) for k, v in _profile_pairs() if k not in ("subject", "role")), ("subject", "enterprise")])
        + "#answer",
        "custom_costs": bool(form.costs),
    }
    context["plan_diagrams"] = [
        Markup(figure(_diagram(words, c, form, next(e for e in answer["categories"] if e["id"] == c), key=f"plan-{c}")))
        for c in (groups[0]["first"]["categories"] if groups else [])
    ]
    return _delivered(_page("web/index.html", 200, **context))


def _held(form: FormState, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The documents the profile holds (a count above 0 for a counted one), each named; one that
    this scenario's documents screen does not ask (ticked under another scenario) with a link
    that drops it: it counted in the answer, and no screen could untick it (an outside review)."""
    items, asked = _site().cat.items, _questions(form).asked_items()
    held = [(i, 1, "doc", i) for i in form.docs] + [
        (i, form.held_count(i), f"count.{i}", v) for i, v in form.counts.items()
    ]
    return [
        {"id": i, "count": n, "drop": None if i in asked else _without_url(pairs, key, value) + "#answer"}
        for i, n, key, value in held
        if i in items and n > 0
    ]


def _edit_steps() -> list[tuple[int, str]]:
    return [(n, _step_url(n)) for n in STEPS]


def _by_scenario(answer: dict[str, Any], words: Words) -> list[dict[str, Any]]:
    """Each scenario's cheapest path, as a short table that asks which scenario is meant; a scenario
    without one says why in a line (the first of the engine's reasons, as the scenario's answer says it)."""
    out = []
    order = {s: k for k, s in enumerate(_site().scenarios)}
    for s, cheapest in sorted(answer["cheapest_by_scenario"].items(), key=lambda kv: order.get(kv[0], 99)):
        plans = cheapest["plans"]
        out.append(
            {
                "scenario": s,
                "cost": cheapest["cost"],
                "categories": list(dict.fromkeys(c for p in plans for c in p["categories"])),
                "direct": any(p["direct"] for p in plans),
                "why": next(
                    (r["short"] for r in shape.no_plan_reasons(words, {"cheapest": cheapest}, lambda _a: "")), None
                )
                if not plans
                else None,
                "link": url_for("web.index") + _query([*_profile_pairs(), ("scenario", s)]) + "#answer",
            }
        )
    return out


def _banner(form: FormState, answer: dict[str, Any]) -> dict[str, Any] | None:
    """What a what-if click added (``added``), the cost before and after, and the undo link. The cost
    before is the engine's for the profile the undo link gives (a summary, not logged): a number in
    the address would let a shared link show any saving."""
    item = request.args.get("added")
    if item not in _site().cat.items:
        return None
    prev = request.args.get("prev", "")
    held_before = _whole(prev) or 0
    pairs = [(k, v) for k, v in _profile_pairs() if (k, v) != ("doc", item) and k != f"count.{item}"]
    if held_before > 0:
        pairs.append((f"count.{item}", prev))
    # how many of a counted item were added: its count now, less the count before (``prev``)
    added = form.held_count(item) - held_before if _site().cat.items[item].counted else 1
    before = _summary(FormState.from_args(MultiDict(pairs)))
    return {
        "item": item,
        "count": added,
        "was": before.cheapest_cost if before is not None else None,
        "now": answer["cheapest"]["cost"],
        "undo": url_for("web.index") + _query(pairs) + "#answer",
    }


_FIELD_KEYS = {
    "subject.type": "subject_type",
    "subject.roles": "roles_legend",
    "documents": "items_legend",
    "activities": "activities_legend",
    "goal.scenario": "scenario",
    "goal.categories": "candidates",
    "goal.access": "access",
    "(body)": "field_body",
}
_PROBLEMS: dict[ProblemKind, str] = {
    "integer": "problem_integer",
    "min": "problem_min",
    "max": "problem_max",
    "unknown_id": "problem_unknown",
    "role_not_allowed": "problem_role",
    "roles_exclusive": "problem_roles_exclusive",
    "item_not_allowed": "problem_item_not_allowed",
    "count_zero": "problem_count_zero",
    "count_zero_form": "problem_count_zero_form",
    "no_candidate_in_scenario": "problem_no_candidate_in_scenario",
    "item_twice": "problem_item_twice",
    "required": "problem_required",
}
"""The page's words for the kinds of problem its form or its address can make: every contradiction of
:func:`livegate.profile.parse_profile`, named by the page's fields, never by the API's paths (the
other kinds: the catalogue's ``problem.*``)."""


def _item_markup(words: Words, i: str) -> Any:
    """An item as an error names it: its source name, marked Chinese, with its English name on the
    English page, as everywhere else on it (an earlier id names its item); an id the catalogue does
    not hold, as the address wrote it (:func:`_echoed`)."""
    i = words.cat.aliases.get(i, i)
    return shape.item_name(words, i) if i in words.cat.items else _echoed(words, i, quoted=False)


_ECHOED = 40
"""At most this many characters of a value the address gave are echoed in an error."""
_ECHOED_VALUES = 5
"""At most this many values of a key given several times are echoed."""


def _echoed(words: Words, text: str, *, quoted: bool = True) -> Markup:
    """A value the address gave, as an error shows it: without control and format characters or line
    and paragraph separators (:data:`~livegate.profile.UNSEEN`), at
    most :data:`_ECHOED` characters (a long one ends in "…"), isolated from the sentence's direction
    (``<bdi>``) and quoted in the page's language (unless the sentence quotes it itself). The page's
    errors quoted any length of the address's text as their own words."""
    seen = "".join(c for c in text if unicodedata.category(c) not in UNSEEN)
    short = seen if len(seen) <= _ECHOED else seen[: _ECHOED - 1] + "…"
    shown = words.t("quoted_value", value=short) if quoted else short
    return Markup("<bdi>{}</bdi>").format(shown)


def _web_errors(words: Words, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The engine's profile errors in the page's language: the field named as the form names it, the
    problem by kind (a kind without words of the page's own in the message catalogue's ``problem.*``)."""
    cat = words.cat
    out = []
    for e in errors:
        path = e["field"]
        label: Any
        if path.startswith(("counts.", "costs.")):
            kind, _, i = path.partition(".")
            name = _item_markup(words, i)
            label = words.t("field_count" if kind == "counts" else "field_cost", markup=True, item=name)
        else:
            base = re.sub(r"\[\d+\]$", "", path)
            label = words.t(_FIELD_KEYS[base]) if base in _FIELD_KEYS else path
        kind = e.get("kind")
        if kind in ("min", "max"):
            problem = words.t(_PROBLEMS[kind], n=e["limit"])
        elif kind == "unknown_id":
            problem = words.t(_PROBLEMS[kind], markup=True, value=_echoed(words, e["value"]))
        elif kind == "role_not_allowed":
            types = words.names.either([words.subject(t) for t in e["allowed"]])
            problem = words.t(_PROBLEMS[kind], role=words.role(e["value"]), types=types)
        elif kind == "roles_exclusive":
            problem = words.t(_PROBLEMS[kind], role=words.role(e["value"]), other=words.role(e["other"]))
        elif kind == "item_not_allowed":
            types = words.names.either([words.subject(t) for t in e["allowed"]])
            problem = words.t(_PROBLEMS[kind], markup=True, item=_item_markup(words, e["value"]), types=types)
        elif kind == "count_zero_form":
            problem = words.t(_PROBLEMS[kind], markup=True, held=_item_markup(words, e["held"]))
        elif kind == "no_candidate_in_scenario":
            scenario = words.scenario(e["value"]) if e["value"] in cat.scenarios else e["value"]
            problem = words.t(_PROBLEMS[kind], scenario=scenario)
        elif kind == "item_twice":
            problem = words.t(_PROBLEMS[kind], old=e["value"])
        elif kind in _PROBLEMS:
            problem = words.t(_PROBLEMS[kind])
        else:
            problem = problem_text(e, words.lang)
        out.append({"field": label, "problem": problem})
    return out


MAX_PAGE_QUERY = 8192
"""The longest query string a page reads, in bytes. The page's own addresses stay below it (every
item, role, activity and category with a 12-digit cost each: about 6 KB); a longer one is refused
(414) rather than read and copied into every link of the page."""


class AddressTooLong(Exception):
    """A page address whose query string is over :data:`MAX_PAGE_QUERY` bytes."""

    status = 414


class MistypedKeys(Exception):
    """Keys of the query that look like the page's own but are not (:func:`~livegate.web.form.mistyped_keys`),
    each with the page's key it looks like, and single-valued keys given more than one value (each
    with its values): refused (422) rather than one taken without a word."""

    status = 422

    def __init__(self, keys: list[tuple[str, str]], repeated: list[tuple[str, list[str]]] | None = None):
        super().__init__(", ".join([k for k, _ in keys] + [k for k, _ in repeated or []]))
        self.keys = keys
        self.repeated = repeated or []


_KEY_FIELDS = {
    "subject": "subject_type",
    "role": "roles_legend",
    "doc": "items_legend",
    "act": "activities_legend",
    "scenario": "scenario",
    "cat": "candidates",
    "access": "access",
}
"""The page's name of the field each profile key sets (a mistyped key's error is named by it)."""


@web.before_request
def _refuse_mistyped_keys() -> None:
    """Every page that reads a profile refuses an address longer than any the page writes, and a key
    that looks like one of the page's own but is not (the page names the first
    :data:`~livegate.profile.MAX_ERRORS`, as the API names its first errors; its corrected address
    mends them all)."""
    if request.endpoint == "web.static":
        return
    if len(request.query_string) > MAX_PAGE_QUERY:
        raise AddressTooLong()
    keys = list(mistyped_keys(request.args).items())
    repeated = [
        (k, values)
        for k in dict.fromkeys(request.args)
        if single_valued(k) and len(values := list(dict.fromkeys(v for v in request.args.getlist(k) if v))) > 1
    ]
    if keys or repeated:
        raise MistypedKeys(keys, repeated)


def _key_label(words: Words, own: str) -> Any:
    """The page's name of the field the page's key ``own`` sets (else "address")."""
    family, _, i = own.partition(".")
    if family in FAMILIES and words.cat.aliases.get(i, i) in words.cat.items:
        return words.t("field_cost" if family == "cost" else "field_count", markup=True, item=_item_markup(words, i))
    if family in FAMILIES:
        return words.t(family)
    return words.t(_KEY_FIELDS[own]) if own in _KEY_FIELDS else words.t("field_address")


def _key_error(words: Words, key: str, own: str) -> dict[str, Any]:
    """A mistyped key's error, named by the field the key it looks like sets."""
    given, spelled = _echoed(words, key, quoted=False), _echoed(words, own, quoted=False)
    problem = words.t("problem_query_key", markup=True, given=given, own=spelled)
    return {"field": _key_label(words, own), "problem": problem}


def _repeated_error(words: Words, key: str, values: list[str]) -> dict[str, Any]:
    """A single-valued key given several values: which one was meant is not the page's to guess."""
    quoted = Markup(escape(words.t("list_sep"))).join(_echoed(words, v) for v in values[:_ECHOED_VALUES])
    if len(values) > _ECHOED_VALUES:
        quoted += Markup(escape(words.t("list_sep") + "…"))
    problem = words.t("problem_query_repeated", markup=True, given=_echoed(words, key, quoted=False), values=quoted)
    return {"field": _key_label(words, key), "problem": problem}


@web.errorhandler(AddressTooLong)
def _address_too_long(exc: AddressTooLong) -> Response:
    message = Words(_lang(), _site()).t("address_too_long", limit=MAX_PAGE_QUERY)
    return _page("web/error.html", exc.status, errors=[], message=message)


@web.errorhandler(MistypedKeys)
def _mistyped(exc: MistypedKeys) -> Response:
    """The page's error, with a link to the same address with each key as the page spells it (one whose
    item it cannot tell is left out), and, on the guided check, the screens without the keys refused."""
    g.pop("pending_decision", None)
    words = Words(_lang(), _site())
    errors = [_key_error(words, k, own) for k, own in exc.keys[:MAX_ERRORS]]
    errors += [_repeated_error(words, k, values) for k, values in exc.repeated[: max(0, MAX_ERRORS - len(errors))]]
    spelled = dict(exc.keys)
    repeated = {k for k, _ in exc.repeated}
    fixed = [(spelled.get(k, k), v) for k, v in _pairs() if not spelled.get(k, k).endswith("…")]
    # a key given twice has no spelling to correct: which value was meant is the visitor's to say
    corrected = request.path + _query(fixed) if exc.keys and not repeated else None
    if request.endpoint == "web.index":
        pairs = [(k, v) for k, v in _pairs() if k not in spelled and k not in repeated]
        form = FormState.from_args(MultiDict(pairs))
        steps = [(n, _step_url(n, pairs)) for n in STEPS]
        return _page(
            "web/index.html", exc.status, form=form, answer=None, errors=errors, steps=steps, corrected=corrected
        )
    return _page("web/error.html", exc.status, errors=errors, message=None, corrected=corrected)


def _category_or_404(id_: str) -> Category:
    info = _site().cat.categories.get(id_)
    if info is None:
        raise NotFound(id_)
    return info


@web.get("/category/<id_>")
def category(id_: str) -> Response:
    info = _category_or_404(id_)
    form = FormState.from_args(request.args)
    entry, rows = None, []
    if form.present:
        _profile, answer = _evaluate(form)
        entry = next(e for e in answer["categories"] if e["id"] == id_)
        rows = [
            {"set": s, "missing": _missing_rows(answer, form, {i: s["shortfalls"].get(i, 1) for i in s["documents"]})}
            for s in entry["missing_sets"]
        ]
    words = Words(_lang(), _site())
    svg = Markup(figure(_diagram(words, id_, form if form.present else None, entry)))
    return _delivered(
        _page(
            "web/category.html",
            info=info,
            entry=entry,
            form=form,
            sets=rows,
            svg=svg,
            why=shape.category_why(Words(_lang(), _site()), entry) if entry else [],
            back=_url("web.index") + f"#cat-{id_}",
        )
    )


@web.get("/diagram/<id_>.svg")
def diagram(id_: str) -> Response:
    _category_or_404(id_)
    form = FormState.from_args(request.args)
    entry = None
    if form.present:
        _, answer = _evaluate(form)
        entry = next(e for e in answer["categories"] if e["id"] == id_)
    svg = render(_diagram(Words(_lang(), _site()), id_, form if form.present else None, entry))
    return _delivered(Response('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, mimetype="image/svg+xml"))


def _checklist_choices(
    answer: dict[str, Any], form: FormState, grp: dict[str, Any], common_held: set[str]
) -> list[dict[str, Any]]:
    """A group's equivalent options per category (:func:`shape.plan_groups`): each option with the items
    it still lacks and the held items it would be submitted with (beyond those every option needs)."""
    out = []
    for c, opts in grp["choices"]:
        options = []
        for a, its in opts:
            plan = next(q for _, q in grp["plans"] if q["alternatives"][c] == a)
            counts = {d["id"]: d["count"] for d in plan["missing_detail"]}
            options.append(
                {
                    "alternative": a,
                    "rows": _missing_rows(answer, form, {i: counts[i] for i in its}),
                    "held": _option_held(grp, c, a, common_held),
                }
            )
        out.append({"category": c, "options": options})
    return out


def _checklist_data() -> dict[str, Any]:
    """The chosen path (``plan``, default the first cheapest) and its rows. A path is shown as the answer
    shows it: tied plans that differ only in an equivalent alternative are one path (the group of
    :func:`shape.plan_groups` holding plan ``plan``), its options listed as "any one of"."""
    form = FormState.from_args(request.args)
    if not form.present:
        raise NotFound(Markup(escape(Words(_lang(), _site()).t("checklist_needs_profile"))))
    _profile, answer = _evaluate(form)
    plans = answer["cheapest"]["plans"]
    raw = request.args.get("plan", "0")
    index = int(raw) if _PLAN.fullmatch(raw) else -1
    # plan 0, the default, is the first path, or the reasons there is none; any other plan must exist
    if index != 0 and not 0 <= index < len(plans):
        words = Words(_lang(), _site())
        raise NotFound(words.t("no_such_plan", markup=True, plan=_echoed(words, raw)))
    groups = shape.plan_groups(answer, _site().cat) if plans else []
    number, grp = next(((n, g) for n, g in enumerate(groups) if any(k == index for k, _ in g["plans"])), (0, None))
    plan = grp["first"] if grp else None
    rows, held, choices = [], [], []
    if grp is not None:
        rows = _missing_rows(answer, form, dict(grp["common"]))
        held_ids = [{r["id"] for r in _held_rows(q)} for _, q in grp["plans"]]
        common_held = set.intersection(*held_ids)
        held = [r for r in _held_rows(grp["first"]) if r["id"] in common_held]
        choices = _checklist_choices(answer, form, grp, common_held)
    share = _public(url_for("web.index") + _query(_profile_pairs()))
    words = Words(_lang(), _site())
    cat = _site().cat
    # whom the list is for (a checklist handed on said nothing of the profile it answers)
    checked_for = (
        [words.t("scenario") + words.colon + words.scenario(form.scenario)] if form.scenario in cat.scenarios else []
    )
    subject = words.subject(form.subject) if form.subject in cat.subject_types else "—"
    checked_for.append(words.t("subject_type") + words.colon + subject)
    return {
        "checked_for": " · ".join(checked_for),
        "form": form,
        "answer": answer,
        "plan": plan,
        "alternatives": {
            c: list(dict.fromkeys(q["alternatives"][c] for _, q in grp["plans"])) for c in plan["categories"]
        }
        if grp and plan
        else {},
        "index": number,
        "count": len(groups),
        "rows": rows,
        "held": held,
        "choices": choices,
        "nothing_to_get": not rows and not any(o["rows"] for ch in choices for o in ch["options"]),
        "custom_costs": bool(form.costs),  # said beside the total, as the answer says it (docs/web.md#cost)
        "no_plan": shape.no_plan_reasons(words, answer, lambda a: "") if not plan else [],
        "share_url": share,
        "generated": _now(_lang()),  # (shown, ISO 8601)
        "filename": "livegate-"
        + ("-".join(plan["categories"]) if plan and plan["categories"] else ("direct" if plan else "no-path")),
    }


@web.get("/checklist")
def checklist() -> Response:
    return _delivered(_page("web/checklist.html", **_checklist_data()))


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@web.get("/checklist.md")
def checklist_md() -> Response:
    data = _checklist_data()
    words = Words(_lang(), _site())
    return _delivered(
        _download(
            render_template(
                "web/checklist.md",
                w=words,
                site=_site(),
                source_page=SOURCE_PAGE,
                ruleset=decisions().engine.ruleset,
                **data,
            ),
            "text/markdown",
            data["filename"] + ".md",
        )
    )


@web.get("/checklist.csv")
def checklist_csv() -> Response:
    """One row per document; a path's equivalent options (any one of them) come after the documents
    every option needs, each row naming its option in the last column."""
    data = _checklist_data()
    words = Words(_lang(), _site())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            words.t("csv_state"),
            words.t("csv_item_id"),
            words.t("item"),
            words.t("csv_qualifier"),
            words.t("csv_gloss"),
            words.t("issuer"),
            words.t("count"),
            words.t("unit_cost"),
            words.t("line_cost"),
            words.t("plan_categories"),
            words.t("csv_option"),
        ]
    )
    # in English with their gloss: a spreadsheet handed on kept only the Chinese names (an English reader)
    categories = (
        " + ".join(
            words.category(c) + (f" ({words.gloss_category(c)})" if words.gloss_category(c) else "")
            for c in data["plan"]["categories"]
        )
        if data["plan"]
        else ""
    )
    parts: list[tuple[str, list[dict[str, Any]], str]] = [
        ("csv_to_get", data["rows"], ""),
        ("csv_to_submit", data["held"], ""),
    ]
    for choice in data["choices"]:
        c = choice["category"]
        for option in choice["options"]:
            label = f"【{words.category(c)}】「{words.alternative(c, option['alternative'])}」"
            parts.append(("csv_to_get_either", option["rows"], label))
            parts.append(("csv_to_submit_either", option["held"], label))
    for state, rows, option_label in parts:
        for row in rows:
            it = words.cat.items[row["id"]]
            writer.writerow(
                [
                    words.t(state),
                    row["id"],
                    it.name,
                    it.qualifier or "",
                    words.english_gloss_item(row["id"]) or "",
                    words.issuer(row["issuer_class"]),
                    row["count"],
                    row.get("unit_cost", ""),
                    row.get("cost", ""),
                    categories,
                    option_label,
                ]
            )
    return _delivered(_download("\ufeff" + out.getvalue(), "text/csv", data["filename"] + ".csv"))


# -- errors on the pages are pages too (the API's errors stay JSON) -------------------------
# An error page delivers no answer: the evaluation it may follow is not logged, nor named.
@web.errorhandler(ProfileError)
def _profile_error(exc: ProfileError) -> Response:
    g.pop("pending_decision", None)
    errors = _web_errors(Words(_lang(), _site()), exc.errors)
    return _page("web/error.html", exc.status, errors=errors, message=None)


@web.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    """The 404 page: what was not found, the page's own words (markup) or the address's, echoed."""
    g.pop("pending_decision", None)
    words = Words(_lang(), _site())
    what = exc.description if isinstance(exc.description, Markup) else _echoed(words, str(exc.description))
    return _page("web/error.html", 404, errors=[], message=words.t("not_found", markup=True, what=what))


_API_PATHS = ("/v1/", "/openapi.json", "/docs", "/metrics")
"""Paths that are the API's: an unknown one stays a JSON 404 (:func:`livegate.http.errors.error_response`)."""


@web.app_errorhandler(NotFound)
def _unknown_path(exc: NotFound) -> Response:
    """A page address no route matches, asked by a browser (``Accept`` prefers HTML): the 404 page of
    :func:`_not_found`, in the page's language. Everything else (the API's paths, a client that does
    not prefer HTML, a 404 raised by another part of the app) keeps the API's JSON error."""
    if request.url_rule is not None or request.path.startswith(_API_PATHS):
        return error_response(exc)
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html":
        response = error_response(exc)
        response.vary.add("Accept")  # a browser asking the same address gets the page
        return response
    response = _not_found(NotFound(request.path))
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = _PRIVATE
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


@web.errorhandler(EvaluationTimeout)
def _timeout(exc: EvaluationTimeout) -> Response:
    g.pop("pending_decision", None)
    return _page("web/error.html", exc.status, errors=[], message=Words(_lang(), _site()).t("timeout"))


@web.errorhandler(DecisionLogError)
def _unavailable(exc: DecisionLogError) -> Response:
    g.pop("pending_decision", None)
    lang = _lang()
    words = Words(lang, _site())
    return _page("web/error.html", exc.status, errors=[], message=words.t("unavailable", message=exc.said.text(lang)))
