"""How an upstream inference key is stored and referenced — one contract for three parties.

``zsp migrate`` writes the secret, the hoop connection (``InferencePolicy``) references a field of
it, and the hoop agent resolves ``_aws:<secret>:<field>`` at session time and injects the value
*verbatim* as a header. So the stored document carries the token both bare (``X-Api-Key`` style
headers) and in its ``Bearer`` form (``Authorization``). Pure data: importable without Pulumi.
"""

from __future__ import annotations

UPSTREAM_HEADER: dict[str, str | None] = {
    "openai": "HEADER_AUTHORIZATION",
    "mistral": "HEADER_AUTHORIZATION",
    "huggingface": "HEADER_AUTHORIZATION",
    "generic": "HEADER_AUTHORIZATION",
    "cohere": "HEADER_AUTHORIZATION",
    "anthropic": "HEADER_X_API_KEY",
    "azure-openai": "HEADER_API_KEY",
    "gemini": "HEADER_X_GOOG_API_KEY",
    "bedrock": None,  # SigV4-signed by the agent's role, not a static header
}
"""Which header the agent injects the upstream key into, per API dialect (hoop strips HEADER_)."""

API_KEY_FIELD = "api_key"
AUTHORIZATION_FIELD = "authorization"


def secret_document(token: str) -> dict[str, str]:
    """The JSON stored in Secrets Manager for one upstream token."""
    return {API_KEY_FIELD: token, AUTHORIZATION_FIELD: f"Bearer {token}"}


def upstream_reference(secret_name: str, header: str) -> str:
    """The ``_aws:<secret>:<field>`` reference the agent resolves for one upstream header."""
    field = AUTHORIZATION_FIELD if header == "HEADER_AUTHORIZATION" else API_KEY_FIELD
    return f"_aws:{secret_name}:{field}"


def reference_for_api(secret_name: str, api: str) -> str | None:
    """The reference a connection for an endpoint of API dialect ``api`` uses (None: no header)."""
    header = UPSTREAM_HEADER.get(api, "HEADER_AUTHORIZATION")
    return upstream_reference(secret_name, header) if header else None
