"""Exchange an IdP token for a hoop proxy credential, and revoke it.

hoop API (``openapiv3.json``): ``POST /api/connections/{name}/credentials`` with
``{"access_duration_seconds": N}`` → ``ConnectionCredentialsResponse`` whose
``connection_credentials`` (for ``httpproxy`` connections) holds ``hostname``, ``port`` and
``proxy_token``; ``POST .../credentials/{id}/revoke`` invalidates it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from .errors import CredsError
from .secret import SecretStr


@dataclass(frozen=True)
class ProxyCredential:
    """A gateway credential for one connection; ``token`` goes in ``Authorization: Bearer``."""

    connection: str
    credential_id: str
    token: SecretStr
    base_url: str
    expires_at: datetime
    issued_at: datetime

    @property
    def lifetime(self) -> float:
        return (self.expires_at - self.issued_at).total_seconds()

    def remaining(self, now: datetime | None = None) -> float:
        return (self.expires_at - (now or datetime.now(UTC))).total_seconds()


def parse_time(value: str) -> datetime:
    """RFC 3339 (hoop writes ``2025-08-25T13:00:00Z`` or with fractional seconds)."""
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    message = body.get("message") if isinstance(body, dict) else None
    return (
        f"HTTP {response.status_code}: {str(message)[:200]}"
        if message
        else f"HTTP {response.status_code}"
    )


def _base_url(info: dict[str, Any], override: str | None) -> str:
    if override:
        return override.rstrip("/")
    command = info.get("command")
    if isinstance(command, str):
        try:
            curl = json.loads(command).get("curl", "")
            url = str(curl).split()[-1]
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"} and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
        except (ValueError, AttributeError, IndexError):
            pass
    host, port = info.get("hostname"), info.get("port")
    if not host:
        raise CredsError("the gateway's credential has no hostname; set --proxy-url")
    scheme = "http" if host in {"127.0.0.1", "localhost"} else "https"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


class GatewayClient:
    """The two hoop API calls ``zsp creds`` makes, authenticated with the IdP token."""

    def __init__(self, api_url: str, http: httpx.Client, proxy_url: str | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = http
        self.proxy_url = proxy_url

    def _url(self, connection: str, *rest: str) -> str:
        parts = [quote(connection, safe=""), "credentials", *(quote(r, safe="") for r in rest)]
        return f"{self.api_url}/api/connections/" + "/".join(parts)

    def issue(self, connection: str, duration: int, idp_token: SecretStr) -> ProxyCredential:
        headers = {"Authorization": f"Bearer {idp_token.reveal()}"}
        try:
            response = self.http.post(
                self._url(connection), json={"access_duration_seconds": duration}, headers=headers
            )
        except httpx.HTTPError as err:
            raise CredsError(
                f"cannot reach the gateway at {self.api_url}: {type(err).__name__}"
            ) from None
        # 201 issued; 202 accepted for review (just-in-time access), no token yet.
        if response.status_code not in (201, 202):
            raise CredsError(
                f"gateway refused a credential for {connection!r}: {_message(response)}"
            )
        body = response.json()
        if body.get("has_review"):
            raise CredsError(
                f"access to {connection!r} needs review approval (review {body.get('review_id')}); "
                "run again once it is approved"
            )
        info = body.get("connection_credentials")
        if not isinstance(info, dict) or not info.get("proxy_token"):
            raise CredsError(f"the gateway returned no proxy token for {connection!r}")
        credential_id = str(body.get("id") or "")
        expire_at = body.get("expire_at")
        if not expire_at:
            # Invariant 2: a credential without expiry is never handed to a caller.
            if credential_id:
                self.revoke(connection, credential_id, idp_token)
            raise CredsError(f"the gateway issued a credential for {connection!r} with no expiry")
        issued = parse_time(str(body["created_at"])) if body.get("created_at") else None
        expires = parse_time(str(expire_at))
        return ProxyCredential(
            connection=connection,
            credential_id=credential_id,
            token=SecretStr(str(info["proxy_token"])),
            base_url=_base_url(info, self.proxy_url),
            expires_at=expires,
            issued_at=issued or datetime.now(UTC),
        )

    def active_id(self, connection: str, idp_token: SecretStr) -> str | None:
        """The id of the caller's live credential on ``connection`` (None when there is none)."""
        response = self.http.get(
            self._url(connection), headers={"Authorization": f"Bearer {idp_token.reveal()}"}
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise CredsError(
                f"gateway: cannot look up the credential for {connection!r}: {_message(response)}"
            )
        value = response.json().get("id")
        return str(value) if value else None

    def revoke(self, connection: str, credential_id: str, idp_token: SecretStr) -> None:
        response = self.http.post(
            self._url(connection, credential_id, "revoke"),
            headers={"Authorization": f"Bearer {idp_token.reveal()}"},
        )
        if response.status_code not in (204, 404):
            raise CredsError(
                f"gateway refused to revoke the credential for {connection!r}: {_message(response)}"
            )
