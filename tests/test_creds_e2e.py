"""``zsp creds`` end to end: a real OIDC issuer on loopback → the hoop API double (validated
against ``openapiv3.json``) → a printed proxy credential that expires when asked."""

from __future__ import annotations

import json
import logging
import os
import shlex
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fixtures_oidc import GATEWAY_AUDIENCE, SCOPE, CredsGateway
from oidc_issuer import OidcIssuer
from zsp.cli.creds import (
    CredentialProvider,
    CredsError,
    CredsSettings,
    FileCache,
    ZspAuth,
    refresh_margin,
)
from zsp.cli.main import main


@pytest.fixture()
def creds_env(
    creds_gateway: CredsGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CredsGateway:
    idp = creds_gateway.idp
    monkeypatch.setenv("ZSP_GATEWAY_URL", creds_gateway.api_url)
    monkeypatch.setenv("ZSP_IDP_ISSUER", idp.issuer)
    monkeypatch.setenv("ZSP_CLIENT_ID", "support-bot")
    monkeypatch.setenv("ZSP_IDP_AUDIENCE", GATEWAY_AUDIENCE)
    monkeypatch.setenv("ZSP_IDP_SCOPE", SCOPE)
    monkeypatch.setenv("ZSP_CLIENT_SECRET", idp.clients["support-bot"].secret or "")
    monkeypatch.setenv("ZSP_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ZSP_ID_TOKEN", "ZSP_MAX_DURATION", "ZSP_FLOW"):
        monkeypatch.delenv(name, raising=False)
    return creds_gateway


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(["creds", *args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def issued(gw: CredsGateway) -> list[str]:
    return [
        r.path
        for r in gw.hoop.requests
        if r.method == "POST" and r.path == "/api/connections/openai/credentials"
    ]


def assert_same_second(gateway: str, printed: str) -> None:
    """The printed expiry is the gateway's, truncated to the second (never later than it)."""
    real = datetime.fromisoformat(gateway.replace("Z", "+00:00"))
    shown = datetime.fromisoformat(printed.replace("Z", "+00:00"))
    assert timedelta(0) <= real - shown < timedelta(seconds=1)


def parse_env(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.strip().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = shlex.split(value)[0]
    return values


def test_env_output_for_openai_sdk(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    before = datetime.now(UTC)
    code, out, err = run(capsys, "--connection", "openai")
    assert code == 0, err
    env = parse_env(out)
    # hoop reports the proxy listener (hostname + port); the OpenAI SDK wants the /v1 root.
    assert env["OPENAI_BASE_URL"] == "http://127.0.0.1:18888/v1"
    token = env["OPENAI_API_KEY"]
    assert token.startswith("httpproxy-")
    record = creds_env.credential(token)
    assert record["connection"] == "openai"
    assert record["subject"] == "support-bot"  # the IdP identity, verified by the gateway
    expires = datetime.fromisoformat(env["ZSP_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
    assert timedelta(seconds=895) <= expires - before <= timedelta(seconds=905)  # default 15m
    assert_same_second(record["expire_at"], env["ZSP_CREDENTIAL_EXPIRATION"])
    body = next(r.body for r in creds_env.hoop.requests if r.path.endswith("/credentials"))
    assert body == {"access_duration_seconds": 900}
    assert all(r.valid for r in creds_env.hoop.requests)


def test_json_output_expires_when_asked(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    before = datetime.now(UTC)
    code, out, err = run(
        capsys,
        "--connection",
        "openai",
        "--duration",
        "2m",
        "--format",
        "json",
        "--api",
        "anthropic",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["Expiration"].endswith("Z")
    expires = datetime.strptime(doc["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(seconds=115) <= expires - before <= timedelta(seconds=125)
    assert doc["Env"]["ANTHROPIC_API_KEY"] == doc["Token"]
    assert doc["Env"]["ANTHROPIC_BASE_URL"] == doc["BaseUrl"]
    assert_same_second(creds_env.credential(doc["Token"])["expire_at"], doc["Expiration"])


def test_header_output(creds_env: CredsGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--connection", "openai", "--format", "header")
    assert code == 0
    assert out.startswith("Authorization: Bearer httpproxy-")


@pytest.mark.parametrize(
    ("duration", "max_env", "message"),
    [
        ("2h", None, "--duration 7200s exceeds the hard maximum of 3600s"),
        ("45m", "30m", "--duration 2700s exceeds the hard maximum of 1800s"),
        ("10s", None, "--duration 10s is below the minimum of 60s"),
        ("soon", None, "--duration: expected a duration such as 15m"),
    ],
)
def test_duration_checked_against_hard_max_before_any_request(
    creds_env: CredsGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    duration: str,
    max_env: str | None,
    message: str,
) -> None:
    if max_env:
        monkeypatch.setenv("ZSP_MAX_DURATION", max_env)
    code, out, err = run(capsys, "--connection", "openai", "--duration", duration)
    assert code == 2
    assert out == ""
    assert message in err
    assert issued(creds_env) == []
    assert creds_env.idp.token_requests == 0


def test_cached_in_0600_file_until_near_expiry_then_revoked(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, first, _ = run(capsys, "--connection", "openai")
    _, second, _ = run(capsys, "--connection", "openai")
    assert first == second
    assert len(issued(creds_env)) == 1
    files = list((tmp_path / "cache").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    token = parse_env(first)["OPENAI_API_KEY"]

    code, out, err = run(capsys, "--connection", "openai", "--revoke")
    assert code == 0 and out == ""
    assert f"revoked credential {creds_env.credential(token)['id']}" in err
    assert creds_env.is_valid(token) is False
    assert list((tmp_path / "cache").iterdir()) == []
    _, third, _ = run(capsys, "--connection", "openai")
    assert parse_env(third)["OPENAI_API_KEY"] != token
    assert len(issued(creds_env)) == 2


def test_revoke_without_cache_finds_the_live_credential(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "--connection", "openai", "--no-cache")
    token = parse_env(out)["OPENAI_API_KEY"]
    code, _, err = run(capsys, "--connection", "openai", "--revoke", "--no-cache")
    assert code == 0
    assert "revoked credential" in err
    assert creds_env.is_valid(token) is False
    code, _, err = run(capsys, "--connection", "openai", "--revoke", "--no-cache")
    assert code == 0 and "no active credential" in err


def test_cache_file_with_loose_permissions_is_refused(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "--connection", "openai")
    path = next((tmp_path / "cache").iterdir())
    os.chmod(path, 0o644)
    code, out, err = run(capsys, "--connection", "openai")
    assert code == 2 and out == ""
    assert "must be a regular 0600 file you own" in err


def provider(gw: CredsGateway, clock: list[datetime], duration: int = 300) -> CredentialProvider:
    settings = CredsSettings(
        gateway_url=gw.api_url,
        issuer=gw.idp.issuer,
        client_id="support-bot",
        audience=GATEWAY_AUDIENCE,
        scope=SCOPE,
        flow="client-credentials",
    )
    return CredentialProvider(settings, "openai", duration, clock=lambda: clock[0])


def test_refresh_happens_before_expiry(creds_env: CredsGateway) -> None:
    clock = [datetime.now(UTC)]
    p = provider(creds_env, clock)
    first = p.get()
    assert p.get() is first  # still fresh: no new credential
    margin = refresh_margin(first.lifetime)
    assert margin == 60.0
    clock[0] = first.expires_at - timedelta(seconds=margin + 1)
    assert p.get() is first
    clock[0] = first.expires_at - timedelta(seconds=margin - 1)
    second = p.get()
    assert second.token != first.token
    # Replaced while the old one was still valid at the gateway: callers never hold an expired one.
    assert creds_env.is_valid(first.token.reveal())
    assert second.expires_at > first.expires_at
    p.close()


def test_httpx_auth_refreshes_and_recovers_from_revocation(creds_env: CredsGateway) -> None:
    clock = [datetime.now(UTC)]
    p = provider(creds_env, clock)
    seen: list[str] = []

    def proxy(request: httpx.Request) -> httpx.Response:
        # What the gateway's :18888 listener decides for each request.
        token = request.headers["Authorization"].removeprefix("Bearer ")
        seen.append(token)
        if not creds_env.is_valid(token):
            return httpx.Response(401, json={"message": "invalid token"})
        return httpx.Response(200, json={"choices": [{"message": {"content": "ok"}}]})

    auth = ZspAuth(provider=p)
    with httpx.Client(
        transport=httpx.MockTransport(proxy), auth=auth, base_url=auth.base_url
    ) as http:
        assert http.post("/v1/chat/completions", json={}).status_code == 200
        assert http.post("/v1/chat/completions", json={}).status_code == 200
        assert len(set(seen)) == 1
        # The gateway revokes the credential: one 401, a forced refresh, a successful retry.
        creds_env.hoop.state.credentials[seen[-1]]["revoked"] = True
        assert http.post("/v1/chat/completions", json={}).status_code == 200
        assert len(set(seen)) == 2
        # Close to expiry: the next request already carries a new credential.
        current = p.cache.load(p.key)
        assert current is not None
        clock[0] = current.expires_at - timedelta(seconds=5)
        assert http.post("/v1/chat/completions", json={}).status_code == 200
        assert len(set(seen)) == 3
    assert "httpproxy-" not in repr(auth)
    p.close()


def test_federated_ci_job_without_any_stored_secret(
    creds_env: CredsGateway,
    ci_issuer: OidcIssuer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ZSP_CLIENT_SECRET")
    monkeypatch.setenv("ZSP_CLIENT_ID", "support-bot-ci")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{ci_issuer.url}/ci/id-token")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ci_issuer.ci_request_token)
    code, out, err = run(capsys, "--connection", "openai", "--format", "json")
    assert code == 0, err
    token = json.loads(out)["Token"]
    assert creds_env.credential(token)["subject"] == "support-bot-ci"


def test_client_secret_from_secrets_manager(
    creds_env: CredsGateway,
    aws_env: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workload-role path: the role reads the consumer's machine-client secret (moto)."""
    import boto3

    secret = creds_env.idp.clients["support-bot"].secret
    arn = boto3.client("secretsmanager").create_secret(
        Name="zsp/dev/idp/support-bot",
        SecretString=json.dumps({"client_id": "support-bot", "client_secret": secret}),
    )["ARN"]
    monkeypatch.delenv("ZSP_CLIENT_SECRET")
    code, out, err = run(capsys, "--connection", "openai", "--client-secret-arn", arn, "--no-cache")
    assert code == 0, err
    assert parse_env(out)["OPENAI_API_KEY"].startswith("httpproxy-")
    code, _, err = run(
        capsys, "--connection", "openai", "--client-secret-arn", arn + "x", "--no-cache"
    )
    assert code == 2
    assert "cannot read the machine-client secret" in err and "ResourceNotFoundException" in err


def test_wrong_audience_is_refused_before_reaching_the_gateway(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZSP_IDP_AUDIENCE", "another-gateway")
    code, out, err = run(capsys, "--connection", "openai")
    assert code == 2 and out == ""
    assert "token audience ['zsp-gateway'] does not include 'another-gateway'" in err
    assert issued(creds_env) == []


def test_review_required_connection_is_explained(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    creds_env.hoop.state.access_request_rules["jit-openai"] = {
        "name": "jit-openai",
        "access_type": "jit",
        "connection_names": ["openai"],
        "approval_required_groups": ["ai-users"],
        "skip_review_groups": [],
        "access_max_duration": 3600,
    }
    code, out, err = run(capsys, "--connection", "openai")
    assert code == 2 and out == ""
    assert "needs review approval" in err


def test_no_secret_reaches_logs_or_stderr(
    creds_env: CredsGateway,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Canary: client secret, IdP token and proxy token never appear in logs or on stderr."""
    caplog.set_level(logging.DEBUG)
    client_secret = creds_env.idp.clients["support-bot"].secret or ""
    code, out, err = run(capsys, "--connection", "openai", "--format", "json")
    assert code == 0
    proxy_token = json.loads(out)["Token"]
    idp_tokens = [t for t in creds_env.idp.issued]  # claims only; the tokens are in no log
    assert idp_tokens
    logs = caplog.text + err
    for secret in (client_secret, proxy_token):
        assert secret not in logs
    # Error paths: the gateway fails, then the IdP refuses a wrong secret.
    creds_env.hoop.fail_next(1, status=500, message="database unavailable")
    code, out, err = run(capsys, "--connection", "openai", "--no-cache")
    assert code == 2 and out == ""
    assert "HTTP 500: database unavailable" in err
    monkeypatch.setenv("ZSP_CLIENT_SECRET", "CANARY-cs-7d1e9a")
    code, out, err = run(capsys, "--connection", "openai", "--no-cache")
    assert code == 2
    logs = caplog.text + err + out
    for secret in ("CANARY-cs-7d1e9a", client_secret, proxy_token):
        assert secret not in logs
    assert all("Authorization" not in str(vars(r)) for r in creds_env.hoop.requests)


def test_provider_refuses_durations_over_the_hard_max(creds_env: CredsGateway) -> None:
    with pytest.raises(CredsError, match="exceeds the hard maximum of 3600s"):
        provider(creds_env, [datetime.now(UTC)], duration=7200)


def test_file_cache_roundtrip(tmp_path: Path, creds_env: CredsGateway) -> None:
    clock = [datetime.now(UTC)]
    p = provider(creds_env, clock)
    cred = p.get()
    cache = FileCache(tmp_path / "c")
    cache.store("k", cred)
    loaded = cache.load("k")
    assert loaded is not None
    assert loaded.token == cred.token and loaded.expires_at == cred.expires_at
    assert "httpproxy-" not in repr(loaded)
    p.close()


def test_missing_settings_are_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ZSP_GATEWAY_URL", "ZSP_IDP_ISSUER", "ZSP_CLIENT_ID", "ZSP_IDP_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    code, out, err = run(capsys, "--connection", "openai")
    assert code == 2 and out == ""
    assert "Missing option '--gateway-url'" in err


def test_device_flow_for_a_person_end_to_end(
    creds_env: CredsGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person: the CLI prints a URL and code on stderr, polls, then gets the credential."""
    import threading
    import time

    monkeypatch.delenv("ZSP_CLIENT_SECRET")
    monkeypatch.setenv("ZSP_CLIENT_ID", "zsp-cli")
    idp = creds_env.idp
    stop = threading.Event()

    def approve() -> None:  # the person opening the verification URL in a browser
        while not stop.is_set():
            for grant in list(idp.devices.values()):
                httpx.get(
                    f"{idp.url}/device", params={"user_code": grant.user_code, "user": "alice"}
                )
                return
            time.sleep(0.05)

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    try:
        code, out, err = run(capsys, "--connection", "openai", "--format", "json", "--no-cache")
    finally:
        stop.set()
        thread.join(5)
    assert code == 0, err
    assert f"To sign in, open {idp.url}/device and enter the code " in err
    assert creds_env.credential(json.loads(out)["Token"])["subject"] == "alice"
