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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ..contract import ELIGIBLE
from ..http.decisions import Decision, DecisionLogError, decisions
from ..http.headers import PAGE_CSP
from ..kb import Category
from ..names import LANGUAGES
from ..profile import ProfileError
from ..solver import EvaluationTimeout
from .diagram import Alternative, Diagram, Item, render
from .form import FormState
from .site import Site, Words

__all__ = ["CSP", "web"]

web = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")

CSP = PAGE_CSP
"""Content-Security-Policy of every page: nothing but this server, no inline script or style."""

_PLAN = re.compile(r"[0-9]{1,4}")
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
    lang = request.args.get("lang", LANGUAGES[0])
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _pairs(args: MultiDict[str, str] | None = None) -> list[tuple[str, str]]:
    return [(k, v) for k, v in (request.args if args is None else args).items(multi=True) if v != ""]


def _query(pairs: list[tuple[str, str]]) -> str:
    return ("?" + urlencode(pairs)) if pairs else ""


def _profile_pairs() -> list[tuple[str, str]]:
    """The query's profile and language, without page-specific keys (plan)."""
    return [(k, v) for k, v in _pairs() if k != "plan"]


def _public(path: str) -> str:
    """A link to ``path`` on this service: on ``PUBLIC_URL`` if configured, else relative."""
    base = current_app.config["PUBLIC_URL"]
    return base + path if base else path


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
    if _site().cat.items[item].counted:
        pairs.append((f"count.{item}", str(form.held_count(item) + shortfall)))
    elif item not in form.docs:
        pairs.append(("doc", item))
    return url_for("web.index") + _query(pairs) + "#answer"


# -- evaluation -----------------------------------------------------------------------------
def _evaluate(form: FormState) -> tuple[Any, dict[str, Any]]:
    """The engine's parsed profile and answer (in the page's language). The decision is logged
    like the API's, but only once the page is rendered (:func:`_delivered`)."""
    decision = decisions().decide(form.to_profile(), "", lang=_lang(), log=False)
    g.pending_decision = decision
    return decision.profile, decision.answer.json()


def _delivered(response: Response) -> Response:
    """Log the decision the page was rendered from, now that it will be delivered (not for ``HEAD``,
    whose page is not): a :class:`DecisionLogError` replaces the page by the 503 page."""
    decision: Decision | None = g.pop("pending_decision", None)
    if decision is not None and request.method != "HEAD":
        endpoint = (request.endpoint or "").split(".")[-1]
        decisions().record(decision, f"web:{endpoint}")
    return response


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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


def _plans(profile: Any, form: FormState, answer: dict[str, Any]) -> list[dict[str, Any]]:
    by_id = {c["id"]: c for c in answer["categories"]}
    plans = []
    for k, p in enumerate(answer["cheapest"]["plans"]):
        warnings: dict[tuple, dict] = {}
        for c in p["categories"]:
            for w in by_id[c]["warnings"]:
                warnings.setdefault((w["kind"], w["id"]), w)
        plan_pairs = _profile_pairs() + ([("plan", str(k))] if k else [])
        plans.append(
            {
                "index": k,
                "number": k + 1,
                "plan": p,
                "categories": [
                    {"id": c, "alternatives": p["equivalent_alternatives"].get(c, [])} for c in p["categories"]
                ],
                "missing": _missing_rows(answer, form, {d["id"]: d["count"] for d in p["missing_detail"]}),
                "warnings": list(warnings.values()),
                "links": {
                    "print": _url("web.checklist", plan_pairs),
                    "md": _url("web.checklist_md", plan_pairs),
                    "csv": _url("web.checklist_csv", plan_pairs),
                },
            }
        )
    return plans


def _category_rows(profile: Any, form: FormState, answer: dict[str, Any]) -> list[dict[str, Any]]:
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
            notes.append(words.t("reserved_for", roles="、".join(words.role(r) for r in alt.reserved_for)))
        items = []
        for requirement in alt.items:
            i, need = requirement.item, requirement.count
            counted = cat.items[i].counted
            detail = [words.issuer(cat.items[i].issuer_class)]
            gloss = words.gloss_item(i)
            if gloss:
                detail.insert(0, gloss)
            if counted:
                detail.append(words.t("needs", n=need))
            held = form.held_count(i) if form is not None else 0
            if s is not None:
                mark = "lacking" if i in s["documents"] else "held"
                if i in s["documents"] and counted:
                    detail.append(words.t("shortfall", n=s["shortfalls"].get(i, 1)))
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
                detail.append(words.t("holds_count", n=held))
            items.append(Item(words.item(i), " · ".join(detail), mark))
        alternatives.append(Alternative(alt.label, state, " · ".join(notes), items))
    status = entry["status"] if entry else None
    title = words.category(c) + (f" — {words.gloss_category(c)}" if words.gloss_category(c) else "")
    subtitle = (
        f"{words.t('access')}{words.colon}{words.access(info.access)} · {words.t('source')}{words.colon}"
        f"{info.source.section}{words.t('source_line', n=info.source.line)}"
    )
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
    body = render_template(
        template,
        lang=lang,
        w=words,
        site=_site(),
        ruleset=decisions().engine.ruleset,
        lang_toggle=_lang_toggle(),
        decision_id=pending.decision_id if (pending := g.get("pending_decision")) is not None else None,
        **context,
    )
    return Response(body, status=status, mimetype="text/html")


# -- routes ------------------------------------------------------------------------------------
@web.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP  # the others: livegate.app, on every response
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Vary"] = "Accept-Language"
    return response


@web.get("/")
def index() -> Response:
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
            context.update(
                answer=answer,
                plans=_plans(profile, form, answer),
                rows=_category_rows(profile, form, answer),
                share_url=_public(url_for("web.index") + _query(_pairs())),
            )
            words = Words(_lang(), _site())
            context["plan_diagrams"] = [
                Markup(
                    render(
                        _diagram(
                            words,
                            c,
                            form,
                            next(e for e in answer["categories"] if e["id"] == c),
                            key=f"plan{p['index']}-{c}",
                        )
                    )
                )
                for p in context["plans"][:1]
                for c in p["plan"]["categories"]
            ]
    return _delivered(_page("web/index.html", status, **context))


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
    svg = Markup(render(_diagram(words, id_, form if form.present else None, entry)))
    return _delivered(
        _page(
            "web/category.html",
            info=info,
            entry=entry,
            form=form,
            sets=rows,
            svg=svg,
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


def _checklist_data() -> dict[str, Any]:
    """The chosen plan (``plan``, default the first cheapest) and its rows."""
    form = FormState.from_args(request.args)
    if not form.present:
        raise NotFound("a checklist needs a profile in the query string")
    _profile, answer = _evaluate(form)
    plans = answer["cheapest"]["plans"]
    raw = request.args.get("plan", "0")
    index = int(raw) if _PLAN.fullmatch(raw) else -1
    if plans and not 0 <= index < len(plans):
        raise NotFound(f"plan {raw}")
    plan = plans[index] if plans else None
    rows = _missing_rows(answer, form, {d["id"]: d["count"] for d in plan["missing_detail"]}) if plan else []
    share = _public(url_for("web.index") + _query(_profile_pairs()))
    return {
        "form": form,
        "answer": answer,
        "plan": plan,
        "index": index,
        "count": len(plans),
        "rows": rows,
        "share_url": share,
        "generated": _now(),
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
            render_template("web/checklist.md", w=words, site=_site(), ruleset=decisions().engine.ruleset, **data),
            "text/markdown",
            "livegate-checklist.md",
        )
    )


@web.get("/checklist.csv")
def checklist_csv() -> Response:
    data = _checklist_data()
    words = Words(_lang(), _site())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "item_id",
            words.t("item"),
            "qualifier",
            words.t("issuer"),
            words.t("count"),
            words.t("unit_cost"),
            words.t("line_cost"),
            words.t("plan_categories"),
        ]
    )
    categories = " + ".join(words.category(c) for c in data["plan"]["categories"]) if data["plan"] else ""
    for row in data["rows"]:
        it = words.cat.items[row["id"]]
        writer.writerow(
            [
                row["id"],
                it.name,
                it.qualifier or "",
                words.issuer(row["issuer_class"]),
                row["count"],
                row["unit_cost"],
                row["cost"],
                categories,
            ]
        )
    return _delivered(_download("\ufeff" + out.getvalue(), "text/csv", "livegate-checklist.csv"))


# -- errors on the pages are pages too (the API's errors stay JSON) -------------------------
# An error page delivers no answer: the evaluation it may follow is not logged, nor named.
@web.errorhandler(ProfileError)
def _profile_error(exc: ProfileError) -> Response:
    g.pop("pending_decision", None)
    return _page("web/error.html", exc.status, errors=exc.errors, message=None)


@web.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    g.pop("pending_decision", None)
    words = Words(_lang(), _site())
    return _page("web/error.html", 404, errors=[], message=words.t("not_found", what=exc.description))


@web.errorhandler(EvaluationTimeout)
def _timeout(exc: EvaluationTimeout) -> Response:
    g.pop("pending_decision", None)
    return _page("web/error.html", exc.status, errors=[], message=Words(_lang(), _site()).t("timeout"))


@web.errorhandler(DecisionLogError)
def _unavailable(exc: DecisionLogError) -> Response:
    g.pop("pending_decision", None)
    words = Words(_lang(), _site())
    return _page("web/error.html", exc.status, errors=[], message=words.t("unavailable", message=str(exc)))
