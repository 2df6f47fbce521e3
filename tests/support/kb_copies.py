"""Copies of the knowledge base with one change each, for ``livegate diff`` and ``livegate impact``.

Each edit works on the ``.lp`` text of a copy (never the repository's files)
and picks the ids it changes from the catalogue, so the tests keep working
while the facts grow. A line is a fact when it is one statement on one line
outside a ``%* … *%`` block comment (the catalogue's documentation blocks hold
example facts).
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from livegate import Knowledge
from livegate.kb import Catalogue

FACT = re.compile(r"^[a-z_][A-Za-z0-9_]*\(.*\)\.\s*$")


def copy_kb(root: Path, into: Path) -> Path:
    """``root``'s facts/ and logic/ copied under ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copytree(root / "facts", into / "facts")
    shutil.copytree(root / "logic", into / "logic")
    return into


def fact_lines(text: str) -> list[int]:
    """The indices of the lines of ``text`` that are facts (outside block comments)."""
    out, in_block = [], False
    for k, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if in_block:
            in_block = "*%" not in stripped
        elif stripped.startswith("%*"):
            in_block = "*%" not in stripped[2:]
        elif FACT.match(line):
            out.append(k)
    return out


def edit_facts(kb: Path, change: Callable[[str], str | None]) -> int:
    """Apply ``change`` to every fact line of ``kb``'s facts (None drops the line); the number changed."""
    changed = 0
    for path in sorted((kb / "facts").glob("*.lp")):
        lines = path.read_text(encoding="utf-8").splitlines()
        keep = []
        facts = set(fact_lines("\n".join(lines)))
        for k, line in enumerate(lines):
            new = change(line) if k in facts else line
            changed += new != line
            if new is not None:
                keep.append(new)
        path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return changed


def file_of(kb: Path, category: str) -> Path:
    """The facts file that declares ``category``."""
    head = f"category({category},"
    return next(p for p in sorted((kb / "facts").glob("*.lp")) if head in p.read_text(encoding="utf-8"))


# -- the changes ------------------------------------------------------------------------------
def add_alternative(kb: Path, category: str, alt: str, label: str, items: list[str]) -> None:
    lines = [f'alternative({category}, {alt}, "{label}").'] + [f"requires_item({category}, {alt}, {i})." for i in items]
    with open(file_of(kb, category), "a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def set_item_class(kb: Path, item: str, klass: str) -> None:
    pattern = re.compile(rf"^item\({item}, (\".*\"), \w+\)\.")
    assert edit_facts(kb, lambda line: pattern.sub(rf"item({item}, \1, {klass}).", line)) == 1


def rename_item(kb: Path, item: str, old: str, new: str) -> None:
    """The item's name, and the alternative labels that quote it, as the source would rewrite them."""
    item_line = re.compile(rf"^item\({item}, ")
    assert (
        edit_facts(
            kb,
            lambda line: line.replace(old, new) if item_line.match(line) or line.startswith("alternative(") else line,
        )
        >= 1
    )


def remove_category(kb: Path, category: str) -> int:
    """Drop every fact about ``category`` (those whose first argument it is)."""
    head = re.compile(rf"^\w+\({category}[,)]")
    return edit_facts(kb, lambda line: None if head.match(line) else line)


def set_activity_effect(kb: Path, activity: str, old: str, new: str) -> None:
    line_of = f"activity_effect({activity}, {old})."
    assert edit_facts(kb, lambda line: f"activity_effect({activity}, {new})." if line.strip() == line_of else line) == 1


def reorder(kb: Path, seed: int = 5) -> None:
    """Shuffle the facts of every file among their lines, and move one file's facts into another:
    the same facts, in another order and another file."""
    rnd = random.Random(seed)
    paths = sorted((kb / "facts").glob("*.lp"))
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        at = fact_lines("\n".join(lines))
        facts = [lines[k] for k in at]
        rnd.shuffle(facts)
        for k, fact in zip(at, facts, strict=True):
            lines[k] = fact
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source, target = paths[-1], paths[0]
    lines = source.read_text(encoding="utf-8").splitlines()
    at = set(fact_lines("\n".join(lines)))
    moved = [lines[k] for k in sorted(at)]
    source.write_text("\n".join(line for k, line in enumerate(lines) if k not in at) + "\n", encoding="utf-8")
    with open(target, "a", encoding="utf-8") as out:
        out.write("\n% moved from another file\n" + "\n".join(reversed(moved)) + "\n")


# -- choosing ids --------------------------------------------------------------------------------
def plain_category(cat: Catalogue) -> str:
    """A category nothing else refers to: no activity, note or companion of its own or pointing to it."""
    referred = {p.category for c in cat.categories.values() for p in c.companions}
    referred |= {e.split("(", 1)[1].rstrip(")") for a in cat.activities.values() for e in a.effects if "(" in e}
    return next(
        c.id
        for c in cat.categories.values()
        if not (c.activities or c.notes or c.companions) and c.id not in referred and len(c.alternatives) > 1
    )


def item_outside(cat: Catalogue, category: str) -> str:
    """An item none of ``category``'s alternatives asks for, asked for by some other category."""
    own = {r.item for a in cat.categories[category].alternatives for r in a.items}
    asked = sorted({r.item for c in cat.categories.values() for a in c.alternatives for r in a.items} - own)
    return asked[0]


def reclassable_item(cat: Catalogue) -> tuple[str, str, str]:
    """An item asked for by some alternative and another issuer class with another cost: (item, old, new)."""
    asked = sorted({r.item for c in cat.categories.values() for a in c.alternatives for r in a.items})
    for item in asked:
        klass = cat.items[item].issuer_class
        cost = cat.issuer_classes[klass].default_cost
        other = next((k for k, ic in cat.issuer_classes.items() if ic.default_cost != cost), None)
        if other is not None:
            return item, klass, other
    raise AssertionError("no item to re-class")


def blocking_activity(cat: Catalogue) -> str:
    """An activity that blocks its category (its effect becomes ``excludes`` in the tests)."""
    return next(a.id for a in cat.activities.values() if a.effects == ("blocks",))


def load(kb: Path) -> Knowledge:
    return Knowledge.load(kb / "facts", kb / "logic")
