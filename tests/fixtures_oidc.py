"""Fixtures: a real OIDC issuer (``oidc_issuer``), a CI platform issuer (``ci_issuer``) and a
gateway wired to trust the IdP (``creds_gateway``: the hoop double + an httpproxy connection).

Registered clients on ``oidc_issuer`` (audience ``zsp-gateway``, scopes ``inference/predict``):

* ``support-bot`` — machine client, secret ``oidc_issuer.clients["support-bot"].secret``;
* ``support-bot-ci`` — no secret, federated: trusts ``ci_issuer`` tokens with
  ``sub = repo:acme/support-bot:environment:prod`` and ``aud = api://AzureADTokenExchange``
  (client assertion) or ``aud = zsp-idp`` (token exchange);
* ``zsp-cli`` — public client for the device flow (groups ``ai-users``).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hoop_double import ApiError, HoopDouble, route
from oidc_issuer import Client, OidcIssuer

GATEWAY_AUDIENCE = "zsp-gateway"
SCOPE = "inference/predict"
CI_SUBJECT = "repo:acme/support-bot:environment:prod"


@pytest.fixture()
def ci_issuer() -> Iterator[OidcIssuer]:
    issuer = OidcIssuer("ci").start()
    issuer.ci_subject = CI_SUBJECT
    try:
        yield issuer
    finally:
        issuer.stop()


@pytest.fixture()
def oidc_issuer(ci_issuer: OidcIssuer) -> Iterator[OidcIssuer]:
    issuer = OidcIssuer("idp").start()
    issuer.register(
        Client(
            "support-bot",
            "cs-" + secrets.token_urlsafe(24),
            [SCOPE, "inference/admin"],
            GATEWAY_AUDIENCE,
            groups=["ai-users"],
        )
    )
    issuer.register(
        Client(
            "support-bot-ci",
            None,
            [SCOPE],
            GATEWAY_AUDIENCE,
            groups=["ai-users"],
            federated=[
                (ci_issuer.issuer, CI_SUBJECT, "api://AzureADTokenExchange"),
                (ci_issuer.issuer, CI_SUBJECT, "zsp-idp"),
            ],
        )
    )
    issuer.register(Client("zsp-cli", None, [SCOPE], GATEWAY_AUDIENCE, groups=["ai-users"]))
    try:
        yield issuer
    finally:
        issuer.stop()


# -- hoop double routes zsp creds needs beyond issuing (additive; first registration wins) ------


def _live(owner: HoopDouble, conn: str, subject: str) -> tuple[str, dict[str, Any]] | None:
    now = datetime.now(UTC)
    for token, cred in owner.state.credentials.items():
        expire = datetime.fromisoformat(cred["expire_at"].replace("Z", "+00:00"))
        if cred["connection"] == conn and cred["subject"] == subject and expire > now:
            if not cred.get("revoked"):
                return token, cred
    return None


@route("GET", "/connections/{nameOrID}/credentials")
def _creds_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    found = _live(owner, params["nameOrID"], identity.subject)
    if found is None:
        raise ApiError(404, "no active credentials")
    _, cred = found
    return 200, {
        "id": cred["id"],
        "connection_name": cred["connection"],
        "expire_at": cred["expire_at"],
        "has_review": False,
    }


@route("POST", "/connections/{nameOrID}/credentials/{credentialID}/revoke")
def _creds_revoke(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    for cred in owner.state.credentials.values():
        if cred["id"] == params["credentialID"] and cred["connection"] == params["nameOrID"]:
            if cred["subject"] != identity.subject:
                raise ApiError(403, "not your credential")
            cred["revoked"] = True
            return 204, None
    raise ApiError(404, "credential not found")


@dataclass
class CredsGateway:
    """The hoop double trusting ``oidc_issuer`` tokens, with connection ``openai`` (httpproxy)."""

    hoop: HoopDouble
    idp: OidcIssuer

    @property
    def api_url(self) -> str:
        return self.hoop.url.removesuffix("/api")

    def credential(self, token: str) -> dict[str, Any]:
        return self.hoop.state.credentials[token]

    def is_valid(self, token: str) -> bool:
        """What the proxy on :18888 decides: known, not revoked, not expired."""
        cred = self.hoop.state.credentials.get(token)
        if cred is None or cred.get("revoked"):
            return False
        expire = datetime.fromisoformat(cred["expire_at"].replace("Z", "+00:00"))
        return expire > datetime.now(UTC)


@pytest.fixture()
def creds_gateway(hoop_api: HoopDouble, oidc_issuer: OidcIssuer) -> CredsGateway:
    from zsp.cli.creds import verify_access_token

    def verifier(token: str) -> dict[str, Any]:
        # The gateway verifies IdP tokens the same way (signature, iss, aud, exp, scope).
        return verify_access_token(
            token,
            jwks=oidc_issuer.jwks(),
            issuer=oidc_issuer.issuer,
            audience=GATEWAY_AUDIENCE,
            required_scopes=[SCOPE],
        )

    hoop_api.jwt_verifier = verifier
    import httpx

    with httpx.Client(
        base_url=hoop_api.url, headers={"Authorization": f"Bearer {hoop_api.api_key}"}
    ) as admin:
        response = admin.post(
            "/connections",
            json={
                "name": "openai",
                "type": "application",
                "subtype": "httpproxy",
                "agent_id": _agent_id(admin),
                "access_mode_connect": "enabled",
                "access_mode_exec": "disabled",
                "access_mode_runbooks": "disabled",
                "access_schema": "disabled",
                "secret": {
                    "envvar:REMOTE_URL": base64.b64encode(b"https://api.openai.com").decode(),
                    # A reference resolved by the agent, never a key (DESIGN: migrated secrets).
                    "envvar:HEADER_AUTHORIZATION": base64.b64encode(
                        b"_aws:zsp/dev/upstream/openai:key"
                    ).decode(),
                },
            },
        )
        assert response.status_code == 201, response.text
    return CredsGateway(hoop_api, oidc_issuer)


def _agent_id(admin: Any) -> str:
    response = admin.post("/agents", json={"name": "agent-models", "mode": "standard"})
    assert response.status_code == 201, response.text
    listed = admin.get("/agents").json()
    return str(next(a["id"] for a in listed if a["name"] == "agent-models"))
