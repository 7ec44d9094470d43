"""``zsp:hoop``: how the stack reaches the hoop gateway's API to manage its objects as code."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, ValidationInfo, model_validator

from .base import Section

Edition = Literal["oss", "enterprise"]
"""hoop's open-source edition caps rule counts (see ``zsp.components.hoop.limits``)."""


class HoopAuth(Section):
    """The provisioner's credential, never a literal: a secure config value or the environment.

    * ``idpClientCredentials`` (preferred): a short-lived IdP access token fetched per run with a
      machine client whose subject hoop maps to an admin group; ``clientSecret`` is secure.
    * ``apiKey``: the gateway's bootstrap API key, a secure value.
    * ``env``: a token already in the environment of ``pulumi up`` (e.g. from ``zsp creds``);
      nothing secret is stored in state at all.
    """

    mode: Literal["idpClientCredentials", "apiKey", "env"]
    token_url: HttpUrl | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    scope: str | None = None
    api_key: SecretStr | None = None
    variable: str = Field(default="ZSP_HOOP_TOKEN", pattern=r"^[A-Z_][A-Z0-9_]*$")

    @model_validator(mode="after")
    def _complete(self, info: ValidationInfo) -> HoopAuth:
        if self.mode == "idpClientCredentials":
            missing = [
                k
                for k, v in (
                    ("tokenUrl", self.token_url),
                    ("clientId", self.client_id),
                    ("clientSecret", self.client_secret),
                )
                if v is None
            ]
            if missing:
                raise ValueError(f"idpClientCredentials needs {', '.join(missing)}")
        if self.mode == "apiKey" and self.api_key is None:
            raise ValueError("apiKey mode needs apiKey (a secure value)")
        secret_keys = (info.context or {}).get("secret_keys")
        literal = secret_keys is not None and "zsp:hoop" not in secret_keys
        if literal and (self.api_key is not None or self.client_secret is not None):
            field = "apiKey" if self.api_key is not None else "clientSecret"
            raise ValueError(
                f"{field} is a plain literal; store it encrypted with "
                f"`pulumi config set --secret --path zsp:hoop.auth.{field}`"
            )
        return self


class ServiceAccountMapping(Section):
    """An IdP machine client (its token ``sub``) and the hoop groups it belongs to."""

    subject: str = Field(min_length=1, max_length=255)
    name: str | None = None
    groups: list[str] = Field(min_length=1)


class HoopSettings(Section):
    """The gateway's API and what zsp manages inside it besides per-endpoint policy."""

    api_url: HttpUrl
    edition: Edition = "oss"
    auth: HoopAuth
    agent_name: str = Field(default="zsp-agent", pattern=r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,62}$")
    proxy_listen_address: str = Field(default="0.0.0.0:18888", pattern=r"^[^:\s]*:\d{1,5}$")
    service_accounts: list[ServiceAccountMapping] = Field(default_factory=list)
    timeout_seconds: int = Field(default=15, ge=1, le=120)
    max_attempts: int = Field(default=4, ge=1, le=10)
