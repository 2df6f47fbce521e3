"""deploy/nginx.conf, the sample site docs/api.md#nginx describes, stays true to the app it fronts:
its limits are the app's defaults, and every route it names is one the app serves (checked by
reading the file; it was also run in front of `livegate serve`, as the docs say)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from livegate.app import create_app
from livegate.http.config import DEFAULTS

CONF = (Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf").read_text(encoding="utf-8")


def _directive(name: str) -> str:
    (value,) = re.findall(rf"^\s*{name}\s+([^;]+);", CONF, flags=re.MULTILINE)
    return value.strip()


def _seconds(value: str) -> float:
    return float(value.removesuffix("s"))


@pytest.fixture(scope="module")
def client():
    app = create_app({"METRICS": True})
    app.config.update(TESTING=True)
    return app.test_client()


def test_the_body_limit_is_the_app_s_and_the_proxy_waits_longer_than_an_evaluation():
    assert _directive("client_max_body_size") == f"{DEFAULTS['MAX_CONTENT_LENGTH'] // 1024}k"
    assert _seconds(_directive("proxy_read_timeout")) > DEFAULTS["TIMEOUT"]


def test_every_location_names_routes_the_app_serves(client):
    exact = re.findall(r"location = (\S+) \{", CONF)
    regexes = re.findall(r"location ~ (\S+) \{", CONF)
    assert set(exact) == {"/v1/health", "/metrics"}
    assert client.get("/v1/health").status_code == 200
    health = client.get("/v1/health").get_json()
    assert "workers" in health or "pid" in health  # what the sample keeps inside
    served = {
        "/v1/health/live": client.get("/v1/health/live").status_code,
        "/v1/health/ready": client.get("/v1/health/ready").status_code,
        "/v1/evaluate": client.post("/v1/evaluate", json={"subject": {"type": "enterprise"}}).status_code,
        "/v1/cheapest": client.post("/v1/cheapest", json={"subject": {"type": "enterprise"}}).status_code,
    }
    assert set(served.values()) == {200}
    for pattern in regexes:
        matched = [path for path in served if re.fullmatch(pattern.strip("^$"), path)]
        assert matched, pattern
    assert client.get("/metrics").status_code == 200  # with METRICS on, served on the API's port: kept inside


def _map_regex() -> str:
    (pattern,) = re.findall(r'^\s*"~(\^[^"]+\$)"\s+\$http_x_request_id;', CONF, flags=re.MULTILINE)
    return pattern


def test_the_request_id_nginx_passes_on_is_one_livegate_takes_and_its_error_bodies_can_quote():
    """An SRE could not follow a request through the sample proxy: it neither set nor logged
    X-Request-Id. The client's id is passed on where livegate would take it and a JSON string can
    hold it as it is (no quote or backslash: nginx writes its error bodies unescaped), else
    nginx's own ($request_id); livegate logs and echoes what it is sent."""
    from livegate.http.openapi import REQUEST_ID_PATTERN

    nginx = re.compile(_map_regex())
    livegate = re.compile(REQUEST_ID_PATTERN)
    for code in range(128):
        one = chr(code)
        assert bool(nginx.fullmatch(one)) == (bool(livegate.fullmatch(one)) and one not in '"\\'), repr(one)
    assert nginx.fullmatch("a" * 128) and not nginx.fullmatch("a" * 129) and not nginx.fullmatch("")
    assert _directive("proxy_set_header X-Request-Id") == "$livegate_request_id"
    assert (
        "request_id=$livegate_request_id" in CONF and "access_log /var/log/nginx/livegate.access.log livegate" in CONF
    )


def test_nginx_s_own_refusals_are_in_the_api_s_error_shape_with_the_request_id():
    """Its HTML 429 and 413 pages broke JSON clients; a 502 or 504 (livegate down, or too slow)
    is a 503 a client knows to retry."""
    pages = dict(re.findall(r"^\s*error_page ([\d ]+) = @(\w+);", CONF, flags=re.MULTILINE))
    assert {tuple(k.split()): v for k, v in pages.items()} == {
        ("429",): "too_many_requests",
        ("413",): "body_too_large",
        ("502", "504"): "upstream_unavailable",
    }
    for name in pages.values():
        (block,) = re.findall(rf"location @{name} \{{(.*?)\n    \}}", CONF, flags=re.DOTALL)
        assert "default_type application/json;" in block
        assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in block  # not inherited
        assert "add_header X-Request-Id $livegate_request_id always;" in block
        ((status, body),) = re.findall(r"return (\d+) '(.*)';", block)
        error = json.loads(body.replace("$livegate_request_id", "f" * 32).replace("\\n", "\n"))["error"]
        assert (
            error["code"] == name
            and error["request_id"] == "f" * 32
            and set(error)
            == {
                "code",
                "message",
                "field",
                "request_id",
            }
        )
        assert ("add_header Retry-After" in block) == (status in ("429", "503"))
