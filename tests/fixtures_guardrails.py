"""Constructed desired states for the guardrail rules: a compliant stack and one break per rule.

Resources are built exactly as the engine (and ``zsp synth``) sees them: provider type tokens and
camelCase inputs from the pulumi-aws 7 / pulumi-kubernetes 4 schemas, hoop objects as dynamic
resources with a ``kind`` input. ``compliant(config)`` passes every rule; ``BREAKS`` maps each rule
id to a mutation that must make exactly that rule fail, naming the expected resource.
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyCustomTimeouts
from pulumi_policy.proxy import unknown_checking_proxy
from zsp.components.config import StackConfig, parse_stack_config, read_stack_file
from zsp.components.rules import RULES, ResourceView, Rule
from zsp.components.rules.crossguard import build_policies

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = {"dev": "111122223333", "prod": "444455556666"}
HOOP_TYPES = {
    "hoop:connection": "Connection",
    "hoop:plugin-binding": "PluginBinding",
    "hoop:guardrail": "Guardrail",
    "hoop:datamasking-rule": "DataMaskingRule",
    "hoop:access-request-rule": "AccessRequestRule",
}
AGENT_LABELS = {"app.kubernetes.io/name": "hoop-agent", "app.kubernetes.io/instance": "agent"}
AGENT_ROLE = "arn:aws:iam::{account}:role/zsp-hoop-agent"
GITHUB = "token.actions.githubusercontent.com"
TODAY = datetime.date(2026, 11, 29)
OPENAI_KEY = "sk-proj-" + "Q3vT8mZx2Lr9Wk4Yb7Nf1Hc6Jp0Gs5Ud" + "Aa9Bb8Cc7Dd6Ee5"


# --- CrossGuard harness: what the analyzer would hand to our policies --------------------------


def _opts(parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def _provider(resource: ResourceView) -> PolicyProviderResource | None:
    if not resource.custom:
        return None
    package = resource.type.split(":", 1)[0]
    return PolicyProviderResource(
        f"pulumi:providers:{package}",
        {},
        f"urn:pulumi:x::zsp::pulumi:providers:{package}::default",
        "default",
    )


def crossguard_run(
    resources: list[ResourceView], config: StackConfig, rules: list[Rule] | None = None
) -> list[tuple[str, str, str | None]]:
    """(policy name, message, urn) of every violation the pack would report."""
    policies = build_policies(config, today=lambda: TODAY, rules=rules or list(RULES))
    reported: list[tuple[str, str, str | None]] = []
    for policy in policies:

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            reported.append((name, message, urn))

        if isinstance(policy, ResourceValidationPolicy):
            for r in resources:
                args = ResourceValidationArgs(
                    r.type,
                    unknown_checking_proxy(json.loads(json.dumps(dict(r.inputs)))),
                    r.urn,
                    r.name,
                    _opts(r.parent),
                    _provider(r),
                )
                policy.validate(args, report)
        else:
            assert isinstance(policy, StackValidationPolicy)
            by_urn: dict[str, PolicyResource] = {}
            for r in resources:
                by_urn[r.urn] = PolicyResource(
                    r.type,
                    unknown_checking_proxy(json.loads(json.dumps(dict(r.inputs)))),
                    r.urn,
                    r.name,
                    _opts(r.parent),
                    _provider(r),
                    None,
                    [],
                    {},
                )
            for r in resources:
                pr = by_urn[r.urn]
                pr.parent = by_urn.get(r.parent) if r.parent else None
                pr.dependencies = [by_urn[d] for d in r.dependencies if d in by_urn]
            policy.validate(StackValidationArgs(list(by_urn.values())), report)
    return reported


def load_config(
    stack: str, guardrails: dict[str, Any] | None = None, **changes: Any
) -> StackConfig:
    """The example stack's config, optionally with ``zsp:guardrails`` or other sections changed."""
    stack_file = read_stack_file(ROOT, stack)
    values = copy.deepcopy(stack_file.values)
    if guardrails is not None:
        values["zsp:guardrails"] = guardrails
    for key, value in changes.items():
        values[f"zsp:{key}"] = value
    return parse_stack_config(
        values, f"stacks/Pulumi.{stack}.yaml", secret_keys=stack_file.secret_keys
    )


def urn(stack: str, type_token: str, name: str, parents: tuple[str, ...] = ()) -> str:
    chain = "$".join((*parents, type_token))
    return f"urn:pulumi:{stack}::zsp::{chain}::{name}"


@dataclass
class Builder:
    """Makes ResourceViews for one stack (URNs carry the stack name, as the engine's do)."""

    stack: str

    def res(
        self,
        type_token: str,
        name: str,
        inputs: dict[str, Any],
        parent: ResourceView | None = None,
        deps: tuple[ResourceView, ...] = (),
        custom: bool = True,
    ) -> ResourceView:
        parents: tuple[str, ...] = ()
        if parent is not None:
            parents = tuple(parent.urn.split("::")[2].split("$"))
        return ResourceView(
            type=type_token,
            name=name,
            urn=urn(self.stack, type_token, name, parents),
            inputs=inputs,
            parent=parent.urn if parent else None,
            dependencies=tuple(d.urn for d in deps),
            custom=custom,
        )

    # --- AWS -------------------------------------------------------------------------------
    def role(
        self,
        name: str,
        trust: dict[str, Any],
        max_session: int | None = 3600,
        tags: dict[str, str] | None = None,
    ) -> ResourceView:
        inputs: dict[str, Any] = {"name": name, "assumeRolePolicy": json.dumps(trust)}
        if max_session is not None:
            inputs["maxSessionDuration"] = max_session
        if tags:
            inputs["tags"] = tags
        return self.res("aws:iam/role:Role", name, inputs)

    def cognito_client(self, name: str, validity: int | None, unit: str | None) -> ResourceView:
        inputs: dict[str, Any] = {
            "name": name,
            "userPoolId": "eu-west-1_abc123",
            "generateSecret": True,
        }
        if validity is not None:
            inputs["accessTokenValidity"] = validity
        if unit is not None:
            inputs["tokenValidityUnits"] = {
                "accessToken": unit,
                "idToken": unit,
                "refreshToken": "days",
            }
        return self.res("aws:cognito/userPoolClient:UserPoolClient", name, inputs)

    def kms_key(self) -> ResourceView:
        return self.res(
            "aws:kms/key:Key",
            "migrated-secrets-key",
            {"description": "zsp migrated upstream keys", "enableKeyRotation": True},
        )

    def secret(self, secret_name: str, kms: str | None) -> ResourceView:
        inputs: dict[str, Any] = {"name": secret_name, "recoveryWindowInDays": 7}
        if kms is not None:
            inputs["kmsKeyId"] = kms
        logical = "secret-" + secret_name.rsplit("/", 1)[-1]
        return self.res("aws:secretsmanager/secret:Secret", logical, inputs)

    def secret_policy(self, secret: ResourceView, principals: list[str]) -> ResourceView:
        region_account = f"eu-west-1:{ACCOUNT[self.stack]}"
        arn = f"arn:aws:secretsmanager:{region_account}:secret:{secret.inputs['name']}-abc123"
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AgentReadsOnly",
                    "Effect": "Allow",
                    "Principal": {"AWS": principals},
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                }
            ],
        }
        return self.res(
            "aws:secretsmanager/secretPolicy:SecretPolicy",
            f"{secret.name}-policy",
            {"secretArn": arn, "policy": json.dumps(document), "blockPublicPolicy": True},
            deps=(secret,),
        )

    # --- Kubernetes ------------------------------------------------------------------------
    def deployment(
        self,
        name: str,
        namespace: str,
        labels: dict[str, str],
        image: str,
        args: list[str] | None = None,
        service_account: str | None = None,
        parent: ResourceView | None = None,
    ) -> ResourceView:
        pod_spec: dict[str, Any] = {
            "containers": [{"name": "main", "image": image, **({"args": args} if args else {})}]
        }
        if service_account:
            pod_spec["serviceAccountName"] = service_account
        return self.res(
            "kubernetes:apps/v1:Deployment",
            name,
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            },
            parent=parent,
        )

    def service_account(self, name: str, namespace: str, role_arn: str) -> ResourceView:
        return self.res(
            "kubernetes:core/v1:ServiceAccount",
            f"{name}-sa",
            {
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "annotations": {"eks.amazonaws.com/role-arn": role_arn},
                }
            },
        )

    def network_policy(
        self, name: str, namespace: str, selector: dict[str, str], peers: list[dict[str, Any]]
    ) -> ResourceView:
        return self.res(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            name,
            {
                "metadata": {"name": name, "namespace": namespace},
                "spec": {
                    "podSelector": {"matchLabels": selector},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": peers, "ports": [{"port": 8080, "protocol": "TCP"}]}],
                },
            },
        )

    def ingress(self, name: str, hosts: list[str], tls_hosts: list[str]) -> ResourceView:
        spec: dict[str, Any] = {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": h,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {"name": "hoop-gateway", "port": {"number": 8009}}
                                },
                            }
                        ]
                    },
                }
                for h in hosts
            ],
        }
        if tls_hosts:
            spec["tls"] = [{"hosts": tls_hosts, "secretName": f"{name}-tls"}]
        return self.res(
            "kubernetes:networking.k8s.io/v1:Ingress",
            name,
            {"metadata": {"name": name, "namespace": "hoop"}, "spec": spec},
        )

    # --- hoop objects ----------------------------------------------------------------------
    def hoop(
        self, kind: str, name: str, deps: tuple[ResourceView, ...] = (), **inputs: Any
    ) -> ResourceView:
        type_token = f"pulumi-python:dynamic/hoop:{HOOP_TYPES[kind]}"
        auth = {"api_url": "https://hoop.example.com/api", "auth": "[redacted]", "transport": {}}
        return self.res(type_token, name, {"kind": kind, **auth, "name": name, **inputs}, deps=deps)


def github_trust(
    sub: Any = "repo:acme/support-bot:environment:prod",
    operator: str = "StringEquals",
    aud: Any = "sts.amazonaws.com",
    account: str = "111122223333",
    extra_condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    condition: dict[str, Any] = {}
    if aud is not None:
        condition.setdefault("StringEquals", {})[f"{GITHUB}:aud"] = aud
    if sub is not None:
        condition.setdefault(operator, {})[f"{GITHUB}:sub"] = sub
    for op, clauses in (extra_condition or {}).items():
        condition.setdefault(op, {}).update(clauses)
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def guardrail_rules() -> dict[str, Any]:
    return {
        "rules": [
            {
                "type": "pattern_match",
                "words": [],
                "pattern_regex": (
                    r"(?i)^(POST|DELETE|PATCH) /v1/(fine_tuning|files|models|organizations?)\b"
                ),
                "message": "model-mutating operations are blocked by zsp",
            }
        ]
    }


def compliant(config: StackConfig) -> list[ResourceView]:
    """A desired state that passes every rule for ``config`` (dev or prod example stack)."""
    stack = config.environment
    b = Builder(stack)
    account = config.aws.account_id
    agent_role = AGENT_ROLE.format(account=account)
    out: list[ResourceView] = []
    agent_namespaces = set()
    for endpoint in config.endpoints:
        if endpoint.server is None:
            continue
        ns = endpoint.server.namespace
        agent_namespaces.add(ns)
        out.append(
            b.deployment(
                f"model-{endpoint.name}",
                ns,
                {**endpoint.server.pod_labels, "app.kubernetes.io/name": "model-server"},
                endpoint.server.image or "vllm/vllm-openai:v0.6.6",
            )
        )
        out.append(
            b.network_policy(
                f"isolate-{endpoint.name}",
                ns,
                dict(endpoint.server.pod_labels),
                [{"podSelector": {"matchLabels": AGENT_LABELS}}],
            )
        )
    for ns in sorted(agent_namespaces or {"hoop"}):
        out.append(b.service_account("hoop-agent", ns, agent_role))
        out.append(
            b.deployment(
                f"agent-{ns}",
                ns,
                AGENT_LABELS,
                "hoophq/hoopagent:1.35.12-distroless",
                service_account="hoop-agent",
            )
        )
    out.append(
        b.deployment(
            "gateway",
            "hoop",
            {"app.kubernetes.io/name": "hoop-gateway"},
            "hoophq/hoop:1.35.12",
            args=["start", "gateway"],
        )
    )
    out.append(b.ingress("gateway-api", ["hoop.example.com"], ["hoop.example.com"]))
    out.append(b.role("ci-support-bot", github_trust(account=account)))
    out.append(b.cognito_client("support-bot", 15, "minutes"))
    key = b.kms_key()
    out.append(key)
    key_arn = f"arn:aws:kms:eu-west-1:{account}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    for endpoint in config.endpoints:
        conn = b.hoop(
            "hoop:connection",
            endpoint.name,
            agent_id="agent-id",
            remote_url=endpoint.upstream_url,
            headers={"HEADER_AUTHORIZATION": f"_aws:zsp/{stack}/upstream/{endpoint.name}:api_key"},
            reviewers=[],
            connection_id=None,
        )
        out.append(conn)
        binding = {"connection_id": f"{endpoint.name}-id", "connection_name": endpoint.name}
        out.append(
            b.hoop(
                "hoop:plugin-binding",
                f"{endpoint.name}-audit",
                deps=(conn,),
                plugin="audit",
                config=[],
                **binding,
            )
        )
        out.append(
            b.hoop(
                "hoop:plugin-binding",
                f"{endpoint.name}-access",
                deps=(conn,),
                plugin="access_control",
                config=["ai-consumers"],
                **binding,
            )
        )
        out.append(
            b.hoop(
                "hoop:guardrail",
                f"{endpoint.name}-no-mutation",
                deps=(conn,),
                input=guardrail_rules(),
                output={"rules": []},
            )
        )
        if endpoint.pii:
            out.append(
                b.hoop(
                    "hoop:datamasking-rule",
                    f"{endpoint.name}-mask",
                    deps=(conn,),
                    supported_entity_types=[
                        {"name": "pii", "entity_types": ["EMAIL_ADDRESS", "PHONE_NUMBER"]}
                    ],
                )
            )
        if endpoint.risk == "high":
            out.append(
                b.hoop(
                    "hoop:access-request-rule",
                    f"{endpoint.name}-jit",
                    access_type="jit",
                    connection_names=[endpoint.name],
                    reviewers_groups=["ai-approvers"],
                    approval_required_groups=[],
                    force_approval_groups=[],
                    min_approvals=1,
                    access_max_duration=1800,
                )
            )
        if endpoint.upstream_secret:
            secret = b.secret(endpoint.upstream_secret, key_arn)
            out += [secret, b.secret_policy(secret, [agent_role])]
    if stack != "dev":
        siem = b.res("zsp:siem:SiemShipping", "siem", {}, custom=False)
        out.append(siem)
        out.append(
            b.deployment(
                "session-exporter",
                "hoop",
                {"app.kubernetes.io/name": "session-exporter"},
                "ghcr.io/acme/zsp:0.1.0",
                parent=siem,
            )
        )
    return out


def _swap(resources: list[ResourceView], name: str, new: ResourceView) -> list[ResourceView]:
    return [new if r.name == name else r for r in resources]


def _edit(
    resources: list[ResourceView], name: str, fn: Callable[[dict[str, Any]], None]
) -> list[ResourceView]:
    out = []
    for r in resources:
        if r.name == name:
            inputs = copy.deepcopy(dict(r.inputs))
            fn(inputs)
            r = replace(r, inputs=inputs)
        out.append(r)
    return out


@dataclass(frozen=True)
class Break:
    """A deliberately broken stack: which rule must fail, on which resource, and how."""

    rule: str
    stack: str
    resource: str
    mutate: Callable[[list[ResourceView], StackConfig], list[ResourceView]]
    config: Callable[[], StackConfig] | None = None


def _wildcard_sub(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    b = Builder(c.environment)
    trust = github_trust(sub="repo:acme/*", operator="StringLike", account=c.aws.account_id)
    return _swap(rs, "ci-support-bot", b.role("ci-support-bot", trust))


def _long_session(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return _edit(rs, "ci-support-bot", lambda i: i.update(maxSessionDuration=43200))


def _day_token(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return _edit(
        rs,
        "support-bot",
        lambda i: i.update(accessTokenValidity=1, tokenValidityUnits={"accessToken": "days"}),
    )


def _open_netpol(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    def fn(i: dict[str, Any]) -> None:
        i["spec"]["ingress"][0]["from"].append({"ipBlock": {"cidr": "10.0.0.0/8"}})

    return _edit(rs, "isolate-qwen-chat", fn)


def _no_audit(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return [r for r in rs if r.name != "openai-audit"]


def _no_masking(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return [r for r in rs if r.name != "qwen-chat-mask"]


def _no_jit(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return [r for r in rs if r.name != "anthropic-jit"]


def _weak_guardrail(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    weak = {"rules": [{"type": "deny_words_list", "words": ["/v1/files"], "pattern_regex": ""}]}
    return _edit(rs, "openai-no-mutation", lambda i: i.update(input=weak))


def _aws_managed_key(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return _edit(rs, "secret-openai", lambda i: i.update(kmsKeyId="alias/aws/secretsmanager"))


def _no_tls(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return _edit(rs, "gateway-api", lambda i: i["spec"].pop("tls"))


def _no_siem(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    return [r for r in rs if r.name != "session-exporter"]


def _plaintext_key(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    def fn(i: dict[str, Any]) -> None:
        container = i["spec"]["template"]["spec"]["containers"][0]
        container["env"] = [{"name": "OPENAI_API_KEY", "value": OPENAI_KEY}]

    return _edit(rs, "gateway", fn)


def _latest_image(rs: list[ResourceView], c: StackConfig) -> list[ResourceView]:
    def fn(i: dict[str, Any]) -> None:
        i["spec"]["template"]["spec"]["containers"][0]["image"] = "hoophq/hoop:latest"

    return _edit(rs, "gateway", fn)


BREAKS: list[Break] = [
    Break("ZSP001", "dev", "ci-support-bot", _wildcard_sub),
    Break("ZSP002", "dev", "ci-support-bot", _long_session),
    Break("ZSP003", "prod", "support-bot", _day_token),
    Break("ZSP004", "dev", "isolate-qwen-chat", _open_netpol),
    Break("ZSP005", "dev", "openai", _no_audit),
    Break("ZSP006", "dev", "qwen-chat", _no_masking),
    Break("ZSP007", "prod", "anthropic", _no_jit),
    Break("ZSP008", "prod", "openai", _weak_guardrail),
    Break("ZSP009", "dev", "secret-openai", _aws_managed_key),
    Break("ZSP010", "prod", "gateway-api", _no_tls),
    Break("ZSP011", "prod", "siem", _no_siem),
    Break("ZSP012", "dev", "gateway", _plaintext_key),
    Break("ZSP013", "prod", "gateway", _latest_image),
]


@pytest.fixture(params=BREAKS, ids=lambda b: f"{b.rule}-{b.stack}")
def broken(request: pytest.FixtureRequest) -> tuple[Break, StackConfig, list[ResourceView]]:
    case: Break = request.param
    config = load_config(case.stack)
    return case, config, case.mutate(compliant(config), config)
