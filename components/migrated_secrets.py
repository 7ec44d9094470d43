"""Where migrated upstream keys live: Secrets Manager secrets under a customer-managed KMS key.

Pulumi creates the containers only. Values are written by ``zsp migrate`` through boto3 as JSON
``{"api_key": "<token>"}`` and never pass through Pulumi inputs, outputs or state. Two locks keep
them readable by the hoop agent alone: each secret's resource policy denies ``GetSecretValue`` to
every principal but the agent role, and only that role may ``kms:Decrypt`` with the key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
"""What the account (its administrators) may do with the key: manage it, never decrypt or grant."""

WRITE_ACTIONS = ["kms:GenerateDataKey", "kms:DescribeKey"]
"""What Secrets Manager needs on the caller's behalf for ``PutSecretValue`` (``zsp migrate``)."""


def key_policy(account_id: str, region: str, reader_role_arn: str) -> dict[str, Any]:
    root = f"arn:aws:iam::{account_id}:root"
    via_secrets_manager = {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": KEY_ADMIN_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "AccountWritesSecretsThroughSecretsManager",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": WRITE_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {**via_secrets_manager, "kms:CallerAccount": account_id}
                },
            },
            {
                "Sid": "OnlyTheAgentDecrypts",
                "Effect": "Allow",
                "Principal": {"AWS": reader_role_arn},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": via_secrets_manager},
            },
        ],
    }


def secret_policy(secret_arn: str, reader_role_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AgentReadsTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": reader_role_arn},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
            {
                "Sid": "NobodyElseReadsTheKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": reader_role_arn}},
            },
        ],
    }


@dataclass(frozen=True)
class MigratedSecretsArgs:
    """Inputs of ``MigratedSecrets``: secret names (endpoints' ``upstreamSecret``) and reader."""

    environment: str
    aws_account_id: str
    aws_region: str
    secret_names: Sequence[str]
    reader_role_arn: pulumi.Input[str]


class MigratedSecrets(pulumi.ComponentResource):
    """KMS key + alias, one empty secret per name, one resource policy per secret."""

    key_arn: pulumi.Output[str]
    secret_arns: pulumi.Output[list[str]]
    arns_by_name: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: MigratedSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:secrets:MigratedSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if len(set(args.secret_names)) != len(args.secret_names):
            raise ValueError("secret names must be unique")
        reader = pulumi.Output.from_input(args.reader_role_arn)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"zsp {args.environment}: migrated upstream inference keys",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=reader.apply(
                lambda arn: json.dumps(key_policy(args.aws_account_id, args.aws_region, arn))
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/zsp-{args.environment}-secrets",
            target_key_id=key.key_id,
            opts=child,
        )
        self.arns_by_name = {}
        for secret_name in args.secret_names:
            slug = secret_name.replace("/", "-").strip("-")
            secret = aws.secretsmanager.Secret(
                f"{name}-{slug}",
                name=secret_name,
                description=(
                    f"zsp {args.environment}: upstream key (JSON api_key + authorization), "
                    "written by zsp migrate; read by the hoop agent only"
                ),
                kms_key_id=key.arn,
                recovery_window_in_days=30,
                opts=child,
            )
            aws.secretsmanager.SecretPolicy(
                f"{name}-{slug}-policy",
                secret_arn=secret.arn,
                block_public_policy=True,
                policy=pulumi.Output.all(secret.arn, reader).apply(
                    lambda v: json.dumps(secret_policy(v[0], v[1]))
                ),
                opts=child,
            )
            self.arns_by_name[secret_name] = secret.arn
        self.key_arn = key.arn
        self.secret_arns = pulumi.Output.all(*self.arns_by_name.values()).apply(list)
        self.register_outputs(
            {
                "key_arn": self.key_arn,
                "secret_arns": self.secret_arns,
            }
        )
