"""``zsp:guardrails``: how the stack guardrails (``zsp.components.rules``) apply to this stack.

Three knobs, all reviewed like code because they weaken or tighten the guardrails:

- ``enforcement``: per rule id, ``mandatory`` (fails synth and ``pulumi preview``), ``advisory``
  (reported, never fails) or ``disabled``;
- maxima the rules compare against (role session duration, IdP access-token validity);
- ``exceptions``: one resource exempted from one rule, with a reason and an expiry date. Synth
  prints every exception on every run, and an expired one turns back into a violation: an
  exception is a debt with a due date, not a silent switch.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Seconds, Section

EnforcementLevel = Literal["mandatory", "advisory", "disabled"]
RULE_ID_PATTERN = r"^ZSP\d{3}$"


def _known_rule(rule_id: str) -> str:
    # Imported here, not at module level: the rule library imports this config package.
    from zsp.components.rules.registry import RULE_IDS

    if rule_id not in RULE_IDS:
        raise ValueError(f"unknown rule {rule_id!r} (known: {', '.join(sorted(RULE_IDS))})")
    return rule_id


class GuardrailException(Section):
    """One resource exempted from one rule until ``expires`` (inclusive)."""

    rule: str = Field(pattern=RULE_ID_PATTERN)
    resource: str = Field(min_length=1, description="The resource's logical name or its full URN.")
    reason: str = Field(min_length=10, description="Why, and who accepted the risk.")
    expires: datetime.date

    @field_validator("rule")
    @classmethod
    def _rule_exists(cls, value: str) -> str:
        return _known_rule(value)


class GuardrailSettings(Section):
    """Enforcement levels, maxima and exceptions of the stack guardrails."""

    enforcement: dict[str, EnforcementLevel] = Field(default_factory=dict)
    max_role_session_duration: Seconds = Field(
        default=3600,
        ge=900,
        le=43200,
        description="Upper bound for aws:iam/role:Role maxSessionDuration (AWS default 3600).",
    )
    max_access_token_validity: Seconds | None = Field(
        default=None,
        ge=300,
        le=86400,
        description="Upper bound for IdP access-token validity; default: zsp:credentials.maxTtl.",
    )
    exceptions: list[GuardrailException] = Field(default_factory=list)

    @field_validator("enforcement")
    @classmethod
    def _known_rules(cls, value: dict[str, EnforcementLevel]) -> dict[str, EnforcementLevel]:
        for rule_id in value:
            _known_rule(rule_id)
        return value

    @model_validator(mode="after")
    def _unique_exceptions(self) -> GuardrailSettings:
        seen: set[tuple[str, str]] = set()
        for exc in self.exceptions:
            key = (exc.rule, exc.resource)
            if key in seen:
                raise ValueError(f"exception for {exc.rule} on {exc.resource!r} is listed twice")
            seen.add(key)
        return self
