"""The hoop REST client against the spec-enforcing double: retries, errors, no credential leaks."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hoop_double import HoopDouble
from zsp.components.hoop.client import (
    ClientCredentialsToken,
    HoopAuthError,
    HoopClient,
    HoopConflict,
    HoopError,
    HoopNotFound,
    HoopUnavailable,
    api_base,
    static_token,
)

pytestmark = pytest.mark.timeout(60)


def make(hoop_api: HoopDouble, token: str | None = None, **kw: object) -> HoopClient:
    sleeps: list[float] = []
    client = HoopClient(
        hoop_api.url.removesuffix("/api"),
        static_token(token or str(hoop_api.api_key)),
        sleep=sleeps.append,
        **kw,  # type: ignore[arg-type]
    )
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def test_api_base_appends_api_once() -> None:
    assert api_base("https://gw.example.com/") == "https://gw.example.com/api"
    assert api_base("https://gw.example.com/api") == "https://gw.example.com/api"


def test_500_then_success_backs_off_exponentially(hoop_api: HoopDouble) -> None:
    client = make(hoop_api)
    hoop_api.fail_next(3, status=500, message="db busy")
    assert client.get("/agents") == []
    assert client.sleeps == [0.25, 0.5, 1.0]  # type: ignore[attr-defined]
    assert len(hoop_api.requests) == 4


def test_retries_are_bounded_and_the_error_names_object_and_message(hoop_api: HoopDouble) -> None:
    client = make(hoop_api, max_attempts=3)
    hoop_api.fail_next(5, status=500, message="db down")
    with pytest.raises(HoopUnavailable) as err:
        client.get("/guardrails/abc", object_name="deny-mutations")
    assert str(err.value) == (
        "hoop GET /guardrails/abc 'deny-mutations' failed: HTTP 500: db down "
        "(gave up after 3 attempts)"
    )
    assert len(hoop_api.requests) == 3


def test_no_retry_on_4xx(hoop_api: HoopDouble) -> None:
    client = make(hoop_api)
    client.post("/agents", {"name": "default"}, object_name="default")
    with pytest.raises(HoopConflict) as err:
        client.post("/agents", {"name": "default"}, object_name="default")
    assert err.value.status == 409 and err.value.hoop_message == "resource already exists"
    with pytest.raises(HoopNotFound):
        client.get("/agents/nope", object_name="nope")
    assert len(hoop_api.requests) == 3
    assert client.sleeps == []  # type: ignore[attr-defined]


def test_connection_errors_and_timeouts_are_retried(hoop_api: HoopDouble) -> None:
    client = make(hoop_api, timeout=0.3)
    hoop_api.drop_next()
    hoop_api.delay_next(seconds=0.8)
    assert client.get("/agents") == []
    hoop_api.delay_next(4, seconds=0.8)
    with pytest.raises(HoopUnavailable, match=r"timed out \(ReadTimeout\)"):
        client.get("/agents", object_name="x")


def test_401_is_an_auth_error_without_the_token(hoop_api: HoopDouble) -> None:
    canary = "xapi-CANARY-not-a-real-key-7f3a"
    client = make(hoop_api, token=canary)
    with pytest.raises(HoopAuthError) as err:
        client.get("/agents", object_name="default")
    assert err.value.status == 401
    assert canary not in str(err.value) and canary not in repr(err.value.args)


def test_a_message_echoing_the_token_is_scrubbed(hoop_api: HoopDouble) -> None:
    token = str(hoop_api.api_key)
    client = make(hoop_api)
    hoop_api.fail_next(1, status=500, message=f"bad token {token}")
    client._max_attempts = 1  # type: ignore[attr-defined]
    with pytest.raises(HoopError) as err:
        client.get("/agents")
    assert token not in str(err.value) and "[redacted]" in str(err.value)


def test_client_credentials_token_is_fetched_once_and_cached() -> None:
    """A real token endpoint on 127.0.0.1 (client_secret_basic, form body)."""
    calls: list[tuple[str, bytes]] = []

    class Token(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls.append((self.headers["Authorization"], body))
            payload = json.dumps({"access_token": "at-1", "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Token)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        source = ClientCredentialsToken(
            f"http://127.0.0.1:{server.server_address[1]}/oauth2/token",
            "zsp-provisioner",
            "s3cret",
            scope="hoop/admin",
        )
        assert source() == "at-1" and source() == "at-1"
    finally:
        server.shutdown()
        server.server_close()
    assert len(calls) == 1
    basic = "Basic " + base64.b64encode(b"zsp-provisioner:s3cret").decode()
    assert calls[0][0] == basic
    assert b"grant_type=client_credentials" in calls[0][1]
    assert b"scope=hoop%2Fadmin" in calls[0][1]


def test_calls_that_answer_once_are_not_retried_after_send(hoop_api: HoopDouble) -> None:
    client = make(hoop_api, timeout=0.3)
    hoop_api.fail_next(1, status=500, message="db busy")
    with pytest.raises(HoopUnavailable, match="HTTP 500: db busy"):
        client.post("/agents", {"name": "edge"}, object_name="edge", retry_after_send=False)
    hoop_api.delay_next(1, seconds=0.8)
    with pytest.raises(HoopUnavailable, match="timed out"):
        client.post("/agents", {"name": "edge"}, object_name="edge", retry_after_send=False)
    assert len(hoop_api.requests) == 2
    assert client.sleeps == []  # type: ignore[attr-defined]
