"""ZSP011: every non-dev stack ships sessions to the SIEM (SiemShipping + session exporter)."""

from __future__ import annotations

from collections.abc import Iterable

from .kube import WORKLOAD_TYPES
from .model import ConfigRef, Rule, RuleContext, Severity, StackView, Violation

SIEM_SHIPPING = "zsp:siem:SiemShipping"
EXPORTER_TYPES = {"kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:CronJob"}


class SiemShipping(Rule):
    id = "ZSP011"
    slug = "siem-shipping"
    title = "Sessions are exported to the SIEM outside dev"
    severity = Severity.HIGH
    rationale = (
        "Recorded sessions nobody reads are no control: outside dev, every session and credential "
        "issuance must reach the SIEM for detection and post-mortems."
    )
    remediation = (
        "Add the SiemShipping component (log group, Firehose, sink) with its session exporter "
        "Deployment or CronJob to the stack."
    )

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        if ctx.config.environment == "dev":
            return
        components = [r for r in stack.resources if r.type == SIEM_SHIPPING]
        if not components:
            yield Violation(
                ConfigRef("zsp:environment"),
                f"{ctx.config.environment} stack has no {SIEM_SHIPPING} component",
            )
            return
        for component in components:
            exporters = [
                r
                for r in stack.descendants(component.urn)
                if r.type in EXPORTER_TYPES and r.type in WORKLOAD_TYPES
            ]
            if not exporters:
                yield Violation(
                    component,
                    "SIEM shipping has no session exporter Deployment or CronJob",
                )


RULE = SiemShipping()
