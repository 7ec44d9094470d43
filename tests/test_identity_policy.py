"""Trust and permission policies of workload roles, as the exact JSON AWS receives."""

from __future__ import annotations

import pytest
from zsp.components.identity import (
    TrustPolicyError,
    client_secret_resource_policy,
    issuer_host,
    read_client_secret_policy,
    trust_policy,
)

GITHUB_ARN = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
EKS_URL = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C3E1A7B9D2F4E6081A3B5C7D9E1F203"


def test_github_trust_policy_pins_aud_and_sub_with_string_equals() -> None:
    doc = trust_policy(
        workload="support-bot-release",
        provider="github",
        provider_arn=GITHUB_ARN,
        issuer_url="https://token.actions.githubusercontent.com",
        audience="sts.amazonaws.com",
        subject="repo:acme/support-bot:environment:prod",
    )
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WorkloadFederation",
                "Effect": "Allow",
                "Principal": {"Federated": GITHUB_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": (
                            "repo:acme/support-bot:environment:prod"
                        ),
                    }
                },
            }
        ],
    }


def test_eks_condition_keys_carry_the_issuer_path() -> None:
    doc = trust_policy(
        workload="support-bot-pod",
        provider="eks",
        provider_arn="arn:aws:iam::111122223333:oidc-provider/x",
        issuer_url=EKS_URL,
        audience="sts.amazonaws.com",
        subject="system:serviceaccount:apps:support-bot",
    )
    host = "oidc.eks.eu-west-1.amazonaws.com/id/5C3E1A7B9D2F4E6081A3B5C7D9E1F203"
    assert issuer_host(EKS_URL) == host
    assert doc["Statement"][0]["Condition"] == {
        "StringEquals": {
            f"{host}:aud": "sts.amazonaws.com",
            f"{host}:sub": "system:serviceaccount:apps:support-bot",
        }
    }


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("repo:acme/*", "workload 'ci' subject 'repo:acme/\\*' contains a wildcard"),
        ("repo:acme/support-bot:*", "contains a wildcard"),
        (None, "workload 'ci' has no subject \\(sub\\)"),
        ("", "has no subject"),
        ("acme/support-bot", "is not a github subject \\(expected repo:<org>/<repo>"),
    ],
)
def test_wildcard_missing_or_malformed_sub_is_refused(subject: str | None, message: str) -> None:
    with pytest.raises(TrustPolicyError, match=message):
        trust_policy(
            workload="ci",
            provider="github",
            provider_arn=GITHUB_ARN,
            issuer_url="https://token.actions.githubusercontent.com",
            audience="sts.amazonaws.com",
            subject=subject,
        )


def test_wildcard_audience_is_refused() -> None:
    with pytest.raises(TrustPolicyError, match="exact audience"):
        trust_policy(
            workload="ci",
            provider="github",
            provider_arn=GITHUB_ARN,
            issuer_url="https://token.actions.githubusercontent.com",
            audience="*",
            subject="repo:acme/app:environment:prod",
        )


def test_allowed_wildcard_uses_string_like_for_sub_only() -> None:
    doc = trust_policy(
        workload="preview-envs",
        provider="github",
        provider_arn=GITHUB_ARN,
        issuer_url="https://token.actions.githubusercontent.com",
        audience="sts.amazonaws.com",
        subject="repo:acme/support-bot:environment:preview-*",
        allow_wildcard="ephemeral preview environments, one per PR",
    )
    assert doc["Statement"][0]["Condition"] == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {
            "token.actions.githubusercontent.com:sub": "repo:acme/support-bot:environment:preview-*"
        },
    }


def test_http_issuer_is_refused() -> None:
    with pytest.raises(TrustPolicyError, match="https"):
        issuer_host("http://gitlab.example")


def test_role_may_only_read_its_own_client_secret() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:zsp/dev/idp/support-bot-abc123"
    assert read_client_secret_policy(arn) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadOwnMachineClientSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": arn,
            }
        ],
    }


def test_secret_resource_policy_denies_everyone_but_the_consumer_roles() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:zsp/dev/idp/support-bot-abc123"
    roles = [
        "arn:aws:iam::111122223333:role/zsp-dev-support-bot-pod",
        "arn:aws:iam::111122223333:role/zsp-dev-support-bot-deploy",
    ]
    doc = client_secret_resource_policy(arn, roles)
    allow, deny = doc["Statement"]
    assert allow["Principal"] == {"AWS": sorted(roles)}
    assert allow["Action"] == deny["Action"] == "secretsmanager:GetSecretValue"
    assert deny == {
        "Sid": "OnlyConsumerWorkloadsRead",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": arn,
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": sorted(roles)}},
    }
    # A consumer with no workload: nobody may read its client secret.
    locked = client_secret_resource_policy(arn, [])
    unconditional = {k: v for k, v in deny.items() if k != "Condition"}
    assert locked["Statement"] == [unconditional]
