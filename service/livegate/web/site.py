"""What the page computes once per app from the catalogue (:class:`Site`), and the
page's words in one language (:class:`Words`, over :class:`livegate.names.Names`).

Nothing here decides anything about a profile: the site arranges the catalogue
for the page (counted items' counts, the scenarios' order), and the words name things."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ..kb import Catalogue
from ..names import Names
from ..words import template

__all__ = ["SOURCE_PAGE", "Site", "Words"]

SOURCE_PAGE = "https://cloud.tencent.com/document/product/1078/43316"
"""The Tencent Cloud page the knowledge base is transcribed from (docs/source/README.md); the facts
hold each category's WeChat link and each access method's document, not the page itself."""


class Site:
    """The catalogue arranged for the page (computed once per app): the count the source asks for
    each counted item, the scenarios in the source's order, the names in each language."""

    def __init__(self, catalogue: Catalogue):
        self.cat = catalogue
        self.required_count: dict[str, int] = dict(catalogue.counted_limit)
        self.scenarios = list(dict.fromkeys(info.scenario for info in catalogue.categories.values()))
        """The scenarios in the source's order (of their first category)."""
        self.names = {lang: Names(catalogue, lang) for lang in ("zh", "en")}


class Words:
    """Names and phrases of the page in one language. The source's names (Chinese) are always shown;
    in English an English gloss comes beside them (``gloss_*``)."""

    def __init__(self, lang: str, site: Site):
        self.lang = lang
        self.site = site
        self.cat = site.cat
        self.names = site.names[lang]
        self.colon = self.t("colon")

    def t(self, key: str, markup: bool = False, **values: Any) -> Any:
        """A message of the page (``web.<key>`` of the message catalogue); with ``markup``, a
        :class:`~markupsafe.Markup` whose values are escaped unless they are markup themselves."""
        if markup:
            return Markup(escape(template(self.names.messages, f"web.{key}", values))).format(**values)
        return self.names.t(f"web.{key}", **values)

    # words addressed by an id (their keys: tests/test_web.py checks every id has one)
    def step_title(self, n: int) -> str:
        return self.t(f"step_{n}_title")

    def step_short(self, n: int) -> str:
        return self.t(f"step_{n}_short")

    def subject_help(self, t: str) -> str:
        return self.t(f"subject_help_{t}")

    def role_help(self, r: str) -> str:
        return self.t(f"role_help_{r}")

    def qualifier_question(self, plain: str) -> str:
        """The sub-question of a plain document's qualified forms (a general one where none is written)."""
        key = f"qualifier_question_{plain}"
        return self.t(key) if self.names.has(f"web.{key}") else self.t("qualifier_question")

    # the source's names, and their English glosses
    def category(self, c: str) -> str:
        return self.names.category_name(c)

    def gloss_category(self, c: str) -> str | None:
        return self.names.gloss("categories", c)

    def item(self, i: str) -> str:
        it = self.cat.items[i]
        return it.name + (f"（{it.qualifier}）" if it.qualifier else "")

    def gloss_item(self, i: str) -> str | None:
        return self.names.item_gloss(i)

    def english_gloss_item(self, i: str) -> str | None:
        """The item's English gloss whatever the page's language (the CSV's gloss column)."""
        return Words("en", self.site).gloss_item(i)

    def alternative(self, c: str, alt: str) -> str:
        return self.names.alternative_label(c, alt)

    def gloss_alternative(self, c: str, alt: str) -> str | None:
        return self.names.alternative_gloss(c, alt)

    # the catalogue's vocabulary, in the page's language
    def subject(self, t: str) -> str:
        return self.names.subject(t)

    def role(self, r: str) -> str:
        return self.names.role(r)

    def scenario(self, s: str) -> str:
        return self.names.scenario(s)

    def access(self, a: str) -> str:
        return self.names.access(a)

    def issuer(self, k: str) -> str:
        return self.names.issuer(k)

    def issuer_costs(self) -> str:
        """The issuer classes with their default costs, as the catalogue gives them."""
        classes = sorted(self.cat.issuer_classes.values(), key=lambda k: k.default_cost)
        return " · ".join(f"{self.issuer(k.id)} {k.default_cost}" for k in classes)

    def status(self, s: str) -> str:
        return self.names.status(s)

    def status_help(self, s: str) -> str:
        return self.names.status_help(s)

    def external(self, x: str) -> str:
        return self.names.external(x)

    def activity(self, a: str) -> str:
        return self.names.activity(a)

    def warning(self, w: dict[str, Any]) -> str:
        if w["kind"] == "note":
            return self.names.note(w["id"])
        return self.names.remedy(w["id"])

    def note(self, n: dict[str, Any]) -> str:
        return self.names.gloss("notes", n["id"]) or n["text"]
