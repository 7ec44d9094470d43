"""Caller templates: GitHub Actions, GitLab CI and Kubernetes, rendered with the dev stack's
values — no stored secret anywhere, and the identity each declares matches the role's trust."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest
from ruamel.yaml import YAML
from synth_helpers import synth_stack
from zsp.cli.creds.snippets import render_snippet

SECRETISH = ("client_secret", "CLIENT_SECRET:", "API_KEY:", "password", "httpproxy-")


def values(workload: str) -> dict[str, Any]:
    s, config = synth_stack("dev")
    assert config.identity is not None
    w = next(w for w in config.identity.workloads if w.name == workload)
    role = next(
        r for r in s.of_type("aws:iam/role:Role") if r.name == f"identity-workloads-{workload}"
    )
    client = s.outputs["identity"]["cognito"]["machineClients"][w.consumer]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    subject = next(v for k, v in trust.items() if k.endswith(":sub"))
    arn = f"arn:aws:iam::{config.aws.account_id}:role/{role.inputs['name']}"
    return {
        "consumer": w.consumer,
        "subject": subject,
        "role_arn": arn,
        "region": config.aws_region,
        "gateway_url": str(config.identity.gateway_api_url).rstrip("/"),
        "issuer": f"https://cognito-idp.{config.aws_region}.amazonaws.com/eu-west-1_EXAMPLE",
        "client_id": "4example0client0id0support0bot",
        "audience": "4example0client0id0support0bot",
        "audience_sts": w.sts_audience,
        "scope": "inference/predict",
        "secret_arn": client["secretArn"],
        "connection": "openai",
        "zsp_version": "0.1.0",
        "module": "app.smoke",
        "github_environment": subject.rsplit(":", 1)[-1],
        "namespace": subject.split(":")[2],
        "service_account": subject.split(":")[3] if subject.startswith("system:") else "x",
        "image": "ghcr.io/acme/support-bot:1.4.2",
        "max_duration": f"{config.credentials.max_ttl}s",
    }


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def test_github_actions_job_uses_its_oidc_token_and_the_pinned_environment() -> None:
    v = values("support-bot-deploy")
    doc = load(render_snippet("github", v))
    assert doc["permissions"] == {"id-token": "write", "contents": "read"}
    job = doc["jobs"]["call-inference"]
    # The role's sub is repo:acme/support-bot:environment:dev — only this environment matches.
    assert v["subject"] == "repo:acme/support-bot:environment:dev"
    assert job["environment"] == "dev"
    aws_step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/"))
    assert (
        aws_step["with"]["role-to-assume"]
        == "arn:aws:iam::111122223333:role/zsp-dev-support-bot-deploy"
    )
    creds_step = job["steps"][-1]
    assert creds_step["env"]["ZSP_CLIENT_SECRET_ARN"].startswith(
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:zsp/dev/idp/support-bot-"
    )
    assert (
        "zsp creds --connection openai --duration 15m --format env --no-cache" in creds_step["run"]
    )
    assert 'echo "::add-mask::$OPENAI_API_KEY"' in creds_step["run"]
    assert creds_step["env"]["ZSP_MAX_DURATION"] == "3600s"
    text = render_snippet("github", v)
    assert not any(s in text for s in SECRETISH)


def test_github_entra_variant_needs_no_aws_and_no_secret() -> None:
    v = values("support-bot-deploy") | {"idp": "entra"}
    doc = load(render_snippet("github", v))
    steps = doc["jobs"]["call-inference"]["steps"]
    assert not any("aws-actions" in str(s.get("uses", "")) for s in steps)
    assert steps[-1]["env"]["ZSP_FLOW"] == "federated"
    assert "ZSP_CLIENT_SECRET_ARN" not in steps[-1]["env"]


def test_gitlab_job_requests_an_id_token_with_the_sts_audience() -> None:
    v = values("eval-jobs-ci")
    text = render_snippet("gitlab", v)
    doc = load(text)
    job = doc["eval-jobs-inference"]
    assert job["id_tokens"] == {"ZSP_AWS_ID_TOKEN": {"aud": "sts.amazonaws.com"}}
    assert job["rules"] == [{"if": '$CI_COMMIT_BRANCH == "main"'}]
    assert v["subject"] == "project_path:acme/ml/eval-jobs:ref_type:branch:ref:main"
    assert job["variables"]["AWS_ROLE_ARN"] == "arn:aws:iam::111122223333:role/zsp-dev-eval-jobs-ci"
    assert job["variables"]["AWS_WEB_IDENTITY_TOKEN_FILE"] == "/tmp/zsp-web-identity-token"
    assert job["variables"]["ZSP_MAX_DURATION"] == "3600s"
    assert any("zsp creds --connection openai" in line for line in job["script"])
    assert not any(s in text for s in SECRETISH)


def test_kubernetes_example_is_valid_and_uses_irsa_not_a_secret() -> None:
    v = values("support-bot-pod")
    docs = [d for d in YAML(typ="safe").load_all(render_snippet("kubernetes", v)) if d]
    assert [d["kind"] for d in docs] == ["ServiceAccount", "Deployment"]
    for d in docs:
        kubernetes_validate.validate(d, "1.31", strict=True)
        assert d["metadata"]["namespace"] == "apps"
    sa, deploy = docs
    assert sa["metadata"]["name"] == "support-bot"
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        "arn:aws:iam::111122223333:role/zsp-dev-support-bot-pod"
    )
    pod = deploy["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "support-bot"
    container = pod["containers"][0]
    assert "envFrom" not in container
    assert not any("valueFrom" in e for e in container["env"])  # no Secret reference at all
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_missing_value_is_an_error_not_an_empty_field() -> None:
    import jinja2

    v = values("support-bot-pod")
    del v["role_arn"]
    with pytest.raises(jinja2.UndefinedError, match="role_arn"):
        render_snippet("kubernetes", v)
