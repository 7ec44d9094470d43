"""The run journal: one fsync'd JSON line per completed step, no secret values.

Replaying it tells ``apply`` what is already done after a crash and tells ``rollback`` what to
undo. A torn last line (the process died mid-write) is ignored: the step it described is redone,
and every step is idempotent.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ZspError
from .fsutil import fsync_dir, private_dir


def zsp_dir(project_dir: Path) -> Path:
    return project_dir / ".zsp"


def journal_path(project_dir: Path, run: str) -> Path:
    return zsp_dir(project_dir) / "journal" / f"{run}.jsonl"


def backup_dir(project_dir: Path, run: str) -> Path:
    return zsp_dir(project_dir) / "backups" / run


def read_events(path: Path) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    if not path.exists():
        return events
    for raw in path.read_bytes().split(b"\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Records are written with a single write(2); only a crash mid-write leaves a torn
            # one, and the step it described is simply redone (every step is idempotent).
            continue
        if isinstance(record, dict):
            events.append(record)
    return events


@dataclass
class RunState:
    """What the journal says about a run, folded from its events."""

    plan_id: str | None = None
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    """fingerprint → secret event (name, arn, version_id, created, previous_version)."""
    backups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """path → backup events in order (the stack file may have several)."""
    rewritten: dict[str, dict[str, Any]] = field(default_factory=dict)
    restored: set[str] = field(default_factory=set)
    secrets_undone: set[str] = field(default_factory=set)
    completed: bool = False
    rolled_back: bool = False
    cutover: float | None = None


def fold(events: list[dict[str, Any]]) -> RunState:
    state = RunState()
    for event in events:
        kind = event.get("event")
        if kind == "begin":
            state.plan_id = event.get("plan_id")
        elif kind == "secret":
            state.secrets[event["fingerprint"]] = event
            state.secrets_undone.discard(event["fingerprint"])
        elif kind == "backup":
            state.backups.setdefault(event["path"], []).append(event)
        elif kind == "rewritten":
            state.rewritten[event["path"]] = event
            state.restored.discard(event["path"])
            if state.cutover is None:
                state.cutover = float(event["ts"])
        elif kind == "complete":
            state.completed = True
        elif kind == "restored":
            state.restored.add(event["path"])
        elif kind == "secret-undone" and event.get("fingerprint"):
            state.secrets_undone.add(event["fingerprint"])
        elif kind in {"rollback-begin", "rolled-back"}:
            state.rolled_back = True
    return state


class Journal:
    """Append-only, locked against a second concurrent ``apply``/``rollback`` of the same run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        existed = path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise ZspError(f"{path}: another zsp process is working on this run") from None
        if not existed:
            fsync_dir(path.parent)
        else:
            # A torn last line from a crash must not glue onto the next record.
            size = os.fstat(self._fd).st_size
            if size:
                with open(path, "rb") as handle:
                    handle.seek(size - 1)
                    torn = handle.read(1) != b"\n"
                if torn:
                    os.write(self._fd, b"\n")
                    os.fsync(self._fd)
        self._lock = threading.Lock()

    def events(self) -> list[dict[str, Any]]:
        return read_events(self.path)

    def append(self, event: str, **data: Any) -> None:
        record = {"ts": round(time.time(), 6), "event": event, **data}
        line = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
        with self._lock:
            os.write(self._fd, line)
            os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
