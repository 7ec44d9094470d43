"""ZSP007: connections to high-risk endpoints require just-in-time approval."""

from __future__ import annotations

from collections.abc import Iterable

from . import hoop
from .model import Rule, RuleContext, Severity, StackView, Violation
from .values import as_list, pick

JIT_TYPES = {"jit", "jit_command"}


class HighRiskJit(Rule):
    id = "ZSP007"
    slug = "high-risk-jit"
    title = "High-risk connections need a JIT access-request rule"
    severity = Severity.HIGH
    rationale = (
        "For a high-risk model, holding the group is not enough: each access window must be "
        "requested, reviewed and bounded in time."
    )
    remediation = (
        "Attach a hoop access-request rule (access_type jit, reviewers_groups, min_approvals >= 1, "
        "access_max_duration) to the connection."
    )

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        for connection in stack.hoop(hoop.CONNECTION):
            endpoint = hoop.endpoint_of(connection, stack)
            if endpoint is None or endpoint.risk != "high":
                continue
            rules = [
                r
                for r in hoop.bound(stack, hoop.ACCESS_REQUEST, connection)
                if str(pick(r.inputs, "access_type")) in JIT_TYPES
            ]
            name = hoop.connection_name(connection)
            if not rules:
                yield Violation(
                    connection,
                    f"connection {name} fronts high-risk endpoint {endpoint.name} without a JIT "
                    "access-request rule",
                )
                continue
            if not any(as_list(pick(r.inputs, "reviewers_groups")) for r in rules):
                yield Violation(
                    connection, f"the JIT rule of connection {name} names no reviewer group"
                )
            approvals = pick(rules[0].inputs, "min_approvals")
            if isinstance(approvals, int) and approvals < 1:
                yield Violation(
                    connection, f"the JIT rule of connection {name} requires no approval"
                )


RULE = HighRiskJit()
