"""The example stacks wire the gateway as documented: prod HA on RDS, dev small and in-cluster."""

from __future__ import annotations

import pytest
from synth_helpers import synth_stack
from zsp.components.config import StackConfigError, parse_stack_config

AGENT = "zsp:gateway:GatewayAgent"
MIGRATED = "zsp:secrets:MigratedSecrets"


def _gateway(stack: str):  # type: ignore[no-untyped-def]
    synthesis, _ = synth_stack(stack)
    (sts,) = [
        r
        for r in synthesis.of_type("kubernetes:apps/v1:StatefulSet")
        if r.inputs["metadata"]["name"] == "hoopgateway"
    ]
    return synthesis, sts


def test_prod_runs_three_gateways_on_multi_az_rds() -> None:
    synthesis, sts = _gateway("prod")
    assert sts.inputs["spec"]["replicas"] == 3
    (rds,) = synthesis.of_type("aws:rds/instance:Instance")
    assert rds.inputs["multiAz"] is True and rds.inputs["storageEncrypted"] is True
    (rule,) = synthesis.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == "sg-0f1e2d3c4b5a69789"  # node SG
    secrets = synthesis.of_type("aws:secretsmanager/secret:Secret", under=MIGRATED)
    names = {r.inputs["name"] for r in secrets}
    assert names == {"zsp/prod/upstream/openai", "zsp/prod/upstream/anthropic"}


def test_dev_runs_one_gateway_on_in_cluster_postgres() -> None:
    synthesis, sts = _gateway("dev")
    assert sts.inputs["spec"]["replicas"] == 1
    assert synthesis.of_type("aws:rds/instance:Instance") == []
    names = {r.inputs["metadata"]["name"] for r in synthesis.of_type(sts.type)}
    assert names == {"hoopgateway", "hoop-postgres"}


def test_agent_role_policy_names_the_stack_secrets_exactly() -> None:
    import json

    synthesis, _ = synth_stack("prod")
    (policy,) = synthesis.of_type("aws:iam/rolePolicy:RolePolicy", under=AGENT)
    read = json.loads(policy.inputs["policy"])["Statement"][0]
    assert [a.split(":secret:")[1].rsplit("-", 1)[0] for a in read["Resource"]] == [
        "zsp/prod/upstream/anthropic",
        "zsp/prod/upstream/openai",
    ]


@pytest.mark.parametrize(
    ("patch", "key", "message"),
    [
        ({"version": "latest"}, "zsp:gateway.version", "pattern"),
        ({"database": {"mode": "existing"}}, "zsp:gateway.database", "needs uri"),
        ({"proxyHost": "hoop.example.com"}, "zsp:gateway", "three different"),
        (
            {"masking": {"enabled": True, "presidioVersion": "2.2.358"}},
            "zsp:gateway.masking",
            "non-root",
        ),
    ],
)
def test_bad_gateway_config_names_the_key(patch: dict, key: str, message: str) -> None:  # type: ignore[type-arg]
    gateway = {
        "apiHost": "hoop.example.com",
        "proxyHost": "llm.example.com",
        "grpcHost": "grpc.example.com",
        "idp": {"issuer": "https://idp.example.com", "clientId": "c", "clientSecret": "[redacted]"},
        "database": {"mode": "in-cluster"},
        "agentKey": "[redacted]",
        **patch,
    }
    values = {
        "aws:region": "eu-west-1",
        "zsp:environment": "dev",
        "zsp:aws": {"accountId": "111122223333"},
        "zsp:cluster": {
            "name": "c",
            "oidcIssuerUrl": "https://oidc.example.com/id/1",
            "vpcId": "vpc-0a1b2c3d4e5f60718",
            "privateSubnetIds": ["subnet-1"],
            "nodeSecurityGroupId": "sg-0a1b2c3d4e5f60719",
        },
        "zsp:endpoints": [
            {"name": "m", "kind": "hosted", "api": "openai", "url": "https://api.openai.com",
             "upstreamSecret": "zsp/dev/upstream/m"}
        ],
        "zsp:gateway": gateway,
    }  # fmt: skip
    with pytest.raises(StackConfigError) as err:
        parse_stack_config(values, "stacks/Pulumi.dev.yaml")
    assert err.value.key == key
    assert message in err.value.message


def test_agent_role_and_secrets_are_ordered_for_a_real_deployment() -> None:
    """Role → key/secret policies (which name it) → the role's read policy (which names them)."""
    synthesis, _ = synth_stack("prod")
    (role,) = synthesis.of_type("aws:iam/role:Role", under=AGENT)
    (policy,) = synthesis.of_type("aws:iam/rolePolicy:RolePolicy", under=AGENT)
    keys = [k for k in synthesis.of_type("aws:kms/key:Key") if "upstream" in k.name]
    (key,) = keys
    secrets = synthesis.of_type("aws:secretsmanager/secret:Secret", under=MIGRATED)
    assert role.urn in key.dependencies
    for secret_policy in synthesis.of_type(
        "aws:secretsmanager/secretPolicy:SecretPolicy", under=MIGRATED
    ):
        assert role.urn in secret_policy.dependencies
    assert key.urn in policy.dependencies
    assert {s.urn for s in secrets} <= set(policy.dependencies)


def test_gateway_pods_accept_traffic_from_the_ingress_controller_only() -> None:
    synthesis, config = synth_stack("prod")
    assert config.gateway is not None
    (policy,) = [
        p
        for p in synthesis.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.inputs["metadata"]["name"] == "hoopgateway"
    ]
    (rule,) = policy.inputs["spec"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    assert sorted(p["port"] for p in rule["ports"]) == [8009, 8010, 18888]
