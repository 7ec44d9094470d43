"""GatewayDatabase: RDS encrypted, private, reachable from the gateway only; dev in-cluster."""

from __future__ import annotations

from fixtures_gateway import RAW, one, record
from zsp.components.config import GatewayDatabase
from zsp.components.gateway_database import GatewayDatabaseArgs, GatewayDatabaseComponent

NODE_SG = "sg-0f1e2d3c4b5a69789"
SUBNETS = ["subnet-0f1e2d3c4b5a60001", "subnet-0f1e2d3c4b5a60002"]
GW_LABELS = {"app.kubernetes.io/name": "hoop-gateway", "app.kubernetes.io/instance": "hoopgateway"}


def build(settings: GatewayDatabase) -> GatewayDatabaseComponent:
    return GatewayDatabaseComponent(
        "hoop-db",
        GatewayDatabaseArgs(
            settings=settings,
            environment="prod",
            namespace="hoop",
            vpc_id="vpc-0f1e2d3c4b5a69788",
            subnet_ids=SUBNETS,
            client_security_group_ids=[NODE_SG],
            client_pod_labels=GW_LABELS,
        ),
    )


def test_rds_is_encrypted_private_backed_up_and_multi_az() -> None:
    synthesis = record(
        lambda: build(GatewayDatabase(mode="rds", multi_az=True, backup_retention_days=14))
    )
    rds = one(synthesis, "aws:rds/instance:Instance").inputs
    key = one(synthesis, "aws:kms/key:Key")
    assert rds["storageEncrypted"] is True
    assert rds["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:111122223333:key/")
    assert key.inputs["enableKeyRotation"] is True
    assert rds["publiclyAccessible"] is False
    assert rds["multiAz"] is True
    assert rds["backupRetentionPeriod"] == 14
    assert rds["deletionProtection"] is True and rds["skipFinalSnapshot"] is False
    assert rds["password"] == "[redacted]"
    assert rds["engine"] == "postgres"
    group = one(synthesis, "aws:ec2/securityGroup:SecurityGroup")
    assert rds["vpcSecurityGroupIds"] == [group.inputs["name"]]
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    assert one(synthesis, "aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"] == SUBNETS
    params = one(synthesis, "aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in params
    assert one(synthesis, "aws:rds/parameterGroup:ParameterGroup").inputs["family"] == "postgres16"


def test_rds_accepts_postgres_from_the_gateway_security_group_only() -> None:
    synthesis = record(lambda: build(GatewayDatabase(mode="rds")))
    (rule,) = synthesis.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == NODE_SG
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (5432, 5432)
    assert rule.inputs["ipProtocol"] == "tcp"
    assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
    assert synthesis.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []


def test_existing_uri_creates_nothing_and_stays_secret() -> None:
    synthesis = record(
        lambda: build(GatewayDatabase(mode="existing", uri="postgres://a:CANARY@h/db"))  # type: ignore[arg-type]
    )
    assert [r for r in synthesis.resources if r.custom] == []


def test_in_cluster_postgres_is_hardened_and_reachable_from_the_gateway_only() -> None:
    synthesis = record(lambda: build(GatewayDatabase(mode="in-cluster")))
    sts = one(synthesis, "kubernetes:apps/v1:StatefulSet").inputs
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "postgres:16.4-bookworm"
    assert container["securityContext"]["runAsUser"] == 10001
    env = {e["name"]: e for e in container["env"]}
    assert env["POSTGRES_PASSWORD"]["valueFrom"] == {
        "secretKeyRef": {"name": "hoop-postgres-credentials", "key": "POSTGRES_PASSWORD"}
    }
    secret = one(synthesis, "kubernetes:core/v1:Secret")
    assert secret.inputs["stringData"] == {"POSTGRES_PASSWORD": "[redacted]"}
    assert RAW[secret.name]["stringData"]["POSTGRES_PASSWORD"] == "GeneratedPassw0rdFromRandom"
    policy = one(synthesis, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs["spec"]
    (rule,) = policy["ingress"]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "hoop"}},
            "podSelector": {"matchLabels": GW_LABELS},
        }
    ]
    assert rule["ports"] == [{"port": 5432, "protocol": "TCP"}]
    assert synthesis.of_type("aws:rds/instance:Instance") == []
