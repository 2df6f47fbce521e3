"""The profile in the query string: the form's fields as the URL gives them.

The form is submitted with GET, so the query string *is* the profile and a link
reproduces the answer: ``subject`` (type), ``role``, ``doc`` (items held),
``count.<item>`` (how many of a counted item), ``act`` (activities),
``scenario``, ``cat`` (candidate categories), ``access``, ``cost.<item>``
(cost overrides); ``lang`` picks the language and ``plan=N`` one of several
tied plans for the checklist.

The guided steps add keys that only steer the page, never the profile:
``step`` (the screen the form is on, 1–4; without it, the answer), ``next``
(the screen's button: go on), ``setlang`` (the language button: stay, in the
other language), ``q.<plain item>`` (the answer to a qualified document's
sub-question, turned into ``doc`` values before the URL is shared) and
``added`` / ``was`` (the what-if banner: the item added and the cost before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

__all__ = ["LIST_KEYS", "SINGLE_KEYS", "FormState"]

LIST_KEYS = {"role", "doc", "act", "cat"}
SINGLE_KEYS = {"subject", "scenario", "access"}
PAGE_KEYS = {"lang", "step", "next", "back", "setlang", "plan", "added", "was", "prev"}
"""Keys that steer the page (language, screen, what-if banner) and are no part of the profile."""
_INTEGER = re.compile(r"\s*-?\d{1,12}\s*")


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

    def held_in(self, items: list[str]) -> int:
        """How many of ``items`` the form says are held."""
        return sum(1 for i in items if self.held_count(i) > 0)

    def held_count(self, i: str) -> int:
        """How many of item ``i`` the form says are held (a count replaces a checked document)."""
        if i in self.counts:
            value = _number(self.counts[i])
            return value if isinstance(value, int) else 0
        return 1 if i in self.docs else 0


def _number(text: str) -> int | str:
    return int(text) if _INTEGER.fullmatch(text) else text
