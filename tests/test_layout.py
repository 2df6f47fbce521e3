"""The package keeps one home per concern: checked on its source.

- no import cycle between the package's modules, nor between its subpackages;
- a dependency's private API only in its adapter: clingo's in livegate/contract.py, argparse's in
  livegate/cli/parsing.py, gunicorn's in livegate/http/worker.py;
- no id of the knowledge base (item, issuer class, activity, category, role) and
  no status outside the contract's declaration named in the package's Python;
- facts/ holds facts only and logic/ rules only (logic/checks/ too);
- every predicate the rules of logic/ define is documented once, in a ``%*! …``
  block at the top of the file that defines it (facts/catalogue.lp documents facts/);
- the tests test the tree: the engine under test reads the repository's facts/
  and logic/ (its digest is theirs).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import clingo
import clingo.ast
import pytest
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


_ADAPTERS = {"clingo": "contract.py", "argparse": "cli/parsing.py", "gunicorn": "http/worker.py"}
"""Where each dependency's private names may appear: its one adapter module."""


def _defined_here() -> set[str]:
    """Every name the package defines or binds (functions, classes, attributes, variables)."""
    names: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def test_fail_a_dependency_s_private_names_appear_only_in_its_adapter_module():
    """A private name (``_x``) read from an object of a dependency, or a private method of a
    dependency's class overridden, is found only in that dependency's adapter (the app read
    Flask's ``JSONProvider._prepare_response_obj``; argparse's were in the command line's module).
    A name the package defines is its own, except an override of a dependency's private method:
    calling ``parser._get_formatter()`` is argparse's private API wherever it is written."""
    import importlib
    import inspect

    found: dict[str, set[str]] = {}
    overrides: set[str] = set()
    for path in SOURCES:
        if path.name == "__main__.py":  # importing it runs the command line
            continue
        module = importlib.import_module(_module(path))
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            outside = [base for base in cls.__mro__[1:] if not base.__module__.startswith("livegate")]
            for name, value in vars(cls).items():
                if not inspect.isfunction(value) or not name.startswith("_") or name.startswith("__"):
                    continue
                if any(name in vars(base) for base in outside):
                    found.setdefault(str(path.relative_to(PACKAGE)), set()).add(f"{cls.__name__}.{name}")
                    overrides.add(name)
    own = _defined_here() - overrides
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            private = isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
            if private and node.attr not in own:
                found.setdefault(str(path.relative_to(PACKAGE)), set()).add(ast.unparse(node))
    allowed = set(_ADAPTERS.values())
    assert {where for where in found if where not in allowed} == set(), found
    assert any("_SubParsersAction" in name for name in found["cli/parsing.py"])  # the check sees them
    assert "super()._get_formatter" in found["cli/parsing.py"]  # … and an override's call


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


def _where(stm: clingo.ast.AST) -> str:
    """The file a statement stands in, relative to the repository (an included file's, not the including one's)."""
    path = Path(stm.location.begin.filename).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _statements(folder: Path) -> list[tuple[str, clingo.ast.AST]]:
    """Every statement of the folder's files, its subfolders' too, but comments, each with its file."""
    out: list[tuple[str, clingo.ast.AST]] = []
    for path in sorted(folder.rglob("*.lp")):
        clingo.ast.parse_files([str(path)], lambda stm: out.append((_where(stm), stm)), logger=lambda code, msg: None)
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


# --- every predicate of logic/ is documented once, at the top of the file that defines it -------------
LOGIC = ROOT / "logic"
Signature = tuple[str, int]


def _logic_files() -> dict[str, list[clingo.ast.AST]]:
    """Every statement of logic/ (comments too) by file, the files in include order: logic/main.lp and
    the files it includes, as clingo reads them, then those it does not include (logic/checks/) by name."""
    files: dict[str, list[clingo.ast.AST]] = {}

    def add(stm: clingo.ast.AST) -> None:
        files.setdefault(_where(stm), []).append(stm)

    clingo.ast.parse_files([str(LOGIC / "main.lp")], add, logger=lambda code, msg: None)
    for path in sorted(LOGIC.rglob("*.lp")):
        if str(path.relative_to(ROOT)) not in files:
            clingo.ast.parse_files([str(path)], add, logger=lambda code, msg: None)
    return files


def _signature(term: clingo.ast.AST) -> Signature | None:
    """The name and arity of an atom's term (None for a number, string or the like)."""
    if term.ast_type == clingo.ast.ASTType.Function:
        return term.name, len(term.arguments)
    if term.ast_type == clingo.ast.ASTType.SymbolicTerm and term.symbol.type == clingo.SymbolType.Function:
        return term.symbol.name, len(term.symbol.arguments)
    return None


def _head_atoms(head: clingo.ast.AST) -> list[Signature]:
    """The predicates of a rule head: a literal, a choice, a disjunction or a head aggregate (not #false)."""
    if head.ast_type == clingo.ast.ASTType.Literal:
        literals = [head]
    elif head.ast_type in (clingo.ast.ASTType.Aggregate, clingo.ast.ASTType.Disjunction):
        literals = [e.literal for e in head.elements]
    elif head.ast_type == clingo.ast.ASTType.HeadAggregate:
        literals = [e.condition.literal for e in head.elements]
    else:
        literals = []
    found = [_signature(lit.atom.symbol) for lit in literals if lit.atom.ast_type == clingo.ast.ASTType.SymbolicAtom]
    return [s for s in found if s is not None]


def _defines(stm: clingo.ast.AST) -> list[Signature]:
    """The predicates a statement defines: those of a rule's head, or of an ``#external``."""
    if stm.ast_type == clingo.ast.ASTType.Rule:
        return _head_atoms(stm.head)
    if stm.ast_type == clingo.ast.ASTType.External:
        found = _signature(stm.atom.symbol)
        return [found] if found else []
    return []


def _doc_blocks(stms: list[clingo.ast.AST]) -> list[clingo.ast.AST]:
    return [
        s
        for s in stms
        if s.ast_type == clingo.ast.ASTType.Comment
        and s.comment_type == clingo.ast.CommentType.Block
        and s.value.startswith("%*!")
    ]


def _documented(block: str) -> Signature:
    """The predicate a ``%*! name(Args)`` block documents, its first line read by clingo as the fact ``name(Args).``"""
    line = block.splitlines()[0].removeprefix("%*!").strip()
    rules: list[clingo.ast.AST] = []
    try:
        clingo.ast.parse_string(
            f"{line}.",
            lambda stm: rules.append(stm) if stm.ast_type == clingo.ast.ASTType.Rule else None,
            logger=lambda code, msg: None,
        )
    except RuntimeError:
        rules = []
    heads = _head_atoms(rules[0].head) if len(rules) == 1 and not rules[0].body else []
    assert len(heads) == 1, f"not a signature name(Args): {line!r}"
    return heads[0]


def _implicit(stm: clingo.ast.AST) -> bool:
    """The ``#program base.`` clingo puts before each file (it spans nothing)."""
    return stm.location.begin == stm.location.end


def test_a_block_signature_is_read_by_clingo():
    assert _documented("%*! in_question(scenario(S), Id)\n  Example: in_question(scenario(auto), p(a, b)).\n*%") == (
        "in_question",
        2,
    )
    assert _documented("%*! summary\n  Example: summary.\n*%") == ("summary", 0)
    assert _documented("%*! step_gain(I, N, Id, J, K)\n*%") == ("step_gain", 5)
    for wrong in ("%*! two(A) three(B)\n*%", "%*! a(X) :- b(X)\n*%", "%*!\n*%", "%*! 3\n*%"):
        with pytest.raises(AssertionError):
            _documented(wrong)


def test_every_predicate_the_rules_define_is_documented_once_in_the_file_that_defines_it_first():
    """A predicate in a rule head or an ``#external`` has one ``%*!`` block in logic/, in the first file (in
    include order) whose rules define it; a block documents a predicate its file defines or declares
    (``#defined``: inputs.lp's cost_override/2, written by analysts as facts)."""
    files = _logic_files()
    defined_in: dict[Signature, list[str]] = {}
    declared: dict[str, set[Signature]] = {}
    documented_in: dict[Signature, list[str]] = {}
    for name, stms in files.items():
        for stm in stms:
            for signature in _defines(stm):
                if name not in defined_in.setdefault(signature, []):
                    defined_in[signature].append(name)
            if stm.ast_type == clingo.ast.ASTType.Defined:
                declared.setdefault(name, set()).add((stm.name, stm.arity))
        for block in _doc_blocks(stms):
            documented_in.setdefault(_documented(block.value), []).append(name)
    problems = []
    for (pred, arity), where in defined_in.items():
        docs = documented_in.get((pred, arity), [])
        if docs != [where[0]]:
            problems.append(f"{pred}/{arity}, defined in {', '.join(where)}, is documented in {docs or 'no file'}")
    for (pred, arity), docs in documented_in.items():
        if (pred, arity) not in defined_in and any((pred, arity) not in declared.get(d, set()) for d in docs):
            problems.append(f"{pred}/{arity} is documented in {docs}, which neither define nor declare it")
    assert not problems, "\n".join(problems)


def test_the_documentation_blocks_of_logic_stand_at_the_top_of_their_file():
    """Every ``%*!`` block comes before the file's first statement (its header comment may precede them)."""
    problems = []
    for name, stms in _logic_files().items():
        code = [s for s in stms if s.ast_type != clingo.ast.ASTType.Comment and not _implicit(s)]
        first = min((s.location.begin.line, s.location.begin.column) for s in code) if code else None
        for block in _doc_blocks(stms):
            at = (block.location.begin.line, block.location.begin.column)
            if first is not None and at > first:
                problems.append(f"{name}:{at[0]}: a %*! block after the first statement (line {first[0]})")
    assert not problems, "\n".join(problems)


def test_a_documentation_block_of_logic_has_its_format_and_an_example():
    """``%*! name(Args)`` at the start of a line, ``*%`` alone on the last, and an ``Example:`` between."""
    problems = []
    for name, stms in _logic_files().items():
        for block in _doc_blocks(stms):
            line, text = block.location.begin.line, block.value
            if block.location.begin.column != 1 or not text.startswith("%*! "):
                problems.append(f"{name}:{line}: a block opens with '%*! ' at the start of its line")
            if text.splitlines()[-1] != "*%":
                problems.append(f"{name}:{line}: a block closes with '*%' on its own line")
            if "Example:" not in text:
                problems.append(f"{name}:{line}: no 'Example:' in the block of {text.splitlines()[0]}")
    assert not problems, "\n".join(problems)


def test_fail_the_digest_of_the_same_rules_in_other_folders_is_the_same(tmp_path):
    """An integrator's review: the same files served from ``run/kb_facts`` had another digest than
    from ``facts/`` (the folders' own names were hashed), so comparing X-Ruleset-Digest across
    instances, or replaying a logged decision with ``--facts`` elsewhere, saw a change of rules
    that had not happened. A changed byte still changes it."""
    import shutil

    facts, logic = tmp_path / "kb_facts", tmp_path / "rules2"
    shutil.copytree(ROOT / "facts", facts)
    shutil.copytree(ROOT / "logic", logic)
    copy = Knowledge.load(facts, logic)
    assert copy.digest == Knowledge.load(ROOT / "facts", ROOT / "logic").digest
    (facts / "social.lp").write_text((facts / "social.lp").read_text(encoding="utf-8") + "% a comment\n")
    assert Knowledge.load(facts, logic).digest != copy.digest


def test_the_engine_under_test_reads_the_repository_files(knowledge: Knowledge):
    assert knowledge.digest == digest(ROOT / "facts", ROOT / "logic")
    assert Path(knowledge.logic_entry).resolve() == (ROOT / "logic" / "main.lp").resolve()
