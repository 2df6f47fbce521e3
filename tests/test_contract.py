"""The contract of livegate/contract.py says what logic/ says: one declaration, checked.

Each test reads the ``.lp`` files as text (with clingo's parser where structure
matters) and compares them with the Python declaration, so a renamed, added or
removed predicate, reason kind, status or priority fails here before it can make
the reader, the answer and the rules disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

import clingo
import clingo.ast
import pytest
from livegate import contract

ROOT = Path(__file__).resolve().parent.parent
LOGIC = ROOT / "logic"


def _code(path: Path) -> str:
    """The file without comments (``%`` lines and ``%* … *%`` blocks)."""
    text = re.sub(r"%\*.*?\*%", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"%.*", "", text)


def _heads(name: str) -> list[clingo.ast.AST]:
    """The head atoms named ``name`` of every rule in logic/ (parsed by clingo)."""
    found: list[clingo.ast.AST] = []

    def visit(stm: clingo.ast.AST) -> None:
        if stm.ast_type == clingo.ast.ASTType.Rule and stm.head.ast_type == clingo.ast.ASTType.Literal:
            atom = stm.head.atom
            if atom.ast_type == clingo.ast.ASTType.SymbolicAtom and atom.symbol.name == name:
                found.append(atom.symbol)

    clingo.ast.parse_files([str(LOGIC / "main.lp")], visit, logger=lambda code, msg: None)
    return found


def _term(t: clingo.ast.AST) -> tuple[str, int]:
    """A constant or function term's name and arity."""
    if t.ast_type == clingo.ast.ASTType.SymbolicTerm:
        return t.symbol.name, len(t.symbol.arguments)
    return t.name, len(t.arguments)


def _externals_by_part() -> dict[str, list[tuple[str, int]]]:
    """The ``#external`` declarations of inputs.lp by program part, in their order."""
    parts: dict[str, list[tuple[str, int]]] = {"base": []}
    part = "base"
    for line in _code(LOGIC / "inputs.lp").splitlines():
        if m := re.match(r"#program\s+(\w+)", line):
            part = m.group(1)
            parts.setdefault(part, [])
        elif m := re.match(r"#external\s+(\w+)\(([^)]*)\)", line):
            parts[part].append((m.group(1), len(m.group(2).split(","))))
    return parts


def test_the_input_predicates_are_the_externals_of_inputs_lp():
    parts = _externals_by_part()
    assert parts["base"] == [p.signature for p in contract.INPUTS]
    assert parts[contract.OVERRIDE_PART] == [p.signature for p in contract.OVERRIDES]
    assert set(parts) == {"base", contract.OVERRIDE_PART}


def test_the_override_bits_cover_every_cost_a_profile_may_give():
    text = _code(LOGIC / "inputs.lp")
    assert f"B = 0..{contract.OVERRIDE_BITS - 1}" in text
    assert 2**contract.OVERRIDE_BITS > 100_000 >= 2 ** (contract.OVERRIDE_BITS - 1)


def test_the_shown_predicates_are_the_show_statements_of_show_lp_in_their_order():
    shown = re.findall(r"^#show (\w+)/(\d+)\.", (LOGIC / "show.lp").read_text(encoding="utf-8"), re.M)
    assert [(name, int(arity)) for name, arity in shown] == [p.signature for p in contract.SHOWN]
    assert "#show.\n" in (LOGIC / "show.lp").read_text(encoding="utf-8"), "everything else is hidden first"


@pytest.mark.parametrize("pred", [p for p in contract.SHOWN if p.scope == "category"], ids=lambda p: p.name)
def test_a_shown_predicate_grouped_by_category_has_the_category_first(pred):
    assert pred.args[0] == "category"


def test_every_reason_kind_the_rules_derive_is_declared_with_its_arity():
    kinds = {_term(h.arguments[1]) for h in _heads("reason")}
    assert kinds == {(kind, len(fields)) for kind, fields in contract.REASONS.items()}
    doc = (LOGIC / "explain.lp").read_text(encoding="utf-8")
    for kind in contract.REASONS:
        assert re.search(rf"^\s+{kind}\(", doc, re.M), f"reason kind {kind} is documented in explain.lp"


def test_every_warning_kind_the_rules_derive_is_declared():
    kinds = {_term(h.arguments[1]) for h in _heads("warning")}
    assert kinds == {(kind, len(fields)) for kind, fields in contract.WARNINGS.items()}


def test_the_statuses_are_the_values_eligibility_lp_derives():
    values = {_term(h.arguments[1])[0] for h in _heads("status")}
    assert values == set(contract.STATUSES)
    assert contract.ELIGIBLE in values


def test_the_priorities_are_the_levels_of_plan_lp():
    levels = {int(n) for n in re.findall(r"@\s*(\d+)", _code(LOGIC / "plan.lp"))}
    assert levels == set(contract.PRIORITIES)


def test_costs_are_read_by_priority_not_position():
    # clingo leaves out a level at which nothing is counted: the vector then shifts
    full = contract.costs_by_priority([8, 7, 6, 5, 4, 3, 2, 1], [0, 13, 4, 1, 0, 20, 5, 2])
    assert full["goal_cost"] == 13 and full["scenario_cost"] == 20 and full["goal_categories"] == 1
    shifted = contract.costs_by_priority([7, 5, 3], [13, 1, 20])
    assert shifted == {
        "goal_no_plan": 0,
        "goal_cost": 13,
        "goal_missing_items": 0,
        "goal_categories": 1,
        "scenario_no_plan": 0,
        "scenario_cost": 20,
        "scenario_missing_items": 0,
        "scenario_categories": 0,
    }
    with pytest.raises(KeyError):
        contract.costs_by_priority([9], [1])


def test_to_python_reads_numbers_strings_constants_and_terms():
    term = clingo.parse_term('f(1, "二", c, (a, b))')
    assert contract.to_python(term) == ("f", 1, "二", "c", ("", "a", "b"))


def test_group_collects_arguments_by_predicate_and_knows_every_shown_predicate():
    grouped = contract.group([("no_plan", "goal"), ("status", "finance_bank", "eligible")])
    assert grouped["no_plan"] == [("goal",)]
    assert grouped["status"] == [("finance_bank", "eligible")]
    assert set(grouped) == {p.name for p in contract.SHOWN}
