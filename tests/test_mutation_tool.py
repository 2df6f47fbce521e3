"""The mutation tool's hand-listed mutants of the shaper (docs/testing.md#mutation-score) are
text replacements of passages of ``service/livegate/answer.py``: a passage rewritten in the
shaper made ``python -m tools.mutate --shaper`` exit 2 ("no longer found once"), unnoticed
until someone ran it."""

from __future__ import annotations

from tests.support.server import ROOT
from tools.mutate.shaper import POINTS, mutants


def test_every_shaper_passage_is_found_once_in_todays_answer_py():
    found, missing = mutants(ROOT)
    assert missing == []
    assert len(found) == len(POINTS) == 11  # the eleven docs/testing.md names
    assert len({m.id for m in found}) == len(found)
