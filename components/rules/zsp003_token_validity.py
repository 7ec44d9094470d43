"""ZSP003: IdP access tokens (Cognito app clients) expire within the configured bound."""

from __future__ import annotations

from collections.abc import Iterable

from .model import ResourceView, Rule, RuleContext, Severity, Violation
from .values import human_seconds, is_opaque, path, to_seconds

COGNITO_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
COGNITO_DEFAULT_ACCESS_TOKEN = 3600


class IdpTokenLifetime(Rule):
    id = "ZSP003"
    slug = "idp-token-lifetime"
    title = "IdP access tokens are short-lived"
    severity = Severity.HIGH
    rationale = (
        "The IdP access token is exchanged for gateway credentials; if it lives a day, so does "
        "the caller's access after it should have ended."
    )
    remediation = (
        "Set accessTokenValidity with tokenValidityUnits.accessToken so it is at most "
        "zsp:guardrails.maxAccessTokenValidity (default zsp:credentials.maxTtl)."
    )
    resource_types = frozenset({COGNITO_CLIENT})

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        amount = resource.inputs.get("accessTokenValidity")
        unit = path(resource.inputs, "tokenValidityUnits", "accessToken")
        if is_opaque(amount) or is_opaque(unit):
            return
        if amount is None:
            seconds: int | None = COGNITO_DEFAULT_ACCESS_TOKEN
            detail = "accessTokenValidity is unset (Cognito default 1h)"
        else:
            seconds = to_seconds(amount, unit, default_unit="hours")
            detail = f"accessTokenValidity {amount} {unit or 'hours'}"
        if seconds is None:
            yield Violation(resource, f"accessTokenValidity is not a number ({amount!r})")
        elif seconds > ctx.max_access_token_validity:
            yield Violation(
                resource,
                f"{detail} = {human_seconds(seconds)} exceeds the maximum "
                f"{human_seconds(ctx.max_access_token_validity)}",
            )


RULE = IdpTokenLifetime()
