"""The web page through Flask's test client, as a browser without JavaScript sees it.

The page makes no domain decision, so what is tested is what it shows: the form
(every control labelled, the items grouped by the source's sections and named
as the source names them), the server-rendered answer for profiles whose answer
is read off the source (costs per docs/semantics.md#issuer-classes: self_prepared 1, partner 3,
registration 5, licence 10), the profile in the URL, the "what if" links, the
SVG diagram, the checklist downloads, the language toggle and that nothing is
fetched from anywhere but this server.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from livegate.app import create_app
from livegate.names import messages
from livegate.web import CSP

SELLER = "/?subject=enterprise&doc=business_license&scenario=ecommerce"
"""An enterprise live-commerce seller holding only a business licence (examples/ecommerce_seller.json)."""
TRAINING = (
    "/?subject=enterprise&role=training_institution&doc=business_license"
    "&doc=private_school_permit_district&scenario=education"
)
"""A training institution holding the district permit and a business licence."""
PERSONAL = "/?subject=personal&doc=business_license"
SVG_NS = "{http://www.w3.org/2000/svg}"
pytestmark = pytest.mark.usefixtures("clean_livegate_env")


@pytest.fixture
def app(engine):
    return create_app({"ENGINE": engine, "TESTING": True, "ACCESS_LOG": False})


@pytest.fixture
def client(app):
    return app.test_client()


# -- a small HTML reader ------------------------------------------------------------------
class Page(HTMLParser):
    """Elements with their attributes and the text inside each element that has an id."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source", "wbr", "area", "base", "col"})

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.stack: list[tuple[str, dict[str, str], list[str]]] = []
        self.text_by_id: dict[str, str] = {}
        self.labels_for: set[str] = set()
        self.wrapped: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "label" and a.get("for"):
            self.labels_for.add(a["for"])
        if tag in ("input", "select", "textarea") and any(t == "label" for t, _, _ in self.stack):
            self.wrapped.add(a.get("id", ""))
        if tag not in self.VOID:
            self.stack.append((tag, a, []))

    def handle_endtag(self, tag):
        while self.stack:
            t, a, text = self.stack.pop()
            content = "".join(text)
            if a.get("id"):
                self.text_by_id[a["id"]] = " ".join(content.split())
            if self.stack:
                self.stack[-1][2].append(content)
            if t == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def text(self, id_: str) -> str:
        return self.text_by_id[id_]


def get_page(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def plans(page: Page) -> list[tuple[str, str]]:
    return [(a["data-categories"], a["data-cost"]) for a in page.find("article", **{"class": "plan"})]


def status_of(page: Page, category: str) -> str:
    return page.find("tr", id=f"cat-{category}")[0]["data-status"]


def missing_in_plan(html: str, number: int) -> list[str]:
    block = html.split(f'id="plan-{number}"', 1)[1].split("</article>", 1)[0]
    return re.findall(r'<tr data-item="([a-z_]+)">', block)


# -- the form ---------------------------------------------------------------------------------
def test_success_every_form_control_has_a_label(client):
    page = get_page(client, "/")
    controls = [
        a
        for t, a in page.elements
        if t in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit")
    ]
    assert len(controls) > 100
    unlabelled = [
        a.get("id") or a.get("name")
        for a in controls
        if a.get("id") not in page.labels_for and a.get("id") not in page.wrapped and not a.get("aria-label")
    ]
    assert unlabelled == []


@pytest.mark.parametrize(
    "url", ["/", SELLER, TRAINING + "&lang=en", "/category/social_live" + SELLER[1:], "/checklist" + SELLER[1:]]
)
def test_success_element_ids_are_unique(client, url):
    ids = [a["id"] for _, a in get_page(client, url).elements if a.get("id")]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_success_form_is_a_get_form_to_the_page_itself(client):
    form = get_page(client, "/").find("form", id="profile")[0]
    assert (form["method"], form["action"]) == ("get", "/")


def test_success_form_lists_every_item_once_grouped_by_the_source_sections(client, catalogue):
    page = get_page(client, "/")
    offered = [a["value"] for a in page.find("input", name="doc")]
    offered += [
        a["name"][len("count.") :] for t, a in page.elements if t == "input" and a.get("name", "").startswith("count.")
    ]
    assert sorted(offered) == sorted(catalogue.items)
    sections = [a["data-section"] for a in page.find("details", **{"class": "section", "open": ""})]
    assert sections == ["电商平台", "社交", "教育", "医疗", "金融业", "汽车"]  # the source's order; 工具 needs none


def test_success_items_are_shown_by_the_source_names_with_their_qualifiers(client):
    html = client.get("/").get_data(as_text=True)
    assert "《营业执照》（经营范围包含：提供出国探亲访友等信息咨询服务）" in html
    assert "《民办学校办学许可证》（区、县级教育部门颁发）" in html
    assert "《增值电信业务经营许可证》（核准服务项目包含“在线数据处理与交易处理业务”）" in html


def test_success_counted_items_take_a_count_with_the_count_the_source_asks_for(client):
    page = get_page(client, "/")
    counted = {a["name"]: a for t, a in page.elements if t == "input" and a.get("name", "").startswith("count.")}
    assert sorted(counted) == ["count.partner_private_school_permit", "count.training_coop_agreement"]
    assert all(a["type"] == "number" and a["min"] == "0" for a in counted.values())
    # 教育平台: 两家或以上的培训机构合作协议，及培训机构的《民办学校办学许可证》
    assert page.text("count-training_coop_agreement-hint").endswith("来源要求 2 份或以上")


def test_success_activities_are_phrased_with_the_source_notes(client, catalogue):
    page = get_page(client, "/")
    assert sorted(a["value"] for a in page.find("input", name="act")) == sorted(catalogue.activities)
    html = client.get("/").get_data(as_text=True)
    assert (
        '<q lang="zh-CN">iOS 暂不支持提供虚拟商品（如录播视频）购买，如有虚拟商品购买服务，请先移除后再提审。</q>'
        in html
    )
    # the checkbox says what checking it means, in the fact's words (activity_label/2): video customer
    # service *with* other categories' content
    label = re.search(r'<label class="check" for="act-video_cs_other_content">(.*?)</label>', html, re.S)[1]
    assert catalogue.activities["video_cs_other_content"].label in label
    assert "视频客服涉及以上几类内容（不只是售后等一对一视频客服）" in label


def test_success_goal_and_cost_overrides_are_offered(client, catalogue):
    page = get_page(client, "/")
    scenario = [a["value"] for a in page.find("option") if a.get("value") in catalogue.scenarios]
    assert sorted(scenario) == sorted(catalogue.scenarios)
    assert sorted(a["value"] for a in page.find("input", name="cat")) == sorted(catalogue.categories)
    costs = [a for t, a in page.elements if t == "input" and a.get("name", "").startswith("cost.")]
    assert len(costs) == len(catalogue.items)
    advanced = [a for t, a in page.elements if t == "details" and "advanced" in a.get("class", "")]
    assert advanced and "open" not in advanced[0]  # folded away until used


def test_success_chinese_by_default_and_english_with_lang_en(client):
    zh = client.get("/").get_data(as_text=True)
    en = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "查询最低成本路径" in zh
    assert '<html lang="en">' in en and "Find the cheapest path" in en
    assert '<input type="hidden" name="lang" value="en">' in en  # a submit keeps the language
    assert 'id="lang-toggle"' in zh and 'href="/?lang=en"' in zh


def test_success_language_toggle_keeps_the_profile(client):
    page = get_page(client, SELLER)
    toggle = page.find("a", id="lang-toggle")[0]["href"]
    assert dict(parse_qsl(urlsplit(toggle).query)) == {
        "subject": "enterprise",
        "doc": "business_license",
        "scenario": "ecommerce",
        "lang": "en",
    }
    back = get_page(client, toggle).find("a", id="lang-toggle")[0]["href"]
    assert back == SELLER


def test_success_every_catalogue_id_has_an_english_gloss(catalogue):
    en = messages("en")["gloss"]
    assert sorted(en["categories"]) == sorted(catalogue.categories)
    assert sorted(en["items"]) == sorted(catalogue.items)
    assert sorted(en["qualifiers"]) == sorted(i for i, it in catalogue.items.items() if it.qualifier)
    assert sorted(en["roles"]) == sorted(catalogue.roles)
    assert sorted(en["scenarios"]) == sorted(catalogue.scenarios)
    assert sorted(en["subject_types"]) == sorted(catalogue.subject_types)
    assert sorted(en["access_methods"]) == sorted(catalogue.access_methods)
    assert sorted(en["activities"]) == sorted(catalogue.activities)
    assert sorted(en["notes"]) == sorted(list(catalogue.notes) + [g.id for g in catalogue.general_notes])
    assert sorted(en["remedies"]) == sorted(a for a, act in catalogue.activities.items() if act.remedy)
    assert sorted(en["subject_rules"]) == sorted(t for t, st in catalogue.subject_types.items() if st.rule)
    assert sorted(en["external_categories"]) == sorted(catalogue.external_categories)


# -- the answer, rendered on the server ------------------------------------------------------
def test_success_seller_with_only_a_business_licence_gets_ecommerce_platform_at_cost_13(client):
    response = client.get(SELLER)
    html = response.get_data(as_text=True)
    page = Page(html)
    # 3 platform documents (self_prepared, 1 each) + the licence with one of its two approved items (10)
    assert page.text("cheapest-cost") == "13"
    assert plans(page) == [("ecommerce_platform", "13"), ("ecommerce_platform", "13")]
    platform_docs = ["dispute_resolution_mechanism", "merchant_review_rules", "platform_service_agreement"]
    assert missing_in_plan(html, 1) == [*platform_docs, "value_added_telecom_licence_internet_info"]
    assert missing_in_plan(html, 2) == [*platform_docs, "value_added_telecom_licence_online_data"]
    plan = html.split('id="plan-1"', 1)[1].split("</article>", 1)[0]
    assert plan.count('<span class="issuer issuer-self_prepared">自行准备</span>') == 3
    assert plan.count('<span class="issuer issuer-licence">行政许可</span>') == 1
    assert 'data-access="cloud_live_plugin">小程序·云直播插件' in plan
    assert status_of(page, "ecommerce_platform") == "missing"
    assert page.find("input", id="share-url")[0]["value"].endswith(SELLER)


def test_success_answer_comes_before_the_form_and_every_category_links_to_its_source(client, catalogue):
    html = client.get(SELLER).get_data(as_text=True)
    assert html.index('id="answer"') < html.index('id="profile"')
    page = Page(html)
    rows = page.find("tr")
    assert [r["data-category"] for r in rows if "data-category" in r] == list(catalogue.categories)
    sources = {a["href"] for a in page.find("a", **{"class": "source"})}
    assert {c.source.url for c in catalogue.categories.values()} <= sources


def test_success_training_institution_with_district_permit_and_licence_is_eligible_for_vocational_training(client):
    page = get_page(client, TRAINING)
    assert status_of(page, "edu_vocational_training") == "eligible"
    assert status_of(page, "edu_tutoring") == "eligible"
    assert page.text("cheapest-cost") == "0"
    assert ("edu_vocational_training", "0") in plans(page)
    assert "已具备条件" in page.text("cat-edu_vocational_training")
    assert "已具备：「区、县级教育部门颁发的《民办学校办学许可证》及营业执照」" in page.text(
        "cat-edu_vocational_training"
    )


def test_success_personal_subject_has_no_path_and_every_category_is_not_applicable(client, catalogue):
    page = get_page(client, PERSONAL)
    assert plans(page) == []
    assert "没有可行路径" in page.text("no-path")
    assert "个人认证的微信小程序暂不支持直播业务" in page.text("no-path")
    assert {status_of(page, c) for c in catalogue.categories} == {"not_applicable"}


def test_success_government_subject_is_told_of_the_direct_route_at_cost_0(client):
    page = get_page(client, "/?subject=government&scenario=entertainment")
    assert page.text("cheapest-cost") == "0"
    assert "政府主体可直接接入，无需任何类目" in page.text("plan-1")
    assert page.find("dd", **{"class": "access", "data-access": "standard_live"})


def test_success_social_live_plan_carries_the_7_day_review_note(client):
    page = get_page(client, "/?subject=enterprise&doc=av_programme_licence&cat=social_live")
    assert plans(page) == [("social_live", "0")]
    assert "预计额外审核时间：约 7 天" in page.text("plan-1")
    assert "预计审核时长7天左右" in page.text("plan-1")


def test_success_external_requirement_of_medical_sales_is_listed_on_the_plan(client):
    page = get_page(client, SELLER + "&act=ecom_medical_sales")
    assert "另需补充（不在本目录内，不计成本） 医疗相关类目" in page.text("plan-1")
    assert page.text("cheapest-cost") == "13"  # external requirements change no cost (docs/semantics.md#external)


def test_success_blocking_activity_shows_blocked_with_the_remedy(client):
    page = get_page(client, "/?subject=enterprise&act=online_edu_ios_virtual_goods")
    assert status_of(page, "edu_online_education") == "blocked"
    assert "如有虚拟商品购买服务，请先移除后再提审" in page.text("cat-edu_online_education")


def test_success_english_answer_is_the_same_answer(client):
    page = get_page(client, SELLER + "&lang=en")
    assert page.text("cheapest-cost") == "13"
    assert plans(page) == [("ecommerce_platform", "13"), ("ecommerce_platform", "13")]
    assert "Cheapest path" in page.text("cheapest-title")
    assert "电商平台 E-commerce platform" in page.text("plan-1")
    assert "Mini Program Cloud Live plugin" in page.text("plan-1")


def test_success_cost_override_changes_the_cheapest_plan(client):
    # the internet-information licence now costs 20: its plan costs 23, the online-data one stays 13
    page = get_page(client, SELLER + "&cost.value_added_telecom_licence_internet_info=20")
    assert plans(page) == [("ecommerce_platform", "13")]
    html = client.get(SELLER + "&cost.value_added_telecom_licence_internet_info=20").get_data(as_text=True)
    assert missing_in_plan(html, 1)[-1] == "value_added_telecom_licence_online_data"


# -- what if -------------------------------------------------------------------------------------
def whatif_links(html: str) -> list[str]:
    return [a["href"] for a in Page(html).find("a", **{"class": "whatif", "data-enhance": ""})]


def test_success_what_if_adds_the_missing_licence_and_the_cost_drops_to_3(client):
    html = client.get(SELLER).get_data(as_text=True)
    href = next(h for h in whatif_links(html) if "doc=value_added_telecom_licence_internet_info" in h)
    assert urlsplit(href).query == (
        "subject=enterprise&doc=business_license&scenario=ecommerce&doc=value_added_telecom_licence_internet_info"
    )
    page = get_page(client, href.split("#")[0])
    assert page.text("cheapest-cost") == "3"  # the three self-prepared platform documents
    assert plans(page) == [("ecommerce_platform", "3")]
    assert page.find("input", id="doc-value_added_telecom_licence_internet_info")[0].get("checked") == ""


def test_success_what_if_on_a_counted_item_asks_for_the_shortfall(client):
    # 教育平台 asks for two or more cooperation agreements; the profile has one
    url = (
        "/?subject=enterprise&doc=non_commercial_icp_filing&count.training_coop_agreement=1"
        "&count.partner_private_school_permit=3&cat=edu_platform"
    )
    html = client.get(url).get_data(as_text=True)
    page = Page(html)
    assert page.text("cheapest-cost") == "3"  # one more agreement, partner class
    href = next(h for h in whatif_links(html) if "training_coop_agreement" in h)
    assert dict(parse_qsl(urlsplit(href).query))["count.training_coop_agreement"] == "2"
    after = get_page(client, href.split("#")[0])
    assert after.text("cheapest-cost") == "0"
    assert status_of(after, "edu_platform") == "eligible"


# -- the URL -----------------------------------------------------------------------------------------
def test_success_empty_fields_redirect_to_the_clean_shareable_url(client):
    response = client.get(
        "/?subject=enterprise&role=&doc=business_license&count.training_coop_agreement="
        "&scenario=ecommerce&access=&cost.business_license="
    )
    assert response.status_code == 303
    assert response.headers["Location"] == SELLER


def test_success_no_profile_shows_the_form_only(client):
    page = get_page(client, "/?lang=en")
    assert page.find("section", id="answer") == []
    assert page.find("form", id="profile")


def test_fail_unknown_item_names_the_field_and_the_nearest_ids(client):
    response = client.get("/?subject=enterprise&doc=business_licence")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<code>documents[0]</code>: unknown item id &#39;business_licence&#39;" in html
    assert "business_license" in html and "Traceback" not in html
    assert 'id="profile"' in html  # the form is still there to correct it


@pytest.mark.parametrize(
    "query, field",
    [
        ("doc=business_license", "subject.type"),
        ("subject=enterprise&count.training_coop_agreement=two", "counts.training_coop_agreement"),
        ("subject=enterprise&cost.business_license=-1", "costs.business_license"),
        ("subject=robot", "subject.type"),
    ],
)
def test_fail_bad_profile_in_the_url_is_a_422_page_naming_the_field(client, query, field):
    response = client.get("/?" + query)
    assert response.status_code == 422
    assert f"<code>{field}</code>" in response.get_data(as_text=True)


# -- category page and diagram -----------------------------------------------------------------------
def svg_root(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def test_success_diagram_is_svg_with_one_box_per_alternative(client, catalogue):
    response = client.get("/diagram/ecommerce_platform.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = svg_root(response.data)
    assert root.tag == f"{SVG_NS}svg" and root.get("role") == "img"
    boxes = [r for r in root.iter(f"{SVG_NS}rect") if r.get("rx") == "8"]
    assert len(boxes) == len(catalogue.categories["ecommerce_platform"].alternatives) == 3
    texts = "".join(t.text or "" for t in root.iter(f"{SVG_NS}tspan"))
    assert "电信业务经营许可证申请表" in texts and "或" in texts


def test_success_diagram_marks_what_is_held_and_what_is_missing(client):
    root = svg_root(client.get("/diagram/ecommerce_platform.svg" + SELLER[1:]).data)
    texts = [t.text for t in root.iter(f"{SVG_NS}tspan")]
    assert "尚缺材料" in texts
    assert "缺 4 项 · 成本 13" in texts and "缺 11 项 · 成本 20" in texts
    # held: the business licence of the not-accepted branch (a filled green circle)
    held = [c for c in root.iter(f"{SVG_NS}circle") if c.get("fill") == "#1a7f37"]
    assert len(held) == 1 + 1  # the held item and the legend's "held" marker


def test_success_diagram_of_an_eligible_category_shows_the_met_alternative(client):
    root = svg_root(client.get("/diagram/edu_vocational_training.svg" + TRAINING[1:]).data)
    texts = [t.text for t in root.iter(f"{SVG_NS}tspan")]
    assert "已具备条件" in texts and "已全部具备" in texts


def test_success_category_page_shows_the_diagram_missing_sets_and_why(client):
    page = get_page(client, "/category/social_live" + SELLER[1:])
    assert page.find("article", id="category")[0]["data-status"] == "missing"
    html = client.get("/category/social_live" + SELLER[1:]).get_data(as_text=True)
    assert html.count("<svg") >= 1 and 'id="diagram-social_live-title"' in html
    assert "「3.《统一社会信用代码》及《情况说明函件》（适用于政府主体）」仅适用于政府主体" in html
    assert 'href="https://developers.weixin.qq.com/miniprogram/product/material/shejiao/zhibo.html"' in html


def test_success_category_page_without_profile_shows_the_catalogue(client):
    page = get_page(client, "/category/auto_presale?lang=en")
    assert "data-status" not in page.find("article", id="category")[0]
    assert "Reserved for: Car manufacturer" in client.get("/category/auto_presale?lang=en").get_data(as_text=True)


def test_fail_unknown_category_is_an_html_404(client):
    response = client.get("/category/no_such_category")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "no_such_category" in response.get_data(as_text=True)
    assert client.get("/diagram/no_such_category.svg").status_code == 404


# -- checklist and downloads ---------------------------------------------------------------------------
def test_success_markdown_checklist_lists_the_items_to_obtain(client):
    response = client.get("/checklist.md" + SELLER[1:])
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == 'attachment; filename="livegate-checklist.md"'
    text = response.get_data(as_text=True)
    tasks = [line for line in text.splitlines() if line.startswith("- [ ] ")]
    assert tasks == [
        "- [ ] 电商平台对用户交易纠纷处理的机制或方案 — 自行准备 — 数量 1 — 成本 1",
        "- [ ] 电商平台对入驻经营者的审核要求或规范文件 — 自行准备 — 数量 1 — 成本 1",
        "- [ ] 电商平台服务协议、交易规则 — 自行准备 — 数量 1 — 成本 1",
        "- [ ] 《增值电信业务经营许可证》（核准服务项目包含“互联网信息服务业务”） — 行政许可 — 数量 1 — 成本 10",
    ]
    assert "- 合计成本: 13" in text and "（共 2 条路径中的第 1 条）" in text


def test_success_csv_checklist_of_the_second_tied_plan(client):
    response = client.get("/checklist.csv" + SELLER[1:] + "&plan=1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="livegate-checklist.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "item_id"
    assert [(r[0], r[3], r[4], r[6]) for r in rows[1:]] == [
        ("dispute_resolution_mechanism", "自行准备", "1", "1"),
        ("merchant_review_rules", "自行准备", "1", "1"),
        ("platform_service_agreement", "自行准备", "1", "1"),
        ("value_added_telecom_licence_online_data", "行政许可", "1", "10"),
    ]


def test_success_csv_of_a_counted_shortfall_costs_count_times_unit(client):
    url = "/checklist.csv?subject=enterprise&doc=non_commercial_icp_filing&cat=edu_platform&lang=en"
    rows = list(csv.reader(io.StringIO(client.get(url).data.decode("utf-8-sig"))))
    by_id = {r[0]: r for r in rows[1:]}
    # two agreements and two partner permits, partner class (3 each)
    assert (by_id["training_coop_agreement"][4], by_id["training_coop_agreement"][6]) == ("2", "6")
    assert (by_id["partner_private_school_permit"][4], by_id["partner_private_school_permit"][6]) == ("2", "6")
    assert rows[0][3] == "Issued as"


def test_success_printable_checklist_page(client):
    page = get_page(client, "/checklist" + SELLER[1:])
    assert [r["data-item"] for r in page.find("tr") if "data-item" in r] == [
        "dispute_resolution_mechanism",
        "merchant_review_rules",
        "platform_service_agreement",
        "value_added_telecom_licence_internet_info",
    ]


def test_success_checklist_of_a_profile_without_path_says_so(client):
    assert "**没有可行路径**" in client.get("/checklist.md" + PERSONAL[1:]).get_data(as_text=True)


def test_fail_checklist_of_a_plan_that_does_not_exist_is_404(client):
    assert client.get("/checklist.md" + SELLER[1:] + "&plan=7").status_code == 404
    assert client.get("/checklist.csv").status_code == 404  # no profile, no checklist


# -- self-contained -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["/", SELLER, SELLER + "&lang=en", "/category/edu_platform" + SELLER[1:], "/checklist" + SELLER[1:]]
)
def test_success_pages_load_assets_only_from_this_server(client, url):
    response = client.get(url)
    assert response.headers["Content-Security-Policy"] == CSP
    page = Page(response.get_data(as_text=True))
    fetched = [a.get("src") for t, a in page.elements if t in ("script", "img", "iframe", "source") and a.get("src")]
    fetched += [a["href"] for t, a in page.elements if t == "link"]
    assert fetched and all(u.startswith("/") and not u.startswith("//") for u in fetched)
    for asset in fetched:
        if asset.startswith("/static/"):
            with client.get(asset) as static:
                assert static.status_code == 200
    assert not any(t == "style" or "style" in a for t, a in page.elements)  # nothing inline (CSP)
    assert not any(t == "script" and "src" not in a for t, a in page.elements)


def test_success_stylesheet_and_script_request_nothing_external(client):
    for asset in ("/static/web/livegate.css", "/static/web/livegate.js"):
        with client.get(asset) as response:
            text = response.get_data(as_text=True)
        assert not re.search(r"https?://|@import|url\(", text), asset


def test_success_web_evaluations_are_logged_like_the_api(engine, tmp_path):
    log = tmp_path / "decisions.jsonl"
    client = create_app(
        {"ENGINE": engine, "TESTING": True, "ACCESS_LOG": False, "DECISION_LOG": str(log)}
    ).test_client()
    response = client.get(SELLER)
    entry = json.loads(log.read_text().splitlines()[0])
    assert (entry["endpoint"], entry["cheapest_cost"], entry["cheapest_plans"]) == (
        "web:index",
        13,
        [["ecommerce_platform"], ["ecommerce_platform"]],
    )
    assert entry["decision_id"] in response.get_data(as_text=True)


def test_success_api_errors_stay_json_next_to_the_page(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert client.get("/v1/health").get_json()["status"] == "ok"
