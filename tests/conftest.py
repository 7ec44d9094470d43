"""Shared fixtures: the project root, ``../shared`` reference data, and a real moto server."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_gateway import record_component  # noqa: F401
from fixtures_guardrails import broken  # noqa: F401
from fixtures_hoop import hoop_api  # noqa: F401
from fixtures_migrate import migrate_env  # noqa: F401
from fixtures_oidc import ci_issuer, creds_gateway, oidc_issuer  # noqa: F401
from fixtures_siem import hec_receiver, rsyslog  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (or ``$ZSP_SHARED``): skip where absent, fail under CI=true."""
    path = Path(os.environ.get("ZSP_SHARED", ROOT.parent / "shared"))
    if not (path / "hoop" / "openapiv3.json").is_file():
        message = f"shared reference data not found at {path} (set ZSP_SHARED)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real moto server on 127.0.0.1 (same HTTP wire path as AWS); yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment that points boto3 at the moto server with throwaway credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server


from fixtures_scan import scan_corpus  # noqa: E402, F401
