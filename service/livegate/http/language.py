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

__all__ = ["asked", "named", "vary"]


def named(tag: str | None) -> str | None:
    """The language of ours a language tag names, by its primary subtag in any case, as
    ``Accept-Language`` is read: ``en``, ``EN``, ``en-US`` and ``zh-Hans-CN`` name one; ``fr``,
    ``en_US`` (not a tag) or nothing name none."""
    if not tag:
        return None
    primary = tag.split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def asked() -> str | None:
    """The request's language: ``?lang`` if it names one, else ``Accept-Language``'s best; or None."""
    return named(request.args.get("lang")) or _accepted(request.accept_languages)


def _accepted(ranges: Iterable[tuple[str, float]]) -> str | None:
    """The first of ``Accept-Language``'s ranges, best quality first (werkzeug keeps them so; a tie
    in the header's order), whose primary subtag is one of ours: ``zh-CN,en;q=0.9`` is Chinese.
    (werkzeug's ``best_match`` prefers an exact tag of lower quality: it answered that in English.)
    ``*`` or no range of ours: None, each reader's default — unless the header refuses some of ours
    (``q=0``, "not acceptable"): then the first of ours it does not refuse, so that ``en;q=0`` alone
    is Chinese even where the default is English. Every one of ours refused: None (the default; the
    page and the errors answer in some language rather than not at all)."""
    refused = set()
    for value, quality in ranges:
        lang = named(value)
        if lang is not None and quality > 0:
            return lang
        if lang is not None:
            refused.add(lang)
    if refused:
        return next((lang for lang in LANGUAGES if lang not in refused), None)
    return None


def vary(response: Response) -> Response:
    """Say that ``response``'s words depend on the request's ``Accept-Language``."""
    response.vary.add("Accept-Language")
    return response
