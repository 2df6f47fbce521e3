"""A category's requirement structure as an SVG picture, drawn on the server.

One category is a set of alternatives (any one suffices, "or"); each
alternative is a set of items (all of them, "and"). The picture shows the
category at the top, a trunk with one box per alternative, and inside each box
its items with a mark: held, missing, or not held.

This module only draws: :class:`Diagram` says what to draw (names, marks,
labels, already in the page's language) and :func:`render` lays it out. Which
alternative is met and which item is missing is decided by the engine; the web
page (``web.py``) reads that from the answer and fills in the marks.

Text is wrapped by an estimate of its width (a CJK character is one em wide, a
Latin one a little over half, a bold one a little wider), so no font metrics or
external fonts are needed. The page draws each diagram twice (:func:`figure`): at
:data:`WIDTH` and at :data:`NARROW` for a phone, every text wrapped to the width
it is drawn at, so a long title or option label is read whole without scrolling.
The SVG uses presentation attributes only (no ``<style>``, no ``style=``), so it
works under a strict Content-Security-Policy, inline or as an image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape, quoteattr

from ..contract import STATUSES

__all__ = ["MARKS", "NARROW", "STATES", "WIDTH", "Alternative", "Diagram", "Item", "figure", "render"]

MARKS = ("held", "lacking", "absent")
"""An item's mark: the subject holds it, the engine lists it as missing, or the profile does not hold it."""

STATES = ("met", "lacking", "other")
"""An alternative's state: the engine says it is fully held, it is one of the engine's minimal missing sets,
or neither (not minimal, or reserved for a role the subject lacks)."""

WIDTH = 680
"""The drawn width of a diagram (and of ``/diagram/<id>.svg``)."""
NARROW = 300
"""The drawn width of a diagram on a phone (a card of a screen 354 px wide or wider holds it whole)."""
PAD = 16
TRUNK_X = 26
BOX_X = 48
FONT = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif"

_INK, _MUTED, _LINE = "#1d2939", "#667085", "#98a2b3"
_COLOURS = {  # (stroke, fill) by state or mark
    "met": ("#1a7f37", "#ecfdf3"),
    "held": ("#1a7f37", "#1a7f37"),
    "lacking": ("#b42318", "#fef3f2"),
    "absent": ("#667085", "#ffffff"),
    "other": ("#98a2b3", "#f9fafb"),
}
_STATUS_COLOURS = dict(zip(STATUSES, ("#1a7f37", "#b54708", "#667085", "#b42318"), strict=True))
"""The badge colour of each status, in the contract's order of statuses."""


@dataclass
class Item:
    """One required item as drawn: its name (with qualifier), a detail line and its mark."""

    name: str
    detail: str
    mark: str


@dataclass
class Alternative:
    """One alternative: its label as the source writes it, its state, a note (what it lacks, whom it is
    reserved for) and its items."""

    label: str
    state: str
    note: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Diagram:
    """What to draw, every text already in the page's language."""

    key: str  # unique per page: prefixes the ids of <title>/<desc>
    title: str  # the category's name
    subtitle: str  # e.g. the access method
    status: str | None  # eligible | missing | not_applicable | blocked, or None without a profile
    status_label: str
    alternatives: list[Alternative]
    words: dict[str, str]  # "or", "all_of", "nothing_required", "held", "lacking", "absent"
    description: str = ""


# -- text measurement -------------------------------------------------------------
def _char_width(ch: str, size: float) -> float:
    code = ord(ch)
    if code >= 0x2E80 or 0x2010 <= code <= 0x206F:  # CJK, full-width forms, and “ ” — … as CJK fonts draw them
        return size
    if ch in "ilI.,:;'|!() ":
        return size * 0.32
    if ch.isupper() or ch in "mwMW@%":
        return size * 0.72
    return size * 0.56


_BOLD = 1.08
"""How much wider a bold Latin letter is drawn than a regular one (CJK characters stay one em)."""


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated width of ``text`` at font size ``size`` (pixels), in bold when ``bold``."""
    if not bold:
        return sum(_char_width(ch, size) for ch in text)
    return sum(w if w >= size else w * _BOLD for w in (_char_width(ch, size) for ch in text))


_TOKEN = re.compile(r"[A-Za-z0-9\-'/.%]+\s*|\s+|.")


_NO_LINE_START = frozenset("》」』）)】〕〉，。、；：！？”’…·")
"""Closing marks that do not begin a line (CJK line breaking): the character before them goes along."""
_NO_LINE_END = frozenset("《「『（(【〔〈“‘")
"""Opening marks that do not end a line: they go along to the next."""


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: between CJK characters anywhere (not before a
    closing mark, :data:`_NO_LINE_START`, nor after an opening one, :data:`_NO_LINE_END`), Latin text at
    spaces (a Latin word longer than a line is broken inside)."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if text_width(line + token.rstrip(), size, bold) <= width:
            line += token
            continue
        carry = ""
        kept = line.rstrip()
        if token[:1] in _NO_LINE_START:  # the closing marks the line ends with, and the character before them
            n = len(kept)
            while n > 1 and kept[n - 1] in _NO_LINE_START:
                n -= 1
            if n > 1 and _char_width(kept[n - 1], 1) >= 1:
                carry, kept = kept[n - 1 :], kept[: n - 1]
        while len(kept) > 1 and kept[-1] in _NO_LINE_END:
            carry, kept = kept[-1] + carry, kept[:-1]
        if carry:
            line = kept
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        rest = carry + token if carry else (token.lstrip() if not line else token)
        while text_width(rest.rstrip(), size, bold) > width:  # a single overlong token
            cut = len(rest)
            while cut > 1 and text_width(rest[:cut], size, bold) > width:
                cut -= 1
            lines.append(rest[:cut])
            rest = rest[cut:]
        line = rest
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


# -- drawing ------------------------------------------------------------------------
def _text(
    x: float,
    y: float,
    lines: list[str],
    size: float,
    *,
    fill: str = _INK,
    weight: str = "normal",
    leading: float = 1.35,
    anchor: str = "start",
    source: bool = False,
) -> str:
    spans = "".join(
        f'<tspan x="{x:g}" dy="{0 if k == 0 else size * leading:g}">{escape(line)}</tspan>'
        for k, line in enumerate(lines)
    )
    lang = ' lang="zh-CN"' if source else ""  # the source's own words, quoted
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" font-weight="{weight}" fill="{fill}" '
        f'text-anchor="{anchor}"{lang}>{spans}</text>'
    )


def _marker(cx: float, cy: float, mark: str) -> str:
    stroke, fill = _COLOURS[mark]
    if mark == "held":
        return (
            f'<circle cx="{cx:g}" cy="{cy:g}" r="7" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
            f'<path d="M{cx - 3.5:g} {cy:g} l2.5 2.5 l4.5 -5" fill="none" stroke="#ffffff" '
            f'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>'
        )
    if mark == "lacking":
        return (
            f'<circle cx="{cx:g}" cy="{cy:g}" r="7" fill="#ffffff" stroke="{stroke}" stroke-width="1.8"/>'
            f'<path d="M{cx - 3:g} {cy - 3:g} l6 6 M{cx + 3:g} {cy - 3:g} l-6 6" stroke="{stroke}" '
            f'stroke-width="1.6" stroke-linecap="round"/>'
        )
    return (
        f'<circle cx="{cx:g}" cy="{cy:g}" r="6.5" fill="#ffffff" stroke="{stroke}" stroke-width="1.3" '
        f'stroke-dasharray="2 2"/>'
    )


def render(d: Diagram, width: int = WIDTH, variant: str = "") -> str:
    """The SVG document (a string, no XML declaration) for ``d``, drawn ``width`` pixels wide; a
    ``variant`` is added to its class (``diagram diagram-narrow``)."""
    parts: list[str] = []
    y: float = PAD
    # title, subtitle and status badge: the badge beside the title, or under it where beside it would
    # leave the title less than half the width
    title_width: float = width - 2 * PAD
    bw = text_width(d.status_label, 13, bold=True) + 20 if d.status is not None else 0.0
    beside = d.status is not None and width - 2 * PAD - bw - 12 >= title_width / 2
    if beside:
        title_width = width - 2 * PAD - bw - 12
    title_lines = wrap(d.title, title_width, 18, bold=True)
    parts.append(_text(PAD, y + 18, title_lines, 18, weight="bold", source=True))
    if d.status is not None:
        colour = _STATUS_COLOURS.get(d.status, _MUTED)
        bx, by = (width - PAD - bw, y) if beside else (PAD, y + 18 * 1.35 * len(title_lines) + 2)
        parts.append(
            f'<rect x="{bx:g}" y="{by:g}" width="{bw:g}" height="24" rx="12" fill="{colour}"/>'
            + _text(bx + bw / 2, by + 16.5, [d.status_label], 13, fill="#ffffff", weight="bold", anchor="middle")
        )
        if not beside:
            y += 24 + 6
    y += 18 * 1.35 * len(title_lines) + 4
    sub_lines = wrap(d.subtitle, width - 2 * PAD, 13)
    parts.append(_text(PAD, y + 13, sub_lines, 13, fill=_MUTED))
    y += 13 * 1.35 * len(sub_lines) + 14

    trunk_top = y - 4
    box_w = width - BOX_X - PAD
    join_ys: list[float] = []
    for k, alt in enumerate(d.alternatives):
        if k:
            or_width = text_width(d.words["or"], 12) + 6
            parts.append(
                f'<rect x="{TRUNK_X - or_width / 2:g}" y="{y - 11:g}" width="{or_width:g}" height="16" fill="#ffffff"/>'
            )
            parts.append(_text(TRUNK_X, y + 2, [d.words["or"]], 12, fill=_MUTED, weight="bold", anchor="middle"))
            y += 14
        stroke, fill = _COLOURS[alt.state]
        top = y
        inner: list[str] = []
        cy = top + 12
        label_lines = wrap(alt.label, box_w - 24, 14, bold=True)
        inner.append(_text(BOX_X + 12, cy + 14, label_lines, 14, weight="bold", source=True))
        cy += 14 * 1.35 * len(label_lines) + 2
        note_lines = wrap(alt.note, box_w - 24, 12.5, bold=True) if alt.note else []
        if note_lines:
            inner.append(
                _text(
                    BOX_X + 12,
                    cy + 13,
                    note_lines,
                    12.5,
                    fill=stroke if alt.state != "other" else _MUTED,
                    weight="bold",
                )
            )
            cy += 12.5 * 1.35 * len(note_lines) + 2
        header_mid = top + 22
        if alt.items:
            if len(alt.items) > 1:
                all_of = wrap(d.words["all_of"], box_w - 24, 12)
                inner.append(_text(BOX_X + 12, cy + 14, all_of, 12, fill=_MUTED))
                cy += 18 + 12 * 1.35 * (len(all_of) - 1)
            for item in alt.items:
                cy += 6
                name_lines = wrap(item.name, box_w - 52, 13)
                inner.append(_marker(BOX_X + 22, cy + 9, item.mark))
                inner.append(_text(BOX_X + 38, cy + 13, name_lines, 13, source=True))
                cy += 13 * 1.35 * len(name_lines)
                detail_lines = wrap(item.detail, box_w - 52, 12) if item.detail else []
                if detail_lines:
                    colour = _COLOURS[item.mark][0] if item.mark != "absent" else _MUTED
                    inner.append(_text(BOX_X + 38, cy + 12, detail_lines, 12, fill=colour))
                    cy += 12 * 1.35 * len(detail_lines)
        else:
            cy += 4
            nothing = wrap(d.words["nothing_required"], box_w - 24, 13)
            inner.append(_text(BOX_X + 12, cy + 13, nothing, 13, fill=_MUTED))
            cy += 18 + 13 * 1.35 * (len(nothing) - 1)
        bottom = cy + 12
        dash = ' stroke-dasharray="5 4"' if alt.state == "other" else ""
        parts.append(
            f'<rect x="{BOX_X:g}" y="{top:g}" width="{box_w:g}" height="{bottom - top:g}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
        )
        parts.extend(inner)
        parts.append(f'<path d="M{TRUNK_X:g} {header_mid:g} H{BOX_X:g}" stroke="{_LINE}" stroke-width="1.5"/>')
        join_ys.append(header_mid)
        y = bottom + 10
    if join_ys:
        parts.insert(0, f'<path d="M{TRUNK_X:g} {trunk_top:g} V{join_ys[-1]:g}" stroke="{_LINE}" stroke-width="1.5"/>')

    # legend: its marks in a row, the next on a new row where the row is full
    y += 4
    x: float = PAD
    for mark in MARKS:
        label = d.words[mark]
        step = 20 + text_width(label, 12) + 18
        if x > PAD and x + step - 18 > width - PAD:
            x, y = PAD, y + 22
        parts.append(_marker(x + 7, y + 8, mark))
        parts.append(_text(x + 20, y + 12.5, [label], 12, fill=_MUTED))
        x += step
    height = y + 16 + PAD

    title_id, desc_id = f"{d.key}-title", f"{d.key}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:g}" width="{width}" '
        f'height="{height:g}" role="img" aria-labelledby={quoteattr(title_id + " " + desc_id)} '
        f"font-family={quoteattr(FONT)} class={quoteattr(' '.join(filter(None, ('diagram', variant))))}>"
        f"<title id={quoteattr(title_id)}>{escape(d.title)}</title>"
        f"<desc id={quoteattr(desc_id)}>{escape(d.description)}</desc>"
        f'<rect width="{width}" height="{height:g}" fill="#ffffff"/>'
    )
    return head + "".join(parts) + "</svg>"


def figure(d: Diagram) -> str:
    """The diagram as the page shows it: drawn at :data:`WIDTH` (``diagram-wide``) and at :data:`NARROW`
    (``diagram-narrow``, its ids suffixed ``-narrow``); the stylesheet shows the one that fits the screen."""
    return render(d, WIDTH, "diagram-wide") + render(replace(d, key=f"{d.key}-narrow"), NARROW, "diagram-narrow")
