"""The export loop: hoop → OCSF → sink, window by window, checkpoint after each window.

Each stream (sessions, audit log) is read in time windows
``[after, min(after + slice, now - lag)]``.
``lag`` keeps the window behind rows hoop may still be committing; the window's upper bound is
fixed before the first page is read, so sessions created meanwhile cannot shift the offset pages.
Within a window, records are read a page at a time, mapped, and handed to the sink in batches;
the next page is read only once the sink took the batch (synchronous backpressure: memory is one
page plus one batch, whatever the volume). The checkpoint moves when a window is fully shipped.

A crash mid-window re-ships that window on restart (same uids, at-least-once); a malformed record
is reported and skipped; a hoop outage past the client's retries ends the run without moving the
checkpoint.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .checkpoint import Checkpoint, Cursor, FileCheckpointStore, format_time, parse_iso
from .hoop import MAX_LIMIT, MAX_OFFSET, HoopClient, HoopError
from .ocsf import MalformedRecord, map_audit, map_session
from .sinks import Event, Sink, SinkError

log = logging.getLogger("zsp.exporter")

EPSILON = timedelta(microseconds=1)
"""Query bounds are widened by one tick and re-applied exactly on our side: hoop's own filters are
inclusive (``BETWEEN``, ``>=``/``<=``), but a window must be ``[start, end]`` whatever a server
version or proxy does at the boundary — a record at exactly ``end`` is the one most easily lost."""


class ExportError(Exception):
    """The run stopped; the checkpoint still names the last fully shipped window."""


@dataclass(frozen=True)
class ExportOptions:
    lag: timedelta = timedelta(seconds=60)
    slice: timedelta = timedelta(hours=1)
    backfill: timedelta = timedelta(days=1)
    batch_size: int = 500
    include_bodies: bool = False
    max_body_bytes: int = 8192
    max_pending: int = 10_000
    max_open_age: timedelta = timedelta(hours=24)
    sink_attempts: int = 5
    sink_backoff: float = 1.0
    streams: tuple[str, ...] = ("sessions", "audit")


@dataclass
class Skipped:
    kind: str
    record_id: str
    problem: str


@dataclass
class RunReport:
    sessions: int = 0
    audit: int = 0
    batches: int = 0
    windows: int = 0
    pending: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "audit": self.audit,
            "batches": self.batches,
            "windows": self.windows,
            "pending": self.pending,
            "skipped": [s.__dict__ for s in self.skipped],
        }


class Exporter:
    """Ships hoop sessions and audit-log entries to one sink, resuming from a checkpoint."""

    def __init__(
        self,
        client: HoopClient,
        sink: Sink,
        store: FileCheckpointStore,
        options: ExportOptions | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.sink = sink
        self.store = store
        self.options = options or ExportOptions()
        self.clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or (lambda s: self._stop.wait(s) and None)
        self._buffer: list[Event] = []
        self.report = RunReport()

    # ------------------------------------------------------------------ delivery

    def _emit(self, event: Event) -> None:
        self._buffer.append(event)
        if len(self._buffer) >= self.options.batch_size:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        for attempt in range(1, self.options.sink_attempts + 1):
            try:
                self.sink.send(batch)
                self.report.batches += 1
                return
            except SinkError as err:
                if attempt == self.options.sink_attempts:
                    raise ExportError(f"sink {self.sink.name}: {err}") from None
                log.warning("sink %s failed (attempt %d): %s", self.sink.name, attempt, err)
                self._sleep(self.options.sink_backoff * 2 ** (attempt - 1))

    def _skip(self, err: MalformedRecord) -> None:
        self.report.skipped.append(Skipped(err.kind, err.record_id, err.problem))
        log.error("skipped malformed %s record %s: %s", err.kind, err.record_id, err.problem)

    def _ship_session(self, record: Any) -> None:
        try:
            event = map_session(record, self.options.include_bodies, self.options.max_body_bytes)
        except MalformedRecord as err:
            self._skip(err)
            return
        self._emit(event)
        self.report.sessions += 1

    # ------------------------------------------------------------------ windows

    def _windows(self, cursor: Cursor) -> list[tuple[datetime, datetime]]:
        upper_bound = self.clock() - self.options.lag
        start = parse_iso(cursor.after)
        windows = []
        while start < upper_bound:
            end = min(start + self.options.slice, upper_bound)
            windows.append((start, end))
            start = end
        return windows

    def _session_window(self, cp: Checkpoint, start: datetime, end: datetime) -> None:
        skip = set(cp.sessions.seen)
        at_end: list[str] = []
        window_end = end
        offset = 0
        oldest: datetime | None = None
        at_oldest: set[str] = set()
        while True:
            items, has_next = self.client.list_sessions(
                format_time(start - EPSILON), format_time(window_end + EPSILON), offset, MAX_LIMIT
            )
            for record in items:
                rid = record.get("id") if isinstance(record, dict) else None
                created: datetime | None = None
                try:
                    created = parse_iso(str(record.get("start_date")))
                except (AttributeError, ValueError):
                    created = None
                if isinstance(rid, str) and created is not None:
                    if not start <= created <= window_end:
                        continue
                    if rid in skip or (created == oldest and rid in at_oldest):
                        continue
                    if created == end:
                        at_end.append(rid)
                    if oldest is None or created < oldest:
                        oldest, at_oldest = created, set()
                    if created == oldest:
                        at_oldest.add(rid)
                    if record.get("status") != "done":
                        self._hold(cp, rid, created, record)
                        continue
                self._ship_session(record)
            if not has_next or not items:
                break
            offset += len(items)
            if offset >= MAX_OFFSET and oldest is not None:
                # hoop caps offset at 10000: continue below the oldest creation time read so far.
                if oldest == window_end:
                    raise ExportError(
                        f"more than {MAX_OFFSET} sessions were created at {format_time(oldest)}; "
                        "hoop's offset cap cannot page through them"
                    )
                window_end, offset = oldest, 0
        self._flush()
        cp.sessions = Cursor(format_time(end), at_end)

    def _hold(self, cp: Checkpoint, rid: str, created: datetime, record: Any) -> None:
        if len(cp.pending) < self.options.max_pending:
            cp.pending[rid] = format_time(created)
        else:
            log.warning("pending list full; shipping open session %s as it is", rid)
            self._ship_session(record)

    def _poll_pending(self, cp: Checkpoint) -> None:
        now = self.clock()
        for rid, created in list(cp.pending.items()):
            try:
                record = self.client.get_session(rid)
            except HoopError as err:
                if "HTTP 404" in str(err):
                    self.report.skipped.append(Skipped("session", rid, "deleted while open"))
                    del cp.pending[rid]
                    continue
                raise
            too_old = now - parse_iso(created) > self.options.max_open_age
            if isinstance(record, dict) and (record.get("status") == "done" or too_old):
                self._ship_session(record)
                del cp.pending[rid]
        self._flush()

    def _audit_window(self, cp: Checkpoint, start: datetime, end: datetime) -> None:
        skip = set(cp.audit.seen)
        at_end: list[str] = []
        page = 1
        while True:
            items, total = self.client.list_audit(
                format_time(start - EPSILON), format_time(end + EPSILON), page, MAX_LIMIT
            )
            for record in items:
                rid = record.get("id") if isinstance(record, dict) else None
                if isinstance(rid, str):
                    if rid in skip:
                        continue
                    try:
                        created = parse_iso(str(record.get("created_at")))
                    except ValueError:
                        created = None
                    if created is not None:
                        if not start <= created <= end:
                            continue
                        if created == end:
                            at_end.append(rid)
                try:
                    event = map_audit(record)
                except MalformedRecord as err:
                    self._skip(err)
                    continue
                self._emit(event)
                self.report.audit += 1
            if len(items) < MAX_LIMIT or (total >= 0 and page * MAX_LIMIT >= total):
                break
            page += 1
        self._flush()
        cp.audit = Cursor(format_time(end), at_end)

    # ------------------------------------------------------------------ runs

    def run_once(self) -> RunReport:
        """Ship everything up to ``now - lag``; checkpoint after every window."""
        self.report = RunReport()
        cp = self.store.load(self.clock() - self.options.backfill)
        try:
            if "sessions" in self.options.streams:
                self._poll_pending(cp)
                self.store.save(cp)
                for start, end in self._windows(cp.sessions):
                    self._session_window(cp, start, end)
                    self.store.save(cp)
                    self.report.windows += 1
            if "audit" in self.options.streams:
                for start, end in self._windows(cp.audit):
                    self._audit_window(cp, start, end)
                    self.store.save(cp)
                    self.report.windows += 1
        except HoopError as err:
            raise ExportError(f"hoop: {err}") from None
        finally:
            self._buffer = []
        self.report.pending = len(cp.pending)
        return self.report

    def run_forever(self, interval: float, on_report: Callable[[RunReport], None]) -> None:
        """The Deployment mode: one run every ``interval`` seconds until ``stop``.

        A failed run is logged and retried at the next tick; the checkpoint makes that safe.
        """
        while not self._stop.is_set():
            try:
                on_report(self.run_once())
            except ExportError as err:
                log.error("export run failed: %s", err)
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()


def summarize(skipped: Sequence[Skipped]) -> str:
    return "; ".join(f"{s.kind} {s.record_id}: {s.problem}" for s in skipped)
