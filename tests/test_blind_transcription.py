"""The facts against a second, blind transcription of the source (tests/data/blind/).

``tests/data/blind/*.yaml`` was written from the source page alone, top to
bottom, one file per section, without looking at ``facts/`` (its README says
how and lists the transcriber's doubts). This test reads both and compares,
for every category by its 【…】 name: access (alone and with a companion),
scene, scope, notes, requirement link, section and line, and the
alternatives as multisets of {(item, count)} with their reserved role. An item
of the blind transcription is mapped to the facts' item by its document name
(with or without 《》), its qualifier and whether it is a counterparty's
document; a role by its name in ``facts/catalogue.lp``.

Where the two readings differed, docs/source-reading.md#second-transcription
says which is right and why. The blind transcription was corrected where it
was wrong (its README lists the corrections). Where the facts are wrong the
disagreement waits in ``PENDING`` for a facts fix: the test asserts that the
disagreements found are exactly those, so the list can only shrink and a new
disagreement fails.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import clingo
import yaml

ROOT = Path(__file__).resolve().parent.parent
BLIND = Path(__file__).resolve().parent / "data" / "blind"

PENDING: dict[tuple[str, str], str] = {}
"""Disagreements awaiting a fix of facts/: (category name, field) -> why the facts are wrong and the fix."""


# --- the facts ---------------------------------------------------------------------------------
def _value(symbol: clingo.Symbol) -> Any:
    if symbol.type == clingo.SymbolType.Number:
        return symbol.number
    if symbol.type == clingo.SymbolType.String:
        return symbol.string
    return str(symbol)


def read_facts() -> dict[str, list[tuple]]:
    """Every fact of facts/*.lp by predicate name, its arguments as Python values."""
    ctl = clingo.Control(["--warn=none"])
    for path in sorted((ROOT / "facts").glob("*.lp")):
        ctl.load(str(path))
    ctl.ground([("base", [])])
    out: dict[str, list[tuple]] = {}
    for atom in ctl.symbolic_atoms:
        if atom.is_fact:
            out.setdefault(atom.symbol.name, []).append(tuple(_value(a) for a in atom.symbol.arguments))
    return out


FACTS = read_facts()


def facts_of(name: str) -> list[tuple]:
    return FACTS.get(name, [])


# --- the blind transcription ---------------------------------------------------------------------
def read_blind() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The preamble and every section file, in file order."""
    preamble = yaml.safe_load((BLIND / "00-preamble.yaml").read_text(encoding="utf-8"))
    sections = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(BLIND.glob("0[1-9]-*.yaml"))]
    return preamble, sections


PREAMBLE, SECTIONS = read_blind()
ENTRIES = [(section, entry) for section in SECTIONS for entry in section["categories"]]
BLIND_CATEGORIES = {name: (section, entry) for section, entry in ENTRIES for name in entry["names"]}
GENERAL_LIST = next(n["links"][0] for n in PREAMBLE["notes"] if n["line"] == 3)
"""The general category list of L3: the facts' link for a category whose requirement has none."""


# --- reading both the same way -------------------------------------------------------------------
def document(name: str) -> str:
    """A document's name without its 《》, and without words in front of the 《…》 title (an
    issuer or a counterparty, 卫生健康部门的 / 合作医院的 …) or after it: the same document may be
    written 营业执照 or 《营业执照》 (source L47 vs L381, C7 of the blind README)."""
    title = re.search(r"《([^》]+)》", name)
    return title.group(1) if title else name


def strip_stop(text: str) -> str:
    return text[:-1] if text.endswith("。") else text


FACT_ITEMS = {i: {"name": n, "class": k} for i, n, k in facts_of("item")}
for _q, _p, _text in facts_of("item_qualified"):
    FACT_ITEMS[_q]["qualifier"] = _text
ROLE_NAMES = dict(facts_of("role"))
CATEGORY_IDS = {name: c for c, name in facts_of("category")}


def facts_item_key(item: str) -> tuple[str, str | None, bool]:
    info = FACT_ITEMS[item]
    return document(info["name"]), info.get("qualifier"), info["class"] == "partner"


def blind_item_key(entry: dict) -> tuple[str, str | None, bool]:
    return document(entry["name"]), entry["qualifier"], bool(entry["partner"])


def map_item(entry: dict) -> str | None:
    """The facts' item a blind item names: same document, qualifier and partner flag."""
    matches = [i for i in FACT_ITEMS if facts_item_key(i) == blind_item_key(entry)]
    return matches[0] if len(matches) == 1 else None


Alternative = tuple[frozenset[tuple[str, int]], str | None]


def facts_alternatives(category: str) -> Counter[Alternative]:
    counts = {(c, a, i): n for c, a, i, n in facts_of("requires_count")}
    reserved = {(c, a): ROLE_NAMES[r] for c, a, r in facts_of("reserved_for")}
    out: Counter[Alternative] = Counter()
    for c, alt, _label in facts_of("alternative"):
        if c != category:
            continue
        items = frozenset(
            (i, counts.get((c, alt, i), 1)) for c2, a2, i in facts_of("requires_item") if (c2, a2) == (c, alt)
        )
        out[items, reserved.get((c, alt))] += 1
    return out


def blind_alternatives(entry: dict) -> Counter[Alternative]:
    out: Counter[Alternative] = Counter()
    for alt in entry["alternatives"]:
        items = frozenset((map_item(i) or f"?{i['name']}[{i['qualifier']}]", i["count"]) for i in alt["items"])
        out[items, alt["reserved_for"]] += 1
    return out


def same_name(facts_name: str, item: dict) -> bool:
    """The facts and the blind transcription write an item's name alike: the same words, but for
    the 《》 the source itself gives or omits (营业执照 at L47 and L144, 《营业执照》 elsewhere), and
    for a counterparty's document, which the facts write with its holder in front
    (培训机构的《民办学校办学许可证》, docs/semantics.md#partner-items) where the blind
    transcription writes the document and ``partner: true``."""
    plain = facts_name.replace("《", "").replace("》", "")
    blind = item["name"].replace("《", "").replace("》", "")
    if item["partner"] and plain != blind:
        return plain.endswith(blind) and plain[: -len(blind)].endswith("的")
    return plain == blind


def facts_notes(category: str) -> list[str]:
    """The source's notes of a category as the facts hold them: the note of each activity and each
    category note. An activity whose text is the category's scene row (视频客服's "不涉及以上几类内容",
    L837) is a reading of that row, not a note, and is left out."""
    scene = dict(facts_of("category_scene")).get(category)
    texts = [t for _a, c, t in facts_of("activity") if c == category and t != scene]
    texts += [t for c, _n, t in facts_of("category_note") if c == category]
    return sorted(strip_stop(t) for t in texts)


def disagreements() -> dict[tuple[str, str], str]:
    """Every difference between the facts and the blind transcription: (category name, field) -> what."""
    found: dict[tuple[str, str], str] = {}

    def differ(name: str, field: str, facts: Any, blind: Any) -> None:
        if facts != blind:
            found[name, field] = f"facts {facts!r} / blind {blind!r}"

    differ("*", "category names", sorted(CATEGORY_IDS), sorted(BLIND_CATEGORIES))
    scenes = dict(facts_of("category_scene"))
    scopes = dict(facts_of("category_scope"))
    access = dict(facts_of("category_access"))
    sources = {c: (section, url, line) for c, section, url, line in facts_of("category_source")}
    for name, (section, entry) in sorted(BLIND_CATEGORIES.items()):
        c = CATEGORY_IDS.get(name)
        if c is None:
            continue
        differ(name, "access", access[c], entry["access"])
        differ(
            name,
            "access with a companion",
            sorted((p, a) for c2, p, a in facts_of("companion_access") if c2 == c),
            sorted((CATEGORY_IDS.get(w["category"], w["category"]), w["access"]) for w in entry["access_with"]),
        )
        differ(name, "scene", scenes[c], entry["scene"])
        differ(name, "scope", scopes[c], entry["scope"])
        differ(name, "notes", facts_notes(c), sorted(strip_stop(n) for n in entry["notes"]))
        heading = entry["heading"]
        where = heading if heading == section["section"] else f"{section['section']} > {heading}"
        differ(name, "source", sources[c], (where, entry["requirement_link"] or GENERAL_LIST, entry["heading_line"]))
        for alt in entry["alternatives"]:
            for item in alt["items"]:
                mapped = map_item(item)
                if mapped and not same_name(FACT_ITEMS[mapped]["name"], item):
                    found[name, f"name of {mapped}"] = f"facts {FACT_ITEMS[mapped]['name']} / blind {item['name']}"
        facts_alts, blind_alts = facts_alternatives(c), blind_alternatives(entry)
        if facts_alts != blind_alts:
            found[name, "alternatives"] = (
                f"facts only {sorted(map(_show, (facts_alts - blind_alts).elements()))} / "
                f"blind only {sorted(map(_show, (blind_alts - facts_alts).elements()))}"
            )
    return found


def _show(alternative: Alternative) -> str:
    items, role = alternative
    return (
        "{" + ", ".join(f"{i}×{n}" if n > 1 else i for i, n in sorted(items)) + "}" + (f" for {role}" if role else "")
    )


# --- the tests -----------------------------------------------------------------------------------
def test_the_disagreements_are_exactly_those_awaiting_a_facts_fix():
    found = disagreements()
    new = {k: v for k, v in found.items() if k not in PENDING}
    fixed = sorted(k for k in PENDING if k not in found)
    assert not new, f"the facts and the blind transcription disagree (resolve in docs/source-reading.md): {new}"
    assert not fixed, f"no longer a disagreement, remove from PENDING: {fixed}"


def test_each_pending_disagreement_names_its_fix():
    unexplained = sorted(k for k, why in PENDING.items() if "Fix:" not in why or "docs/source-reading.md" not in why)
    assert not unexplained, f"a pending disagreement must name its fix and its reading: {unexplained}"


def test_every_item_of_the_blind_transcription_names_one_item_of_the_facts():
    unmapped = sorted(
        {(i["name"], i["qualifier"], i["partner"]) for _, e in ENTRIES for a in e["alternatives"] for i in a["items"]}
        - {
            (i["name"], i["qualifier"], i["partner"])
            for _, e in ENTRIES
            for a in e["alternatives"]
            for i in a["items"]
            if map_item(i)
        }
    )
    assert not unmapped


def test_alternatives_number_62_in_the_facts_and_59_in_the_blind_transcription():
    """The blind transcription has one entry for 培训机构 - 职业培训/课外辅导 (one heading, one table,
    two 【…】 names, L124–L147) with its three alternatives; the facts give each of the two
    categories its own three: 59 + 3 = 62."""
    blind_rows = sum(len(e["alternatives"]) for _, e in ENTRIES)
    per_category = sum(len(e["alternatives"]) * len(e["names"]) for _, e in ENTRIES)
    assert (blind_rows, per_category, len(facts_of("alternative"))) == (59, 62, 62)
    assert [e["names"] for _, e in ENTRIES if len(e["names"]) > 1] == [
        ["教育-培训机构-职业培训", "教育-培训机构-课外辅导"]
    ]


def test_the_preamble_rules_and_notes_are_the_facts():
    """L2: personal subjects cannot stream live, government subjects use standard live directly;
    L3 and L5: the general notes (the facts leave out the spaces around the source's link text)."""
    rules = {r["subject"]: r for r in PREAMBLE["subject_rules"]}
    assert facts_of("unsupported_subject_type") == [("personal", rules["个人认证的微信小程序"]["source_line"])]
    government = rules["政府主体认证的小程序"]
    assert facts_of("direct_route") == [("government", government["direct_access"], government["source_line"])]
    notes = {n["line"]: re.sub(r"\s+", "", n["text"]) for n in PREAMBLE["notes"]}
    for _id, text, line in facts_of("general_note"):
        assert re.sub(r"\s+", "", text) in notes[line], (line, text)
