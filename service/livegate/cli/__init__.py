"""The ``livegate`` command: evaluate, catalogue, lint, serve, batch, diff, impact.

Errors go to stderr with a non-zero exit and never a traceback:
2 for bad input (profile, JSON, file) and for output that cannot be written (a full disk,
standard output closed; a broken pipe, as to ``head``, ends quietly), 3 for a broken knowledge
base, 4 for an evaluation over its time bound. They are English, or in the language
``--lang`` names where a command has it and it is given (before the command, or
after it). ``--help`` is the message catalogue's (``cli.help.*``), in the language
of a ``--lang`` anywhere on the command line, else English, and so are argparse's usage line
and its errors (:mod:`.parsing`).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from .. import corpus
from ..engine import Engine
from ..http.config import MAX_SECONDS
from ..kb import Knowledge, KnowledgeError, default_paths, same_rules
from ..names import Names
from ..profile import JsonError, ProfileError, loads, problem_text, visible
from ..solver import EvaluationTimeout
from ..words import ENGLISH, LANGUAGES, Message, Phrases
from .errors import CliError, folder_problem
from .parsing import CommandParser, Formatter, Parser, required
from .report import catalogue_text, evaluation_text

__all__ = ["main"]


class OutputError(Exception):
    """The command's output could not be written: ``path`` (None: standard output) and why."""

    def __init__(self, path: str | None, reason: str):
        super().__init__(reason)
        self.path, self.reason = path, reason

    @property
    def said(self) -> Message:
        if self.path is None:
            return Message("cli.cannot_write_output", error=self.reason)
        return Message("cli.cannot_write", path=self.path, error=self.reason)


class _Output:
    """Where a command writes its output (standard output, or ``path``): a write or flush that
    fails — a full disk, standard output closed (``None``) — raises :class:`OutputError` with the
    operating system's reason; a broken pipe stays ``BrokenPipeError`` (a reader such as ``head``
    that has read enough: quiet)."""

    def __init__(self, stream: IO[str] | None, path: str | None = None):
        self.stream, self.path = stream, path

    def _do(self, what: Callable[[IO[str]], Any]) -> Any:
        if self.stream is None:
            raise OutputError(self.path, os.strerror(errno.EBADF))
        try:
            return what(self.stream)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(self.path, exc.strerror or str(exc)) from None

    def write(self, text: str) -> int:
        return int(self._do(lambda stream: stream.write(text)))

    def flush(self) -> None:
        self._do(lambda stream: stream.flush())

    @classmethod
    def to(cls, stream: IO[str] | None, path: str | None = None) -> IO[str]:
        """``stream`` as a text stream whose failures are :class:`OutputError` (it writes and
        flushes, all that the commands do with their output)."""
        return cast(IO[str], cls(stream, path))


def _stdout() -> IO[str]:
    return _Output.to(sys.stdout)


def _stdin_lines() -> IO[str]:
    """Standard input as ``batch`` reads it: UTF-8, lines ended by \\n (or \\r\\n) only."""
    with contextlib.suppress(AttributeError, ValueError, OSError):  # (a replaced stdin: as it is)
        sys.stdin.reconfigure(encoding="utf-8", newline="\n")  # type: ignore[union-attr]
    return sys.stdin


def _quiet_stdout() -> None:
    """After standard output failed: point it at the null device, so that Python's own flush at exit
    (of what is still buffered) fails no more, and says nothing."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _folders(args: argparse.Namespace) -> None:
    """``--facts`` and ``--logic`` name folders that exist (else the knowledge base would say it
    found no ``.lp`` files in them)."""
    for folder in (args.facts, args.logic):
        problem = folder_problem(folder)
        if problem is not None:
            raise CliError(problem)


_READS_RULES = frozenset({"evaluate", "catalogue", "lint", "batch", "serve"})
"""The commands that answer from a knowledge base (``--facts``/``--logic``, else the installed one)."""


def _installed_not_here(args: argparse.Namespace) -> Message | None:
    """A notice for a command about to use the rules installed with the package while the current
    folder holds other ``facts/`` and ``logic/``: a clone installed with ``pip install .`` and then
    edited (``lint`` said "ok" and ``evaluate`` answered from the unedited copy, while clingo on the
    files saw the edit). None when the folders are given (the options; for ``serve`` also
    ``LIVEGATE_FACTS_DIR``/``LIVEGATE_LOGIC_DIR``), absent, the installed ones themselves (an
    editable install), or the same files byte for byte."""
    given = [args.facts, args.logic]
    if args.command == "serve":  # its configuration may name them too
        given += [os.environ.get("LIVEGATE_FACTS_DIR"), os.environ.get("LIVEGATE_LOGIC_DIR")]
    here = Path("facts"), Path("logic")
    if args.command not in _READS_RULES or any(given) or not all(folder.is_dir() for folder in here):
        return None
    try:
        installed = default_paths()
    except KnowledgeError:
        return None  # said when the command loads it
    if [p.resolve() for p in installed] == [p.resolve() for p in here] or same_rules(*installed, *here):
        return None
    return Message("cli.installed_rules", installed=installed[0].parent, command=args.command)


def _knowledge(args: argparse.Namespace) -> Knowledge:
    try:
        return Knowledge.load(args.facts, args.logic)
    except KnowledgeError as exc:
        raise CliError(Message("cli.knowledge_base", error=exc.said), 3) from None


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(Message("cli.cannot_read", path=path, error=exc.strerror)) from None
    except UnicodeDecodeError:
        raise CliError(Message("cli.not_utf8", path=path)) from None
    try:
        return loads(text.removeprefix("\ufeff"))  # a byte order mark (Notepad's) is not the profile's
    except JsonError as exc:
        raise CliError(Message("cli.in_file", path=path, error=exc.said)) from None


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _lang_else_chinese(args: argparse.Namespace) -> str:
    """The language of ``evaluate``'s and ``catalogue``'s output: their ``--lang``, else Chinese."""
    return getattr(args, "lang", None) or LANGUAGES[0]


def _lang_else_english(args: argparse.Namespace) -> str:
    """The language of every command's errors and of ``diff``'s and ``impact``'s reports: the
    command's ``--lang`` where it has one and it is given, else English."""
    return getattr(args, "lang", None) or ENGLISH


def cmd_evaluate(args: argparse.Namespace) -> int:
    try:
        engine = Engine(_knowledge(args), pool_size=1)
    except KnowledgeError as exc:  # rules that parse but do not ground
        raise CliError(Message("cli.knowledge_base", error=exc.said), 3) from None
    data = _read_json(args.file)
    lang = _lang_else_chinese(args)
    try:
        answer = engine.evaluate(data, explain=not args.no_explain, timeout=args.timeout, lang=lang)
    except ProfileError as exc:
        said = _lang_else_english(args)
        lines = [
            Message(
                "cli.conflicts_with" if e.get("conflict") else "cli.invalid_profile",
                **{**e, "field": visible(e["field"]), "problem": problem_text(e, said)},
            ).text(said)
            for e in exc.errors
        ]
        raise CliError("\n".join(lines)) from None
    except EvaluationTimeout as exc:
        raise CliError(exc.said, 4) from None
    names = Names(engine.catalogue, lang)
    out = evaluation_text(answer, names, profile=data) if args.format == "text" else _dump(answer)
    _stdout().write(out)
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    knowledge = _knowledge(args)
    data = knowledge.catalogue_json()
    names = Names(knowledge.catalogue, _lang_else_chinese(args))
    _stdout().write(catalogue_text(data, names) if args.format == "text" else _dump(data))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    try:
        knowledge = Knowledge.load(args.facts, args.logic)
        problems = knowledge.lint()
    except KnowledgeError as exc:
        problems = [f"parse_error: {exc}"]
    lang = _lang_else_english(args)
    if problems:
        sys.stderr.write(f"{Message('cli.lint_problems', count=len(problems)).text(lang)}\n")
        sys.stderr.write("".join(f"  {p}\n" for p in problems))
        return 1
    cat = knowledge.catalogue
    said = Message(
        "cli.lint_ok",
        categories=len(cat.categories),
        alternatives=sum(len(c.alternatives) for c in cat.categories.values()),
        items=len(cat.items),
        activities=len(cat.activities),
        digest=knowledge.digest,
    )
    _stdout().write(f"{said.text(lang)}\n")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    said = _knowledge(args).grounding_error()  # a broken knowledge base fails here, before any worker starts
    if said is not None:  # (a worker that cannot build its engine is started again and again: batch hung)
        raise CliError(Message("cli.knowledge_base", error=said), 3)
    output = args.output
    csv_format = args.format == "csv" or (
        args.format is None and output is not None and output.lower().endswith(".csv")
    )
    with contextlib.ExitStack() as files:
        try:
            # a line ends at \n (or \r\n) only: a lone \r is JSON's whitespace, inside a line, where
            # wc, sed and pandas see it (read as a line break, every later line's number was off by one)
            source = (
                _stdin_lines()
                if args.input == "-"
                else files.enter_context(open(args.input, encoding="utf-8", newline="\n"))
            )
        except OSError as exc:
            raise CliError(Message("cli.cannot_read", path=args.input, error=exc.strerror)) from None
        try:
            out = (
                _stdout()
                if output in (None, "-")
                else _Output.to(files.enter_context(open(output, "w", encoding="utf-8", newline="")), output)
            )
        except OSError as exc:
            raise CliError(Message("cli.cannot_write", path=output, error=exc.strerror)) from None
        bad = run_batch(
            source,
            out,
            csv_format=csv_format,
            workers=args.workers,
            explain=args.explain,
            facts=args.facts,
            logic=args.logic,
            lang=_lang_else_chinese(args),
            said=_lang_else_english(args),
        )
        out.flush()  # here, while a file of -o is open: what cannot be written is said with its name
    return 1 if bad else 0


def cmd_diff(args: argparse.Namespace) -> int:
    from ..rulesets import RulesetError
    from .diff import run_diff

    try:
        return run_diff(
            args.old,
            args.new,
            fmt=args.format,
            exit_code=args.exit_code,
            lang=_lang_else_english(args),
            out=_stdout(),
        )
    except RulesetError as exc:
        raise CliError(exc.said) from None
    except KnowledgeError as exc:
        raise CliError(Message("cli.knowledge_base", error=exc.said), 3) from None


def cmd_impact(args: argparse.Namespace) -> int:
    from ..rulesets import RulesetError
    from .impact import run_impact

    try:
        return run_impact(
            args.old,
            args.new,
            logs=args.log,
            profiles=args.profiles,
            random=args.random,
            seed=args.seed,
            workers=args.workers,
            explain=args.explain,
            examples=args.examples,
            fmt=args.format,
            fail_on_change=args.fail_on_change,
            lang=_lang_else_english(args),
            out=_stdout(),
        )
    except RulesetError as exc:
        raise CliError(exc.said) from None
    except KnowledgeError as exc:
        raise CliError(Message("cli.knowledge_base", error=exc.said), 3) from None
    except BrokenPipeError:
        raise  # the report's reader has read enough: quiet (main)
    except OSError as exc:
        raise CliError(Message("cli.cannot_read", path=exc.filename, error=exc.strerror)) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve  # imported here: gunicorn is needed only to serve

    config = {
        key: value
        for key, value in (("FACTS_DIR", args.facts), ("LOGIC_DIR", args.logic), ("TIMEOUT", args.timeout))
        if value is not None
    }
    return serve(host=args.host, port=args.port, workers=args.workers, threads=args.threads, config=config)


def _help_language(argv: list[str]) -> str:
    """The language of ``--help``: the last ``--lang`` on the command line that names one of the
    catalogue's languages (before ``--``), else English."""
    lang = ENGLISH
    for k, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[k + 1] if arg == "--lang" and k + 1 < len(argv) else arg.removeprefix("--lang=")
        if arg.startswith("--lang") and value in LANGUAGES:
            lang = value
    return lang


class _Parsers:
    """Builds the parsers in one language: every help text is the catalogue's (``cli.help.*``).
    Each parser's arguments and options are listed under the catalogue's titles (argument
    groups), and each has its own ``-h``/``--help``."""

    def __init__(self, lang: str):
        self.words = Phrases(lang)

    def t(self, key: str, **values: Any) -> str:
        return self.words.t(f"cli.help.{key}", **values)

    def whole(self, low: int | None, high: int | None = None) -> Callable[[str], int]:
        """An argument's type: a whole number (of at least ``low`` and at most ``high`` where
        given; argparse says which argument)."""

        def parse(text: str) -> int:
            try:
                value = int(text)
            except ValueError:
                raise argparse.ArgumentTypeError(self.words.t("cli.arg.integer", value=text)) from None
            if low is not None and high is not None and not low <= value <= high:
                raise argparse.ArgumentTypeError(self.words.t("cli.arg.between", low=low, high=high, value=value))
            if low is not None and value < low:
                raise argparse.ArgumentTypeError(self.words.t("cli.arg.at_least", low=low, value=value))
            return value

        return parse

    def seconds(self, text: str) -> float:
        """An argument's type: a number of seconds above 0 and at most a day (the bound of the
        settings in seconds, :data:`~livegate.http.config.MAX_SECONDS`)."""
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value <= MAX_SECONDS:  # NaN fails too
            raise argparse.ArgumentTypeError(self.words.t("cli.arg.seconds", high=MAX_SECONDS, value=text))
        return value

    def groups(self, parser: argparse.ArgumentParser) -> tuple[Any, Any]:
        """The parser's group of arguments and group of options (with ``--help`` in it)."""
        arguments = parser.add_argument_group(self.t("arguments"))
        options = parser.add_argument_group(self.t("options"))
        options.add_argument("-h", "--help", action="help", help=self.t("help"))
        return arguments, options

    def build(self) -> argparse.ArgumentParser:
        t = self.t
        parser = Parser(
            prog="livegate", description=t("description"), epilog=t("epilog"), add_help=False, formatter_class=Formatter
        )
        parser.words = self.words
        _, options = self.groups(parser)
        options.add_argument("--facts", type=Path, default=None, help=t("facts"))
        options.add_argument("--logic", type=Path, default=None, help=t("logic"))
        options.add_argument("--lang", dest="top_lang", choices=LANGUAGES, default=None, help=t("lang_top"))
        # not required here: an unknown option before the command is said as such (main says a
        # missing command), not as a missing command
        sub = parser.add_subparsers(
            dest="command", required=False, title=t("commands"), metavar=t("command"), parser_class=CommandParser
        )

        def command(name: str) -> tuple[Any, Any]:
            p = sub.add_parser(name, help=t(name), description=t(name), add_help=False, formatter_class=Formatter)
            p.words = self.words
            p.set_defaults(func=_COMMANDS[name])
            return self.groups(p)

        a, o = command("evaluate")
        a.add_argument("file", help=t("evaluate_file"))
        o.add_argument("--format", choices=["json", "text"], default="json", help=t("evaluate_format"))
        o.add_argument("--no-explain", action="store_true", help=t("no_explain"))
        o.add_argument("--timeout", type=self.seconds, default=None, help=t("timeout"))
        o.add_argument("--lang", choices=LANGUAGES, default=None, help=t("lang_evaluate"))

        _, o = command("catalogue")
        o.add_argument("--format", choices=["json", "text"], default="json", help=t("catalogue_format"))
        o.add_argument("--lang", choices=LANGUAGES, default=None, help=t("lang_catalogue"))

        _, o = command("lint")
        o.add_argument("--lang", choices=LANGUAGES, default=None, help=t("lang_lint"))

        a, o = command("batch")
        a.add_argument("input", help=t("batch_input"))
        o.add_argument("-o", "--output", default=None, help=t("batch_output"))
        o.add_argument("--format", choices=["jsonl", "csv"], default=None, help=t("batch_format"))
        o.add_argument("--workers", type=self.whole(1), default=None, help=t("workers"))
        o.add_argument("--explain", action="store_true", help=t("batch_explain"))
        o.add_argument("--lang", choices=LANGUAGES, default=None, help=t("lang_batch"))

        a, o = command("diff")
        a.add_argument("old", metavar="OLD", help=t("ruleset"))
        a.add_argument("new", metavar="NEW", nargs="?", default=".", help=t("ruleset_new"))
        o.add_argument("--format", choices=["text", "json"], default="text", help=t("report_format"))
        o.add_argument("--exit-code", action="store_true", help=t("exit_code"))
        o.add_argument("--lang", choices=LANGUAGES, default=None, help=t("lang_report"))

        a, o = command("impact")
        sub.choices["impact"].hint = self.words.t("cli.impact_rulesets_first")
        a.add_argument("old", metavar="OLD", help=t("ruleset"))
        a.add_argument("new", metavar="NEW", nargs="?", default=".", help=t("ruleset_new"))
        o.add_argument("--log", action="append", default=[], metavar="FILE", help=t("log"))
        o.add_argument("--profiles", nargs="+", action="extend", default=[], metavar="FILE", help=t("profiles"))
        o.add_argument("--random", type=self.whole(0), default=0, metavar="N", help=t("random"))
        o.add_argument("--seed", type=self.whole(None), default=corpus.SEED, help=t("seed", seed=corpus.SEED))
        o.add_argument("--workers", type=self.whole(1), default=None, help=t("workers"))
        o.add_argument("--explain", action="store_true", help=t("impact_explain"))
        o.add_argument("--examples", type=self.whole(0), default=3, metavar="K", help=t("examples"))
        o.add_argument("--format", choices=["text", "json"], default="text", help=t("report_format"))
        o.add_argument("--fail-on-change", action="store_true", help=t("fail_on_change"))
        o.add_argument("--lang", choices=LANGUAGES, default=None, help=t("lang_report"))

        _, o = command("serve")
        o.add_argument("--host", default="127.0.0.1", help=t("host"))
        o.add_argument("--port", type=self.whole(0, 65535), default=8000, help=t("port"))
        o.add_argument("--workers", type=self.whole(1), default=2, help=t("serve_workers"))
        o.add_argument("--threads", type=self.whole(1), default=None, help=t("threads"))
        o.add_argument("--timeout", type=self.seconds, default=None, help=t("serve_timeout"))
        return parser


_COMMANDS = {
    "evaluate": cmd_evaluate,
    "catalogue": cmd_catalogue,
    "lint": cmd_lint,
    "batch": cmd_batch,
    "diff": cmd_diff,
    "impact": cmd_impact,
    "serve": cmd_serve,
}


def build_parser(lang: str = ENGLISH) -> argparse.ArgumentParser:
    """The command line's parser, its help in ``lang``."""
    return _Parsers(lang).build()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lang = _help_language(argv)
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error(required(Phrases(lang).t("cli.help.command")))
    if args.top_lang is not None and getattr(args, "lang", False) is None:
        args.lang = args.top_lang  # given before the command: the command's own --lang, where it has one
    try:
        _folders(args)
        notice = _installed_not_here(args)
        if notice is not None:
            sys.stderr.write(notice.text(_lang_else_english(args)) + "\n")
        code = args.func(args)
        if args.command != "serve" and sys.stdout is not None:  # (closed: said by the first write)
            _stdout().flush()  # what is still buffered: a full disk says so here, not at exit
        return code
    except CliError as exc:
        sys.stderr.write(Message("cli.error", message=exc.said).text(_lang_else_english(args)) + "\n")
        return exc.code
    except OutputError as exc:
        sys.stderr.write(Message("cli.error", message=exc.said).text(_lang_else_english(args)) + "\n")
        if exc.path is None:
            _quiet_stdout()
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
