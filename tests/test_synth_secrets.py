"""Invariant 1 for synth: a secure config value reaches no byte synth writes or prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from stack_fixtures import copy_project, edit_stack

CANARY = "zsp-canary-4f1c9e7a2b8d4c6e9f0a1b2c3d4e5f60"

SECURE_PATHS: list[tuple[str, ...]] = [
    ("zsp:aws", "defaultTags", "owner"),
]
"""Where a secure value can sit in the stack file; each component's secret settings join here."""


def _set_path(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = config
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_canary_secure_values_appear_nowhere(tmp_path: Path, stack: str) -> None:
    project = copy_project(tmp_path / "project")

    def plant(config: dict[str, Any]) -> None:
        for path in SECURE_PATHS:
            _set_path(config, path, {"secure": CANARY})

    edit_stack(project, stack, plant)
    out = tmp_path / "out"
    result = subprocess.run(
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
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert CANARY not in result.stdout and CANARY not in result.stderr
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) >= 3
    for path in written:
        assert CANARY.encode() not in path.read_bytes(), path
    # the redaction marker is what stands in its place
    assert b"[redacted]" in (out / "resources.json").read_bytes()
