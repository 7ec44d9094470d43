"""SIEM shipping: hoop sessions and credential events, as OCSF, from the cluster into the SIEM.

```
 exporter (Deployment or CronJob, IRSA) ──PutLogEvents──► CloudWatch log group (KMS, retention)
                                                             │ subscription filter (logs role)
                                                             ▼
                                          Kinesis Data Firehose (decompress + extract messages)
                                             ├─► Splunk HEC   (token from Secrets Manager) ─┐
                                             ├─► HTTP endpoint (key from Secrets Manager) ──┤ failed
                                             └─► S3 (partitioned OCSF JSON, KMS)            ▼ events
                                                                          S3 backup bucket (KMS)
```

Every role gets only the actions its job needs, on exact ARNs: the exporter may create streams and
put events in *its* log group and read *its* hoop API key; CloudWatch Logs may put records into
*this* delivery stream only; Firehose may write to *this* bucket (through S3, with *this* key),
read *this* token secret and write its own error log. Secret values never pass through Pulumi:
the component creates the token secret empty, and an operator writes its value
(``aws secretsmanager put-secret-value``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .config import SiemSettings
from .irsa import irsa_trust_policy
from .k8s import (
    MANAGED_BY,
    labels,
    restricted_container_security,
    restricted_namespace_labels,
    restricted_pod_security,
    selector,
)
from .network_policy import ingress_only_from

CHECKPOINT_DIR = "/var/lib/zsp-exporter"
SERVICE_ACCOUNT = "session-exporter"
S3_WRITE_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
]
"""What Firehose needs on its bucket (AWS's documented minimum for an S3 destination)."""


@dataclass(frozen=True)
class SiemShippingArgs:
    """Inputs of ``SiemShipping``."""

    settings: SiemSettings
    environment: str
    account_id: str
    region: str
    oidc_issuer_url: str
    """The cluster's OIDC issuer (IRSA); its IAM OIDC provider must exist in the account."""


# --------------------------------------------------------------------------- IAM documents


def secret_arn_pattern(region: str, account: str, name: str) -> str:
    """ARN of a secret known by name: Secrets Manager appends ``-`` and six random characters."""
    if name.startswith("arn:"):
        return name
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-??????"


def kms_key_policy(account: str, region: str, log_group_arns: list[str]) -> dict[str, Any]:
    """Account administration through IAM, and CloudWatch Logs use bound to our log groups."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsOurLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Decrypt*",
                    "kms:Describe*",
                    "kms:Encrypt*",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": sorted(log_group_arns)}
                },
            },
        ],
    }


def exporter_policy(log_group_arn: str, hoop_secret_arn: str) -> dict[str, Any]:
    """Write to one log group; read one secret (the hoop API key). Nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CreateOwnStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream"],
                "Resource": log_group_arn,
            },
            {
                "Sid": "PutEvents",
                "Effect": "Allow",
                "Action": ["logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:*",
            },
            {
                "Sid": "ReadHoopApiKey",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": hoop_secret_arn,
            },
        ],
    }


def service_trust_policy(service: str, account: str, source_arn: str) -> dict[str, Any]:
    """A service principal, pinned to our account and source (confused-deputy protection)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            }
        ],
    }


def logs_to_firehose_policy(stream_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
                "Resource": stream_arn,
            }
        ],
    }


def firehose_policy(
    region: str,
    bucket_arn: str,
    key_arn: str,
    error_log_group_arn: str,
    secret_arn: str | None,
) -> dict[str, Any]:
    """Firehose: write the bucket (via S3, with our key), log its errors, read the token."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteBucket",
            "Effect": "Allow",
            "Action": S3_WRITE_ACTIONS,
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
        },
        {
            "Sid": "EncryptObjectsWithSiemKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
            "Condition": {
                "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"{bucket_arn}/*"},
            },
        },
        {
            "Sid": "DeliveryErrors",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": f"{error_log_group_arn}:log-stream:*",
        },
    ]
    if secret_arn is not None:
        statements += [
            {
                "Sid": "ReadDestinationToken",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": secret_arn,
            },
            {
                "Sid": "DecryptDestinationToken",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def bucket_policy(bucket_arn: str) -> dict[str, Any]:
    """TLS only, and only objects encrypted with KMS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def _plain(value: Any) -> Any:
    """Pass a nested literal as plain data: mypy's inference of deep dict literals against the
    providers' ``Args | ArgsDict`` unions is exponential (it exhausts memory on these specs)."""
    return value


def _json(builder: Any, *inputs: Any) -> pulumi.Output[str]:
    return pulumi.Output.all(*inputs).apply(lambda values: json.dumps(builder(*values)))


def _cloudwatch_processors() -> list[dict[str, Any]]:
    """Subscription records are gzip'd CloudWatch envelopes; ship the OCSF lines inside them."""
    return [
        {
            "type": "Decompression",
            "parameters": [{"parameter_name": "CompressionFormat", "parameter_value": "GZIP"}],
        },
        {
            "type": "CloudWatchLogProcessing",
            "parameters": [{"parameter_name": "DataMessageExtraction", "parameter_value": "true"}],
        },
    ]


# --------------------------------------------------------------------------- component


class SiemShipping(pulumi.ComponentResource):
    """Log group, Firehose to the SIEM, backup bucket, roles, and the exporter workload."""

    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    exporter_role_arn: pulumi.Output[str]
    delivery_stream_arn: pulumi.Output[str] | None
    bucket_arn: pulumi.Output[str] | None
    token_secret_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: SiemShippingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:siem:SiemShipping", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings, env, account, region = (
            args.settings,
            args.environment,
            args.account_id,
            args.region,
        )
        prefix = f"zsp-{env}-siem"
        log_group_name = f"/zsp/{env}/hoop-sessions"
        error_group_name = f"/aws/kinesisfirehose/{prefix}"
        log_group_arn = f"arn:aws:logs:{region}:{account}:log-group:{log_group_name}"
        error_group_arn = f"arn:aws:logs:{region}:{account}:log-group:{error_group_name}"
        uses_firehose = settings.destination != "cloudwatch"

        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"zsp {env}: SIEM log group, delivery backups and destination token",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(
                kms_key_policy(
                    account,
                    region,
                    [log_group_arn] + ([error_group_arn] if uses_firehose else []),
                )
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias", name=f"alias/{prefix}", target_key_id=self.key.key_id, opts=child
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-sessions",
            name=log_group_name,
            retention_in_days=settings.retention_days,
            kms_key_id=self.key.arn,
            opts=child,
        )
        self.log_group_name = self.log_group.name
        self.log_group_arn = self.log_group.arn
        self.kms_key_arn = self.key.arn
        self.delivery_stream_arn = None
        self.bucket_arn = None
        self.token_secret_arn = None
        if uses_firehose:
            self._firehose(name, args, prefix, log_group_name, error_group_name, error_group_arn)
        self._exporter(name, args, log_group_arn)
        self.register_outputs(
            {
                "log_group_name": self.log_group_name,
                "log_group_arn": self.log_group_arn,
                "kms_key_arn": self.kms_key_arn,
                "exporter_role_arn": self.exporter_role_arn,
                "delivery_stream_arn": self.delivery_stream_arn,
                "bucket_arn": self.bucket_arn,
                "token_secret_arn": self.token_secret_arn,
            }
        )

    # ------------------------------------------------------------------ AWS delivery path

    def _bucket(
        self, name: str, prefix: str, account: str, region: str, days: int
    ) -> aws.s3.Bucket:
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=f"{prefix}-{account}-{region}", force_destroy=False, opts=child
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-bucket-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-bucket-ownership",
            bucket=bucket.id,
            rule=_plain({"object_ownership": "BucketOwnerEnforced"}),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-bucket-encryption",
            bucket=bucket.id,
            rules=_plain(
                [
                    {
                        "apply_server_side_encryption_by_default": {
                            "sse_algorithm": "aws:kms",
                            "kms_master_key_id": self.key.arn,
                        },
                        "bucket_key_enabled": True,
                    }
                ]
            ),
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-bucket-versioning",
            bucket=bucket.id,
            versioning_configuration=_plain({"status": "Enabled"}),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-bucket-lifecycle",
            bucket=bucket.id,
            rules=_plain(
                [
                    {
                        "id": "expire-siem-objects",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "expiration": {"days": days},
                        "noncurrent_version_expiration": {"noncurrent_days": 30},
                        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                    }
                ]
            ),
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=bucket.id,
            policy=_json(bucket_policy, bucket.arn),
            opts=child,
        )
        return bucket

    def _firehose(
        self,
        name: str,
        args: SiemShippingArgs,
        prefix: str,
        log_group_name: str,
        error_group_name: str,
        error_group_arn: str,
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        settings, account, region = args.settings, args.account_id, args.region
        stream_name = prefix
        stream_arn = f"arn:aws:firehose:{region}:{account}:deliverystream/{stream_name}"
        bucket = self._bucket(name, prefix, account, region, settings.backup_retention_days)
        self.bucket_arn = bucket.arn

        errors = aws.cloudwatch.LogGroup(
            f"{name}-delivery-errors",
            name=error_group_name,
            retention_in_days=settings.retention_days,
            kms_key_id=self.key.arn,
            opts=child,
        )
        aws.cloudwatch.LogStream(
            f"{name}-delivery-errors-stream",
            name="DestinationDelivery",
            log_group_name=errors.name,
            opts=child,
        )
        logging = {
            "enabled": True,
            "log_group_name": error_group_name,
            "log_stream_name": "DestinationDelivery",
        }

        secret: aws.secretsmanager.Secret | None = None
        if settings.splunk is not None or settings.http is not None:
            secret_name = (
                settings.splunk.hec_token_secret
                if settings.splunk is not None
                else settings.http.access_key_secret  # type: ignore[union-attr]
            )
            secret = aws.secretsmanager.Secret(
                f"{name}-destination-token",
                name=secret_name,
                description="Read by Firehose; the value is written out of band",
                kms_key_id=self.key.arn,
                recovery_window_in_days=30,
                opts=child,
            )
            self.token_secret_arn = secret.arn

        role = aws.iam.Role(
            f"{name}-firehose-role",
            name=f"{prefix}-firehose",
            description="Firehose delivery of zsp SIEM events",
            assume_role_policy=json.dumps(
                service_trust_policy("firehose.amazonaws.com", account, stream_arn)
            ),
            max_session_duration=3600,
            opts=child,
        )
        policy_inputs: list[Any] = [bucket.arn, self.key.arn]
        if secret is not None:
            policy_inputs.append(secret.arn)
        role_policy = aws.iam.RolePolicy(
            f"{name}-firehose-policy",
            role=role.id,
            policy=pulumi.Output.all(*policy_inputs).apply(
                lambda v: json.dumps(
                    firehose_policy(
                        region, v[0], v[1], error_group_arn, v[2] if len(v) > 2 else None
                    )
                )
            ),
            opts=child,
        )

        s3_backup = {
            "role_arn": role.arn,
            "bucket_arn": bucket.arn,
            "kms_key_arn": self.key.arn,
            "compression_format": "GZIP",
            "buffering_size": 5,
            "buffering_interval": 300,
            "cloudwatch_logging_options": logging,
        }
        processing = {"enabled": True, "processors": _cloudwatch_processors()}
        stream_args: dict[str, Any] = {}
        if settings.destination == "splunk":
            splunk = settings.splunk
            assert splunk is not None and secret is not None
            stream_args["destination"] = "splunk"
            stream_args["splunk_configuration"] = {
                "hec_endpoint": str(splunk.hec_url).rstrip("/"),
                "hec_endpoint_type": splunk.endpoint_type,
                "hec_acknowledgment_timeout": splunk.ack_timeout,
                "retry_duration": splunk.retry_duration,
                "s3_backup_mode": "FailedEventsOnly",
                "s3_configuration": {
                    **s3_backup,
                    "prefix": "splunk-failed/",
                    "error_output_prefix": "splunk-errors/!{firehose:error-output-type}/",
                },
                "secrets_manager_configuration": {
                    "enabled": True,
                    "secret_arn": secret.arn,
                    "role_arn": role.arn,
                },
                "processing_configuration": processing,
                "cloudwatch_logging_options": logging,
            }
        elif settings.destination == "http":
            http = settings.http
            assert http is not None and secret is not None
            stream_args["destination"] = "http_endpoint"
            stream_args["http_endpoint_configuration"] = {
                "name": http.name,
                "url": str(http.url),
                "role_arn": role.arn,
                "retry_duration": http.retry_duration,
                "buffering_size": 1,
                "buffering_interval": 60,
                "s3_backup_mode": "FailedDataOnly",
                "s3_configuration": {
                    **s3_backup,
                    "prefix": "http-failed/",
                    "error_output_prefix": "http-errors/!{firehose:error-output-type}/",
                },
                "secrets_manager_configuration": {
                    "enabled": True,
                    "secret_arn": secret.arn,
                    "role_arn": role.arn,
                },
                "request_configuration": {
                    "content_encoding": "GZIP",
                    "common_attributes": [
                        {"name": k, "value": v} for k, v in sorted(http.common_attributes.items())
                    ],
                },
                "processing_configuration": processing,
                "cloudwatch_logging_options": logging,
            }
        else:
            stream_args["destination"] = "extended_s3"
            stream_args["extended_s3_configuration"] = {
                **s3_backup,
                "buffering_size": 64,
                "prefix": "ocsf/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
                "error_output_prefix": (
                    "ocsf-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/"
                ),
                "processing_configuration": {
                    "enabled": True,
                    "processors": [
                        *_cloudwatch_processors(),
                        {"type": "AppendDelimiterToRecord", "parameters": []},
                    ],
                },
            }
        self.delivery_stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-delivery",
            name=stream_name,
            server_side_encryption=_plain({"enabled": True, "key_type": "AWS_OWNED_CMK"}),
            **stream_args,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        self.delivery_stream_arn = self.delivery_stream.arn

        logs_role = aws.iam.Role(
            f"{name}-subscription-role",
            name=f"{prefix}-subscription",
            description="CloudWatch Logs puts zsp SIEM events into Firehose",
            assume_role_policy=json.dumps(
                service_trust_policy(
                    f"logs.{region}.amazonaws.com",
                    account,
                    f"arn:aws:logs:{region}:{account}:log-group:{log_group_name}:*",
                )
            ),
            max_session_duration=3600,
            opts=child,
        )
        logs_policy = aws.iam.RolePolicy(
            f"{name}-subscription-policy",
            role=logs_role.id,
            policy=_json(logs_to_firehose_policy, self.delivery_stream.arn),
            opts=child,
        )
        aws.cloudwatch.LogSubscriptionFilter(
            f"{name}-subscription",
            name=f"{prefix}-to-firehose",
            log_group=self.log_group.name,
            filter_pattern="",
            destination_arn=self.delivery_stream.arn,
            role_arn=logs_role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
        )

    # ------------------------------------------------------------------ exporter workload

    def _exporter(self, name: str, args: SiemShippingArgs, log_group_arn: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        exporter = args.settings.exporter
        env, account, region = args.environment, args.account_id, args.region
        namespace = exporter.namespace
        hoop_secret = secret_arn_pattern(region, account, exporter.hoop_token_secret)
        role = aws.iam.Role(
            f"{name}-exporter-role",
            name=f"zsp-{env}-session-exporter",
            description="IRSA role of the zsp session exporter",
            assume_role_policy=json.dumps(
                irsa_trust_policy(account, args.oidc_issuer_url, namespace, SERVICE_ACCOUNT)
            ),
            max_session_duration=3600,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-exporter-policy",
            role=role.id,
            policy=json.dumps(exporter_policy(log_group_arn, hoop_secret)),
            opts=child,
        )
        self.exporter_role_arn = role.arn

        meta_labels = labels("session-exporter", "session-exporter")
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=_plain(
                {
                    "name": namespace,
                    "labels": {
                        **restricted_namespace_labels(),
                        "app.kubernetes.io/managed-by": MANAGED_BY,
                    },
                }
            ),
            opts=child,
        )
        after_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=_plain(
                {
                    "name": SERVICE_ACCOUNT,
                    "namespace": namespace,
                    "labels": meta_labels,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                }
            ),
            automount_service_account_token=False,
            opts=after_ns,
        )
        pvc_spec: dict[str, Any] = {
            "access_modes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": exporter.checkpoint_size}},
        }
        if exporter.storage_class:
            pvc_spec["storage_class_name"] = exporter.storage_class
        k8s.core.v1.PersistentVolumeClaim(
            f"{name}-checkpoint",
            metadata=_plain(
                {
                    "name": "session-exporter-checkpoint",
                    "namespace": namespace,
                    "labels": meta_labels,
                }
            ),
            spec=_plain(pvc_spec),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )
        command = [
            "zsp",
            "export-sessions",
            "--hoop-url",
            str(exporter.hoop_api_url).rstrip("/"),
            "--hoop-token-secret",
            exporter.hoop_token_secret,
            "--sink",
            "cloudwatch",
            "--log-group",
            f"/zsp/{env}/hoop-sessions",
            "--checkpoint",
            f"{CHECKPOINT_DIR}/checkpoint.json",
            "--lag",
            str(exporter.lag),
            "--batch-size",
            str(exporter.batch_size),
        ]
        if exporter.include_bodies:
            command.append("--include-bodies")
        command += (
            ["--once"] if exporter.mode == "cronjob" else ["--interval", str(exporter.interval)]
        )
        pod_spec = self._pod_spec(exporter.image, command, region)
        ingress_only_from(
            f"{name}-exporter-netpol",
            name="session-exporter",
            namespace=namespace,
            pod_labels=selector("session-exporter", "session-exporter"),
            peers=[],  # the exporter serves nothing: deny all ingress
            ports=[],
            labels=meta_labels,
            opts=after_ns,
        )
        if exporter.mode == "deployment":
            # The checkpoint is rewritten on every run: a stale file means a stuck exporter.
            stale_after = 3 * exporter.interval + 300
            heartbeat = {
                "exec": {
                    "command": [
                        "python3",
                        "-c",
                        "import os, sys, time; sys.exit(time.time() - os.path.getmtime("
                        f"'{CHECKPOINT_DIR}/checkpoint.json') > {stale_after})",
                    ]
                },
                "period_seconds": 60,
                "timeout_seconds": 10,
            }
            container = pod_spec["containers"][0]
            container["liveness_probe"] = {
                **heartbeat,
                "initial_delay_seconds": 300,
                "failure_threshold": 3,
            }
            container["readiness_probe"] = {**heartbeat, "initial_delay_seconds": 30}
        template = {
            "metadata": {"labels": meta_labels},
            "spec": pod_spec,
        }
        if exporter.mode == "deployment":
            self.workload: pulumi.CustomResource = k8s.apps.v1.Deployment(
                f"{name}-exporter",
                metadata=_plain(
                    {
                        "name": "session-exporter",
                        "namespace": namespace,
                        "labels": meta_labels,
                    }
                ),
                spec=_plain(
                    {
                        "replicas": 1,
                        # One writer of the checkpoint at a time: never two pods on the volume.
                        "strategy": {"type": "Recreate"},
                        "selector": {
                            "match_labels": selector("session-exporter", "session-exporter")
                        },
                        "template": template,
                    }
                ),
                opts=after_ns,
            )
        else:
            self.workload = k8s.batch.v1.CronJob(
                f"{name}-exporter",
                metadata=_plain(
                    {
                        "name": "session-exporter",
                        "namespace": namespace,
                        "labels": meta_labels,
                    }
                ),
                spec=_plain(
                    {
                        "schedule": exporter.schedule,
                        "concurrency_policy": "Forbid",
                        "starting_deadline_seconds": 300,
                        "successful_jobs_history_limit": 3,
                        "failed_jobs_history_limit": 3,
                        "job_template": {
                            "spec": {
                                "backoff_limit": 2,
                                "active_deadline_seconds": 3600,
                                "template": {
                                    "metadata": {"labels": meta_labels},
                                    "spec": {**pod_spec, "restart_policy": "Never"},
                                },
                            }
                        },
                    }
                ),
                opts=after_ns,
            )

    @staticmethod
    def _pod_spec(image: str, command: list[str], region: str) -> dict[str, Any]:
        return {
            "service_account_name": SERVICE_ACCOUNT,
            "automount_service_account_token": False,
            "security_context": restricted_pod_security(),
            "containers": [
                {
                    "name": "exporter",
                    "image": image,
                    "image_pull_policy": "Always",
                    "command": command,
                    "env": [
                        {"name": "AWS_REGION", "value": region},
                        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                    ],
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "security_context": restricted_container_security(),
                    "volume_mounts": [
                        {"name": "checkpoint", "mount_path": CHECKPOINT_DIR},
                        {"name": "tmp", "mount_path": "/tmp"},  # noqa: S108 - emptyDir
                    ],
                }
            ],
            "volumes": [
                {
                    "name": "checkpoint",
                    "persistent_volume_claim": {"claim_name": "session-exporter-checkpoint"},
                },
                {"name": "tmp", "empty_dir": {"size_limit": "64Mi"}},
            ],
        }


def siem_outputs(shipping: SiemShipping) -> Mapping[str, Any]:
    """What the stack exports about SIEM shipping (no secret values: there are none here)."""
    return {
        "logGroup": shipping.log_group_name,
        "deliveryStream": shipping.delivery_stream_arn,
        "bucket": shipping.bucket_arn,
        "tokenSecret": shipping.token_secret_arn,
        "exporterRole": shipping.exporter_role_arn,
    }
