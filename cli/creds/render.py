"""Print a proxy credential the way the caller's SDK wants it: env vars, JSON, or a header."""

from __future__ import annotations

import json
import shlex
from datetime import UTC

from .errors import CredsError
from .gateway import ProxyCredential

SDK_ENV: dict[str, tuple[str, str, str]] = {
    # api style → (base-URL variable, key variable, path the SDK expects after the base URL)
    "openai": ("OPENAI_BASE_URL", "OPENAI_API_KEY", "/v1"),
    "anthropic": ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", ""),
    "azure-openai": ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", ""),
    "mistral": ("MISTRAL_BASE_URL", "MISTRAL_API_KEY", ""),
    "cohere": ("CO_API_URL", "CO_API_KEY", ""),
    "huggingface": ("HF_ENDPOINT", "HF_TOKEN", ""),
    "gemini": ("GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY", ""),
    "generic": ("ZSP_BASE_URL", "ZSP_API_KEY", ""),
}


def expiration(credential: ProxyCredential) -> str:
    """ISO 8601 in UTC with a ``Z`` (the shape AWS ``credential_process`` uses)."""
    return credential.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def env_vars(credential: ProxyCredential, api: str) -> dict[str, str]:
    if api not in SDK_ENV:
        raise CredsError(f"--api {api!r} is not one of {sorted(SDK_ENV)}")
    base_var, key_var, suffix = SDK_ENV[api]
    return {
        base_var: credential.base_url + suffix,
        key_var: credential.token.reveal(),
        "ZSP_CREDENTIAL_EXPIRATION": expiration(credential),
    }


def render(credential: ProxyCredential, fmt: str, api: str) -> str:
    if fmt == "env":
        return "\n".join(
            f"export {k}={shlex.quote(v)}" for k, v in env_vars(credential, api).items()
        )
    if fmt == "json":
        return json.dumps(
            {
                "Version": 1,
                "Connection": credential.connection,
                "CredentialId": credential.credential_id,
                "BaseUrl": credential.base_url,
                "Token": credential.token.reveal(),
                "Expiration": expiration(credential),
                "Env": env_vars(credential, api),
            },
            indent=2,
        )
    if fmt == "header":
        return f"Authorization: Bearer {credential.token.reveal()}"
    raise CredsError(f"--format {fmt!r} is not env, json or header")
