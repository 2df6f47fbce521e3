"""Contradictory profiles are refused, never silently resolved (docs/semantics.md#limits).

The contradictions: a document listed in ``documents`` and counted 0 in
``counts`` (or counted 0 while one of its qualified forms is listed), a role the
subject type cannot hold and two roles no subject holds both of
(docs/semantics.md#role-fit), and a goal whose candidate categories all serve
other scenarios than its own (docs/semantics.md#limits). The roles each subject
type may hold, and which exclude each other, are checked against the second
transcription of the source (``tests/data/source_requirements.json``), not
against the facts; each refusal names both JSON paths, with 422 from the API,
exit 2 from ``livegate evaluate`` and a bad line from ``livegate batch``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from livegate.app import create_app
from livegate.profile import ProfileError

ROOT = Path(__file__).resolve().parent.parent
SOURCE = json.loads((ROOT / "tests" / "data" / "source_requirements.json").read_text(encoding="utf-8"))
FIT: dict[str, list[str]] = SOURCE["role_subject_types"]
TYPES = ["enterprise", "government", "media", "other_organization", "personal"]
UNFIT = [(role, kind) for role, kinds in sorted(FIT.items()) for kind in TYPES if kind not in kinds]
FITTING = [(role, kind) for role, kinds in sorted(FIT.items()) for kind in kinds]
EXCLUSIVE: list[tuple[str, str]] = [(a, b) for a, b in SOURCE["exclusive_roles"]]
TOGETHER = [  # two roles some subject type may hold both of, in either order
    (a, b, kind) for a in sorted(FIT) for b in sorted(FIT) if a != b for kind in sorted(set(FIT[a]) & set(FIT[b]))
]


@pytest.fixture(scope="module")
def client():
    app = create_app()
    app.config.update(TESTING=True)
    return app.test_client()


def test_the_transcription_gives_media_and_personal_subjects_no_role():
    assert {"media", "personal"}.isdisjoint({k for kinds in FIT.values() for k in kinds})
    assert len(UNFIT) == 7 * 5 - sum(map(len, FIT.values())) == 25


@pytest.mark.parametrize(("role", "kind"), UNFIT, ids=[f"{r}-{k}" for r, k in UNFIT])
def test_a_role_the_subject_type_cannot_hold_is_refused_by_the_api(client, role, kind):
    profile = {"subject": {"type": kind, "roles": ["government_body", role] if kind == "government" else [role]}}
    for endpoint in ("/v1/evaluate", "/v1/cheapest"):
        response = client.post(endpoint, json=profile)
        assert response.status_code == 422, (endpoint, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "invalid_profile"
        n = profile["subject"]["roles"].index(role)
        problems = [e for e in error["errors"] if e["field"] == f"subject.roles[{n}]"]
        assert len(problems) == 1 and problems[0]["conflict"] == "subject.type"
        assert repr(role) in problems[0]["problem"] and repr(kind) in problems[0]["problem"]
        assert len(error["errors"]) == 1  # the fitting government_body beside it is no problem


@pytest.mark.parametrize(("role", "kind"), FITTING, ids=[f"{r}-{k}" for r, k in FITTING])
def test_a_role_that_fits_is_answered(engine, role, kind):
    answer = engine.evaluate({"subject": {"type": kind, "roles": [role]}}, explain=False)
    assert answer["subject_supported"] is True


def test_a_document_counted_zero_is_refused_naming_both_paths(client):
    profile = {
        "subject": {"type": "enterprise"},
        "documents": ["business_license", "training_coop_agreement"],
        "counts": {"training_coop_agreement": 0, "business_license": 1},
    }
    response = client.post("/v1/evaluate", json=profile)
    assert response.status_code == 422
    [problem] = response.get_json()["error"]["errors"]
    assert problem["field"] == "counts.training_coop_agreement" and problem["conflict"] == "documents[1]"


def test_a_count_of_zero_without_the_document_listed_is_no_contradiction(engine):
    with_zero = engine.evaluate({"subject": {"type": "enterprise"}, "counts": {"training_coop_agreement": 0}})
    without = engine.evaluate({"subject": {"type": "enterprise"}})
    assert with_zero["eligible"] == without["eligible"]


FORMS = [(i, item["plain_form"]) for i, item in sorted(SOURCE["items"].items()) if item["plain_form"]]
SCENARIO_OF = {c["id"]: c["scenario"] for c in SOURCE["categories"]}
SCENARIOS = sorted(set(SCENARIO_OF.values()))


@pytest.mark.parametrize(("form", "plain"), FORMS, ids=[f for f, _ in FORMS])
def test_a_plain_item_counted_zero_beside_one_of_its_forms_is_refused(engine, form, plain):
    """Holding a qualified form (区县级《民办学校办学许可证》) is holding the item (the transcription's
    ``plain_form``): a count of 0 for the item says the opposite."""
    profile = {"subject": {"type": "enterprise"}, "documents": [form], "counts": {plain: 0}}
    with pytest.raises(ProfileError) as raised:
        engine.evaluate(profile)
    [problem] = raised.value.errors
    assert (problem["field"], problem["kind"], problem["held"], problem["conflict"]) == (
        f"counts.{plain}",
        "count_zero_form",
        form,
        "documents[0]",
    )
    # without the form listed, a count of 0 for the plain item is no contradiction
    assert engine.evaluate({**profile, "documents": []}, explain=False)["subject_supported"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_goal_whose_candidates_all_serve_other_scenarios_is_refused(client, scenario):
    """The goal's filters intersect: candidates of other scenarios only would leave nothing to answer it
    (each category's scenario from the transcription)."""
    inside = sorted(c for c, s in SCENARIO_OF.items() if s == scenario)
    outside = sorted(c for c, s in SCENARIO_OF.items() if s != scenario)
    profile = {"subject": {"type": "enterprise"}, "goal": {"scenario": scenario, "categories": outside}}
    response = client.post("/v1/evaluate", json=profile)
    assert response.status_code == 422
    [problem] = response.get_json()["error"]["errors"]
    assert (problem["field"], problem["kind"], problem["value"], problem["conflict"]) == (
        "goal.categories",
        "no_candidate_in_scenario",
        scenario,
        "goal.scenario",
    )
    # one candidate of the scenario among them is enough: the others are left out by the filter
    profile["goal"]["categories"] = [*outside, inside[0]]
    assert client.post("/v1/evaluate", json=profile).status_code == 200


ALIAS = ("enterprise_credit_filing_pboc", "enterprise_credit_filing")
"""The earlier item id still accepted until ruleset 3.0, and the id it stands for (docs/semantics.md#limits)."""


@pytest.mark.parametrize("field", ["counts", "costs"])
@pytest.mark.parametrize("first", ["old", "new"])
def test_an_item_under_its_earlier_id_and_its_id_is_refused_whatever_the_order(engine, field, first):
    """Read as one item, the two values were resolved by the order of the keys: counts 0 then 1 made
    征信业务 eligible, 1 then 0 missing, in the same JSON object."""
    old, new = ALIAS
    values = {old: 0, new: 1} if first == "old" else {new: 1, old: 0}
    profile = {"subject": {"type": "enterprise"}, "documents": ["business_license"], field: values}
    with pytest.raises(ProfileError) as raised:
        engine.evaluate(profile)
    [problem] = raised.value.errors
    assert (problem["field"], problem["kind"], problem["conflict"]) == (
        f"{field}.{old}",
        "item_twice",
        f"{field}.{new}",
    )


def test_a_contradiction_names_the_key_as_the_profile_wrote_it(engine):
    old, new = ALIAS
    with pytest.raises(ProfileError) as raised:
        engine.evaluate({"subject": {"type": "enterprise"}, "documents": [new], "counts": {old: 0}})
    [problem] = raised.value.errors
    assert (problem["field"], problem["kind"], problem["conflict"]) == (f"counts.{old}", "count_zero", "documents[0]")


def test_both_contradictions_at_once_are_both_reported(engine):
    profile = {
        "subject": {"type": "media", "roles": ["car_dealer"]},
        "documents": ["business_license"],
        "counts": {"business_license": 0},
    }
    with pytest.raises(ProfileError) as raised:
        engine.evaluate(profile)
    fields = {(e["field"], e["conflict"]) for e in raised.value.errors}
    assert fields == {("counts.business_license", "documents[0]"), ("subject.roles[0]", "subject.type")}


def test_batch_reports_a_contradictory_line_and_answers_the_others(tmp_path):
    good = {"subject": {"type": "enterprise"}, "documents": ["business_license"]}
    lines = [
        json.dumps(good),
        json.dumps({"subject": {"type": "enterprise", "roles": ["government_body"]}}),
        json.dumps({**good, "counts": {"business_license": 0}}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "livegate", "batch", str(source), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    rows = [json.loads(x) for x in done.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3]
    assert "error" not in rows[0] and rows[0]["subject_supported"] is True
    assert rows[1]["error"]["code"] == rows[2]["error"]["code"] == "invalid_profile"
    assert rows[1]["error"]["field"] == "subject.roles[0]"
    assert rows[2]["error"]["field"] == "counts.business_license"
    assert "line 2: subject.roles[0]" in done.stderr and "line 3: counts.business_license" in done.stderr


def _input_problems(knowledge, facts: list[str]) -> set[str]:
    """``input_problem/1`` as the rules derive it for an analyst's ``.lp`` profile of ``facts``
    (the checks run: no ``-c inputs=checked``)."""
    import clingo

    ctl = clingo.Control(["--warn=none"])
    for path in [*knowledge.facts_files, knowledge.logic_entry]:
        ctl.load(str(path))
    ctl.add("base", [], "".join(f"{fact}.\n" for fact in facts) + "#show input_problem/1.")
    ctl.ground([("base", [])])
    found: set[str] = set()
    ctl.configuration.solve.models = 1
    ctl.solve(on_model=lambda m: found.update(str(s) for s in m.symbols(shown=True) if s.name == "input_problem"))
    return found


def test_the_rules_refuse_the_roles_the_api_refuses_for_every_role_and_subject_type(knowledge):
    """The API's validation and the rules' checks of an analyst's profile (logic/inputs.lp) are two
    homes of role fit: both against the second transcription, for all 35 pairs."""
    for role, kind in UNFIT:
        problems = _input_problems(knowledge, [f"subject({kind})", f"has_role({role})"])
        assert problems == {f"input_problem(role_not_for_type({role},{kind}))"}, (role, kind)
    for role, kind in FITTING:
        assert _input_problems(knowledge, [f"subject({kind})", f"has_role({role})"]) == set(), (role, kind)


def test_the_transcription_has_one_pair_of_exclusive_roles_some_type_may_hold_both_of():
    # L196–L197: 学历教育（学校）'s rows "1. 公立学校：…" and "2. 私立学校：…"; an 其他组织 may be either
    assert EXCLUSIVE == [("public_school", "private_school")]
    assert [k for a, b, k in TOGETHER if (a, b) == EXCLUSIVE[0]] == ["other_organization"]


@pytest.mark.parametrize(("first", "second", "kind"), TOGETHER, ids=[f"{a}-{b}-{k}" for a, b, k in TOGETHER])
def test_two_roles_are_refused_together_only_when_they_exclude_each_other(client, first, second, kind):
    extra = ["government_body"] if kind == "government" else []
    profile = {"subject": {"type": kind, "roles": [*extra, first, second]}}
    exclusive = (first, second) in EXCLUSIVE or (second, first) in EXCLUSIVE
    for endpoint in ("/v1/evaluate", "/v1/cheapest"):
        response = client.post(endpoint, json=profile)
        if not exclusive:
            assert response.status_code == 200, (endpoint, response.get_json())
            continue
        assert response.status_code == 422, (endpoint, response.get_json())
        [problem] = response.get_json()["error"]["errors"]
        n = len(extra)
        assert problem["field"] == f"subject.roles[{n + 1}]" and problem["conflict"] == f"subject.roles[{n}]"
        assert (problem["kind"], problem["value"], problem["other"]) == ("roles_exclusive", second, first)
        assert repr(first) in problem["problem"] and repr(second) in problem["problem"]


def test_the_catalogue_says_which_roles_exclude_each_other(client):
    roles = {r["id"]: r for r in client.get("/v1/catalogue").get_json()["roles"]}
    expected = {r: sorted({b if a == r else a for a, b in EXCLUSIVE if r in (a, b)}) for r in FIT}
    assert {r: roles[r]["excludes"] for r in FIT} == expected


def test_the_command_line_refuses_two_exclusive_roles_naming_both(tmp_path):
    source = tmp_path / "school.json"
    profile = {"subject": {"type": "other_organization", "roles": ["private_school", "public_school"]}}
    source.write_text(json.dumps(profile), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "livegate", "evaluate", str(source)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "subject.roles[1]" in done.stderr and "subject.roles[0]" in done.stderr
    assert "'private_school'" in done.stderr and "'public_school'" in done.stderr


def test_the_rules_refuse_exactly_the_pairs_of_roles_the_api_refuses(knowledge):
    """An analyst's profile declaring two roles (logic/inputs.lp's exclusive_roles), for every pair
    some subject type may hold, in both orders of the facts."""
    for first, second, kind in TOGETHER:
        facts = [f"subject({kind})", f"has_role({first})", f"has_role({second})"]
        problems = _input_problems(knowledge, facts)
        if (first, second) in EXCLUSIVE or (second, first) in EXCLUSIVE:
            a, b = (first, second) if (first, second) in EXCLUSIVE else (second, first)
            assert problems == {f"input_problem(exclusive_roles({a},{b}))"}, (first, second, kind)
        else:
            assert problems == set(), (first, second, kind)
