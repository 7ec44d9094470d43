"""Obtain a short-lived IdP access token: client credentials, a federated CI/pod token, or the
device flow for a person.

Federation is what removes stored secrets from CI: the job's own OIDC token (GitHub's
``ACTIONS_ID_TOKEN_REQUEST_URL``, a GitLab ``id_tokens`` variable, a projected Kubernetes
service-account token) is presented to the IdP either as a ``client_assertion`` (Entra ID workload
identity federation, RFC 7523) or as the ``subject_token`` of an RFC 8693 token exchange (Keycloak).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from .errors import CredsError
from .jwt import verify_access_token
from .secret import SecretStr
from .settings import CredsSettings

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a URN, not a secret
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105 - a URN, not a secret
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a URN, not a secret


@dataclass(frozen=True)
class IdpToken:
    """A verified IdP access token and when it stops being usable."""

    access_token: SecretStr
    expires_at: float
    subject: str
    claims: dict[str, Any]


def _error_text(response: httpx.Response) -> str:
    """The OAuth error code/description only (RFC 6749 §5.2); never echoes request data."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        code = str(body.get("error", ""))[:80]
        desc = str(body.get("error_description", ""))[:200]
        return f"HTTP {response.status_code} {code}: {desc}".rstrip(": ")
    return f"HTTP {response.status_code}"


class IdpClient:
    """OAuth 2.0 / OIDC against one issuer, found via ``/.well-known/openid-configuration``."""

    def __init__(
        self,
        settings: CredsSettings,
        http: httpx.Client,
        *,
        prompt: TextIO | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.http = http
        self.prompt = prompt or sys.stderr
        self.sleep = sleep
        self._discovery: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    # -- discovery ---------------------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = self.http.get(url)
            except httpx.HTTPError as err:
                raise CredsError(f"cannot reach the IdP at {url}: {type(err).__name__}") from None
            if response.status_code != 200:
                raise CredsError(f"IdP discovery {url} answered HTTP {response.status_code}")
            doc = response.json()
            if doc.get("issuer") != self.settings.issuer:
                raise CredsError(
                    f"IdP discovery names issuer {doc.get('issuer')!r}, "
                    f"expected {self.settings.issuer!r}"
                )
            self._discovery = doc
        return self._discovery

    def jwks(self, refresh: bool = False) -> dict[str, Any]:
        if self._jwks is None or refresh:
            uri = self.discovery().get("jwks_uri")
            if not uri:
                raise CredsError("IdP discovery has no jwks_uri")
            response = self.http.get(uri)
            if response.status_code != 200:
                raise CredsError(f"IdP JWKS {uri} answered HTTP {response.status_code}")
            self._jwks = response.json()
        return self._jwks

    # -- token acquisition -------------------------------------------------------------------
    def resolve_flow(self) -> str:
        """``auto``: a platform token if the job has one, else a client secret, else a person."""
        s = self.settings
        if s.flow != "auto":
            return s.flow
        if os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL") or os.environ.get(s.id_token_env):
            return "federated"
        if s.id_token_file or os.environ.get("ZSP_ID_TOKEN_FILE"):
            return "federated"
        if os.environ.get(s.client_secret_env) or s.client_secret_arn:
            return "client-credentials"
        return "device"

    def token(self) -> IdpToken:
        flow = self.resolve_flow()
        if flow == "client-credentials":
            payload = self._client_credentials()
        elif flow == "federated":
            payload = self._federated()
        elif flow == "device":
            payload = self._device()
        else:
            raise CredsError(f"unknown flow {flow!r}")
        return self._verified(payload)

    def _verified(self, payload: dict[str, Any]) -> IdpToken:
        raw = payload.get("access_token")
        if not isinstance(raw, str) or not raw:
            raise CredsError("the IdP token response has no access_token")
        s = self.settings
        kwargs: dict[str, Any] = {
            "issuer": s.issuer,
            "audience": s.audience,
            # Entra's "api://<app>/.default" selects a resource; the grant shows up as roles.
            "required_scopes": [x for x in s.scopes if not x.endswith("/.default")],
        }
        try:
            claims = verify_access_token(raw, jwks=self.jwks(), **kwargs)
        except CredsError as first:
            if "signature" not in str(first):
                raise
            # The IdP may have rotated its key since we fetched the JWKS: refetch once.
            claims = verify_access_token(raw, jwks=self.jwks(refresh=True), **kwargs)
        return IdpToken(
            access_token=SecretStr(raw),
            expires_at=float(claims["exp"]),
            subject=str(claims.get("sub", "")),
            claims=claims,
        )

    def _post_token(
        self, form: dict[str, str], auth: tuple[str | bytes, str | bytes] | None = None
    ) -> Any:
        endpoint = self.discovery().get("token_endpoint")
        if not endpoint:
            raise CredsError("IdP discovery has no token_endpoint")
        try:
            if auth is None:
                return self.http.post(endpoint, data=form)
            return self.http.post(endpoint, data=form, auth=auth)
        except httpx.HTTPError as err:
            raise CredsError(f"cannot reach the IdP token endpoint: {type(err).__name__}") from None

    def _token_response(self, response: httpx.Response, what: str) -> dict[str, Any]:
        if response.status_code != 200:
            raise CredsError(f"IdP refused the {what} request: {_error_text(response)}")
        body = response.json()
        if not isinstance(body, dict):
            raise CredsError(f"IdP answered the {what} request with a non-object")
        return body

    def _client_secret(self) -> tuple[str, SecretStr]:
        """The machine client's id and secret: from the environment, or from Secrets Manager
        with the workload role's own credentials (IRSA, GitHub/GitLab OIDC → STS)."""
        s = self.settings
        value = os.environ.get(s.client_secret_env)
        if value:
            return s.client_id, SecretStr(value)
        if not s.client_secret_arn:
            raise CredsError(
                f"client-credentials flow needs ${s.client_secret_env} or --client-secret-arn"
            )
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            secret = boto3.client("secretsmanager").get_secret_value(SecretId=s.client_secret_arn)
        except (BotoCoreError, ClientError) as err:
            code = getattr(err, "response", {}).get("Error", {}).get("Code", type(err).__name__)
            raise CredsError(
                f"cannot read the machine-client secret {s.client_secret_arn}: {code}"
            ) from None
        try:
            data = json.loads(secret["SecretString"])
            return str(data.get("client_id") or s.client_id), SecretStr(str(data["client_secret"]))
        except (KeyError, ValueError, TypeError):
            raise CredsError(
                f"secret {s.client_secret_arn} is not a zsp machine-client secret "
                "(JSON with client_id and client_secret)"
            ) from None

    def _client_credentials(self) -> dict[str, Any]:
        client_id, secret = self._client_secret()
        form = {"grant_type": "client_credentials"}
        if self.settings.scope:
            form["scope"] = self.settings.scope
        response = self._post_token(form, auth=(client_id, secret.reveal()))
        return self._token_response(response, "client_credentials")

    def platform_token(self) -> SecretStr:
        """The CI job's or pod's own OIDC token."""
        s = self.settings
        url = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")
        if url:
            bearer = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
            if not bearer:
                raise CredsError(
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set: the workflow needs "
                    "`permissions: id-token: write`"
                )
            try:
                response = self.http.get(
                    url,
                    params={"audience": s.federated_audience},
                    headers={"Authorization": f"Bearer {bearer}"},
                )
            except httpx.HTTPError as err:
                raise CredsError(
                    f"cannot reach GitHub's OIDC endpoint: {type(err).__name__}"
                ) from None
            if response.status_code != 200:
                raise CredsError(f"GitHub's OIDC endpoint answered HTTP {response.status_code}")
            value = response.json().get("value")
            if not value:
                raise CredsError("GitHub's OIDC endpoint returned no token")
            return SecretStr(str(value))
        env_value = os.environ.get(s.id_token_env)
        if env_value:
            return SecretStr(env_value.strip())
        path = s.id_token_file or os.environ.get("ZSP_ID_TOKEN_FILE")
        if path:
            try:
                return SecretStr(Path(path).read_text(encoding="utf-8").strip())
            except OSError as err:
                raise CredsError(
                    f"cannot read the platform token file {path}: {err.strerror}"
                ) from None
        raise CredsError(
            "federated flow needs a platform OIDC token: GitHub's ACTIONS_ID_TOKEN_REQUEST_URL, "
            f"${s.id_token_env} (GitLab id_tokens) or ZSP_ID_TOKEN_FILE"
        )

    def _federated(self) -> dict[str, Any]:
        s = self.settings
        platform = self.platform_token()
        if s.exchange == "client-assertion":
            form = {
                "grant_type": "client_credentials",
                "client_id": s.client_id,
                "client_assertion_type": JWT_BEARER,
                "client_assertion": platform.reveal(),
            }
            what = "federated client-assertion"
        else:
            form = {
                "grant_type": TOKEN_EXCHANGE,
                "client_id": s.client_id,
                "subject_token": platform.reveal(),
                "subject_token_type": JWT_TOKEN_TYPE,
                "requested_token_type": ACCESS_TOKEN_TYPE,
                "audience": s.audience,
            }
            what = "token-exchange"
        if s.scope:
            form["scope"] = s.scope
        return self._token_response(self._post_token(form), what)

    def _device(self) -> dict[str, Any]:
        s = self.settings
        endpoint = self.discovery().get("device_authorization_endpoint")
        if not endpoint:
            raise CredsError(
                "the IdP does not offer the device flow (no device_authorization_endpoint)"
            )
        form = {"client_id": s.client_id}
        if s.scope:
            form["scope"] = s.scope
        response = self.http.post(endpoint, data=form)
        start = self._token_response(response, "device authorization")
        uri = start.get("verification_uri_complete") or start.get("verification_uri")
        print(
            f"To sign in, open {uri} and enter the code {start.get('user_code')}",
            file=self.prompt,
            flush=True,
        )
        interval = float(start.get("interval", 5))
        deadline = time.monotonic() + float(start.get("expires_in", 600))
        while time.monotonic() < deadline:
            poll = self._post_token(
                {
                    "grant_type": DEVICE_CODE,
                    "device_code": str(start["device_code"]),
                    "client_id": s.client_id,
                }
            )
            if poll.status_code == 200:
                return self._token_response(poll, "device code")
            error = ""
            try:
                error = str(poll.json().get("error", ""))
            except ValueError:
                pass
            if error == "authorization_pending":
                self.sleep(interval)
                continue
            if error == "slow_down":
                interval += 5
                self.sleep(interval)
                continue
            raise CredsError(f"device sign-in failed: {_error_text(poll)}")
        raise CredsError("device sign-in timed out before it was approved")
