"""Broken stack files give one line naming file, line and key, exit code 2, and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from stack_fixtures import copy_project, edit_stack
from zsp.components.config import StackConfigError, parse_duration, read_stack_file


def run_synth(project: Path, stack: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "zsp.cli.main",
            "synth",
            "--stack",
            stack,
            "--project-dir",
            str(project),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _unknown_key(config: dict[str, Any]) -> None:
    config["zsp:cluster"]["kubeContxt"] = "typo"


def _wrong_type(config: dict[str, Any]) -> None:
    config["zsp:endpoints"][0]["server"]["port"] = "eight-thousand"


def _missing(config: dict[str, Any]) -> None:
    del config["zsp:cluster"]["vpcId"]


def _unknown_top_level(config: dict[str, Any]) -> None:
    config["zsp:gatewy"] = {"replicas": 2}


@pytest.mark.parametrize(
    ("edit", "key", "words"),
    [
        (_unknown_key, "zsp:cluster.kubeContxt", "unknown key"),
        (_wrong_type, "zsp:endpoints[0].server.port", "valid integer"),
        (_missing, "zsp:cluster.vpcId", "required value is missing"),
        (_unknown_top_level, "zsp:gatewy", "unknown key"),
    ],
    ids=["unknown-key", "wrong-type", "missing-value", "unknown-section"],
)
def test_config_error_is_one_line_with_file_line_and_key(
    tmp_path: Path, edit: Any, key: str, words: str
) -> None:
    project = copy_project(tmp_path / "project")
    edit_stack(project, "dev", edit)
    out = tmp_path / "out"
    result = run_synth(project, "dev", out)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("zsp: error: stacks/Pulumi.dev.yaml:")
    assert f": {key}: " in lines[0]
    assert words in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists(), "nothing may be written for a broken config"


def test_error_names_the_line_of_the_offending_key(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit_stack(project, "dev", _wrong_type)
    text = (project / "stacks" / "Pulumi.dev.yaml").read_text().splitlines()
    expected = next(i for i, line in enumerate(text, 1) if "eight-thousand" in line)
    with pytest.raises(StackConfigError) as caught:
        read_stack_file(project, "dev").parse()
    assert caught.value.line == expected
    assert caught.value.key == "zsp:endpoints[0].server.port"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    path = project / "stacks" / "Pulumi.dev.yaml"
    lines = path.read_text().splitlines()
    lines.insert(5, "  zsp:broken: [unclosed, list")
    path.write_text("\n".join(lines) + "\n")
    result = run_synth(project, "dev", tmp_path / "out")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("zsp: error: stacks/Pulumi.dev.yaml:")
    assert "malformed YAML" in line
    location = line.split(":")[3]
    assert location.isdigit() and int(location) >= 6


def test_unknown_stack_is_a_clear_error(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    result = run_synth(project, "staging", tmp_path / "out")
    assert result.returncode == 2
    assert "stacks/Pulumi.staging.yaml: no such stack file" in result.stderr


def test_ttl_order_is_checked(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")

    def edit(config: dict[str, Any]) -> None:
        config["zsp:credentials"] = {"defaultTtl": "2h", "maxTtl": "1h"}

    edit_stack(project, "dev", edit)
    with pytest.raises(StackConfigError, match=r"zsp:credentials: .*defaultTtl \(7200s\) exceeds"):
        read_stack_file(project, "dev").parse()


@pytest.mark.parametrize(
    ("text", "seconds"), [("15m", 900), ("1h30m", 5400), (600, 600), ("45", 45), ("2h", 7200)]
)
def test_durations(text: Any, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15 minutes", "-5", 0, True, "1d"])
def test_bad_durations(text: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_one_hoop_agent_means_one_model_namespace(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")

    def edit(config: dict[str, Any]) -> None:
        second = dict(config["zsp:endpoints"][0])
        second["name"] = "qwen-coder"
        second["server"] = {**second["server"], "namespace": "models-b", "podLabels": {"app": "b"}}
        config["zsp:endpoints"].append(second)

    edit_stack(project, "dev", edit)
    with pytest.raises(StackConfigError, match=r"one hoop agent serves the stack") as caught:
        read_stack_file(project, "dev").parse()
    assert "['models', 'models-b']" in caught.value.message
