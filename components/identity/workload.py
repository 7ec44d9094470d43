"""Workload identity: CI jobs and pods assume an IAM role with their platform's OIDC token.

Nothing is stored in CI or in the cluster. The role's trust policy pins ``aud`` and ``sub`` exactly
(invariant 3) and its only permission is reading its consumer's machine-client secret, which is
all it needs to obtain a short-lived IdP token and then a gateway credential.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from zsp.components.config.identity import Workload

from .policy import (
    GITHUB_ISSUER,
    WILDCARD_TAG,
    TrustPolicyError,
    client_secret_resource_policy,
    read_client_secret_policy,
    trust_policy,
)


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    """Inputs of ``WorkloadIdentity``."""

    environment: str
    workloads: list[Workload]
    eks_issuer_url: str
    gitlab_url: str = "https://gitlab.com"
    github_issuer_url: str = GITHUB_ISSUER
    max_session_duration_limit: int = 3600
    """Hard maximum for every role's ``max_session_duration`` (AWS allows up to 43200)."""
    consumer_secret_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Consumer → ARN of its machine-client secret (from ``CognitoIdentity``)."""


def _trust_json(workload: Workload, issuer: str) -> Callable[[str], str]:
    """The trust policy as JSON once the provider ARN is known (bound per workload)."""

    def render(provider_arn: str) -> str:
        doc = trust_policy(
            workload=workload.name,
            provider=workload.provider,
            provider_arn=provider_arn,
            issuer_url=issuer,
            audience=workload.sts_audience,
            subject=workload.subject,
            allow_wildcard=workload.allow_wildcard,
        )
        return json.dumps(doc, sort_keys=True)

    return render


class WorkloadIdentity(pulumi.ComponentResource):
    """IAM OIDC providers (GitHub, GitLab, EKS) and one pinned role per workload."""

    providers: dict[str, aws.iam.OpenIdConnectProvider]
    roles: dict[str, aws.iam.Role]
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:identity:WorkloadIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if not 3600 <= args.max_session_duration_limit <= 43200:
            raise ValueError("max_session_duration_limit must be between 3600 and 43200 seconds")
        issuers = {
            "github": args.github_issuer_url,
            "gitlab": str(args.gitlab_url).rstrip("/"),
            "eks": str(args.eks_issuer_url).rstrip("/"),
        }
        # Validate everything before registering anything: a refused workload leaves no half stack.
        for w in args.workloads:
            if w.max_session_duration > args.max_session_duration_limit:
                raise TrustPolicyError(
                    f"workload {w.name!r} max_session_duration {w.max_session_duration}s exceeds "
                    f"the hard maximum {args.max_session_duration_limit}s"
                )
            trust_policy(
                workload=w.name,
                provider=w.provider,
                provider_arn="arn:aws:iam::000000000000:oidc-provider/check",
                issuer_url=issuers[w.provider],
                audience=w.sts_audience,
                subject=w.subject,
                allow_wildcard=w.allow_wildcard,
            )
            if w.consumer not in args.consumer_secret_arns:
                raise ValueError(f"workload {w.name!r}: consumer {w.consumer!r} has no secret")

        self.providers = {}
        for kind in sorted({w.provider for w in args.workloads}):
            audiences = sorted({w.sts_audience for w in args.workloads if w.provider == kind})
            self.providers[kind] = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc-{kind}",
                url=issuers[kind],
                client_id_lists=audiences,
                tags={"zsp:oidc-provider": kind},
                opts=child,
            )

        self.roles = {}
        self.role_arns = {}
        readers: dict[str, list[pulumi.Output[str]]] = {}
        for w in args.workloads:
            issuer = issuers[w.provider]
            doc = self.providers[w.provider].arn.apply(_trust_json(w, issuer))
            tags = {"zsp:workload": w.name, "zsp:consumer": w.consumer}
            if w.allow_wildcard:
                tags[WILDCARD_TAG] = w.allow_wildcard
            role = aws.iam.Role(
                f"{name}-{w.name}",
                name=f"zsp-{args.environment}-{w.name}",
                description=f"zsp workload {w.name} ({w.provider}) -> consumer {w.consumer}",
                assume_role_policy=doc,
                max_session_duration=w.max_session_duration,
                tags=tags,
                opts=child,
            )
            secret_arn = pulumi.Output.from_input(args.consumer_secret_arns[w.consumer])
            aws.iam.RolePolicy(
                f"{name}-{w.name}-read-client-secret",
                role=role.name,
                name="read-machine-client-secret",
                policy=secret_arn.apply(lambda a: json.dumps(read_client_secret_policy(a))),
                opts=pulumi.ResourceOptions(parent=role),
            )
            self.roles[w.name] = role
            self.role_arns[w.name] = role.arn
            readers.setdefault(w.consumer, []).append(role.arn)

        for consumer, secret_arn_input in sorted(args.consumer_secret_arns.items()):
            role_arns = readers.get(consumer, [])
            secret_arn = pulumi.Output.from_input(secret_arn_input)
            aws.secretsmanager.SecretPolicy(
                f"{name}-{consumer}-secret-policy",
                secret_arn=secret_arn,
                block_public_policy=True,
                policy=pulumi.Output.all(secret_arn, *role_arns).apply(
                    lambda v: json.dumps(client_secret_resource_policy(v[0], list(v[1:])))
                ),
                opts=child,
            )

        self.register_outputs(
            {
                "providerArns": {k: p.arn for k, p in self.providers.items()},
                "roleArns": self.role_arns,
            }
        )
