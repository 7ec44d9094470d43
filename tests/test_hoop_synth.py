"""``zsp synth`` lists every hoop object with its inputs, credentials redacted; edition limits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from synth_helpers import synth_stack
from zsp.cli.main import main
from zsp.cli.synth.hoop import hoop_objects
from zsp.components.policy import plan_stack


def expected_objects(stack: str) -> list[tuple[str, str]]:
    """What the stack must contain, derived from its config (robust to added endpoints)."""
    _, config = synth_stack(stack)
    assert config.hoop is not None and config.policy is not None
    plans = plan_stack(config.endpoints, config.policy, config.hoop.edition)
    objects = [
        ("hoop:agent", config.hoop.agent_name),
        ("hoop:proxy-listener", config.hoop.proxy_listen_address),
        *[("hoop:service-account", a.subject) for a in config.hoop.service_accounts],
    ]
    for name, plan in plans.items():
        objects += [
            ("hoop:connection", name),
            ("hoop:plugin-binding", f"audit → {name}"),
            ("hoop:plugin-binding", f"access_control → {name}"),
            ("hoop:guardrail", f"{name}-deny-model-mutations"),
        ]
        if plan.mask_entities:
            objects += [
                ("hoop:datamasking-rule", f"{name}-mask-pii"),
                ("hoop:plugin-binding", f"dlp → {name}"),
            ]
        if plan.jit:
            objects.append(("hoop:access-request-rule", f"{name}-jit"))
    return sorted(objects)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_hoop_object_is_listed_by_kind(stack: str) -> None:
    synthesis, _ = synth_stack(stack)
    assert [(o.kind, o.label) for o in hoop_objects(synthesis)] == expected_objects(stack)


def test_dev_has_the_objects_of_both_endpoints() -> None:
    labels = {o.label for o in hoop_objects(synth_stack("dev")[0])}
    assert {"openai", "qwen-chat", "openai-mask-pii", "qwen-chat-deny-model-mutations"} <= labels
    assert "zsp-dev-agent" in labels and "4h7k2m9p1q3r5s8t0v6w" in labels


def test_the_tree_lists_hoop_objects(
    project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project_root / ".zsp" / "synth" / "test-tree"
    assert (
        main(["synth", "--stack", "dev", "--project-dir", str(project_root), "--out", str(out)])
        == 0
    )
    text = capsys.readouterr().out
    assert "hoop:guardrail openai-deny-model-mutations" in text
    assert "hoop:plugin-binding access_control → qwen-chat" in text
    assert "hoop objects" in text


def test_credentials_are_redacted_and_the_provider_is_not_recorded() -> None:
    for stack in ("dev", "prod"):
        synthesis, _ = synth_stack(stack)
        for obj in hoop_objects(synthesis):
            assert obj.resource.inputs["auth"] == "[redacted]", obj.label
            assert "__provider" not in obj.resource.inputs
            assert obj.resource.type.startswith("pulumi-python:dynamic/hoop:")


def test_connections_reference_upstream_secrets_never_values() -> None:
    synthesis, _ = synth_stack("prod")
    conns = {
        o.label: o.resource.inputs for o in hoop_objects(synthesis) if o.kind == "hoop:connection"
    }
    assert conns["openai"]["headers"] == {
        "HEADER_AUTHORIZATION": "_aws:zsp/prod/upstream/openai:authorization"
    }
    assert conns["anthropic"]["headers"] == {
        "HEADER_X_API_KEY": "_aws:zsp/prod/upstream/anthropic:api_key"
    }
    assert conns["llama-vllm"]["headers"] == {}
    assert conns["llama-vllm"]["remote_url"] == "http://llama-vllm.models.svc.cluster.local:8000"


def test_prod_jit_rules_for_high_risk_endpoints_only() -> None:
    synthesis, _ = synth_stack("prod")
    rules = {
        o.label: o.resource.inputs
        for o in hoop_objects(synthesis)
        if o.kind == "hoop:access-request-rule"
    }
    assert sorted(rules) == ["anthropic-jit", "llama-vllm-jit"]
    assert rules["anthropic-jit"]["reviewers_groups"] == ["claims-leads"]
    assert rules["anthropic-jit"]["min_approvals"] == 1
    assert rules["anthropic-jit"]["access_max_duration"] == 900
    assert rules["llama-vllm-jit"]["reviewers_groups"] == ["ml-leads", "security"]
    assert rules["llama-vllm-jit"]["min_approvals"] == 2
    assert rules["llama-vllm-jit"]["access_max_duration"] == 1800


def test_synth_writes_hoop_json_and_no_secure_value(tmp_path: Path, project_root: Path) -> None:
    args = ["synth", "--stack", "prod", "--project-dir", str(project_root)]
    assert main([*args, "--out", str(tmp_path / "out"), "--format", "json"]) == 0
    listing = json.loads((tmp_path / "out" / "hoop.json").read_text())
    assert len(listing) == 24
    guard = next(o for o in listing if o["object"] == "anthropic-deny-model-mutations")
    assert guard["inputs"]["auth"] == "[redacted]"
    assert guard["api_url"] == "https://hoop.ai.example.com"
    text = "".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())
    stack_yaml = (project_root / "stacks" / "Pulumi.prod.yaml").read_text()
    for line in stack_yaml.splitlines():
        if "secure:" in line:
            assert line.split("secure:")[1].strip() not in text


def test_oss_edition_over_its_limits_fails_synth(
    tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    shutil.copytree(project_root / "stacks", project / "stacks")
    shutil.copy(project_root / "Pulumi.yaml", project / "Pulumi.yaml")
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("edition: enterprise", "edition: oss"))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["synth", "--stack", "dev", "--project-dir", str(project), "--out", str(out)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "zsp: error: stack dev: zsp:hoop.edition is 'oss': hoop allows 1 guardrail rule(s), "
        "this stack needs 2 (endpoints qwen-chat, openai); set zsp:hoop.edition: enterprise "
        "(licensed) or reduce the policy"
    )
    assert not out.exists()
