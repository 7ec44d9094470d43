"""hoop's edition limits on rule counts, as enforced by the gateway (hoop at commit e939597).

Why model them: against the open-source edition, hoop answers ``403`` to the second guardrail,
the second data-masking rule or the second access-request rule, half-way through a
``pulumi up``. zsp checks the whole stack before anything is created and fails synth with the
rule, the count and the endpoints involved.

Sources (open-source edition, ``license.OSSType``):

* ``gateway/api/guardrails/guardrails.go``: 1 guardrail rule per org; at most 1 input rule and
  1 output rule in it (``validateOssRulesLimitations``).
* ``gateway/api/datamasking/datamasking.go``: 1 data-masking rule per org; at most 1
  supported-entity-types entry holding 1 entity type; supported and custom types not both.
* ``gateway/api/accessrequests/rules.go``: 1 access-request rule per org.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EditionLimits:
    """``None`` means unlimited."""

    guardrail_rules: int | None
    guardrail_input_rules: int | None
    datamasking_rules: int | None
    datamasking_entity_types: int | None
    access_request_rules: int | None


LIMITS: dict[str, EditionLimits] = {
    "oss": EditionLimits(
        guardrail_rules=1,
        guardrail_input_rules=1,
        datamasking_rules=1,
        datamasking_entity_types=1,
        access_request_rules=1,
    ),
    "enterprise": EditionLimits(None, None, None, None, None),
}
