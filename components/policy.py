"""``InferencePolicy``: the hoop objects that enforce zsp's promise for one inference endpoint.

One call per endpoint turns a risk level and a few knobs into:

* an ``httpproxy`` **connection** (``REMOTE_URL`` + the upstream credential as an
  ``_aws:<secret>:<key>`` reference resolved by the agent — never a value);
* **audit** on (every session recorded) and **access_control** by IdP groups;
* a **guardrail** denying model-mutating operations on the request line (``METHOD /path``):
  fine-tuning, file upload, model delete/update, organisation admin paths, adapter loading on
  in-cluster servers — per API dialect, configurable per endpoint;
* **data masking** of the chosen Presidio entity types in responses (a data-masking rule plus
  the ``dlp`` plugin binding);
* for **high** risk, a **JIT access-request rule** (reviewer groups, minimum approvals, maximum
  access duration).

Risk levels (exact, tested):

====== ===== ============== ================================= ============================
risk   audit access groups  masking                           JIT review
====== ===== ============== ================================= ============================
low    on    yes            only when the endpoint has ``pii`` no
medium on    yes            always                            no
high   on    yes            always                            yes (``zsp:policy.jit``)
====== ===== ============== ================================= ============================

:func:`plan_stack` computes every endpoint's :class:`PolicyPlan` (pure data, no Pulumi) and
checks the result against hoop's edition limits first, so a stack that cannot fit fails synth
with one clear message instead of a 403 half-way through ``pulumi up``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from .config.endpoints import Endpoint, Risk
from .config.hoop import Edition
from .config.policy import DenyCategory, PolicySettings
from .hoop.limits import LIMITS
from .hoop.resources import (
    AccessRequestRule,
    Connection,
    DataMaskingRule,
    Guardrail,
    HoopApi,
    PluginBinding,
)
from .hoop.upstream import UPSTREAM_HEADER, upstream_reference

# --------------------------------------------------------------------------- deny patterns
# RE2 syntax (hoop is Go): no look-arounds or back-references. Matched against "METHOD /path".

_OPENAI = {
    "fine-tuning": r"^(POST|DELETE) /v1/fine[_-]tun",
    "file-upload": r"^POST /v1/(files|uploads)\b",
    "model-mutation": r"^(POST|PUT|PATCH|DELETE) /v1/models/",
    "org-admin": r"^[A-Z]+ /v1/organization/",
}
_ANTHROPIC = {
    "file-upload": r"^POST /v1/files\b",
    "org-admin": r"^[A-Z]+ /v1/organizations/",
}
_AZURE = {
    "fine-tuning": r"^(POST|DELETE) /openai/fine[_-]tun",
    "file-upload": r"^POST /openai/(files|uploads)\b",
    "model-mutation": r"^(POST|PUT|PATCH|DELETE) /openai/models/",
}
_GEMINI = {
    "fine-tuning": r"^(POST|PATCH|DELETE) /v1(beta)?/tunedModels",
    "file-upload": r"^POST /upload/v1(beta)?/files\b",
}
_COHERE = {
    "fine-tuning": r"^(POST|PATCH|DELETE) /v1/finetuning/",
    "file-upload": r"^POST /v1/datasets\b",
}
_BEDROCK = {
    "fine-tuning": r"^POST /model-customization-jobs\b",
    "model-mutation": r"^(POST|DELETE) /(custom-models|provisioned-model-throughput)\b",
}
_IN_CLUSTER = {
    # vLLM's runtime LoRA endpoints and llama.cpp's adapter scaling both change the served model
    "adapter-load": r"^POST /(v1/(load|unload)_lora_adapter|lora-adapters)\b",
}
DENY_PATTERNS: dict[str, dict[str, str]] = {
    "openai": _OPENAI,
    "mistral": _OPENAI,
    "huggingface": _OPENAI,
    "generic": _OPENAI,
    "anthropic": _ANTHROPIC,
    "azure-openai": _AZURE,
    "gemini": _GEMINI,
    "cohere": _COHERE,
    "bedrock": _BEDROCK,
}
"""Model-mutating request lines per API dialect (category → RE2 pattern)."""


class PolicyError(ValueError):
    """The stack's policy cannot be built (edition limits, bad pattern); one clear line."""


@dataclass(frozen=True)
class DenyRule:
    category: str
    pattern: str
    message: str


@dataclass(frozen=True)
class JitPlan:
    reviewer_groups: tuple[str, ...]
    min_approvals: int
    max_access_duration: int


@dataclass(frozen=True)
class PolicyPlan:
    """Everything ``InferencePolicy`` will create for one endpoint, as plain data."""

    endpoint: str
    risk: Risk
    remote_url: str
    upstream_header: str | None
    upstream_reference: str | None
    access_groups: tuple[str, ...]
    deny_rules: tuple[DenyRule, ...]
    mask_entities: tuple[str, ...]
    score_threshold: float
    jit: JitPlan | None

    @property
    def headers(self) -> dict[str, str]:
        if self.upstream_header and self.upstream_reference:
            return {self.upstream_header: self.upstream_reference}
        return {}


def deny_rules_for(
    endpoint: Endpoint, categories: Sequence[DenyCategory], extra: Sequence[str]
) -> tuple[DenyRule, ...]:
    patterns = dict(DENY_PATTERNS.get(endpoint.api, _OPENAI))
    if endpoint.kind == "in-cluster":
        patterns.update(_IN_CLUSTER)
    rules = [
        DenyRule(
            category,
            patterns[category],
            f"zsp: {category} is a model-mutating operation and is blocked at the gateway",
        )
        for category in categories
        if category in patterns
    ]
    for index, pattern in enumerate(extra):
        rules.append(
            DenyRule(f"custom-{index + 1}", pattern, "zsp: blocked by this endpoint's policy")
        )
    for rule in rules:
        _check_re2(endpoint.name, rule.pattern)
    return tuple(rules)


def _check_re2(endpoint: str, pattern: str) -> None:
    """Refuse what Python accepts but Go's RE2 (hoop) would reject at request time."""
    if re.search(r"\(\?[=!<]|\\[1-9]", pattern):
        raise PolicyError(
            f"zsp:policy: endpoint {endpoint!r}: deny pattern {pattern!r} uses look-arounds or "
            "back-references, which hoop's Go regexp engine does not support"
        )
    try:
        re.compile(pattern)
    except re.error as err:
        raise PolicyError(
            f"zsp:policy: endpoint {endpoint!r}: deny pattern {pattern!r} is invalid: {err}"
        ) from None


def plan_policy(endpoint: Endpoint, settings: PolicySettings) -> PolicyPlan:
    """Apply the risk table and the endpoint's overrides (pure: unit-tested exactly)."""
    override = settings.override_for(endpoint.name)
    risk: Risk = override.risk or endpoint.risk
    entities = tuple(
        override.mask_entities if override.mask_entities is not None else settings.mask_entities
    )
    masks = risk in ("medium", "high") or endpoint.pii
    jit: JitPlan | None = None
    if risk == "high":
        jit_settings = override.jit or settings.jit
        if jit_settings is None:
            raise PolicyError(
                f"zsp:policy: endpoint {endpoint.name!r} is high risk and needs just-in-time "
                "review: set zsp:policy.jit (reviewerGroups, minApprovals, maxAccessDuration)"
            )
        jit = JitPlan(
            reviewer_groups=tuple(jit_settings.reviewer_groups),
            min_approvals=jit_settings.min_approvals,
            max_access_duration=jit_settings.max_access_duration,
        )
    header = UPSTREAM_HEADER.get(endpoint.api) if endpoint.kind == "hosted" else None
    reference = (
        upstream_reference(endpoint.upstream_secret, header)
        if header and endpoint.upstream_secret
        else None
    )
    categories = (
        override.deny_categories
        if override.deny_categories is not None
        else settings.deny_categories
    )
    return PolicyPlan(
        endpoint=endpoint.name,
        risk=risk,
        remote_url=endpoint.upstream_url,
        upstream_header=header,
        upstream_reference=reference,
        access_groups=tuple(override.access_groups or settings.access_groups),
        deny_rules=deny_rules_for(
            endpoint, categories, [*settings.extra_deny_patterns, *override.extra_deny_patterns]
        ),
        mask_entities=entities if masks else (),
        score_threshold=settings.score_threshold,
        jit=jit,
    )


def guardrail_input(plan: PolicyPlan, edition: Edition) -> dict[str, Any]:
    """hoop guardrail ``input``: one rule per category, or one combined rule where capped."""
    if not plan.deny_rules:
        return {}
    cap = LIMITS[edition].guardrail_input_rules
    if cap is not None and len(plan.deny_rules) > cap:
        combined = "|".join(f"(?:{r.pattern})" for r in plan.deny_rules)
        categories = ", ".join(r.category for r in plan.deny_rules)
        return {
            "rules": [
                {
                    "type": "pattern_match",
                    "words": [],
                    "pattern_regex": combined,
                    "name": "zsp-model-mutations",
                    "message": f"zsp: model-mutating operation blocked ({categories})",
                }
            ]
        }
    return {
        "rules": [
            {
                "type": "pattern_match",
                "words": [],
                "pattern_regex": r.pattern,
                "name": r.category,
                "message": r.message,
            }
            for r in plan.deny_rules
        ]
    }


def check_edition(plans: Sequence[PolicyPlan], edition: Edition) -> None:
    """Raise :class:`PolicyError` naming the first limit the stack exceeds."""
    limits = LIMITS[edition]
    hint = "set zsp:hoop.edition: enterprise (licensed) or reduce the policy"

    def names(items: Sequence[PolicyPlan]) -> str:
        return ", ".join(p.endpoint for p in items)

    guarded = [p for p in plans if p.deny_rules]
    if limits.guardrail_rules is not None and len(guarded) > limits.guardrail_rules:
        raise PolicyError(
            f"zsp:hoop.edition is {edition!r}: hoop allows {limits.guardrail_rules} guardrail "
            f"rule(s), this stack needs {len(guarded)} (endpoints {names(guarded)}); {hint}"
        )
    masked = [p for p in plans if p.mask_entities]
    if limits.datamasking_rules is not None and len(masked) > limits.datamasking_rules:
        raise PolicyError(
            f"zsp:hoop.edition is {edition!r}: hoop allows {limits.datamasking_rules} data "
            f"masking rule(s), this stack needs {len(masked)} (endpoints {names(masked)}); {hint}"
        )
    cap = limits.datamasking_entity_types
    for plan in masked:
        if cap is not None and len(plan.mask_entities) > cap:
            raise PolicyError(
                f"zsp:hoop.edition is {edition!r}: hoop allows {cap} entity type(s) per data "
                f"masking rule, endpoint {plan.endpoint!r} masks {len(plan.mask_entities)} "
                f"({', '.join(plan.mask_entities)}); set zsp:policy.endpoints[].maskEntities "
                f"to {cap} type(s) or {hint.removeprefix('set ')}"
            )
    gated = [p for p in plans if p.jit]
    if limits.access_request_rules is not None and len(gated) > limits.access_request_rules:
        raise PolicyError(
            f"zsp:hoop.edition is {edition!r}: hoop allows {limits.access_request_rules} "
            f"access-request rule(s), this stack needs {len(gated)} (high-risk endpoints "
            f"{names(gated)}); {hint}"
        )


def plan_stack(
    endpoints: Sequence[Endpoint], settings: PolicySettings, edition: Edition
) -> dict[str, PolicyPlan]:
    """Every endpoint's plan, checked against the edition as a whole."""
    known = {e.name for e in endpoints}
    for override in settings.endpoints:
        if override.endpoint not in known:
            raise PolicyError(
                f"zsp:policy.endpoints: {override.endpoint!r} is not an endpoint of this stack "
                f"(known: {', '.join(sorted(known))})"
            )
    plans = {e.name: plan_policy(e, settings) for e in endpoints}
    check_edition(list(plans.values()), edition)
    return plans


# --------------------------------------------------------------------------- component


@dataclass(frozen=True)
class InferencePolicyArgs:
    plan: PolicyPlan
    api: HoopApi
    agent_id: pulumi.Input[str]
    edition: Edition = "oss"
    tags: Mapping[str, str] | None = None


class InferencePolicy(pulumi.ComponentResource):
    """The hoop objects of one endpoint (see the module docstring for the risk table)."""

    connection_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: InferencePolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:policy:InferencePolicy", name, None, opts)
        plan, api = args.plan, args.api
        child = pulumi.ResourceOptions(parent=self)
        endpoint = plan.endpoint
        tags = {
            "zsp.managed-by": "zsp",
            "zsp.endpoint": endpoint,
            "zsp.risk": plan.risk,
            **(args.tags or {}),
        }
        self.connection = Connection(
            f"{name}-connection",
            api=api,
            name=endpoint,
            agent_id=args.agent_id,
            remote_url=plan.remote_url,
            headers=plan.headers,
            tags=tags,
            opts=child,
        )
        conn_id = self.connection.connection_id
        after_conn = pulumi.ResourceOptions(parent=self, depends_on=[self.connection])
        self.audit = PluginBinding(
            f"{name}-audit",
            api=api,
            plugin="audit",
            connection_id=conn_id,
            connection_name=endpoint,
            opts=after_conn,
        )
        self.access = PluginBinding(
            f"{name}-access",
            api=api,
            plugin="access_control",
            connection_id=conn_id,
            connection_name=endpoint,
            config=plan.access_groups,
            opts=after_conn,
        )
        self.guardrail: Guardrail | None = None
        if plan.deny_rules:
            self.guardrail = Guardrail(
                f"{name}-guardrail",
                api=api,
                name=f"{endpoint}-deny-model-mutations",
                description=(
                    f"zsp: deny model-mutating operations on {endpoint} "
                    f"({', '.join(r.category for r in plan.deny_rules)})"
                ),
                input=guardrail_input(plan, args.edition),
                connection_ids=[conn_id],
                opts=after_conn,
            )
        self.masking: DataMaskingRule | None = None
        self.dlp: PluginBinding | None = None
        if plan.mask_entities:
            self.masking = DataMaskingRule(
                f"{name}-masking",
                api=api,
                name=f"{endpoint}-mask-pii",
                description=f"zsp: mask {', '.join(plan.mask_entities)} in {endpoint} responses",
                supported_entity_types=[{"name": "PII", "entity_types": list(plan.mask_entities)}],
                score_threshold=plan.score_threshold,
                connection_ids=[conn_id],
                opts=after_conn,
            )
            self.dlp = PluginBinding(
                f"{name}-dlp",
                api=api,
                plugin="dlp",
                connection_id=conn_id,
                connection_name=endpoint,
                config=plan.mask_entities,
                opts=after_conn,
            )
        self.jit: AccessRequestRule | None = None
        if plan.jit is not None:
            self.jit = AccessRequestRule(
                f"{name}-jit",
                api=api,
                name=f"{endpoint}-jit",
                description=f"zsp: just-in-time review for high-risk endpoint {endpoint}",
                connection_names=[endpoint],
                reviewers_groups=plan.jit.reviewer_groups,
                min_approvals=plan.jit.min_approvals,
                access_max_duration=plan.jit.max_access_duration,
                opts=after_conn,
            )
        self.connection_id = conn_id
        self.register_outputs({"connection_id": conn_id, "connection_name": endpoint})
