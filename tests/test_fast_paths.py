"""The fast paths of issue 5 give the answers of the plain ones.

- the answer cache (``Engine(answer_cache=N)``, on in the API): a profile
  asked again is answered without solving, with the same answer, also
  under threads and evictions;
- the model reader through clingo's C API against clingo's public API;
- the shaper's caches (category entries and plans by their atoms);
- the API's JSON bytes (orjson) against the standard library's.

No timings here: those are the benchmark's (bench/run.py).
"""

from __future__ import annotations

import copy
import json
import random
import threading

import pytest

import livegate.engine as engine_module
from livegate import Engine
from livegate.api import ConfigError, _json_bytes, create_app

from strategies import random_profiles


@pytest.fixture(scope="module")
def cached(knowledge) -> Engine:
    return Engine(knowledge, answer_cache=64)


def _counting(engine: Engine, monkeypatch) -> list:
    calls: list = []
    solve = engine._solve

    def counted(atoms, overrides, timeout):
        calls.append(atoms)
        return solve(atoms, overrides, timeout)

    monkeypatch.setattr(engine, "_solve", counted)
    return calls


# -- the answer cache ----------------------------------------------------------------
def test_cached_answers_equal_the_uncached_ones(engine, cached):
    for profile in random_profiles(60, seed=5):
        plain = engine.evaluate(profile)
        first, again = cached.evaluate(profile), cached.evaluate(profile)
        assert first == plain
        assert again == plain
        assert cached.evaluate(profile, explain_=False) == engine.evaluate(profile, explain_=False)


def test_a_profile_asked_again_is_not_solved_again(knowledge, monkeypatch):
    engine = Engine(knowledge, pool_size=1, answer_cache=8)
    calls = _counting(engine, monkeypatch)
    profile = {"subject": {"type": "enterprise"}, "documents": ["business_license", "non_commercial_icp_filing"]}
    engine.evaluate(profile)
    engine.evaluate(profile)
    # the same input atoms: order and duplicates of documents do not matter
    engine.evaluate({"subject": {"type": "enterprise"}, "documents": ["non_commercial_icp_filing", "business_license",
                                                                       "non_commercial_icp_filing"]})
    assert len(calls) == 1
    engine.evaluate(profile, explain_=False)  # another answer: without explanations
    engine.evaluate({**profile, "costs": {"non_commercial_icp_filing": 7}})  # another grounding's costs
    engine.evaluate({**profile, "documents": ["business_license"]})
    assert len(calls) == 4


def test_counts_past_the_largest_asked_share_an_entry_and_stay_right(knowledge, engine, monkeypatch, catalogue):
    counted = next(i for i, it in sorted(catalogue.items.items()) if it["counted"])
    cache = Engine(knowledge, pool_size=1, answer_cache=8)
    calls = _counting(cache, monkeypatch)
    many = {"subject": {"type": "enterprise"}, "counts": {counted: 50}}
    more = {"subject": {"type": "enterprise"}, "counts": {counted: 900}}
    assert cache.evaluate(many) == engine.evaluate(many)
    assert cache.evaluate(more) == engine.evaluate(more)
    assert len(calls) == 1
    fewer = {"subject": {"type": "enterprise"}, "counts": {counted: 1}}
    assert cache.evaluate(fewer) == engine.evaluate(fewer)
    assert len(calls) == 2


def test_the_cache_keeps_the_newest_n_answers(knowledge, monkeypatch):
    engine = Engine(knowledge, pool_size=1, answer_cache=2)
    calls = _counting(engine, monkeypatch)
    a, b, c = random_profiles(3, seed=11)
    for p in (a, b, c):
        engine.evaluate(p)
    assert len(engine._answers) == 2
    engine.evaluate(c)
    engine.evaluate(b)
    assert len(calls) == 3
    engine.evaluate(a)  # the oldest was dropped
    assert len(calls) == 4


def test_changing_an_answer_does_not_change_the_next(knowledge, engine):
    cache = Engine(knowledge, pool_size=1, answer_cache=4)
    profile = {"subject": {"type": "enterprise"}, "documents": ["business_license"]}
    expected = copy.deepcopy(engine.evaluate(profile))
    first = cache.evaluate(profile)
    first["decision_id"] = "added by a caller"
    first["eligible"] = []
    assert cache.evaluate(profile) == expected


def test_cache_off_by_default_in_the_engine(knowledge, monkeypatch):
    engine = Engine(knowledge, pool_size=1)
    calls = _counting(engine, monkeypatch)
    profile = {"subject": {"type": "enterprise"}}
    engine.evaluate(profile)
    engine.evaluate(profile)
    assert len(calls) == 2
    assert engine._answers == {}


def test_threads_on_a_small_cache_get_the_sequential_answers(knowledge, engine):
    profiles = random_profiles(12, seed=21)
    expected = [engine.evaluate(p) for p in profiles]
    shared = Engine(knowledge, pool_size=3, answer_cache=5)  # fewer entries than profiles: evictions
    failures: list = []

    def work(k: int) -> None:
        rnd = random.Random(k)
        for _ in range(30):
            n = rnd.randrange(len(profiles))
            if shared.evaluate(profiles[n]) != expected[n]:
                failures.append(n)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(shared._answers) <= 5


# -- the API's cache setting and JSON bytes -------------------------------------------
def test_api_cache_setting(clean_livegate_env, monkeypatch, engine):
    app = create_app()
    assert app.extensions["livegate"].engine.answer_cache == 1024
    monkeypatch.setenv("LIVEGATE_ANSWER_CACHE", "0")
    assert create_app().extensions["livegate"].engine.answer_cache == 0
    monkeypatch.setenv("LIVEGATE_ANSWER_CACHE", "-1")
    with pytest.raises(ConfigError, match="ANSWER_CACHE"):
        create_app()


def test_api_answers_the_same_bytes_as_the_standard_json(clean_livegate_env, engine):
    client = create_app({"ENGINE": engine}).test_client()
    body = {"subject": {"type": "enterprise", "roles": ["training_institution"]},
            "documents": ["business_license"], "activities": ["stock_trading"], "goal": {"scenario": "education"}}
    response = client.post("/v1/evaluate", json=body)
    assert response.status_code == 200
    data = response.get_json()
    assert response.data == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    assert "教育" in response.data.decode("utf-8")  # raw UTF-8, not \u escapes
    assert _json_bytes({"big": 2 ** 70, "名": [1, "二"]}) == '{"big":1180591620717411303424,"名":[1,"二"]}'.encode()


# -- the model reader ----------------------------------------------------------------
def test_public_api_reader_gives_the_same_answers(knowledge, engine, monkeypatch):
    monkeypatch.setattr(engine_module, "_lib", None)  # as with a clingo build without the cffi module
    public = Engine(knowledge, pool_size=1)
    for profile in random_profiles(25, seed=3):
        assert public.evaluate(profile) == engine.evaluate(profile)


# -- the shaper's caches ---------------------------------------------------------------
def test_entries_built_cold_equal_entries_from_the_cache(knowledge, engine):
    profiles = random_profiles(30, seed=9)
    warm = [engine.evaluate(p) for p in profiles]  # the session engine's caches are warm by now
    cold = Engine(knowledge, pool_size=1)
    for profile, expected in zip(profiles, warm):
        cold._shaper._entries.clear()
        cold._shaper._plans.clear()
        assert cold.evaluate(profile) == expected


def test_every_shown_predicate_has_a_place_in_the_answer(repo_root):
    """The shaper sorts shown atoms into category entries, plans and the three about
    the whole answer; a predicate shown later must be given one of those places."""
    import re

    from livegate.explain import _CATEGORY_PREDICATES, _PLAN_PREDICATES

    shown = set(re.findall(r"^#show (\w+)/\d+\.", (repo_root / "logic" / "show.lp").read_text(), re.M))
    assert len(shown) > 15
    whole_answer = {"subject_unsupported", "direct_access", "missing_item_cost"}
    assert shown == _CATEGORY_PREDICATES | _PLAN_PREDICATES | whole_answer
