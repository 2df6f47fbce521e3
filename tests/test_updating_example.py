"""The worked example of docs/updating.md is what the commands it shows print today
(``tools/updating_example.py`` makes a copy of the knowledge base, changes it, and runs
``livegate lint``, ``diff`` and ``impact`` on it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_worked_example_in_the_docs_is_what_the_commands_print():
    proc = subprocess.run(
        [sys.executable, "tools/updating_example.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
