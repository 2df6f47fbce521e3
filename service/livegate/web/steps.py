"""The guided check's four screens: what each one asks, taken from the catalogue.

1. **Scenario** — what the mini program streams (the source's 小程序直播场景).
2. **Subject** — the subject type, and the roles that type may hold
   (``role_subject_type/2``) and that some category of the scenario reserves an
   alternative for; a role the type implies (``role_implied_by_subject/2``) is
   never asked.
3. **Documents** — only the items some category of the scenario asks for
   (leaving out alternatives reserved for a role the subject neither declared
   nor is implied to hold, and those asking for a document its type cannot
   hold: 《事业单位法人证书》 is not asked of a 企业), grouped by the first category that asks for them. A
   plain document and the qualified forms the scenario asks for are one
   question with a sub-question on the qualifier (``item_qualified/3``).
4. **Activities** — the source's notes on the scenario's categories, the access
   method and candidate categories, and cost overrides under "advanced".

A subject whose type streams directly, with no category (the catalogue's
``direct_access``, the rules' ``direct_route/3``: 政府), is offered its answer
right after the subject screen when the engine's answer to what it has entered is
that route (``views._direct_route``); the remaining screens stay open to it.

This module chooses *what to ask*; it decides nothing about the answer: what a
held document satisfies, what is missing and what is cheapest all come from the
engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kb import Alternative, Catalogue

__all__ = ["STEPS", "DocGroup", "DocQuestion", "Questions"]

STEPS = (1, 2, 3, 4)
"""The screens of the guided check; the answer comes after the last."""


@dataclass
class DocQuestion:
    """One document asked: its plain form and the qualified forms the scenario asks for (the sub-question)."""

    item: str
    qualified: list[str] = field(default_factory=list)
    counted: bool = False

    @property
    def ids(self) -> list[str]:
        """Every item id this question can set."""
        return [self.item, *self.qualified]


@dataclass
class DocGroup:
    """The documents first asked for by one category (its id), in the source's order."""

    category: str
    questions: list[DocQuestion]


class Questions:
    """What the screens ask for one scenario (or every scenario when ``scenario`` is None) and subject."""

    def __init__(self, cat: Catalogue, scenario: str | None, subject: str | None, roles: list[str]):
        self.cat = cat
        self.scenario = scenario if scenario in cat.scenarios else None
        self.subject = subject if subject in cat.subject_types else None
        self.categories = [c for c, info in cat.categories.items() if self.scenario in (None, info.scenario)]
        implied = {r for r, t in cat.role_implied_by_subject.items() if t == self.subject}
        self.held_roles = set(roles) | implied
        self.implied_roles = implied

    # -- step 2 ----------------------------------------------------------------------------
    def roles_for(self, subject: str) -> list[str]:
        """The roles a subject of type ``subject`` may declare that matter for the scenario."""
        implied = {r for r, t in self.cat.role_implied_by_subject.items() if t == subject}
        reserved = {r for c in self.categories for alt in self.cat.categories[c].alternatives for r in alt.reserved_for}
        return [
            r
            for r, role in self.cat.roles.items()
            if r in reserved and r not in implied and subject in role.subject_types
        ]

    # -- step 3 ----------------------------------------------------------------------------
    def opens(self, alt: Alternative) -> bool:
        """Whether the alternative can apply to the subject: reserved for no role or one it holds,
        and asking for no item its type cannot hold (``item_subject_type/2``), as the rules'
        ``open_alternative/2`` reads the same facts (a test compares the two for every subject
        type and role)."""
        if alt.reserved_for and not self.held_roles & set(alt.reserved_for):
            return False
        types = (self.cat.items[req.item].subject_types for req in alt.items)
        return self.subject is None or all(not t or self.subject in t for t in types)

    def doc_groups(self) -> list[DocGroup]:
        """The documents to ask about, grouped by the first category (source order) that asks for them."""
        placed: dict[str, DocQuestion] = {}
        groups: list[DocGroup] = []
        for c in self.categories:
            fresh: list[DocQuestion] = []
            for alt in self.cat.categories[c].alternatives:
                if not self.opens(alt):
                    continue
                for req in alt.items:
                    it = self.cat.items[req.item]
                    plain = it.plain_form or req.item
                    question = placed.get(plain)
                    if question is None:
                        question = DocQuestion(plain, counted=self.cat.items[plain].counted)
                        placed[plain] = question
                        fresh.append(question)
                    if it.plain_form and req.item not in question.qualified:
                        question.qualified.append(req.item)
            if fresh:  # the weightiest first: licences, then registrations, partners' and own documents
                fresh.sort(key=lambda q: -self.cat.items[q.item].default_cost)
                groups.append(DocGroup(c, fresh))
        for question in placed.values():  # the catalogue's order of the qualified forms
            order = list(self.cat.items[question.item].qualified_forms)
            question.qualified.sort(key=order.index)
        return groups

    def asked_items(self) -> list[str]:
        """Every item id the documents screen can set, in the order it asks them (the own costs'
        fold lists them so: by id, Chinese names came in no order a reader could see)."""
        return list(dict.fromkeys(i for g in self.doc_groups() for q in g.questions for i in q.ids))

    # -- step 4 ----------------------------------------------------------------------------
    def activities(self) -> list[str]:
        """The activities (the source's notes) of the scenario's categories, in catalogue order."""
        return [a for a, act in self.cat.activities.items() if act.category in self.categories]
