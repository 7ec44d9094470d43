"""IdP tokens from a real OIDC issuer on 127.0.0.1: obtained over HTTP, verified by zsp.

Each refusal (expired, wrong audience, tampered signature, wrong issuer, missing scope) must name
the check that failed, because that message is what someone fixing a CI job reads.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time

import httpx
import pytest
from fixtures_oidc import CI_SUBJECT, GATEWAY_AUDIENCE, SCOPE
from joserfc.jwk import RSAKey
from oidc_issuer import OidcIssuer
from zsp.cli.creds import CredsError, CredsSettings, IdpClient, TokenRejected, verify_access_token


def settings(issuer: OidcIssuer, client_id: str, **kw: object) -> CredsSettings:
    return CredsSettings(
        gateway_url="http://127.0.0.1:1",
        issuer=issuer.issuer,
        client_id=client_id,
        audience=GATEWAY_AUDIENCE,
        scope=SCOPE,
        **kw,  # type: ignore[arg-type]
    )


def verify(source: OidcIssuer, token: str, **kw: object) -> dict:
    args: dict = {
        "jwks": source.jwks(),
        "issuer": source.issuer,
        "audience": GATEWAY_AUDIENCE,
        "required_scopes": [SCOPE],
    }
    args.update(kw)
    return verify_access_token(token, **args)


def test_discovery_and_jwks_are_served(oidc_issuer: OidcIssuer) -> None:
    doc = httpx.get(f"{oidc_issuer.url}/.well-known/openid-configuration").json()
    assert doc["issuer"] == oidc_issuer.issuer
    assert doc["token_endpoint"] == f"{oidc_issuer.url}/token"
    keys = httpx.get(doc["jwks_uri"]).json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"]
    assert keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]  # public part only


def test_client_credentials_token_is_rs256_and_verified(
    oidc_issuer: OidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZSP_CLIENT_SECRET", oidc_issuer.clients["support-bot"].secret or "")
    with httpx.Client() as http:
        token = IdpClient(
            settings(oidc_issuer, "support-bot", flow="client-credentials"), http
        ).token()
    header = json.loads(base64.urlsafe_b64decode(token.access_token.reveal().split(".")[0] + "=="))
    assert header["alg"] == "RS256"
    assert header["kid"] == oidc_issuer.key.kid
    assert token.claims["iss"] == oidc_issuer.issuer
    assert token.claims["aud"] == GATEWAY_AUDIENCE
    assert token.claims["scope"] == SCOPE
    assert token.claims["client_id"] == "support-bot"
    assert 895 <= token.expires_at - time.time() <= 900
    assert "***" in repr(token.access_token)


def test_wrong_client_secret_is_refused_without_echoing_it(
    oidc_issuer: OidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZSP_CLIENT_SECRET", "CANARY-wrong-secret-0f3a")
    with httpx.Client() as http, pytest.raises(CredsError) as err:
        IdpClient(settings(oidc_issuer, "support-bot", flow="client-credentials"), http).token()
    assert "invalid_client" in str(err.value)
    assert "CANARY" not in str(err.value)


def test_expired_token_is_refused(oidc_issuer: OidcIssuer) -> None:
    oidc_issuer.clock_skew = -3600
    token = oidc_issuer.mint("support-bot", GATEWAY_AUDIENCE, 300, scope=SCOPE)
    with pytest.raises(TokenRejected, match=r"token expired at \d+"):
        verify(oidc_issuer, token)


def test_wrong_audience_is_refused(oidc_issuer: OidcIssuer) -> None:
    token = oidc_issuer.mint("support-bot", "some-other-api", 300, scope=SCOPE)
    with pytest.raises(
        TokenRejected, match=r"token audience \['some-other-api'\] does not include 'zsp-gateway'"
    ):
        verify(oidc_issuer, token)


def test_tampered_signature_is_refused(oidc_issuer: OidcIssuer) -> None:
    token = oidc_issuer.mint("support-bot", GATEWAY_AUDIENCE, 300, scope=SCOPE)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = f"{SCOPE} inference/admin"  # privilege escalation attempt
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenRejected, match="signature does not verify"):
        verify(oidc_issuer, f"{header}.{forged}.{signature}")


def test_token_signed_by_another_key_is_refused(oidc_issuer: OidcIssuer) -> None:
    other = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    token = oidc_issuer.sign(
        {"iss": oidc_issuer.issuer, "aud": GATEWAY_AUDIENCE, "exp": int(time.time()) + 300},
        key=other,
    )
    with pytest.raises(TokenRejected, match="signature"):
        verify(oidc_issuer, token)


def test_wrong_issuer_missing_scope_and_no_exp_are_refused(
    oidc_issuer: OidcIssuer, ci_issuer: OidcIssuer
) -> None:
    foreign = ci_issuer.mint("x", GATEWAY_AUDIENCE, 300, scope=SCOPE)
    with pytest.raises(TokenRejected, match=r"signature|issuer"):
        verify(oidc_issuer, foreign)
    with pytest.raises(TokenRejected, match=r"token issuer 'http://127\.0\.0\.1:\d+' is not"):
        verify(ci_issuer, foreign, issuer=oidc_issuer.issuer)
    narrow = oidc_issuer.mint("support-bot", GATEWAY_AUDIENCE, 300, scope="openid")
    with pytest.raises(TokenRejected, match=r"lacks required scope\(s\) \['inference/predict'\]"):
        verify(oidc_issuer, narrow)
    forever = oidc_issuer.sign({"iss": oidc_issuer.issuer, "aud": GATEWAY_AUDIENCE})
    with pytest.raises(TokenRejected, match="no exp claim"):
        verify(oidc_issuer, forever)


def test_alg_none_is_refused(oidc_issuer: OidcIssuer) -> None:
    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"iss": oidc_issuer.issuer, "aud": GATEWAY_AUDIENCE, "exp": int(time.time()) + 99}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    with pytest.raises(TokenRejected):
        verify(oidc_issuer, unsigned)


def test_federated_github_token_as_client_assertion(
    oidc_issuer: OidcIssuer, ci_issuer: OidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI job with no stored secret: GitHub's OIDC token → IdP token (Entra-style)."""
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{ci_issuer.url}/ci/id-token")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ci_issuer.ci_request_token)
    monkeypatch.delenv("ZSP_CLIENT_SECRET", raising=False)
    with httpx.Client() as http:
        client = IdpClient(settings(oidc_issuer, "support-bot-ci"), http)
        assert client.resolve_flow() == "federated"
        token = client.token()
    assert token.claims["client_id"] == "support-bot-ci"
    assert token.claims["aud"] == GATEWAY_AUDIENCE


def test_federated_token_exchange_from_gitlab_id_token(
    oidc_issuer: OidcIssuer, ci_issuer: OidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab ``id_tokens`` variable → RFC 8693 token exchange (Keycloak-style)."""
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL", raising=False)
    monkeypatch.setenv("ZSP_ID_TOKEN", ci_issuer.mint(CI_SUBJECT, "zsp-idp", 300))
    with httpx.Client() as http:
        token = IdpClient(
            settings(oidc_issuer, "support-bot-ci", flow="federated", exchange="token-exchange"),
            http,
        ).token()
    assert token.subject == CI_SUBJECT


def test_federated_token_for_another_repo_is_refused(
    oidc_issuer: OidcIssuer, ci_issuer: OidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL", raising=False)
    other = ci_issuer.mint("repo:acme/support-bot:environment:dev", "api://AzureADTokenExchange")
    monkeypatch.setenv("ZSP_ID_TOKEN", other)
    with httpx.Client() as http, pytest.raises(CredsError, match="no federated credential"):
        IdpClient(settings(oidc_issuer, "support-bot-ci", flow="federated"), http).token()


def test_github_without_id_token_permission_is_explained(
    oidc_issuer: OidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/x")
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", raising=False)
    with httpx.Client() as http, pytest.raises(CredsError, match="id-token: write"):
        IdpClient(settings(oidc_issuer, "support-bot-ci", flow="federated"), http).token()


def test_device_flow_for_a_person(oidc_issuer: OidcIssuer) -> None:
    import io

    prompt = io.StringIO()

    def approve_when_prompted(_: float) -> None:
        text = prompt.getvalue()
        if "enter the code" in text:
            code = text.rsplit(" ", 1)[-1].strip()
            httpx.get(f"{oidc_issuer.url}/device", params={"user_code": code, "user": "alice"})

    with httpx.Client() as http:
        client = IdpClient(
            settings(oidc_issuer, "zsp-cli", flow="device"),
            http,
            prompt=prompt,
            sleep=approve_when_prompted,
        )
        token = client.token()
    assert token.subject == "alice"
    assert f"open {oidc_issuer.url}/device" in prompt.getvalue()


def test_device_flow_denied(oidc_issuer: OidcIssuer) -> None:
    import io

    def deny(_: float) -> None:
        for grant in oidc_issuer.devices.values():
            grant.denied = True

    with httpx.Client() as http, pytest.raises(CredsError, match="access_denied"):
        IdpClient(
            settings(oidc_issuer, "zsp-cli", flow="device"), http, prompt=io.StringIO(), sleep=deny
        ).token()


def test_issuer_serves_concurrent_requests(oidc_issuer: OidcIssuer) -> None:
    secret = oidc_issuer.clients["support-bot"].secret or ""
    results: list[int] = []

    def fetch() -> None:
        r = httpx.post(
            f"{oidc_issuer.url}/token",
            data={"grant_type": "client_credentials", "scope": SCOPE},
            auth=("support-bot", secret),
        )
        results.append(r.status_code)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    assert os.environ.get("ZSP_CLIENT_SECRET") != secret
