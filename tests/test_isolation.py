"""EndpointIsolation: one default-deny policy per model with the agent as the only source."""

from __future__ import annotations

import pytest
from fixtures_gateway import one, record
from zsp.components.isolation import (
    EndpointIsolation,
    EndpointIsolationArgs,
    PodTarget,
    SecurityGroupTarget,
)

AGENT = {"app.kubernetes.io/name": "hoop-agent", "app.kubernetes.io/instance": "hoopagent"}


def test_network_policy_selects_the_model_and_allows_only_the_agent() -> None:
    synthesis = record(
        lambda: EndpointIsolation(
            "isolate-qwen",
            EndpointIsolationArgs(
                endpoint="qwen-chat",
                target=PodTarget(
                    namespace="models",
                    pod_labels={"app": "qwen-chat"},
                    port=8080,
                    agent_namespace="agents",
                    agent_pod_labels=AGENT,
                ),
            ),
        )
    )
    policy = one(synthesis, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs
    assert policy["metadata"]["namespace"] == "models"
    assert policy["metadata"]["name"] == "qwen-chat-only-from-hoop-agent"
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app": "qwen-chat"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "agents"}
                        },
                        "podSelector": {"matchLabels": AGENT},
                    }
                ],
                "ports": [{"port": 8080, "protocol": "TCP"}],
            }
        ],
    }


def test_empty_selectors_are_refused() -> None:
    with pytest.raises(ValueError, match="labels are required"):
        record(
            lambda: EndpointIsolation(
                "bad",
                EndpointIsolationArgs(
                    endpoint="x",
                    target=PodTarget("models", {}, 8080, "models", AGENT),
                ),
            )
        )


def test_security_group_variant_opens_the_model_port_to_the_agent_group_only() -> None:
    synthesis = record(
        lambda: EndpointIsolation(
            "isolate-ec2",
            EndpointIsolationArgs(
                endpoint="tgi-ec2",
                target=SecurityGroupTarget(
                    vpc_id="vpc-0a1b2c3d4e5f60718",
                    port=8000,
                    agent_security_group_id="sg-0agent000000000001",
                ),
            ),
        )
    )
    group = one(synthesis, "aws:ec2/securityGroup:SecurityGroup").inputs
    assert group["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert "ingress" not in group
    (rule,) = synthesis.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == group["name"]
    assert rule.inputs["referencedSecurityGroupId"] == "sg-0agent000000000001"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        8000,
        8000,
        "tcp",
    )
    assert "cidrIpv4" not in rule.inputs
    assert synthesis.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") == []
