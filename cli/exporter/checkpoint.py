"""The exporter's durable position: how far each hoop stream has been shipped.

A cursor is a creation time ``after`` plus the ids created exactly at ``after`` that were already
shipped: hoop's date filters are inclusive on both ends, so the next window starts *at* ``after``
and skips those ids — no gap at the boundary, and no duplicate from it either. Sessions still
running when their window was read wait in ``pending`` (id → creation time) and are shipped once
they are done.

The file is replaced atomically (temporary file in the same directory, fsync, ``os.replace``,
fsync of the directory): a crash leaves either the old or the new checkpoint, never half of one,
and the exporter writes it only after the sink has accepted everything up to it (at-least-once).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VERSION = 1


class CheckpointError(Exception):
    """The checkpoint file exists but cannot be used; the message names the file and the key."""


def format_time(moment: datetime) -> str:
    """The one spelling of times the exporter sends to hoop and stores (microseconds, ``Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> datetime:
    """RFC 3339 with any fraction length → aware ``datetime`` (microsecond precision)."""
    import re

    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], value.strip(), count=1)
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Cursor:
    after: str
    seen: list[str] = field(default_factory=list)


@dataclass
class Checkpoint:
    sessions: Cursor
    audit: Cursor
    pending: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "sessions": {"after": self.sessions.after, "seen": sorted(self.sessions.seen)},
            "audit": {"after": self.audit.after, "seen": sorted(self.audit.seen)},
            "pending": dict(sorted(self.pending.items())),
        }


class FileCheckpointStore:
    """A JSON checkpoint in one file (on the exporter's PersistentVolume)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, start: datetime) -> Checkpoint:
        """The stored checkpoint, or a fresh one starting at ``start`` when there is none yet."""
        if not self.path.exists():
            first = format_time(start)
            return Checkpoint(Cursor(first), Cursor(first))
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CheckpointError(f"{self.path}: unreadable checkpoint ({err})") from None
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise CheckpointError(f"{self.path}: version: expected {VERSION}")
        try:
            cursors = []
            for key in ("sessions", "audit"):
                entry = raw[key]
                parse_iso(entry["after"])
                seen = entry.get("seen", [])
                if not isinstance(seen, list) or not all(isinstance(s, str) for s in seen):
                    raise ValueError(f"{key}.seen must be a list of ids")
                cursors.append(Cursor(entry["after"], list(seen)))
            pending = raw.get("pending", {})
            if not isinstance(pending, dict):
                raise ValueError("pending must be a map of id to time")
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"{self.path}: malformed checkpoint ({err})") from None
        return Checkpoint(cursors[0], cursors[1], {str(k): str(v) for k, v in pending.items()})

    def save(self, checkpoint: Checkpoint) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        data = json.dumps(checkpoint.to_json(), indent=1).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
