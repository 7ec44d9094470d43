"""Throughput and peak RSS of the OCSF mapper and of the exporter into CloudWatch Logs (moto).

    python bench/export_throughput.py [--sessions 100000]

Each measurement runs in its own child process so its peak RSS (``ru_maxrss``) is its own; the
moto server runs in the parent, so the exporter's RSS does not include the events moto stores.
Peak RSS includes what glibc malloc keeps after botocore's ~1 MB request bodies are freed (it
grows with the number of PutLogEvents calls even for raw boto3), so the exporter's own footprint
is also reported as the Python-heap peak from ``tracemalloc``, at 10% and 100% of the sessions.
The hoop side is an in-process page source with hoop's exact list semantics (newest first,
``limit`` 100, inclusive date bounds) that builds each page on demand: what is measured is the
exporter (paging, mapping, batching, checkpointing) and the CloudWatch sink, not a test double.

Peers, measured in the same run:
* mapper vs ``json.dumps`` of the raw session — the floor cost of touching each record once;
* exporter vs raw ``PutLogEvents`` of pre-built messages with the same batch size — the floor
  cost of CloudWatch (on moto) itself.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from siem_samples import BASE, session  # noqa: E402

VARIANTS = ["ok", "ok", "ok", "masked", "approved", "blocked", "failed", "machine"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class PagedHoop:
    """``HoopClient``'s interface over ``count`` synthetic sessions, one per second from BASE."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.requests = 0
        self.retries = 0

    def _index(self, moment: datetime) -> float:
        return (moment - BASE).total_seconds()

    def list_sessions(
        self, start_date: str, end_date: str, offset: int, limit: int = 100
    ) -> tuple[list[Any], bool]:
        from zsp.cli.exporter.checkpoint import parse_iso

        self.requests += 1
        low = max(0, int(-(-self._index(parse_iso(start_date)) // 1)))
        high = min(self.count - 1, int(self._index(parse_iso(end_date)) // 1))
        first = high - offset  # newest first, like hoop's ORDER BY created_at DESC
        indexes = range(first, max(low, first - limit) - 1, -1)
        page = [session(n, VARIANTS[n % len(VARIANTS)]) for n in indexes]
        return page, first - limit >= low

    def get_session(self, session_id: str) -> Any:
        raise AssertionError("no open sessions in the bench")

    def list_audit(self, a: str, b: str, page: int, page_size: int = 100) -> tuple[list[Any], int]:
        self.requests += 1
        return [], 0

    def close(self) -> None:
        return None


def _mapper(count: int, queue: Any) -> None:
    from zsp.cli.exporter.ocsf import map_session

    records = [session(n, VARIANTS[n % len(VARIANTS)]) for n in range(min(count, 1000))]
    begin = time.perf_counter()
    size = 0
    for n in range(count):
        size += len(json.dumps(map_session(records[n % len(records)]), separators=(",", ":")))
    mapped = time.perf_counter() - begin
    begin = time.perf_counter()
    for n in range(count):
        json.dumps(records[n % len(records)], separators=(",", ":"))
    floor = time.perf_counter() - begin
    queue.put({"mapped_s": mapped, "floor_s": floor, "bytes": size, "rss_mb": _peak_rss_mb()})


def _exporter(count: int, endpoint: str, group: str, trace: bool, queue: Any) -> None:
    import tracemalloc

    import boto3
    from zsp.cli.exporter.checkpoint import FileCheckpointStore
    from zsp.cli.exporter.engine import Exporter, ExportOptions
    from zsp.cli.exporter.sinks import CloudWatchSink

    logs = boto3.client("logs", region_name="eu-west-1", endpoint_url=endpoint)
    sink = CloudWatchSink(group, "bench", client=logs)
    hoop = PagedHoop(count)
    with tempfile.TemporaryDirectory() as tmp:
        end = BASE + timedelta(seconds=count + 120)
        exporter = Exporter(
            hoop,  # type: ignore[arg-type]
            sink,
            FileCheckpointStore(Path(tmp) / "checkpoint.json"),
            ExportOptions(
                lag=timedelta(seconds=60),
                slice=timedelta(hours=6),
                backfill=end - BASE + timedelta(seconds=1),
                batch_size=500,
            ),
            clock=lambda: end,
        )
        if trace:
            tracemalloc.start()
        begin = time.perf_counter()
        report = exporter.run_once()
        elapsed = time.perf_counter() - begin
        heap = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    queue.put(
        {
            "heap_mb": heap,
            "elapsed_s": elapsed,
            "sessions": report.sessions,
            "batches": report.batches,
            "windows": report.windows,
            "hoop_pages": hoop.requests,
            "rss_mb": _peak_rss_mb(),
        }
    )


def _raw_put(count: int, endpoint: str, group: str, queue: Any) -> None:
    import boto3
    from zsp.cli.exporter.ocsf import map_session

    logs = boto3.client("logs", region_name="eu-west-1", endpoint_url=endpoint)
    logs.create_log_stream(logGroupName=group, logStreamName="raw")
    message = json.dumps(map_session(session(1)), separators=(",", ":"))
    begin = time.perf_counter()
    for start in range(0, count, 500):
        now = int(time.time() * 1000)
        batch = [{"timestamp": now, "message": message} for _ in range(min(500, count - start))]
        logs.put_log_events(logGroupName=group, logStreamName="raw", logEvents=batch)
    queue.put({"elapsed_s": time.perf_counter() - begin, "rss_mb": _peak_rss_mb()})


def _child(target: Any, *args: Any) -> dict[str, Any]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get(timeout=3600)
    process.join(timeout=60)
    return dict(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    count = parser.parse_args().sessions

    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "bench"  # moto accepts any credentials
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        logs = boto3.client("logs", region_name="eu-west-1", endpoint_url=endpoint)
        logs.create_log_group(logGroupName="/bench/exporter")
        logs.create_log_group(logGroupName="/bench/raw")
        logs.create_log_group(logGroupName="/bench/traced")

        mapper = _child(_mapper, count)
        small = _child(_exporter, max(1, count // 10), endpoint, "/bench/exporter", False)
        full = _child(_exporter, count, endpoint, "/bench/exporter", False)
        # Python-heap peaks (tracemalloc): what the exporter itself holds, whatever malloc keeps.
        heap_small = _child(_exporter, max(1, count // 10), endpoint, "/bench/traced", True)
        heap_full = _child(_exporter, count, endpoint, "/bench/traced", True)
        raw = _child(_raw_put, count, endpoint, "/bench/raw")
        stored = 0
        token = None
        while True:
            kwargs: dict[str, Any] = {
                "logGroupName": "/bench/exporter",
                "logStreamName": "bench",
                "startFromHead": True,
            }
            if token:
                kwargs["nextToken"] = token
            page = logs.get_log_events(**kwargs)
            stored += len(page["events"])
            if not page["events"] or page["nextForwardToken"] == token:
                break
            token = page["nextForwardToken"]
    finally:
        server.stop()

    mapper_rate = count / mapper["mapped_s"]
    floor_rate = count / mapper["floor_s"]
    export_rate = full["sessions"] / full["elapsed_s"]
    raw_rate = count / raw["elapsed_s"]
    print(f"sessions: {count:,} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs)")
    print(
        f"mapper:   {mapper_rate:,.0f} events/s, peak RSS {mapper['rss_mb']:.0f} MiB, "
        f"{mapper['bytes'] / count:,.0f} B/event; json.dumps floor {floor_rate:,.0f}/s "
        f"(mapper at {mapper_rate / floor_rate:.2f}x of the floor)"
    )
    print(
        f"exporter: {export_rate:,.0f} events/s into CloudWatch Logs on moto, "
        f"peak RSS {full['rss_mb']:.0f} MiB ({full['batches']} PutLogEvents batches, "
        f"{full['hoop_pages']} hoop pages, {full['windows']} windows); "
        f"at {count // 10:,} sessions peak RSS {small['rss_mb']:.0f} MiB"
    )
    print(
        f"memory:   exporter Python-heap peak (tracemalloc) {heap_small['heap_mb']:.1f} MiB at "
        f"{count // 10:,} sessions, {heap_full['heap_mb']:.1f} MiB at {count:,} (bounded: one "
        "page + one batch); RSS growth beyond it is allocator retention, as in the raw peer"
    )
    print(
        f"peer:     raw PutLogEvents of pre-built messages {raw_rate:,.0f} events/s, "
        f"RSS {raw['rss_mb']:.0f} MiB (exporter at {export_rate / raw_rate:.2f}x of raw)"
    )
    print(
        f"check:    {stored:,} events stored by moto for {full['sessions'] + small['sessions']:,}"
    )


if __name__ == "__main__":
    main()
