"""Every user-visible word, per language: the source's names from the catalogue
(``facts/``) and every other word from one message catalogue per language
(``livegate/messages/zh.json``, ``en.json``).

The API's explanations, the command line's report and the web page all take
their words from a :class:`Names`, so a status, an issuer class or an
activity has one name everywhere. Chinese is the source's language and the
default; in English the source's names are kept (they are what WeChat's forms
show) and an English gloss comes beside them where the catalogue has one.

Messages are ``str.format`` templates addressed by dotted keys
(``names.t("status.eligible")``), from :mod:`livegate.words`.
"""

from __future__ import annotations

from typing import Any

from .kb import Catalogue
from .words import ENGLISH, LANGUAGES, Phrases, plural
from .words import gloss as english_gloss

__all__ = ["Names"]


class Names(Phrases):
    """The words of one language for one catalogue."""

    def __init__(self, catalogue: Catalogue, lang: str = LANGUAGES[0]):
        super().__init__(lang)
        self.cat = catalogue

    def gloss(self, table: str, key: str) -> str | None:
        """The English gloss of a source name (None in Chinese, or where there is none)."""
        found: str | None = english_gloss(table, key) if self.lang == ENGLISH else None
        return found

    # -- the source's names ------------------------------------------------------
    def category_name(self, c: str) -> str:
        return self.cat.categories[c].name

    def category(self, c: str) -> str:
        """The category's name as the explanations write it: 【教育-在线视频课程】; in English with its
        gloss: [教育-在线视频课程] (Education – online video courses)."""
        name, gloss = self.cat.categories[c].name, self.gloss("categories", c)
        if gloss:
            return self.t("explain.category_glossed", name=name, gloss=gloss)
        return self.t("explain.category", name=name)

    def item_gloss(self, i: str) -> str | None:
        """The English gloss of an item with its qualifier's: "Business licence, scope includes
        online performance" (None in Chinese, or where the item has none)."""
        name = self.gloss("items", i)
        qualifier = self.gloss("qualifiers", i)
        if name and qualifier:
            return self.t("explain.gloss_qualified", name=name, qualifier=qualifier)
        return name

    def item(self, i: str) -> str:
        """The item's name with its qualifier: 《营业执照》（经营范围包含：…）; in English the gloss
        joins the qualifier in the brackets."""
        it = self.cat.items[i]
        return self._bracketed(it.name, [it.qualifier, self.item_gloss(i)])

    def missing_item(self, i: str, count: int) -> str:
        """A missing item with its issuer class (and, counted, how many are short); the qualifier,
        the gloss and the issuer class share one pair of brackets: 《增值电信业务经营许可证》（核准…；行政许可）."""
        it = self.cat.items[i]
        issuer = self.issuer(it.issuer_class)
        if it.counted:
            issuer = self.t("explain.missing_item.counted", issuer=issuer, count=count, unit=self.unit(i, count))
        return self._bracketed(it.name, [it.qualifier, self.item_gloss(i), issuer])

    def _bracketed(self, name: str, parts: list[str | None]) -> str:
        said = [p for p in parts if p]
        if not said:
            return self.t("explain.item", name=name)
        return self.t("explain.item_with", name=name, inside=self.t("explain.semicolon").join(said))

    def alternative_label(self, c: str, alt: str) -> str:
        return self.cat.categories[c].alternative(alt).label

    def alternative_gloss(self, c: str, alt: str) -> str | None:
        """The English gloss of an alternative's label (None in Chinese, and for the source's "-")."""
        found: Any = english_gloss("alternatives", c) if self.lang == ENGLISH else None
        return found.get(alt) if isinstance(found, dict) else None

    def alternative(self, c: str, alt: str) -> str:
        """An alternative as the explanations quote it: 「1. 《金融许可证》」, in English with its gloss:
        「1. 《金融许可证》」 (1. Financial licence); the source's "-" (no document asked) with what it
        means: 「-」 (no documents listed)."""
        label = self.alternative_label(c, alt)
        if label == "-":
            return self.t("explain.alternative_none", label=label)
        gloss = self.alternative_gloss(c, alt)
        return (
            self.t("explain.alternative_glossed", label=label, gloss=gloss)
            if gloss
            else self.t("explain.alternative", label=label)
        )

    def either(self, parts: list[str]) -> str:
        """``parts`` as alternatives: "A", "A or B", "A, B or C" (zh: "A、B或C")."""
        return self._listed(parts, "explain.either")

    def both(self, parts: list[str]) -> str:
        """``parts`` all together: "A", "A and B", "A, B and C" (zh: "A、B及C")."""
        return self._listed(parts, "explain.both")

    def _listed(self, parts: list[str], key: str) -> str:
        if len(parts) < 2:
            return "".join(parts)
        return self.t(key, some=self.t("explain.comma").join(parts[:-1]), last=parts[-1])

    # -- the catalogue's vocabulary, in this language -------------------------------
    def _named(self, table: str, key: str, source_name: str) -> str:
        return self.gloss(table, key) or source_name

    def access(self, a: str) -> str:
        return self._named("access_methods", a, self.cat.access_methods[a].name)

    def subject(self, t: str) -> str:
        return self._named("subject_types", t, self.cat.subject_types[t].name)

    def role(self, r: str) -> str:
        return self._named("roles", r, self.cat.roles[r].name)

    def scenario(self, s: str) -> str:
        return self._named("scenarios", s, self.cat.scenarios[s].name)

    def issuer(self, k: str) -> str:
        return self._named("issuer_classes", k, self.cat.issuer_classes[k].name)

    def external(self, x: str) -> str:
        return self._named("external_categories", x, self.cat.external_categories[x])

    def activity(self, a: str) -> str:
        """What declaring activity ``a`` says about the subject (its label)."""
        act = self.cat.activities[a]
        return self._named("activities", a, act.label or act.text)

    def activity_note(self, a: str) -> str:
        """The source's note an activity comes from, verbatim (in English, the activity's gloss)."""
        return self._named("activity_notes", a, self.cat.activities[a].text)

    def activity_quoted(self, a: str) -> str:
        """The activity's note quoted inside a sentence: without its own full stop (。 or .), which
        the quoting sentence's punctuation takes the place of (“…must be added”, so …); the source's
        own words, in English with their translation (:meth:`quoted`)."""
        return self.quoted(self.cat.activities[a].text, self.gloss("activity_notes", a))

    def quoted(self, source: str, gloss: str | None, *, whole: bool = False) -> str:
        """A sentence of the source quoted inside one of ours, without its full stop (``whole``: with
        it, a line of its own): its own words (a quotation is the source's, never our translation),
        in English followed by the translation in square brackets, the mark of an editor's insertion
        (``explain.translated``)."""
        said = source if whole else source.removesuffix("。")
        if self.lang == "zh" or not gloss or gloss == source:
            return said
        return self.t("explain.translated", source=said, gloss=gloss if whole else gloss.removesuffix("."))

    def scope_quoted(self, c: str, *, whole: bool = False) -> str:
        """The category's 类目适用范围 quoted (:meth:`quoted`)."""
        return self.quoted(self.cat.categories[c].scope or "", self.gloss("scopes", c), whole=whole)

    def rule_quoted(self, t: str) -> tuple[str, int]:
        """The source's sentence about subjects of type ``t`` quoted (:meth:`quoted`), and its line."""
        st = self.cat.subject_types[t]
        return self.quoted(st.rule or "", self.gloss("subject_rules", t)), st.line or 0

    def note_quoted(self, n: str, *, whole: bool = False) -> str:
        """A category note of the source quoted (:meth:`quoted`)."""
        return self.quoted(self.cat.notes[n].text or "", self.gloss("notes", n), whole=whole)

    def status(self, s: str) -> str:
        return self.t(f"status.{s}")

    def status_help(self, s: str) -> str:
        return self.t(f"status_help.{s}")

    def note(self, n: str) -> str:
        note = self.cat.notes[n]
        return self._named("notes", n, note.text or "")

    def remedy(self, a: str) -> str:
        return self._named("remedies", a, self.cat.activities[a].remedy or "")

    def remedy_beyond(self, a: str) -> str | None:
        """Activity ``a``'s remedy where a sentence quoting its note should add it: none when it has
        none, or when the quoted note already says it in these words (the source's sentences hold
        their remedy: 「…，建议改为价格指导或移除相关功能。」 would say it twice)."""
        if not self.cat.activities[a].remedy:
            return None
        remedy = self.remedy(a)
        return None if remedy.casefold().rstrip("。.") in self.activity_note(a).casefold() else remedy

    def subject_rule(self, t: str) -> tuple[str, int]:
        """The source's sentence about subjects of type ``t`` and its line."""
        st = self.cat.subject_types[t]
        return self._named("subject_rules", t, st.rule or ""), st.line or 0

    def unit(self, i: str, n: int = 2) -> str:
        """What ``n`` of counted item ``i`` are counted in (``counted_unit/2``, else the catalogue's
        default): "1 more institution", "2 more institutions"."""
        unit = self.cat.items[i].unit
        if unit is None:
            return self.t("explain.default_unit", n=n)
        gloss: Any = english_gloss("units", unit) if self.lang == ENGLISH else None
        if isinstance(gloss, dict):  # {"one": …, "other": …}
            return str(gloss[plural(n)])
        return gloss or unit

    def scope(self, c: str) -> str:
        """The category's 类目适用范围, as the source writes it (with a gloss in English where there is one)."""
        return self._named("scopes", c, self.cat.categories[c].scope or "")

    def source(self, c: str) -> str:
        src = self.cat.categories[c].source
        return self.t("explain.source", section=src.section, line=src.line, url=src.url)
