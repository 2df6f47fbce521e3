"""deploy/nginx.conf, the sample site docs/api.md#nginx describes, stays true to the app it fronts:
its limits are the app's defaults, and every route it names is one the app serves (checked by
reading the file; it was also run in front of `livegate serve`, as the docs say)."""

from __future__ import annotations

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
