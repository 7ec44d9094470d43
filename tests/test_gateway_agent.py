"""GatewayAgent: pinned distroless image, HOOP_KEY by reference, IRSA pinned, exact grants."""

from __future__ import annotations

import pulumi
import pytest
from fixtures_gateway import RAW, by_k8s_name, container_env, doc, one, record
from zsp.components.agent import GatewayAgent, GatewayAgentArgs

ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C3E1A7B9D2F4E6081A3B5C7D9E1F203"
HOST = "oidc.eks.eu-west-1.amazonaws.com/id/5C3E1A7B9D2F4E6081A3B5C7D9E1F203"
SECRETS = [
    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:zsp/dev/upstream/openai-AbC123",
    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:zsp/dev/upstream/anthropic-XyZ789",
]
KEY = "arn:aws:kms:eu-west-1:111122223333:key/0f2c6a1e-8b4d-4c1a-9e3f-5a6b7c8d9e0f"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def build(with_secrets: bool = True) -> GatewayAgent:
    return GatewayAgent(
        "agent-models",
        GatewayAgentArgs(
            environment="dev",
            namespace="models",
            version="1.148.0",
            hoop_key=pulumi.Output.secret("grpcs://agent:CANARYKEY@hoop-grpc.example.com:443"),
            aws_account_id="111122223333",
            aws_region="eu-west-1",
            oidc_issuer_url=ISSUER,
            replicas=2,
            secret_arns=SECRETS if with_secrets else None,
            kms_key_arn=KEY if with_secrets else None,
        ),
    )


@pytest.fixture(scope="module")
def agent():  # type: ignore[no-untyped-def]
    return record(build)


def test_image_is_the_pinned_distroless_agent(agent) -> None:  # type: ignore[no-untyped-def]
    workload = one(agent, DEPLOYMENT)
    assert workload.inputs["metadata"]["namespace"] == "models"
    assert workload.inputs["spec"]["replicas"] == 2
    (container,) = workload.inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "hoophq/hoopagent:1.148.0-distroless"
    assert container["command"] == ["hoop", "start", "agent"]
    security = container["securityContext"]
    assert security["runAsUser"] == 10001 and security["readOnlyRootFilesystem"] is True
    assert set(container["resources"]) == {"limits", "requests"}


def test_hoop_key_comes_from_a_secret_by_reference(agent) -> None:  # type: ignore[no-untyped-def]
    env = container_env(one(agent, DEPLOYMENT))
    assert env["HOOP_KEY"] == {
        "name": "HOOP_KEY",
        "valueFrom": {"secretKeyRef": {"name": "hoopagent-key", "key": "HOOP_KEY"}},
    }
    assert env["AWS_REGION"] == {"name": "AWS_REGION", "value": "eu-west-1"}
    secret = by_k8s_name(agent, "kubernetes:core/v1:Secret", "hoopagent-key")
    assert secret.inputs["metadata"]["namespace"] == "models"
    assert secret.inputs["stringData"] == {"HOOP_KEY": "[redacted]"}
    assert "CANARYKEY" in RAW[secret.name]["stringData"]["HOOP_KEY"]


def test_service_account_carries_the_irsa_role(agent) -> None:  # type: ignore[no-untyped-def]
    account = one(agent, "kubernetes:core/v1:ServiceAccount")
    assert account.inputs["metadata"]["name"] == "hoopagent"
    assert account.inputs["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/zsp-dev-hoopagent-models"
    }
    pod = one(agent, DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "hoopagent"


def test_trust_policy_pins_sub_and_aud_of_one_service_account(agent) -> None:  # type: ignore[no-untyped-def]
    trust = doc(one(agent, "aws:iam/role:Role"), "assumeRolePolicy")
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::111122223333:oidc-provider/{HOST}"
    }
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{HOST}:sub": "system:serviceaccount:models:hoopagent",
            f"{HOST}:aud": "sts.amazonaws.com",
        }
    }


def test_role_reads_exactly_the_migrated_secrets_and_their_key(agent) -> None:  # type: ignore[no-untyped-def]
    policy = doc(one(agent, "aws:iam/rolePolicy:RolePolicy"), "policy")
    read, decrypt = policy["Statement"]
    assert read["Effect"] == decrypt["Effect"] == "Allow"
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"] == sorted(SECRETS)
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == KEY
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }
    text = str(policy)
    assert "*" not in text and "?" not in text


def test_agent_accepts_no_ingress(agent) -> None:  # type: ignore[no-untyped-def]
    policy = one(agent, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs["spec"]
    labels = one(agent, DEPLOYMENT).inputs["spec"]["selector"]["matchLabels"]
    assert policy["podSelector"] == {"matchLabels": labels}
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["ingress"] == []


def test_agent_without_secrets_has_no_aws_identity() -> None:
    synthesis = record(lambda: build(with_secrets=False))
    assert [r for r in synthesis.resources if r.type.startswith("aws:")] == []
    account = one(synthesis, "kubernetes:core/v1:ServiceAccount")
    assert "annotations" not in account.inputs["metadata"]
