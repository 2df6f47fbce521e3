"""The command line's one failure that users see: words for stderr and an exit code. Its own
module so that the commands' modules raise it without importing the command line they are
part of (:mod:`livegate.cli` imports them)."""

from __future__ import annotations

from pathlib import Path

from ..words import Message, Said

__all__ = ["CliError", "folder_problem"]


class CliError(Said):
    """A user-facing failure: its words for stderr (``said``) and the exit code."""

    def __init__(self, said: Message | str, code: int = 2):
        super().__init__(said)
        self.code = code


def folder_problem(folder: str | Path | None) -> Message | None:
    """Why a knowledge-base folder given (``--facts``, ``--logic``, ``LIVEGATE_FACTS_DIR``) cannot be
    used — it does not exist, or is a file — or None (also when none is given). Without it the
    knowledge base would say it found no ``.lp`` files there."""
    if folder is None or Path(folder).is_dir():
        return None
    return Message("cli.not_a_folder" if Path(folder).exists() else "cli.no_folder", path=folder)
