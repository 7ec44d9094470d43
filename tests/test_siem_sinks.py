"""The three sinks against real receivers: moto's CloudWatch Logs, rsyslog, a HEC server."""

from __future__ import annotations

import json

import boto3
import pytest
from fixtures_siem import HEC_TOKEN, HecReceiver, Rsyslog
from siem_samples import audit, session
from zsp.cli.exporter.ocsf import map_audit, map_session
from zsp.cli.exporter.sinks import CloudWatchSink, SinkError, SplunkHecSink, SyslogSink, to_cef


def _events(n: int) -> list[dict]:
    variants = ["ok", "blocked", "masked", "approved", "failed"]
    return [map_session(session(i, variants[i % len(variants)])) for i in range(n)]


# --------------------------------------------------------------------------- CloudWatch


def test_cloudwatch_sink_puts_every_event_once_into_the_stream(aws_env: str) -> None:
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/zsp/test/siem-cw")
    sink = CloudWatchSink("/zsp/test/siem-cw", "exporter-0", client=logs)
    events = [*_events(25), map_audit(audit(1, "/api/connections/qwen-chat/credentials"))]
    sink.send(events[:10])
    sink.send(events[10:])  # stream already exists: second call must not fail
    got = logs.get_log_events(
        logGroupName="/zsp/test/siem-cw", logStreamName="exporter-0", startFromHead=True
    )["events"]
    messages = [json.loads(e["message"]) for e in got]
    assert [m["metadata"]["uid"] for m in messages] == [e["metadata"]["uid"] for e in events]
    assert messages[-1]["class_uid"] == 3002
    assert messages[1]["disposition"] == "Blocked"


def test_cloudwatch_sink_splits_batches_at_the_byte_limit(aws_env: str) -> None:
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/zsp/test/siem-big")
    sink = CloudWatchSink("/zsp/test/siem-big", "s", client=logs)
    big = [map_session(session(i)) for i in range(4)]
    for event in big:
        event["unmapped"]["padding"] = "x" * 300_000  # ~1.2 MB in total: needs two calls
    batches = list(sink._batches(big))
    assert [len(b) for b in batches] == [3, 1]
    sink.send(big)
    got = logs.get_log_events(logGroupName="/zsp/test/siem-big", logStreamName="s")["events"]
    assert len(got) == 4


def test_cloudwatch_sink_reports_a_missing_log_group_as_sink_error(aws_env: str) -> None:
    sink = CloudWatchSink(
        "/zsp/test/does-not-exist", "s", client=boto3.client("logs", region_name="eu-west-1")
    )
    with pytest.raises(SinkError, match="/zsp/test/does-not-exist"):
        sink.send(_events(1))


# --------------------------------------------------------------------------- syslog


def _fields(line: str) -> tuple[str, str, str, str, str]:
    severity, app, msgid, sd, msg = line.split("|", 4)
    return severity, app, msgid, sd, msg


def test_syslog_json_over_tcp_reaches_rsyslog_as_rfc5424(rsyslog: Rsyslog) -> None:
    rsyslog.reset()
    events = _events(5)
    sink = SyslogSink("127.0.0.1", rsyslog.tcp_port, fmt="json", hostname="exporter-0")
    sink.send(events)
    sink.close()
    lines = rsyslog.lines(5)
    assert len(lines) == 5
    severity, app, msgid, sd, msg = _fields(lines[1])
    assert (severity, app, msgid) == ("4", "zsp-exporter", "ocsf-6003")  # blocked → warning
    assert sd == (
        f'[ocsf@32473 uid="{events[1]["metadata"]["uid"]}" class_uid="6003" type_uid="600301"]'
    )
    assert json.loads(msg) == events[1]
    assert _fields(lines[0])[0] == "6"  # plain session → informational


def test_syslog_cef_over_tls_reaches_rsyslog(rsyslog: Rsyslog) -> None:
    rsyslog.reset()
    event = map_audit(audit(7, "/api/connections/qwen-chat/credentials/c1/revoke"))
    sink = SyslogSink(
        "127.0.0.1",
        rsyslog.tls_port,
        fmt="cef",
        tls=True,
        ca_file=str(rsyslog.ca_file),
        server_name="localhost",
    )
    sink.send([event])
    sink.close()
    lines = rsyslog.lines(1)
    assert len(lines) == 1
    _, _, msgid, _, msg = _fields(lines[0])
    assert msgid == "ocsf-3002"
    assert msg == to_cef(event)
    assert msg.startswith("CEF:0|hoop.dev|hoop|1.8.0|300299|Authentication: Revoke|1|")
    assert f"externalId={event['metadata']['uid']}" in msg
    assert "request=/api/connections/qwen-chat/credentials/c1/revoke" in msg


def test_syslog_tls_refuses_an_unknown_certificate(rsyslog: Rsyslog) -> None:
    sink = SyslogSink("127.0.0.1", rsyslog.tls_port, tls=True, server_name="localhost")
    with pytest.raises(SinkError, match="SSLCertVerificationError"):
        sink.send(_events(1))


def test_cef_escapes_separators() -> None:
    event = map_session(session(3))
    event["message"] = "a=b|c\\d\nnext"
    cef = to_cef(event)
    assert "msg=a\\=b|c\\\\d\\nnext" in cef


# --------------------------------------------------------------------------- Splunk HEC


def test_hec_sink_sends_envelopes_with_token_and_waits_for_acks(hec_receiver: HecReceiver) -> None:
    hec_receiver.state.ack_after_polls = 3
    sink = SplunkHecSink(
        hec_receiver.url, HEC_TOKEN, index="ocsf", host="exporter-0", ack_interval=0.01
    )
    events = [*_events(4), map_audit(audit(2, "/api/connections/qwen-chat/credentials"))]
    sink.send(events)
    sink.close()
    state = hec_receiver.state
    posts = [r for r in state.requests if r["path"] == "/services/collector/event"]
    acks = [r for r in state.requests if r["path"].startswith("/services/collector/ack")]
    assert len(posts) == 1 and len(acks) == 3
    assert {r["authorization"] for r in state.requests} == {f"Splunk {HEC_TOKEN}"}
    assert {r["channel"] for r in state.requests} == {sink.channel}
    assert json.loads(acks[0]["body"]) == {"acks": [0]}
    assert [e["event"]["metadata"]["uid"] for e in state.events] == [
        e["metadata"]["uid"] for e in events
    ]
    first = state.events[0]
    assert first["index"] == "ocsf" and first["host"] == "exporter-0"
    assert first["sourcetype"] == "ocsf:6003" and state.events[-1]["sourcetype"] == "ocsf:3002"
    assert first["time"] == events[0]["time"] / 1000


def test_hec_sink_fails_when_the_ack_never_comes(hec_receiver: HecReceiver) -> None:
    hec_receiver.state.never_ack = True
    sink = SplunkHecSink(hec_receiver.url, HEC_TOKEN, ack_timeout=0.2, ack_interval=0.02)
    with pytest.raises(SinkError, match="ackId 0 not acknowledged"):
        sink.send(_events(1))


def test_hec_sink_reports_a_wrong_token_without_echoing_it(hec_receiver: HecReceiver) -> None:
    canary = "canary-token-do-not-print-7f3a"
    sink = SplunkHecSink(hec_receiver.url, canary)
    with pytest.raises(SinkError) as info:
        sink.send(_events(1))
    assert "HTTP 403" in str(info.value) and canary not in str(info.value)


def test_hec_sink_surfaces_a_busy_server(hec_receiver: HecReceiver) -> None:
    hec_receiver.state.fail_next = 1
    sink = SplunkHecSink(hec_receiver.url, HEC_TOKEN, ack_interval=0.01)
    with pytest.raises(SinkError, match="HTTP 503"):
        sink.send(_events(1))
    sink.send(_events(1))  # the retry the exporter makes goes through
    assert len(hec_receiver.state.events) == 1
