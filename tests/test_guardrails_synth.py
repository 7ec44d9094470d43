"""``zsp synth`` runs the guardrails over the real stack program: broken stacks (the example program
plus one bad resource) fail with the expected rule naming the resource; the table is printed,
``policy.json`` written, exit 1 on a mandatory violation; an expired exception blocks again."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fixtures_guardrails import OPENAI_KEY
from stack_fixtures import copy_project, edit_stack
from synth_helpers import synth_stack
from zsp.cli.synth import synthesize
from zsp.cli.synth.guardrails import check

BROKEN_PROGRAMS: dict[str, tuple[str, str]] = {
    "ZSP001": (
        "ci-wildcard",
        """
PROVIDER = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
aws.iam.Role(
    "ci-wildcard",
    assume_role_policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"},
            },
        }],
    }),
)
""",
    ),
    "ZSP002": (
        "long-session",
        """
aws.iam.Role(
    "long-session",
    max_session_duration=43200,
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}),
)
""",
    ),
    "ZSP003": (
        "day-long-client",
        """
aws.cognito.UserPoolClient(
    "day-long-client",
    user_pool_id="eu-west-1_abc123",
    access_token_validity=1,
    token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(access_token="days"),
)
""",
    ),
    "ZSP010": (
        "plain-http",
        """
k8s.networking.v1.Ingress(
    "plain-http",
    metadata=k8s.meta.v1.ObjectMetaArgs(name="plain-http", namespace="models"),
    spec=k8s.networking.v1.IngressSpecArgs(rules=[k8s.networking.v1.IngressRuleArgs(
        host="hoop.example.com",
        http=k8s.networking.v1.HTTPIngressRuleValueArgs(paths=[k8s.networking.v1.HTTPIngressPathArgs(
            path="/", path_type="Prefix",
            backend=k8s.networking.v1.IngressBackendArgs(service=k8s.networking.v1.IngressServiceBackendArgs(
                name="hoop", port=k8s.networking.v1.ServiceBackendPortArgs(number=8009))))]))]),
)
""",
    ),
    "ZSP012": (
        "leaky-env",
        f"""
k8s.core.v1.ConfigMap(
    "leaky-env",
    metadata=k8s.meta.v1.ObjectMetaArgs(name="leaky-env", namespace="models"),
    data={{"OPENAI_API_KEY": "{OPENAI_KEY}"}},
)
""",
    ),
    "ZSP013": (
        "unpinned",
        """
k8s.apps.v1.Deployment(
    "unpinned",
    metadata=k8s.meta.v1.ObjectMetaArgs(name="unpinned", namespace="models"),
    spec=k8s.apps.v1.DeploymentSpecArgs(
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "unpinned"}),
        template=k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "unpinned"}),
            spec=k8s.core.v1.PodSpecArgs(
                containers=[k8s.core.v1.ContainerArgs(name="c", image="nginx")]
            ),
        ),
    ),
)
""",
    ),
}


def _broken_project(tmp_path: Path, rule: str) -> Path:
    project = copy_project(tmp_path / "project")
    program = project / "stacks" / "__main__.py"
    snippet = BROKEN_PROGRAMS[rule][1]
    program.write_text(program.read_text() + "\nimport json  # noqa: E402\n" + snippet)
    return project


def _zsp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zsp.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "250"},
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_example_stacks_pass_with_zero_mandatory_violations(stack: str) -> None:
    synthesis, config = synth_stack(stack)
    report = check(synthesis, config)
    assert report.blocking == [], [(f.rule, f.resource, f.message) for f in report.blocking]


@pytest.mark.parametrize("rule", sorted(BROKEN_PROGRAMS))
def test_broken_program_fails_with_rule_naming_resource(tmp_path: Path, rule: str) -> None:
    project = _broken_project(tmp_path, rule)
    synthesis, config = synthesize(project, "dev")
    report = check(synthesis, config)
    resource = BROKEN_PROGRAMS[rule][0]
    hits = [f for f in report.blocking if f.rule == rule and f.resource == resource]
    assert hits, [(f.rule, f.resource, f.message) for f in report.findings]
    assert hits[0].urn is not None and hits[0].urn.endswith(f"::{resource}")
    assert OPENAI_KEY not in json.dumps(report.to_json())


def test_synth_prints_the_rule_table_writes_policy_json_and_exits_1(tmp_path: Path) -> None:
    project = _broken_project(tmp_path, "ZSP012")
    out = tmp_path / "out"
    result = _zsp("synth", "--stack", "dev", "--project-dir", str(project), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "Guardrails for stack dev" in result.stdout
    for column in ("rule", "severity", "status", "resource", "message"):
        assert column in result.stdout
    assert "ZSP012" in result.stdout and "leaky-env" in result.stdout
    assert "mandatory guardrail violation(s)" in result.stdout
    assert OPENAI_KEY not in result.stdout + result.stderr
    document = json.loads((out / "policy.json").read_text())
    assert document["passed"] is False and document["stack"] == "dev"
    assert any(f["rule"] == "ZSP012" and f["resource"] == "leaky-env" for f in document["findings"])
    assert {r["id"] for r in document["rules"]} >= {"ZSP001", "ZSP013"}
    assert OPENAI_KEY.encode() not in (out / "policy.json").read_bytes()


def _except(project: Path, expires: datetime.date) -> None:
    def edit(config: dict[str, Any]) -> None:
        policy = config.setdefault("zsp:guardrails", {})
        policy["exceptions"] = [
            {
                "rule": "ZSP013",
                "resource": "unpinned",
                "reason": "vendor image without tags, pinned by digest in INC-7 follow-up",
                "expires": expires.isoformat(),
            }
        ]

    edit_stack(project, "dev", edit)


def test_synth_reports_exceptions_and_an_expired_one_blocks_again(tmp_path: Path) -> None:
    today = datetime.datetime.now(datetime.UTC).date()
    project = _broken_project(tmp_path, "ZSP013")

    _except(project, today + datetime.timedelta(days=30))
    out = tmp_path / "active"
    result = _zsp("synth", "--stack", "dev", "--project-dir", str(project), "--out", str(out))
    assert "Policy exceptions" in result.stdout and "active" in result.stdout
    findings = json.loads((out / "policy.json").read_text())["findings"]
    [unpinned] = [f for f in findings if f["resource"] == "unpinned"]
    assert unpinned["status"] == "excepted"

    _except(project, today - datetime.timedelta(days=1))
    out = tmp_path / "expired"
    result = _zsp("synth", "--stack", "dev", "--project-dir", str(project), "--out", str(out))
    assert result.returncode == 1
    assert "expired" in result.stdout and "EXPIRED" in result.stdout
    findings = json.loads((out / "policy.json").read_text())["findings"]
    [unpinned] = [f for f in findings if f["resource"] == "unpinned"]
    assert unpinned["status"] == "violation" and unpinned["level"] == "mandatory"
    assert "EXPIRED" in unpinned["note"]


def test_json_format_carries_the_verdict(tmp_path: Path) -> None:
    project = _broken_project(tmp_path, "ZSP001")
    result = _zsp(
        "synth",
        "--stack",
        "dev",
        "--project-dir",
        str(project),
        "--out",
        str(tmp_path / "o"),
        "--format",
        "json",
    )
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["policy"]["passed"] is False and summary["policy"]["mandatory"] >= 1
