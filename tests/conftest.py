"""Shared fixtures. The engine is grounded once per test session."""

from __future__ import annotations

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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a run in which no test ran (OPA's --fail-on-empty)."""
    if session.testscollected == 0 and exitstatus == 0:
        session.exitstatus = 5
