"""Where the stack runs: AWS account/region and the Kubernetes cluster."""

from __future__ import annotations

from pydantic import Field, HttpUrl, model_validator

from .base import Seconds, Section


class AwsSettings(Section):
    """The AWS account the stack deploys to; used for ARNs in policies and as a guard rail."""

    account_id: str = Field(pattern=r"^\d{12}$")
    default_tags: dict[str, str] = Field(default_factory=dict)


class ClusterSettings(Section):
    """The EKS (or conformant) cluster that runs the gateway, the agent and in-cluster models."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
    kube_context: str | None = None
    oidc_issuer_url: HttpUrl = Field(description="The cluster's OIDC issuer (IRSA).")
    kubernetes_version: str = Field(default="1.31", pattern=r"^1\.\d{2}$")
    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$")
    private_subnet_ids: list[str] = Field(min_length=1)
    node_security_group_id: str = Field(pattern=r"^sg-[0-9a-f]{8,17}$")
    ingress_class: str = "nginx"
    cert_manager_issuer: str | None = None


class CredentialPolicy(Section):
    """How long any credential a caller holds may live (invariant 2)."""

    default_ttl: Seconds = Field(default=900, ge=60, le=86400)
    max_ttl: Seconds = Field(default=3600, ge=60, le=86400)

    @model_validator(mode="after")
    def _ordered(self) -> CredentialPolicy:
        if self.default_ttl > self.max_ttl:
            raise ValueError(f"defaultTtl ({self.default_ttl}s) exceeds maxTtl ({self.max_ttl}s)")
        return self
