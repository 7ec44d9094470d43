"""Identity: who may ask the gateway for a credential, and how they prove it.

Three kinds of caller, one section:

* **consumers** — services that call an inference endpoint; each gets its own machine client at the
  IdP (client credentials, short access-token validity, its own scopes);
* **workloads** — where a consumer runs (a GitHub Actions environment, a GitLab project branch, an
  EKS service account); each gets an IAM role assumable only with that platform's OIDC token whose
  ``aud`` and ``sub`` match exactly, so no secret has to be stored in CI or in the cluster;
* **groups** — the IdP groups the gateway maps people to (access control, reviewers).

The wildcard rule lives here as well as in the component: a ``*`` in a subject is a config error
that names the workload and the line, unless ``allowWildcard`` gives a reason, which is then
recorded on the role as the ``zsp:wildcard-sub`` tag for synth's policy checks to report.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, HttpUrl, field_validator, model_validator

from .base import Seconds, Section

WorkloadProvider = Literal["github", "gitlab", "eks"]

NAME = r"^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$"
SCOPE = r"^[a-z][a-z0-9_.-]{0,63}$"
TAG_VALUE = r"^[A-Za-z0-9_ .:/=+\-@]{1,256}$"
"""IAM tag values: 256 characters of letters, digits, spaces and ``_ . : / = + - @``."""

WILDCARD_CHARS = ("*", "?")

SUBJECT_SHAPES: dict[str, tuple[str, str]] = {
    "github": (r"^repo:[^/:\s]+/[^:\s]+:.+$", "repo:<org>/<repo>:environment:<env>"),
    "gitlab": (r"^project_path:[^:\s]+/[^:\s]+:.+$", "project_path:<group>/<project>:ref_type:..."),
    "eks": (r"^system:serviceaccount:[^:\s]+:[^:\s]+$", "system:serviceaccount:<ns>:<sa>"),
}
"""What a well-formed ``sub`` looks like on each platform (a typo here is a role nobody can use)."""


def subject_problem(provider: str, subject: str | None, allow_wildcard: str | None) -> str | None:
    """Why ``subject`` may not be pinned in a trust policy, or ``None`` when it may.

    Shared by config validation (which can point at the YAML line) and the component (which must
    refuse the same thing when used on its own).
    """
    if not subject:
        return "has no subject (sub); a role without a pinned sub is assumable by any job"
    has_wildcard = any(c in subject for c in WILDCARD_CHARS)
    if has_wildcard and not allow_wildcard:
        return (
            f"subject {subject!r} contains a wildcard; pin it exactly, or set allowWildcard "
            "to the reason it must match more than one job"
        )
    pattern, example = SUBJECT_SHAPES[provider]
    if not re.match(pattern, subject):
        return f"subject {subject!r} is not a {provider} subject (expected {example})"
    return None


class CognitoSettings(Section):
    """The Cognito user pool that is the stack's default IdP."""

    domain_prefix: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    resource_server: str = Field(default="inference", pattern=r"^[a-z][a-z0-9_.-]{0,63}$")
    scopes: list[str] = Field(default_factory=lambda: ["predict", "admin"], min_length=1)
    web_token_validity: Seconds = Field(default=3600, ge=300, le=86400)
    web_refresh_token_validity: Seconds = Field(default=28800, ge=3600, le=86400 * 30)
    deletion_protection: bool = True

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        for scope in value:
            if not re.match(SCOPE, scope):
                raise ValueError(f"scope {scope!r} must match {SCOPE}")
        if len(set(value)) != len(value):
            raise ValueError("scopes must be unique")
        return value


class Group(Section):
    """An IdP group the gateway uses for access control (hoop ``access_control`` plugin)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,127}$")
    description: str = ""
    precedence: int = Field(default=10, ge=0, le=1000)


class Consumer(Section):
    """A service that calls inference: one machine client at the IdP."""

    name: str = Field(pattern=NAME)
    scopes: list[str] = Field(default_factory=lambda: ["predict"], min_length=1)
    access_token_validity: Seconds | None = Field(
        default=None, description="Defaults to zsp:credentials.defaultTtl; at most maxTtl."
    )


class Workload(Section):
    """Where a consumer runs, and the exact OIDC subject that identifies it there."""

    name: str = Field(pattern=NAME)
    consumer: str = Field(pattern=NAME)
    provider: WorkloadProvider
    subject: str | None = None
    audience: str | None = Field(
        default=None, description="Defaults to sts.amazonaws.com (the AWS STS audience)."
    )
    max_session_duration: Seconds = Field(default=3600, ge=3600, le=43200)
    allow_wildcard: str | None = Field(
        default=None,
        pattern=TAG_VALUE,
        description="Reason a wildcard subject is acceptable; recorded as a role tag.",
    )

    @model_validator(mode="after")
    def _pinned(self) -> Workload:
        problem = subject_problem(self.provider, self.subject, self.allow_wildcard)
        if problem:
            raise ValueError(f"workload {self.name!r} {problem}")
        return self

    @property
    def sts_audience(self) -> str:
        return self.audience or "sts.amazonaws.com"


class EntraSettings(Section):
    """Microsoft Entra ID as the external IdP: CI and pods get tokens by federation, no secret."""

    tenant_id: str = Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )
    application_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,119}$")


class IdentitySettings(Section):
    """``zsp:identity``: IdP registrations and workload identity."""

    gateway_api_url: HttpUrl = Field(
        description="The gateway's API_URL; callback is /api/callback."
    )
    cognito: CognitoSettings
    entra: EntraSettings | None = None
    gateway_idp: Literal["cognito", "entra"] = Field(
        default="cognito", description="Which registration feeds the gateway's IDP_* settings."
    )
    gitlab_url: HttpUrl = Field(default=HttpUrl("https://gitlab.com"))
    max_session_duration_limit: Seconds = Field(
        default=3600,
        ge=3600,
        le=43200,
        description="Hard maximum for any workload role's max_session_duration.",
    )
    groups: list[Group] = Field(default_factory=list)
    consumers: list[Consumer] = Field(default_factory=list)
    workloads: list[Workload] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> IdentitySettings:
        if self.gateway_idp == "entra" and self.entra is None:
            raise ValueError("gatewayIdp is entra but there is no entra section")
        names = [c.name for c in self.consumers]
        if len(set(names)) != len(names):
            raise ValueError("consumer names must be unique")
        wl = [w.name for w in self.workloads]
        if len(set(wl)) != len(wl):
            raise ValueError("workload names must be unique")
        groups = [g.name for g in self.groups]
        if len(set(groups)) != len(groups):
            raise ValueError("group names must be unique")
        for consumer in self.consumers:
            unknown = sorted(set(consumer.scopes) - set(self.cognito.scopes))
            if unknown:
                raise ValueError(
                    f"consumer {consumer.name!r} asks for scopes {unknown} that the resource "
                    f"server does not define ({self.cognito.scopes})"
                )
        for workload in self.workloads:
            if workload.consumer not in names:
                raise ValueError(
                    f"workload {workload.name!r} names consumer {workload.consumer!r}, "
                    "which is not in consumers"
                )
            if workload.max_session_duration > self.max_session_duration_limit:
                raise ValueError(
                    f"workload {workload.name!r} maxSessionDuration "
                    f"({workload.max_session_duration}s) exceeds maxSessionDurationLimit "
                    f"({self.max_session_duration_limit}s)"
                )
        return self

    @property
    def callback_url(self) -> str:
        return f"{str(self.gateway_api_url).rstrip('/')}/api/callback"
