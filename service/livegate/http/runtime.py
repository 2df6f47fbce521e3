"""What the processes of one ``livegate serve`` tell each other, as small JSON files in its run
directory (``RUN_DIR``, a private temporary directory ``serve`` creates and removes):

- ``workers/<pid>.json``: a worker's ruleset, written once its engine is grounded (so also the
  sign the master waits for before it retires the workers a reload replaces), removed by the
  master when the worker exits;
- ``reload.json``: the last ruleset reload, applied or refused (and why), written by the master.

``/v1/health`` reads them, so whichever worker answers reports every worker's ruleset. Each file
is written whole (to a temporary name, then renamed), so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["forget_worker", "read_reload", "workers", "write_reload", "write_worker"]


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_worker(run_dir: str | Path, pid: int, ruleset: dict[str, str]) -> None:
    _write(Path(run_dir) / "workers" / f"{pid}.json", {"pid": pid, "ruleset": dict(ruleset)})


def forget_worker(run_dir: str | Path, pid: int) -> None:
    with contextlib.suppress(OSError):
        (Path(run_dir) / "workers" / f"{pid}.json").unlink()


def workers(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every worker that has named its ruleset and not exited, by pid."""
    found = []
    with contextlib.suppress(OSError):
        for path in (Path(run_dir) / "workers").glob("*.json"):
            data = _read(path)
            if data is not None:
                found.append(data)
    return sorted(found, key=lambda w: w["pid"])


def write_reload(run_dir: str | Path, state: dict[str, Any]) -> None:
    _write(Path(run_dir) / "reload.json", state)


def read_reload(run_dir: str | Path) -> dict[str, Any] | None:
    return _read(Path(run_dir) / "reload.json")
