"""Scenarios as data: the engine answers as the source says.

Two kinds of cases, run by one parametrized test (``test_case_answers_as_the_source_says``):

* **generated** from ``data/source_requirements.json`` — an independent
  transcription of the source (not of ``facts/``). For every alternative of
  every category: holding exactly its items (with its role) makes the category
  eligible with the source's access method; each item taken away (a counted
  item held 0..N-1 times) leaves it missing with exactly that alternative's set
  ``{item}`` at the right shortfall and cost; a reserved alternative is never
  offered without its role; a plain document never meets a qualified
  requirement and a qualified one always meets the plain requirement. The full
  list of minimal missing sets is checked against a small set-based reading of
  the transcription (``expected_minimal_sets``).
* **hand-written** in ``data/scenarios.json`` — cases whose names are
  sentences, with expectations worked out by hand.

Every case also checks invariants that hold for any answer (a not-applicable
category lists no set, an eligible one only empty sets, plans never contain a
blocked or not-applicable category).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from livegate import ProfileError

DATA = Path(__file__).resolve().parent / "data"
SOURCE: dict[str, Any] = json.loads((DATA / "source_requirements.json").read_text(encoding="utf-8"))
HAND: list[dict[str, Any]] = json.loads((DATA / "scenarios.json").read_text(encoding="utf-8"))["cases"]

COST = SOURCE["issuer_costs"]
ITEMS: dict[str, dict] = SOURCE["items"]
CATEGORIES: dict[str, dict] = {c["id"]: c for c in SOURCE["categories"]}
QUALIFIED_FORMS: dict[str, list[str]] = {}
for _item, _info in ITEMS.items():
    if _info["plain_form"]:
        QUALIFIED_FORMS.setdefault(_info["plain_form"], []).append(_item)


# --- a set-based reading of the transcription (the expectation side) ----------------------------
def item_cost(item: str, overrides: dict[str, int] | None = None) -> int:
    if overrides and item in overrides:
        return overrides[item]
    return COST[ITEMS[item]["issuer_class"]]


def held_counts(profile: dict) -> dict[str, int]:
    """What a profile holds: one of each document, ``counts`` replacing an entry."""
    held = dict.fromkeys(profile.get("documents", []), 1)
    held.update(profile.get("counts", {}))
    return held


def holds_at_least(held: dict[str, int], item: str, n: int) -> bool:
    """The item itself, or a qualified form of it, held n times (never the reverse)."""
    return any(held.get(i, 0) >= n for i in [item, *QUALIFIED_FORMS.get(item, [])])


def subject_roles(profile: dict) -> set[str]:
    subject = profile["subject"]
    roles = set(subject.get("roles", []))
    roles |= {r for r, t in SOURCE["role_implied_by_subject"].items() if t == subject["type"]}
    return roles


def open_alternatives(category: dict, profile: dict) -> list[dict]:
    """Reserved for no role or one the subject has, asking for no item its type cannot hold."""
    roles, kind = subject_roles(profile), profile["subject"]["type"]
    return [
        a
        for a in category["alternatives"]
        if (a["reserved_for"] is None or a["reserved_for"] in roles) and kind in _holders(a["items"])
    ]


def shortfall(alternative: dict, held: dict[str, int]) -> dict[str, int]:
    """Item -> how many more are needed, for one alternative."""
    out = {}
    for item, need in alternative["items"].items():
        have = max((k for k in range(need + 1) if k == 0 or holds_at_least(held, item, k)), default=0)
        if have < need:
            out[item] = need - have
    return out


def _within(small: dict[str, int], big: dict[str, int]) -> bool:
    return all(big.get(i, 0) >= n for i, n in small.items())


def expected_minimal_sets(category_id: str, profile: dict) -> list[dict]:
    """The subset-minimal missing sets of a category (no activities), as the response writes them."""
    category = CATEGORIES[category_id]
    held = held_counts(profile)
    overrides = profile.get("costs", {})
    sets = [(a["id"], shortfall(a, held)) for a in open_alternatives(category, profile)]
    minimal = [(alt, s) for alt, s in sets if not any(_within(t, s) and not _within(s, t) for _, t in sets)]
    return [missing_set(category_id, alt, s, overrides) for alt, s in minimal]


def missing_set(
    category_id: str, alternative: str, short: dict[str, int], overrides: dict[str, int] | None = None
) -> dict:
    counted = {i for a in CATEGORIES[category_id]["alternatives"] for i, n in a["items"].items() if n > 1}
    return {
        "alternative": alternative,
        "alternatives": {category_id: alternative},
        "documents": sorted(short),
        "shortfalls": {i: n for i, n in sorted(short.items()) if i in counted},
        "cost": sum(n * item_cost(i, overrides) for i, n in short.items()),
    }


def expected_status(category_id: str, profile: dict) -> str:
    alternatives = open_alternatives(CATEGORIES[category_id], profile)
    if not alternatives:
        return "not_applicable"
    held = held_counts(profile)
    return "eligible" if any(not shortfall(a, held) for a in alternatives) else "missing"


# --- generated cases --------------------------------------------------------------------------
def _holders(items: dict[str, int]) -> list[str]:
    """The subject types that can hold every one of ``items`` (an enterprise first)."""
    types = ["enterprise", "other_organization", "media", "government", "personal"]
    only = SOURCE["item_subject_types"]
    return [t for t in types if all(t in only.get(i, types) for i in items)]


def _subject_for(alternative: dict, *, without_role: bool = False) -> dict:
    """A subject the alternative applies to (its role, a type that can hold its items); with
    ``without_role``, one that can hold its items but lacks the role."""
    role = alternative["reserved_for"]
    holders = _holders(alternative["items"])
    if role is None or without_role:
        return {"type": next(t for t in holders if role is None or SOURCE["role_implied_by_subject"].get(role) != t)}
    if SOURCE["role_implied_by_subject"].get(role):
        return {"type": SOURCE["role_implied_by_subject"][role]}
    return {"type": next(t for t in SOURCE["role_subject_types"][role] if t in holders), "roles": [role]}


def _profile(subject: dict, items: dict[str, int]) -> dict:
    profile: dict[str, Any] = {"subject": subject, "documents": sorted(i for i, n in items.items() if n == 1)}
    counts = {i: n for i, n in items.items() if n != 1}
    if counts:
        profile["counts"] = counts
    return profile


def _generated_case(case_id: str, name: str, category_id: str, profile: dict, **expect) -> dict:
    status = expect.pop("status", None) or expected_status(category_id, profile)
    expect.setdefault("status", {category_id: status})
    expect.setdefault("missing_sets", {category_id: expected_minimal_sets(category_id, profile)})
    return {"id": case_id, "name": name, "profile": profile, "expect": expect, "generated": True}


def generated_cases() -> list[dict]:
    cases = []
    for c in SOURCE["categories"]:
        cid, label = c["id"], f"{c['name']} ({c['id']})"
        for alt in c["alternatives"]:
            aid, subject, items = alt["id"], _subject_for(alt), alt["items"]
            role = f" as {alt['reserved_for']}" if alt["reserved_for"] else ""
            full = _profile(subject, items)
            cases.append(
                _generated_case(
                    f"{cid}-{aid}-met",
                    f"{label}: holding exactly the items of {aid}{role} makes it eligible with {c['access']}",
                    cid,
                    full,
                    status="eligible",
                    access={cid: c["access"]},
                    missing_sets_include={cid: [missing_set(cid, aid, {})]},
                    source={cid: {"section": c["section"], "url": c["url"], "line": c["line"]}},
                    explanation_mentions={cid: [c["name"], c["url"]]},
                )
            )
            for item, need in items.items():
                for have in range(need):
                    kept = dict(items)
                    if need > 1:
                        kept[item] = have
                    else:
                        del kept[item]
                    short = {item: need - have}
                    held = f" ({have} of {need} held)" if need > 1 else ""
                    cases.append(
                        _generated_case(
                            f"{cid}-{aid}-without-{item}" + (f"-{have}" if need > 1 else ""),
                            f"{label}: {aid}{role} without {item}{held} is missing exactly that,"
                            f" {need - have} more, cost {(need - have) * item_cost(item)}",
                            cid,
                            _profile(subject, kept),
                            status="missing",
                            missing_sets_include={cid: [missing_set(cid, aid, short)]},
                            explanation_mentions={cid: [ITEMS[item]["name"]]},
                        )
                    )
            if alt["reserved_for"]:
                cases.append(
                    _generated_case(
                        f"{cid}-{aid}-without-role",
                        f"{label}: {aid} is reserved for {alt['reserved_for']}; "
                        "holding its items without the role does not offer it",
                        cid,
                        _profile(_subject_for(alt, without_role=True), items),
                        no_set_for_alternatives={cid: [aid]},
                    )
                )
            for item in items:
                plain = ITEMS[item]["plain_form"]
                if plain:
                    swapped = {(plain if i == item else i): n for i, n in items.items()}
                    cases.append(
                        _generated_case(
                            f"{cid}-{aid}-plain-{plain}",
                            f"{label}: the plain {plain} does not meet {aid}'s {item} ({ITEMS[item]['qualifier']})",
                            cid,
                            _profile(subject, swapped),
                            status="missing",
                            missing_sets_include={cid: [missing_set(cid, aid, {item: items[item]})]},
                        )
                    )
                for qualified in QUALIFIED_FORMS.get(item, []):
                    swapped = {(qualified if i == item else i): n for i, n in items.items()}
                    cases.append(
                        _generated_case(
                            f"{cid}-{aid}-qualified-{qualified}",
                            f"{label}: the qualified {qualified} meets {aid}'s plain {item}",
                            cid,
                            _profile(subject, swapped),
                            status="eligible",
                            missing_sets_include={cid: [missing_set(cid, aid, {})]},
                        )
                    )
    return cases


GENERATED = generated_cases()
CASES = GENERATED + [dict(case, id=case["name"], generated=False) for case in HAND]


# --- checking one answer ------------------------------------------------------------------------
def _norm_set(s: dict, with_alternatives: bool) -> tuple:
    key = (s["alternative"], tuple(sorted(s["documents"])), s["cost"], tuple(sorted(s.get("shortfalls", {}).items())))
    if with_alternatives:
        key += (tuple(sorted(s["alternatives"].items())),)
    return key


def _sets_of(entry: dict, expected: list[dict]) -> tuple[list, list]:
    with_alts = any("alternatives" in s for s in expected)
    actual = sorted(_norm_set(s, with_alts) for s in entry["missing_sets"])
    wanted = sorted(_norm_set(s, with_alts) for s in expected)
    return actual, wanted


def check_invariants(answer: dict) -> None:
    by_id = {c["id"]: c for c in answer["categories"]}
    assert answer["eligible"] == [c["id"] for c in answer["categories"] if c["status"] == "eligible"]
    for c in answer["categories"]:
        if c["status"] == "not_applicable":
            assert c["missing_sets"] == [], f"{c['id']}: a not-applicable category lists no missing set"
        elif c["status"] == "eligible":
            assert c["missing_sets"], f"{c['id']}: an eligible category has the empty set"
            assert all(s["documents"] == [] and s["cost"] == 0 for s in c["missing_sets"]), c["id"]
        elif c["status"] == "missing":
            assert c["missing_sets"], f"{c['id']}: a missing category says what it lacks"
            assert all(s["documents"] for s in c["missing_sets"]), c["id"]
    for plan in answer["cheapest"]["plans"]:
        assert plan["cost"] == answer["cheapest"]["cost"]
        for c in plan["categories"]:
            assert by_id[c]["status"] in ("eligible", "missing"), f"plan holds {c} ({by_id[c]['status']})"
    costs = {s: found["cost"] for s, found in answer["cheapest_by_scenario"].items()}
    for s, found in answer["cheapest_by_scenario"].items():
        assert (found["cost"] is None) == (not found["plans"]) == bool(found["no_plan_reasons"]), s
        for plan in found["plans"]:
            assert plan["cost"] == found["cost"], s
            # the direct route is no category: it answers the goal only (docs/semantics.md#plans)
            assert not plan["direct"] and s in {by_id[c]["scenario"] for c in plan["categories"]}, s
    direct = [p for p in answer["cheapest"]["plans"] if p["direct"]]
    assert not direct or answer["cheapest"]["plans"] == direct  # then the only cheapest (#direct-route)
    if answer["cheapest"]["cost"] is not None:  # the cheapest of the scenarios' (plus the direct route)
        assert answer["cheapest"]["cost"] == min([c for c in costs.values() if c is not None] + [0] * len(direct))
    for step in answer["next_steps"]:
        goal = answer["cheapest"]["cost"]
        assert goal is None or step["cheapest_cost_after"] <= goal, step
        for s, after in step["cheapest_cost_after_by_scenario"].items():
            assert costs[s] is None or after <= costs[s], (step, s)
        for c in step["unlocks"]:
            assert by_id[c]["status"] == "missing", step


def check_expectations(answer: dict, expect: dict) -> None:
    by_id = {c["id"]: c for c in answer["categories"]}
    for key in ("subject_supported", "direct_standard_live"):
        if key in expect:
            assert answer[key] is expect[key], key
    if "eligible" in expect:
        assert sorted(answer["eligible"]) == sorted(expect["eligible"])
    if "status_all" in expect:
        assert {c["id"]: c["status"] for c in answer["categories"]} == dict.fromkeys(CATEGORIES, expect["status_all"])
    for cid, status in expect.get("status", {}).items():
        assert by_id[cid]["status"] == status, f"status of {cid}"
    for cid, access in expect.get("access", {}).items():
        assert by_id[cid]["access"] == access, f"access of {cid}"
    for cid, source in expect.get("source", {}).items():
        assert {k: by_id[cid]["source"][k] for k in source} == source, f"source of {cid}"
    for cid, sets in expect.get("missing_sets", {}).items():
        actual, wanted = _sets_of(by_id[cid], sets)
        assert actual == wanted, f"minimal missing sets of {cid}"
    for cid, sets in expect.get("missing_sets_include", {}).items():
        actual, wanted = _sets_of(by_id[cid], sets)
        for s in wanted:
            assert s in actual, f"{cid} lists the minimal set {s}"
    for cid, alternatives in expect.get("no_set_for_alternatives", {}).items():
        offered = {s["alternative"] for s in by_id[cid]["missing_sets"]}
        offered |= {a for s in by_id[cid]["missing_sets"] for a in s["alternatives"].values()}
        assert not offered & set(alternatives), f"{cid} offers a reserved alternative"
    for key in ("requires_categories", "external_requirements", "combined_access"):
        for cid, value in expect.get(key, {}).items():
            assert by_id[cid][key] == value, f"{key} of {cid}"
    for cid, warnings in expect.get("warnings", {}).items():
        actual = sorted((w["kind"], w["id"]) for w in by_id[cid]["warnings"])
        assert actual == sorted((w["kind"], w["id"]) for w in warnings), f"warnings of {cid}"
        for w in warnings:
            if "text" in w:
                assert any(a["text"] == w["text"] for a in by_id[cid]["warnings"]), w
    for cid, fragments in expect.get("explanation_mentions", {}).items():
        text = "\n".join(by_id[cid]["explanation"])
        for fragment in fragments:
            assert fragment in text, f"the explanation of {cid} mentions {fragment!r}"
    for cid, scope in expect.get("scope", {}).items():
        assert by_id[cid]["scope"] == scope, f"scope of {cid}"
    if "cheapest" in expect:
        _check_cheapest(answer["cheapest"], expect["cheapest"], "cheapest")
    if "cheapest_by_scenario_keys" in expect:
        assert sorted(answer["cheapest_by_scenario"]) == sorted(expect["cheapest_by_scenario_keys"])
    for scenario, wanted in expect.get("cheapest_by_scenario", {}).items():
        _check_cheapest(answer["cheapest_by_scenario"][scenario], wanted, f"cheapest of {scenario}")
    for k, step in enumerate(expect.get("next_steps_first", [])):
        actual_step = answer["next_steps"][k]
        assert {f: actual_step[f] for f in step} == step, f"next step {k + 1}"
    for step in expect.get("next_steps_include", []):
        assert any({f: a[f] for f in step} == step for a in answer["next_steps"]), f"a next step {step}"
    for note in expect.get("notes_include", []):
        assert note in [n["id"] for n in answer["notes"]], f"the note {note}"
    for note in expect.get("notes_exclude", []):
        assert note not in [n["id"] for n in answer["notes"]], f"no note {note}"


def _check_cheapest(cheapest: dict, expect: dict, what: str) -> None:
    assert cheapest["cost"] == expect["cost"], f"{what}: cost"
    actual = {(tuple(sorted(p["categories"])), tuple(sorted(p["missing"]))): p for p in cheapest["plans"]}
    if "plans" in expect:
        wanted = {(tuple(p["categories"]), tuple(p["missing"])): p for p in expect["plans"]}
        assert sorted(actual) == sorted(wanted), f"{what}: the set of plans (categories, missing)"
        for key, plan in wanted.items():
            for field, value in plan.items():
                if field not in ("categories", "missing"):
                    assert actual[key][field] == value, f"{what}: plan {key}: {field}"
    assert len(cheapest["plans"]) == len(actual), f"{what}: each plan is listed once"
    if "no_plan_reasons" in expect:
        assert cheapest["no_plan_reasons"] == expect["no_plan_reasons"], f"{what}: why no plan, in order"
    if "explanation_mentions" in expect:
        text = "\n".join(cheapest["explanation"])
        for fragment in expect["explanation_mentions"]:
            assert fragment in text, f"{what}: the explanation mentions {fragment!r}"


# --- the tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_answers_as_the_source_says(engine, case):
    if "refused" in case["expect"]:
        with pytest.raises(ProfileError) as refused:
            engine.evaluate(case["profile"])
        got = [{k: e.get(k) for k in ("field", "conflict")} for e in refused.value.errors]
        assert got == case["expect"]["refused"]
        return
    answer = engine.evaluate(case["profile"])
    check_invariants(answer)
    check_expectations(answer, case["expect"])


def test_cases_cover_every_category_and_alternative_of_the_source(catalogue):
    assert len(HAND) >= 50 and len(GENERATED) >= 62 + 31
    covered = {(c["id"].split("-")[0], c["id"].split("-")[1]) for c in GENERATED if c["id"].endswith("-met")}
    assert covered == {(c["id"], a["id"]) for c in SOURCE["categories"] for a in c["alternatives"]}
    assert {c for c, _ in covered} == set(catalogue.categories)
    hand_activities = {a for case in HAND for a in case["profile"].get("activities", [])}
    assert hand_activities == set(catalogue.activities), "every activity has a hand-written case"
    hand_roles = {r for case in HAND for r in case["profile"]["subject"].get("roles", [])}
    assert hand_roles == set(SOURCE["roles"]), "every role has a hand-written case"


def test_transcription_counts_match_the_source():
    """31 leaf categories and 62 alternatives, read off the source (nested wording expanded as
    docs/semantics.md#categories says)."""
    assert len(SOURCE["categories"]) == 31
    assert sum(len(c["alternatives"]) for c in SOURCE["categories"]) == 62
    assert len(ITEMS) == 60
    assert len(SOURCE["roles"]) == 7


@pytest.mark.parametrize("category", SOURCE["categories"], ids=[c["id"] for c in SOURCE["categories"]])
def test_knowledge_base_transcribes_category_as_read_from_the_source(published, category):
    """The facts say what an independent reading of the source says (structure, access, scenario, source line)."""
    mine = published["categories"][category["id"]]
    assert (mine["name"], mine["scenario"], mine["access"]) == (
        category["name"],
        category["scenario"],
        category["access"],
    )
    assert mine["source"] == {"section": category["section"], "url": category["url"], "line": category["line"]}
    facts = {a["id"]: ({r["item"]: r["count"] for r in a["items"]}, a["reserved_for"]) for a in mine["alternatives"]}
    read = {a["id"]: (a["items"], [a["reserved_for"]] if a["reserved_for"] else []) for a in category["alternatives"]}
    assert facts == read
    companion = category["companion"]
    assert mine["companions"] == (
        [{"category": companion["category"], "access": companion["access"]}] if companion else []
    )
    assert sorted(mine["activities"]) == sorted(a["id"] for a in category["activities"])


def test_knowledge_base_items_are_named_and_classed_as_the_source_reads(published):
    assert set(published["items"]) == set(ITEMS)
    for item, info in ITEMS.items():
        mine = published["items"][item]
        assert (mine["name"], mine["plain_form"], mine["issuer_class"]) == (
            info["name"],
            info["plain_form"],
            info["issuer_class"],
        ), item
        assert (mine["qualifier"] is None) == (info["qualifier"] is None), item
        assert mine["default_cost"] == COST[info["issuer_class"]], item
        assert mine["unit"] == SOURCE["counted_units"].get(item), item


def test_the_roles_allow_the_subject_types_the_reading_gives(catalogue):
    assert {r: sorted(info.subject_types) for r, info in catalogue.roles.items()} == {
        r: sorted(types) for r, types in SOURCE["role_subject_types"].items()
    }


def test_knowledge_base_activities_have_the_effects_the_source_notes_say(published):
    for category in SOURCE["categories"]:
        for act in category["activities"]:
            mine = published["activities"][act["id"]]
            effect = act["effect"] if act["target"] is None else f"{act['effect']}({act['target']})"
            assert mine["category"] == category["id"] and mine["effects"] == [effect], act["id"]
            if act["remedy"]:
                assert mine["remedy"] == act["remedy"], act["id"]


SOURCE_LINES = (DATA.parent.parent / "docs" / "source" / "live-streaming-categories.md").read_text(encoding="utf-8")


def _source_line(number: int) -> str:
    """Line ``number`` of the source (1-based) without its Markdown and HTML: ``>!``, ``>1.``, ``<td>``."""
    import re

    line = SOURCE_LINES.splitlines()[number - 1]
    return re.sub(r"<[^>]+>|^\s*>!?\s*(\d+\.\s*)?", "", line).strip()


def test_every_activity_and_note_names_the_source_line_that_says_it_verbatim(published):
    """Answers quote an activity's note and a category's note with their line (原文第 800 行：“…”):
    that line of the source says exactly that sentence."""
    assert published["activities"], "the catalogue has activities"
    for act in published["activities"].values():
        assert act["line"], act["id"]
        assert _source_line(act["line"]) == act["text"], (act["id"], act["line"], _source_line(act["line"]))
    notes = [n for c in published["categories"].values() for n in c["notes"]]
    assert notes, "the catalogue has category notes"
    for note in notes:
        assert _source_line(note["line"]) == note["text"], (note["id"], note["line"])


_CITATION = __import__("re").compile(r"^%\s*L(\d+)(?:[–-]L(\d+))?:\s*(.+)$")


def _plain(lines: list[str]) -> str:
    """Lines of the source without markup or spaces (a citation may join a cell's lines)."""
    import re

    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", "".join(lines)))


def test_fail_every_line_cited_in_the_facts_says_what_the_citation_quotes():
    """The facts' comments cite the source line by line (``% L509: 适用于…``): an analyst's review
    found 金融-银行's scope cited at L510, a ``</tr>`` (the text is on L509). Each citation's text is
    on its line (or range); a ``header — value`` citation has the value there and its table header
    at most two lines above; a quoted ``"-"`` is the source's dash."""
    source = SOURCE_LINES.splitlines()
    facts = sorted((DATA.parent.parent / "facts").glob("*.lp"))
    checked, wrong = 0, []
    for path in facts:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _CITATION.match(line)
            if not match:
                continue
            first, last = int(match[1]), int(match[2] or match[1])
            header, _, value = match[3].rpartition(" — ")
            value = value.strip().strip('"')
            cited = _plain(source[first - 1 : last])
            chunks = [c.rstrip(":：") for c in __import__("re").split(r"[\s；]+|…", value) if c.rstrip(":：")]
            if not all(c in cited for c in chunks):
                wrong.append((path.name, number, line))
            if header and header not in _plain(source[max(0, first - 3) : last]):
                wrong.append((path.name, number, line))
            checked += 1
    assert checked >= 80  # the facts cite the source throughout
    assert wrong == []


def test_tied_plans_come_in_the_same_order_every_time(engine):
    profile = {
        "subject": {"type": "enterprise"},
        "goal": {"categories": ["finance_insurance", "finance_bank", "finance_trust"]},
    }
    orders = [
        [(p["categories"], p["missing"]) for p in engine.evaluate(profile)["cheapest"]["plans"]] for _ in range(3)
    ]
    assert len(orders[0]) == 12  # 8 insurance licences + 2 for the bank + 2 for the trust, all at cost 10
    assert orders[0] == orders[1] == orders[2]


# -- a plan that goes around a blocked category ------------------------------------------
PRIVATE_FUND_OFFERING = {
    "subject": {"type": "enterprise"},
    "documents": ["private_fund_filing_proof"],
    "activities": ["private_fund_public_offering"],
    "goal": {"scenario": "finance"},
}


def _line_holding(text: str) -> int:
    """The line of the source copy that holds ``text`` (a test's own reading, not the facts')."""
    [line] = [n for n, row in enumerate(SOURCE_LINES.splitlines(), 1) if text in row]
    return line


def test_fail_a_plan_around_a_blocked_category_names_it_and_the_scope_it_must_fit(engine):
    """A private fund that declares a public offering is blocked from 私募基金 (L580) and offered
    消费金融 or 股票信息服务平台, whose scopes (L785, L760) a private fund does not fit: every plan
    names the blocked category and its note, and states each of its categories' scope."""
    note = "暂不支持涉及私募产品公开募集或在线交易等服务"
    scopes = {
        "finance_consumer_finance": "适用于提供消费金融线上服务或交易等服务",
        "finance_stock_info_platform": "适用于提供港股、美股行情资讯、行情分析等服务",
    }
    for text in (note, *scopes.values()):
        _line_holding(text)  # each is the source's, verbatim
    zh, en = (engine.evaluate(PRIVATE_FUND_OFFERING, lang=lang) for lang in ("zh", "en"))
    blocked = [{"activity": "private_fund_public_offering", "category": "finance_private_fund"}]
    for answer in (zh, en):
        assert answer["cheapest"]["blocked"] == answer["cheapest_by_scenario"]["finance"]["blocked"] == blocked
        assert answer["cheapest"]["cost"] == 5
        assert {c for p in answer["cheapest"]["plans"] for c in p["categories"]} == set(scopes)
    for plan in zh["cheapest"]["plans"]:
        [c] = plan["categories"]
        lines = plan["explanation"]
        assert f"前提是小程序的实际服务符合【{zh_name(zh, c)}】的适用范围：“{scopes[c]}”。" in lines
        [around] = [line for line in lines if "【金融-私募基金】" in line]
        assert f"原文第 {_line_holding(note)} 行：“{note}”" in around and "须符合小程序的实际服务" in around
    for plan in en["cheapest"]["plans"]:
        [around] = [line for line in plan["explanation"] if "rules out" in line]
        assert (
            f"line {_line_holding(note)}: “{note}" in around and "must fit what the mini program really does" in around
        )
        assert any(
            line.startswith("Provided the mini program's real service fits the scope of")
            for line in plan["explanation"]
        )


def test_a_question_with_no_blocked_category_lists_none_and_its_plans_say_nothing_of_it(engine):
    answer = engine.evaluate({**PRIVATE_FUND_OFFERING, "activities": []})
    assert answer["cheapest"]["blocked"] == []
    assert not any("无法使用" in line for p in answer["cheapest"]["plans"] for line in p["explanation"])


def zh_name(answer: dict[str, Any], c: str) -> str:
    return next(e["name"] for e in answer["categories"] if e["id"] == c)


def test_fail_a_plan_says_what_it_assumes_of_the_activities_its_categories_note(engine, repo_root):
    """The seller's plan through 电商平台 said nothing of L13 (医疗器械 sales need a medical category)
    or L14 (no prohibited goods) unless the profile declared them: it assumes them not done, and
    says so with the source's notes; declared, an activity is no longer assumed."""
    seller = json.loads((repo_root / "examples" / "ecommerce_seller.json").read_text(encoding="utf-8"))
    notes = {
        13: "入驻商家如涉医疗器械、非处方药品在线销售，需补充医疗相关类目",
        14: "不得提供如催情香水/催情药品等违法违规商品销售",
    }
    for line, note in notes.items():
        assert _line_holding(note) == line
    answer = engine.evaluate(seller)
    for plan in answer["cheapest"]["plans"]:
        assert plan["categories"] == ["ecommerce_platform"]
        assert plan["assumes"] == ["ecom_medical_sales", "ecom_prohibited_goods"]
        for line, note in notes.items():
            assert any(f"原文第 {line} 行写明“{note}”" in said for said in plan["explanation"]), plan["explanation"]
    declared = engine.evaluate({**seller, "activities": ["ecom_medical_sales"]})
    for plan in declared["cheapest"]["plans"]:
        assert plan["assumes"] == ["ecom_prohibited_goods"]
        assert plan["external_requirements"] == ["medical_categories"]
