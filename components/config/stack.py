"""The root of a stack's configuration: every ``zsp:*`` key of ``stacks/Pulumi.<env>.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Section
from .endpoints import Endpoint
from .guardrails import GuardrailSettings
from .platform import AwsSettings, ClusterSettings, CredentialPolicy


class StackConfig(Section):
    """Typed, validated view of one stack. Sections are added here as components land."""

    environment: Literal["dev", "staging", "prod"]
    aws_region: str = Field(alias="aws:region", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    aws: AwsSettings
    cluster: ClusterSettings
    credentials: CredentialPolicy = CredentialPolicy()
    endpoints: list[Endpoint] = Field(min_length=1)
    guardrails: GuardrailSettings = GuardrailSettings()

    @model_validator(mode="after")
    def _unique_endpoints(self) -> StackConfig:
        seen: set[str] = set()
        for endpoint in self.endpoints:
            if endpoint.name in seen:
                raise ValueError(f"endpoint name {endpoint.name!r} is used twice")
            seen.add(endpoint.name)
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"
