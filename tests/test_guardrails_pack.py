"""The CrossGuard pack for real: ``policies/__main__.py`` runs as the engine runs it (a process that
prints its gRPC port, with the stack config in ``PULUMI_CONFIG``), and we speak the analyzer
protocol to it: ``GetAnalyzerInfo``, ``Analyze`` (one resource) and ``AnalyzeStack``."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from fixtures_guardrails import OPENAI_KEY, ROOT, github_trust
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from ruamel.yaml import YAML
from zsp.components.config import read_stack_file
from zsp.components.rules import RULES

PACK = ROOT / "policies"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_entry_module_only_constructs_the_pack() -> None:
    tree = ast.parse((PACK / "__main__.py").read_text())
    body = [n for n in tree.body if not isinstance(n, ast.Expr | ast.Import | ast.ImportFrom)]
    calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    assert body == [] and len(calls) == 1
    call = calls[0].value
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    assert call.func.id == "PolicyPack"
    manifest = YAML(typ="safe").load((PACK / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    requirements = (PACK / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements and "-e .." in requirements


def _engine_config(stack: str) -> str:
    values = read_stack_file(ROOT, stack).values
    return json.dumps({k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()})


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    env = {
        **os.environ,
        "PULUMI_CONFIG": _engine_config("prod"),
        "PULUMI_PROJECT": "zsp",
        "PULUMI_STACK": "prod",
        "PULUMI_DRY_RUN": "true",
    }
    process = subprocess.Popen(
        [sys.executable, str(PACK / "__main__.py")],
        cwd=PACK,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=30)


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(props, struct)
    return struct


def _analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub, type_token: str, name: str, props: dict[str, Any]
) -> list[analyzer_pb2.AnalyzeDiagnostic]:
    request = analyzer_pb2.AnalyzeRequest(
        type=type_token,
        properties=_struct(props),
        urn=f"urn:pulumi:prod::zsp::{type_token}::{name}",
        name=name,
    )
    return list(stub.Analyze(request, timeout=60).diagnostics)


def test_pack_describes_every_rule(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
    assert info.name == "zsp-guardrails"
    names = {p.name for p in info.policies}
    for rule in RULES:
        assert rule.policy_name in names or f"{rule.policy_name}-stack" in names
    assert "zsp-policy-exceptions" in names


def test_analyze_reports_a_wildcard_trust_policy_as_mandatory(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    trust = github_trust(sub="repo:acme/*", operator="StringLike", account="444455556666")
    diagnostics = _analyze(
        analyzer, "aws:iam/role:Role", "ci", {"assumeRolePolicy": json.dumps(trust)}
    )
    [diag] = diagnostics
    assert diag.policyName == "ZSP001-trust-policy-pinned"
    assert diag.enforcementLevel == analyzer_pb2.MANDATORY
    assert diag.urn == "urn:pulumi:prod::zsp::aws:iam/role:Role::ci"
    assert "StringLike ['repo:acme/*']" in diag.message
    assert (
        _analyze(
            analyzer, "aws:iam/role:Role", "ok", {"assumeRolePolicy": json.dumps(github_trust())}
        )
        == []
    )


def test_analyze_judges_secrets_as_the_engine_sends_them(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    # A secret-marked Secret value arrives decrypted: the provider stores it as a secret.
    secret = {
        "metadata": {"name": "k", "namespace": "models"},
        "stringData": {"OPENAI_API_KEY": {**SECRET_SIG, "value": OPENAI_KEY}},
    }
    assert _analyze(analyzer, "kubernetes:core/v1:Secret", "k", secret) == []
    # The same key in a ConfigMap is plaintext in state: reported, without the value.
    config_map = {
        "metadata": {"name": "c", "namespace": "models"},
        "data": {"OPENAI_API_KEY": OPENAI_KEY},
    }
    [diag] = _analyze(analyzer, "kubernetes:core/v1:ConfigMap", "c", config_map)
    assert diag.policyName == "ZSP012-no-plaintext-secret"
    assert OPENAI_KEY not in diag.message


def test_analyze_skips_values_unknown_during_preview(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    assert _analyze(analyzer, "aws:iam/role:Role", "pending", {"assumeRolePolicy": UNKNOWN}) == []


def test_analyze_stack_requires_siem_shipping_in_prod(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    resource = analyzer_pb2.AnalyzerResource(
        type="kubernetes:core/v1:Namespace",
        properties=_struct({"metadata": {"name": "models"}}),
        urn="urn:pulumi:prod::zsp::kubernetes:core/v1:Namespace::ns-models",
        name="ns-models",
    )
    response = analyzer.AnalyzeStack(
        analyzer_pb2.AnalyzeStackRequest(resources=[resource]), timeout=60
    )
    by_policy = {d.policyName: d for d in response.diagnostics}
    assert "ZSP011-siem-shipping" in by_policy
    assert by_policy["ZSP011-siem-shipping"].enforcementLevel == analyzer_pb2.MANDATORY
    assert "ZSP004-endpoint-isolated" in by_policy  # llama-vllm has no isolation in this stack
