"""A category a declared activity needs, which a plan goes around (docs/semantics.md#required-in-question).

The source's L747, under 股票信息服务平台（港股/美股）: "如提供股票交易服务，需补充：金融业-证券/期货类目。"
A subject holding only the ICP filing (《非经营性互联网信息服务备案核准》) that declares stock trading
and asks for the finance scenario can apply for 金融-消费金融 (L790: the ICP filing is its whole
requirement) at cost 0 — and was told so with nothing said of the trading it declared (a domain
audit). The plan's cost and status stay the source's; the plan says what the note still asks."""

from __future__ import annotations

import pytest
from livegate.app import create_app

TRADER = {
    "subject": {"type": "enterprise"},
    "documents": ["non_commercial_icp_filing"],
    "activities": ["stock_trading"],
    "goal": {"scenario": "finance"},
}
NEEDED = {"activity": "stock_trading", "category": "finance_securities_futures"}


@pytest.fixture(scope="module")
def client():
    app = create_app()
    app.config.update(TESTING=True)
    return app.test_client()


def _plans(answer: dict, question: str = "") -> list[dict]:
    return (answer["cheapest_by_scenario"][question] if question else answer["cheapest"])["plans"]


def test_a_plan_around_the_category_says_what_the_declared_activity_still_needs(engine):
    answer = engine.evaluate(TRADER, lang="zh")
    assert answer["cheapest"]["cost"] == 0 and answer["cheapest"]["declared_requires"] == [NEEDED]
    (plan,) = [p for p in _plans(answer) if p["categories"] == ["finance_consumer_finance"]]
    said = [line for line in plan["explanation"] if "第 747 行" in line]
    assert said == [
        "注意：您声明了「提供股票交易服务」，原文第 747 行：“如提供股票交易服务，需补充：金融业-证券/期货类目”；"
        "本路径不含【金融-证券/期货】，还须另行申请【金融-证券/期货】，否则提交审核会被驳回。"
    ]
    assert answer["cheapest_by_scenario"]["finance"]["declared_requires"] == [NEEDED]


def test_a_plan_through_the_needed_category_says_nothing_more(engine):
    wanted = {**TRADER, "goal": {"categories": ["finance_stock_info_platform"]}}
    answer = engine.evaluate(wanted, lang="en")
    assert answer["cheapest"]["declared_requires"] == [NEEDED]
    assert _plans(answer)
    for plan in _plans(answer):  # 股票信息服务平台 with trading carries 证券/期货 itself (SPEC: combined sets)
        assert "finance_securities_futures" in plan["categories"]
        assert not [line for line in plan["explanation"] if "line 747" in line and "does not include" in line]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({**TRADER, "activities": []}, []),  # not declared: nothing to say
        ({**TRADER, "goal": {"scenario": "ecommerce"}}, []),  # no category of the question has the note
        ({**TRADER, "goal": {}}, [NEEDED]),  # no scenario: every category is allowed
    ],
)
def test_only_a_declared_activity_of_a_category_the_question_allows_is_listed(engine, profile, expected):
    assert engine.evaluate(profile, explain=False)["cheapest"]["declared_requires"] == expected


def test_the_page_says_it_above_the_paths_in_either_language(client):
    url = "/?subject=enterprise&doc=non_commercial_icp_filing&act=stock_trading&scenario=finance&lang="
    chinese = client.get(url + "zh").get_data(as_text=True)
    assert 'id="required"' in chinese and "您声明的业务还需要这些类目" in chinese
    assert "您声明了「提供股票交易服务」，原文：“如提供股票交易服务" in chinese
    assert "第 747 行" not in chinese  # line numbers are the API's and the CLI's, not the page's (docs/web.md)
    english = client.get(url + "en").get_data(as_text=True)
    assert "The activities you declared also need these categories" in english
    plain = client.get(url.replace("&act=stock_trading", "") + "zh").get_data(as_text=True)
    assert 'id="required"' not in plain
