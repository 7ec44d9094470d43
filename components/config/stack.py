"""The root of a stack's configuration: every ``zsp:*`` key of ``stacks/Pulumi.<env>.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Section
from .endpoints import Endpoint
from .gateway import GatewaySettings
from .guardrails import GuardrailSettings
from .hoop import HoopSettings
from .identity import IdentitySettings
from .platform import AwsSettings, ClusterSettings, CredentialPolicy
from .policy import PolicySettings
from .siem import SiemSettings


class StackConfig(Section):
    """Typed, validated view of one stack. Sections are added here as components land."""

    environment: Literal["dev", "staging", "prod"]
    aws_region: str = Field(alias="aws:region", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    aws: AwsSettings
    cluster: ClusterSettings
    credentials: CredentialPolicy = CredentialPolicy()
    endpoints: list[Endpoint] = Field(min_length=1)
    identity: IdentitySettings | None = None
    gateway: GatewaySettings | None = None
    hoop: HoopSettings | None = None
    policy: PolicySettings | None = None
    siem: SiemSettings | None = None
    guardrails: GuardrailSettings = GuardrailSettings()

    @model_validator(mode="after")
    def _unique_endpoints(self) -> StackConfig:
        seen: set[str] = set()
        for endpoint in self.endpoints:
            if endpoint.name in seen:
                raise ValueError(f"endpoint name {endpoint.name!r} is used twice")
            seen.add(endpoint.name)
        if self.policy is not None and self.hoop is None:
            raise ValueError("policy needs the hoop section (where to manage it)")
        return self

    @model_validator(mode="after")
    def _gateway_idp(self) -> StackConfig:
        # Exactly one source for the gateway's IDP_* settings, and one public address for it.
        if self.gateway is None:
            return self
        if self.identity is None and self.gateway.idp is None:
            raise ValueError("the gateway needs an IdP: add zsp:identity or zsp:gateway.idp")
        if self.identity is not None and self.gateway.idp is not None:
            raise ValueError("zsp:gateway.idp and zsp:identity both define the gateway's IdP")
        if self.hoop is None and self.gateway.agent_key is None:
            raise ValueError(
                "the agents need a key: add zsp:hoop (creates it) or zsp:gateway.agentKey"
            )
        if self.hoop is not None and self.gateway.agent_key is not None:
            raise ValueError("zsp:gateway.agentKey and zsp:hoop (which creates the agent) conflict")
        if self.hoop is not None:
            # zsp:hoop creates one agent object, so one key: agents in several namespaces would
            # share it, and hoop drops all but one stream per key.
            spaces = {e.server.namespace for e in self.endpoints if e.server is not None}
            if self.gateway.agent.hosted_namespace:
                spaces.add(self.gateway.agent.hosted_namespace)
            if len(spaces) > 1:
                raise ValueError(
                    "with zsp:hoop, one hoop agent serves the stack: in-cluster endpoints (and "
                    f"gateway.agent.hostedNamespace) must share one namespace, not {sorted(spaces)}"
                )
        expected = f"https://{self.gateway.api_host}"
        if self.hoop is not None and str(self.hoop.api_url).rstrip("/") != expected:
            raise ValueError(f"zsp:hoop.apiUrl must be {expected} (zsp:gateway.apiHost)")
        if self.identity is not None:
            if str(self.identity.gateway_api_url).rstrip("/") != expected:
                raise ValueError(
                    f"zsp:identity.gatewayApiUrl must be {expected} (zsp:gateway.apiHost)"
                )
        return self

    @model_validator(mode="after")
    def _groups_exist(self) -> StackConfig:
        # A policy naming a group the IdP never issues grants nothing and reviews nothing.
        if self.identity is None:
            return self
        known = {g.name for g in self.identity.groups}
        used: set[str] = set()
        if self.policy is not None:
            used |= set(self.policy.access_groups)
            used |= set(self.policy.jit.reviewer_groups if self.policy.jit else [])
            for override in self.policy.endpoints:
                used |= set(override.access_groups or [])
                used |= set(override.jit.reviewer_groups if override.jit else [])
        if self.hoop is not None:
            for account in self.hoop.service_accounts:
                used |= set(account.groups)
        missing = sorted(used - known)
        if missing:
            raise ValueError(
                f"groups {missing} are used by zsp:policy/zsp:hoop "
                "but not defined in zsp:identity.groups"
            )
        return self

    @model_validator(mode="after")
    def _token_lifetimes(self) -> StackConfig:
        # Invariant 2: no machine client may hand out an access token that outlives maxTtl.
        if self.identity is not None:
            for consumer in self.identity.consumers:
                ttl = self.access_token_validity(consumer.name)
                if ttl > self.credentials.max_ttl:
                    raise ValueError(
                        f"identity consumer {consumer.name!r} accessTokenValidity ({ttl}s) "
                        f"exceeds zsp:credentials.maxTtl ({self.credentials.max_ttl}s)"
                    )
                if ttl % 60 or ttl < 300:
                    raise ValueError(
                        f"identity consumer {consumer.name!r} accessTokenValidity ({ttl}s) must "
                        "be whole minutes, at least 5m (Cognito's bounds)"
                    )
        return self

    def access_token_validity(self, consumer: str) -> int:
        """Seconds a consumer's access token lives: its own setting or the stack default."""
        assert self.identity is not None
        for c in self.identity.consumers:
            if c.name == consumer:
                return c.access_token_validity or self.credentials.default_ttl
        raise KeyError(consumer)

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"
