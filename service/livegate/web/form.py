"""The profile in the query string: the form's fields as the URL gives them.

The form is submitted with GET, so the query string *is* the profile and a link
reproduces the answer: ``subject`` (type), ``role``, ``doc`` (items held),
``count.<item>`` (how many of a counted item), ``act`` (activities),
``scenario``, ``cat`` (candidate categories), ``access``, ``cost.<item>``
(cost overrides); ``lang`` picks the language and ``plan=N`` one of several
tied plans for the checklist.

The guided steps add keys that only steer the page, never the profile:
``step`` (the screen the form is on, 1–4; without it, the answer), ``next``
(the screen's button: go on), ``back`` (back one screen), ``goto`` (the stepper: back to screen N,
keeping what this screen has ticked), ``skip`` (the answer at once, offered to a subject
whose type streams directly), ``setlang`` (the language button: stay, in the
other language), ``q.<plain item>`` (the answer to a qualified document's
sub-question, turned into ``doc`` values before the URL is shared) and
``added`` / ``was`` / ``prev`` (the what-if banner: the item added, the cost before and the count
held before).

Any other key is not the page's: a share link may carry harmless ones (``utm_source``, ``fbclid``,
``from``, …), which are left alone. A key that *looks like* one of the page's own but is not
(:func:`mistyped_key`: ``costs.business_license``, ``docs``, ``Subject``, the API's ``documents``)
would be dropped just as silently and the answer given for another profile, so the page refuses it.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

__all__ = [
    "BUTTONS",
    "LIST_KEYS",
    "PAGE_KEYS",
    "SINGLE_KEYS",
    "STEERING_FAMILIES",
    "FormState",
    "mistyped_key",
    "mistyped_keys",
    "own_key",
    "single_valued",
]

LIST_KEYS = {"role", "doc", "act", "cat"}
SINGLE_KEYS = {"subject", "scenario", "access"}
BUTTONS = ("next", "back", "goto", "skip", "setlang")
"""The screens' buttons: a submission that names one is steered (and the key dropped from its URL)."""
PAGE_KEYS = {"lang", "step", *BUTTONS, "plan", "added", "was", "prev"}
"""Keys that steer the page (language, screen, what-if banner) and are no part of the profile."""
_INTEGER = re.compile(r"\s*-?\d{1,12}\s*")

FAMILIES = ("count", "cost")
"""The profile's key families: ``count.<item>``, ``cost.<item>``."""
STEERING_FAMILIES = ("q.", "role.")
"""The screens' own key families (a sub-question's answer, the roles ticked under a subject type)."""
_OWN = LIST_KEYS | SINGLE_KEYS | PAGE_KEYS | {"asked"}
_TYPED = (*sorted(LIST_KEYS | SINGLE_KEYS), *FAMILIES, "lang", "plan", "step")
"""The keys someone may type into an address by hand, to which a near miss is taken as a typo."""
_SPELLED = {
    "documents": "doc",
    "document": "doc",
    "activities": "act",
    "activity": "act",
    "categories": "cat",
    "category": "cat",
    "candidates": "cat",
    "roles": "role",
    "counts": "count",
    "costs": "cost",
    "language": "lang",
    "subject_type": "subject",
    "subject.type": "subject",
    "subject.roles": "role",
    "goal.scenario": "scenario",
    "goal.categories": "cat",
    "goal.access": "access",
}
"""The API's names of the profile's fields (docs/semantics.md#input), by the page's key for them."""
_SEPARATOR = re.compile(r"[.\-_\[:]")
_LONGEST = 24
"""A key longer than this is no near miss of a page's key (and is not compared)."""
_ALIKE = 0.75
"""How alike (difflib's ratio) a key must be to one of the page's to be taken as a typo of it."""


@dataclass
class FormState:
    """The form's fields as the query string gives them (strings, unvalidated)."""

    subject: str | None = None
    roles: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    counts: dict[str, str] = field(default_factory=dict)
    acts: list[str] = field(default_factory=list)
    scenario: str | None = None
    cats: list[str] = field(default_factory=list)
    access: str | None = None
    costs: dict[str, str] = field(default_factory=dict)
    present: bool = False

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> FormState:
        def unique(key: str) -> list[str]:
            return list(dict.fromkeys(v for v in args.getlist(key) if v))

        state = cls(
            subject=args.get("subject") or None,
            roles=unique("role"),
            docs=unique("doc"),
            acts=unique("act"),
            scenario=args.get("scenario") or None,
            cats=unique("cat"),
            access=args.get("access") or None,
        )
        for key, value in args.items(multi=True):
            if key.startswith("count.") and value.strip():
                state.counts[key[len("count.") :]] = value.strip()
            elif key.startswith("cost.") and value.strip():
                state.costs[key[len("cost.") :]] = value.strip()
        state.present = any(k in LIST_KEYS or k in SINGLE_KEYS or k.startswith(("count.", "cost.")) for k in args)
        return state

    def to_profile(self) -> dict[str, Any]:
        """The profile as the engine reads it (the JSON shape of docs/semantics.md#input). Numbers that do not parse
        are passed on as text, so the engine's validation names the field and the problem."""
        subject: dict[str, Any] = {}
        if self.subject is not None:
            subject["type"] = self.subject
        subject["roles"] = self.roles
        goal: dict[str, Any] = {"categories": self.cats}
        if self.scenario is not None:
            goal["scenario"] = self.scenario
        if self.access is not None:
            goal["access"] = self.access
        return {
            "subject": subject,
            "documents": self.docs,
            "counts": {i: _number(v) for i, v in self.counts.items()},
            "activities": self.acts,
            "goal": goal,
            "costs": {i: _number(v) for i, v in self.costs.items()},
        }

    def held_count(self, i: str) -> int:
        """How many of item ``i`` the form says are held (a count replaces a checked document)."""
        if i in self.counts:
            value = _number(self.counts[i])
            return value if isinstance(value, int) else 0
        return 1 if i in self.docs else 0


def _number(text: str) -> int | str:
    return int(text) if _INTEGER.fullmatch(text) else text


def own_key(key: str) -> bool:
    """Whether ``key`` is one the page reads (a profile's, a screen's or a page's own)."""
    return key in _OWN or key.startswith(tuple(f"{f}." for f in FAMILIES) + STEERING_FAMILIES)


def _split(key: str) -> tuple[str | None, str | None, str]:
    """``key`` read without comparing it by likeness: the page's key it is written for (or None),
    the stem still to compare with the page's keys (or None: nothing to compare), and what follows
    the stem (``costs.business_license`` → ``cost.business_license``, None, ``business_license``)."""
    if own_key(key):
        return None, None, ""
    lower = key.lower()
    if own_key(lower):
        return lower, None, ""
    if lower in _SPELLED:
        return _SPELLED[lower], None, ""
    match = _SEPARATOR.search(lower)
    stem, rest = (lower[: match.start()], key[match.end() :].rstrip("]")) if match else (lower, "")
    if stem in _SPELLED:
        return _joined(_SPELLED[stem], rest), None, rest
    if len(stem) < 3 or len(stem) > _LONGEST:  # a stem under three letters is none
        return None, None, rest
    return None, stem, rest


def _joined(own: str, rest: str) -> str:
    return f"{own}.{rest or '…'}" if own in FAMILIES else own


@functools.lru_cache(maxsize=1024)
def _alike(stem: str) -> str | None:
    """The most alike of the keys typed by hand that ``stem`` (in lower case) is a near miss of
    (:class:`difflib.SequenceMatcher`, a ratio of at least :data:`_ALIKE`: ``docs``, ``scenarios``,
    ``lan``), the earlier of :data:`_TYPED` on a tie ("lan": lang, not plan)."""
    scores = []
    for k, own in enumerate(_TYPED):
        alike = difflib.SequenceMatcher(None, stem, own)
        # the two cheap upper bounds of the ratio first: most keys are far from most of the page's
        if alike.real_quick_ratio() >= _ALIKE and alike.quick_ratio() >= _ALIKE:
            scores.append((alike.ratio(), -k, own))
    score, _, found = max(scores, default=(0.0, 0, ""))
    return found if score >= _ALIKE else None


def mistyped_key(key: str) -> str | None:
    """The page's key that ``key`` looks like a typo of (``costs.business_license`` →
    ``cost.business_license``, ``docs`` → ``doc``, ``Subject`` → ``subject``, ``documents`` → ``doc``),
    or None: the key is the page's own, or nothing like one (``utm_source``, ``fbclid``, ``foo``), which
    the page leaves alone."""
    return mistyped_keys([key]).get(key)


COMPARED = 20
"""At most this many keys of one address are compared by likeness with the page's keys (the rest
are left alone, as a key nothing like one of the page's is): each comparison is a dozen of
difflib's ratios, and an address of 900 made-up keys cost 100 ms of CPU (docs/web.md#shared-links)."""


def mistyped_keys(keys: Iterable[str]) -> dict[str, str]:
    """Each of ``keys`` (once, in order) that looks like a typo of one of the page's keys, with that
    key (:func:`mistyped_key`), comparing at most :data:`COMPARED` of them by likeness."""
    out: dict[str, str] = {}
    compared = 0
    for key in dict.fromkeys(keys):
        own, stem, rest = _split(key)
        if stem is not None and compared < COMPARED:
            compared += 1
            near = _alike(stem)
            own = None if near is None else _joined(near, rest)
        if own is not None:
            out[key] = own
    return out


def single_valued(key: str) -> bool:
    """Whether the profile's key ``key`` takes one value (``subject``, ``scenario``, ``access``,
    ``count.<item>``, ``cost.<item>``): given twice with different values, it is refused, not one of
    them taken."""
    return key in SINGLE_KEYS or key.startswith(tuple(f"{f}." for f in FAMILIES))
