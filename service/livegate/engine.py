"""The engine: a knowledge base grounded once, a profile answered per call.

``Engine()`` loads the knowledge base shipped with the package. A call validates
the profile (:mod:`livegate.profile`), turns it into input atoms
(:func:`livegate.contract.input_atoms`), solves (:mod:`livegate.solver`) and
writes the answer (:mod:`livegate.answer`)::

    engine = Engine()
    answer = engine.evaluate({"subject": {"type": "enterprise"}, "documents": ["business_license"]})
    answer["cheapest"]["cost"]

:meth:`Engine.evaluate` returns fresh Python objects; :meth:`Engine.answer`
returns the answer as JSON bytes (what the API sends), with what a decision log
records of it; :meth:`Engine.summary` returns only that record (statuses and
the goal's cheapest plans), which an engine made with ``summary_only`` answers
from the rules' summary, with about a third fewer solver variables
(``livegate batch --csv``).
"""

from __future__ import annotations

from typing import Any

from . import contract
from .answer import Shaped, Shaper, Summary
from .kb import Knowledge
from .profile import Profile, parse_profile
from .solver import Answer, EvaluationTimeout, Groundings, Overrides
from .words import LANGUAGES

__all__ = ["FRAGMENT_CACHE_BYTES", "PLAN_CACHE_BYTES", "Engine", "EvaluationTimeout"]

FRAGMENT_CACHE_BYTES = 8 * 1024 * 1024
"""Default bound of the shaper's cache of category fragments (see ``docs/engine.md``)."""

PLAN_CACHE_BYTES = 2 * 1024 * 1024
"""Default bound of the shaper's cache of plans, in bytes of their JSON (see ``docs/engine.md``)."""


class Engine:
    """Answers profiles against one knowledge base.

    ``pool_size`` Controls of each grounding (the default one, and the one for
    profiles with costs of their own: ``override_pool_size``, default the same)
    are ground for concurrent calls (one per thread at a time); ``timeout`` bounds each
    evaluation (seconds, None: unbounded);
    ``fragment_cache_bytes`` and ``plan_cache_bytes`` bound the shaper's caches of
    category fragments and of plans (0: none); ``fill_pools`` grounds every Control of the pools right after
    start-up, on a background thread (the server does), instead of on demand;
    ``summary_only`` grounds the rules for a summary instead of a full answer: such an
    engine answers :meth:`summary` (in about half the time of :meth:`answer`), not :meth:`answer` or
    :meth:`evaluate`.
    """

    def __init__(
        self,
        knowledge: Knowledge | None = None,
        *,
        pool_size: int = 4,
        override_pool_size: int | None = None,
        timeout: float | None = None,
        fragment_cache_bytes: int = FRAGMENT_CACHE_BYTES,
        plan_cache_bytes: int = PLAN_CACHE_BYTES,
        fill_pools: bool = False,
        summary_only: bool = False,
    ):
        self.knowledge = knowledge or Knowledge.load()
        self.catalogue = self.knowledge.catalogue
        self.ruleset = self.knowledge.ruleset
        self.timeout = timeout
        self.groundings = Groundings(
            self.knowledge,
            pool_size=pool_size,
            override_pool_size=override_pool_size,
            fill=fill_pools,
            summary=summary_only,
        )
        self.summary_only = summary_only
        self.shaper = Shaper(
            self.catalogue,
            self.ruleset,
            fragment_cache_bytes=fragment_cache_bytes,
            plan_cache_bytes=plan_cache_bytes,
        )
        self.default_units = {i: it.default_cost for i, it in self.catalogue.items.items()}

    def parse(self, data: Any) -> Profile:
        """Validate a decoded JSON profile; raises :class:`~livegate.profile.ProfileError`."""
        return parse_profile(data, self.catalogue)

    def input_atoms(self, profile: Profile) -> set[tuple[Any, ...]]:
        """The profile's input atoms (one external of the grounding each)."""
        return contract.input_atoms(profile, self.catalogue.counted_limit)

    def overrides(self, profile: Profile) -> Overrides:
        """The profile's cost overrides that differ from the defaults, sorted."""
        items = self.catalogue.items
        return tuple(sorted((i, w) for i, w in profile.costs.items() if w != items[i].default_cost))

    def unit_costs(self, profile: Profile) -> dict[str, int]:
        """Every item's unit cost for this profile: its own cost where it states one, else the
        default of the item's issuer class (what a profile's costs mean, docs/semantics.md#cost-overrides)."""
        if not profile.costs:
            return self.default_units
        return {**self.default_units, **profile.costs}

    def solve(self, profile: Profile, timeout: float | None = None) -> Answer:
        """Solve a validated profile: the raw atoms of the answer."""
        bound = self.timeout if timeout is None else timeout
        return self.groundings.solve(self.input_atoms(profile), self.overrides(profile), bound)

    def answer(
        self, data: Any, *, explain: bool = True, lang: str = LANGUAGES[0], timeout: float | None = None
    ) -> Shaped:
        """Answer one profile (decoded JSON or a :class:`Profile`): the answer as JSON bytes."""
        if self.summary_only:
            raise TypeError("this engine grounds the rules for a summary only: call summary(), or make a full engine")
        profile = data if isinstance(data, Profile) else self.parse(data)
        return self.shaper.shape(
            profile,
            self.solve(profile, timeout),
            self.unit_costs(profile),
            self.overrides(profile),
            explain=explain,
            lang=lang,
        )

    def summary(self, data: Any, *, timeout: float | None = None) -> Summary:
        """One profile's :class:`~livegate.answer.Summary` (decoded JSON or a :class:`Profile`):
        its statuses and the goal's cheapest plans, without writing the answer."""
        profile = data if isinstance(data, Profile) else self.parse(data)
        return self.shaper.summarise(self.solve(profile, timeout), self.unit_costs(profile), self.overrides(profile))

    def cache_stats(self) -> dict[str, dict[str, int]]:
        """What the answer writer's caches hold (category fragments, sentences) and their limits."""
        return self.shaper.stats()

    def evaluate(
        self, data: Any, *, explain: bool = True, lang: str = LANGUAGES[0], timeout: float | None = None
    ) -> dict[str, Any]:
        """Answer one profile (decoded JSON or a :class:`Profile`) as fresh Python objects."""
        return self.answer(data, explain=explain, lang=lang, timeout=timeout).json()
