"""Mutation points of the rules: every mutant of ``logic/*.lp``, found with clingo's own parser.

Each statement of a file is parsed with :mod:`clingo.ast`; every operator below
walks its syntax tree and yields a changed copy of the statement. A mutant is
then a text edit of the file: the statement's byte span (clingo reports
locations in bytes, 1-based columns, end exclusive) replaced by the changed
statement as clingo prints it. Everything else of the file (comments,
formatting, other statements) is left byte for byte, so a mutant differs from
the original in exactly one place (a priority swap: in each statement of the
two levels).

The operators (``OPERATORS``) are generic: they know clingo's syntax, not this
knowledge base, so a new predicate, rule or file is covered without any change
here. Mutants that print the same as the original, or as another mutant of the
same statement, are left out.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clingo
from clingo import ast
from clingo.ast import AggregateFunction, ASTType, BinaryOperator, ComparisonOperator, Sign

OPERATORS = {
    "drop-rule": "the whole rule, weak constraint or #minimize element removed",
    "drop-literal": "one body literal removed (a rule, a weak constraint, an #external's condition)",
    "drop-condition": "one literal of a condition removed (`a : b, c` in a choice, an aggregate, a #minimize)",
    "drop-element": "one element of a choice or an aggregate removed",
    "negate": "one body or condition literal negated (`p` ↔ `not p`)",
    "comparison": "a comparison operator replaced by each other one (`<` → `<=`, `>`, `>=`, `=`, `!=`)",
    "bound": "a choice rule's lower or upper bound removed",
    "number": "an integer constant n replaced by n+1 and by n-1",
    "arithmetic": "`+`, `-`, `*` replaced by the others, or the operation by one of its operands",
    "interval": "`L..U` replaced by `U..U` and by `L..L`",
    "swap-arguments": "two distinct variables exchanged in one atom (`within(C, O2, O1)` → `within(C, O1, O2)`)",
    "constant": "a constant argument replaced by another constant seen at the same place of the same predicate",
    "aggregate": "an aggregate function replaced (#max ↔ #min, #sum ↔ #count)",
    "priority": "a weak constraint's priority @N moved to @N+1 or @N-1",
    "swap-priorities": "two optimisation levels of one file exchanged",
    "weight": "a weak constraint's weight replaced by 1",
    "drop-term": "one term of a #minimize tuple or of an aggregate element's tuple (not its weight) removed",
}

COMPARISONS = {
    ComparisonOperator.LessThan: "<",
    ComparisonOperator.LessEqual: "<=",
    ComparisonOperator.GreaterThan: ">",
    ComparisonOperator.GreaterEqual: ">=",
    ComparisonOperator.Equal: "=",
    ComparisonOperator.NotEqual: "!=",
}
ARITHMETIC = {BinaryOperator.Plus: "+", BinaryOperator.Minus: "-", BinaryOperator.Multiplication: "*"}
AGGREGATES = {
    AggregateFunction.Max: (AggregateFunction.Min,),
    AggregateFunction.Min: (AggregateFunction.Max,),
    AggregateFunction.Sum: (AggregateFunction.Count,),
    AggregateFunction.SumPlus: (AggregateFunction.Count,),
    AggregateFunction.Count: (AggregateFunction.Sum,),
}
AGGREGATE_NAMES = {
    AggregateFunction.Max: "#max",
    AggregateFunction.Min: "#min",
    AggregateFunction.Sum: "#sum",
    AggregateFunction.SumPlus: "#sum+",
    AggregateFunction.Count: "#count",
}

Path_ = tuple[tuple[str, int | None], ...]
"""Where a node sits in its statement: (field, index in the field's list or None) from the root."""


@dataclass(frozen=True)
class Statement:
    """One statement of a file and the bytes it spans. ``group`` is the key shared by the
    elements of one ``#minimize``/``#maximize`` directive (each element is a statement of its
    own for clingo); a changed element is written back by rewriting the directive's elements."""

    file: str
    index: int
    node: Any
    start: int
    end: int
    line: int
    group: tuple[int, int] | None


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    line: int
    operator: str
    description: str
    rule: str  # the original statement as clingo prints it
    edits: tuple[tuple[int, int, str], ...]  # (start, end, replacement) in bytes, not overlapping

    def apply(self, source: bytes) -> bytes:
        out = source
        for start, end, text in sorted(self.edits, reverse=True):
            out = out[:start] + text.encode("utf-8") + out[end:]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "line": self.line,
            "operator": self.operator,
            "mutation": self.description,
            "rule": self.rule,
        }


# --- reading a file ----------------------------------------------------------------------------
def _offsets(source: bytes) -> list[int]:
    """The byte offset of the start of each line (index 0 is line 1)."""
    starts = [0]
    starts.extend(i + 1 for i, b in enumerate(source) if b == ord("\n"))
    return starts


def statements(path: Path, name: str) -> list[Statement]:
    """The rules, weak constraints, #minimize elements and #external declarations of a file."""
    source = path.read_bytes()
    starts = _offsets(source)
    parsed: list[Any] = []
    ast.parse_files([str(path)], parsed.append, logger=lambda code, msg: None)
    out: list[Statement] = []
    for node in parsed:
        if node.ast_type not in (ASTType.Rule, ASTType.Minimize, ASTType.External):
            continue
        if Path(node.location.begin.filename).resolve() != path.resolve():
            continue  # a statement of an #include'd file: mutated in its own file
        begin, end = node.location.begin, node.location.end
        start = starts[begin.line - 1] + begin.column - 1
        stop = starts[end.line - 1] + end.column - 1
        group = None
        if node.ast_type == ASTType.Minimize and not source[start:stop].lstrip().startswith(b":~"):
            group = (begin.line, begin.column)
        out.append(Statement(name, len(out), node, start, stop, begin.line, group))
    return out


def _directive_keyword(source: bytes, start: int) -> str:
    """#minimize or #maximize: the directive an element at byte ``start`` belongs to."""
    head = source[:start]
    found = {key: head.rfind(key.encode()) for key in ("#minimize", "#minimise", "#maximize", "#maximise")}
    return max(found, key=lambda k: found[k])


def _render_element(node: Any, maximize: bool) -> str:
    weight = node.weight
    if maximize:
        if weight.ast_type == ASTType.UnaryOperation and weight.operator_type == ast.UnaryOperator.Minus:
            weight = weight.argument
        else:
            weight = ast.UnaryOperation(weight.location, ast.UnaryOperator.Minus, weight)
    text = f"{weight}@{node.priority}" + "".join(f",{t}" for t in node.terms)
    if len(node.body):
        text += " : " + ", ".join(str(b) for b in node.body)
    return text


# --- walking a statement -----------------------------------------------------------------------
def _children(node: Any) -> Iterator[tuple[str, int | None, Any]]:
    for key in node.child_keys:
        value = getattr(node, key)
        if value is None:
            continue
        if isinstance(value, ast.AST):
            yield key, None, value
        else:
            for i, child in enumerate(value):
                yield key, i, child


def _zone(parent: Any, key: str, zone: str) -> str:
    """The role of a child: head, body, condition, terms, weight or priority."""
    kind = parent.ast_type
    if kind in (ASTType.Rule, ASTType.External, ASTType.Minimize):
        return {"head": "head", "atom": "head", "body": "body", "weight": "weight", "priority": "priority"}.get(
            key, "terms" if key == "terms" else zone
        )
    if key == "condition":
        return "condition"
    if key == "terms" and kind in (ASTType.BodyAggregateElement, ASTType.HeadAggregateElement):
        return "terms"
    return zone


def walk(root: Any) -> Iterator[tuple[Path_, Any, str, Any, int]]:
    """Every node below the statement: (path, node, zone, parent, line of the nearest located node)."""

    def visit(node: Any, path: Path_, zone: str, line: int) -> Iterator[tuple[Path_, Any, str, Any, int]]:
        for key, index, child in _children(node):
            child_path = (*path, (key, index))
            child_zone = _zone(node, key, zone)
            child_line = child.location.begin.line if hasattr(child, "location") else line
            yield child_path, child, child_zone, node, child_line
            yield from visit(child, child_path, child_zone, child_line)

    yield from visit(root, (), "statement", root.location.begin.line)


def replace(node: Any, path: Path_, new: Any | None) -> Any:
    """A copy of ``node`` with the node at ``path`` replaced by ``new`` (None removes a list entry)."""
    if not path:
        return new
    (key, index), rest = path[0], path[1:]
    value = getattr(node, key)
    if index is None:
        return node.update(**{key: replace(value, rest, new)})
    items = list(value)
    changed = replace(items[index], rest, new)
    if changed is None:
        del items[index]
    else:
        items[index] = changed
    return node.update(**{key: items})


def _at(node: Any, path: Path_) -> Any:
    for key, index in path:
        node = getattr(node, key)
        if index is not None:
            node = node[index]
    return node


# --- the operators -----------------------------------------------------------------------------
Change = tuple[str, str, Any]
"""(operator, description, the changed statement or None to remove it)."""

Operator = Callable[[Any, Path_, Any, str, Any], Iterator[Change]]


def _number(loc: Any, n: int) -> Any:
    return ast.SymbolicTerm(loc, clingo.Number(n))


def _drop(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    key, _ = path[-1]
    if zone == "body" and key == "body" and parent is stm:
        yield "drop-literal", f"drop `{node}`", replace(stm, path, None)
    elif zone == "condition" and key == "condition":
        yield "drop-condition", f"drop the condition `{node}` of `{parent}`", replace(stm, path, None)
    elif key == "elements" and len(parent.elements) > 1:
        yield "drop-element", f"drop the element `{node}`", replace(stm, path, None)


def _negate(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    if node.ast_type != ASTType.Literal or zone not in ("body", "condition"):
        return
    if node.atom.ast_type != ASTType.SymbolicAtom:
        return
    if zone == "condition" and parent.ast_type == ASTType.ConditionalLiteral and path[-1][0] == "literal":
        return  # the element literal of a condition sits in the head of a choice
    sign = Sign.NoSign if node.sign != Sign.NoSign else Sign.Negation
    new = node.update(sign=sign)
    yield "negate", f"`{node}` → `{new}`", replace(stm, path, new)


def _comparison(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    if node.ast_type != ASTType.Guard:
        return
    if parent.ast_type == ASTType.Aggregate:
        key = path[-1][0]
        yield (
            "bound",
            f"drop the {'lower' if key == 'left_guard' else 'upper'} bound of `{parent}`",
            replace(stm, path, None),
        )
    for op, sign in COMPARISONS.items():
        if op != node.comparison:
            new_parent = replace(parent, (path[-1],), node.update(comparison=op))
            yield (
                "comparison",
                f"`{parent}` → `{new_parent}` ({COMPARISONS[node.comparison]} → {sign})",
                replace(stm, path, node.update(comparison=op)),
            )


def _number_op(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    if node.ast_type != ASTType.SymbolicTerm or node.symbol.type != clingo.SymbolType.Number:
        return
    if zone == "priority":
        return  # the priority operator covers it
    n = node.symbol.number
    for m in (n + 1, n - 1):
        where = f" in `{parent}`"
        yield "number", f"{n} → {m}{where}", replace(stm, path, _number(node.location, m))


def _arithmetic(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    if node.ast_type == ASTType.BinaryOperation and node.operator_type in ARITHMETIC:
        for op in ARITHMETIC:
            if op != node.operator_type:
                new = node.update(operator_type=op)
                yield "arithmetic", f"`{node}` → `{new}`", replace(stm, path, new)
        yield "arithmetic", f"`{node}` → `{node.left}`", replace(stm, path, node.left)
        yield "arithmetic", f"`{node}` → `{node.right}`", replace(stm, path, node.right)
    elif node.ast_type == ASTType.Interval:
        for left, right in ((node.right, node.right), (node.left, node.left)):
            new = node.update(left=left, right=right)
            yield "interval", f"`{node}` → `{new}`", replace(stm, path, new)


def _swap_arguments(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    if node.ast_type != ASTType.Function or parent.ast_type != ASTType.SymbolicAtom:
        return
    args = list(node.arguments)
    seen: set[tuple[str, str]] = set()
    for i, j in itertools.combinations(range(len(args)), 2):
        a, b = args[i], args[j]
        if a.ast_type != ASTType.Variable or b.ast_type != ASTType.Variable or a.name == b.name:
            continue
        if "_" in (a.name, b.name) or (a.name, b.name) in seen:
            continue
        seen.add((a.name, b.name))
        swapped = list(args)
        swapped[i], swapped[j] = b, a
        new = node.update(arguments=swapped)
        yield "swap-arguments", f"`{node}` → `{new}`", replace(stm, path, new)


def _aggregate(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    if node.ast_type not in (ASTType.BodyAggregate, ASTType.HeadAggregate):
        return
    for function in AGGREGATES.get(node.function, ()):
        yield (
            "aggregate",
            f"{AGGREGATE_NAMES[node.function]} → {AGGREGATE_NAMES[function]} in `{node}`",
            replace(stm, path, node.update(function=function)),
        )


def _drop_term(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
    if zone != "terms" or path[-1][0] != "terms" or path[-1][1] is None:
        return
    index = path[-1][1]
    if parent.ast_type in (ASTType.BodyAggregateElement, ASTType.HeadAggregateElement) and index == 0:
        return  # the weight of a #sum: the number operator and others change it
    yield "drop-term", f"drop the tuple term `{node}` of `{parent}`", replace(stm, path, None)


STATEMENT_OPERATORS: tuple[Operator, ...] = (
    _drop,
    _negate,
    _comparison,
    _number_op,
    _arithmetic,
    _swap_arguments,
    _aggregate,
    _drop_term,
)


def _constants_by_place(all_statements: Sequence[Statement]) -> dict[tuple[str, int, int], set[str]]:
    """The constants seen at each argument place of each predicate, over every file."""
    places: dict[tuple[str, int, int], set[str]] = {}
    for st in all_statements:
        for _, node, _, parent, _ in walk(st.node):
            if node.ast_type != ASTType.Function or parent.ast_type != ASTType.SymbolicAtom:
                continue
            for i, arg in enumerate(node.arguments):
                if _is_constant(arg):
                    places.setdefault((node.name, len(node.arguments), i), set()).add(str(arg))
    return places


def _is_constant(node: Any) -> bool:
    return (
        node.ast_type == ASTType.SymbolicTerm
        and node.symbol.type == clingo.SymbolType.Function
        and not node.symbol.arguments
        and node.symbol.name != ""
    )


def _constant(places: dict[tuple[str, int, int], set[str]]) -> Operator:
    def operator(stm: Any, path: Path_, node: Any, zone: str, parent: Any) -> Iterator[Change]:
        if node.ast_type != ASTType.Function or parent.ast_type != ASTType.SymbolicAtom:
            return
        for i, arg in enumerate(node.arguments):
            if not _is_constant(arg):
                continue
            for other in sorted(places.get((node.name, len(node.arguments), i), set()) - {str(arg)}):
                args = list(node.arguments)
                args[i] = ast.SymbolicTerm(arg.location, clingo.Function(other))
                new = node.update(arguments=args)
                yield "constant", f"`{node}` → `{new}`", replace(stm, path, new)

    return operator


def _statement_changes(st: Statement, operators: Sequence[Operator]) -> Iterator[tuple[str, str, Any, int]]:
    """(operator, description, changed statement or None, line) of one statement."""
    stm = st.node
    if stm.ast_type == ASTType.Minimize or (stm.ast_type == ASTType.Rule and len(stm.body)):
        yield "drop-rule", f"drop `{stm}`", None, st.line
    if stm.ast_type == ASTType.Minimize:
        priority = stm.priority
        if priority.ast_type == ASTType.SymbolicTerm and priority.symbol.type == clingo.SymbolType.Number:
            p = priority.symbol.number
            for q in (p + 1, p - 1):
                yield "priority", f"@{p} → @{q}", stm.update(priority=_number(priority.location, q)), st.line
        if not (stm.weight.ast_type == ASTType.SymbolicTerm and str(stm.weight) == "1"):
            yield "weight", f"weight `{stm.weight}` → 1", stm.update(weight=_number(stm.weight.location, 1)), st.line
    for path, node, zone, parent, line in walk(stm):
        for operator in operators:
            for name, description, new in operator(stm, path, node, zone, parent):
                yield name, description, new, line


def _priority_swaps(file_statements: Sequence[Statement]) -> Iterator[tuple[str, list[tuple[Statement, Any]], int]]:
    """Exchange two optimisation levels of one file (every statement of either level)."""
    levels: dict[int, list[Statement]] = {}
    for st in file_statements:
        prio = st.node.priority if st.node.ast_type == ASTType.Minimize else None
        if prio is not None and prio.ast_type == ASTType.SymbolicTerm and prio.symbol.type == clingo.SymbolType.Number:
            levels.setdefault(prio.symbol.number, []).append(st)
    for p, q in itertools.combinations(sorted(levels, reverse=True), 2):
        changed = [(st, st.node.update(priority=_number(st.node.priority.location, q))) for st in levels[p]]
        changed += [(st, st.node.update(priority=_number(st.node.priority.location, p))) for st in levels[q]]
        yield f"swap @{p} and @{q}", changed, min(st.line for st, _ in changed)


# --- mutants of the files ----------------------------------------------------------------------
def _render(st: Statement, new: Any | None, source: bytes, siblings: Sequence[Statement]) -> tuple[int, int, str]:
    """The edit that writes ``new`` in place of statement ``st``."""
    return _render_all([(st, new)], source, siblings)[0]


def _render_all(
    changed: Sequence[tuple[Statement, Any | None]], source: bytes, siblings: Sequence[Statement]
) -> list[tuple[int, int, str]]:
    """The edits that write each new node in place of its statement: one edit per statement, and
    one per #minimize/#maximize directive for all its changed elements together (two edits of
    one directive would overlap)."""
    edits: list[tuple[int, int, str]] = []
    groups: dict[Any, dict[int, Any | None]] = {}
    for st, new in changed:
        if st.group is None:
            edits.append((st.start, st.end, "" if new is None else str(new)))
        else:
            groups.setdefault(st.group, {})[id(st)] = new
    for group, news in groups.items():
        edits.append(_render_directive(group, news, source, siblings))
    return edits


def _render_directive(
    group: Any, news: dict[int, Any | None], source: bytes, siblings: Sequence[Statement]
) -> tuple[int, int, str]:
    """The edit that rewrites all the elements of one #minimize/#maximize directive."""
    members = [s for s in siblings if s.group == group]
    st = members[0]
    maximize = _directive_keyword(source, st.start).startswith("#max")
    start = min(s.start for s in members)
    end = max(s.end for s in members)
    parts = []
    for s in members:
        node = news.get(id(s), s.node)  # None: the element removed
        if node is not None:
            parts.append(_render_element(node, maximize))
    if not parts:  # the directive's only element removed: keep the directive, inactive
        node = next(s for s in members if id(s) in news).node
        parts.append(_render_element(node.update(body=[*node.body, _false(node.location)]), maximize))
    return start, end, "; ".join(parts)


def _false(loc: Any) -> Any:
    return ast.Literal(loc, Sign.NoSign, ast.BooleanConstant(0))


def _mutant_id(file: str, rule: str, operator: str, description: str) -> str:
    digest = hashlib.sha256("\0".join((file, rule, operator, description)).encode("utf-8")).hexdigest()
    return digest[:10]


def mutants(root: Path, patterns: Sequence[str] = ("logic/*.lp",)) -> list[Mutant]:
    """Every mutant of the files matched by ``patterns`` (relative to ``root``), in file and line order."""
    files = sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})
    parsed = {p: statements(p, p.relative_to(root).as_posix()) for p in files}
    places = _constants_by_place([st for sts in parsed.values() for st in sts])
    operators = (*STATEMENT_OPERATORS, _constant(places))
    out: list[Mutant] = []
    for path, sts in parsed.items():
        source = path.read_bytes()
        name = path.relative_to(root).as_posix()
        seen: set[tuple[tuple[int, int, str], ...]] = set()
        for st in sts:
            original = _render(st, st.node, source, sts)
            for operator, description, new, line in _statement_changes(st, operators):
                edit = _render(st, new, source, sts)
                if edit == original or (edit,) in seen:
                    continue
                seen.add((edit,))
                rule = str(st.node)
                out.append(
                    Mutant(
                        _mutant_id(name, rule, operator, description), name, line, operator, description, rule, (edit,)
                    )
                )
        for description, changed, line in _priority_swaps(sts):
            edits = tuple(_render_all(changed, source, sts))
            rule = " ".join(str(st.node) for st, _ in changed)
            out.append(
                Mutant(
                    _mutant_id(name, rule, "swap-priorities", description),
                    name,
                    line,
                    "swap-priorities",
                    description,
                    rule,
                    edits,
                )
            )
    # the same mutation printed the same way twice in one statement (`1 <= {…} <= 1`: both bounds
    # print as ` <= 1`): the k-th one is told apart by "#k", stably while the statement stays
    counted: Counter[str] = Counter()
    unique = []
    for first in out:
        counted[first.id] += 1
        m = first
        if counted[first.id] > 1:
            description = f"{first.description} #{counted[first.id]}"
            m = Mutant(
                _mutant_id(m.file, m.rule, m.operator, description),
                m.file,
                m.line,
                m.operator,
                description,
                m.rule,
                m.edits,
            )
        unique.append(m)
    return unique


def check_round_trip(root: Path, patterns: Sequence[str] = ("logic/*.lp",)) -> list[str]:
    """Problems found when each statement is printed back in place of itself: the spans and the
    printer are what the mutants rely on. Empty when every file reads back the same."""
    problems = []
    for path in sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()}):
        name = path.relative_to(root).as_posix()
        source = path.read_bytes()
        sts = statements(path, name)
        for st in sts:
            start, end, text = _render(st, st.node, source, sts)
            reparsed: list[Any] = []
            try:
                ast.parse_string(text if st.group is None else f"#minimize {{ {text} }}.", reparsed.append)
            except RuntimeError as exc:
                problems.append(f"{name}:{st.line}: {text!r} does not parse: {exc}")
                continue
            wanted = [str(s) for s in reparsed if s.ast_type != ASTType.Program]
            if st.group is None and wanted != [str(st.node)]:
                problems.append(f"{name}:{st.line}: span {source[start:end]!r} printed as {wanted}")
    return problems
