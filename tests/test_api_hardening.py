"""Issue 12 through Flask's test client: checklist plan numbers, decisions logged only when
delivered, a health that tells the truth about the decision log, no server path and no Host
header in what a client gets, the same security headers on every response, OPTIONS, request
ids, the answer cache's byte bound and the nearest-id budget."""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import logging
import os
import re
from pathlib import Path

import pytest
from livegate import profile as profile_module
from livegate.app import ACCESS_LOGGER, create_app
from livegate.http.decisions import AnswerCache, Decisions

pytestmark = pytest.mark.usefixtures("clean_livegate_env")

PROFILE = "subject=enterprise&cat=finance_bank"
SELLER = "/?subject=enterprise&doc=business_license&scenario=ecommerce"


@pytest.fixture
def make_app(engine):
    def make(**config):
        config.setdefault("ENGINE", engine)
        config.setdefault("TESTING", True)
        config.setdefault("ACCESS_LOG", False)
        return create_app(config)

    return make


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- 4. checklist plan numbers ------------------------------------------------------------------
@pytest.mark.parametrize("route", ["/checklist", "/checklist.md", "/checklist.csv"])
@pytest.mark.parametrize("plan", ["%C2%B2", "%E2%91%A0", "%D9%A1", "1" * 5000, "-1", "99"])
def test_fail_a_plan_that_is_not_a_plan_number_is_404_on_every_checklist(make_app, route, plan):
    response = make_app().test_client().get(f"{route}?{PROFILE}&plan={plan}")
    assert response.status_code == 404


# -- 5. decisions logged only when delivered ---------------------------------------------------
def test_head_an_error_page_and_a_404_plan_log_nothing_a_delivered_page_logs_once(make_app, tmp_path):
    log = tmp_path / "decisions.jsonl"
    client = make_app(DECISION_LOG=str(log)).test_client()
    assert client.head(SELLER).status_code == 200
    assert client.get(f"/checklist?{PROFILE}&plan=99").status_code == 404
    assert client.get(f"/checklist.csv?{PROFILE}&plan=%C2%B2").status_code == 404
    assert _lines(log) == []
    response = client.get(SELLER)
    (entry,) = _lines(log)
    assert entry["endpoint"] == "web:index" and entry["decision_id"] in response.get_data(as_text=True)


def test_a_page_that_fails_to_render_logs_nothing(make_app, tmp_path, monkeypatch):
    log = tmp_path / "decisions.jsonl"
    client = make_app(DECISION_LOG=str(log), TESTING=False).test_client()

    def broken(*args, **kwargs):
        raise RuntimeError("a template bug")

    monkeypatch.setattr("livegate.web.views._plans", broken)
    assert client.get(SELLER).status_code == 500
    assert _lines(log) == []


@pytest.mark.parametrize("path", ["/v1/evaluate", SELLER])
def test_a_withheld_answer_names_no_decision_id_in_the_access_log(make_app, tmp_path, caplog, path):
    log = tmp_path / "decisions.jsonl"
    client = make_app(DECISION_LOG=str(log), ACCESS_LOG=True).test_client()
    log.unlink()
    log.mkdir()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        if path.startswith("/v1"):
            response = client.post(path, json={"subject": {"type": "enterprise"}})
        else:
            response = client.get(path)
    assert response.status_code == 503
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert line["status"] == 503 and "decision_id" not in line
    assert str(tmp_path) not in response.get_data(as_text=True)


# -- 6. health and the decision log --------------------------------------------------------------
def _health(client) -> tuple[int, dict]:
    response = client.get("/v1/health")
    return response.status_code, response.get_json()


def test_health_is_degraded_503_when_the_log_is_replaced_by_a_directory(make_app, tmp_path):
    log = tmp_path / "decisions.jsonl"
    client = make_app(DECISION_LOG=str(log)).test_client()
    assert _health(client)[0] == 200
    log.unlink()
    log.mkdir()
    status, body = _health(client)
    assert (status, body["status"], body["decision_log"]["writable"]) == (503, "degraded", False)
    assert "Is a directory" in body["decision_log"]["problem"] and str(tmp_path) not in json.dumps(body)
    log.rmdir()
    assert _health(client)[0] == 200  # repaired: healthy again


def test_health_is_degraded_on_a_full_disk_and_no_message_names_the_path(make_app):
    client = make_app(DECISION_LOG="/dev/full").test_client()
    assert _health(client)[0] == 200  # it opens; only a write can tell
    response = client.post("/v1/evaluate", json={"subject": {"type": "enterprise"}})
    assert response.status_code == 503
    assert "/dev/full" not in response.get_data(as_text=True)
    assert "No space left on device" in response.get_json()["error"]["message"]
    status, body = _health(client)
    assert (status, body["status"]) == (503, "degraded")
    assert "No space left on device" in body["decision_log"]["problem"]
    page = client.get(SELLER)
    assert page.status_code == 503 and "/dev/full" not in page.get_data(as_text=True)


def test_fail_health_stays_degraded_while_the_log_s_file_system_is_full_not_only_after_a_write(
    make_app, tmp_path, monkeypatch
):
    """A full disk was reported writable again 30 s after the last failed write (FAILURE_MEMORY),
    though nothing had been freed: the load balancer put the instance back, and its answers were
    withheld again (an SRE's review). The file system's free space is asked now, by every worker."""
    from livegate.http import decisions as module

    log = tmp_path / "decisions.jsonl"
    client = make_app(DECISION_LOG=str(log)).test_client()
    assert _health(client)[0] == 200
    monkeypatch.setattr(module, "free_bytes", lambda path: 1000)
    status, body = _health(client)
    assert (status, body["status"], body["decision_log"]["writable"]) == (503, "degraded", False)
    assert body["decision_log"]["problem"] == "its file system has 1000 bytes free (at least 65536 are needed)"
    assert client.get("/v1/health/ready").status_code == 503
    monkeypatch.setattr(module, "free_bytes", lambda path: 10 * 1024 * 1024)
    assert _health(client)[0] == 200  # room again: healthy at once


def test_fail_a_log_that_keeps_failing_says_so_once_every_10_s_not_once_per_answer(make_app, monkeypatch, caplog):
    from livegate.http import decisions as module

    client = make_app(DECISION_LOG="/dev/full").test_client()
    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.ERROR, logger="livegate"):
        for _ in range(20):
            assert client.post("/v1/evaluate", json={"subject": {"type": "enterprise"}}).status_code == 503
            clock[0] += 0.1
        clock[0] += module.FAILURE_SAID_EVERY
        assert client.post("/v1/evaluate", json={"subject": {"type": "enterprise"}}).status_code == 503
    said = [r.getMessage() for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len(said) == 2, said
    assert said[1].endswith("the answer was withheld (and 19 more since the last such line)")


def test_health_is_degraded_on_a_read_only_file_system(make_app, tmp_path, monkeypatch):
    log = tmp_path / "decisions.jsonl"
    client = make_app(DECISION_LOG=str(log)).test_client()
    real_open = os.open

    def read_only(path, flags, *args):
        if str(path) == str(log) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)  # what a file system remounted read-only answers
    status, body = _health(client)
    assert (status, body["status"]) == (503, "degraded")
    assert "Read-only file system" in body["decision_log"]["problem"]
    response = client.post("/v1/evaluate", json={"subject": {"type": "enterprise"}})
    assert response.status_code == 503 and str(tmp_path) not in response.get_data(as_text=True)


# -- 7. links never from the Host header ----------------------------------------------------------
EVIL = {"Host": "evil.example"}


def test_links_are_relative_whatever_the_host_header_says(make_app):
    client = make_app().test_client()
    pages = [
        client.get(f"/?{PROFILE}", headers=EVIL),
        client.get(f"/checklist?{PROFILE}", headers=EVIL),
        client.get(f"/checklist.md?{PROFILE}", headers=EVIL),
        # flask-swagger-ui built its oauth2RedirectUrl from the Host header: http://evil.example/docs/…
        client.get("/docs/", headers=EVIL),
    ]
    for response in pages:
        assert response.status_code == 200
        assert "evil.example" not in response.get_data(as_text=True)
    assert 'value="/?subject=enterprise&amp;cat=finance_bank"' in pages[0].get_data(as_text=True)
    assert 'href="/?subject=enterprise&amp;cat=finance_bank#answer"' in pages[1].get_data(as_text=True)
    redirect = client.get("/", headers=EVIL, environ_overrides={"PATH_INFO": "//v1//health"})
    assert redirect.status_code == 308 and redirect.headers["Location"] == "/v1/health"


def test_links_are_built_on_the_public_url_when_one_is_configured(make_app):
    client = make_app(PUBLIC_URL="https://livegate.example.com/").test_client()
    share = "https://livegate.example.com/?subject=enterprise&amp;cat=finance_bank"
    assert share in client.get(f"/?{PROFILE}", headers=EVIL).get_data(as_text=True)
    markdown = client.get(f"/checklist.md?{PROFILE}", headers=EVIL).get_data(as_text=True)
    assert "<https://livegate.example.com/?subject=enterprise&cat=finance_bank>" in markdown


def test_a_public_url_that_is_not_a_base_url_stops_start_up(make_app):
    from livegate.http.config import ConfigError

    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        make_app(PUBLIC_URL="livegate.example.com")


# -- 8. headers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    ["/v1/health", "/v1/catalogue", "/openapi.json", "/docs/", "/v1/nowhere", "/", f"/checklist.csv?{PROFILE}"],
)
def test_every_response_carries_the_security_headers(make_app, path):
    response = make_app().test_client().get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    # (a security review: no opener kept by another site's window, no response embedded by another site)
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_docs_page_allows_its_inline_script_by_hash_only(make_app):
    response = make_app().test_client().get("/docs/")
    (script,) = re.findall(rb"<script>(.*?)</script>", response.get_data(), re.S)
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    policy = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' 'sha256-{digest}';" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]


@pytest.mark.parametrize(("path", "allowed"), [("/v1/evaluate", "POST"), ("/v1/health", "GET"), ("/", "GET")])
def test_options_is_204_with_allow_and_no_body(make_app, path, allowed):
    response = make_app().test_client().options(path)
    assert response.status_code == 204
    assert allowed in response.headers["Allow"] and "OPTIONS" in response.headers["Allow"]
    assert response.get_data() == b"" and "Content-Type" not in response.headers


def test_request_ids_joined_by_a_comma_are_not_echoed(make_app):
    client = make_app().test_client()
    assert client.get("/v1/health", headers={"X-Request-Id": "one"}).headers["X-Request-Id"] == "one"
    joined = client.get("/v1/health", headers={"X-Request-Id": "one,two"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", joined)


# -- 2. the answer cache's byte bound ----------------------------------------------------------------
def test_the_answer_cache_keeps_its_bytes_under_the_limit_and_health_reports_them(engine):
    limit = 300_000
    decisions = Decisions(engine, None, answer_cache=1024, answer_cache_bytes=limit, timeout=None)
    items = sorted(engine.catalogue.items)
    sizes = []
    for k in range(20):
        shaped = decisions.answer(
            engine.parse({"subject": {"type": "enterprise"}, "documents": items[k : k + 3]}), explain=True, lang="zh"
        )
        sizes.append(AnswerCache.size(shaped))
        stats = decisions.health()["answer_cache"]
        assert stats["bytes"] <= limit
    assert sum(sizes) > limit, "the answers should overflow the limit"
    assert stats["limit"] == limit and 0 < stats["entries"] < 20


def test_the_answer_cache_default_limit_is_documented(make_app, repo_root):
    limit = make_app().config["ANSWER_CACHE_BYTES"]
    assert limit == 16 * 1024 * 1024
    assert "`ANSWER_CACHE_BYTES` | 16777216" in (repo_root / "docs" / "api.md").read_text()


# -- 3. the nearest-id budget --------------------------------------------------------------------------
def test_unknown_ids_past_the_search_budget_are_listed_without_suggestions(engine, monkeypatch):
    items = sorted(engine.catalogue.items)
    near = [i[:-1] + "x" for i in items[:20]]
    data = {"subject": {"type": "enterprise"}, "documents": near}
    costs = [profile_module.search_cost(v, engine.catalogue.items) for v in near]
    # the default budget covers 20 searches in today's catalogue, whatever the machine's load
    assert sum(costs) <= profile_module.NEAREST_BUDGET
    with pytest.raises(profile_module.ProfileError) as searched:
        engine.parse(data)
    assert all(e["nearest"] for e in searched.value.errors)
    # a budget that covers the first five searches only: the next ones go without suggestions
    monkeypatch.setattr(profile_module, "NEAREST_BUDGET", sum(costs[:5]))
    with pytest.raises(profile_module.ProfileError) as partly:
        engine.parse(data)
    assert [e["field"] for e in partly.value.errors] == [e["field"] for e in searched.value.errors]
    assert [bool(e["nearest"]) for e in partly.value.errors] == [True] * 5 + [False] * 15
    monkeypatch.setattr(profile_module, "NEAREST_BUDGET", 0)
    with pytest.raises(profile_module.ProfileError) as unsearched:
        engine.parse(data)
    assert not any(e["nearest"] for e in unsearched.value.errors)
