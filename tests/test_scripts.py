"""A ruleset cannot run code: clingo's ``#script`` is refused where livegate reads rules (a security
review: ``livegate diff`` or ``impact`` of an untrusted revision, or a reload, would run a script with a
clingo built with Python or Lua). This clingo (the PyPI wheel livegate pins) is built without either;
the test fails the day one is installed that runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from livegate import Knowledge, KnowledgeError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("language", ["python", "lua"])
@pytest.mark.parametrize("where", ["facts", "logic"])
def test_a_ruleset_holding_a_script_is_refused_and_the_script_never_runs(tmp_path, language, where):
    for folder in ("facts", "logic"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    marker = tmp_path / "ran"
    body = (
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        if language == "python"
        else f"io.open({str(marker)!r}, 'w'):write('ran')\n"
    )
    target = tmp_path / where / ("catalogue.lp" if where == "facts" else "main.lp")
    target.write_text(target.read_text(encoding="utf-8") + f"\n#script ({language})\n{body}#end.\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as refused:
        Knowledge.load(tmp_path / "facts", tmp_path / "logic")
    assert language in str(refused.value) and not marker.exists()
