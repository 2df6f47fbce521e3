"""argparse in the catalogue's language: the one module that knows argparse's own words and its
private parts.

argparse writes its usage line, its errors and their frame ("usage: …", "livegate evaluate:
error: the following arguments are required: file") in English. A parser here writes them
through the catalogue (``cli.argparse.*``): an error argparse raises is matched against the
template argparse formatted it from (its gettext msgid, so a translation installed for argparse
itself is matched too) and said again with the catalogue's words for that template, the values
argparse put in kept as they are. An error no template here matches (a wording a later Python
may bring) is kept as argparse wrote it, in the catalogue's frame.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from gettext import gettext
from typing import Any, NoReturn

from ..words import Phrases

__all__ = ["CommandParser", "Formatter", "Parser", "required"]

_TEMPLATES = (
    ("argument %(argument_name)s: %(message)s", "argument", ()),
    ("the following arguments are required: %s", "required", ("names",)),
    ("unrecognized arguments: %s", "unrecognized", ("arguments",)),
    ("invalid choice: %(value)r (choose from %(choices)s)", "invalid_choice", ()),
    ("expected one argument", "expected_one", ()),
    ("expected at least one argument", "expected_at_least_one", ()),
    ("ambiguous option: %(option)s could match %(matches)s", "ambiguous", ()),
    ("ignored explicit argument %r", "ignored_explicit", ("value",)),
)
"""argparse's msgids of the errors a ``livegate`` command line can meet, each with its key
under ``cli.argparse`` and names for its unnamed placeholders, in order."""

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]|%[sr]")


def _pattern(msgid: str, unnamed: tuple[str, ...]) -> re.Pattern[str]:
    """What argparse formats from ``msgid`` (as gettext gives it), each placeholder a group."""
    names = iter(unnamed)
    parts = _PLACEHOLDER.split(gettext(msgid))  # text, name (None: unnamed), text, …
    regex = "".join(
        re.escape(part or "") if k % 2 == 0 else f"(?P<{part or next(names)}>.*?)" for k, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


_PATTERNS = tuple((_pattern(msgid, unnamed), key) for msgid, key, unnamed in _TEMPLATES)


def required(names: str) -> str:
    """argparse's error for missing arguments (``names`` joined), worded as argparse words it."""
    return gettext("the following arguments are required: %s") % names


class Formatter(argparse.HelpFormatter):
    """argparse's help, with the usage line's prefix the catalogue's, and the commands listed
    under their title directly: without the line of their placeholder (``COMMAND``) above them,
    which in Chinese repeated the title (命令: / 命令)."""

    usage_prefix: str | None = None

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        if prefix is not None or self.usage_prefix is None:
            return super()._format_usage(usage, actions, groups, prefix)
        # argparse indents the wrapped lines by the prefix's length in characters: a stand-in
        # as wide on screen as the catalogue's prefix (用法： takes six columns) keeps them aligned
        stand_in = " " * sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in self.usage_prefix)
        return self.usage_prefix + super()._format_usage(usage, actions, groups, stand_in)[len(stand_in) :]

    def _format_action(self, action: argparse.Action) -> str:
        if isinstance(action, argparse._SubParsersAction):
            return "".join(self._format_action(command) for command in action._get_subactions())
        return super()._format_action(action)


class Parser(argparse.ArgumentParser):
    """A parser whose usage line, errors and their frame are the catalogue's, in the language
    of ``words`` (set once built: argparse builds a command's parser itself)."""

    words: Phrases

    def said(self, message: str) -> str:
        """argparse's ``message`` in the catalogue's words, where a template matches it."""
        for pattern, key in _PATTERNS:
            match = pattern.fullmatch(message)
            if match:
                values = match.groupdict()
                if key == "argument":  # the argument's own problem: argparse's words, or ours
                    values["message"] = self.said(values["message"])
                return self.words.t(f"cli.argparse.{key}", **values)
        return message

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, self.words.t("cli.argparse.error", prog=self.prog, message=self.said(message)) + "\n")

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = super()._get_formatter()
        if isinstance(formatter, Formatter):
            formatter.usage_prefix = self.words.t("cli.argparse.usage")
        return formatter


class CommandParser(Parser):
    """A command's parser: an argument it does not know is refused with the command's own usage
    (argparse would leave it to the top-level parser, whose usage lists the commands), and a
    missing argument is said with the command's ``hint`` where it has one."""

    hint: str | None = None

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(gettext("unrecognized arguments: %s") % " ".join(extras))
        return parsed, extras

    def error(self, message: str) -> NoReturn:  # argparse's own words, then the command's hint
        if self.hint and message.startswith(required("")):
            message = f"{message}\n{self.hint}"
        super().error(message)
