"""What each provider's SDK reads from the environment, and the gateway path it expects.

``zsp creds --format env`` (issue 5) sets exactly these variables, so a rewritten consumer keeps
working with only its base URL changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    name: str
    api: str
    """ApiStyle of the stack schema (components/config/endpoints.py)."""
    key_var: str
    base_var: str
    base_suffix: str
    """Path the SDK expects after the host (OpenAI SDKs want ``/v1`` in the base URL)."""
    default_url: str
    rotation: str
    """Where a person rotates the key when no admin API is wired in."""


_PROVIDERS = {
    p.name: p
    for p in (
        Provider(
            "openai",
            "openai",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "/v1",
            "https://api.openai.com",
            "https://platform.openai.com/api-keys → revoke the key",
        ),
        Provider(
            "anthropic",
            "anthropic",
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_BASE_URL",
            "",
            "https://api.anthropic.com",
            "https://console.anthropic.com/settings/keys → disable",
        ),
        Provider(
            "huggingface",
            "huggingface",
            "HF_TOKEN",
            "HF_INFERENCE_ENDPOINT",
            "",
            "https://api-inference.huggingface.co",
            "https://huggingface.co/settings/tokens → invalidate and refresh",
        ),
        Provider(
            "gemini",
            "gemini",
            "GEMINI_API_KEY",
            "GOOGLE_GEMINI_BASE_URL",
            "",
            "https://generativelanguage.googleapis.com",
            "https://aistudio.google.com/app/apikey → delete the key",
        ),
        Provider(
            "mistral",
            "mistral",
            "MISTRAL_API_KEY",
            "MISTRAL_BASE_URL",
            "/v1",
            "https://api.mistral.ai",
            "https://console.mistral.ai/api-keys → delete",
        ),
        Provider(
            "cohere",
            "cohere",
            "CO_API_KEY",
            "CO_API_URL",
            "",
            "https://api.cohere.com",
            "https://dashboard.cohere.com/api-keys → delete",
        ),
        Provider(
            "azure-openai",
            "azure-openai",
            "AZURE_OPENAI_API_KEY",
            "AZURE_OPENAI_ENDPOINT",
            "",
            "https://example.openai.azure.com",
            "Azure portal → the OpenAI resource → Keys and Endpoint → regenerate",
        ),
        Provider(
            "aws",
            "bedrock",
            "AWS_ACCESS_KEY_ID",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
            "",
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            "zsp revoke deactivates IAM access keys (aws iam update-access-key)",
        ),
        Provider(
            "groq",
            "openai",
            "GROQ_API_KEY",
            "GROQ_BASE_URL",
            "",
            "https://api.groq.com",
            "https://console.groq.com/keys → revoke",
        ),
    )
}
_ALIASES = {"google": "gemini", "hf": "huggingface", "azure": "azure-openai", "bedrock": "aws"}


def provider_info(name: str) -> Provider:
    """Known provider, or a generic one whose variables follow the ``<NAME>_API_KEY`` habit."""
    key = _ALIASES.get(name.lower(), name.lower())
    if key in _PROVIDERS:
        return _PROVIDERS[key]
    stem = re.sub(r"[^A-Z0-9]+", "_", key.upper()).strip("_") or "UPSTREAM"
    return Provider(
        key,
        "generic",
        f"{stem}_API_KEY",
        f"{stem}_BASE_URL",
        "",
        "",
        f"rotate the key in the {name} console, then delete the old one",
    )


def infer_provider(provider: str, endpoint: str | None) -> str:
    """A token the scanner could only call ``generic`` is named after the API it sits next to."""
    if provider_info(provider).api != "generic" or not endpoint:
        return provider
    host = re.sub(r"^[a-z]+://", "", endpoint.lower()).split("/", 1)[0].split(":", 1)[0]
    domain = ".".join(host.split(".")[-2:])
    for known in _PROVIDERS.values():
        known_host = known.default_url.split("://", 1)[1]
        if domain == ".".join(known_host.split(".")[-2:]) and (
            known.name != "aws" or "bedrock" in host
        ):
            return known.name
    return provider


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_var_for(variable: str | None, provider: Provider) -> str:
    """The variable a consumer should read: the one it already used when that is an env name."""
    if variable and ENV_NAME.match(variable) and variable.upper() == variable:
        return variable
    return provider.key_var
