"""The rules as Pulumi CrossGuard policies, for ``pulumi preview|up --policy-pack policies/``.

Each rule becomes a ``ResourceValidationPolicy`` (its per-resource check) and/or a
``StackValidationPolicy`` (its whole-stack check). The analyzer's arguments are adapted into the
same ``ResourceView`` synth uses, and violations are judged by the same ``judge`` (enforcement
levels and expiring exceptions from ``zsp:guardrails``), so both paths give the same verdict.

Stack config reaches a policy pack through ``PULUMI_CONFIG`` (the engine passes the stack's config,
secrets decrypted); it is parsed with the same schema as the program. If it is missing or invalid
the policies raise, which fails the preview: a guardrail that cannot read its settings must not
pass silently.
"""

from __future__ import annotations

import datetime
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import _is_unknown
from zsp.components.config import StackConfig, parse_stack_config
from zsp.components.config.loader import decode_engine_value

from .engine import judge, level_of, utc_today
from .model import UNKNOWN, ConfigRef, ResourceView, Rule, RuleContext, StackView, Violation
from .registry import RULES

INTERNAL_KEYS = frozenset({"__provider", "__defaults"})
"""A dynamic resource ships a pickled copy of its provider as ``__provider``: code, not state."""

ConfigLoader = Callable[[], StackConfig]


def plain(value: Any) -> Any:
    """Unwrap the analyzer's unknown-checking proxies; unknowns become ``[unknown]``."""
    if isinstance(value, Mapping):
        try:
            target = value["__target"]  # the proxy's documented escape hatch
        except KeyError:
            target = value
        return {str(k): plain(target[k]) for k in target if k not in INTERNAL_KEYS}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        try:
            items = value["__target"]  # type: ignore[call-overload]
        except (TypeError, KeyError):
            items = value
        return [plain(v) for v in items]
    if _is_unknown(value):
        return UNKNOWN
    return value


def view_from_args(args: ResourceValidationArgs) -> ResourceView:
    """A resource under ``Analyze`` (its inputs; values marked secret arrive decrypted)."""
    return ResourceView(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        inputs=plain(args.props),
        parent=getattr(args.opts, "parent", None) or None,
        secrets_redacted=False,
    )


def view_from_policy_resource(resource: PolicyResource) -> ResourceView:
    """A resource under ``AnalyzeStack`` (its outputs, parent and dependencies)."""
    deps = {d.urn for d in resource.dependencies}
    for items in resource.property_dependencies.values():
        deps.update(d.urn for d in items)
    return ResourceView(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        inputs=plain(resource.props),
        parent=resource.parent.urn if resource.parent is not None else None,
        dependencies=tuple(sorted(deps)),
        custom=not _is_component(resource),
        secrets_redacted=False,
    )


def _is_component(resource: PolicyResource) -> bool:
    # Component types have no provider; custom resources always have one (default or explicit).
    return resource.provider is None and not resource.resource_type.startswith("pulumi:providers:")


def config_from_engine() -> StackConfig:
    """The stack's config as the engine hands it to the policy pack (``PULUMI_CONFIG``)."""
    from pulumi.runtime import config as runtime_config

    raw = runtime_config.get_config_env()
    if not raw:
        raise RuntimeError(
            "zsp guardrails: no stack config in PULUMI_CONFIG; run the pack through "
            "`pulumi preview --policy-pack policies/` on a zsp stack"
        )
    values = {key: decode_engine_value(value) for key, value in raw.items()}
    stack = os.environ.get("PULUMI_STACK", "<stack>")
    # Every key is treated as secret for error messages: the engine decrypted them all.
    return parse_stack_config(values, f"stacks/Pulumi.{stack}.yaml", secret_keys=frozenset(values))


_SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}
_LEVEL = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
    "disabled": EnforcementLevel.DISABLED,
}


class _Binding:
    """Shared state of one pack: the config loader and the clock."""

    def __init__(self, loader: ConfigLoader, today: Callable[[], datetime.date]) -> None:
        self.loader = functools.cache(loader)
        self.today = today

    def context(self) -> RuleContext:
        return RuleContext(config=self.loader(), today=self.today())

    def report(
        self, rule: Rule, violations: Any, ctx: RuleContext, report_violation: ReportViolation
    ) -> None:
        for violation in violations:
            assert isinstance(violation, Violation)
            finding = judge(rule, violation, ctx.config.guardrails, ctx.today)
            if finding is None or finding.status != "violation":
                continue
            message = f"[{rule.id}] {finding.resource}: {finding.message}"
            if finding.note:
                message += f" ({finding.note})"
            urn = violation.resource_urn if not isinstance(violation.resource, ConfigRef) else None
            report_violation(message, urn)


def _level(rule: Rule, loader: ConfigLoader) -> EnforcementLevel:
    try:
        return _LEVEL[level_of(rule, loader().guardrails)]
    except Exception:  # noqa: BLE001 - e.g. `pulumi policy publish` runs without a stack
        return _LEVEL[rule.default_level]


def resource_policy(rule: Rule, binding: _Binding) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        view = view_from_args(args)
        if not rule.applies_to(view):
            return
        ctx = binding.context()
        binding.report(rule, rule.check_resource(view, ctx), ctx, report_violation)

    return ResourceValidationPolicy(
        name=rule.policy_name,
        description=f"{rule.title}. {rule.rationale}",
        validate=validate,
        enforcement_level=_level(rule, binding.loader),
        severity=_SEVERITY[rule.severity.value],
        remediation_steps=rule.remediation,
    )


def stack_policy(rule: Rule, binding: _Binding, suffix: str = "") -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = binding.context()
        views = [view_from_policy_resource(r) for r in args.resources]
        stack = StackView(views, ctx.config, secrets_redacted=False)
        binding.report(rule, rule.check_stack(stack, ctx), ctx, report_violation)

    return StackValidationPolicy(
        name=rule.policy_name + suffix,
        description=f"{rule.title}. {rule.rationale}",
        validate=validate,
        enforcement_level=_level(rule, binding.loader),
        severity=_SEVERITY[rule.severity.value],
        remediation_steps=rule.remediation,
    )


def exceptions_policy(binding: _Binding) -> StackValidationPolicy:
    """Reports every configured exception on every run (advisory), expired ones included."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = binding.context()
        for exc in ctx.config.guardrails.exceptions:
            state = "active until" if exc.expires >= ctx.today else "EXPIRED on"
            report_violation(
                f"exception {exc.rule} for {exc.resource} {state} {exc.expires}: {exc.reason}", None
            )

    return StackValidationPolicy(
        name="zsp-policy-exceptions",
        description="Exceptions to the zsp guardrails from zsp:guardrails (reported on every run).",
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY,
    )


def build_policies(
    config: StackConfig | ConfigLoader | None = None,
    today: Callable[[], datetime.date] = utc_today,
    rules: Sequence[Rule] = RULES,
) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """The CrossGuard policies for ``rules``; config defaults to the engine's ``PULUMI_CONFIG``."""
    if isinstance(config, StackConfig):
        fixed = config
        loader: ConfigLoader = lambda: fixed  # noqa: E731
    else:
        loader = config or config_from_engine
    binding = _Binding(loader, today)
    policies: list[ResourceValidationPolicy | StackValidationPolicy] = []
    for rule in rules:
        if rule.has_resource_check:
            policies.append(resource_policy(rule, binding))
        if rule.has_stack_check:
            policies.append(
                stack_policy(rule, binding, "-stack" if rule.has_resource_check else "")
            )
    policies.append(exceptions_policy(binding))
    return policies
