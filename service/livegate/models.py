"""The shape of every JSON document livegate publishes, as pydantic models.

These models are the one definition of the answer, the catalogue and the
service documents: ``/openapi.json`` is generated from them (with the
catalogue's ids filled in as enums, :mod:`livegate.http.openapi`), and every
answer the test suite sees is validated against them (``extra="forbid"``, so
a field the shaper writes that is not declared here fails a test).

The shaper writes answers as JSON directly (:mod:`livegate.answer`) instead of
building these objects: constructing them costs more per answer than the
whole evaluation's budget (about 0.8 ms for the 93 objects of a 31-category
answer, measured), and validation at run time would only repeat what the
tests check.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .profile import IdKind, ProblemKind

__all__ = [
    "AccessMethod",
    "Activity",
    "Alternative",
    "CatalogueDoc",
    "Category",
    "CategoryResult",
    "Cheapest",
    "CheapestAnswer",
    "Error",
    "ErrorDetail",
    "Evaluation",
    "GeneralNote",
    "Health",
    "Item",
    "Liveness",
    "MissingSet",
    "NextStep",
    "NoPlanReason",
    "Plan",
    "Readiness",
    "ReadinessChecks",
    "ReloadState",
    "Role",
    "Ruleset",
    "WorkerState",
]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Ruleset(_Shape):
    """The knowledge base that produced an answer."""

    version: str
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class Source(_Shape):
    """Where a category stands in the source: heading path, requirement link, line of the heading."""

    section: str
    url: str
    line: int


class CombinedAccess(_Shape):
    with_: str = Field(alias="with", description="The companion category.")
    access: str


class MissingSet(_Shape):
    """One subset-minimal set of items a category still lacks, by one option."""

    alternative: str = Field(description="The category's own alternative.")
    alternatives: dict[str, str] = Field(description="The alternative taken in each category of the option.")
    documents: list[str]
    shortfalls: dict[str, int] = Field(description="How many more of each counted item.")
    item_costs: dict[str, int] = Field(description="The unit cost of each item of the set.")
    cost: int


class CategoryWarning(_Shape):
    kind: Literal["note", "remedy"]
    id: str
    text: str | None
    lead_time_days: int | None = None
    line: int | None = Field(
        None, description="The source's line holding the note, or the activity's note the remedy is part of."
    )
    en: TextInEnglish = Field(
        description="livegate's English of text (the source's words), as the catalogue's, in either language."
    )


class Reason(_Shape):
    """A ``reason/2`` atom as an object: ``kind`` and the reason's own fields."""

    model_config = ConfigDict(extra="allow")
    kind: str


class CategoryResult(_Shape):
    """The verdict on one category for the profile."""

    id: str
    name: str
    status: str
    access: str
    scenario: str
    scope: str | None = Field(
        description="The source's 类目适用范围: who may use the category (eligibility assumes the "
        "mini program fits it); null where the source gives none."
    )
    combined_access: list[CombinedAccess]
    missing_sets: list[MissingSet]
    requires_categories: list[str]
    external_requirements: list[str]
    warnings: list[CategoryWarning]
    source: Source
    reasons: list[Reason]
    explanation: list[str] | None = Field(default=None, description="Left out with ?explain=false.")


class MissingItem(_Shape):
    id: str
    name: str
    qualifier: str | None
    issuer_class: str
    count: int
    unit_cost: int
    cost: int


class Companion(_Shape):
    category: str
    companion: str


class Plan(_Shape):
    """One of the cheapest ways to a category (or a subject type's direct route)."""

    direct: bool
    categories: list[str]
    alternatives: dict[str, str] = Field(description="The first alternative per category.")
    equivalent_alternatives: dict[str, list[str]] = Field(description="Every alternative leading to this plan.")
    missing: list[str]
    shortfalls: dict[str, int]
    missing_detail: list[MissingItem]
    access: str
    cost: int
    companions: list[Companion]
    external_requirements: list[str]
    lead_time_days: int
    scope: dict[str, str | None] = Field(description="The 类目适用范围 of each category of the plan.")
    assumes: list[str] = Field(
        description="The activities the source notes for the plan's categories that the profile does not "
        "declare, by id: the plan holds only if the mini program does none of them "
        "(declared, each would block a category, rule it out or add a requirement)."
    )
    explanation: list[str] | None = Field(default=None, description="Left out with ?explain=false.")


class NoPlanReason(_Shape):
    """Why a question has no plan: ``kind`` (activity_blocks, role_missing, role_not_for_type,
    item_not_for_type, subject_unsupported, goal_filters) and its fields (``activity``,
    ``category``, ``role``, ``item``, ``subject_type``)."""

    kind: Literal[
        "activity_blocks",
        "role_missing",
        "role_not_for_type",
        "item_not_for_type",
        "subject_unsupported",
        "goal_filters",
    ]
    activity: str | None = None
    category: str | None = None
    role: str | None = None
    item: str | None = None
    subject_type: str | None = None


class BlockedCategory(_Shape):
    """A category the question allows that an activity the profile declares blocks: the
    question's plans go around it."""

    activity: str
    category: str


class DeclaredRequirement(_Shape):
    """A category an activity the profile declares needs, by the note of a category the question
    allows: a plan of the question without it goes around that category, and what the mini
    program does still needs it."""

    activity: str
    category: str = Field(description="The category the activity needs (the note's requires_category).")


class Cheapest(_Shape):
    """The plans of minimal cost; ``cost`` is null when no plan exists, and then
    ``no_plan_reasons`` says why, the most specific cause first."""

    cost: int | None
    plans: list[Plan]
    no_plan_reasons: list[NoPlanReason]
    blocked: list[BlockedCategory] = Field(
        description="The categories this question allows that an activity of the profile blocks, in the "
        "catalogue's order (whether or not there is a plan): its plans go through other categories, whose "
        "scope must fit what the mini program really does."
    )
    declared_requires: list[DeclaredRequirement] = Field(
        description="The categories activities the profile declares need, by the notes of categories this"
        " question allows (required_in_question/3: 股票信息服务平台's stock trading needs 证券/期货), in the"
        " catalogue's order; each plan without one says so in its explanation."
    )
    explanation: list[str] | None = Field(default=None, description="Why there is no plan (when there is none).")


class NextStep(_Shape):
    """One more document (or ``count`` more of a counted one) and what holding it changes."""

    document: str
    count: int = Field(description="How many more of the document (1 unless it is counted).")
    unlocks: list[str] = Field(description="The categories this step alone makes eligible.")
    unlocks_for_goal: list[str] = Field(
        description="Those of unlocks the goal allows (its scenario, candidate categories and access method; "
        "all of them when the goal names none): the next steps are ranked by these."
    )
    cheapest_cost_after: int | None = Field(description="The goal's cheapest cost once the step is held.")
    lowers_by: int | None = Field(description="How much the step lowers the goal's cheapest cost.")
    on_cheapest_path: bool = Field(
        description="The step lowers the goal's cheapest cost by exactly its own cost: a document of a cheapest "
        "path (ranked first)."
    )
    cheapest_cost_after_by_scenario: dict[str, int | None] = Field(
        description="Each scenario's cheapest cost once the step is held (the scenarios of cheapest_by_scenario)."
    )


class GeneralNote(_Shape):
    id: str
    text: str
    line: int
    en: TextInEnglish = Field(
        description="livegate's English of text (the source's words), as the catalogue's, in either language; "
        "its text is null for scenario_not_given, livegate's own sentence in the answer's language."
    )


class Evaluation(_Shape):
    """The full answer for one profile."""

    decision_id: str | None = Field(
        default=None,
        description="Names this answer: in the decision log when one is kept, and in the access log line "
        "(API only: always there in an answer of /v1/evaluate).",
    )
    ruleset: Ruleset
    subject_supported: bool
    direct_standard_live: bool
    eligible: list[str]
    categories: list[CategoryResult]
    cheapest: Cheapest
    cheapest_by_scenario: dict[str, Cheapest] = Field(
        description="The cheapest path within each scenario the goal allows, keyed by scenario id."
    )
    next_steps: list[NextStep] = Field(description="What to get next, best first.")
    item_costs: dict[str, int] = Field(description="The unit cost of every item some option lacks.")
    notes: list[GeneralNote]


class CheapestAnswer(_Shape):
    """Only the path, for integrations that just want the path: the cheapest plans of the
    goal and of each scenario, the next steps, and the notes."""

    decision_id: str = Field(
        description="Names this answer: in the decision log when one is kept, and in the access log line."
    )
    ruleset: Ruleset
    cheapest: Cheapest
    cheapest_by_scenario: dict[str, Cheapest]
    next_steps: list[NextStep]
    notes: list[GeneralNote]


# -- the catalogue ---------------------------------------------------------------------
_GLOSS = (
    "livegate's English gloss of the entry's source words (a translation, never the source's words); "
    "null where the source has none"
)


class NameInEnglish(_Shape):
    """livegate's English for a source name (null where it has none)."""

    name: str | None


class CategoryInEnglish(NameInEnglish):
    scope: str | None


class UnitInEnglish(_Shape):
    """A counted item's unit in English, by number: ``one`` for 1, ``other`` else."""

    one: str
    other: str


class ItemInEnglish(NameInEnglish):
    qualifier: str | None
    unit: UnitInEnglish | None


class ActivityInEnglish(_Shape):
    label: str | None
    text: str | None
    remedy: str | None


class SubjectTypeInEnglish(NameInEnglish):
    rule: str | None


class TextInEnglish(_Shape):
    text: str | None


class RequiredItem(_Shape):
    item: str
    count: int


class Alternative(_Shape):
    id: str
    label: str
    items: list[RequiredItem]
    reserved_for: list[str]


class CategoryNote(_Shape):
    id: str
    lead_time_days: int | None = None
    text: str | None = None
    category: str | None = None
    line: int | None = None
    en: TextInEnglish | None = Field(None, description=_GLOSS + " (present with ``text``).")


class CompanionAccess(_Shape):
    category: str
    access: str


class Category(_Shape):
    """A service category as the source describes it."""

    id: str
    name: str
    alternatives: list[Alternative]
    notes: list[CategoryNote]
    activities: list[str]
    companions: list[CompanionAccess]
    source: Source
    scenario: str
    scene: str | None
    scope: str | None
    access: str
    en: CategoryInEnglish = Field(description=_GLOSS + ".")


class Item(_Shape):
    """A document a requirement names, possibly qualified."""

    id: str
    name: str
    issuer_class: str
    default_cost: int
    qualifier: str | None
    plain_form: str | None
    qualified_forms: list[str]
    counted: bool
    unit: str | None = Field(
        description="What a count of this item counts where the source says so (家: "
        "institutions); null for copies (份)."
    )
    subject_types: list[str] = Field(
        description="The only subject types that can hold the item as their own (a public body's or a "
        "民办非企业单位's registration certificate); empty: any. A profile of another type holding it is refused."
    )
    en: ItemInEnglish = Field(description=_GLOSS + ".")


class Named(_Shape):
    id: str
    name: str
    en: NameInEnglish = Field(description=_GLOSS + ".")


class Role(_Shape):
    id: str
    name: str
    subject_types: list[str] = Field(description="The subject types that may declare this role.")
    excludes: list[str] = Field(
        description="The roles a subject declaring this one cannot also declare (公立学校 and 私立学校): a profile"
        " declaring both is refused (problem kind roles_exclusive)."
    )
    en: NameInEnglish = Field(description=_GLOSS + ".")


class Activity(_Shape):
    id: str
    category: str
    label: str | None
    text: str
    effects: list[str]
    remedy: str | None
    line: int | None = Field(None, description="The source's line holding the activity's note.")
    en: ActivityInEnglish = Field(description=_GLOSS + ".")


class SubjectType(_Shape):
    id: str
    name: str
    supported: bool
    direct_access: str | None
    rule: str | None = Field(description="The source's sentence about this type of subject, or null.")
    line: int | None = Field(description="The source's line of ``rule``.")
    en: SubjectTypeInEnglish = Field(description=_GLOSS + ".")


class AccessMethod(_Shape):
    id: str
    name: str
    url: str
    en: NameInEnglish = Field(description=_GLOSS + ".")


class IssuerClass(_Shape):
    id: str
    name: str = Field(description="livegate's name of the class (行政许可 …): not the source's words.")
    default_cost: int
    en: NameInEnglish = Field(description="The class's name in English.")


class CatalogueNote(GeneralNote):
    en: TextInEnglish = Field(description=_GLOSS + ".")


class CatalogueDoc(_Shape):
    """Every category, item, role, activity and scenario of the knowledge base."""

    ruleset: Ruleset
    categories: list[Category]
    items: list[Item]
    roles: list[Role]
    activities: list[Activity]
    scenarios: list[Named]
    subject_types: list[SubjectType]
    access_methods: list[AccessMethod]
    issuer_classes: list[IssuerClass]
    external_categories: list[Named]
    general_notes: list[CatalogueNote]
    item_aliases: dict[str, str] = Field(description="Old item ids still accepted, with the id they stand for.")


# -- the service ---------------------------------------------------------------------------
class DecisionLogState(_Shape):
    """Whether decisions can be logged; ``problem`` says why not (never a server path)."""

    configured: bool
    writable: bool
    problem: str | None


class AnswerCacheState(_Shape):
    """The worker's answer cache: entries, their bytes and the limits."""

    entries: int = Field(ge=0)
    bytes: int = Field(ge=0)
    limit: int = Field(ge=0)
    max_entries: int = Field(ge=0)


class _BytesBoundCacheState(_Shape):
    entries: int = Field(ge=0)
    bytes: int = Field(ge=0, description="The bytes its bound counts (each entry's JSON and 200).")
    limit: int = Field(ge=0)


class FragmentCacheState(_BytesBoundCacheState):
    """The worker's cache of category entries that show no cost of a profile's own."""


class SentenceCacheState(_Shape):
    """The worker's kept sentences and parts of sentences, in every language."""

    entries: int = Field(ge=0)
    limit: int = Field(ge=0)


class PlanCacheState(_BytesBoundCacheState):
    """The worker's cache of plans whose cost is the default one (no item they lack costed by the profile)."""


class EngineCacheState(_Shape):
    """What the worker's answer writer keeps between answers (bounded; none holds a cost of a profile's own)."""

    fragments: FragmentCacheState
    plans: PlanCacheState
    sentences: SentenceCacheState
    plan_explanations: SentenceCacheState = Field(
        description="Plans' explanations, in every language, without the line that states the plan's cost."
    )


class WorkerState(_Shape):
    """One worker process of the server and the ruleset it serves."""

    pid: int = Field(ge=1)
    ruleset: Ruleset


class ReloadState(_Shape):
    """The last ruleset reload (``kill -HUP``): applied; unchanged (the files held the ruleset every
    worker served: nothing was applied, no worker replaced); or refused with the stage that failed
    and why, the knowledge base refused named by its digest (and version, when it could be read)."""

    outcome: Literal["applied", "refused", "unchanged"]
    stage: Literal["ok", "copy", "parse", "lint", "ground", "evaluate", "boot", "timeout"]
    reason: str | None
    time: str
    ruleset: Ruleset | None = Field(description="The ruleset the reload tried to load.")


class Health(_Shape):
    """``ok`` (200), or ``degraded`` (503) while the decision log cannot be written."""

    status: Literal["ok", "degraded"]
    name: str
    version: str
    ruleset: Ruleset
    engine_loaded: bool
    decision_log: DecisionLogState
    answer_cache: AnswerCacheState
    engine_caches: EngineCacheState
    ready: bool = Field(description="What /v1/health/ready answers (see Readiness).")
    pid: int = Field(ge=1, description="The worker process that answered.")
    workers: list[WorkerState] = Field(
        description="Every worker of the server and the ruleset it serves (under livegate serve; else this one)."
    )
    reload: ReloadState | None = Field(description="The last ruleset reload, or null if there was none.")


class Liveness(_Shape):
    """``/v1/health/live``: the process answers (always 200 when it does)."""

    status: Literal["alive"]


class ReadinessChecks(_Shape):
    """What readiness needs: each check true."""

    engine_grounded: bool
    decision_log_writable: bool
    ruleset_linted: bool = Field(description="The ruleset passed livegate lint.")


class Readiness(_Shape):
    """``/v1/health/ready``: ``ready`` (200) when every check holds, else ``not_ready`` (503) with the problems."""

    status: Literal["ready", "not_ready"]
    ruleset: Ruleset
    checks: ReadinessChecks
    problems: list[str]


class ProblemDetail(_Shape):
    field: str
    kind: ProblemKind = Field(
        description="What is wrong, for a program (a client writes the problem in its own words from it)."
    )
    problem: str
    value: str | None = Field(
        default=None,
        description=(
            "The unknown id, the item counted 0 (count_zero, count_zero_form), the role or item the subject type"
            " cannot hold (role_not_allowed, item_not_allowed), the role declared beside one it excludes"
            " (roles_exclusive), an item's earlier id given beside its id"
            " (item_twice), or the goal's scenario that no candidate category serves (no_candidate_in_scenario)."
        ),
    )
    held: str | None = Field(
        default=None, description="The listed qualified form of the item counted 0 (kind count_zero_form)."
    )
    other: str | None = Field(
        default=None,
        description="The role declared earlier in the list, which the role value excludes (kind roles_exclusive).",
    )
    of: IdKind | None = Field(default=None, description="What the unknown id was meant to name (kind unknown_id).")
    limit: int | None = Field(
        default=None, description="The bound passed: a number's (kinds min, max), a length (too_long, too_many)."
    )
    count: int | None = Field(default=None, description="How many more unknown ids there are (kind more_unknown).")
    nearest: list[str] | None = Field(
        default=None,
        description="The ids most like the unknown one (kind unknown_id), or the fields of its object most like "
        "an unknown field (kind unknown_field); best first.",
    )
    subject_type: str | None = Field(
        default=None,
        description="The subject type given, which cannot hold the role or item (kinds role_not_allowed, "
        "item_not_allowed).",
    )
    allowed: list[str] | None = Field(
        default=None,
        description="The subject types that can hold the role or item (kinds role_not_allowed, item_not_allowed).",
    )
    conflict: str | None = Field(default=None, description="The other JSON path of a contradiction.")


class ErrorDetail(_Shape):
    code: str = Field(description="Machine-readable: what went wrong (the list: docs/api.md#error-codes).")
    message: str = Field(description="What is wrong and what to fix.")
    field: str | None = Field(
        description="Where the fault is: the JSON path of a profile's field (`goal.scenario`); `(body)` for the "
        "body as a whole; the header (`Content-Type`) or query parameter (`lang`) at fault; `id` for the id in "
        "the path; null when no one place is."
    )
    request_id: str | None = None
    errors: list[ProblemDetail] | None = Field(default=None, description="Every problem of the profile.")
    nearest: list[str] | None = Field(
        default=None,
        description="The nearest valid ids of an unknown id in the path (404), or the query parameters nearest "
        "an unknown one (400 invalid_query).",
    )


class Error(_Shape):
    """Every error of the API has this shape."""

    error: ErrorDetail
