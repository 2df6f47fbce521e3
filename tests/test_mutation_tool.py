"""The mutation tool (``tools/mutate``, docs/testing.md#mutation-score): what it tells its user.

Its hand-listed mutants of the shaper are text replacements of passages of
``service/livegate/answer.py``: a passage rewritten in the shaper made ``python -m tools.mutate
--shaper`` exit 2 ("no longer found once"), unnoticed until someone ran it. An outside analyst
found two more: a run of one file's mutants called every entry of ``known.toml`` of the other
files stale, and without the test extras the unmutated copy was reported "killed"."""

from __future__ import annotations

import subprocess
import sysconfig
import venv
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.server import ROOT
from tools.mutate import points, shaper
from tools.mutate.__main__ import main
from tools.mutate.points import Mutant
from tools.mutate.run import Workspace
from tools.mutate.shaper import POINTS, mutants


def test_every_shaper_passage_is_found_once_in_todays_answer_py():
    found, missing = mutants(ROOT)
    assert missing == []
    assert len(found) == len(POINTS) == 12  # the twelve docs/testing.md names
    assert len({m.id for m in found}) == len(found)


# --- known.toml's stale entries ---------------------------------------------------------------


def _entry(m: Mutant) -> str:
    return f'[[mutant]]\nid = "{m.id}"\nfile = "{m.file}"\nverdict = "equivalent"\nwhy = "a test"\n'


def test_an_entry_of_a_file_the_run_does_not_mutate_is_not_called_stale(tmp_path, monkeypatch, capsys):
    """`--files logic/steps.lp` reported every entry of known.toml as stale (they were entries of
    other files); and a file's mutants depend on the files enumerated with it (the `constant`
    operator takes its replacements from all of them), so an entry is matched against every
    mutant of today's files, not against the run's."""
    everything = points.mutants(ROOT)
    alone = {m.id for m in points.mutants(ROOT, ["logic/steps.lp"])}
    other_file = next(m for m in everything if m.file == "logic/plan.lp")
    entries = [other_file, shaper.mutants(ROOT)[0][0]]
    # a constant of steps.lp replaced by one seen only in another file: a mutant of the full run only
    entries += [m for m in everything if m.file == "logic/steps.lp" and m.id not in alone][:1]
    known = tmp_path / "known.toml"
    known.write_text("".join(map(_entry, entries)) + _entry(replace(other_file, id="0000000000")), encoding="utf-8")
    monkeypatch.setattr(Workspace, "check_isolation", lambda self: (True, ["(isolation not checked here)"], 0.0))
    code = main(["--files", "logic/steps.lp", "--sample", "0", "--known", str(known)])
    out = capsys.readouterr().out
    stale = [line for line in out.splitlines() if "no mutant of today's files" in line]
    assert code == 0
    assert stale == [
        "known.toml: 1 entry matches no mutant of today's files (rules changed): 0000000000 (logic/plan.lp)"
    ]


# --- the test extras ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def python_without_pytest(tmp_path_factory) -> Path:
    """A Python like one of `pip install .` with no test extras: this venv's packages but pytest's."""
    base = tmp_path_factory.mktemp("no-pytest")
    venv.EnvBuilder(with_pip=False, symlinks=True).create(base / "venv")
    farm = base / "site"
    farm.mkdir()
    for name in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(name).iterdir():
            if not entry.name.lower().startswith(("pytest", "_pytest", "py.py")) and not (farm / entry.name).exists():
                (farm / entry.name).symlink_to(entry)
    python = base / "venv" / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "livegate-test-farm.pth").write_text(f"import site; site.addsitedir({str(farm)!r})\n")
    probe = subprocess.run([python, "-c", "import clingo, hypothesis, pytest"], capture_output=True, text=True)
    assert "No module named 'pytest'" in probe.stderr
    return python


def test_without_the_test_extras_the_tool_says_so_before_any_work(python_without_pytest):
    """With `pip install .` only, the tool copied the repository and reported the unmutated copy
    "killed" (by `No module named pytest`) and "no score"."""
    argv = ["-m", "tools.mutate", "--sample", "2", "--seed", "2026", "--seconds", "20", "--files", "logic/steps.lp"]
    run = subprocess.run([python_without_pytest, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "unmutated copy" not in run.stdout + run.stderr
    assert run.stdout == ""
    assert "pip install -e '.[test]'" in run.stderr
    assert "no pytest" in run.stderr
    assert run.returncode == 2


def test_without_the_test_extras_the_mutants_can_still_be_listed(python_without_pytest):
    run = subprocess.run(
        [python_without_pytest, "-m", "tools.mutate", "--list", "--files", "logic/steps.lp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1].split()[1] == "mutants:"
