"""Engine of ``zsp creds``: IdP token → gateway proxy credential, cached, refreshed, revocable.

Importable by services: ``ZspAuth`` is an ``httpx.Auth`` that always carries a live credential.
"""

from __future__ import annotations

import os

from .auth import ZspAuth
from .cache import FileCache, MemoryCache, refresh_margin
from .errors import CredsError, TokenRejected
from .gateway import GatewayClient, ProxyCredential
from .idp import IdpClient, IdpToken
from .jwt import verify_access_token
from .provider import CredentialProvider
from .render import SDK_ENV, env_vars, expiration, render
from .secret import SecretStr
from .settings import CredsSettings, check_duration, max_duration

__all__ = [
    "SDK_ENV",
    "CredentialProvider",
    "CredsError",
    "CredsSettings",
    "FileCache",
    "GatewayClient",
    "IdpClient",
    "IdpToken",
    "MemoryCache",
    "ProxyCredential",
    "SecretStr",
    "TokenRejected",
    "ZspAuth",
    "check_duration",
    "env_vars",
    "expiration",
    "max_duration",
    "refresh_margin",
    "render",
    "settings_from_env",
    "verify_access_token",
]


def settings_from_env(**overrides: str) -> CredsSettings:
    """``CredsSettings`` from ``ZSP_GATEWAY_URL``, ``ZSP_IDP_ISSUER``, ``ZSP_CLIENT_ID``,
    ``ZSP_IDP_AUDIENCE``, ``ZSP_IDP_SCOPE`` (+ optional ``ZSP_FLOW``, ``ZSP_EXCHANGE``,
    ``ZSP_CLIENT_SECRET_ARN``, ``ZSP_API``, ``ZSP_PROXY_URL``), as the templates set them."""
    env = {
        "gateway_url": os.environ.get("ZSP_GATEWAY_URL"),
        "issuer": os.environ.get("ZSP_IDP_ISSUER"),
        "client_id": os.environ.get("ZSP_CLIENT_ID"),
        "audience": os.environ.get("ZSP_IDP_AUDIENCE"),
        "scope": os.environ.get("ZSP_IDP_SCOPE", ""),
        "flow": os.environ.get("ZSP_FLOW", "auto"),
        "exchange": os.environ.get("ZSP_EXCHANGE", "client-assertion"),
        "client_secret_arn": os.environ.get("ZSP_CLIENT_SECRET_ARN"),
        "api": os.environ.get("ZSP_API", "openai"),
        "proxy_url": os.environ.get("ZSP_PROXY_URL"),
        **overrides,
    }
    missing = [
        f"ZSP_{k.upper()}" if k != "issuer" else "ZSP_IDP_ISSUER"
        for k in ("gateway_url", "issuer", "client_id")
        if not env[k]
    ]
    if not env["audience"]:
        missing.append("ZSP_IDP_AUDIENCE")
    if missing:
        raise CredsError(f"missing settings: {', '.join(missing)}")
    return CredsSettings(**{k: v for k, v in env.items() if v is not None})  # type: ignore[arg-type]
