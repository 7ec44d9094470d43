"""IAM documents for workload identity, as plain dicts (reviewable, testable, no invokes).

Each function returns exactly the JSON AWS receives, so tests assert on it verbatim and
``zsp synth`` writes it under ``iam/`` unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from zsp.components.config.identity import subject_problem

WILDCARD_TAG = "zsp:wildcard-sub"
"""Role tag recording why a trust policy matches ``sub`` with a pattern (reported by synth)."""

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"


class TrustPolicyError(ValueError):
    """A trust policy that would let more callers in than the workload it names."""


def issuer_host(issuer_url: str) -> str:
    """IAM's condition-key prefix for an OIDC provider: the issuer URL without ``https://``.

    ``https://oidc.eks.eu-west-1.amazonaws.com/id/ABC`` → ``oidc.eks...amazonaws.com/id/ABC``.
    """
    parsed = urlparse(issuer_url)
    if parsed.scheme != "https" or not parsed.netloc:
        raise TrustPolicyError(f"OIDC issuer {issuer_url!r} must be an https:// URL")
    return f"{parsed.netloc}{parsed.path}".rstrip("/")


def trust_policy(
    *,
    workload: str,
    provider: str,
    provider_arn: str,
    issuer_url: str,
    audience: str,
    subject: str | None,
    allow_wildcard: str | None = None,
) -> dict[str, Any]:
    """``sts:AssumeRoleWithWebIdentity`` for exactly one workload.

    ``aud`` and ``sub`` are pinned with ``StringEquals``; a subject with ``*``/``?`` is refused
    unless ``allow_wildcard`` carries a reason, and then (only then) matched with ``StringLike``.
    """
    problem = subject_problem(provider, subject, allow_wildcard)
    if problem:
        raise TrustPolicyError(f"workload {workload!r} {problem}")
    if not audience or any(c in audience for c in ("*", "?")):
        raise TrustPolicyError(f"workload {workload!r} needs an exact audience (got {audience!r})")
    assert subject is not None
    host = issuer_host(issuer_url)
    wildcard = any(c in subject for c in ("*", "?"))
    condition: dict[str, dict[str, str]] = {"StringEquals": {f"{host}:aud": audience}}
    if wildcard:
        condition["StringLike"] = {f"{host}:sub": subject}
    else:
        condition["StringEquals"][f"{host}:sub"] = subject
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WorkloadFederation",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ],
    }


def read_client_secret_policy(secret_arn: str) -> dict[str, Any]:
    """The workload role's only permission: read its own consumer's machine-client secret."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadOwnMachineClientSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            }
        ],
    }


def client_secret_resource_policy(secret_arn: str, reader_role_arns: list[str]) -> dict[str, Any]:
    """Resource policy on a machine-client secret: only the consumer's workload roles may read it.

    An explicit ``Deny`` for every other principal means an over-broad identity policy elsewhere in
    the account (``secretsmanager:*`` on ``*``) still cannot read the client secret.
    """
    deny: dict[str, Any] = {
        "Sid": "OnlyConsumerWorkloadsRead",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": secret_arn,
    }
    statements: list[dict[str, Any]] = [deny]
    if reader_role_arns:
        readers = sorted(reader_role_arns)
        deny["Condition"] = {"ArnNotEquals": {"aws:PrincipalArn": readers}}
        statements.insert(
            0,
            {
                "Sid": "ConsumerWorkloadsRead",
                "Effect": "Allow",
                "Principal": {"AWS": readers},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
        )
    return {"Version": "2012-10-17", "Statement": statements}
