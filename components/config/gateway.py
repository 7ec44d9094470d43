"""The hoop gateway, its agent, its Postgres and its masking services (``zsp:gateway``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, model_validator

from .base import Section
from .endpoints import DNS_LABEL, Resources

HOSTNAME = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
RELEASE = r"^\d+\.\d+\.\d+$"
"""hoop and Presidio publish plain ``X.Y.Z`` release tags; ``latest`` is refused by the pattern."""


class GatewayIdp(Section):
    """The OIDC client registration the gateway signs people in with (``IDP_*`` variables)."""

    issuer: HttpUrl
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    audience: str | None = None
    groups_claim: str = "groups"


class GatewayDatabase(Section):
    """Where hoop keeps its state: an RDS instance zsp creates, an existing URI, or in-cluster."""

    mode: Literal["rds", "existing", "in-cluster"]
    uri: SecretStr | None = Field(default=None, description="postgres:// URI (mode existing).")
    engine_version: str = Field(default="16.4", pattern=r"^1[0-9](\.\d+)?$")
    instance_class: str = "db.t4g.medium"
    allocated_storage: int = Field(default=20, ge=20, le=65536)
    max_allocated_storage: int = Field(default=100, ge=20, le=65536)
    multi_az: bool = False
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    deletion_protection: bool = True
    image: str = Field(default="postgres:16.4-bookworm", description="In-cluster only.")
    storage_size: str = "10Gi"

    @model_validator(mode="after")
    def _shape(self) -> GatewayDatabase:
        if self.mode == "existing" and self.uri is None:
            raise ValueError("mode existing needs uri (a secure value)")
        if self.mode != "existing" and self.uri is not None:
            raise ValueError(f"uri is only read in mode existing (mode is {self.mode})")
        return self


class GatewayMasking(Section):
    """Presidio-based data masking (``DLP_PROVIDER=mspresidio``)."""

    enabled: bool = False
    mode: Literal["best-effort", "strict"] = "best-effort"
    presidio_version: str = Field(default="2.2.363", pattern=RELEASE)
    replicas: int = Field(default=1, ge=1, le=20)

    @model_validator(mode="after")
    def _non_root_images(self) -> GatewayMasking:
        # Presidio images before 2.2.361 keep their virtualenv under /root and only run as root,
        # which the gateway namespace (Pod Security "restricted") refuses.
        if tuple(int(p) for p in self.presidio_version.split(".")) < (2, 2, 361):
            raise ValueError("presidioVersion must be 2.2.361 or later (non-root images)")
        return self


class GatewayAgentSettings(Section):
    """The hoop agents zsp runs next to the models (one per model namespace)."""

    replicas: int = Field(
        default=1,
        ge=1,
        le=1,
        description="One per namespace: replicas sharing one HOOP_KEY make the gateway stream flap "
        "(hoop's agent chart); more need per-replica identities (SPIFFE).",
    )
    hosted_namespace: str | None = Field(
        default=None,
        pattern=DNS_LABEL,
        description="Namespace of the agent that serves hosted endpoints (default: first model "
        "namespace).",
    )
    resources: Resources = Resources(
        cpu_request="100m", cpu_limit="1", memory_request="128Mi", memory_limit="512Mi"
    )


class GatewaySettings(Section):
    """One environment's hoop gateway."""

    namespace: str = Field(default="hoop", pattern=DNS_LABEL)
    version: str = Field(default="1.148.0", pattern=RELEASE)
    replicas: int = Field(default=1, ge=1, le=10)
    api_host: str = Field(pattern=HOSTNAME, max_length=253)
    proxy_host: str = Field(pattern=HOSTNAME, max_length=253)
    grpc_host: str = Field(pattern=HOSTNAME, max_length=253)
    ingress_namespace: str = Field(
        default="ingress-nginx",
        pattern=DNS_LABEL,
        description="Namespace of the ingress controller: the only source the gateway pods accept.",
    )
    sessions_storage: str = "10Gi"
    storage_class: str | None = None
    resources: Resources = Resources(
        cpu_request="500m", cpu_limit="2", memory_request="1Gi", memory_limit="1Gi"
    )
    idp: GatewayIdp | None = Field(
        default=None,
        description="An external IdP client for the gateway; omit when zsp:identity provides it.",
    )
    database: GatewayDatabase
    masking: GatewayMasking = GatewayMasking()
    agent_key: SecretStr | None = Field(
        default=None,
        description="HOOP_KEY of the agents when zsp:hoop does not create the agent object.",
    )
    agent: GatewayAgentSettings = GatewayAgentSettings()

    @model_validator(mode="after")
    def _distinct_hosts(self) -> GatewaySettings:
        hosts = [self.api_host, self.proxy_host, self.grpc_host]
        if len(set(hosts)) != 3:
            raise ValueError("apiHost, proxyHost and grpcHost must be three different names")
        return self
