"""InferencePolicy: exact guardrail patterns, entity types, reviewers and durations per risk level.

The plan is pure data (asserted exactly); the component is then run under Pulumi's own mocks and
the registered hoop objects are asserted field by field.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import settings as runtime_settings
from zsp.components.config import Endpoint, PolicySettings
from zsp.components.hoop.resources import HoopApi
from zsp.components.policy import (
    InferencePolicy,
    InferencePolicyArgs,
    PolicyError,
    check_edition,
    guardrail_input,
    plan_policy,
    plan_stack,
)

SETTINGS = PolicySettings.model_validate(
    {
        "accessGroups": ["ml-engineers"],
        "maskEntities": [
            "EMAIL_ADDRESS",
            "PHONE_NUMBER",
            "CREDIT_CARD",
            "US_SSN",
            "IBAN_CODE",
            "PERSON",
        ],
        "jit": {
            "reviewerGroups": ["ml-leads", "security"],
            "minApprovals": 2,
            "maxAccessDuration": "30m",
        },
        "endpoints": [
            {
                "endpoint": "claude",
                "accessGroups": ["claims"],
                "maskEntities": ["PERSON"],
                "jit": {
                    "reviewerGroups": ["claims-leads"],
                    "minApprovals": 1,
                    "maxAccessDuration": "15m",
                },
            }
        ],
    }
)

OPENAI_RULES = [
    ("fine-tuning", r"^(POST|DELETE) /v1/fine[_-]tun"),
    ("file-upload", r"^POST /v1/(files|uploads)\b"),
    ("model-mutation", r"^(POST|PUT|PATCH|DELETE) /v1/models/"),
    ("org-admin", r"^[A-Z]+ /v1/organization/"),
]


def hosted(name: str, api: str, risk: str, pii: bool = False) -> Endpoint:
    return Endpoint.model_validate(
        {
            "name": name,
            "kind": "hosted",
            "api": api,
            "url": f"https://{name}.example.com",
            "risk": risk,
            "pii": pii,
            "upstreamSecret": f"zsp/test/upstream/{name}",
        }
    )


def in_cluster(name: str, risk: str) -> Endpoint:
    return Endpoint.model_validate(
        {
            "name": name,
            "kind": "in-cluster",
            "api": "openai",
            "risk": risk,
            "server": {
                "namespace": "models",
                "port": 8000,
                "podLabels": {"app": name},
                "deploy": False,
            },
        }
    )


def test_low_risk_without_pii_audits_and_guards_but_does_not_mask() -> None:
    plan = plan_policy(hosted("gpt", "openai", "low"), SETTINGS)
    assert plan.access_groups == ("ml-engineers",)
    assert [(r.category, r.pattern) for r in plan.deny_rules] == OPENAI_RULES
    assert plan.mask_entities == ()
    assert plan.jit is None
    assert plan.headers == {"HEADER_AUTHORIZATION": "_aws:zsp/test/upstream/gpt:authorization"}


def test_low_risk_with_pii_masks_the_configured_entities() -> None:
    plan = plan_policy(hosted("gpt", "openai", "low", pii=True), SETTINGS)
    assert plan.mask_entities == (
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "US_SSN",
        "IBAN_CODE",
        "PERSON",
    )
    assert plan.jit is None


def test_medium_risk_always_masks_and_has_no_jit() -> None:
    plan = plan_policy(hosted("gpt", "openai", "medium", pii=False), SETTINGS)
    assert len(plan.mask_entities) == 6 and plan.score_threshold == 0.6
    assert plan.jit is None


def test_high_risk_adds_jit_with_stack_reviewers_and_duration() -> None:
    plan = plan_policy(in_cluster("llama", "high"), SETTINGS)
    assert plan.jit is not None
    assert plan.jit.reviewer_groups == ("ml-leads", "security")
    assert plan.jit.min_approvals == 2
    assert plan.jit.max_access_duration == 1800
    # in-cluster: no upstream key at all, plus the adapter-loading endpoints
    assert plan.headers == {}
    assert plan.remote_url == "http://llama.models.svc.cluster.local:8000"
    assert [(r.category, r.pattern) for r in plan.deny_rules] == [
        *OPENAI_RULES,
        ("adapter-load", r"^POST /(v1/(load|unload)_lora_adapter|lora-adapters)\b"),
    ]


def test_endpoint_override_for_anthropic_high_risk() -> None:
    plan = plan_policy(hosted("claude", "anthropic", "high"), SETTINGS)
    assert plan.access_groups == ("claims",)
    assert plan.mask_entities == ("PERSON",)
    assert plan.jit is not None
    assert (plan.jit.reviewer_groups, plan.jit.min_approvals, plan.jit.max_access_duration) == (
        ("claims-leads",),
        1,
        900,
    )
    assert plan.headers == {"HEADER_X_API_KEY": "_aws:zsp/test/upstream/claude:api_key"}
    assert [(r.category, r.pattern) for r in plan.deny_rules] == [
        ("file-upload", r"^POST /v1/files\b"),
        ("org-admin", r"^[A-Z]+ /v1/organizations/"),
    ]


@pytest.mark.parametrize(
    ("line", "blocked"),
    [
        ("POST /v1/fine_tuning/jobs", True),
        ("POST /v1/fine-tunes", True),
        ("POST /v1/files", True),
        ("POST /v1/uploads/upl_1/parts", True),
        ("DELETE /v1/models/ft:gpt-4o:acme", True),
        ("GET /v1/organization/users", True),
        ("POST /v1/organization/admin_api_keys", True),
        ("POST /v1/chat/completions", False),
        ("POST /v1/embeddings", False),
        ("GET /v1/models", False),
        ("GET /v1/models/gpt-4o", False),
        ("GET /v1/files", False),
        ("POST /v1/responses", False),
    ],
)
def test_openai_patterns_block_mutations_only(line: str, blocked: bool) -> None:
    plan = plan_policy(hosted("gpt", "openai", "medium"), SETTINGS)
    assert any(re.search(r.pattern, line) for r in plan.deny_rules) is blocked


@pytest.mark.parametrize(
    ("line", "blocked"),
    [
        ("POST /v1/files", True),
        ("GET /v1/organizations/users", True),
        ("POST /v1/organizations/api_keys/k1", True),
        ("POST /v1/messages", False),
        ("POST /v1/messages/count_tokens", False),
        ("GET /v1/models", False),
    ],
)
def test_anthropic_patterns_block_mutations_only(line: str, blocked: bool) -> None:
    plan = plan_policy(hosted("claude", "anthropic", "high"), SETTINGS)
    assert any(re.search(r.pattern, line) for r in plan.deny_rules) is blocked


def test_deny_categories_and_extra_patterns_are_configurable() -> None:
    settings = SETTINGS.model_copy(
        update={
            "deny_categories": ["fine-tuning"],
            "extra_deny_patterns": [r"^POST /v1/batches\b"],
        }
    )
    plan = plan_policy(hosted("gpt", "openai", "medium"), settings)
    assert [(r.category, r.pattern) for r in plan.deny_rules] == [
        ("fine-tuning", r"^(POST|DELETE) /v1/fine[_-]tun"),
        ("custom-1", r"^POST /v1/batches\b"),
    ]


def test_patterns_hoop_cannot_run_are_refused() -> None:
    settings = SETTINGS.model_copy(update={"extra_deny_patterns": [r"^POST (?!/v1/chat)"]})
    with pytest.raises(PolicyError, match="look-arounds or back-references"):
        plan_policy(hosted("gpt", "openai", "medium"), settings)


def test_guardrail_input_per_edition() -> None:
    plan = plan_policy(hosted("gpt", "openai", "medium"), SETTINGS)
    enterprise = guardrail_input(plan, "enterprise")
    assert [r["pattern_regex"] for r in enterprise["rules"]] == [p for _, p in OPENAI_RULES]
    assert all(r["type"] == "pattern_match" for r in enterprise["rules"])
    oss = guardrail_input(plan, "oss")
    assert len(oss["rules"]) == 1  # hoop OSS: one input rule per guardrail
    combined = oss["rules"][0]["pattern_regex"]
    assert combined == "|".join(f"(?:{p})" for _, p in OPENAI_RULES)
    assert re.search(combined, "POST /v1/files") and not re.search(
        combined, "POST /v1/chat/completions"
    )


def test_oss_edition_limits_fail_with_a_clear_message() -> None:
    endpoints = [hosted("gpt", "openai", "medium"), hosted("claude", "anthropic", "high")]
    with pytest.raises(PolicyError) as err:
        plan_stack(endpoints, SETTINGS, "oss")
    assert str(err.value) == (
        "zsp:hoop.edition is 'oss': hoop allows 1 guardrail rule(s), this stack needs 2 "
        "(endpoints gpt, claude); set zsp:hoop.edition: enterprise (licensed) or reduce the policy"
    )
    single = plan_policy(hosted("gpt", "openai", "medium"), SETTINGS)
    with pytest.raises(PolicyError, match=r"endpoint 'gpt' masks 6 \(EMAIL_ADDRESS"):
        check_edition([single], "oss")
    one_entity = plan_policy(
        hosted("claude", "anthropic", "high"),
        SETTINGS,
    )
    check_edition([one_entity], "oss")  # 1 guardrail (1 combined rule), 1 type, 1 JIT rule: fits
    assert plan_stack(endpoints, SETTINGS, "enterprise").keys() == {"gpt", "claude"}


def test_high_risk_without_jit_settings_is_refused() -> None:
    settings = SETTINGS.model_copy(update={"jit": None, "endpoints": []})
    assert plan_policy(hosted("gpt", "openai", "medium"), settings).jit is None
    with pytest.raises(PolicyError) as err:
        plan_policy(hosted("claude", "anthropic", "high"), settings)
    assert str(err.value) == (
        "zsp:policy: endpoint 'claude' is high risk and needs just-in-time review: set "
        "zsp:policy.jit (reviewerGroups, minApprovals, maxAccessDuration)"
    )


def test_overrides_must_name_an_endpoint() -> None:
    with pytest.raises(PolicyError, match="'claude' is not an endpoint of this stack"):
        plan_stack([hosted("gpt", "openai", "low")], SETTINGS, "enterprise")


# --------------------------------------------------------------------------- under Pulumi mocks


class Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        state = dict(args.inputs)
        if args.typ.endswith("hoop:Connection"):
            state["connection_id"] = "5364ec99-653b-41ba-8165-67236e894990"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None

    def by_type(self, suffix: str) -> list[dict[str, Any]]:
        return [dict(r.inputs) for r in self.resources if r.typ.endswith(suffix)]


@pytest.fixture()
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    # zsp synth (run by other tests in this process) leaves no current event loop behind
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(rec, project="zsp", stack="test", preview=False)
    try:
        yield rec
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.reset_options()
        runtime_settings.ROOT.set(None)
        runtime_mocks._MONITOR = None  # type: ignore[attr-defined]


API = HoopApi(api_url="https://hoop.test", auth={"mode": "env", "variable": "ZSP_HOOP_TOKEN"})


@pulumi.runtime.test
def test_high_risk_component_registers_every_object(recorder: Recorder) -> Any:
    plan = plan_policy(hosted("claude", "anthropic", "high"), SETTINGS)
    policy = InferencePolicy(
        "policy-claude",
        InferencePolicyArgs(plan=plan, api=API, agent_id="agent-uuid", edition="enterprise"),
    )
    assert policy.jit is not None and policy.masking is not None and policy.guardrail is not None
    children = [policy.connection, policy.audit, policy.access, policy.guardrail]
    children += [policy.masking, policy.dlp, policy.jit]

    def check(_: Any) -> None:
        (conn,) = recorder.by_type("hoop:Connection")
        assert conn["kind"] == "hoop:connection"
        assert conn["headers"] == {"HEADER_X_API_KEY": "_aws:zsp/test/upstream/claude:api_key"}
        assert conn["remote_url"] == "https://claude.example.com"
        assert conn["tags"] == {
            "zsp.managed-by": "zsp",
            "zsp.endpoint": "claude",
            "zsp.risk": "high",
        }
        bindings = {b["plugin"]: b["config"] for b in recorder.by_type("hoop:PluginBinding")}
        assert bindings == {"audit": [], "access_control": ["claims"], "dlp": ["PERSON"]}
        (guard,) = recorder.by_type("hoop:Guardrail")
        assert [r["pattern_regex"] for r in guard["input"]["rules"]] == [
            r"^POST /v1/files\b",
            r"^[A-Z]+ /v1/organizations/",
        ]
        assert guard["connection_ids"] == ["5364ec99-653b-41ba-8165-67236e894990"]
        (mask,) = recorder.by_type("hoop:DataMaskingRule")
        assert mask["supported_entity_types"] == [{"name": "PII", "entity_types": ["PERSON"]}]
        (jit,) = recorder.by_type("hoop:AccessRequestRule")
        assert jit["name"] == "claude-jit" and jit["access_type"] == "jit"
        assert jit["connection_names"] == ["claude"]
        assert jit["reviewers_groups"] == ["claims-leads"]
        assert jit["min_approvals"] == 1 and jit["access_max_duration"] == 900
        types = {r.typ for r in recorder.resources}
        assert "zsp:policy:InferencePolicy" in types

    return pulumi.Output.all(*[c.id for c in children]).apply(check)


@pulumi.runtime.test
def test_low_risk_component_has_no_masking_and_no_jit(recorder: Recorder) -> Any:
    plan = plan_policy(hosted("gpt", "openai", "low"), SETTINGS)
    policy = InferencePolicy(
        "policy-gpt", InferencePolicyArgs(plan=plan, api=API, agent_id="agent-uuid")
    )
    assert policy.masking is None and policy.dlp is None and policy.jit is None

    def check(_: Any) -> None:
        assert recorder.by_type("hoop:DataMaskingRule") == []
        assert recorder.by_type("hoop:AccessRequestRule") == []
        (guard,) = recorder.by_type("hoop:Guardrail")
        assert len(guard["input"]["rules"]) == 1  # oss edition default: one combined rule

    assert policy.guardrail is not None
    return pulumi.Output.all(policy.guardrail.id, policy.access.id).apply(check)


@pulumi.runtime.test
def test_agent_dsn_and_auth_are_secret_outputs(recorder: Recorder) -> Any:
    from zsp.components.hoop.resources import Agent

    agent = Agent("agent", api=API, name="zsp-agent")

    async def secrets() -> tuple[bool, bool]:
        return await agent.dsn.is_secret(), await agent.auth.is_secret()  # type: ignore[attr-defined]

    def check(flags: tuple[bool, bool]) -> None:
        assert flags == (True, True)
        (registered,) = recorder.by_type("hoop:Agent")
        assert registered["kind"] == "hoop:agent" and registered["name"] == "zsp-agent"

    return pulumi.Output.from_input(secrets()).apply(check)
