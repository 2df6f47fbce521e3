"""``livegate serve``: the API under gunicorn, a pre-fork WSGI server.

The master process checks the configuration, copies the knowledge base into a
private snapshot and checks it as a reload does (below: in a child process,
under ``CHECK_MEMORY`` and CHECK_SECONDS), binds the socket and supervises;
each worker process builds its own app with
:func:`livegate.app.create_app` from that snapshot when it boots, so the engine
is grounded in the worker before it accepts its first request (no clingo state
crosses a fork). Each worker is a :class:`~livegate.http.worker.BufferingWorker`,
gunicorn's ``gthread`` worker whose event loop reads each request in full
before a thread gets it: each serves ``threads`` requests at once, with one
clingo Control per thread (the engine's pool), while slow and idle connections
(up to ``MAX_CONNECTIONS`` per worker, each closed after ``READ_TIMEOUT``
without a whole request) wait in the event loop.

``kill -HUP`` reloads the ruleset without downtime (:meth:`_Arbiter.reload`):
the master copies the configured ``facts/`` and ``logic/`` into a new
snapshot and checks it in a child process (parse, lint, ground, one
evaluation; at most ``CHECK_MEMORY`` MiB and CHECK_SECONDS); a snapshot that
fails is refused — the old workers keep serving, the reason goes to the log,
``/metrics`` and ``/v1/health``. A good one is loaded by new workers while the
old ones keep serving; once every new worker has grounded its engine, the old
ones are told to stop (they finish their requests). The workers load only a
snapshot the master checked, so a directory being rewritten is never half-read.

The run directory, a private temporary directory removed on exit, holds the
snapshots, the metrics of every process (``PROMETHEUS_MULTIPROC_DIR``, see
:mod:`livegate.http.metrics`) and what workers tell each other
(:mod:`livegate.http.runtime`).

SIGTERM and SIGINT (Ctrl-C) stop gracefully: requests in flight finish, for up to
:func:`drain_seconds` (``TIMEOUT`` + 5 s, at least 10 s); both exit 0. Logging is the standard library's
(:data:`LOGGING`): without ``LOG_CONFIG``, access-log lines (JSON, one per
request) go to stdout and the server's own messages to stderr; a logging
configuration file (``LOG_CONFIG``) changes what it names (gunicorn applies
it in the master, so every worker has it).
"""

from __future__ import annotations

import argparse
import configparser
import copy
import fcntl
import json
import logging
import logging.config
import math
import os
import queue
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from ..http import runtime
from ..http.config import DEFAULTS, ConfigError, load_config
from ..http.decisions import EXTENSION as DECISIONS
from ..http.decisions import DecisionLog, now
from ..http.logs import ACCESS_LOGGER, DECISION_LOGGER
from ..http.memory import keep_start_up
from ..http.metrics import MULTIPROC_ENV, ReloadStage
from ..http.spread import Shares
from ..http.worker import MAX_HEAD_BYTES
from ..kb import Knowledge, KnowledgeError, default_paths, digest
from ..words import Message
from .errors import folder_problem

__all__ = ["LivegateServer", "check_ruleset", "serve"]

LOGGER = logging.getLogger("livegate")

RELOAD_BOOT_FAILED = 5
"""Exit status of a worker started by a reload whose app could not be built (gunicorn halts the
whole server on its own boot-failure statuses, 3 and 4; a reload must not)."""

CHECK_SECONDS = 120.0
"""Longest a reload's check of a snapshot (parse, lint, ground, one evaluation) may take."""

CHECK_MEMORY = DEFAULTS["CHECK_MEMORY"] * 1024**2
"""The address space a check may take by default (``RLIMIT_AS`` of its process; the setting
``CHECK_MEMORY``, in MiB): the shipped ruleset's check peaks at about 210 MB; a ruleset whose
grounding runs away (80 MB a second was measured) is stopped here, refused, rather than taking
the machine's memory for CHECK_SECONDS. The check runs at start-up and on each reload, before
any worker grounds the ruleset."""

BOOT_SECONDS = 120.0
"""Longest the new workers of a reload may take to ground their engines before the reload is refused."""


# -- the knowledge base's snapshots ---------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """A copy of the knowledge base in the run directory: its folders keep their names, so its
    digest is the digest of the folders it was copied from."""

    root: Path
    facts: Path
    logic: Path


class Rulesets:
    """The master's snapshots of the configured knowledge base (``FACTS_DIR``, ``LOGIC_DIR``, or the
    shipped folders): the one new workers load, and the ones old workers may still read."""

    def __init__(self, run_dir: Path, facts_dir: str | None, logic_dir: str | None):
        self.root = run_dir / "rulesets"
        self.facts_dir, self.logic_dir = facts_dir, logic_dir
        self.current: Snapshot | None = None
        self._made = 0

    def sources(self) -> tuple[Path, Path]:
        if self.facts_dir and self.logic_dir:
            return Path(self.facts_dir), Path(self.logic_dir)
        facts, logic = default_paths()
        return Path(self.facts_dir or facts), Path(self.logic_dir or logic)

    def copy(self) -> Snapshot:
        """A new snapshot of the configured folders (OSError if they cannot be read)."""
        self._made += 1
        root = self.root / str(self._made)
        facts, logic = self.sources()
        try:
            shutil.copytree(facts, root / "facts" / facts.name)
            shutil.copytree(logic, root / "logic" / logic.name)
        except (OSError, shutil.Error):
            shutil.rmtree(root, ignore_errors=True)
            raise
        return Snapshot(root, root / "facts" / facts.name, root / "logic" / logic.name)

    def of_sources(self, text: str, snapshot: Snapshot) -> str:
        """``text`` (an error of clingo, a lint problem) with the snapshot's folders named by the
        configured folders they were copied from."""
        return _renamed(text, dict(zip((snapshot.facts, snapshot.logic), self.sources(), strict=True)))

    def keep_only_current(self) -> None:
        """Remove every snapshot but the current one (once no worker reads an older one)."""
        for path in self.root.iterdir() if self.root.is_dir() else ():
            if self.current is None or path != self.current.root:
                shutil.rmtree(path, ignore_errors=True)


def _renamed(text: str, paths: dict[Path, Path]) -> str:
    """``text`` with each path of ``paths`` written as the path it maps to."""
    for old, new in paths.items():
        text = text.replace(str(old), str(new))
    return text


Stopped = Literal["stopped"]
STOPPED: Stopped = "stopped"
"""The stage of a reload abandoned because the server was told to stop (not a refusal: nothing is
recorded, the stop goes on)."""


class Verdict(TypedDict):
    """A reload's check: whether the knowledge base can be served, and if not, at which stage and why."""

    ok: bool
    stage: ReloadStage | Literal["ok"] | Stopped
    reason: str | None
    ruleset: dict[str, str] | None
    digest: NotRequired[str]


def check_ruleset(facts: Path, logic: Path, timeout: float = 2.0) -> Verdict:
    """Whether a knowledge base can be served: it parses, passes lint, grounds and answers one
    profile (the example of ``/openapi.json``) within ``timeout`` s. ``{"ok", "stage", "reason",
    "ruleset", "digest"}``, ``stage`` naming what failed (``ok`` if nothing did)."""
    from ..engine import Engine
    from ..http.openapi import example_profile

    verdict: Verdict = {"ok": False, "stage": "parse", "reason": None, "ruleset": None}
    try:
        verdict["digest"] = digest(facts, logic)
        knowledge = Knowledge.load(facts, logic)
    except (KnowledgeError, OSError) as exc:
        return {**verdict, "reason": str(exc)}
    verdict["ruleset"] = knowledge.ruleset
    problems = knowledge.lint(ground=False)  # the engine grounds next: a grounding error is told at "ground"
    if problems:
        shown = "; ".join(problems[:5]) + (
            str(Message("reload.lint_more", count=len(problems) - 5)) if len(problems) > 5 else ""
        )
        return {**verdict, "stage": "lint", "reason": str(Message("reload.lint", count=len(problems), shown=shown))}
    try:
        engine = Engine(knowledge, pool_size=1)
    except MemoryError:  # clingo's std::bad_alloc past the check's bound (CHECK_MEMORY)
        return {**verdict, "stage": "ground", "reason": _out_of_memory()}
    except KnowledgeError as exc:  # clingo's own words, with file and line: no class name before them
        return {**verdict, "stage": "ground", "reason": str(exc).strip()}
    except Exception as exc:  # whatever clingo raises while grounding: the verdict carries it
        return {**verdict, "stage": "ground", "reason": f"{type(exc).__name__}: {str(exc).strip()}"}
    try:
        engine.evaluate(example_profile(knowledge.catalogue), timeout=timeout)
    except Exception as exc:  # a time-out, or rules that no longer answer
        return {**verdict, "stage": "evaluate", "reason": f"{type(exc).__name__}: {str(exc).strip()}"}
    return {**verdict, "ok": True, "stage": "ok"}


def _out_of_memory() -> str:
    """Why a check stopped at its address-space bound, naming the bound."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    return str(Message("reload.check_memory", limit=limit // 1024**2))


def _check_in_child(
    snapshot: Snapshot, timeout: float, memory: int = CHECK_MEMORY, stop: Any = lambda: False
) -> Verdict:
    """:func:`check_ruleset` in a child process, so that the master never grounds (no clingo
    state, no engine threads in the process that forks the workers) and a check that hangs or
    crashes costs only the child. ``stop()`` is asked every 50 ms: true, the child is killed and
    the verdict's stage is :data:`STOPPED`."""
    env = {k: v for k, v in os.environ.items() if k != MULTIPROC_ENV}
    command = [sys.executable, "-m", "livegate.cli.serve", "--check", str(snapshot.facts), str(snapshot.logic)]
    command += ["--timeout", str(timeout), "--memory", str(memory)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + CHECK_SECONDS
        while child.poll() is None:
            if stop() or time.monotonic() > deadline:
                child.kill()
                child.wait()
                if time.monotonic() <= deadline:
                    return {"ok": False, "stage": STOPPED, "reason": None, "ruleset": None}
                reason = str(Message("reload.check_timeout", seconds=CHECK_SECONDS))
                named = digest(snapshot.facts, snapshot.logic)
                return {"ok": False, "stage": "timeout", "reason": reason, "ruleset": None, "digest": named}
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        lines, errors = out.read().strip().splitlines(), err.read()
    try:
        verdict: Verdict = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = errors.strip().splitlines()[-3:]
        reason = str(Message("reload.check_exited", code=child.returncode, tail=" ".join(tail)))
        return {"ok": False, "stage": "ground", "reason": reason, "ruleset": None}
    return verdict


# -- gunicorn --------------------------------------------------------------------------------
class _Arbiter(Arbiter):
    """gunicorn's master, with ``HUP`` reloading the ruleset only, rolling and checked."""

    def __init__(self, app: LivegateServer):
        self.stopping = False
        self.retiring: set[int] = set()  # old workers a reload told to stop
        self.abandoned: set[int] = set()  # new workers of a reload, until they have booted
        super().__init__(app)

    def stop(self, graceful: bool = True) -> None:
        self.stopping = True
        super().stop(graceful)

    def handle_usr2(self) -> None:
        """gunicorn re-executes itself on USR2 (a new binary beside the old one). livegate serve
        does not: its run directory and checked snapshot are the master's own, and the new master
        only failed to bind with a misleading "address already in use". Said, and ignored."""
        self.log.warning(
            "SIGUSR2 ignored: livegate serve does not re-execute itself; kill -HUP reloads the ruleset, "
            "and a new version of the package needs a restart"
        )

    def reload(self) -> None:
        server: LivegateServer = self.app
        rulesets = server.rulesets
        sources: tuple[Path, ...] = ()
        try:
            sources = rulesets.sources()
            self.log.info("Reloading the ruleset from %s and %s", *sources)
        except KnowledgeError:
            pass  # said by the refusal below
        try:
            snapshot = rulesets.copy()
        except (OSError, shutil.Error, KnowledgeError) as exc:
            reason = str(Message("reload.cannot_copy", error=exc))
            # /v1/health shows the reason: the folders by name, no server path
            server.reload_refused("copy", _renamed(reason, {f: Path(f.name) for f in sources}), None)
            return
        verdict = _check_in_child(snapshot, server.check_timeout, server.check_memory, self._tend)
        if verdict["stage"] == STOPPED:  # the server is stopping: the reload is abandoned, not refused
            shutil.rmtree(snapshot.root, ignore_errors=True)
            self.log.info("ruleset reload abandoned: the server is stopping")
            return
        if verdict["reason"]:  # the snapshot's place is the server's business: name the folders only
            verdict["reason"] = _renamed(verdict["reason"], {f: Path(f.name) for f in (snapshot.facts, snapshot.logic)})
        stage, ruleset = verdict["stage"], verdict["ruleset"]
        if stage != "ok":
            shutil.rmtree(snapshot.root, ignore_errors=True)
            server.reload_refused(stage, verdict["reason"] or "", ruleset, verdict.get("digest"))
            return
        assert ruleset is not None  # a check passes only once it has read the ruleset
        old, previous = set(self.WORKERS), rulesets.current
        served = {w["pid"]: w["ruleset"] for w in runtime.workers(server.run_dir) if w["pid"] in old}
        if old and set(served) == old and all(r["digest"] == ruleset["digest"] for r in served.values()):
            # the files hold what every worker serves: nothing to apply, and their caches are kept
            # (new workers were started for it, and it was logged "applied": an SRE could not tell
            # whether the new files had been read); log files are reopened, as a reload does
            shutil.rmtree(snapshot.root, ignore_errors=True)
            self.log.reopen_files()
            server.reload_unchanged(ruleset)
            return
        before = {(r["version"], r["digest"]) for r in served.values()}
        server.use(snapshot)
        self.log.reopen_files()
        server.rolling = True
        new = [self.spawn_worker() for _ in range(self.num_workers)]
        server.rolling = False
        self.abandoned.update(new)  # until they have all booted: an exit is no restart
        failed = self._await_boot(new, server.run_dir)
        if failed is not None and failed[0] == STOPPED:
            self.log.info("ruleset reload abandoned: the server is stopping")
        if failed is None:
            self.abandoned.difference_update(new)
            self.retiring |= old
            for pid in old:
                self.kill_worker(pid, signal.SIGTERM)
            server.reload_applied(ruleset, len(old), next(iter(before)) if len(before) == 1 else None)
            if not self.retiring:
                rulesets.keep_only_current()
            return
        for pid in new:  # one that has grounded may hold requests: it finishes them; the others answered none
            if pid in self.WORKERS:
                grounded = (server.run_dir / "workers" / f"{pid}.json").exists()
                self.kill_worker(pid, signal.SIGTERM if grounded else signal.SIGKILL)
        self._await_exit(new)
        server.use(previous)
        shutil.rmtree(snapshot.root, ignore_errors=True)
        if failed[0] != STOPPED:
            server.reload_refused(failed[0], failed[1], ruleset, verdict.get("digest"))

    def _tend(self) -> bool:
        """While a reload's check runs (up to 120 s): replace a worker that died, as gunicorn's loop
        would, and say whether a stop was asked. The loop waited behind the check: a worker killed
        meanwhile stayed a zombie, still listed as serving, and was reported afterwards as a worker
        timeout ("Perhaps out of memory?")."""
        self.reap_workers()
        self.manage_workers()
        return self._stop_asked()

    def _stop_asked(self) -> bool:
        """Whether a signal to stop (TERM, INT, QUIT) came while a reload runs in the master's loop;
        every signal taken off gunicorn's queue to look is put back, for the loop to handle once the
        reload has given up (a reload took up to 4 minutes, and the stop waited behind it: past
        systemd's and Kubernetes' 30 s, the master was killed, its run directory left behind)."""
        seen: list[Any] = []
        while True:
            try:
                seen.append(self.SIG_QUEUE.get_nowait())
            except queue.Empty:
                break
        for sig in seen:
            self.SIG_QUEUE.put_nowait(sig)
        return any(sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT) for sig in seen)

    def _await_boot(self, pids: list[int], run_dir: Path) -> tuple[ReloadStage | Stopped, str] | None:
        """Wait until every worker of ``pids`` has grounded its engine; None, or why not."""
        deadline = time.monotonic() + BOOT_SECONDS
        while True:
            self.reap_workers()
            if self._stop_asked():
                return STOPPED, ""
            if any(pid not in self.WORKERS for pid in pids):
                return "boot", str(Message("reload.worker_exited"))
            if all((run_dir / "workers" / f"{pid}.json").exists() for pid in pids):
                return None
            if time.monotonic() > deadline:
                return "timeout", str(Message("reload.boot_timeout", seconds=BOOT_SECONDS))
            time.sleep(0.05)

    def _await_exit(self, pids: list[int]) -> None:
        """Wait until the workers of ``pids`` have exited (killed after ``graceful_timeout``): were one
        left, gunicorn's count of workers would retire an old one in its place."""
        deadline = time.monotonic() + self.cfg.graceful_timeout
        killed = False
        while any(pid in self.WORKERS for pid in pids):
            if time.monotonic() > deadline and not killed:
                for pid in pids:
                    if pid in self.WORKERS:
                        self.kill_worker(pid, signal.SIGKILL)
                killed, deadline = True, time.monotonic() + 10
            elif time.monotonic() > deadline:
                break
            self.reap_workers()
            time.sleep(0.05)


def _child_exit(arbiter: _Arbiter, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook (in the master): forget the worker's ruleset and its live
    metrics, count the restart, and drop the snapshots no worker reads any more."""
    from prometheus_client import multiprocess

    server: LivegateServer = arbiter.app
    server.shares.release(getattr(worker, "livegate_slot", None))
    runtime.forget_worker(server.run_dir, worker.pid)
    multiprocess.mark_process_dead(worker.pid)
    retired = worker.pid in arbiter.retiring
    arbiter.retiring.discard(worker.pid)
    if arbiter.stopping or worker.pid in arbiter.abandoned:
        arbiter.abandoned.discard(worker.pid)
        return
    server.metrics.restarted("reload" if retired else "exit")
    if retired and not arbiter.retiring:
        server.rulesets.keep_only_current()


def _pre_fork(arbiter: _Arbiter, worker: Any) -> None:
    """gunicorn's ``pre_fork`` hook (in the master): the worker's slot in the table of
    connections each worker holds (:mod:`livegate.http.spread`)."""
    worker.livegate_slot = arbiter.app.shares.assign()


class LivegateServer(BaseApplication):
    """gunicorn, configured in code rather than from its command line."""

    def __init__(
        self,
        options: dict[str, Any],
        app_config: dict[str, Any],
        *,
        run_dir: Path | None = None,
        rulesets: Rulesets | None = None,
    ):
        from ..http.metrics import ServerMetrics

        self.options = options
        self.app_config = app_config
        self.run_dir = run_dir or Path(app_config["RUN_DIR"])
        self.rulesets = rulesets or Rulesets(self.run_dir, app_config.get("FACTS_DIR"), app_config.get("LOGIC_DIR"))
        checked = load_config(app_config)
        self.check_timeout = float(checked["TIMEOUT"]) * 5
        self.check_memory = int(checked["CHECK_MEMORY"]) * 1024**2
        self.metrics = ServerMetrics()
        # a slot for each worker, and as many again for those a reload starts beside them
        self.shares = Shares(2 * int(options.get("workers", 1)) + 2)
        self.rolling = False
        super().__init__(prog="livegate serve")

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("child_exit", _child_exit)
        self.cfg.set("pre_fork", _pre_fork)

    def run(self) -> None:
        try:
            _Arbiter(self).run()
        except RuntimeError as exc:
            sys.stderr.write(f"\n{Message('cli.serve_stopped', message=exc)}\n")
            sys.exit(1)

    def use(self, snapshot: Snapshot | None) -> None:
        """Make ``snapshot`` the one new workers load."""
        self.rulesets.current = snapshot
        if snapshot is not None:
            self.app_config["FACTS_DIR"], self.app_config["LOGIC_DIR"] = str(snapshot.facts), str(snapshot.logic)

    def load(self):
        """Called in each worker as it boots: logging, then the app with its engine; then the
        worker names its ruleset in the run directory (the master waits for that in a reload).

        A stop signal that arrives while the engine grounds is held until the app is built:
        raised inside one of clingo's callbacks, the worker's quit handler would surface as a
        failed boot (gunicorn then halts with status 3 instead of stopping cleanly). A worker
        started by a reload that cannot build its app exits with :data:`RELOAD_BOOT_FAILED`,
        which the reload reports, instead of a status that halts the server."""
        from ..app import create_app

        rolling = self.rolling
        stops = {signal.SIGINT, signal.SIGTERM, signal.SIGQUIT}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        try:
            # a worker of the serving generation (at start, or a crashed one's replacement) boots
            # degraded on a decision log it cannot open; a reload's is refused, and the reload with it
            app = create_app({**self.app_config, "BOOT_DEGRADED": not rolling})
        except Exception:
            if not rolling:
                raise
            LOGGER.exception("a worker started by a ruleset reload could not build its app")
            sys.exit(RELOAD_BOOT_FAILED)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        keep_start_up()  # before the first request (livegate.http.memory says why)
        ruleset = app.extensions[DECISIONS].engine.ruleset
        runtime.write_worker(self.run_dir, os.getpid(), ruleset)
        LOGGER.info("engine grounded: ruleset %s (%s); accepting requests", ruleset["version"], ruleset["digest"])
        return app

    # -- what a reload tells -------------------------------------------------------------------
    def _reloaded(
        self,
        outcome: Literal["applied", "refused", "unchanged"],
        stage: ReloadStage | Literal["ok"],
        reason: str | None,
        ruleset: dict[str, str] | None,
    ) -> None:
        when = time.time()
        self.metrics.reloaded(outcome, stage, when)
        state = {"outcome": outcome, "stage": stage, "reason": reason, "time": now(), "ruleset": ruleset}
        runtime.write_reload(self.run_dir, state)

    def reload_applied(self, ruleset: dict[str, str], retired: int, before: tuple[str, str] | None = None) -> None:
        LOGGER.info(
            "ruleset reload applied: %s (%s) served by new workers, in place of %s; %d old worker(s) finish "
            "their requests",
            ruleset["version"],
            ruleset["digest"],
            f"{before[0]} ({before[1]})" if before else "the rulesets the old workers served",
            retired,
        )
        self._reloaded("applied", "ok", None, ruleset)

    def reload_unchanged(self, ruleset: dict[str, str]) -> None:
        LOGGER.info(
            "ruleset reload: the files hold the ruleset every worker serves, %s (%s): nothing to apply; "
            "the workers keep serving it",
            ruleset["version"],
            ruleset["digest"],
        )
        self._reloaded("unchanged", "ok", None, ruleset)

    def reload_refused(
        self, stage: ReloadStage, reason: str, ruleset: dict[str, str] | None, refused_digest: str | None = None
    ) -> None:
        named = ruleset["digest"] if ruleset else refused_digest or "unknown digest"
        LOGGER.error(
            "ruleset reload refused at %s: %s; the knowledge base refused: %s; the workers keep serving the "
            "ruleset they had",
            stage,
            reason,
            named,
        )
        self._reloaded("refused", stage, reason, ruleset)


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "message": {"format": "%(message)s"},
        "dated": {
            "format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        },
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "message", "stream": "ext://sys.stdout"},
        "stderr": {"class": "logging.StreamHandler", "formatter": "dated", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        ACCESS_LOGGER: {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        DECISION_LOGGER: {"level": "INFO", "handlers": [], "propagate": False},
        "livegate": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": []},
}
"""The logging of ``livegate serve`` without ``LOG_CONFIG`` (a :func:`logging.config.dictConfig`
schema): the access log's JSON lines on stdout, the operator's sentences on stderr dated like
gunicorn's own lines (which gunicorn writes to stderr itself), the per-decision JSON lines
nowhere. A ``.json`` or ``.yaml`` configuration is read over it, section by section (a logger,
handler or formatter it names replaces the one here; the others stay)."""


def _logging_options(path: str | None) -> dict[str, Any]:
    """gunicorn's options for the logging (gunicorn applies them in the master, so every worker
    has them): :data:`LOGGING`, with a ``.json``, ``.yaml`` or ``.yml`` file read over it for
    :func:`logging.config.dictConfig`; any other file is for :func:`logging.config.fileConfig`
    (applied over :data:`LOGGING`). The file is tried here, so a bad one stops start-up with its
    reason (``ConfigError``)."""
    if path is None:
        return {"logconfig_dict": copy.deepcopy(LOGGING)}
    suffix = Path(path).suffix.lower()
    try:
        if suffix not in (".json", ".yaml", ".yml"):
            parser = configparser.ConfigParser()
            if not parser.read(path, encoding="utf-8"):
                raise ConfigError(Message("config.log_config_unreadable", path=path))
            logging.config.dictConfig(copy.deepcopy(LOGGING))
            logging.config.fileConfig(path, disable_existing_loggers=False)
            return {"logconfig": path}
        text = Path(path).read_text(encoding="utf-8")
        if suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
        if not isinstance(data, dict):
            raise ConfigError(Message("config.log_config_mapping", path=path))
        merged = {**copy.deepcopy(LOGGING), **{k: v for k, v in data.items() if not isinstance(v, dict)}}
        for section, value in data.items():
            if isinstance(value, dict):
                merged[section] = {**merged.get(section, {}), **value} if section != "root" else value
        logging.config.dictConfig(copy.deepcopy(merged))
    except ConfigError:
        raise
    except ImportError:
        raise ConfigError(Message("config.log_config_yaml", path=path)) from None
    except (OSError, ValueError, TypeError, AttributeError, KeyError, configparser.Error) as exc:
        raise ConfigError(Message("config.log_config_unusable", path=path, error=_with_causes(exc))) from None
    except Exception as exc:  # yaml's parse errors, without importing yaml for the type
        raise ConfigError(Message("config.log_config_unusable", path=path, error=_with_causes(exc))) from None
    return {"logconfig_dict": merged}


def _with_causes(exc: BaseException) -> str:
    """An error with the errors that caused it: ``dictConfig`` says only "Unable to configure
    handler 'x'" and keeps why (a class that cannot be imported, a file that cannot be opened)
    in its cause."""
    said, seen = [str(exc) or type(exc).__name__], {id(exc)}
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        text = str(cause) or type(cause).__name__
        if not any(text in earlier for earlier in said):  # often repeated in the error it caused
            said.append(text)
        cause = cause.__cause__ or cause.__context__
    return ": ".join(said)


DESCRIPTOR_RESERVE = 256
"""Open files a worker keeps for itself beside its connections (its libraries, logs, the run
directory's files, the decision log)."""
MIN_CONNECTIONS = 16
"""The fewest connections per worker that ``serve`` starts with: below, an open-files limit is refused."""


def _allow_descriptors(connections: int) -> int:
    """Raise the soft limit of open files so that a worker can hold ``connections`` sockets
    (and its own files), as far as the hard limit allows; the connections it then allows. Below
    that, ``MAX_CONNECTIONS`` is lowered to fit, and said: a worker past the limit failed to accept
    (it was killed by the error, every connection it held with it); a hard limit that leaves fewer
    than :data:`MIN_CONNECTIONS` is refused (``ConfigError``)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + DESCRIPTOR_RESERVE
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return connections
    new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    if new >= wanted:
        return connections
    allowed = new - DESCRIPTOR_RESERVE
    if allowed < MIN_CONNECTIONS:  # a worker could not even hold its own files and a few clients
        raise ConfigError(Message("config.open_files", limit=hard, needed=DESCRIPTOR_RESERVE + MIN_CONNECTIONS))
    LOGGER.warning(
        "the open-files limit (%d, hard) allows %d connections per worker, not MAX_CONNECTIONS %d: "
        "raise it (ulimit -n, systemd's LimitNOFILE) or lower MAX_CONNECTIONS",
        hard,
        allowed,
        connections,
    )
    return allowed


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _cannot_listen(host: str, port: int) -> str | None:
    """Why gunicorn could not listen on ``host:port`` now (the operating system's words), or None:
    the address is bound here as gunicorn binds it (``SO_REUSEADDR``), then let go, so that a port
    in use is said in one sentence before any worker starts (gunicorn would retry for 5 s, logging
    each failure, then exit 1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:  # socket.gaierror too: a host name that does not resolve
        return exc.strerror or str(exc)
    return None


def drain_seconds(timeout: float) -> int:
    """How long a stop (SIGTERM, SIGINT) or a reload waits for the requests in flight before their
    worker is killed: a request's time bound and 5 s to write its answer, at least 10 s (gunicorn's
    default). It was 10 s whatever ``TIMEOUT``: with a bound of 20 s, a stop cut a request at 10 s
    with an empty reply, and the access log had no line for it."""
    return max(10, math.ceil(timeout) + 5)


def _say(message: Message | str) -> None:
    """One line of ``livegate serve`` on stderr (the command's own words, before the server logs)."""
    sys.stderr.write(f"{Message('cli.serve_error', message=message)}\n")


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    *,
    threads: int | None = None,
    config: dict[str, Any] | None = None,
    graceful_timeout: int | None = None,
) -> int:
    """Run the API until SIGTERM or SIGINT; the exit status.

    ``config`` is passed to :func:`~livegate.app.create_app` in each worker
    (over ``LIVEGATE_*`` variables). ``threads`` defaults to the engine's pool
    size (``POOL_SIZE``, default 2). ``graceful_timeout``: how long a stop waits for
    requests in flight (default :func:`drain_seconds` of ``TIMEOUT``).
    """
    config = dict(config or {})
    try:
        checked = load_config(config)
        if checked["DECISION_LOG"]:
            DecisionLog(checked["DECISION_LOG"])
        logging_options = _logging_options(checked["LOG_CONFIG"])
        if "logconfig_dict" in logging_options:  # (a file for fileConfig is applied already)
            # the master's own lines before gunicorn starts go where the operator's logging says
            logging.config.dictConfig(copy.deepcopy(logging_options["logconfig_dict"]))
    except ConfigError as exc:
        _say(exc.said)
        return 2
    if workers < 1 or port < 0 or port > 65535 or (threads is not None and threads < 1):
        _say(Message("cli.serve_arguments"))
        return 2
    try:
        checked["MAX_CONNECTIONS"] = _allow_descriptors(checked["MAX_CONNECTIONS"])
    except ConfigError as exc:
        _say(exc.said)
        return 2
    for key in ("FACTS_DIR", "LOGIC_DIR"):
        missing = folder_problem(checked[key])
        if missing is not None:  # (--facts and --logic are checked before: this one is the environment's)
            _say(Message("cli.setting_problem", name=f"LIVEGATE_{key}", problem=missing))
            return 2
    reason = _cannot_listen(host, port)
    if reason is not None:
        _say(Message("cli.serve_cannot_listen", value=_bind(host, port), reason=reason))
        return 2
    master = os.getpid()
    _remove_stale_run_dirs()
    run_dir, _held = _claim_run_dir()  # held (the lock) until this process and its workers are gone
    try:
        return _serve_from(run_dir, host, port, workers, threads, config, checked, logging_options, graceful_timeout)
    finally:
        if os.getpid() == master:  # a worker leaves through here too when it exits
            shutil.rmtree(run_dir, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)


RUN_DIR_PREFIX = "livegate-serve-"
"""The run directories' names start with this, in the temporary directory (``TMPDIR``)."""
RUN_DIR_LOCK = "master.lock"
"""A file in each run directory that its master locks (``flock``) for as long as it or a
worker of its lives: the kernel lets go of it however they end, ``kill -9`` included."""


def _claim_run_dir() -> tuple[Path, int]:
    """A new run directory and the descriptor holding its lock. The lock file is locked under
    another name and then renamed: no other master can find it unlocked in between."""
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX))
    claiming = run_dir / f"{RUN_DIR_LOCK}.new"
    held = os.open(claiming, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)
    claiming.rename(run_dir / RUN_DIR_LOCK)
    return run_dir, held


def _remove_stale_run_dirs() -> None:
    """Remove the run directories that no running master or worker holds: those of a master
    killed with ``kill -9`` (or a lost machine's power), which could not remove its own. Only this
    user's directories with a lock file are looked at; one still locked is serving."""
    for candidate in Path(tempfile.gettempdir()).glob(f"{RUN_DIR_PREFIX}*"):
        try:
            about = candidate.lstat()
            if not stat.S_ISDIR(about.st_mode) or about.st_uid != os.getuid():
                continue
            lock = os.open(candidate / RUN_DIR_LOCK, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:  # gone meanwhile, or no lock file (not a master's, or one being made)
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: a master or its workers are alive
            continue
        else:
            shutil.rmtree(candidate, ignore_errors=True)
        finally:
            os.close(lock)


def _serve_from(
    run_dir: Path,
    host: str,
    port: int,
    workers: int,
    threads: int | None,
    config: dict[str, Any],
    checked: dict[str, Any],
    logging_options: dict[str, Any],
    graceful_timeout: int | None,
) -> int:
    rulesets = Rulesets(run_dir, checked["FACTS_DIR"], checked["LOGIC_DIR"])
    try:
        snapshot = rulesets.copy()
    except (OSError, shutil.Error) as exc:
        _say(Message("cli.serve_unreadable", error=exc))
        return 3
    refused = _refused_at_start(rulesets, snapshot, checked)
    if refused == STOPPED:
        _say(Message("cli.serve_stopped_at_start"))
        return 0
    if refused is not None:
        _say(refused[0])
        sys.stderr.write("".join(f"  {line}\n" for line in refused[1]))
        return 3
    metrics_dir = run_dir / "metrics"
    metrics_dir.mkdir()
    os.environ[MULTIPROC_ENV] = str(metrics_dir)  # before anything imports prometheus_client
    threads = threads or checked["POOL_SIZE"]
    config.setdefault("POOL_SIZE", threads)
    config["RUN_DIR"] = str(run_dir)
    options = {
        "bind": _bind(host, port),
        "workers": workers,
        "worker_class": "livegate.http.worker.BufferingWorker",
        "threads": threads,
        "worker_connections": checked["MAX_CONNECTIONS"],  # (lowered to the open-files limit in serve)
        # no limit of gunicorn's own on the request line (4,094 bytes, answered with its bare
        # English 414 page): the worker reads at most MAX_HEAD_BYTES of head, line included (431),
        # and the page's plain GET form, sent without JavaScript, puts every field in the URL
        "limit_request_line": 0,
        # nor on a header's size (8,190 bytes) and count (100): its English HTML 431 answered a long
        # Accept-Language; the head's one bound is the worker's MAX_HEAD_BYTES, answered in JSON
        "limit_request_field_size": MAX_HEAD_BYTES,
        "limit_request_fields": 32768,  # gunicorn's largest
        # an idle kept-alive connection is closed READ_TIMEOUT after its answer, as the docs say (not
        # gunicorn's 2 s, shorter than a proxy's upstream keep-alive: its next request then met a
        # closed connection, a 502 behind nginx)
        "keepalive": max(1, math.ceil(checked["READ_TIMEOUT"])),
        "graceful_timeout": graceful_timeout or drain_seconds(checked["TIMEOUT"]),
        "timeout": max(30, int(checked["TIMEOUT"] * 4)),
        "proc_name": "livegate",
        "accesslog": None,  # the app writes its own structured access log
        "logger_class": "livegate.http.worker.AppAccessLogger",  # and gunicorn builds no line of its own
        "errorlog": "-",
        "loglevel": "info",
        "control_socket_disable": True,
        "preload_app": False,
        **logging_options,
    }
    server = LivegateServer(options, config, run_dir=run_dir, rulesets=rulesets)
    server.use(snapshot)
    try:
        server.run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


_STOPS = (signal.SIGTERM, signal.SIGINT)
"""The signals that stop the server, also while its start-up check runs."""


def _refused_at_start(
    rulesets: Rulesets, snapshot: Snapshot, checked: dict[str, Any]
) -> tuple[Message | str, list[str]] | Stopped | None:
    """Why the knowledge base cannot be served (a line, and the lint problems one by one), or None;
    :data:`STOPPED` if a stop came during the check (the master exited at once with status 143,
    leaving the check running as an orphan, up to 120 s and ``CHECK_MEMORY``, and its run directory).
    The check a reload makes, in a child process under the same bounds (``CHECK_MEMORY``,
    CHECK_SECONDS), so that no worker grounds a ruleset whose grounding runs away; the master
    itself never grounds. Lint problems are then listed in full, not the check's first five."""
    # a start-up said nothing for as long as the check took (up to CHECK_SECONDS)
    LOGGER.info(
        "checking the knowledge base before any worker starts (parse, lint, ground, one answer; at most %g s)",
        CHECK_SECONDS,
    )
    asked: list[int] = []  # a stop (TERM, INT) during the check: the child is killed, the run directory removed
    previous = {sig: signal.signal(sig, lambda signum, _frame: asked.append(signum)) for sig in _STOPS}
    try:
        verdict = _check_in_child(
            snapshot, float(checked["TIMEOUT"]) * 5, int(checked["CHECK_MEMORY"]) * 1024**2, lambda: bool(asked)
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if verdict["stage"] == STOPPED:
        return STOPPED
    if verdict["ok"]:
        return None
    if verdict["stage"] == "lint":  # the child has loaded it under the bound: the master may too
        try:
            problems = Knowledge.load(snapshot.facts, snapshot.logic).lint(ground=False)  # the master never grounds
        except (KnowledgeError, OSError):
            problems = []
        if problems:
            return Message("cli.serve_lint", count=len(problems)), [rulesets.of_sources(p, snapshot) for p in problems]
    reason = rulesets.of_sources(str(verdict["reason"]), snapshot)
    if verdict["stage"] == "parse":  # clingo's own words, naming the operator's files
        return reason, []
    return Message("cli.serve_check", stage=verdict["stage"], reason=reason), []


def _check_main(argv: list[str]) -> int:
    """``python -m livegate.cli.serve --check FACTS LOGIC``: a reload's check, as one JSON line."""
    parser = argparse.ArgumentParser(prog="livegate.cli.serve")
    parser.add_argument("--check", nargs=2, metavar=("FACTS", "LOGIC"), required=True)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--memory", type=int, default=CHECK_MEMORY)
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    try:
        verdict = check_ruleset(Path(args.check[0]), Path(args.check[1]), args.timeout)
    except MemoryError:  # past the bound elsewhere than in grounding (loading the facts, lint)
        verdict = Verdict(ok=False, stage="ground", reason=_out_of_memory(), ruleset=None)
    sys.stdout.write(json.dumps(verdict, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_check_main(sys.argv[1:]))
