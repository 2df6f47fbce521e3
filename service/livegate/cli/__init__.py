"""The ``livegate`` command: evaluate, catalogue, lint, serve, batch, diff, impact.

Errors go to stderr with a non-zero exit and never a traceback:
2 for bad input (profile, JSON, file), 3 for a broken knowledge base,
4 for an evaluation over its time bound. They are English, or in the language
``--lang`` names where a command has it and it is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from .. import corpus
from ..engine import Engine
from ..kb import Knowledge, KnowledgeError
from ..names import Names
from ..profile import JsonError, ProfileError, loads, problem_text
from ..solver import EvaluationTimeout
from ..words import ENGLISH, LANGUAGES, Message, Said
from .report import catalogue_text, evaluation_text

__all__ = ["main"]


class CliError(Said):
    """A user-facing failure: its words for stderr (``said``) and the exit code."""

    def __init__(self, said: Message | str, code: int = 2):
        super().__init__(said)
        self.code = code


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
        return loads(text)
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
    engine = Engine(_knowledge(args), pool_size=1)
    data = _read_json(args.file)
    lang = _lang_else_chinese(args)
    try:
        answer = engine.evaluate(data, explain=not args.no_explain, timeout=args.timeout, lang=lang)
    except ProfileError as exc:
        said = _lang_else_english(args)
        lines = [
            Message(
                "cli.conflicts_with" if e.get("conflict") else "cli.invalid_profile",
                **{**e, "problem": problem_text(e, said)},
            ).text(said)
            for e in exc.errors
        ]
        raise CliError("\n".join(lines)) from None
    except EvaluationTimeout as exc:
        raise CliError(exc.said, 4) from None
    out = evaluation_text(answer, Names(engine.catalogue, lang)) if args.format == "text" else _dump(answer)
    sys.stdout.write(out)
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    knowledge = _knowledge(args)
    data = knowledge.catalogue_json()
    names = Names(knowledge.catalogue, _lang_else_chinese(args))
    sys.stdout.write(catalogue_text(data, names) if args.format == "text" else _dump(data))
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
    sys.stdout.write(f"{said.text(lang)}\n")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    _knowledge(args)  # a broken knowledge base fails here, before any worker starts
    output = args.output
    csv_format = args.format == "csv" or (args.format is None and output is not None and output.endswith(".csv"))
    with contextlib.ExitStack() as files:
        try:
            source = sys.stdin if args.input == "-" else files.enter_context(open(args.input, encoding="utf-8"))
        except OSError as exc:
            raise CliError(Message("cli.cannot_read", path=args.input, error=exc.strerror)) from None
        try:
            out = (
                sys.stdout
                if output in (None, "-")
                else files.enter_context(open(output, "w", encoding="utf-8", newline=""))
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
        )
    return 1 if bad else 0


def cmd_diff(args: argparse.Namespace) -> int:
    from ..rulesets import RulesetError
    from .diff import run_diff

    try:
        return run_diff(args.old, args.new, fmt=args.format, exit_code=args.exit_code, lang=_lang_else_english(args))
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
        )
    except RulesetError as exc:
        raise CliError(exc.said) from None
    except KnowledgeError as exc:
        raise CliError(Message("cli.knowledge_base", error=exc.said), 3) from None
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livegate", description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=Path, default=None, help="facts/ folder (default: the shipped one)")
    parser.add_argument("--logic", type=Path, default=None, help="logic/ folder (default: the shipped one)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("evaluate", help="answer one profile (JSON file, or - for stdin)")
    p.add_argument("file")
    p.add_argument("--format", choices=["json", "text"], default="json")
    p.add_argument("--no-explain", action="store_true", help="leave out the explanations")
    p.add_argument("--timeout", type=float, default=None, help="seconds before the solver is interrupted")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of explanations, text and errors")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("catalogue", help="categories, items, roles, activities, scenarios")
    p.add_argument("--format", choices=["json", "text"], default="json")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the text format and errors")
    p.set_defaults(func=cmd_catalogue)

    p = sub.add_parser("lint", help="check the knowledge base")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the summary and errors")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("batch", help="evaluate one profile per line (JSON Lines) on every core")
    p.add_argument("input", help="JSON Lines file, or - for stdin")
    p.add_argument("-o", "--output", default=None, help="output file: .jsonl (default: stdout) or .csv")
    p.add_argument("--format", choices=["jsonl", "csv"], default=None, help="default: by the output's suffix")
    p.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    p.add_argument("--explain", action="store_true", help="include the explanations (large)")
    p.set_defaults(func=cmd_batch)

    ruleset = "a folder holding facts/ and logic/, or a git revision of this repository"
    p = sub.add_parser("diff", help="what changed in the rules' meaning between two rulesets")
    p.add_argument("old", help=ruleset)
    p.add_argument("new", nargs="?", default=".", help=ruleset + " (default: the current folder)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when anything changed")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the report and errors (default: en)")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("impact", help="replay profiles under two rulesets: whose answers change, and how")
    p.add_argument("old", help=ruleset)
    p.add_argument("new", nargs="?", default=".", help=ruleset + " (default: the current folder)")
    p.add_argument("--log", action="append", default=[], metavar="FILE", help="a decision log (JSON Lines)")
    p.add_argument("--profiles", nargs="+", action="extend", default=[], metavar="FILE", help=".jsonl or .json")
    p.add_argument("--random", type=int, default=0, metavar="N", help="N seeded realistic profiles")
    p.add_argument("--seed", type=int, default=corpus.SEED, help=f"seed of --random (default {corpus.SEED})")
    p.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    p.add_argument("--explain", action="store_true", help="compare the explanations too")
    p.add_argument("--examples", type=int, default=3, metavar="K", help="examples per kind of change (default 3)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--fail-on-change", action="store_true", help="exit 1 when any answer changed")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the report and errors (default: en)")
    p.set_defaults(func=cmd_impact)

    p = sub.add_parser("serve", help="serve the HTTP API with gunicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument(
        "--threads", type=int, default=None, help="requests served at once per worker (default: LIVEGATE_POOL_SIZE, 2)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds one evaluation may take before it is stopped with 503 (default: LIVEGATE_TIMEOUT, 2)",
    )
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        sys.stderr.write(Message("cli.error", message=exc.said).text(_lang_else_english(args)) + "\n")
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
