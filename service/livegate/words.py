"""The message catalogue: every user-visible word that is not the source's, per language
(``livegate/messages/zh.json``, ``en.json``), and words not yet written in one.

Messages are ``str.format`` templates addressed by dotted keys (``messages("zh")["status.eligible"]``);
a missing key is an error, never a silent fallback, and ``tests/test_names.py`` checks
that both languages have the same keys and placeholders. An error keeps its words as a
:class:`Message` (a key and its values) so that each reader writes them in its own
language. :mod:`livegate.names` adds the source's names of one catalogue.

This module imports nothing of the package, so every other module may use it (the
knowledge base's own errors too).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["ENGLISH", "LANGUAGES", "Listed", "Message", "Phrases", "Said", "gloss", "messages", "plural", "template"]

LANGUAGES = ("zh", "en")
"""The languages of the message catalogue; the first is the default."""

ENGLISH = "en"
"""The language of an error's words unless the reader asks for another: the API's ``message``
(a request may ask, :mod:`livegate.http.language`), the logs and the command line."""


NUMBER = ("n", "count")
"""The values a message by number is chosen by (the first of them the call gives)."""


def plural(n: Any) -> str:
    """Which of a message's two forms a number takes: ``one`` for 1, ``other`` else."""
    return "one" if n == 1 else "other"


def template(words: dict[str, Any], key: str, values: dict[str, Any]) -> str:
    """The template of ``key`` in a language's ``words``. A message that depends on a number is
    written in two forms, ``key.one`` and ``key.other`` (``{"one": "{n} category", "other": "{n}
    categories"}``), chosen by the value of ``n`` (or ``count``): one for 1, the other else."""
    text = words.get(key)
    if text is None:
        n = next((values[k] for k in NUMBER if k in values), None)
        text = words[f"{key}.{plural(n)}"]  # KeyError: no such message
    return str(text)


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


def gloss(table: str, key: str) -> Any:
    """livegate's English gloss of a source name or sentence (``gloss.<table>.<key>`` of
    ``en.json``: a string, or a unit's ``{"one", "other"}``), or None where there is none. A
    gloss is livegate's translation, never the source's words."""
    return messages(ENGLISH).get("gloss", {}).get(table, {}).get(key)


class Message:
    """Words not yet written in a language: a message catalogue key and its values (a value
    may itself be a :class:`Message`, written in the same language). An error keeps one, so
    that each reader writes it in its own language: the logs in English (``str()``), the API
    and the page in the one the request asks for, the command line in ``--lang``'s."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: Any):
        self.key, self.values = key, values

    @classmethod
    def of(cls, said: Message | str) -> Message:
        """``said`` itself, or a text given as is (``verbatim``: the same in every language)."""
        return said if isinstance(said, Message) else cls("verbatim", text=said)

    def text(self, lang: str = ENGLISH) -> str:
        values = {k: v.text(lang) if isinstance(v, Message | Listed) else v for k, v in self.values.items()}
        return template(messages(lang), self.key, values).format(**values)

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
    """Ids in a :class:`Message`: each quoted (``repr``); the last two joined by the catalogue's
    ``separator`` (``problem.nearest_or``: " or " / " 或 "), any before them by ``comma`` ("'a', 'b'
    or 'c'", "'a'、'b' 或 'c'": it said "'a' or 'b' or 'c'")."""

    __slots__ = ("comma", "items", "separator")

    def __init__(self, items: Iterable[str], separator: str, comma: str = "problem.list_separator"):
        self.items, self.separator, self.comma = tuple(items), separator, comma

    def text(self, lang: str = ENGLISH) -> str:
        quoted = [repr(item) for item in self.items]
        if len(quoted) < 3:
            return str(messages(lang)[self.separator]).join(quoted)
        return str(messages(lang)[self.comma]).join(quoted[:-1]) + messages(lang)[self.separator] + quoted[-1]


class Phrases:
    """The message catalogue of one language, written out: ``t`` formats a key, ``join`` parts
    with a separator of the catalogue."""

    def __init__(self, lang: str = LANGUAGES[0]):
        self.lang = lang
        self.messages = messages(lang)

    def t(self, key: str, **values: Any) -> str:
        """The message ``key`` (by number: :func:`template`), formatted with ``values``."""
        text = template(self.messages, key, values)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages or f"{key}.other" in self.messages

    def join(self, parts: Iterable[str], separator: str = "explain.list_separator") -> str:
        """``parts`` joined by the catalogue's ``separator``."""
        return self.t(separator).join(parts)
