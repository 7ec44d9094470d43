"""IAM Roles for Service Accounts: the one trust shape every in-cluster zsp workload uses.

Kept in one place because it is invariant 3 in code form: ``sub`` names exactly one
ServiceAccount and ``aud`` is pinned, both with ``StringEquals``; any drift between components
would be a hole the guardrails then have to catch.
"""

from __future__ import annotations

from typing import Any

from .identity.policy import issuer_host

IRSA_AUDIENCE = "sts.amazonaws.com"


def irsa_trust_policy(
    account_id: str,
    oidc_issuer_url: str,
    namespace: str,
    service_account: str,
    sid: str | None = None,
) -> dict[str, Any]:
    """Trust exactly one Kubernetes ServiceAccount of one cluster (``sub`` and ``aud`` pinned)."""
    host = issuer_host(oidc_issuer_url)
    statement: dict[str, Any] = {"Sid": sid} if sid else {}
    statement |= {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{account_id}:oidc-provider/{host}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{host}:aud": IRSA_AUDIENCE,
            }
        },
    }
    return {"Version": "2012-10-17", "Statement": [statement]}
