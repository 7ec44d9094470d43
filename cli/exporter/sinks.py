"""Where OCSF events go: CloudWatch Logs, Splunk HEC, or syslog (RFC 5424 over TCP/TLS).

A sink's ``send`` returns only when the destination has accepted the whole batch (CloudWatch
answered, Splunk acknowledged the ``ackId``, every syslog frame was written to the socket) and
raises ``SinkError`` otherwise; the exporter then retries the batch and does not move its
checkpoint. That is what makes delivery at-least-once; the stable ``metadata.uid`` lets the SIEM
drop the duplicates a retry can create.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import httpx

Event = dict[str, Any]


class SinkError(Exception):
    """The destination did not accept a batch; the message never carries a token."""


class Sink(Protocol):
    name: str

    def send(self, events: Sequence[Event]) -> None: ...

    def close(self) -> None: ...


def dumps(event: Event) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=False)


# --------------------------------------------------------------------------- CloudWatch Logs

CW_MAX_EVENTS = 10_000
CW_MAX_BYTES = 1_048_576
CW_EVENT_OVERHEAD = 26
CW_MAX_EVENT_BYTES = 1_048_576 - CW_EVENT_OVERHEAD


class CloudWatchSink:
    """``PutLogEvents`` into one log stream of the SIEM log group.

    The CloudWatch timestamp is the export time, not the session's: CloudWatch rejects events older
    than 14 days (a backfill) and batches spanning more than 24 hours, and the subscription filter
    forwards in arrival order anyway. The OCSF ``time`` inside the message is the session's.
    """

    name = "cloudwatch"

    def __init__(
        self,
        log_group: str,
        log_stream: str,
        client: Any | None = None,
        region: str | None = None,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("logs", region_name=region)
        self.client = client
        self.log_group = log_group
        self.log_stream = log_stream
        self._stream_ready = False

    def _ensure_stream(self) -> None:
        if self._stream_ready:
            return
        try:
            self.client.create_log_stream(
                logGroupName=self.log_group, logStreamName=self.log_stream
            )
        except self.client.exceptions.ResourceAlreadyExistsException:
            pass
        self._stream_ready = True

    def _batches(self, events: Sequence[Event]) -> Iterator[list[dict[str, Any]]]:
        now = int(time.time() * 1000)
        batch: list[dict[str, Any]] = []
        size = 0
        for event in events:
            message = dumps(event)
            cost = len(message.encode("utf-8")) + CW_EVENT_OVERHEAD
            if cost > CW_MAX_BYTES:
                raise SinkError(f"event {event['metadata']['uid']} exceeds the CloudWatch limit")
            if batch and (len(batch) >= CW_MAX_EVENTS or size + cost > CW_MAX_BYTES):
                yield batch
                batch, size = [], 0
            batch.append({"timestamp": now, "message": message})
            size += cost
        if batch:
            yield batch

    def send(self, events: Sequence[Event]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._ensure_stream()
            for batch in self._batches(events):
                response = self.client.put_log_events(
                    logGroupName=self.log_group, logStreamName=self.log_stream, logEvents=batch
                )
                rejected = response.get("rejectedLogEventsInfo")
                if rejected:
                    raise SinkError(f"CloudWatch rejected events: {sorted(rejected)}")
        except (BotoCoreError, ClientError) as err:
            self._stream_ready = False
            raise SinkError(f"CloudWatch PutLogEvents to {self.log_group}: {err}") from None

    def close(self) -> None:
        return None


# --------------------------------------------------------------------------- Splunk HEC

HEC_MAX_BYTES = 800_000


class SplunkHecSink:
    """Splunk HTTP Event Collector, with indexer acknowledgement.

    Events are posted to ``/services/collector/event`` as concatenated HEC envelopes
    (``time``, ``host``, ``source``, ``sourcetype``, ``index``, ``event``) with
    ``Authorization: Splunk <token>`` and a fixed ``X-Splunk-Request-Channel``. With ``acks`` on,
    a batch counts as delivered only once ``/services/collector/ack`` reports its ``ackId`` true;
    a batch not acknowledged in ``ack_timeout`` seconds is an error and is sent again.
    """

    name = "splunk-hec"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        index: str | None = None,
        source: str = "zsp:hoop",
        host: str | None = None,
        acks: bool = True,
        ack_timeout: float = 60.0,
        ack_interval: float = 0.5,
        verify: bool | str = True,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.channel = str(uuid.uuid4())
        self._client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={
                "Authorization": f"Splunk {token}",
                "X-Splunk-Request-Channel": self.channel,
                "Content-Type": "application/json",
            },
            verify=verify,
            timeout=timeout,
            transport=transport,
        )
        self.index = index
        self.source = source
        self.host = host or socket.gethostname()
        self.acks = acks
        self.ack_timeout = ack_timeout
        self.ack_interval = ack_interval
        self._sleep = sleep

    def envelope(self, event: Event) -> str:
        envelope: dict[str, Any] = {
            "time": round(event["time"] / 1000.0, 3),
            "host": self.host,
            "source": self.source,
            "sourcetype": f"ocsf:{event['class_uid']}",
            "event": event,
        }
        if self.index:
            envelope["index"] = self.index
        return dumps(envelope)

    def _post(self, path: str, body: str) -> dict[str, Any]:
        try:
            response = self._client.post(path, content=body.encode("utf-8"))
        except httpx.TransportError as err:
            raise SinkError(f"Splunk HEC {path}: {type(err).__name__}") from None
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code != 200:
            text = payload.get("text") if isinstance(payload, dict) else None
            raise SinkError(f"Splunk HEC {path}: HTTP {response.status_code} {text or ''}".strip())
        return payload if isinstance(payload, dict) else {}

    def _wait_ack(self, ack_id: int) -> None:
        deadline = time.monotonic() + self.ack_timeout
        while True:
            answer = self._post("/services/collector/ack", json.dumps({"acks": [ack_id]}))
            if (answer.get("acks") or {}).get(str(ack_id)) is True:
                return
            if time.monotonic() >= deadline:
                raise SinkError(f"Splunk HEC: ackId {ack_id} not acknowledged in time")
            self._sleep(self.ack_interval)

    def send(self, events: Sequence[Event]) -> None:
        chunk: list[str] = []
        size = 0
        for event in events:
            line = self.envelope(event)
            if chunk and size + len(line) > HEC_MAX_BYTES:
                self._send_chunk(chunk)
                chunk, size = [], 0
            chunk.append(line)
            size += len(line) + 1
        if chunk:
            self._send_chunk(chunk)

    def _send_chunk(self, lines: list[str]) -> None:
        answer = self._post("/services/collector/event", "\n".join(lines))
        if answer.get("code", 0) != 0:
            raise SinkError(f"Splunk HEC: code {answer.get('code')} {answer.get('text', '')}")
        if self.acks:
            ack_id = answer.get("ackId")
            if not isinstance(ack_id, int):
                raise SinkError("Splunk HEC: acks are enabled but the response has no ackId")
            self._wait_ack(ack_id)

    def close(self) -> None:
        self._client.close()


# --------------------------------------------------------------------------- syslog

_SYSLOG_SEVERITY = {0: 6, 1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1, 99: 6}
_CEF_SEVERITY = {0: 0, 1: 1, 2: 3, 3: 5, 4: 7, 5: 9, 6: 10, 99: 5}
SD_ID = "ocsf@32473"
"""Structured-data id; 32473 is the enterprise number RFC 5612 reserves for documentation."""


def _sd_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _cef_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|")


def _cef_ext(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r", "\\r").replace("\n", "\\n")


def to_cef(event: Event) -> str:
    """ArcSight CEF rendering of an OCSF event (the fields a CEF-only SIEM correlates on)."""
    user = (event.get("actor") or {}).get("user") or event.get("user") or {}
    request = event.get("http_request") or {}
    ext: dict[str, Any] = {
        "rt": event.get("time"),
        "externalId": event["metadata"]["uid"],
        "suser": user.get("name") or user.get("uid"),
        "suid": user.get("uid"),
        "requestMethod": request.get("http_method"),
        "request": (request.get("url") or {}).get("path"),
        "outcome": event.get("status"),
        "act": event.get("action") or event.get("activity_name"),
        "src": (event.get("src_endpoint") or {}).get("ip"),
        "destinationServiceName": ((event.get("api") or {}).get("service") or {}).get("name")
        or (event.get("service") or {}).get("name"),
        "cs1Label": "ocsf_class_uid",
        "cs1": event.get("class_uid"),
        "cs2Label": "status_detail",
        "cs2": event.get("status_detail"),
        "msg": event.get("message"),
    }
    extension = " ".join(f"{k}={_cef_ext(v)}" for k, v in ext.items() if v not in (None, ""))
    header = "|".join(
        _cef_header(str(x))
        for x in (
            "CEF:0",
            "hoop.dev",
            "hoop",
            event["metadata"]["version"],
            event["type_uid"],
            f"{event.get('class_name', '')}: {event.get('activity_name', '')}",
            _CEF_SEVERITY.get(int(event.get("severity_id", 0)), 5),
        )
    )
    return f"{header}|{extension}"


class SyslogSink:
    """RFC 5424 messages over TCP (or TLS), octet-counted framing (RFC 6587 §3.4.1).

    The MSG part is the OCSF event as JSON, or its CEF rendering. TCP gives no application-level
    acknowledgement: a batch counts as sent when every frame was written; on any socket error the
    connection is rebuilt and the whole batch is sent again.
    """

    name = "syslog"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        fmt: Literal["json", "cef"] = "json",
        tls: bool = False,
        ca_file: str | None = None,
        server_name: str | None = None,
        facility: int = 13,
        app_name: str = "zsp-exporter",
        hostname: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.fmt = fmt
        self.tls = tls
        self.ca_file = ca_file
        self.server_name = server_name or host
        self.facility = facility
        self.app_name = app_name
        self.hostname = (hostname or socket.gethostname())[:255]
        self.timeout = timeout
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock: socket.socket = socket.create_connection((self.host, self.port), self.timeout)
            if self.tls:
                context = ssl.create_default_context(cafile=self.ca_file)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                sock = context.wrap_socket(sock, server_hostname=self.server_name)
            self._sock = sock
        return self._sock

    def format(self, event: Event) -> str:
        severity = _SYSLOG_SEVERITY.get(int(event.get("severity_id", 1)), 6)
        pri = self.facility * 8 + severity
        stamp = datetime.fromtimestamp(event["time"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[
            :-3
        ]
        msgid = f"ocsf-{event['class_uid']}"
        sd = (
            f'[{SD_ID} uid="{_sd_escape(event["metadata"]["uid"])}" '
            f'class_uid="{event["class_uid"]}" type_uid="{event["type_uid"]}"]'
        )
        body = to_cef(event) if self.fmt == "cef" else dumps(event)
        return f"<{pri}>1 {stamp}Z {self.hostname} {self.app_name} - {msgid} {sd} {body}"

    def send(self, events: Sequence[Event]) -> None:
        frames = []
        for event in events:
            message = self.format(event).encode("utf-8")
            frames.append(str(len(message)).encode("ascii") + b" " + message)
        payload = b"".join(frames)
        try:
            self._connect().sendall(payload)
        except OSError as err:
            self.close()
            raise SinkError(f"syslog {self.host}:{self.port}: {type(err).__name__}") from None

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
