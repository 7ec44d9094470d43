"""The session exporter against the spec-validating hoop API double (``hoop_api``).

Every request the exporter sends and every answer it reads is checked against ``openapiv3.json``
by the double; a violation fails the test at teardown.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hoop_double import HoopDouble
from siem_samples import iso
from zsp.cli.exporter.checkpoint import FileCheckpointStore
from zsp.cli.exporter.engine import Exporter, ExportError, ExportOptions
from zsp.cli.exporter.hoop import HoopClient, RetryPolicy
from zsp.cli.exporter.ocsf import event_uid
from zsp.cli.exporter.sinks import Event, SinkError

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


class MemorySink:
    """Records what was delivered; can fail after ``fail_after`` batches to simulate a crash."""

    name = "memory"

    def __init__(self, fail_after: int | None = None) -> None:
        self.events: list[Event] = []
        self.batches = 0
        self.fail_after = fail_after

    def send(self, events: Sequence[Event]) -> None:
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise SinkError("destination unavailable")
        self.batches += 1
        self.events.extend(events)

    def close(self) -> None:
        return None

    def uids(self) -> list[str]:
        return [e["metadata"]["uid"] for e in self.events]


def _client(hoop_api: HoopDouble) -> HoopClient:
    assert hoop_api.api_key is not None
    return HoopClient(
        hoop_api.url, hoop_api.api_key, retry=RetryPolicy(attempts=4), sleep=lambda _: None
    )


def _exporter(
    hoop_api: HoopDouble,
    sink: Any,
    checkpoint: Path,
    now: datetime,
    **options: Any,
) -> Exporter:
    defaults: dict[str, Any] = {
        "lag": timedelta(seconds=30),
        "slice": timedelta(hours=1),
        "backfill": timedelta(hours=2),
        "batch_size": 50,
        "sink_attempts": 2,
        "sink_backoff": 0.0,
    }
    defaults.update(options)
    return Exporter(
        _client(hoop_api),
        sink,
        FileCheckpointStore(checkpoint),
        ExportOptions(**defaults),
        clock=lambda: now,
        sleep=lambda _: None,
    )


def _seed(hoop_api: HoopDouble, count: int, start: datetime, step: timedelta) -> list[str]:
    ids = []
    for i in range(count):
        begin = start + step * i
        session = hoop_api.add_session(
            start_date=iso(begin),
            end_date=iso(begin + timedelta(seconds=2)),
            connection="qwen-chat",
            metadata={"http_method": "POST", "http_path": "/v1/chat/completions"},
        )
        ids.append(session["id"])
    return ids


def _session_uids(ids: list[str]) -> set[str]:
    return {event_uid("session", i) for i in ids}


def test_pagination_reads_every_page_with_the_contract_limits(
    hoop_api: HoopDouble, tmp_path: Path
) -> None:
    ids = _seed(hoop_api, 250, T0 + timedelta(minutes=10), timedelta(seconds=2))
    sink = MemorySink()
    exporter = _exporter(
        hoop_api, sink, tmp_path / "cp.json", T0 + timedelta(hours=2), slice=timedelta(hours=3)
    )
    report = exporter.run_once()
    assert report.sessions == 250 and not report.skipped and report.windows == 2  # + audit
    assert Counter(sink.uids()) == Counter(_session_uids(ids))
    pages = [r for r in hoop_api.requests if r.path == "/api/sessions"]
    assert [r.query["offset"] for r in pages] == [["0"], ["100"], ["200"]]
    assert {r.query["limit"][0] for r in pages} == {"100"}
    assert all(r.valid for r in hoop_api.requests)
    assert sink.batches == 5  # 250 events in batches of 50: backpressure unit


def test_restart_from_checkpoint_has_no_gap_and_no_duplicate(
    hoop_api: HoopDouble, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "cp.json"
    first_ids = _seed(hoop_api, 120, T0 + timedelta(minutes=1), timedelta(seconds=10))
    first_now = T0 + timedelta(minutes=40)
    sink = MemorySink()
    _exporter(hoop_api, sink, checkpoint, first_now).run_once()
    stored = json.loads(checkpoint.read_text())
    boundary = first_now - timedelta(seconds=30)
    assert stored["sessions"]["after"] == boundary.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # Sessions created exactly at the boundary, just before it, and after it.
    at_boundary = _seed(hoop_api, 1, boundary, timedelta(0))
    later = _seed(hoop_api, 80, boundary + timedelta(microseconds=1), timedelta(seconds=7))
    second = _exporter(hoop_api, sink, checkpoint, T0 + timedelta(hours=2)).run_once()
    expected = _session_uids(first_ids + at_boundary + later)
    counts = Counter(sink.uids())
    assert set(counts) == expected  # no gap (the first run had exported ids ≤ boundary)
    assert max(counts.values()) == 1  # no duplicate across the restart
    assert second.sessions == 81


def test_crash_mid_window_resumes_with_no_gap(hoop_api: HoopDouble, tmp_path: Path) -> None:
    checkpoint = tmp_path / "cp.json"
    ids = _seed(hoop_api, 300, T0 + timedelta(minutes=1), timedelta(seconds=20))  # 100 min
    crashing = MemorySink(fail_after=3)
    with pytest.raises(ExportError, match="destination unavailable"):
        _exporter(hoop_api, crashing, checkpoint, T0 + timedelta(hours=2)).run_once()
    resumed = MemorySink()
    _exporter(hoop_api, resumed, checkpoint, T0 + timedelta(hours=2)).run_once()
    delivered = Counter(crashing.uids() + resumed.uids())
    assert set(delivered) == _session_uids(ids)
    # At-least-once: only the window that was in flight is sent twice.
    assert sum(n - 1 for n in delivered.values()) <= len(crashing.events)


def test_hoop_500_is_retried_then_recovers(hoop_api: HoopDouble, tmp_path: Path) -> None:
    ids = _seed(hoop_api, 30, T0 + timedelta(minutes=5), timedelta(seconds=5))
    hoop_api.fail_next(2, status=500, match="GET /sessions")
    sink = MemorySink()
    exporter = _exporter(hoop_api, sink, tmp_path / "cp.json", T0 + timedelta(hours=2))
    report = exporter.run_once()
    assert report.sessions == 30 and exporter.client.retries == 2
    assert set(sink.uids()) == _session_uids(ids)
    statuses = [r.status for r in hoop_api.requests if r.path == "/api/sessions"]
    assert statuses[:3] == [500, 500, 200]


def test_hoop_outage_stops_the_run_and_keeps_the_checkpoint(
    hoop_api: HoopDouble, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "cp.json"
    ids = _seed(hoop_api, 10, T0 + timedelta(minutes=5), timedelta(seconds=5))
    hoop_api.fail_next(8, status=503, match="GET /sessions")
    with pytest.raises(ExportError, match="HTTP 503 after 4 attempts"):
        _exporter(hoop_api, MemorySink(), checkpoint, T0 + timedelta(hours=2)).run_once()
    before = json.loads(checkpoint.read_text())["sessions"]["after"]
    assert before == (T0).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # still the backfill start
    hoop_api.reset_faults()
    sink = MemorySink()
    _exporter(hoop_api, sink, checkpoint, T0 + timedelta(hours=2)).run_once()
    assert set(sink.uids()) == _session_uids(ids)


def test_malformed_session_is_reported_and_skipped(hoop_api: HoopDouble, tmp_path: Path) -> None:
    good = _seed(hoop_api, 5, T0 + timedelta(minutes=5), timedelta(seconds=5))
    corrupt = hoop_api.add_session(
        start_date=iso(T0 + timedelta(minutes=7)), metrics={"data_masking": "corrupted"}
    )
    nameless = hoop_api.add_session(start_date=iso(T0 + timedelta(minutes=8)), connection="")
    more = _seed(hoop_api, 5, T0 + timedelta(minutes=9), timedelta(seconds=5))
    sink = MemorySink()
    report = _exporter(hoop_api, sink, tmp_path / "cp.json", T0 + timedelta(hours=2)).run_once()
    assert {(s.record_id, s.problem) for s in report.skipped} == {
        (corrupt["id"], "metrics.data_masking must be an object"),
        (nameless["id"], "connection is missing"),
    }
    assert set(sink.uids()) == _session_uids(good + more)


def test_open_session_waits_in_pending_until_done(hoop_api: HoopDouble, tmp_path: Path) -> None:
    checkpoint = tmp_path / "cp.json"
    running = hoop_api.add_session(start_date=iso(T0 + timedelta(minutes=5)), status="open")
    running.pop("end_date")
    sink = MemorySink()
    report = _exporter(hoop_api, sink, checkpoint, T0 + timedelta(hours=1)).run_once()
    assert report.sessions == 0 and report.pending == 1
    assert json.loads(checkpoint.read_text())["pending"] == {running["id"]: running["start_date"]}
    with hoop_api.state.lock:
        hoop_api.state.sessions[running["id"]].update(
            status="done", end_date=iso(T0 + timedelta(minutes=6))
        )
    report = _exporter(hoop_api, sink, checkpoint, T0 + timedelta(hours=2)).run_once()
    assert report.sessions == 1 and report.pending == 0
    assert sink.events[0]["status"] == "Success" and sink.events[0]["duration"] == 60_000
    assert any(r.path == f"/api/sessions/{running['id']}" for r in hoop_api.requests)


def test_audit_log_credentials_become_authentication_events(
    hoop_api: HoopDouble, tmp_path: Path
) -> None:
    issued = hoop_api.add_audit_log(
        created_at=iso(T0 + timedelta(minutes=3)),
        http_path="/api/connections/qwen-chat/credentials",
    )
    revoked = hoop_api.add_audit_log(
        created_at=iso(T0 + timedelta(minutes=4)),
        http_path="/api/connections/qwen-chat/credentials/c-1/revoke",
    )
    edited = hoop_api.add_audit_log(
        created_at=iso(T0 + timedelta(minutes=5)),
        http_method="PUT",
        action="update",
        resource_type="guardrails",
        http_path="/api/guardrails/g-1",
    )
    sink = MemorySink()
    report = _exporter(
        hoop_api, sink, tmp_path / "cp.json", T0 + timedelta(hours=1), streams=("audit",)
    ).run_once()
    assert report.audit == 3
    by_uid = {e["metadata"]["uid"]: e for e in sink.events}
    assert by_uid[event_uid("audit", issued["id"])]["type_uid"] == 300204
    assert by_uid[event_uid("audit", revoked["id"])]["activity_name"] == "Revoke"
    assert by_uid[event_uid("audit", edited["id"])]["type_uid"] == 600303
    query = next(r.query for r in hoop_api.requests if r.path == "/api/audit/logs")
    assert query["page_size"] == ["100"] and "created_after" in query


def test_bodies_are_exported_only_when_asked_and_then_masked(
    hoop_api: HoopDouble, tmp_path: Path
) -> None:
    canary = "sk-proj-CANARYcanary0123456789abcdef"
    hoop_api.add_session(
        start_date=iso(T0 + timedelta(minutes=5)),
        script={
            "data": f'POST /v1/chat HTTP/1.1\r\nAuthorization: Bearer {canary}\r\n\r\n{{"q": 1}}'
        },
    )
    plain = MemorySink()
    _exporter(hoop_api, plain, tmp_path / "a.json", T0 + timedelta(hours=1)).run_once()
    assert "data" not in plain.events[0]["api"]["request"]
    assert canary not in json.dumps(plain.events)
    masked = MemorySink()
    _exporter(
        hoop_api, masked, tmp_path / "b.json", T0 + timedelta(hours=1), include_bodies=True
    ).run_once()
    body = masked.events[0]["api"]["request"]["data"]
    assert canary not in json.dumps(masked.events)
    assert "Authorization: Bearer [masked]" in body["body"] and body["masked"] == {"bearer": 1}
    assert masked.events[0]["http_request"]["http_method"] == "POST"


class NewestFirstHoop:
    """hoop's list semantics where the double differs: ``ORDER BY created_at DESC`` and an
    offset cap (refused beyond ``cap``), to exercise windows larger than the cap."""

    def __init__(self, records: list[dict[str, Any]], cap: int) -> None:
        self.records = sorted(records, key=lambda r: (r["start_date"], r["id"]), reverse=True)
        self.cap = cap
        self.offsets: list[int] = []
        self.retries = 0

    def list_sessions(
        self, start_date: str, end_date: str, offset: int, limit: int = 100
    ) -> tuple[list[Any], bool]:
        from zsp.cli.exporter.checkpoint import parse_iso

        if offset > self.cap:
            raise AssertionError(f"offset {offset} is beyond hoop's cap {self.cap}")
        self.offsets.append(offset)
        low, high = parse_iso(start_date), parse_iso(end_date)
        rows = [r for r in self.records if low <= parse_iso(r["start_date"]) <= high]
        return rows[offset : offset + limit], offset + limit < len(rows)

    def get_session(self, session_id: str) -> Any:
        raise AssertionError("unused")

    def list_audit(self, *args: Any, **kwargs: Any) -> tuple[list[Any], int]:
        return [], 0

    def close(self) -> None:
        return None


def test_a_window_larger_than_the_offset_cap_is_paged_by_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zsp.cli.exporter.engine as engine
    from siem_samples import session

    monkeypatch.setattr(engine, "MAX_OFFSET", 300)
    records = []
    for n in range(1000):
        record = session(n, start=T0 + timedelta(seconds=n // 3))  # three sessions per second
        records.append(record)
    fake = NewestFirstHoop(records, cap=300)
    sink = MemorySink()
    exporter = Exporter(
        fake,  # type: ignore[arg-type]
        sink,
        FileCheckpointStore(tmp_path / "cp.json"),
        ExportOptions(lag=timedelta(0), slice=timedelta(hours=3), backfill=timedelta(hours=1)),
        clock=lambda: T0 + timedelta(hours=1),
    )
    exporter.run_once()
    counts = Counter(sink.uids())
    assert set(counts) == {event_uid("session", r["id"]) for r in records}
    assert max(counts.values()) == 1
    assert max(fake.offsets) <= 300 and fake.offsets.count(0) >= 4  # restarted below the cap
