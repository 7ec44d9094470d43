"""``zsp synth`` writes the full desired state, and every Kubernetes manifest is valid for 1.31."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
from ruamel.yaml import YAML
from synth_helpers import synth_stack
from zsp.cli.synth.artifacts import APPLY_ORDER, kubernetes_manifests, write_artifacts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=["dev", "prod"])
def synthesized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack = request.param
    out = tmp_path_factory.mktemp(f"synth-{stack}") / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "zsp.cli.main",
            "synth",
            "--stack",
            stack,
            "--project-dir",
            str(ROOT),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "desired state" in result.stdout and "not a diff against the cloud" in result.stdout
    return out


def test_resources_json_lists_every_resource_with_parent_provider_and_inputs(
    synthesized: Path,
) -> None:
    document = json.loads((synthesized / "resources.json").read_text())
    assert document["project"] == "zsp"
    resources = document["resources"]
    by_urn = {r["urn"]: r for r in resources}
    assert len(by_urn) == len(resources)
    for resource in resources:
        assert set(resource) >= {
            "urn",
            "type",
            "name",
            "parent",
            "provider",
            "inputs",
            "dependencies",
        }
        assert resource["urn"].startswith(f"urn:pulumi:{document['stack']}::zsp::")
        dynamic = resource["type"].startswith("pulumi-python:dynamic")  # its own provider
        if (
            resource["custom"]
            and not resource["type"].startswith("pulumi:providers:")
            and not dynamic
        ):
            # every cloud resource goes through the stack's explicit providers, never a default one
            assert resource["provider"], resource["urn"]
            provider_type = by_urn[resource["provider"]]["type"]
            assert provider_type == f"pulumi:providers:{resource['type'].split(':')[0]}"
    models = [r for r in resources if r["type"] == "zsp:endpoint:ModelServer"]
    assert models, "the in-cluster model server component is recorded"
    children = [r for r in resources if r["parent"] == models[0]["urn"]]
    assert {c["type"] for c in children} == {
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:Service",
    }


def test_every_manifest_passes_kubernetes_validate_strict_1_31(synthesized: Path) -> None:
    files = sorted((synthesized / "manifests").glob("*.yaml"))
    assert files
    yaml = YAML(typ="safe", pure=True)
    for path in files:
        body = yaml.load(path.read_text())
        kubernetes_validate.validate(body, "1.31", strict=True)


def test_manifests_are_numbered_in_apply_order(synthesized: Path) -> None:
    yaml = YAML(typ="safe", pure=True)
    kinds = [
        yaml.load(p.read_text())["kind"] for p in sorted((synthesized / "manifests").glob("*"))
    ]
    ranks = [APPLY_ORDER.index(k) if k in APPLY_ORDER else len(APPLY_ORDER) for k in kinds]
    assert ranks == sorted(ranks)
    assert kinds[0] == "Namespace"


def test_the_in_cluster_model_is_pinned_and_hardened() -> None:
    synthesis, config = synth_stack("prod")
    [deployment] = [
        m.body
        for m in kubernetes_manifests(synthesis)
        if m.kind == "Deployment" and m.name == "llama-vllm"
    ]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "vllm/vllm-openai:v0.6.6"
    assert container["args"] == [
        "--model",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--port",
        "8000",
        "--max-model-len",
        "8192",
    ]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert deployment["spec"]["replicas"] == 2
    assert config.credentials.max_ttl == 1800


def test_write_artifacts_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    synthesis, _ = synth_stack("dev")
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        write_artifacts(synthesis, foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_rerun_replaces_the_previous_output(tmp_path: Path) -> None:
    synthesis, _ = synth_stack("dev")
    out = tmp_path / "out"
    write_artifacts(synthesis, out)
    (out / "manifests" / "stale.yaml").write_text("kind: Stale\n")
    write_artifacts(synthesis, out)
    assert not (out / "manifests" / "stale.yaml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no staging dirs left behind"


def test_tree_groups_by_component_and_counts() -> None:
    from rich.console import Console
    from zsp.cli.synth.tree import build_tree

    synthesis, _ = synth_stack("prod")
    console = Console(width=200, record=True)
    console.print(build_tree(synthesis))
    text = console.export_text()
    assert (
        f"stack prod — desired state, not a diff against the cloud ({len(synthesis.resources)}"
        in text
    )
    assert "model-llama-vllm zsp:endpoint:ModelServer (2 resources)" in text
    assert "1 × kubernetes:apps/v1:Deployment" in text
    compact = Console(width=200, record=True)
    compact.print(build_tree(synthesis, max_per_type=0))
    assert "… and 1 more zsp:endpoint:ModelServer" in compact.export_text()
