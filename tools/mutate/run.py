"""Running mutants: a copy of the repository per worker, the mutant written there, the fast
test layers run there, the outcome classified.

The working tree is never written. Each worker copies what the tests need
(``COPIED``) into a temporary folder — from the working tree, or from a git
revision with ``git archive`` — and runs ``python -m pytest`` there with
``PYTHONPATH=<copy>/service``, so the copy's ``livegate`` package (whose
``service/livegate/facts`` and ``service/livegate/logic`` are relative links to
the copy's ``facts/`` and ``logic/``) is imported, not the editable install.
Before any mutant runs, :func:`Workspace.check_isolation` proves it: the
package imported in the copy is the copy's, the unmutated copy passes the
layers, and a copy with a rule that makes every program unsatisfiable fails.

Outcomes:

* ``killed`` — a test failed;
* ``error`` — clingo cannot parse or ground the mutated rules (facts/ + the
  entry of logic/, no profile): killed without running a test;
* ``timeout`` — grounding or the layers did not finish in time: killed;
* ``survived`` — every test passed;
* ``skipped`` — not run, because the time budget of a sample ran out.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from .points import Mutant

COPIED = ("facts", "logic", "service", "tests", "examples", "docs", "pyproject.toml")
"""What the fast layers read: the rules and facts, the package, the tests and their data, the examples,
and the documents (the source's copy in docs/source, which the transcription tests read line by line,
and the counts docs/engine.md states)."""

IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", ".hypothesis", ".pytest_cache")

DEFAULT_LAYERS = (
    "tests/test_contract.py",
    "tests/test_encoding*.py",
    "tests/test_examples.py",
    "tests/test_summary.py",
    "tests/test_scenarios.py",
    "tests/test_synthetic_kb.py",
    "tests/test_differential.py",
)
"""The fast layers, cheapest and most telling first (with -x the first failure ends a run)."""

DESELECTED = ("tests/test_synthetic_kb.py::test_engine_matches_reference_on_many_synthetic_knowledge_bases",)
"""Tests of the layers left out of a mutant's run: the long run of a property the layer's default
sample already checks (minutes per mutant, for little more)."""

KILLED = ("killed", "error", "timeout")

GROUND = """
import sys
from pathlib import Path
import clingo

root = Path(sys.argv[1])
messages = []
ctl = clingo.Control(["--warn=none"], logger=lambda code, msg: messages.append(msg.strip()))
try:
    for path in sorted((root / "facts").glob("*.lp")):
        ctl.load(str(path))
    ctl.load(str(root / "logic" / "main.lp"))
    ctl.ground([("base", [])])
except RuntimeError as exc:
    print("; ".join(messages) or str(exc))
    sys.exit(1)
"""
"""Grounds facts/ with the copy's rules: a mutant that clingo refuses is killed here."""

CANARY = "\n% mutation tool canary: no answer set at all\n:- #true.\n"


@dataclass
class Outcome:
    mutant: Mutant
    status: str
    seconds: float
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            **self.mutant.to_json(),
            "status": self.status,
            "seconds": round(self.seconds, 1),
            "detail": self.detail,
        }


@dataclass
class Workspace:
    """One copy of the repository, reused mutant after mutant (each file restored after use)."""

    root: Path
    layers: Sequence[str]
    timeout: float
    ground_timeout: float = 60.0
    python: str = sys.executable
    originals: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def create(cls, source: Path, rev: str | None, layers: Sequence[str], timeout: float) -> Workspace:
        root = Path(tempfile.mkdtemp(prefix="livegate-mutate-"))
        if rev:
            archive = subprocess.run(
                ["git", "-C", str(source), "archive", "--format=tar", rev, *COPIED],
                capture_output=True,
                check=True,
            ).stdout
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(root, filter="tar")
        else:
            for name in COPIED:
                path = source / name
                if path.is_dir():
                    shutil.copytree(path, root / name, symlinks=True, ignore=IGNORED)
                elif path.is_file():
                    shutil.copy2(path, root / name)
        return cls(root, layers, timeout)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.root / "service") + os.pathsep + str(self.root)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("LIVEGATE_TEST_HYPOTHESIS_PROFILE", None)  # the default (fixed, modest) differential sample
        return env

    def test_files(self) -> list[str]:
        files: list[str] = []
        for pattern in self.layers:
            found = sorted(p.relative_to(self.root).as_posix() for p in self.root.glob(pattern.split("::")[0]))
            if "::" in pattern and found:
                found = [f"{found[0]}::{pattern.split('::', 1)[1]}"]
            files.extend(f for f in found if f not in files)
        return files

    # --- one run -------------------------------------------------------------------------------
    def _run(self, argv: list[str], timeout: float) -> tuple[int | None, str]:
        """Run a command in the copy; None as the code when it ran out of time (its process group is ended)."""
        with subprocess.Popen(
            argv,
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        ) as proc:
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                return None, ""
            return proc.returncode, out

    def ground(self) -> tuple[str | None, str]:
        code, out = self._run([self.python, "-c", GROUND, str(self.root)], self.ground_timeout)
        if code is None:
            return "timeout", f"grounding took more than {self.ground_timeout:.0f}s"
        if code != 0:
            return "error", out.strip().splitlines()[-1] if out.strip() else f"exit {code}"
        return None, ""

    def pytest(self, timeout: float) -> tuple[str, str]:
        argv = [self.python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", *self.test_files()]
        argv += [f"--deselect={test}" for test in DESELECTED]
        code, out = self._run(argv, timeout)
        if code is None:
            return "timeout", f"the layers took more than {timeout:.0f}s"
        if code == 0:
            return "survived", _last_line(out)
        if code == 1:
            return "killed", _first_failure(out)
        return "killed", f"pytest exit {code}: {_last_line(out)}"

    def run(self, mutant: Mutant, timeout: float | None = None) -> Outcome:
        start = time.monotonic()
        path = self.root / mutant.file
        original = self.originals.setdefault(mutant.file, path.read_bytes())
        try:
            path.write_bytes(mutant.apply(original))
            status, detail = self.ground()
            if status is None:
                status, detail = self.pytest(timeout or self.timeout)
        finally:
            path.write_bytes(original)
        return Outcome(mutant, status, time.monotonic() - start, detail)

    # --- proving the copy is what is tested ----------------------------------------------------
    def check_isolation(self) -> tuple[bool, list[str], float]:
        """The copy's package is imported; the unmutated copy passes; a broken rule fails.
        Returns (ok, lines to print, seconds the unmutated layers took)."""
        lines = []
        code, out = self._run([self.python, "-c", "import livegate; print(livegate.__file__)"], 60)
        imported = Path(out.strip().splitlines()[-1]).resolve() if code == 0 and out.strip() else None
        inside = imported is not None and (self.root / "service").resolve() in imported.parents
        lines.append(f"the copy imports {imported} ({'the copy' if inside else 'NOT the copy'})")
        if not inside:
            return False, lines, 0.0
        files = self.test_files()
        lines.append(f"layers: {' '.join(files)}")
        if not files:
            lines.append("no test file matches the layers")
            return False, lines, 0.0
        start = time.monotonic()
        status, detail = self.ground()
        if status is None:
            status, detail = self.pytest(max(self.timeout, 1800))
        baseline = time.monotonic() - start
        lines.append(f"unmutated copy: {status} in {baseline:.0f}s ({detail})")
        if status != "survived":
            return False, lines, baseline
        main = self.root / "logic" / "main.lp"
        original = main.read_bytes()
        try:
            main.write_bytes(original + CANARY.encode())
            status, detail = self.ground()
            if status is None:
                status, detail = self.pytest(max(self.timeout, 600))
        finally:
            main.write_bytes(original)
        lines.append(f"canary (`:- #true.` added to the copy's logic/main.lp): {status} ({detail})")
        return status == "killed", lines, baseline


def _last_line(out: str) -> str:
    lines = [line for line in out.strip().splitlines() if line.strip()]
    return lines[-1].strip("= ") if lines else ""


def _first_failure(out: str) -> str:
    for line in out.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line[:300]
    return _last_line(out)
