"""``SiemShipping`` under the Pulumi mock runtime: exact IAM, encryption, Firehose destinations.

Each variant (Splunk, HTTP endpoint, S3 only, CloudWatch only) is built in isolation with the
same recording mocks ``zsp synth`` uses; the stacks' own wiring is checked through ``synth_stack``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import kubernetes_validate
import pulumi
import pytest
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack
from synth_helpers import synth_stack
from zsp.cli.synth.mocks import RecordingMonitor, SynthMocks
from zsp.cli.synth.model import RecordedResource
from zsp.components.config import SiemSettings
from zsp.components.siem import SiemShipping, SiemShippingArgs

ACCOUNT, REGION = "444455556666", "us-east-1"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123"
EXPORTER = {
    "image": "ghcr.io/zsp-project/zsp:0.1.0",
    "hoopApiUrl": "https://hoop.example.com",
    "hoopTokenSecret": "zsp/test/siem/hoop-api-key",
}
VARIANTS: dict[str, dict[str, Any]] = {
    "splunk": {
        "destination": "splunk",
        "retentionDays": 365,
        "splunk": {
            "hecUrl": "https://http-inputs-acme.splunkcloud.com",
            "hecTokenSecret": "zsp/test/siem/hec",
        },
        "exporter": EXPORTER,
    },
    "http": {
        "destination": "http",
        "http": {
            "name": "Datadog",
            "url": "https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input",
            "accessKeySecret": "zsp/test/siem/datadog",
            "commonAttributes": {"service": "zsp"},
        },
        "exporter": {**EXPORTER, "mode": "cronjob"},
    },
    "s3": {"destination": "s3", "exporter": EXPORTER},
    "cloudwatch": {"destination": "cloudwatch", "retentionDays": 30, "exporter": EXPORTER},
}


class CapturingMocks(SynthMocks):
    """The synth mocks, also keeping what each resource "returned" (its ARN, id …)."""

    def __init__(self) -> None:
        super().__init__(account=ACCOUNT, region=REGION)
        self.outputs: dict[tuple[str, str], dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        self.outputs[(args.typ, args.name)] = state
        return resource_id, state


class Built:
    def __init__(
        self, resources: list[RecordedResource], outputs: dict[tuple[str, str], dict[str, Any]]
    ) -> None:
        self.resources = resources
        self.outputs = outputs

    def one(self, type_token: str, name: str | None = None) -> dict[str, Any]:
        """Inputs of the single matching resource, plus the outputs the mock gave it."""
        found = [
            r for r in self.resources if r.type == type_token and (name is None or r.name == name)
        ]
        assert len(found) == 1, (type_token, name, [r.name for r in found])
        return {**self.outputs.get((type_token, found[0].name), {}), **found[0].inputs}

    def all(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def policy(self, type_token: str, name: str, key: str = "policy") -> dict[str, Any]:
        return json.loads(self.one(type_token, name)[key])


def build(settings: dict[str, Any]) -> Built:
    """Construct one SiemShipping under the recording mock runtime; return what it registered."""
    mocks = CapturingMocks()
    monitor = RecordingMonitor(mocks)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.reset_options()
    runtime_mocks.set_mocks(mocks, project="zsp", stack="test", preview=False, monitor=monitor)
    runtime_settings.ROOT.set(None)
    parsed = SiemSettings.model_validate(settings)

    def program() -> None:
        SiemShipping(
            "siem",
            SiemShippingArgs(
                settings=parsed,
                environment="test",
                account_id=ACCOUNT,
                region=REGION,
                oidc_issuer_url=ISSUER,
            ),
        )

    try:
        loop.run_until_complete(runtime_stack.run_in_stack(program))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.reset_options()
        runtime_settings.ROOT.set(None)
    return Built([r for r in monitor.recorded if r.type != "pulumi:pulumi:Stack"], mocks.outputs)


@pytest.fixture(scope="module")
def variants() -> dict[str, Built]:
    return {name: build(settings) for name, settings in VARIANTS.items()}


LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/zsp/test/hoop-sessions"


def test_log_group_is_kms_encrypted_with_retention(variants: dict[str, Built]) -> None:
    built = variants["splunk"]
    group = built.one("aws:cloudwatch/logGroup:LogGroup", "siem-sessions")
    key = built.one("aws:kms/key:Key")
    assert group["name"] == "/zsp/test/hoop-sessions" and group["retentionInDays"] == 365
    assert group["kmsKeyId"] == key["arn"]
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    policy = json.loads(key["policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsOurLogGroups")
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/kinesisfirehose/zsp-test-siem",
        LOG_GROUP_ARN,
    ]
    assert variants["cloudwatch"].one("aws:cloudwatch/logGroup:LogGroup")["retentionInDays"] == 30


def test_splunk_destination_reads_the_token_from_secrets_manager(
    variants: dict[str, Built],
) -> None:
    built = variants["splunk"]
    stream = built.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    role = built.one("aws:iam/role:Role", "siem-firehose-role")
    secret = built.one("aws:secretsmanager/secret:Secret")
    key = built.one("aws:kms/key:Key")
    bucket = built.one("aws:s3/bucket:Bucket")
    splunk = stream["splunkConfiguration"]
    assert stream["destination"] == "splunk" and stream["name"] == "zsp-test-siem"
    assert stream["serverSideEncryption"] == {"enabled": True, "keyType": "AWS_OWNED_CMK"}
    assert "hecToken" not in splunk  # never a literal token
    assert splunk["secretsManagerConfiguration"] == {
        "enabled": True,
        "secretArn": secret["arn"],
        "roleArn": role["arn"],
    }
    assert secret["name"] == "zsp/test/siem/hec" and secret["kmsKeyId"] == key["arn"]
    assert "secretString" not in str(built.all("aws:secretsmanager/secretVersion:SecretVersion"))
    assert splunk["hecEndpoint"] == "https://http-inputs-acme.splunkcloud.com"
    assert splunk["hecEndpointType"] == "Raw"
    assert (splunk["hecAcknowledgmentTimeout"], splunk["retryDuration"]) == (300, 3600)
    assert splunk["s3BackupMode"] == "FailedEventsOnly"
    backup = splunk["s3Configuration"]
    assert backup["bucketArn"] == bucket["arn"] and backup["kmsKeyArn"] == key["arn"]
    assert backup["compressionFormat"] == "GZIP"
    assert [p["type"] for p in splunk["processingConfiguration"]["processors"]] == [
        "Decompression",
        "CloudWatchLogProcessing",
    ]
    assert splunk["cloudwatchLoggingOptions"]["logGroupName"] == (
        "/aws/kinesisfirehose/zsp-test-siem"
    )


def test_firehose_role_is_least_privilege(variants: dict[str, Built]) -> None:
    built = variants["splunk"]
    bucket = built.one("aws:s3/bucket:Bucket")["arn"]
    key = built.one("aws:kms/key:Key")["arn"]
    secret = built.one("aws:secretsmanager/secret:Secret")["arn"]
    trust = built.policy("aws:iam/role:Role", "siem-firehose-role", "assumeRolePolicy")
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {
                    "aws:SourceArn": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/"
                    "zsp-test-siem"
                },
            },
        }
    ]
    statements = {
        s["Sid"]: s
        for s in built.policy("aws:iam/rolePolicy:RolePolicy", "siem-firehose-policy")["Statement"]
    }
    assert statements["WriteBucket"]["Action"] == [
        "s3:AbortMultipartUpload",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:PutObject",
    ]
    assert statements["WriteBucket"]["Resource"] == [bucket, f"{bucket}/*"]
    assert statements["EncryptObjectsWithSiemKey"] == {
        "Sid": "EncryptObjectsWithSiemKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": key,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"{bucket}/*"},
        },
    }
    assert statements["DeliveryErrors"]["Action"] == ["logs:PutLogEvents"]
    assert statements["DeliveryErrors"]["Resource"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/kinesisfirehose/zsp-test-siem:log-stream:*"
    )
    assert statements["ReadDestinationToken"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert statements["ReadDestinationToken"]["Resource"] == secret
    assert statements["DecryptDestinationToken"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }
    for statement in statements.values():
        assert "*" not in json.dumps(statement["Action"])
        assert statement["Resource"] != "*"


def test_subscription_filter_feeds_only_this_stream(variants: dict[str, Built]) -> None:
    built = variants["splunk"]
    stream = built.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    role = built.one("aws:iam/role:Role", "siem-subscription-role")
    subscription = built.one("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    assert subscription["logGroup"] == "/zsp/test/hoop-sessions"
    assert subscription["filterPattern"] == ""
    assert (
        subscription["destinationArn"] == stream["arn"] and subscription["roleArn"] == role["arn"]
    )
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"{LOG_GROUP_ARN}:*"}
    policy = built.policy("aws:iam/rolePolicy:RolePolicy", "siem-subscription-policy")
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Resource": stream["arn"],
        }
    ]


def test_backup_bucket_is_private_encrypted_and_tls_only(variants: dict[str, Built]) -> None:
    built = variants["splunk"]
    key = built.one("aws:kms/key:Key")["arn"]
    bucket = built.one("aws:s3/bucket:Bucket")
    assert bucket["bucket"] == f"zsp-test-siem-{ACCOUNT}-{REGION}"
    block = built.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    sse = built.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key,
    }
    assert sse["bucketKeyEnabled"] is True
    policy = built.policy("aws:s3/bucketPolicy:BucketPolicy", "siem-bucket-policy")
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    lifecycle = built.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle["rules"][0]["expiration"] == {"days": 365}


def test_http_endpoint_variant(variants: dict[str, Built]) -> None:
    built = variants["http"]
    stream = built.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    http = stream["httpEndpointConfiguration"]
    secret = built.one("aws:secretsmanager/secret:Secret")
    assert stream["destination"] == "http_endpoint"
    assert http["url"] == "https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input"
    assert http["name"] == "Datadog" and "accessKey" not in http
    assert http["secretsManagerConfiguration"]["secretArn"] == secret["arn"]
    assert http["s3BackupMode"] == "FailedDataOnly"
    assert http["requestConfiguration"] == {
        "contentEncoding": "GZIP",
        "commonAttributes": [{"name": "service", "value": "zsp"}],
    }
    assert built.all("kubernetes:batch/v1:CronJob") and not built.all(
        "kubernetes:apps/v1:Deployment"
    )


def test_s3_only_variant(variants: dict[str, Built]) -> None:
    built = variants["s3"]
    stream = built.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    s3 = stream["extendedS3Configuration"]
    assert stream["destination"] == "extended_s3"
    assert s3["prefix"] == "ocsf/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
    assert s3["kmsKeyArn"] == built.one("aws:kms/key:Key")["arn"]
    assert [p["type"] for p in s3["processingConfiguration"]["processors"]] == [
        "Decompression",
        "CloudWatchLogProcessing",
        "AppendDelimiterToRecord",
    ]
    assert not built.all("aws:secretsmanager/secret:Secret")
    firehose = built.policy("aws:iam/rolePolicy:RolePolicy", "siem-firehose-policy")
    assert "ReadDestinationToken" not in {s["Sid"] for s in firehose["Statement"]}


def test_cloudwatch_only_variant_has_no_delivery_path(variants: dict[str, Built]) -> None:
    built = variants["cloudwatch"]
    types = {r.type for r in built.resources}
    assert "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream" not in types
    assert "aws:s3/bucket:Bucket" not in types
    assert "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter" not in types


def test_exporter_irsa_role_and_policy_are_exact(variants: dict[str, Built]) -> None:
    built = variants["splunk"]
    host = ISSUER.removeprefix("https://")
    trust = built.policy("aws:iam/role:Role", "siem-exporter-role", "assumeRolePolicy")
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{host}:sub": "system:serviceaccount:zsp-siem:session-exporter",
                    f"{host}:aud": "sts.amazonaws.com",
                }
            },
        }
    ]
    assert built.one("aws:iam/role:Role", "siem-exporter-role")["maxSessionDuration"] == 3600
    policy = built.policy("aws:iam/rolePolicy:RolePolicy", "siem-exporter-policy")
    assert policy["Statement"] == [
        {
            "Sid": "CreateOwnStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream"],
            "Resource": LOG_GROUP_ARN,
        },
        {
            "Sid": "PutEvents",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": f"{LOG_GROUP_ARN}:log-stream:*",
        },
        {
            "Sid": "ReadHoopApiKey",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
            "zsp/test/siem/hoop-api-key-??????",
        },
    ]


def _manifest(resource: RecordedResource) -> dict[str, Any]:
    kind = resource.type.rsplit(":", 1)[-1]
    group_version = resource.type.split(":")[1]
    api_version = group_version.removeprefix("core/")
    return {"apiVersion": api_version, "kind": kind, **resource.inputs}


def test_exporter_workload_is_hardened_and_valid(variants: dict[str, Built]) -> None:
    built = variants["splunk"]
    role_arn = built.one("aws:iam/role:Role", "siem-exporter-role")["arn"]
    account = built.one("kubernetes:core/v1:ServiceAccount")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role_arn}
    deployment = built.one("kubernetes:apps/v1:Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["command"][:2] == ["zsp", "export-sessions"]
    args = container["command"]
    assert args[args.index("--log-group") + 1] == "/zsp/test/hoop-sessions"
    assert args[args.index("--hoop-token-secret") + 1] == "zsp/test/siem/hoop-api-key"
    assert "--include-bodies" not in args and "--interval" in args
    assert container["imagePullPolicy"] == "Always"
    probe = container["livenessProbe"]["exec"]["command"]
    assert "/var/lib/zsp-exporter/checkpoint.json" in probe[2] and "> 480" in probe[2]  # 3*60+300
    policy = built.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert policy["metadata"]["namespace"] == "zsp-siem"
    assert policy["spec"]["policyTypes"] == ["Ingress"] and policy["spec"]["ingress"] == []
    assert (
        policy["spec"]["podSelector"]["matchLabels"]
        == deployment["spec"]["selector"]["matchLabels"]
    )
    cron = variants["http"].one("kubernetes:batch/v1:CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert (
        "--once"
        in cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    )
    for name in ("splunk", "http"):
        for resource in variants[name].resources:
            if resource.type.startswith("kubernetes:"):
                kubernetes_validate.validate(_manifest(resource), "1.31.0", strict=True)


def test_stacks_wire_siem_prod_splunk_dev_cloudwatch() -> None:
    prod, prod_config = synth_stack("prod")
    assert prod_config.siem is not None and prod_config.siem.destination == "splunk"
    stream = prod.of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    assert [s.inputs["destination"] for s in stream] == ["splunk"]
    assert stream[0].inputs["splunkConfiguration"]["hecEndpoint"] == (
        "https://http-inputs-acme.splunkcloud.com"
    )
    dev, dev_config = synth_stack("dev")
    assert dev_config.siem is not None and dev_config.siem.destination == "cloudwatch"
    assert not dev.of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    assert dev.of_type("kubernetes:batch/v1:CronJob")
    groups = [g.inputs["name"] for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup")]
    assert groups == ["/zsp/dev/hoop-sessions"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"destination": "splunk"}, "destination splunk needs a splunk section"),
        ({"retentionDays": 42}, "retentionDays must be one of"),
        (
            {
                "destination": "splunk",
                "splunk": {"hecUrl": "http://splunk.example.com", "hecTokenSecret": "x"},
            },
            "must be an https:// URL",
        ),
        ({"exporter": {**EXPORTER, "image": "ghcr.io/zsp-project/zsp:latest"}}, "pinned"),
    ],
)
def test_bad_siem_settings_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SiemSettings.model_validate({**VARIANTS["s3"], **change})
