"""ZSP002: an IAM role's maximum session duration stays within the configured bound."""

from __future__ import annotations

from collections.abc import Iterable

from .model import ResourceView, Rule, RuleContext, Severity, Violation
from .values import human_seconds, is_opaque

AWS_DEFAULT_SESSION = 3600


class RoleSessionBounded(Rule):
    id = "ZSP002"
    slug = "role-session-bounded"
    title = "Role sessions are bounded"
    severity = Severity.HIGH
    rationale = (
        "Every credential a caller holds must expire soon; a 12-hour role session is standing "
        "access for a working day."
    )
    remediation = (
        "Lower maxSessionDuration to zsp:guardrails.maxRoleSessionDuration or below "
        "(AWS default 3600)."
    )
    resource_types = frozenset({"aws:iam/role:Role"})

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        value = resource.inputs.get("maxSessionDuration")
        if is_opaque(value):
            return
        seconds = AWS_DEFAULT_SESSION if value is None else value
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            yield Violation(resource, f"maxSessionDuration is not a number ({value!r})")
            return
        if seconds > ctx.max_role_session:
            yield Violation(
                resource,
                f"maxSessionDuration {human_seconds(int(seconds))} exceeds the maximum "
                f"{human_seconds(ctx.max_role_session)}",
            )


RULE = RoleSessionBounded()
