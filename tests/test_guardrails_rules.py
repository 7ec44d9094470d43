"""Every rule fails its deliberately broken stack and passes the compliant one, through the rule
library and through the CrossGuard wrappers (validate functions called with constructed
``ResourceValidationArgs`` / ``StackValidationArgs``, props wrapped as the analyzer wraps them).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fixtures_guardrails import (
    ACCOUNT,
    BREAKS,
    OPENAI_KEY,
    TODAY,
    Break,
    Builder,
    compliant,
    crossguard_run,
    github_trust,
    load_config,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy
from zsp.components.config import StackConfig
from zsp.components.rules import BY_ID, RULES, ResourceView, evaluate
from zsp.components.rules.crossguard import build_policies, plain

RULES_DIR = Path(__file__).resolve().parent.parent / "components" / "rules"


# --- the rule set itself -------------------------------------------------------------------------


def test_one_file_per_rule_with_stable_ids_and_documentation() -> None:
    ids = [rule.id for rule in RULES]
    assert ids == [f"ZSP{n:03d}" for n in range(1, len(RULES) + 1)]
    files = sorted(p.stem for p in RULES_DIR.glob("zsp[0-9][0-9][0-9]_*.py"))
    assert [f[:6].upper() for f in files] == ids
    for rule in RULES:
        assert rule.rationale and rule.remediation and rule.title
        assert "\n" not in rule.rationale and "\n" not in rule.remediation
        assert rule.has_resource_check or rule.has_stack_check
    assert {b.rule for b in BREAKS} == set(ids), "every rule needs a broken fixture"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_compliant_stack_passes_every_rule(stack: str) -> None:
    config = load_config(stack)
    report = evaluate(compliant(config), config, stack, today=TODAY)
    assert report.findings == []
    assert crossguard_run(compliant(config), config) == []


def test_broken_stack_fails_with_the_rule_naming_the_resource(
    broken: tuple[Break, StackConfig, list[ResourceView]],
) -> None:
    case, config, resources = broken
    report = evaluate(resources, config, case.stack, today=TODAY)
    assert {f.rule for f in report.blocking} == {case.rule}, report.findings
    assert case.resource in {f.resource for f in report.blocking}
    assert not report.to_json()["passed"]


def test_broken_stack_fails_through_crossguard(
    broken: tuple[Break, StackConfig, list[ResourceView]],
) -> None:
    case, config, resources = broken
    reported = crossguard_run(resources, config)
    assert reported, f"{case.rule} reported nothing through CrossGuard"
    assert {name.split("-", 1)[0] for name, _, _ in reported} == {case.rule}
    expected = next(r for r in resources if r.name == case.resource)
    assert any(urn == expected.urn or case.resource in message for _, message, urn in reported)
    assert all(message.startswith(f"[{case.rule}]") for _, message, _ in reported)


def test_crossguard_policies_carry_rule_metadata() -> None:
    config = load_config("prod")
    policies = build_policies(config)
    names = {p.name for p in policies}
    for rule in RULES:
        assert any(n == rule.policy_name or n == f"{rule.policy_name}-stack" for n in names)
    zsp001 = next(p for p in policies if p.name == "ZSP001-trust-policy-pinned")
    assert zsp001.severity is not None and zsp001.severity.value == "critical"
    assert zsp001.enforcement_level is not None and zsp001.enforcement_level.value == "mandatory"
    assert zsp001.remediation_steps == BY_ID["ZSP001"].remediation


# --- ZSP001 trust policies -----------------------------------------------------------------------


def _trust_findings(trust: dict[str, Any], tags: dict[str, str] | None = None) -> list[str]:
    config = load_config("dev")
    role = Builder("dev").role("ci", trust, tags=tags)
    report = evaluate([role], config, "dev", today=TODAY, rules=[BY_ID["ZSP001"]])
    return [f"{f.status}: {f.message}" for f in report.findings]


def test_trust_policy_exact_sub_and_aud_pass() -> None:
    assert _trust_findings(github_trust()) == []
    # several exact subjects are still exact
    assert (
        _trust_findings(
            github_trust(sub=["repo:acme/a:ref:refs/heads/main", "repo:acme/b:environment:prod"])
        )
        == []
    )


@pytest.mark.parametrize(
    ("trust", "expected"),
    [
        (github_trust(sub=None), "no condition on token.actions.githubusercontent.com:sub"),
        (github_trust(aud=None), "no condition on token.actions.githubusercontent.com:aud"),
        (github_trust(sub="repo:*/*", operator="StringLike"), "with StringLike ['repo:*/*']"),
        (
            github_trust(
                sub="repo:acme/app:ref:refs/heads/main", operator="ForAllValues:StringEquals"
            ),
            "uses ForAllValues:StringEquals on the single-valued claim",
        ),
        (
            github_trust(
                sub="repo:acme/app:ref:refs/heads/main", operator="StringEqualsIgnoreCase"
            ),
            "with StringEqualsIgnoreCase",
        ),
        (
            github_trust(sub="repo:acme/app:ref:refs/heads/main", operator="StringEqualsIfExists"),
            "with StringEqualsIfExists",
        ),
        (
            github_trust(sub="*"),
            "pins token.actions.githubusercontent.com:sub to an empty or '*' value",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}],
            },
            "trusts Principal '*'",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "Federated": f"arn:aws:iam::{ACCOUNT['dev']}:oidc-provider/gitlab.com"
                        },
                        "Action": ["sts:AssumeRoleWithWebIdentity"],
                    }
                ],
            },
            "no condition on gitlab.com:aud",
        ),
    ],
)
def test_trust_policy_violations(trust: dict[str, Any], expected: str) -> None:
    findings = _trust_findings(trust)
    assert any(expected in f and f.startswith("violation") for f in findings), findings


def test_wildcard_sub_with_tag_is_reported_not_passed_silently() -> None:
    trust = github_trust(sub="repo:acme/*:environment:prod", operator="StringLike")
    findings = _trust_findings(
        trust, tags={"zsp:wildcard-sub": "org-wide deploy role, reviewed by secops"}
    )
    assert findings == [
        "acknowledged: Statement[0] allows wildcard token.actions.githubusercontent.com:sub "
        "['repo:acme/*:environment:prod']"
    ]
    # the tag never excuses a loose audience
    trust = github_trust(sub="repo:acme/*", operator="StringLike", aud="*")
    assert any(
        f.startswith("violation") for f in _trust_findings(trust, tags={"zsp:wildcard-sub": "x"})
    )


def test_service_principal_trust_is_not_a_web_identity_statement() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    assert _trust_findings(trust) == []


# --- ZSP002 / ZSP003 maxima ----------------------------------------------------------------------


def test_role_session_default_and_configured_maximum() -> None:
    b = Builder("dev")
    unset = b.role("r", github_trust(), max_session=None)  # AWS default 3600
    config = load_config("dev", guardrails={"maxRoleSessionDuration": "2h"})
    rule = BY_ID["ZSP002"]
    two_hours = b.role("r2", github_trust(), max_session=7200)
    three_hours = b.role("r3", github_trust(), max_session=10800)
    report = evaluate([unset, two_hours, three_hours], config, "dev", today=TODAY, rules=[rule])
    assert [(f.resource, f.message) for f in report.findings] == [
        ("r3", "maxSessionDuration 3h exceeds the maximum 2h")
    ]


@pytest.mark.parametrize(
    ("validity", "unit", "violates"),
    [
        (15, "minutes", False),
        (30, "minutes", False),
        (31, "minutes", True),
        (1, "hours", True),
        (1, None, True),  # Cognito's default unit is hours
        (None, None, True),  # unset: Cognito default 60 minutes
        (1800, "seconds", False),
    ],
)
def test_access_token_validity_units(
    validity: int | None, unit: str | None, violates: bool
) -> None:
    config = load_config("prod")  # maxAccessTokenValidity 30m
    client = Builder("prod").cognito_client("c", validity, unit)
    report = evaluate([client], config, "prod", today=TODAY, rules=[BY_ID["ZSP003"]])
    assert bool(report.findings) is violates


def test_access_token_maximum_defaults_to_credentials_max_ttl() -> None:
    config = load_config("prod", guardrails={})
    assert config.guardrails.max_access_token_validity is None
    client = Builder("prod").cognito_client("c", 45, "minutes")  # credentials.maxTtl is 30m
    report = evaluate([client], config, "prod", today=TODAY, rules=[BY_ID["ZSP003"]])
    assert [f.message for f in report.findings] == [
        "accessTokenValidity 45 minutes = 45m exceeds the maximum 30m"
    ]


# --- ZSP004 isolation ----------------------------------------------------------------------------


def _isolation_messages(resources: list[ResourceView]) -> list[str]:
    config = load_config("dev")
    report = evaluate(resources, config, "dev", today=TODAY, rules=[BY_ID["ZSP004"]])
    return [f"{f.resource}: {f.message}" for f in report.findings]


def _with_peers(peers: list[dict[str, Any]] | None) -> list[ResourceView]:
    config = load_config("dev")
    resources = [r for r in compliant(config) if r.name != "isolate-qwen-chat"]
    if peers is not None:
        resources.append(
            Builder("dev").network_policy(
                "isolate-qwen-chat", "models", {"app": "qwen-chat"}, peers
            )
        )
    return resources


@pytest.mark.parametrize(
    ("peers", "expected"),
    [
        (None, "model-qwen-chat: endpoint qwen-chat: no Ingress NetworkPolicy in namespace models"),
        ([], "ingress[0] has no 'from': it admits every source"),
        ([{"podSelector": {}}], "admits every pod of the selected namespaces"),
        (
            [
                {
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "hoop-agent"}},
                    "namespaceSelector": {},
                }
            ],
            "from any namespace",
        ),
        (
            [{"podSelector": {"matchLabels": {"app": "something-else"}}}],
            "selects no hoop agent pods",
        ),
        (
            [
                {
                    "podSelector": {
                        "matchExpressions": [
                            {"key": "app.kubernetes.io/name", "operator": "Exists"}
                        ]
                    }
                }
            ],
            "also selects non-agent workloads ['model-qwen-chat']",
        ),
    ],
)
def test_isolation_peer_shapes(peers: list[dict[str, Any]] | None, expected: str) -> None:
    messages = _isolation_messages(_with_peers(peers))
    assert any(expected in m for m in messages), messages


def test_isolation_accepts_agent_in_another_namespace_pinned_by_name() -> None:
    config = load_config("dev")
    b = Builder("dev")
    resources = [
        r for r in compliant(config) if r.name not in ("isolate-qwen-chat", "agent-models")
    ]
    resources.append(
        b.deployment(
            "agent-hoop",
            "hoop",
            {"app.kubernetes.io/name": "hoop-agent"},
            "hoophq/hoopagent:1.35.12-distroless",
        )
    )
    peer = {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "hoop-agent"}},
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "hoop"}},
    }
    resources.append(b.network_policy("isolate-qwen-chat", "models", {"app": "qwen-chat"}, [peer]))
    assert _isolation_messages(resources) == []


def test_isolation_of_an_endpoint_zsp_does_not_deploy_names_the_config_key() -> None:
    config = load_config("dev")
    resources = [
        r for r in compliant(config) if r.name not in ("isolate-qwen-chat", "model-qwen-chat")
    ]
    report = evaluate(resources, config, "dev", today=TODAY, rules=[BY_ID["ZSP004"]])
    assert [f.resource for f in report.findings] == ["zsp:endpoints[0].server"]
    assert [f.resource_type for f in report.findings] == ["stack-config"]


# --- ZSP009 migrated secrets ---------------------------------------------------------------------


def test_migrated_secret_policy_must_name_only_the_agent_role() -> None:
    config = load_config("dev")
    b = Builder("dev")
    secret = next(r for r in compliant(config) if r.name == "secret-openai")
    others = [
        r for r in compliant(config) if r.name not in ("secret-openai", "secret-openai-policy")
    ]
    wide = b.secret_policy(secret, [f"arn:aws:iam::{ACCOUNT['dev']}:root"])
    other_role = b.secret_policy(secret, [f"arn:aws:iam::{ACCOUNT['dev']}:role/ops-admin"])
    rule = BY_ID["ZSP009"]
    for policy, expected in (
        (wide, ":root (not the agent role)"),
        (other_role, "role/ops-admin, which is not the agent role"),
    ):
        report = evaluate([*others, secret, policy], config, "dev", today=TODAY, rules=[rule])
        assert any(expected in f.message for f in report.findings), report.findings
    missing = evaluate([*others, secret], config, "dev", today=TODAY, rules=[rule])
    assert [f.message for f in missing.findings] == [
        "secret zsp/dev/upstream/openai has no resource policy (SecretPolicy)"
    ]
    no_key = b.secret("zsp/dev/upstream/openai", None)
    report = evaluate([no_key], config, "dev", today=TODAY, rules=[rule])
    assert "no kmsKeyId" in report.findings[0].message


def test_non_migrated_secrets_are_out_of_scope() -> None:
    config = load_config("dev")
    other = Builder("dev").secret("zsp/dev/siem/hec-token", None)
    report = evaluate([other], config, "dev", today=TODAY, rules=[BY_ID["ZSP009"]])
    assert report.findings == []


# --- ZSP010 / ZSP011 / ZSP013 --------------------------------------------------------------------


def test_tls_must_cover_every_host_and_gateway_listeners() -> None:
    config = load_config("prod")
    b = Builder("prod")
    partial = b.ingress("gw", ["api.example.com", "proxy.example.com"], ["api.example.com"])
    gateway = b.res(
        "kubernetes:gateway.networking.k8s.io/v1:Gateway",
        "gw-listeners",
        {
            "spec": {
                "gatewayClassName": "eg",
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            }
        },
    )
    report = evaluate([partial, gateway], config, "prod", today=TODAY, rules=[BY_ID["ZSP010"]])
    assert sorted(f.message for f in report.findings) == [
        "host proxy.example.com is not listed under spec.tls",
        "listener http uses HTTP, not HTTPS/TLS",
    ]


def test_siem_is_required_outside_dev_only() -> None:
    dev = load_config("dev")
    assert evaluate([], dev, "dev", today=TODAY, rules=[BY_ID["ZSP011"]]).findings == []
    prod = load_config("prod")
    report = evaluate([], prod, "prod", today=TODAY, rules=[BY_ID["ZSP011"]])
    assert [f.message for f in report.findings] == [
        "prod stack has no zsp:siem:SiemShipping component"
    ]


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("vllm/vllm-openai:v0.6.6", True),
        ("registry.local:5000/team/model@sha256:" + "a" * 64, True),
        ("registry.local:5000/team/model", False),
        ("nginx", False),
        ("nginx:latest", False),
    ],
)
def test_image_pinning(image: str, ok: bool) -> None:
    config = load_config("prod")
    deployment = Builder("prod").deployment("d", "apps", {"app": "d"}, image)
    report = evaluate([deployment], config, "prod", today=TODAY, rules=[BY_ID["ZSP013"]])
    assert (report.findings == []) is ok


# --- ZSP012 plaintext secrets --------------------------------------------------------------------


def test_plaintext_key_in_stack_config_is_found_without_echoing_it() -> None:
    values_config = load_config(
        "dev",
        aws={
            "accountId": "111122223333",
            "defaultTags": {"owner": "platform-team", "note": OPENAI_KEY},
        },
    )
    report = evaluate([], values_config, "dev", today=TODAY, rules=[BY_ID["ZSP012"]])
    assert [(f.resource, f.resource_type) for f in report.findings] == [
        ("zsp:aws.defaultTags.note", "stack-config")
    ]
    assert OPENAI_KEY not in json.dumps(report.to_json())


def test_secrets_are_judged_by_how_they_arrive() -> None:
    """Synth sees declared secrets redacted; CrossGuard sees them decrypted in Secret data."""
    config = load_config("dev")
    b = Builder("dev")
    k8s_secret = b.res(
        "kubernetes:core/v1:Secret",
        "agent-key",
        {
            "metadata": {"name": "hoop-agent", "namespace": "models"},
            "stringData": {"HOOP_KEY": "[redacted]"},
        },
    )
    rule = BY_ID["ZSP012"]
    assert evaluate([k8s_secret], config, "dev", today=TODAY, rules=[rule]).findings == []
    # In CrossGuard the engine decrypts the secret-marked value: the provider keeps it secret.
    decrypted = b.res(
        "kubernetes:core/v1:Secret",
        "agent-key",
        {
            "metadata": {"name": "hoop-agent", "namespace": "models"},
            "stringData": {"OPENAI_API_KEY": OPENAI_KEY},
        },
    )
    assert crossguard_run([decrypted], config, rules=[rule]) == []
    # ...but a literal key in a ConfigMap is plaintext in both paths, and never echoed.
    config_map = b.res(
        "kubernetes:core/v1:ConfigMap", "env", {"data": {"OPENAI_API_KEY": OPENAI_KEY}}
    )
    reported = crossguard_run([config_map], config, rules=[rule])
    assert [(name, urn) for name, _, urn in reported] == [
        ("ZSP012-no-plaintext-secret", config_map.urn)
    ]
    assert OPENAI_KEY not in reported[0][1]


def test_a_base64_key_in_secret_data_is_decoded_and_found() -> None:
    import base64

    config = load_config("dev")
    secret = Builder("dev").res(
        "kubernetes:core/v1:Secret",
        "plain",
        {
            "metadata": {"name": "plain", "namespace": "x"},
            "data": {"k": base64.b64encode(OPENAI_KEY.encode()).decode()},
        },
    )
    report = evaluate([secret], config, "dev", today=TODAY, rules=[BY_ID["ZSP012"]])
    assert [f.message for f in report.findings] == [
        "input data.k holds a plaintext secret-looking value (openai-project-key)"
    ]


# --- CrossGuard adapter details ------------------------------------------------------------------


def test_plain_unwraps_proxies_and_marks_unknowns() -> None:
    props = unknown_checking_proxy(
        {"a": [{"b": UNKNOWN_STRING_VALUE}], "__provider": "pickled", "c": 1}
    )
    assert plain(props) == {"a": [{"b": "[unknown]"}], "c": 1}


def test_unknown_trust_policy_during_preview_is_not_judged() -> None:
    config = load_config("dev")
    role = Builder("dev").res(
        "aws:iam/role:Role", "pending", {"assumeRolePolicy": UNKNOWN_STRING_VALUE}
    )
    assert crossguard_run([role], config, rules=[BY_ID["ZSP001"]]) == []


def test_security_group_variant_admits_only_referenced_groups() -> None:
    config = load_config("prod")
    b = Builder("prod")
    group = b.res(
        "aws:ec2/securityGroup:SecurityGroup",
        "ec2-model-sg",
        {
            "name": "zsp-endpoint-ec2-model",
            "vpcId": "vpc-0f1e2d3c4b5a69788",
            "tags": {"zsp:endpoint": "ec2-model"},
        },
    )
    from_agent = b.res(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "ec2-model-from-agent",
        {
            "securityGroupId": "sg-0aaa",
            "referencedSecurityGroupId": "sg-0agent",
            "ipProtocol": "tcp",
            "fromPort": 8000,
            "toPort": 8000,
        },
        deps=(group,),
    )
    from_vpc = b.res(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "ec2-model-from-vpc",
        {
            "securityGroupId": "sg-0aaa",
            "cidrIpv4": "10.0.0.0/8",
            "ipProtocol": "tcp",
            "fromPort": 8000,
            "toPort": 8000,
        },
        deps=(group,),
    )
    rule = BY_ID["ZSP004"]
    ok = evaluate(
        [*compliant(config), group, from_agent], config, "prod", today=TODAY, rules=[rule]
    )
    assert ok.findings == []
    bad = evaluate(
        [*compliant(config), group, from_agent, from_vpc], config, "prod", today=TODAY, rules=[rule]
    )
    assert [(f.resource, f.message) for f in bad.findings] == [
        (
            "ec2-model-sg",
            "endpoint ec2-model: ingress rule ec2-model-from-vpc admits address ranges, "
            "not only the agent's group",
        )
    ]
    reported = crossguard_run(
        [*compliant(config), group, from_agent, from_vpc], config, rules=[rule]
    )
    assert [(n, urn) for n, _, urn in reported] == [("ZSP004-endpoint-isolated", group.urn)]


def test_hoop_api_credentials_decrypted_for_the_analyzer_are_not_flagged() -> None:
    config = load_config("dev")
    connection = Builder("dev").hoop(
        "hoop:connection", "openai", remote_url="https://api.openai.com"
    )
    decrypted = ResourceView(
        connection.type,
        connection.name,
        connection.urn,
        {**connection.inputs, "auth": {"mode": "token", "token": OPENAI_KEY}},
    )
    assert crossguard_run([decrypted], config, rules=[BY_ID["ZSP012"]]) == []
    # a key in any other hoop input is plaintext (headers must be _aws:<secret>:<key> references)
    leaked = ResourceView(
        connection.type,
        connection.name,
        connection.urn,
        {**connection.inputs, "headers": {"HEADER_AUTHORIZATION": f"Bearer {OPENAI_KEY}"}},
    )
    reported = crossguard_run([leaked], config, rules=[BY_ID["ZSP012"]])
    assert [m for _, m, _ in reported] == [
        "[ZSP012] openai: input headers.HEADER_AUTHORIZATION holds a plaintext "
        "secret-looking value (openai-project-key)"
    ]


def test_a_namespace_wide_policy_that_admits_more_also_breaks_isolation() -> None:
    """NetworkPolicies add up: a second policy selecting every pod re-opens the model."""
    config = load_config("dev")
    allow_all = Builder("dev").res(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "allow-same-namespace",
        {
            "metadata": {"name": "allow-same-namespace", "namespace": "models"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]},
        },
    )
    report = evaluate(
        [*compliant(config), allow_all], config, "dev", today=TODAY, rules=[BY_ID["ZSP004"]]
    )
    assert [(f.resource, f.message) for f in report.findings] == [
        (
            "allow-same-namespace",
            "endpoint qwen-chat: allow-same-namespace ingress[0] admits every pod of the "
            "selected namespaces (no podSelector)",
        )
    ]


@pytest.mark.parametrize(
    ("api", "pattern", "blocked"),
    [
        (
            "azure-openai",
            r"^(POST|DELETE) /openai/fine[_-]tun|^POST /openai/(files|uploads)\b",
            True,
        ),
        ("azure-openai", r"^(POST|DELETE) /v1/fine[_-]tun|^POST /v1/(files|uploads)\b", False),
        ("bedrock", r"^POST /model-customization-jobs\b", True),
        ("gemini", r"^(POST|PATCH|DELETE) /v1(beta)?/tunedModels", False),  # uploads still open
    ],
)
def test_guardrail_probes_follow_the_api_dialect(api: str, pattern: str, blocked: bool) -> None:
    values = load_config("prod").model_dump(by_alias=True, mode="json", exclude_none=True)
    endpoints = values["endpoints"]
    endpoints[1]["api"] = api  # "openai" (hosted) speaks another dialect now
    config = load_config("prod", endpoints=endpoints)
    rule = {"type": "pattern_match", "words": [], "pattern_regex": pattern}
    resources = [
        replace(r, inputs={**r.inputs, "input": {"rules": [rule]}})
        if r.name == "openai-no-mutation"
        else r
        for r in compliant(config)
    ]
    report = evaluate(resources, config, "prod", today=TODAY, rules=[BY_ID["ZSP008"]])
    assert (report.findings == []) is blocked, report.findings


def test_plaintext_rule_reuses_the_scanners_rules() -> None:
    """ZSP012 sees what ``zsp scan`` sees (e.g. Perplexity keys, absent from the built-ins)."""
    from zsp.components.rules.detect import builtin_detect, default_detector, scanner_detector

    assert scanner_detector() is not None
    key = "pplx-" + "ja76RnIChtP8HKQDLM7ToThwNScg" + "rLRWzBQCABugjMgeP7cH"
    assert builtin_detect(f"PPLX_API_KEY: {key}") == []
    assert [m.rule for m in default_detector()(f"PPLX_API_KEY: {key}")] == ["perplexity-api-key"]
    config = load_config("dev")
    config_map = Builder("dev").res(
        "kubernetes:core/v1:ConfigMap", "env", {"data": {"PPLX_API_KEY": key}}
    )
    report = evaluate([config_map], config, "dev", today=TODAY, rules=[BY_ID["ZSP012"]])
    assert [f.message for f in report.findings] == [
        "input data.PPLX_API_KEY holds a plaintext secret-looking value (perplexity-api-key)"
    ]
    # the scanner's placeholder handling applies too
    assert (
        evaluate(
            [Builder("dev").res("kubernetes:core/v1:ConfigMap", "e", {"data": {"K": "pplx-..."}})],
            config,
            "dev",
            today=TODAY,
            rules=[BY_ID["ZSP012"]],
        ).findings
        == []
    )
