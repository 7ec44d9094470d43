"""MigratedSecrets: CMK with rotation, empty secrets, only the agent role reads or decrypts."""

from __future__ import annotations

import pytest
from fixtures_gateway import doc, one, record
from zsp.components.migrated_secrets import (
    MigratedSecrets,
    MigratedSecretsArgs,
)

ROLE = "arn:aws:iam::111122223333:role/zsp-dev-hoopagent-models"
NAMES = ["zsp/dev/upstream/openai", "zsp/dev/upstream/anthropic"]


@pytest.fixture(scope="module")
def secrets():  # type: ignore[no-untyped-def]
    return record(
        lambda: MigratedSecrets(
            "upstream-keys",
            MigratedSecretsArgs(
                environment="dev",
                aws_account_id="111122223333",
                aws_region="eu-west-1",
                secret_names=NAMES,
                reader_role_arn=ROLE,
            ),
        )
    )


def test_customer_managed_key_rotates_and_has_the_alias(secrets) -> None:  # type: ignore[no-untyped-def]
    key = one(secrets, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    alias = one(secrets, "aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/zsp-dev-secrets"


def test_key_policy_account_administers_only_the_agent_decrypts(secrets) -> None:  # type: ignore[no-untyped-def]
    policy = doc(one(secrets, "aws:kms/key:Key"), "policy")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    decrypters = [
        s["Principal"]["AWS"]
        for s in policy["Statement"]
        if "kms:Decrypt" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert decrypters == [ROLE]
    assert by_sid["OnlyTheAgentDecrypts"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }
    admin = by_sid["AccountAdministersTheKey"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert "kms:PutKeyPolicy" in admin["Action"]
    for action in ("kms:Decrypt", "kms:CreateGrant", "kms:ReEncryptFrom"):
        assert action not in admin["Action"]
    assert not any("*" in a for a in admin["Action"])


def test_one_empty_secret_per_name_under_the_key(secrets) -> None:  # type: ignore[no-untyped-def]
    key_arn = one(secrets, "aws:kms/key:Key")
    created = secrets.of_type("aws:secretsmanager/secret:Secret")
    assert sorted(s.inputs["name"] for s in created) == sorted(NAMES)
    assert secrets.of_type("aws:secretsmanager/secretVersion:SecretVersion") == []
    for secret in created:
        assert secret.inputs["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:111122223333:key/")
        assert "secretString" not in secret.inputs
        assert key_arn.urn in secret.dependencies


def test_each_secret_policy_denies_everyone_but_the_agent(secrets) -> None:  # type: ignore[no-untyped-def]
    policies = secrets.of_type("aws:secretsmanager/secretPolicy:SecretPolicy")
    assert len(policies) == len(NAMES)
    for resource in policies:
        arn = resource.inputs["secretArn"]
        assert resource.inputs["blockPublicPolicy"] is True
        allow, deny = doc(resource, "policy")["Statement"]
        assert allow == {
            "Sid": "AgentReadsTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": "secretsmanager:GetSecretValue",
            "Resource": arn,
        }
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
        assert deny["Action"] == "secretsmanager:GetSecretValue"
        assert deny["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": ROLE}}


def test_policies_are_accepted_by_secrets_manager_and_kms(aws_env: str) -> None:
    """The documents are valid IAM JSON for the real APIs (moto server over HTTP)."""
    import json

    import boto3
    from zsp.components.migrated_secrets import key_policy, secret_policy

    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
             "Action": "sts:AssumeRole"}
        ],
    }  # fmt: skip
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))
    role_arn = role["Role"]["Arn"]
    account = role_arn.split(":")[4]
    kms = boto3.client("kms")
    key = kms.create_key(Policy=json.dumps(key_policy(account, "eu-west-1", role_arn)))
    key_arn = key["KeyMetadata"]["Arn"]
    stored = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    assert stored["Statement"][2]["Principal"] == {"AWS": role_arn}
    sm = boto3.client("secretsmanager")
    secret = sm.create_secret(Name="zsp/test/upstream/x", KmsKeyId=key_arn)
    sm.put_resource_policy(
        SecretId=secret["ARN"],
        ResourcePolicy=json.dumps(secret_policy(secret["ARN"], role_arn)),
        BlockPublicPolicy=True,
    )
    got = json.loads(sm.get_resource_policy(SecretId=secret["ARN"])["ResourcePolicy"])
    assert got["Statement"][1]["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": role_arn}}
