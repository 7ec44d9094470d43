"""The README's offline demo (scripts/demo.sh) runs scan → migrate → verify → synth end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.timeout(300)
def test_offline_demo_script(project_root: Path, tmp_path: Path) -> None:
    sample = project_root / "examples" / "sample-repo"
    before = {p: p.read_bytes() for p in sample.rglob("*") if p.is_file()}
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "ZSP": f"{sys.executable} -m zsp.cli.main",
        "TMPDIR": str(tmp_path),
        "COLUMNS": "200",
    }
    result = subprocess.run(
        ["bash", str(project_root / "scripts" / "demo.sh")],
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for step in ("== 1. zsp scan", "== 3. zsp migrate apply", "== 5. zsp synth"):
        assert step in out
    assert "complete: 3 secrets, 6 files" in out
    assert "**PASS**" in out
    assert "Wrote " in out and "resources" in out
    # The bundled example is untouched, and no demo token reached the output.
    assert {p: p.read_bytes() for p in sample.rglob("*") if p.is_file()} == before
    assert "FAKEzspDemoKeyNotReal" not in out + result.stderr
    work = next(tmp_path.glob("zsp-demo.*"))
    migrated = (work / "project" / "stacks" / "Pulumi.dev.yaml").read_text()
    assert "upstreamSecret: zsp/dev/upstream/anthropic" in migrated
