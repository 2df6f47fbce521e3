"""The tests test this working tree (issue 16): the package they import is this repository's
``service/livegate``, and the engine they ground answers with the digest of this repository's
``facts/`` and ``logic/`` — so an edited rule followed by ``python -m pytest`` is tested without
a reinstall, and an installed copy of older rules makes these tests fail instead of passing
quietly on the old rules."""

from __future__ import annotations

import hashlib
from pathlib import Path

import livegate

ROOT = Path(__file__).resolve().parent.parent


def repository_digest() -> str:
    """docs/semantics.md#versioning, written again: sha256 over every facts/*.lp, then every
    logic/*.lp file (logic/checks/ left out), each in name order as its folder/name line and bytes."""
    sha = hashlib.sha256()
    for folder in ("facts", "logic"):
        for path in sorted((ROOT / folder).glob("*.lp")):
            sha.update(f"{folder}/{path.name}\n".encode())
            sha.update(path.read_bytes())
    return "sha256:" + sha.hexdigest()


def test_the_package_under_test_is_this_repositorys():
    assert Path(livegate.__file__).resolve().parent == ROOT / "service" / "livegate"


def test_the_engine_under_test_answers_with_this_repositorys_rules(engine):
    answer = engine.evaluate({"subject": {"type": "enterprise"}})
    assert answer["ruleset"]["digest"] == repository_digest()
    assert engine.knowledge.logic_entry.resolve() == ROOT / "logic" / "main.lp"
    assert {p.resolve() for p in engine.knowledge.facts_files} == set((ROOT / "facts").glob("*.lp"))
