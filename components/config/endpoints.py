"""Inference endpoints: the models that callers reach today with static keys.

An endpoint is either *in-cluster* (an OpenAI-compatible server such as vLLM running as pods the
stack can select and isolate) or *hosted* (a provider API such as OpenAI or Anthropic, reached by
the agent with an upstream key that lives in Secrets Manager).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl, field_validator, model_validator

from .base import Section

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"

ApiStyle = Literal[
    "openai",
    "anthropic",
    "azure-openai",
    "bedrock",
    "gemini",
    "huggingface",
    "cohere",
    "mistral",
    "generic",
]
"""The dialect the endpoint speaks; it decides SDK variables and guardrail paths."""

Risk = Literal["low", "medium", "high"]


class Resources(Section):
    """Kubernetes requests and limits, written as Kubernetes quantities."""

    cpu_request: str = "500m"
    cpu_limit: str = "2"
    memory_request: str = "1Gi"
    memory_limit: str = "4Gi"
    gpus: int = Field(default=0, ge=0, le=16)


class ModelServer(Section):
    """Where an in-cluster model runs, and (when ``deploy``) how zsp deploys it."""

    namespace: str = Field(pattern=DNS_LABEL)
    port: int = Field(default=8000, ge=1, le=65535)
    pod_labels: dict[str, str] = Field(min_length=1)
    deploy: bool = True
    image: str | None = None
    model: str | None = None
    args: list[str] = Field(
        default_factory=list,
        description="Container args; {model} and {port} are substituted.",
    )
    replicas: int = Field(default=1, ge=1, le=50)
    resources: Resources = Resources()

    @model_validator(mode="after")
    def _deployable(self) -> ModelServer:
        if self.deploy:
            if not self.image or not self.model:
                raise ValueError("image and model are required when deploy is true")
            tag = self.image.rsplit("/", 1)[-1]
            if "@sha256:" not in self.image and (":" not in tag or tag.endswith(":latest")):
                raise ValueError(
                    f"image {self.image!r} must be pinned by tag or digest, not latest"
                )
        return self


class Endpoint(Section):
    """One inference endpoint the gateway fronts."""

    name: str = Field(pattern=DNS_LABEL)
    kind: Literal["in-cluster", "hosted"]
    api: ApiStyle
    url: HttpUrl | None = None
    risk: Risk = "medium"
    pii: bool = False
    consumers: list[str] = Field(default_factory=list)
    server: ModelServer | None = None
    upstream_secret: str | None = Field(
        default=None,
        description="Secrets Manager secret name holding the upstream key (hosted endpoints).",
        pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$",
    )

    @field_validator("consumers")
    @classmethod
    def _unique_consumers(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("consumers must be unique")
        return value

    @model_validator(mode="after")
    def _shape(self) -> Endpoint:
        if self.kind == "in-cluster" and self.server is None:
            raise ValueError("an in-cluster endpoint needs a server section")
        if self.kind == "hosted":
            if self.url is None:
                raise ValueError("a hosted endpoint needs its provider url")
            if self.server is not None:
                raise ValueError("a hosted endpoint has no server section")
            if self.upstream_secret is None:
                raise ValueError("a hosted endpoint needs upstreamSecret (where its key is stored)")
        return self

    @property
    def upstream_url(self) -> str:
        """The URL the agent forwards to: the provider's, or the in-cluster Service's."""
        if self.url is not None:
            return str(self.url).rstrip("/")
        assert self.server is not None
        return f"http://{self.name}.{self.server.namespace}.svc.cluster.local:{self.server.port}"
