"""The web page in a real browser: Debian's chromium, headless, driven by Playwright.

The app runs behind a real HTTP server (werkzeug, in a thread) on a free
loopback port. Each test fills the form as a person would, submits, and reads
the answer off the page: the cheapest path, a category's status, the language
toggle, the shareable URL, the back button and the "what if" click. Expected
answers come from the source (docs/semantics.md#issuer-classes: self_prepared 1, licence 10).

Every request the browser makes goes through a route that lets only loopback
through and records the rest; each test ends by asserting that nothing else
was even attempted.

Without ``/usr/bin/chromium`` (or Playwright) the tests skip, unless
``LIVEGATE_REQUIRE_BROWSER=1`` (set by CI), where they fail instead. The
browser is never downloaded: Playwright is pointed at the system chromium.

``LIVEGATE_SCREENSHOT=docs/screenshot.png`` makes the screenshot test write the
README's picture there.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from livegate.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRED = os.environ.get("LIVEGATE_REQUIRE_BROWSER") == "1"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMEOUT_MS = 15_000


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"{reason}, and LIVEGATE_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sync_api():
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    return sync_api


@pytest.fixture(scope="module")
def server(engine):
    """The app behind a real threaded HTTP server on a free loopback port."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app({"ENGINE": engine, "ACCESS_LOG": False})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="livegate-web-test", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(10)
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(sync_api):
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Outside:
    """The requests the browser attempted beyond loopback (all of them blocked)."""

    def __init__(self):
        self.attempts: list[str] = []

    def route(self, route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.attempts.append(url)
            route.abort("blockedbyclient")


def _context(browser, outside: Outside, **options):
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", outside.route)
    context.on(
        "request",
        lambda request: (
            None
            if urlsplit(request.url).hostname in LOOPBACK or request.url.startswith(("data:", "blob:"))
            else outside.attempts.append(request.url)
        ),
    )
    return context


@pytest.fixture
def outside():
    recorder = Outside()
    yield recorder
    assert recorder.attempts == [], "the page tried to reach beyond this server"


@pytest.fixture
def context(browser, outside):
    context = _context(browser, outside, viewport={"width": 1200, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context, server, sync_api):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/")
    yield page
    assert errors == [], "JavaScript errors on the page"


@pytest.fixture
def expect(sync_api):
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    return sync_api.expect


# -- filling the form as a person would ---------------------------------------------------------
def fill(page, *, subject="enterprise", roles=(), docs=(), counts=None, scenario="", categories=()):
    page.select_option("#subject", subject)
    for role in roles:
        page.check(f"#role-{role}")
    for doc in docs:
        page.check(f"#doc-{doc}")
    for item, n in (counts or {}).items():
        page.fill(f"#count-{item}", str(n))
    page.select_option("#scenario", scenario)
    if categories:
        page.click("details.candidates > summary")
        for c in categories:
            page.check(f"#goal-{c}")


def submit(page):
    page.click("#profile button[type=submit]")


def seller(page, expect):
    """An enterprise live-commerce seller with only a business licence; waits for its answer."""
    fill(page, docs=["business_license"], scenario="ecommerce")
    submit(page)
    expect(page.locator("#cheapest-cost")).to_have_text("13")


def query_of(page) -> str:
    return urlsplit(page.url).query


def test_success_guard_blocks_and_records_a_request_beyond_loopback(context, outside):
    """The twin of every other test's final check: a request elsewhere is caught, not made."""
    blank = context.new_page()
    blank.goto("about:blank")
    blank.evaluate("fetch('http://example.invalid/x').catch(() => null)")
    blank.wait_for_timeout(200)
    assert "http://example.invalid/x" in outside.attempts
    outside.attempts.clear()


# -- three profiles ---------------------------------------------------------------------------
def test_success_seller_with_only_a_business_licence_is_shown_ecommerce_platform_at_cost_13(page, expect):
    seller(page, expect)
    plan = page.locator("#plan-1")
    expect(plan).to_have_attribute("data-categories", "ecommerce_platform")
    # 3 self-prepared platform documents (1 each) + the licence with an approved item (10)
    expect(plan.locator("tr[data-item]")).to_have_count(4)
    expect(plan.locator("tr[data-item=value_added_telecom_licence_internet_info]")).to_contain_text("行政许可")
    expect(plan.locator("dd.access")).to_have_text("小程序·云直播插件")
    expect(page.locator("#cat-ecommerce_platform .status")).to_have_text("尚缺材料")
    assert query_of(page) == "subject=enterprise&doc=business_license&scenario=ecommerce"


def test_success_training_institution_with_district_permit_and_licence_is_eligible_for_vocational_training(
    page, expect
):
    fill(
        page,
        roles=["training_institution"],
        docs=["business_license", "private_school_permit_district"],
        scenario="education",
    )
    submit(page)
    expect(page.locator("#cheapest-cost")).to_have_text("0")
    expect(page.locator("#cat-edu_vocational_training")).to_have_attribute("data-status", "eligible")
    expect(page.locator("#cat-edu_vocational_training .status")).to_have_text("已具备条件")
    expect(page.locator("article.plan[data-categories=edu_vocational_training]")).to_have_count(1)


def test_success_personal_subject_is_shown_no_path(page, expect, catalogue):
    fill(page, subject="personal", docs=["business_license"])
    submit(page)
    expect(page.locator("#no-path")).to_contain_text("没有可行路径")
    expect(page.locator("article.plan")).to_have_count(0)
    expect(page.locator("tr[data-status=not_applicable]")).to_have_count(len(catalogue.categories))


# -- language, URL, history, what if ---------------------------------------------------------------
def test_success_language_toggle_switches_to_english_and_back_with_the_same_answer(page, expect):
    seller(page, expect)
    page.click("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#cheapest-title")).to_contain_text("Cheapest path")
    expect(page.locator("#cheapest-cost")).to_have_text("13")
    expect(page.locator("#cat-ecommerce_platform .status")).to_have_text("Missing documents")
    assert "lang=en" in query_of(page)
    page.click("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#cheapest-title")).to_contain_text("最低成本路径")


def test_success_shareable_url_opened_in_a_new_page_shows_the_same_answer(page, context, expect):
    seller(page, expect)
    shared = page.locator("#share-url").input_value()
    assert shared == page.url
    other = context.new_page()
    other.goto(shared)
    expect(other.locator("#cheapest-cost")).to_have_text("13")
    expect(other.locator("article.plan")).to_have_count(2)
    expect(other.locator("#doc-business_license")).to_be_checked()
    expect(other.locator("#scenario")).to_have_value("ecommerce")


def test_success_what_if_click_on_the_missing_licence_brings_the_cost_to_3(page, expect):
    seller(page, expect)
    page.click("#plan-1 tr[data-item=value_added_telecom_licence_internet_info] a.whatif")
    # with the licence held, only the three self-prepared platform documents remain (1 each)
    expect(page.locator("#cheapest-cost")).to_have_text("3")
    expect(page.locator("article.plan")).to_have_count(1)
    expect(page.locator("#doc-value_added_telecom_licence_internet_info")).to_be_checked()
    assert "doc=value_added_telecom_licence_internet_info" in query_of(page)


def test_success_back_button_returns_to_the_previous_answer(page, expect):
    seller(page, expect)
    page.click("#plan-1 tr[data-item=value_added_telecom_licence_internet_info] a.whatif")
    expect(page.locator("#cheapest-cost")).to_have_text("3")
    page.go_back()
    expect(page.locator("#cheapest-cost")).to_have_text("13")
    assert query_of(page) == "subject=enterprise&doc=business_license&scenario=ecommerce"
    expect(page.locator("#doc-value_added_telecom_licence_internet_info")).not_to_be_checked()
    page.go_forward()
    expect(page.locator("#cheapest-cost")).to_have_text("3")
    page.go_back()
    page.go_back()
    expect(page.locator("section#answer")).to_have_count(0)  # the empty form we started from


def test_success_candidate_categories_narrow_the_plan(page, expect):
    fill(page, docs=["av_programme_licence"], categories=["social_live"])
    submit(page)
    expect(page.locator("#cheapest-cost")).to_have_text("0")
    expect(page.locator("#plan-1")).to_have_attribute("data-categories", "social_live")
    expect(page.locator("#plan-1 .lead-time")).to_contain_text("约 7 天")


def test_success_counted_item_what_if_asks_for_the_shortfall(page, expect):
    fill(
        page,
        docs=["non_commercial_icp_filing"],
        counts={"training_coop_agreement": 1, "partner_private_school_permit": 2},
        categories=["edu_platform"],
    )
    submit(page)
    expect(page.locator("#cheapest-cost")).to_have_text("3")  # one more agreement, partner class
    page.click("#plan-1 tr[data-item=training_coop_agreement] a.whatif")
    expect(page.locator("#cheapest-cost")).to_have_text("0")
    expect(page.locator("#count-training_coop_agreement")).to_have_value("2")


def test_success_document_filter_narrows_the_list_and_sections_count_what_is_held(page, expect):
    page.fill("#item-filter", "营业执照")
    expect(page.locator("#doc-business_license")).to_be_visible()
    expect(page.locator("#doc-financial_licence")).to_be_hidden()
    page.fill("#item-filter", "")
    page.check("#doc-financial_licence")
    expect(page.locator("details.section[data-section=金融业] summary [data-count]")).to_have_text("已选 1")


# -- without JavaScript, on a phone, and the picture -----------------------------------------------
def test_success_page_works_with_javascript_off(browser, server, outside, expect):
    context = _context(browser, outside, java_script_enabled=False, viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.goto(server + "/")
        expect(page.locator("#item-filter")).to_be_hidden()  # a JavaScript-only control stays hidden
        fill(page, docs=["business_license"], scenario="ecommerce")
        submit(page)
        expect(page.locator("#cheapest-cost")).to_have_text("13")
        # the browser sent every empty field; the server redirected to the clean URL
        assert query_of(page) == "subject=enterprise&doc=business_license&scenario=ecommerce"
        page.click("#plan-1 tr[data-item=value_added_telecom_licence_internet_info] a.whatif")
        expect(page.locator("#cheapest-cost")).to_have_text("3")
        page.go_back()
        expect(page.locator("#cheapest-cost")).to_have_text("13")
    finally:
        context.close()


def test_success_phone_width_needs_no_sideways_scrolling(browser, server, outside, expect):
    context = _context(browser, outside, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        for url in (
            "/",
            "/?subject=enterprise&doc=business_license&scenario=ecommerce&lang=en",
            "/category/ecommerce_platform?subject=enterprise&doc=business_license",
        ):
            page.goto(server + url)
            expect(page.locator("#profile, #category").first).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
    finally:
        context.close()


def test_success_result_page_screenshot(page, expect, tmp_path):
    """A result page as the README shows it; LIVEGATE_SCREENSHOT names where to keep it."""
    page.set_viewport_size({"width": 1100, "height": 1300})
    seller(page, expect)
    page.evaluate("window.scrollTo(0, 0)")
    target = Path(os.environ.get("LIVEGATE_SCREENSHOT") or tmp_path / "screenshot.png")
    page.screenshot(path=str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert re.fullmatch(r"\d+", page.locator("#cheapest-cost").inner_text())
