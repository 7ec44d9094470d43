"""checkov's Kubernetes checks over the synthesized manifests: every failure is fixed or accepted.

checkov pins ``boto3==1.35.49`` (conflicting with the project's dependencies), so it runs from its
own virtualenv made by ``scripts/checkov-venv.sh`` (``.ci/run`` does this) or ``$ZSP_CHECKOV``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from synth_helpers import synth_stack
from zsp.cli.synth.artifacts import write_artifacts

ROOT = Path(__file__).resolve().parent.parent


def checkov_binary() -> str:
    for candidate in (
        os.environ.get("ZSP_CHECKOV"),
        str(ROOT / ".venv-checkov" / "bin" / "checkov"),
        shutil.which("checkov"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    message = "checkov not found: run scripts/checkov-venv.sh (or set ZSP_CHECKOV)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def accepted_findings() -> list[tuple[set[str], list[str]]]:
    """``(check ids, resource patterns)`` per bullet of README's accepted checkov findings."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Security notes", 1)[1]
    accepted = []
    for bullet in re.split(r"\n(?=- )", section):
        if not bullet.startswith("- `CKV"):
            continue
        head = bullet.split(":", 1)[0]
        ids = set(re.findall(r"CKV2?_[A-Z0-9]+_\d+", head))
        patterns = [p for p in re.findall(r"`([^`]+)`", head) if not p.startswith("CKV")]
        assert ids, bullet
        accepted.append((ids, patterns))
    return accepted


@pytest.mark.timeout(900)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_checkov_kubernetes_findings_are_fixed_or_accepted(stack: str, tmp_path: Path) -> None:
    binary = checkov_binary()
    synthesis, _ = synth_stack(stack)
    out = tmp_path / "synth"
    counts = write_artifacts(synthesis, out)
    assert counts["manifests"] > 20
    proc = subprocess.run(
        [binary, "-d", str(out / "manifests"), "--framework", "kubernetes", "-o", "json",
         "--quiet", "--skip-download"],
        capture_output=True, text=True, timeout=800, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 20
    assert report["summary"]["passed"] > 100
    accepted = accepted_findings()
    assert {"CKV_K8S_43", "CKV_K8S_35", "CKV_K8S_8", "CKV_K8S_9"} == set().union(
        *(ids for ids, _ in accepted)
    ), "README lists a different set of accepted checks: update this test with it"
    unexplained = [
        f"{f['check_id']} {f['resource']}: {f['check_name']}"
        for f in report["results"]["failed_checks"]
        if not any(
            f["check_id"] in ids
            and (not patterns or any(fnmatch.fnmatch(f["resource"], p) for p in patterns))
            for ids, patterns in accepted
        )
    ]
    assert unexplained == [], "fix these or list them in README ## Security notes"
