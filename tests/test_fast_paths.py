"""The fast paths give the answers of the plain ones.

- the answer cache of the API (:class:`livegate.http.decisions.Decisions`): a
  profile asked again is answered without solving, with the same bytes, also
  under threads and evictions;
- the model reader through clingo's C API against clingo's public API;
- the shaper's caches of category fragments, of plans and of plans' explanations against
  answers written cold;
- answers are fresh objects: changing one changes no other.

No timings here: those are the benchmark's (bench/run.py).
"""

from __future__ import annotations

import copy
import json
import random
import threading
from typing import Any

import pytest
from livegate import Engine
from livegate.answer import dumps
from livegate.app import create_app
from livegate.contract import FastModelReader, PublicModelReader
from livegate.http.config import ConfigError
from livegate.http.decisions import Decisions
from livegate.solver import Groundings

from tests.strategies import random_profiles


def _counting(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Count the solver's calls on ``engine``."""
    calls: list[Any] = []
    solve = engine.groundings.solve

    def counted(atoms: Any, overrides: Any, bound: Any) -> Any:
        calls.append(atoms)
        return solve(atoms, overrides, bound)

    monkeypatch.setattr(engine.groundings, "solve", counted)
    return calls


def _decisions(knowledge: Any, entries: int, pool_size: int = 1) -> Decisions:
    return Decisions(Engine(knowledge, pool_size=pool_size), None, answer_cache=entries, timeout=None)


# -- the answer cache ----------------------------------------------------------------
def test_cached_answers_equal_the_uncached_ones(knowledge, engine):
    cached = _decisions(knowledge, 64)
    for profile in random_profiles(60, seed=5):
        parsed = engine.parse(profile)
        plain = engine.answer(parsed).body
        assert cached.answer(parsed, explain=True, lang="zh").body == plain
        assert cached.answer(parsed, explain=True, lang="zh").body == plain
        assert cached.answer(parsed, explain=False, lang="zh").body == engine.answer(parsed, explain=False).body


def test_a_profile_asked_again_is_not_solved_again(knowledge, monkeypatch):
    cached = _decisions(knowledge, 8)
    calls = _counting(cached.engine, monkeypatch)
    parse = cached.engine.parse
    profile = {"subject": {"type": "enterprise"}, "documents": ["business_license", "non_commercial_icp_filing"]}
    cached.answer(parse(profile), explain=True, lang="zh")
    cached.answer(parse(profile), explain=True, lang="zh")
    # the same input atoms: order and duplicates of documents do not matter
    cached.answer(
        parse(
            {
                "subject": {"type": "enterprise"},
                "documents": ["non_commercial_icp_filing", "business_license", "non_commercial_icp_filing"],
            }
        ),
        explain=True,
        lang="zh",
    )
    assert len(calls) == 1
    cached.answer(parse(profile), explain=False, lang="zh")  # another answer: without explanations
    cached.answer(parse(profile), explain=True, lang="en")  # another language
    cached.answer(parse({**profile, "costs": {"non_commercial_icp_filing": 7}}), explain=True, lang="zh")
    cached.answer(parse({**profile, "documents": ["business_license"]}), explain=True, lang="zh")
    assert len(calls) == 5


def test_counts_past_the_largest_asked_share_an_entry_and_stay_right(knowledge, engine, monkeypatch, catalogue):
    counted = next(i for i, it in sorted(catalogue.items.items()) if it.counted)
    cached = _decisions(knowledge, 8)
    calls = _counting(cached.engine, monkeypatch)
    parse = cached.engine.parse
    many = {"subject": {"type": "enterprise"}, "counts": {counted: 50}}
    more = {"subject": {"type": "enterprise"}, "counts": {counted: 900}}
    assert cached.answer(parse(many), explain=True, lang="zh").json() == engine.evaluate(many)
    assert cached.answer(parse(more), explain=True, lang="zh").json() == engine.evaluate(more)
    assert len(calls) == 1
    fewer = {"subject": {"type": "enterprise"}, "counts": {counted: 1}}
    assert cached.answer(parse(fewer), explain=True, lang="zh").json() == engine.evaluate(fewer)
    assert len(calls) == 2


def test_the_cache_keeps_the_newest_n_answers(knowledge, monkeypatch):
    cached = _decisions(knowledge, 2)
    calls = _counting(cached.engine, monkeypatch)
    a, b, c = (cached.engine.parse(p) for p in random_profiles(3, seed=11))
    for p in (a, b, c):
        cached.answer(p, explain=True, lang="zh")
    cached.answer(c, explain=True, lang="zh")
    cached.answer(b, explain=True, lang="zh")
    assert len(calls) == 3
    cached.answer(a, explain=True, lang="zh")  # the oldest was dropped
    assert len(calls) == 4


def test_no_cache_solves_every_time(knowledge, monkeypatch):
    plain = _decisions(knowledge, 0)
    calls = _counting(plain.engine, monkeypatch)
    profile = plain.engine.parse({"subject": {"type": "enterprise"}})
    plain.answer(profile, explain=True, lang="zh")
    plain.answer(profile, explain=True, lang="zh")
    assert len(calls) == 2


def test_threads_on_a_small_cache_get_the_sequential_answers(knowledge, engine):
    profiles = [engine.parse(p) for p in random_profiles(12, seed=21)]
    expected = [engine.answer(p).body for p in profiles]
    shared = _decisions(knowledge, 5, pool_size=3)  # fewer entries than profiles: evictions
    failures: list[int] = []

    def work(k: int) -> None:
        rnd = random.Random(k)
        for _ in range(30):
            n = rnd.randrange(len(profiles))
            if shared.answer(profiles[n], explain=True, lang="zh").body != expected[n]:
                failures.append(n)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# -- answers are fresh objects ------------------------------------------------------------
def test_changing_an_answer_does_not_change_the_next(engine):
    profile = {"subject": {"type": "enterprise"}, "documents": ["business_license"]}
    expected = copy.deepcopy(engine.evaluate(profile))
    first = engine.evaluate(profile)
    first["eligible"].append("added by a caller")
    first["categories"][0]["missing_sets"].clear()
    first["cheapest"]["plans"][0]["categories"].append("added")
    assert engine.evaluate(profile) == expected


# -- the API's cache setting and JSON bytes -------------------------------------------
def test_api_cache_setting(clean_livegate_env, monkeypatch, engine):
    assert create_app({"ENGINE": engine}).config["ANSWER_CACHE"] == 1024
    monkeypatch.setenv("LIVEGATE_ANSWER_CACHE", "0")
    assert create_app({"ENGINE": engine}).config["ANSWER_CACHE"] == 0
    monkeypatch.setenv("LIVEGATE_ANSWER_CACHE", "-1")
    with pytest.raises(ConfigError, match="ANSWER_CACHE"):
        create_app({"ENGINE": engine})


def test_api_answers_the_same_bytes_as_the_standard_json(clean_livegate_env, engine):
    client = create_app({"ENGINE": engine}).test_client()
    body = {
        "subject": {"type": "enterprise", "roles": ["training_institution"]},
        "documents": ["business_license"],
        "activities": ["stock_trading"],
        "goal": {"scenario": "education"},
    }
    response = client.post("/v1/evaluate", json=body)
    assert response.status_code == 200
    data = response.get_json()
    assert response.data == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    assert "教育" in response.data.decode("utf-8")  # raw UTF-8, not \u escapes
    assert dumps({"big": 2**62, "名": [1, "二"]}) == '{"big":4611686018427387904,"名":[1,"二"]}'.encode()


# -- the model reader ----------------------------------------------------------------
def test_the_c_api_reader_is_in_use_and_the_public_api_reader_gives_the_same_answers(knowledge, engine):
    pool = engine.groundings.default
    solver = pool.take(None, None)
    pool.give(solver)
    assert isinstance(solver.reader, FastModelReader)
    public = Engine(knowledge, pool_size=1)
    public.groundings = Groundings(knowledge, pool_size=1, reader=PublicModelReader)
    for profile in random_profiles(25, seed=3):
        assert public.evaluate(profile) == engine.evaluate(profile)


# -- the shaper's cache ----------------------------------------------------------------------
def test_fragments_written_cold_equal_fragments_from_the_cache(knowledge, engine):
    profiles = random_profiles(30, seed=9)
    warm = [engine.answer(p).body for p in profiles]  # the session engine's cache is warm by now
    assert [engine.answer(p).body for p in profiles] == warm
    cold = Engine(knowledge, pool_size=1, fragment_cache_bytes=0)
    for profile, expected in zip(profiles, warm, strict=True):
        assert cold.answer(profile).body == expected


@pytest.fixture(scope="module")
def cold(knowledge) -> Engine:
    """An engine that keeps no category fragment, no plan and no plan's explanation."""
    return Engine(knowledge, pool_size=1, fragment_cache_bytes=0, plan_cache_bytes=0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plans_and_their_explanations_from_the_caches_equal_those_written_cold(engine, cold, lang):
    """Every answer twice from the warm engine (its plans kept, then read back) and once from one
    that keeps nothing: the same bytes, with explanations and without, with own costs and without."""
    assert cold.cache_stats()["plans"] == {"entries": 0, "bytes": 0, "limit": 0}
    profiles = random_profiles(40, seed=12)
    assert sum(1 for p in profiles if p.get("costs")) >= 10
    for profile in profiles:
        for explain in (True, False):
            first = engine.answer(profile, lang=lang, explain=explain).body
            assert engine.answer(profile, lang=lang, explain=explain).body == first
            assert cold.answer(profile, lang=lang, explain=explain).body == first
    assert cold.cache_stats()["plan_explanations"]["entries"] == 0
    assert engine.cache_stats()["plans"]["entries"] > 0


def test_a_kept_plan_explanation_states_each_answers_own_cost(knowledge, cold):
    """A plan's explanation is kept without its cost: the same plans under three sets of own costs
    show each time the cost of that answer, as written cold, and keep no new explanation."""
    warm = Engine(knowledge, pool_size=1)
    data = {"subject": {"type": "enterprise"}, "documents": ["business_license"], "goal": {"scenario": "medical"}}
    plans = warm.evaluate(data)["cheapest"]["plans"]
    lacking = sorted({i for p in plans for i in p["missing"]})
    assert lacking
    kept = warm.cache_stats()["plan_explanations"]["entries"]
    for cost in (7, 8, 9):  # the same cheapest plans as with the default costs (10), other costs
        own = {**data, "costs": dict.fromkeys(lacking, cost)}
        answer = warm.evaluate(own)
        assert answer == cold.evaluate(own)
        assert [p["categories"] for p in answer["cheapest"]["plans"]] == [p["categories"] for p in plans]
        for plan in answer["cheapest"]["plans"]:
            units = {i: cost if i in lacking else knowledge.catalogue.items[i].default_cost for i in plan["missing"]}
            assert plan["cost"] == sum(units[d["id"]] * d["count"] for d in plan["missing_detail"])
            assert any(str(plan["cost"]) in line for line in plan["explanation"])
    assert warm.cache_stats()["plan_explanations"]["entries"] == kept


def test_caches_bounded_below_one_entry_keep_nothing_and_answer_as_cold(knowledge, cold):
    """A bound smaller than any one fragment or plan keeps nothing and fails no answer."""
    tiny = Engine(knowledge, pool_size=1, fragment_cache_bytes=10, plan_cache_bytes=10)
    for profile in random_profiles(8, seed=4):
        assert tiny.answer(profile).body == cold.answer(profile).body
    stats = tiny.cache_stats()
    assert stats["fragments"]["entries"] == stats["plans"]["entries"] == 0
