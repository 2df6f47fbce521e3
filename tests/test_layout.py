"""The package keeps one home per concern: checked on its source.

- no import cycle between the package's modules, nor between its subpackages;
- clingo's private API only in livegate/contract.py;
- no id of the knowledge base (item, issuer class, activity, category, role) and
  no status outside the contract's declaration named in the package's Python;
- facts/ holds facts only and logic/ rules only;
- the tests test the tree: the engine under test reads the repository's facts/
  and logic/ (its digest is theirs).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import clingo.ast
from livegate import Knowledge, contract
from livegate.kb import digest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "service" / "livegate"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The livegate modules a module imports at its top level (not inside functions or TYPE_CHECKING)."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("livegate"):
                # `from . import x` may name a submodule
                subs = {f"{target}.{a.name}" for a in node.names}
                known = {_module(p) for p in SOURCES}
                out |= (subs & known) or {target}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("livegate")}
    return out - {here}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules():
    graph = {_module(p): _imports(p) for p in SOURCES}
    assert _cycle(graph) is None


def test_no_import_cycle_between_subpackages():
    def unit(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2])

    graph: dict[str, set[str]] = {}
    for p in SOURCES:
        here = unit(_module(p))
        graph.setdefault(here, set()).update(unit(m) for m in _imports(p) if unit(m) != here)
    # the top-level package's __init__ re-exports its core; count the others only
    graph.pop("livegate", None)
    for deps in graph.values():
        deps.discard("livegate")
    assert _cycle(graph) is None


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_clingo_internals_appear_only_in_the_contract():
    private = re.compile(r"clingo\._internal|\._rep\b|_ffi\b|_lib\b")
    offenders = [p.name for p in SOURCES if private.search(p.read_text(encoding="utf-8"))]
    assert offenders == ["contract.py"]


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    }


def test_no_id_of_the_knowledge_base_is_named_in_the_package(catalogue):
    ids = (
        set(catalogue.items)
        | set(catalogue.issuer_classes)
        | set(catalogue.activities)
        | set(catalogue.categories)
        | set(catalogue.roles)
    )
    for path in SOURCES:
        named = _string_constants(path) & ids
        assert not named, f"{path.relative_to(ROOT)} names {sorted(named)}"


def _compared_constants(path: Path) -> set[str]:
    """String constants a comparison (==, !=, in) tests a value against."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                values = operand.elts if isinstance(operand, ast.Tuple | ast.List | ast.Set) else [operand]
                out |= {n.value for n in values if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return out


def test_statuses_are_compared_only_where_the_contract_declares_them():
    for path in SOURCES:
        if path.name == "contract.py":
            continue
        named = _compared_constants(path) & set(contract.STATUSES)
        assert not named, f"{path.relative_to(ROOT)} tests for the statuses {sorted(named)}"


def _statements(folder: Path) -> list[tuple[str, clingo.ast.AST]]:
    """Every statement of the folder's files but comments, each with its file's name."""
    out: list[tuple[str, clingo.ast.AST]] = []
    for path in sorted(folder.glob("*.lp")):
        clingo.ast.parse_files(
            [str(path)], lambda stm, name=path.name: out.append((name, stm)), logger=lambda code, msg: None
        )
    return [(name, stm) for name, stm in out if stm.ast_type != clingo.ast.ASTType.Comment]


def test_facts_hold_facts_only():
    for name, stm in _statements(ROOT / "facts"):
        if stm.ast_type == clingo.ast.ASTType.Program:
            continue
        assert stm.ast_type == clingo.ast.ASTType.Rule and not stm.body, f"{name}: not a fact: {stm}"


def test_logic_holds_rules_only():
    base = True
    for name, stm in _statements(ROOT / "logic"):
        if stm.ast_type == clingo.ast.ASTType.Program:
            base = not stm.parameters  # a parameterised program part holds templates, not facts
        elif stm.ast_type == clingo.ast.ASTType.Rule and base:
            assert stm.body or stm.head.ast_type != clingo.ast.ASTType.Literal, f"{name}: a fact in logic/: {stm}"


def test_the_engine_under_test_reads_the_repository_files(knowledge: Knowledge):
    files = sorted((ROOT / "facts").glob("*.lp")) + sorted((ROOT / "logic").glob("*.lp"))
    assert knowledge.digest == digest(files)
    assert Path(knowledge.logic_entry).resolve() == (ROOT / "logic" / "main.lp").resolve()
