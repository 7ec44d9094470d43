"""A failure inside the program names the component and resource; nothing is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stack_fixtures import copy_project

BROKEN_PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s


class Exploding(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("zsp:test:Exploding", name, None, opts)
        k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": "cfg", "namespace": "default"},
            data={"a": "b"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        raise ValueError("replicas must be odd")


Exploding("boom")
"""


def test_component_exception_names_component_and_last_resource(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "stacks" / "__main__.py").write_text(BROKEN_PROGRAM)
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "zsp.cli.main",
            "synth",
            "--stack",
            "dev",
            "--project-dir",
            str(project),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "component zsp:test:Exploding 'boom' failed: ValueError: replicas must be odd" in line
    assert "kubernetes:core/v1:ConfigMap 'boom-config'" in line
    assert not out.exists()
