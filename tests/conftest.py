"""Shared fixtures. The engine is grounded once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from livegate import Engine, Knowledge

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The source tree (facts/, logic/, examples/ live here)."""
    return ROOT


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return Knowledge.load()


@pytest.fixture(scope="session")
def engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture(scope="session")
def catalogue(knowledge: Knowledge):
    return knowledge.catalogue


@pytest.fixture(scope="session")
def published(knowledge: Knowledge) -> dict:
    """The catalogue as the API publishes it, each list by id."""
    data = knowledge.catalogue_json()
    return {
        key: {entry["id"]: entry for entry in value} if isinstance(value, list) else value
        for key, value in data.items()
    }


PIGEONS = """\
% Pathological test rules: holding a business licence switches on a pigeon-hole
% problem (13 pigeons, 12 holes) that no solver refutes within seconds.
pigeon(1..13) :- holds(business_license).
hole(1..12).
1 { in(P, H) : hole(H) } 1 :- pigeon(P).
:- in(P, H), in(Q, H), P < Q.
"""


@pytest.fixture(scope="session")
def pigeon_kb(tmp_path_factory) -> Path:
    """A copy of the knowledge base whose rules never finish for a profile holding
    a business licence: the time bound's test bed."""
    base = tmp_path_factory.mktemp("pigeons")
    shutil.copytree(ROOT / "facts", base / "facts")
    shutil.copytree(ROOT / "logic", base / "logic")
    (base / "logic" / "pigeons.lp").write_text(PIGEONS, encoding="utf-8")
    with open(base / "logic" / "main.lp", "a", encoding="utf-8") as main:
        main.write('#include "pigeons.lp".\n')
    return base


@pytest.fixture
def clean_livegate_env(monkeypatch):
    """No LIVEGATE_* variable leaks in from the shell (for tests that set them themselves)."""
    import os

    for name in list(os.environ):
        if name.startswith("LIVEGATE_"):
            monkeypatch.delenv(name)


SERVER_FIXTURES = {
    "server",
    "pigeon_server",
    "load_run",
    "running_server",
    "shared_server",
    "metrics_server",
    "reload_server",
}
"""Fixtures that start a real ``livegate serve``: their tests carry the ``server`` marker."""
SLOW_MODULES = {"test_server_load", "test_api_fuzz", "test_differential"}
"""Modules that take more than a few seconds in all: their tests carry the ``slow`` marker."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by what it needs, so a fast inner loop is one command:
    ``python -m pytest -m "not server and not browser and not slow"``."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())) or item.module.__name__.endswith("test_api_server"):
            item.add_marker(pytest.mark.server)
        if item.module.__name__.endswith("test_web_browser"):
            item.add_marker(pytest.mark.browser)
        if item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a run in which no test ran (OPA's --fail-on-empty)."""
    if session.testscollected == 0 and exitstatus == 0:
        session.exitstatus = 5
