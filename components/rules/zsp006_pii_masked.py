"""ZSP006: connections to endpoints marked ``pii: true`` mask PII in responses."""

from __future__ import annotations

from collections.abc import Iterable

from . import hoop
from .model import Rule, RuleContext, Severity, StackView, Violation
from .values import as_list, pick


class PiiMasked(Rule):
    id = "ZSP006"
    slug = "pii-masked"
    title = "PII-carrying connections have data masking"
    severity = Severity.HIGH
    rationale = (
        "Model responses to a PII endpoint repeat names, e-mails and card numbers to every caller "
        "unless the gateway masks them."
    )
    remediation = (
        "Attach a hoop data-masking rule with the Presidio entity types to the connection "
        "(InferencePolicy masking), or set pii: false if the endpoint carries none."
    )

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        for connection in stack.hoop(hoop.CONNECTION):
            endpoint = hoop.endpoint_of(connection, stack)
            if endpoint is None or not endpoint.pii:
                continue
            if as_list(pick(connection.inputs, "redact_types")):
                continue
            rules = hoop.bound(stack, hoop.DATAMASKING, connection)
            if not any(
                as_list(pick(r.inputs, "supported_entity_types", "entity_types"))
                or as_list(pick(r.inputs, "custom_entity_types"))
                for r in rules
            ):
                yield Violation(
                    connection,
                    f"connection {hoop.connection_name(connection)} fronts PII endpoint "
                    f"{endpoint.name} but no data-masking rule with entity types applies to it",
                )


RULE = PiiMasked()
