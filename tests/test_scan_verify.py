"""``zsp scan --verify`` against local HTTP fakes of the providers' read-only endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

LIVE_OPENAI = "sk-proj-" + "Lq8Wm0Np3Rs7Tv1XzKd8Fj2Lq9Wm4Np7Rs1Tv5Xz3Bc6Hg0Jy8Ue2Io4Pa7Sd1Fg9Hk3L"
DEAD_OPENAI = "sk-proj-" + "Zx9Cv8Bn7Mq6We5Rt4Yu3Io2Pa1Sd0Fg9Hj8Kl7Zx6Cv5Bn4Mq3We2Rt1Yu0Io9Pa8Sd7"
LIVE_ANTHROPIC = (
    "sk-ant-api03-"
    + ("Kd8Fj2Lq9Wm4Np7Rs1Tv5Xz3Bc6Hg0Jy8Ue2Io4Pa7Sd1Fg9Hk3Lz5Xc2Vb6Nm8Qw0Er4Ty7Ui1" * 2)[:93]
    + "AA"
)
LIVE_HF = "hf_" + "PlOkIjUhYgTfRdEsWaQzXcVbNmLkJhGfDsAq"[:34]
PPLX = "pplx-" + ("Ty7Ui1Op3As5Df9Gh2Jk6Lq8Wm0Np3Rs7Tv1XzKd8Fj2Lq9Wm4N" * 2)[:48]


class FakeProviders(BaseHTTPRequestHandler):
    """Answers like the real read-only endpoints: 200 for the live key, 401 otherwise."""

    requests: list[tuple[str, str, dict[str, str]]] = []

    def log_message(self, *_args: object) -> None:
        pass

    def _answer(self, ok: bool) -> None:
        body = json.dumps({"data": []} if ok else {"error": "invalid_api_key"}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        FakeProviders.requests.append(("GET", self.path, headers))
        if self.path == "/openai/v1/models":
            self._answer(headers.get("authorization") == f"Bearer {LIVE_OPENAI}")
        elif self.path == "/anthropic/v1/models":
            self._answer(
                headers.get("x-api-key") == LIVE_ANTHROPIC and "anthropic-version" in headers
            )
        elif self.path == "/hf/api/whoami-v2":
            self._answer(headers.get("authorization") == f"Bearer {LIVE_HF}")
        else:
            self.send_error(404)

    def do_POST(self) -> None:  # a verification must never write
        FakeProviders.requests.append(("POST", self.path, {}))
        self.send_error(405)


@pytest.fixture()
def fake_providers() -> Iterator[str]:
    FakeProviders.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProviders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _scan(root: Path, *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    run = subprocess.run(
        [sys.executable, "-m", "zsp.cli.main", "scan", str(root), "--format", "json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_PROXY": "127.0.0.1"},
    )
    return run.returncode, json.loads(run.stdout), run.stdout + run.stderr


@pytest.fixture()
def keys_dir(tmp_path: Path) -> Path:
    (tmp_path / "a.env").write_text(
        f"OPENAI_API_KEY={LIVE_OPENAI}\nANTHROPIC_API_KEY={LIVE_ANTHROPIC}\n"
    )
    (tmp_path / "b.env").write_text(
        f"OPENAI_API_KEY={DEAD_OPENAI}\nHF_TOKEN={LIVE_HF}\nPPLX_API_KEY={PPLX}\n"
    )
    return tmp_path


def test_verify_is_off_by_default(keys_dir: Path, fake_providers: str) -> None:
    rc, doc, _ = _scan(keys_dir, "--verify-endpoint", f"openai={fake_providers}/openai/v1")
    assert rc == 1
    assert all("verification" not in t for t in doc["tokens"])
    assert FakeProviders.requests == []


def test_verify_reports_live_invalid_and_unsupported(keys_dir: Path, fake_providers: str) -> None:
    rc, doc, text = _scan(
        keys_dir,
        "--verify",
        "--verify-endpoint",
        f"openai={fake_providers}/openai/v1",
        "--verify-endpoint",
        f"anthropic={fake_providers}/anthropic",
        "--verify-endpoint",
        f"huggingface={fake_providers}/hf",
    )
    assert rc == 1
    status = {}
    for t in doc["tokens"]:
        path = t["locations"][0]["path"]
        status[(t["provider"], path)] = t["verification"]["status"]
    assert status == {
        ("openai", "a.env"): "live",
        ("openai", "b.env"): "invalid",
        ("anthropic", "a.env"): "live",
        ("huggingface", "b.env"): "live",
        ("perplexity", "b.env"): "unsupported",
    }
    methods = {(m, p) for m, p, _h in FakeProviders.requests}
    assert methods == {
        ("GET", "/openai/v1/models"),
        ("GET", "/anthropic/v1/models"),
        ("GET", "/hf/api/whoami-v2"),
    }
    assert len(FakeProviders.requests) == 4  # one call per verifiable token
    for value in (LIVE_OPENAI, DEAD_OPENAI, LIVE_ANTHROPIC, LIVE_HF, PPLX):
        assert value not in text


def test_endpoints_found_in_files_are_not_trusted(tmp_path: Path, fake_providers: str) -> None:
    """A hostile file cannot redirect verification of its own key to a collector."""
    (tmp_path / ".env").write_text(
        f"AZURE_OPENAI_ENDPOINT={fake_providers}/openai\nAZURE_OPENAI_API_KEY=4f9c2a7e1b8d3f6a0c5e9b2d7f1a4c8e\n"
    )
    rc, doc, _ = _scan(tmp_path, "--verify")
    assert rc == 1
    assert doc["tokens"][0]["verification"]["status"] == "unsupported"
    assert FakeProviders.requests == []


AKID = "AKIA" + "Z7QW4RT2YU6IO3PAXK5M"[:16]
SECRET = "k9J8h7G6f5D4s3A2q1W0e9R8t7Y6u5I4o3P2a1S0"


def test_sigv4_matches_botocore() -> None:
    """The hand-written signer (scan must not import botocore) equals botocore's."""
    import datetime

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from zsp.cli.scan.verify import STS_QUERY, sigv4_headers

    url = f"https://sts.amazonaws.com/?{STS_QUERY}"
    now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    ours = sigv4_headers(url, AKID, SECRET, "us-east-1", now)
    request = AWSRequest(method="GET", url=url, headers={"x-amz-date": ours["x-amz-date"]})
    request.context["timestamp"] = ours["x-amz-date"]
    signer = SigV4Auth(Credentials(AKID, SECRET), "sts", "us-east-1")
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    assert ours["Authorization"].endswith(f"Signature={signature}")
    assert "SignedHeaders=host;x-amz-date," in ours["Authorization"]


def test_aws_key_pair_verified_with_sts_against_moto(tmp_path: Path, moto_server: str) -> None:
    (tmp_path / "credentials.ini").write_text(
        f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
    )
    (tmp_path / "lonely.env").write_text("AWS_ACCESS_KEY_ID=AKIAQ3WE5RT7YU2IO4PL\n")
    rc, doc, text = _scan(tmp_path, "--verify", "--verify-endpoint", f"aws={moto_server}")
    assert rc == 1
    status = {
        (t["locations"][0]["path"], t["locations"][0]["line"]): t["verification"]["status"]
        for t in doc["tokens"]
    }
    assert status == {
        ("credentials.ini", 2): "live",
        ("credentials.ini", 3): "live",
        ("lonely.env", 1): "unsupported",
    }
    assert AKID not in text and SECRET not in text
