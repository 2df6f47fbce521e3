"""The language a request asks for, read the same way by the API and the page.

``?lang`` when it names a language of the message catalogue (``zh``, ``en``), else
the best of the request's ``Accept-Language`` among them, else none: each reader
then takes its own default. The page and the API's explanations default to Chinese
(the source's language); the API's error messages default to English (the
language they have always had, so a client that asks for nothing sees no
change). A response whose words follow the request says ``Vary: Accept-Language``.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from werkzeug.wrappers import Response

from ..words import LANGUAGES

__all__ = ["asked", "vary"]


def asked() -> str | None:
    """The request's language: ``?lang`` if it names one, else ``Accept-Language``'s best; or None."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return lang
    return _accepted(request.accept_languages)


def _accepted(ranges: Iterable[tuple[str, float]]) -> str | None:
    """The first of ``Accept-Language``'s ranges, best quality first (werkzeug keeps them so; a tie
    in the header's order), whose primary subtag is one of ours: ``zh-CN,en;q=0.9`` is Chinese.
    (werkzeug's ``best_match`` prefers an exact tag of lower quality: it answered that in English.)
    ``*`` or no range of ours: None, each reader's default."""
    for value, quality in ranges:
        primary = value.split("-", 1)[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
    return None


def vary(response: Response) -> Response:
    """Say that ``response``'s words depend on the request's ``Accept-Language``."""
    response.vary.add("Accept-Language")
    return response
