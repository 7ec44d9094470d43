"""No secret value reaches a manifest, a resource input, an IAM document or the stack outputs.

Two layers: the stack files' secure values (canaries as ciphertext, which synth must never carry),
and plaintext secrets handed to the components directly (which must travel as secret Outputs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pulumi
import pytest
from fixtures_gateway import record
from ruamel.yaml import YAML
from zsp.cli.synth import synthesize
from zsp.cli.synth.artifacts import write_artifacts
from zsp.components.agent import GatewayAgent, GatewayAgentArgs
from zsp.components.config import GatewayDatabase
from zsp.components.gateway import InferenceGateway, InferenceGatewayArgs
from zsp.components.gateway_database import GatewayDatabaseArgs, GatewayDatabaseComponent

ROOT = Path(__file__).resolve().parent.parent


def _plant(node: object, canary: str, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and set(value) == {"secure"}:
                node[key] = {"secure": f"v1:{canary}-{len(found)}"}
                found.append(str(key))
            else:
                _plant(value, canary, found)
    elif isinstance(node, list):
        for item in node:
            _plant(item, canary, found)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secure_stack_values_appear_in_no_artifact(stack: str, tmp_path: Path) -> None:
    canary = "CANARYzsp3secure"
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    path = project / "stacks" / f"Pulumi.{stack}.yaml"
    yaml = YAML()
    tree = yaml.load(path.read_text(encoding="utf-8"))
    planted: list[str] = []
    _plant(tree, canary, planted)
    assert planted, "the stack file has secure values to plant canaries in"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(tree, handle)
    synthesis, _ = synthesize(project, stack)
    write_artifacts(synthesis, tmp_path / "out")
    for file in (tmp_path / "out").rglob("*"):
        if file.is_file():
            assert canary not in file.read_text(encoding="utf-8"), file


def test_plaintext_secrets_given_to_components_travel_as_secrets() -> None:
    idp, hoop_key, uri = "CANARY-idp-77f1", "CANARY-hoopkey-19ce", "postgres://u:CANARY-pw@h/db"

    def build() -> None:
        database = GatewayDatabaseComponent(
            "db",
            GatewayDatabaseArgs(
                settings=GatewayDatabase(mode="existing", uri=uri),  # type: ignore[arg-type]
                environment="dev",
                namespace="hoop",
                vpc_id="vpc-0a1b2c3d4e5f60718",
                subnet_ids=["subnet-1"],
                client_security_group_ids=["sg-0a1b2c3d4e5f60719"],
            ),
        )
        InferenceGateway(
            "gw",
            InferenceGatewayArgs(
                namespace="hoop",
                version="1.148.0",
                replicas=1,
                api_host="hoop.example.com",
                proxy_host="llm.example.com",
                grpc_host="grpc.example.com",
                ingress_class="nginx",
                idp_issuer="https://idp.example.com",
                idp_client_id="hoop",
                idp_client_secret=idp,
                idp_audience=None,
                idp_groups_claim="groups",
                database_uri=database.uri,
            ),
        )
        GatewayAgent(
            "agent",
            GatewayAgentArgs(
                environment="dev",
                namespace="models",
                version="1.148.0",
                hoop_key=hoop_key,
                aws_account_id="111122223333",
                aws_region="eu-west-1",
                oidc_issuer_url="https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
            ),
        )
        pulumi.export("uri", database.uri)

    synthesis = record(build)
    text = json.dumps([r.to_json() for r in synthesis.resources])
    assert "CANARY" not in text
    assert '"IDP_CLIENT_SECRET": "[redacted]"' in text
    assert '"HOOP_KEY": "[redacted]"' in text
