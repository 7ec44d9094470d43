"""Real receivers for the SIEM sinks: rsyslog on loopback (TCP and TLS) and a Splunk HEC server.

* ``rsyslog`` — the Debian ``rsyslogd`` started in the foreground with a generated config: one
  plain ``imtcp`` listener and one TLS listener (``ossl`` driver, a throwaway CA made here), both
  on 127.0.0.1, writing every message to a file as ``severity|app|msgid|structured-data|msg`` so
  tests assert on what rsyslog itself parsed from the RFC 5424 frames.
* ``hec_receiver`` — an HTTP server implementing the HEC endpoints the sink uses, checking the
  protocol like Splunk does: ``Authorization: Splunk <token>`` (401 code 2/4 otherwise),
  ``X-Splunk-Request-Channel`` required with acks (400 code 10), each envelope a JSON object with
  ``event`` (400 code 12 otherwise), an ``ackId`` per request, and ``/services/collector/ack``
  answering ``{"acks": {"<id>": true}}`` only after a configurable number of polls.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

HEC_TOKEN = "11111111-2222-3333-4444-555555555555"
IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- rsyslog


def _make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zsp test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "cert.pem",
        directory / "key.pem",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


@dataclass
class Rsyslog:
    tcp_port: int
    tls_port: int
    ca_file: Path
    output: Path

    def lines(self, expected: int, timeout: float = 15.0) -> list[str]:
        """The parsed lines rsyslog wrote, once at least ``expected`` are there."""
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while time.monotonic() < deadline:
            if self.output.exists():
                lines = self.output.read_text(encoding="utf-8").splitlines()
                if len(lines) >= expected:
                    return lines
            time.sleep(0.1)
        return lines

    def reset(self) -> None:
        if self.output.exists():
            self.output.write_text("", encoding="utf-8")


def _wait_port(port: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def rsyslog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rsyslog]:
    binary = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not Path(binary).exists():
        message = "rsyslogd not installed (apt-get install rsyslog rsyslog-openssl)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("rsyslog")
    ca, cert, key = _make_tls(work)
    tcp_port, tls_port = free_port(), free_port()
    output = work / "received.log"
    config = f"""
global(workDirectory="{work}"
       DefaultNetstreamDriverCAFile="{ca}"
       DefaultNetstreamDriverCertFile="{cert}"
       DefaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" MaxSessions="50")
input(type="imtcp" address="127.0.0.1" port="{tcp_port}" ruleset="siem")
input(type="imtcp" name="tls" address="127.0.0.1" port="{tls_port}" ruleset="siem"
      StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
template(name="parsed" type="string"
         string="%syslogseverity%|%app-name%|%msgid%|%structured-data%|%msg%\\n")
ruleset(name="siem") {{
  action(type="omfile" file="{output}" template="parsed")
}}
"""
    conf_path = work / "rsyslog.conf"
    conf_path.write_text(config, encoding="utf-8")
    check = subprocess.run(
        [binary, "-N1", "-f", str(conf_path)], capture_output=True, text=True, timeout=60
    )
    if check.returncode != 0:
        pytest.fail(f"rsyslog config rejected: {check.stderr or check.stdout}")
    process = subprocess.Popen(
        [binary, "-n", "-f", str(conf_path), "-i", str(work / "rsyslogd.pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if not (_wait_port(tcp_port) and _wait_port(tls_port)):
            process.kill()
            _, err = process.communicate(timeout=10)
            pytest.fail(f"rsyslogd did not listen: {err.decode(errors='replace')[-2000:]}")
        yield Rsyslog(tcp_port, tls_port, ca, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --------------------------------------------------------------------------- Splunk HEC


@dataclass
class HecState:
    token: str = HEC_TOKEN
    ack_after_polls: int = 1
    never_ack: bool = False
    fail_next: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    next_ack: int = 0
    polls: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class HecReceiver:
    url: str
    state: HecState


def _decode_envelopes(body: str) -> list[Any]:
    decoder = json.JSONDecoder()
    out, index = [], 0
    while index < len(body):
        while index < len(body) and body[index].isspace():
            index += 1
        if index >= len(body):
            break
        value, index = decoder.raw_decode(body, index)
        out.append(value)
    return out


def _handler(state: HecState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            auth = self.headers.get("Authorization")
            channel = self.headers.get("X-Splunk-Request-Channel")
            with state.lock:
                state.requests.append(
                    {"path": self.path, "authorization": auth, "channel": channel, "body": body}
                )
                if state.fail_next > 0:
                    state.fail_next -= 1
                    self._answer(503, {"text": "Server is busy", "code": 9})
                    return
            if auth is None:
                self._answer(401, {"text": "Token is required", "code": 2})
                return
            if auth != f"Splunk {state.token}":
                self._answer(403, {"text": "Invalid token", "code": 4})
                return
            if not channel:
                self._answer(400, {"text": "Data channel is missing", "code": 10})
                return
            if self.path.startswith("/services/collector/ack"):
                acks = json.loads(body).get("acks", [])
                with state.lock:
                    result = {}
                    for ack in acks:
                        state.polls[ack] = state.polls.get(ack, 0) + 1
                        done = not state.never_ack and state.polls[ack] >= state.ack_after_polls
                        result[str(ack)] = done
                self._answer(200, {"acks": result})
                return
            if self.path != "/services/collector/event":
                self._answer(404, {"text": "Not Found", "code": 404})
                return
            try:
                envelopes = _decode_envelopes(body)
            except ValueError:
                self._answer(400, {"text": "Invalid data format", "code": 6})
                return
            for envelope in envelopes:
                if not isinstance(envelope, dict) or "event" not in envelope:
                    self._answer(400, {"text": "Event field is required", "code": 12})
                    return
                if not isinstance(envelope.get("time"), int | float):
                    self._answer(400, {"text": "Invalid time", "code": 6})
                    return
            with state.lock:
                state.events.extend(envelopes)
                ack_id = state.next_ack
                state.next_ack += 1
            self._answer(200, {"text": "Success", "code": 0, "ackId": ack_id})

    return Handler


@pytest.fixture()
def hec_receiver() -> Iterator[HecReceiver]:
    state = HecState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HecReceiver(f"http://127.0.0.1:{server.server_address[1]}", state)
    finally:
        server.shutdown()
        server.server_close()
