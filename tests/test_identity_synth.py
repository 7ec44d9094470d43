"""The identity section of both stacks, as the stack program registers it (set_mocks via synth).

Asserts the values reviewers check: token validities, callback URL, session limits, exact trust
conditions, the secret-to-role wiring, and that a wildcard ``sub`` fails synth unless allowed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from synth_helpers import synth_stack
from zsp.cli.synth import synthesize
from zsp.cli.synth.model import Synthesis
from zsp.components.config import StackConfigError

ROOT = Path(__file__).resolve().parent.parent


def named(s: Synthesis, type_token: str) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in s.of_type(type_token)}


def test_dev_cognito_clients_have_bounded_token_validity() -> None:
    s, config = synth_stack("dev")
    clients = named(s, "aws:cognito/userPoolClient:UserPoolClient")
    web = clients["identity-cognito-gateway"]
    assert web["allowedOauthFlows"] == ["code"]
    assert web["callbackUrls"] == ["https://hoop.ai-dev.example.com/api/callback"]
    assert web["generateSecret"] is True
    assert web["accessTokenValidity"] == 15 and web["idTokenValidity"] == 15
    assert web["refreshTokenValidity"] == 480
    assert web["tokenValidityUnits"] == {
        "accessToken": "minutes",
        "idToken": "minutes",
        "refreshToken": "minutes",
    }
    bot = clients["identity-cognito-client-support-bot"]
    assert bot["allowedOauthFlows"] == ["client_credentials"]
    assert bot["allowedOauthScopes"] == ["inference/predict"]
    assert bot["accessTokenValidity"] == 15  # zsp:credentials.defaultTtl = 15m
    assert clients["identity-cognito-client-eval-jobs"]["accessTokenValidity"] == 10
    assert config.credentials.max_ttl == 3600


def test_prod_machine_clients_follow_stricter_ttls() -> None:
    s, _ = synth_stack("prod")
    clients = named(s, "aws:cognito/userPoolClient:UserPoolClient")
    assert clients["identity-cognito-client-support-bot"]["accessTokenValidity"] == 10
    assert clients["identity-cognito-client-claims-triage"]["accessTokenValidity"] == 5
    assert clients["identity-cognito-gateway"]["accessTokenValidity"] == 10
    pool = named(s, "aws:cognito/userPool:UserPool")["identity-cognito-pool"]
    assert pool["deletionProtection"] == "ACTIVE"
    assert pool["mfaConfiguration"] == "ON"
    scopes = named(s, "aws:cognito/resourceServer:ResourceServer")[
        "identity-cognito-resource-server"
    ]
    assert scopes["identifier"] == "inference"
    assert [x["scopeName"] for x in scopes["scopes"]] == ["predict", "admin"]
    groups = named(s, "aws:cognito/userGroup:UserGroup")
    assert sorted(g["name"] for g in groups.values()) == [
        "claims",
        "claims-leads",
        "ml-engineers",
        "ml-leads",
        "security",
        "support",
    ]


def test_client_secret_value_never_reaches_synth_output() -> None:
    s, _ = synth_stack("dev")
    versions = named(s, "aws:secretsmanager/secretVersion:SecretVersion")
    assert len(versions) == 3
    assert {v["secretString"] for v in versions.values()} == {"[redacted]"}


def test_workload_roles_trust_exactly_one_subject() -> None:
    s, _ = synth_stack("prod")
    roles = {
        r.name: r.inputs
        for r in s.of_type("aws:iam/role:Role", under="zsp:identity:WorkloadIdentity")
    }
    role = roles["identity-workloads-support-bot-release"]
    assert role["name"] == "zsp-prod-support-bot-release"
    assert role["maxSessionDuration"] == 3600
    trust = json.loads(role["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {
        "Federated": "arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com"
    }
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/support-bot:environment:prod",
        }
    }
    gitlab = json.loads(roles["identity-workloads-claims-triage-ci"]["assumeRolePolicy"])
    assert gitlab["Statement"][0]["Condition"]["StringEquals"] == {
        "gitlab.com:aud": "sts.amazonaws.com",
        "gitlab.com:sub": "project_path:acme/claims/triage:ref_type:branch:ref:main",
    }
    for r in roles.values():
        cond = json.loads(r["assumeRolePolicy"])["Statement"][0]["Condition"]
        assert list(cond) == ["StringEquals"], r["name"]
        assert "zsp:wildcard-sub" not in r["tags"]


def test_oidc_providers_for_github_gitlab_and_eks() -> None:
    s, config = synth_stack("dev")
    providers = {
        p["url"]: p["clientIdLists"]
        for p in named(s, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").values()
    }
    assert providers == {
        "https://token.actions.githubusercontent.com": ["sts.amazonaws.com"],
        "https://gitlab.com": ["sts.amazonaws.com"],
        str(config.cluster.oidc_issuer_url).rstrip("/"): ["sts.amazonaws.com"],
    }


def test_each_role_reads_only_its_consumers_secret() -> None:
    s, _ = synth_stack("dev")
    policies = named(s, "aws:iam/rolePolicy:RolePolicy")
    doc = json.loads(policies["identity-workloads-eval-jobs-ci-read-client-secret"]["policy"])
    assert doc["Statement"] == [
        {
            "Sid": "ReadOwnMachineClientSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": (
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:zsp/dev/idp/eval-jobs-c97378"
            ),
        }
    ]
    secret_policies = named(s, "aws:secretsmanager/secretPolicy:SecretPolicy")
    bot = json.loads(secret_policies["identity-workloads-support-bot-secret-policy"]["policy"])
    assert bot["Statement"][0]["Principal"] == {
        "AWS": [
            "arn:aws:iam::111122223333:role/zsp-dev-support-bot-deploy",
            "arn:aws:iam::111122223333:role/zsp-dev-support-bot-pod",
        ]
    }
    assert (
        secret_policies["identity-workloads-support-bot-secret-policy"]["blockPublicPolicy"] is True
    )


def test_entra_federated_credentials_match_ci_subjects() -> None:
    s, _ = synth_stack("prod")
    fics = named(
        s,
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    )
    gh = fics["identity-entra-fic-support-bot-release"]
    assert gh["issuer"] == "https://token.actions.githubusercontent.com"
    assert gh["subject"] == "repo:acme/support-bot:environment:prod"
    assert gh["audiences"] == ["api://AzureADTokenExchange"]
    redirects = named(s, "azuread:index/applicationRedirectUris:ApplicationRedirectUris")
    assert redirects["identity-entra-gateway-redirect"]["redirectUris"] == [
        "https://hoop.ai.example.com/api/callback"
    ]


def test_stack_exports_gateway_idp_settings() -> None:
    s, _ = synth_stack("dev")
    idp = s.outputs["identity"]["idp"]
    assert idp["issuer"].startswith("https://cognito-idp.eu-west-1.amazonaws.com/")
    assert idp["groupsClaim"] == "cognito:groups"
    assert idp["clientId"] == idp["audience"]
    assert idp["clientSecret"] == "[redacted]"  # a Pulumi secret: never in synth output
    assert set(s.outputs["identity"]["workloadRoleArns"]) == {
        "support-bot-deploy",
        "eval-jobs-ci",
        "support-bot-pod",
        "docs-search-pod",
    }


# -- config changes: a copy of the project with an edited stack file --------------------------


def project_with(tmp_path: Path, edit: str, replace: str) -> Path:
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "__main__.py", tmp_path / "stacks" / "__main__.py")
    text = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    assert edit in text
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(text.replace(edit, replace))
    return tmp_path


WILDCARD = "subject: repo:acme/support-bot:environment:*"


def test_wildcard_sub_makes_synth_fail_naming_workload_and_line(tmp_path: Path) -> None:
    project = project_with(tmp_path, "subject: repo:acme/support-bot:environment:dev", WILDCARD)
    with pytest.raises(StackConfigError) as err:
        synthesize(project, "dev")
    text = str(err.value)
    lines = (project / "stacks" / "Pulumi.dev.yaml").read_text().splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if "name: support-bot-deploy" in ln)
    assert text.startswith(f"stacks/Pulumi.dev.yaml:{line}: zsp:identity.workloads[0]:")
    assert (
        "workload 'support-bot-deploy' subject 'repo:acme/support-bot:environment:*' "
        "contains a wildcard" in text
    )


def test_missing_sub_makes_synth_fail(tmp_path: Path) -> None:
    project = project_with(
        tmp_path, "        subject: system:serviceaccount:apps:docs-search\n", "\n"
    )
    with pytest.raises(StackConfigError, match="workload 'docs-search-pod' has no subject"):
        synthesize(project, "dev")


def test_allowed_wildcard_is_tagged_for_synth_reports(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        "subject: repo:acme/support-bot:environment:dev",
        WILDCARD + "\n        allowWildcard: ephemeral preview environments - one per PR",
    )
    s, _ = synthesize(project, "dev")
    role = named(s, "aws:iam/role:Role")["identity-workloads-support-bot-deploy"]
    assert role["tags"]["zsp:wildcard-sub"] == "ephemeral preview environments - one per PR"
    cond = json.loads(role["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert cond["StringLike"] == {
        "token.actions.githubusercontent.com:sub": "repo:acme/support-bot:environment:*"
    }
    assert cond["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    # Entra matches subjects exactly, so a wildcard workload gets no federated credential there.
    fics = named(
        s,
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    )
    assert "identity-entra-fic-support-bot-deploy" not in fics


def test_session_duration_above_hard_max_is_refused(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        "        subject: system:serviceaccount:apps:docs-search\n",
        "        subject: system:serviceaccount:apps:docs-search\n        maxSessionDuration: 2h\n",
    )
    with pytest.raises(
        StackConfigError,
        match=r"workload 'docs-search-pod' maxSessionDuration \(7200s\) exceeds "
        r"maxSessionDurationLimit \(3600s\)",
    ):
        synthesize(project, "dev")


def test_access_token_validity_above_max_ttl_is_refused(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        "{name: eval-jobs, scopes: [predict], accessTokenValidity: 10m}",
        "{name: eval-jobs, scopes: [predict], accessTokenValidity: 2h}",
    )
    with pytest.raises(
        StackConfigError,
        match=r"consumer 'eval-jobs' accessTokenValidity \(7200s\) exceeds "
        r"zsp:credentials.maxTtl \(3600s\)",
    ):
        synthesize(project, "dev")


def test_workload_for_unknown_consumer_is_refused(tmp_path: Path) -> None:
    project = project_with(tmp_path, "consumer: eval-jobs", "consumer: eval-job")
    with pytest.raises(
        StackConfigError, match="names consumer 'eval-job', which is not in consumers"
    ):
        synthesize(project, "dev")


COMPONENT_PROGRAM = """
import pulumi
from zsp.components.config import Workload
from zsp.components.identity import WorkloadIdentity, WorkloadIdentityArgs

workload = Workload.model_construct(  # bypasses config validation: the component must refuse
    name="ci", consumer="bot", provider="github", subject={subject!r}, audience=None,
    max_session_duration={duration}, allow_wildcard=None,
)
WorkloadIdentity(
    "wl",
    WorkloadIdentityArgs(
        environment="dev",
        workloads=[workload],
        eks_issuer_url="https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        consumer_secret_arns={{"bot": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x"}},
    ),
)
"""


@pytest.mark.parametrize(
    ("subject", "duration", "message"),
    [
        ("repo:acme/*", 3600, "workload 'ci' subject 'repo:acme/\\*' contains a wildcard"),
        (None, 3600, "workload 'ci' has no subject"),
        ("repo:acme/app:environment:prod", 7200, "exceeds the hard maximum 3600s"),
    ],
)
def test_component_refuses_on_its_own_and_registers_nothing(
    tmp_path: Path, subject: str | None, duration: int, message: str
) -> None:
    from zsp.cli.synth.runner import SynthError

    project = project_with(tmp_path, "zsp:environment: dev", "zsp:environment: dev")
    (project / "stacks" / "__main__.py").write_text(
        COMPONENT_PROGRAM.format(subject=subject, duration=duration)
    )
    with pytest.raises(SynthError, match=message) as err:
        synthesize(project, "dev")
    assert "component zsp:identity:WorkloadIdentity 'wl'" in str(err.value)
    # Refused before any child: the last registration is the component itself, no IAM object.
    assert "aws:iam/" not in str(err.value)
