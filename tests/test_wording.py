"""What an answer says, read by a product owner and an English-reading compliance manager (two
outside reviews): each sentence here said more than the source, or left the user without the
action the answer needed from them."""

from __future__ import annotations

import re

import pytest
from livegate.app import create_app

SELLER = "/?subject=enterprise&doc=business_license&scenario=ecommerce"
NO_ROLE_CAR = "/?subject=enterprise&doc=business_license&scenario=auto"


@pytest.fixture(scope="module")
def client():
    app = create_app()
    app.config.update(TESTING=True)
    return app.test_client()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _said(answer: dict) -> set[str]:
    """Every explanation line of an answer: its categories' and its plans'."""
    lines = {x for c in answer["categories"] for x in c["explanation"]}
    for q in [answer["cheapest"], *answer["cheapest_by_scenario"].values()]:
        lines |= {x for p in q["plans"] for x in p["explanation"]}
    return lines


@pytest.mark.parametrize(
    ("lang", "reason", "option"),
    [
        (
            "zh",
            "【教育-在线教育】的资质要求一栏为「-」：原文未列需提交的材料，以微信最新要求为准。",
            "申请【教育-在线教育】类目，按「-」（原文未列材料）。",
        ),
        (
            "en",
            "[教育-在线教育] (Education – online education)'s requirement reads “-”: the source lists no documents"
            " to submit; WeChat's current requirements prevail.",
            "Apply for the [教育-在线教育] (Education – online education) category, by 「-」 (no documents listed).",
        ),
    ],
)
def test_a_dash_requirement_is_said_as_the_source_has_it_not_as_nothing_to_submit(engine, lang, reason, option):
    """在线教育's requirement cell is "-" (L326-L328): the source lists nothing; it does not say
    nothing is to be submitted (the page said so already; the API and the CLI said "无需提交资质文件")."""
    said = _said(engine.evaluate({"subject": {"type": "enterprise"}}, lang=lang))
    assert reason in said and option in said
    assert not [s for s in said if "无需提交资质文件" in s or "无需材料" in s or "no documents required" in s]


@pytest.mark.parametrize(
    ("lang", "quoted"),
    [
        (
            "zh",
            "前提是没有此情形：入驻商家涉及医疗器械、非处方药品在线销售"
            "——原文：入驻商家如涉医疗器械、非处方药品在线销售，需补充医疗相关类目。",
        ),
        (
            "en",
            "Provided it does not involve: Merchants on the platform sell medical devices or over-the-counter drugs"
            " online — 入驻商家如涉医疗器械、非处方药品在线销售，需补充医疗相关类目。"
            " (If merchants on the platform sell medical devices or over-the-counter drugs online,"
            " a medical category must be added.)",
        ),
    ],
)
def test_a_condition_of_the_path_quotes_what_the_source_says_follows_from_it(client, lang, quoted):
    """L13 does not forbid medical sales on 电商平台: it asks for a medical category too. The Chinese
    card said only "前提是没有此情形：…", which read as a ban; the English card quoted the source
    without its gloss. Both now give the source's sentence, the English its gloss too, on the page
    and in the Markdown checklist."""
    page = _text(client.get(f"{SELLER}&lang={lang}").get_data(as_text=True))
    assert quoted in page
    markdown = client.get(f"/checklist.md{SELLER[1:]}&lang={lang}").get_data(as_text=True)
    source = "“入驻商家如涉医疗器械、非处方药品在线销售，需补充医疗相关类目。”"
    (condition,) = [line for line in markdown.splitlines() if source in line]
    assert condition.startswith(("- 适用条件：前提是没有此情形：", "- Conditions: Provided it does not involve:"))


@pytest.mark.parametrize(
    ("lang", "action"),
    [
        ("zh", "如您属于其中之一，请在「主体」一步勾选。"),
        ("en", "If you are one of them, tick it on the Subject step."),
    ],
)
def test_no_path_for_want_of_a_role_says_where_to_declare_it(client, lang, action):
    """An enterprise that ticked no role asks for 汽车 (every row of 汽车预售 is reserved for a car
    role: L797 ff.): the answer named the roles and stopped; it now says what to do if the subject
    is one of them."""
    page = _text(client.get(f"{NO_ROLE_CAR}&lang={lang}").get_data(as_text=True))
    assert action in page


def test_a_held_document_the_documents_step_does_not_ask_is_not_said_to_be_outside_the_scenario(client):
    """The enterprise without a car role holds a 营业执照, which every 汽车 row asks for: "本场景不问这份材料"
    was false; the documents step does not ask it *as answered* (no role ticked)."""
    page = _text(client.get(NO_ROLE_CAR).get_data(as_text=True))
    assert "移除（按您现在的选择，材料一步不问这份材料）" in page and "本场景不问" not in page


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh", "未知的材料 id 'business_licence'（是否想写 'business_license'"),
        ("en", "unknown item id 'business_licence' (did you mean 'business_license'"),
    ],
)
def test_problems_joined_in_one_message_do_not_run_a_question_mark_into_a_semicolon(client, lang, said):
    body = {"subject": {"type": "enterprise"}, "documents": ["business_licence"], "goal": {"scenario": "nope"}}
    message = client.post("/v1/evaluate", json=body, headers={"Accept-Language": lang}).get_json()["error"]["message"]
    assert said in message
    assert "？；" not in message and "?;" not in message


def test_each_form_of_a_document_says_whose_requirement_it_meets_not_that_both_are_required(client):
    """电商平台 accepts a 《增值电信业务经营许可证》 whose approved services include either item (L34-L39):
    under each form the documents step said "【电商平台】要求注明此项" / "Required by 【电商平台】", which
    read as if both were needed (an English reader's review)."""
    telecom = "value_added_telecom_licence"
    url = f"/?scenario=ecommerce&subject=enterprise&step=3&doc={telecom}&asked={telecom}"
    for lang, said, wrong in (
        ("zh", "可满足【电商平台】的要求", "要求注明此项"),
        ("en", "Meets the requirement of 【电商平台】", "Required by"),
    ):
        page = _text(client.get(f"{url}&lang={lang}").get_data(as_text=True))
        assert page.count(said) == 2 and wrong not in page, page[:2000]


def test_the_checklists_carry_the_source_s_caveat_and_english_names_of_categories(client):
    """A checklist is handed on without the page: it said nothing of L3 (the source is only a
    reference; WeChat's current list prevails), and in English named its categories in Chinese
    only (an English reader's review)."""
    query = SELLER[1:]
    chinese = client.get(f"/checklist.md{query}&lang=zh").get_data(as_text=True)
    assert (
        "> 本文仅提供参考，详细的微信小程序类目及申请资质要求需以微信最新的服务类目说明为准。" in chinese.splitlines()
    )
    english = client.get(f"/checklist.md{query}&lang=en").get_data(as_text=True)
    assert "> The source is only a reference; WeChat's current service-category rules prevail." in english.splitlines()
    assert "- Categories: 【电商平台】 (E-commerce platform)「" in english
    rows = client.get(f"/checklist.csv{query}&lang=en").get_data(as_text=True).splitlines()
    assert rows[1].endswith(",电商平台 (E-commerce platform),")
    assert client.get(f"/checklist.csv{query}&lang=zh").get_data(as_text=True).splitlines()[1].endswith(",电商平台,")


def test_an_option_of_a_requirement_is_glossed_in_english_in_the_diagram_and_the_catalogue(client):
    """电商平台's third option, 《增值电信业务经营许可证》不予受理的场景 (L40-L44), was drawn and listed in
    Chinese only on the English page's diagram and in `livegate catalogue --lang en` (an English
    reader's review), though its gloss is in the catalogue of messages."""
    import subprocess
    import sys

    gloss = "The value-added telecom business licence application was not accepted"
    diagram = client.get("/category/ecommerce_platform?subject=enterprise&doc=business_license&lang=en")
    assert gloss in _text(diagram.get_data(as_text=True))
    listed = subprocess.run(
        [sys.executable, "-m", "livegate", "--lang", "en", "catalogue", "--format", "text"],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert f"    - licence_not_accepted: 「《增值电信业务经营许可证》不予受理的场景」 ({gloss})" in listed.splitlines()


def test_a_plan_that_needs_a_second_category_names_the_activity_not_its_whole_note(engine):
    """L747's note under 股票信息服务平台: the plan's line read
    "因「如提供股票交易服务，需补充：金融业-证券/期货类目」，…还需同时具备【金融-证券/期货】类目" — the
    requirement said twice (a product owner's review)."""
    profile = {
        "subject": {"type": "enterprise"},
        "documents": ["non_commercial_icp_filing"],
        "activities": ["stock_trading"],
        "goal": {"categories": ["finance_stock_info_platform"]},
    }
    (plan,) = engine.evaluate(profile, lang="zh")["cheapest"]["plans"]
    assert (
        "因「提供股票交易服务」，【金融-股票信息服务平台（港股/美股）】还需同时具备【金融-证券/期货】类目。"
        in plan["explanation"]
    )
    entry = next(
        c for c in engine.evaluate(profile, lang="zh")["categories"] if c["id"] == "finance_stock_info_platform"
    )
    assert any("（其所需材料已一并列入本类目还缺的材料）" in line for line in entry["explanation"])
