"""Figures a test run reports past pytest's output capture (fuzz and hostile-input counts)."""

from __future__ import annotations

import pytest


def report(request: pytest.FixtureRequest, lines: list[str]) -> None:
    """Write a run's figures to the terminal, past output capture (fuzz and hostile-input counts)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not lines:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)
