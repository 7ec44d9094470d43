"""``zsp:policy``: what the gateway enforces per inference endpoint, derived from its risk level.

A stack states defaults once (groups, reviewers, entity types) and overrides per endpoint only
where an endpoint differs; ``zsp.components.policy.plan_policy`` turns both into the exact hoop
objects, and the edition check fails synth when the result does not fit hoop's edition.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Seconds, Section
from .endpoints import Risk

DenyCategory = Literal["fine-tuning", "file-upload", "model-mutation", "org-admin", "adapter-load"]
DENY_CATEGORIES: tuple[DenyCategory, ...] = (
    "fine-tuning",
    "file-upload",
    "model-mutation",
    "org-admin",
    "adapter-load",
)

DEFAULT_ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "PERSON"]
ENTITY = r"^[A-Z][A-Z0-9_]*$"


def _check_entities(value: list[str] | None) -> list[str] | None:
    for item in value or []:
        if not re.match(ENTITY, item):
            raise ValueError(f"{item!r} is not a Presidio entity type (e.g. EMAIL_ADDRESS)")
    return value


class JitSettings(Section):
    """Just-in-time review for high-risk endpoints."""

    reviewer_groups: list[str] = Field(min_length=1)
    min_approvals: int = Field(default=2, ge=1, le=10)
    max_access_duration: Seconds = Field(default=1800, le=48 * 3600)


class EndpointPolicy(Section):
    """Per-endpoint overrides; unset fields inherit the stack defaults."""

    endpoint: str
    risk: Risk | None = None
    access_groups: list[str] | None = None
    mask_entities: list[str] | None = None
    deny_categories: list[DenyCategory] | None = None
    extra_deny_patterns: list[str] = Field(default_factory=list)
    jit: JitSettings | None = None

    _entities = field_validator("mask_entities")(_check_entities)


class PolicySettings(Section):
    """Stack-wide defaults for every endpoint's ``InferencePolicy``."""

    access_groups: list[str] = Field(min_length=1)
    mask_entities: list[str] = Field(default_factory=lambda: list(DEFAULT_ENTITIES))
    score_threshold: float = Field(default=0.6, ge=0, le=1)
    deny_categories: list[DenyCategory] = Field(default_factory=lambda: list(DENY_CATEGORIES))
    extra_deny_patterns: list[str] = Field(default_factory=list)
    jit: JitSettings | None = None
    """Required as soon as one endpoint is high risk (stack-wide or per endpoint)."""
    endpoints: list[EndpointPolicy] = Field(default_factory=list)

    _entities = field_validator("mask_entities")(_check_entities)

    @model_validator(mode="after")
    def _unique_overrides(self) -> PolicySettings:
        names = [e.endpoint for e in self.endpoints]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"endpoint {name!r} has two policy overrides")
        return self

    def override_for(self, endpoint: str) -> EndpointPolicy:
        return next(
            (e for e in self.endpoints if e.endpoint == endpoint), EndpointPolicy(endpoint=endpoint)
        )
