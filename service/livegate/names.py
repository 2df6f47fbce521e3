"""Every user-visible word, per language: the source's names from the catalogue
(``facts/``) and every other word from one message catalogue per language
(``livegate/messages/zh.json``, ``en.json``).

The API's explanations, the command line's report and the web page all take
their words from a :class:`Names`, so a status, an issuer class or an
activity has one name everywhere. Chinese is the source's language and the
default; in English the source's names are kept (they are what WeChat's forms
show) and an English gloss comes beside them where the catalogue has one.

Messages are ``str.format`` templates addressed by dotted keys
(``names.t("status.eligible")``); a missing key is an error, never a silent
fallback, and ``tests/test_names.py`` checks that both languages have the same
keys and placeholders.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

from .kb import Catalogue

__all__ = ["ENGLISH", "LANGUAGES", "Listed", "Message", "Names", "Said", "messages"]

LANGUAGES = ("zh", "en")
"""The languages of the message catalogue; the first is the default."""

ENGLISH = "en"
"""The language of an error's words unless the reader asks for another: the API's ``message``
(a request may ask, :mod:`livegate.http.language`), the logs and the command line."""


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and not key.startswith("gloss"):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@cache
def messages(lang: str) -> dict[str, Any]:
    """The message catalogue of ``lang`` as dotted keys (read once per process)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no messages for language {lang!r}; languages: {', '.join(LANGUAGES)}")
    text = files("livegate").joinpath("messages", f"{lang}.json").read_text(encoding="utf-8")
    return _flatten(json.loads(text))


class Message:
    """Words not yet written in a language: a message catalogue key and its values (a value
    may itself be a :class:`Message`, written in the same language). An error keeps one, so
    that each reader writes it in its own language: the API and the logs in English
    (``str()``), the page in the visitor's."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: Any):
        self.key, self.values = key, values

    @classmethod
    def of(cls, said: Message | str) -> Message:
        """``said`` itself, or a text given as is (``verbatim``: the same in every language)."""
        return said if isinstance(said, Message) else cls("verbatim", text=said)

    def text(self, lang: str = ENGLISH) -> str:
        values = {k: v.text(lang) if isinstance(v, Message | Listed) else v for k, v in self.values.items()}
        template: str = messages(lang)[self.key]
        return template.format(**values)

    def __str__(self) -> str:
        return self.text(ENGLISH)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"


class Said(Exception):
    """An error whose words are a :class:`Message` (``said``; a plain string is kept as is), its
    ``str()`` their English: mixed into the errors the API, the page and the command line show."""

    def __init__(self, said: Message | str):
        super().__init__(str(said))
        self.said = Message.of(said)


class Listed:
    """Ids in a :class:`Message`: each quoted (``repr``), joined by the catalogue's ``separator``
    (``problem.nearest_or``: " or " / " 或 ")."""

    __slots__ = ("items", "separator")

    def __init__(self, items: Iterable[str], separator: str):
        self.items, self.separator = tuple(items), separator

    def text(self, lang: str = ENGLISH) -> str:
        joiner: str = messages(lang)[self.separator]
        return joiner.join(repr(item) for item in self.items)


class Names:
    """The words of one language for one catalogue."""

    def __init__(self, catalogue: Catalogue, lang: str = LANGUAGES[0]):
        self.cat = catalogue
        self.lang = lang
        self.messages = messages(lang)
        self._gloss: dict[str, dict[str, str]] = self.messages.get("gloss", {})

    def t(self, key: str, **values: Any) -> str:
        """The message ``key``, formatted with ``values``."""
        text: str = self.messages[key]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages

    def gloss(self, table: str, key: str) -> str | None:
        """The English gloss of a source name (None in Chinese, or where there is none)."""
        return self._gloss.get(table, {}).get(key)

    def join(self, parts: list[str]) -> str:
        return self.t("explain.list_separator").join(parts)

    # -- the source's names ------------------------------------------------------
    def category_name(self, c: str) -> str:
        return self.cat.categories[c].name

    def category(self, c: str) -> str:
        """The category's name as the explanations write it: 【教育-在线视频课程】."""
        return self.t("explain.category", name=self.cat.categories[c].name)

    def item(self, i: str) -> str:
        """The item's name with its qualifier: 《营业执照》（经营范围包含：…）."""
        it = self.cat.items[i]
        if it.qualifier:
            return self.t("explain.item_qualified", name=it.name, qualifier=it.qualifier)
        return self.t("explain.item", name=it.name)

    def alternative_label(self, c: str, alt: str) -> str:
        return self.cat.categories[c].alternative(alt).label

    def alternative(self, c: str, alt: str) -> str:
        """An alternative as the explanations quote it: 「1. 《金融许可证》」."""
        return self.t("explain.alternative", label=self.alternative_label(c, alt))

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

    def status(self, s: str) -> str:
        return self.t(f"status.{s}")

    def status_help(self, s: str) -> str:
        return self.t(f"status_help.{s}")

    def note(self, n: str) -> str:
        note = self.cat.notes[n]
        return self._named("notes", n, note.text or "")

    def remedy(self, a: str) -> str:
        return self._named("remedies", a, self.cat.activities[a].remedy or "")

    def subject_rule(self, t: str) -> tuple[str, int]:
        """The source's sentence about subjects of type ``t`` and its line."""
        st = self.cat.subject_types[t]
        return self._named("subject_rules", t, st.rule or ""), st.line or 0

    def unit(self, i: str) -> str:
        """What one of counted item ``i`` is counted in (``counted_unit/2``, else the catalogue's default)."""
        unit = self.cat.items[i].unit
        if unit is None:
            return self.t("explain.default_unit")
        return self._named("units", unit, unit)

    def scope(self, c: str) -> str:
        """The category's 类目适用范围, as the source writes it (with a gloss in English where there is one)."""
        return self._named("scopes", c, self.cat.categories[c].scope or "")

    def source(self, c: str) -> str:
        src = self.cat.categories[c].source
        return self.t("explain.source", section=src.section, line=src.line, url=src.url)
