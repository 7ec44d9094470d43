"""Run the rules over a stack and judge each violation against ``zsp:guardrails``.

Judging is shared by ``zsp synth`` and the CrossGuard wrappers: enforcement level per rule, and
exceptions that hold until their ``expires`` date (inclusive) and then turn back into violations.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .model import ResourceView, Rule, RuleContext, StackView, Violation
from .registry import RULES

if TYPE_CHECKING:
    from zsp.components.config import GuardrailException, GuardrailSettings, StackConfig

Status = Literal["violation", "excepted", "acknowledged"]


def utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


@dataclass(frozen=True)
class Finding:
    """One judged violation: what the table prints and ``policy.json`` records."""

    rule: str
    policy: str
    severity: str
    level: str
    status: Status
    resource: str
    resource_type: str
    urn: str | None
    message: str
    note: str | None = None

    @property
    def blocks(self) -> bool:
        """A mandatory violation fails synth (exit 1) and the deployment."""
        return self.status == "violation" and self.level == "mandatory"


@dataclass(frozen=True)
class ExceptionRecord:
    """An exception from ``zsp:guardrails.exceptions`` and what it did on this run."""

    rule: str
    resource: str
    reason: str
    expires: str
    state: Literal["active", "expired"]
    matched: int


@dataclass
class PolicyReport:
    stack: str
    environment: str
    evaluated_on: str
    rules: list[dict[str, str]]
    findings: list[Finding] = field(default_factory=list)
    exceptions: list[ExceptionRecord] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocks]

    def counts(self) -> dict[str, int]:
        return {
            "mandatory": len(self.blocking),
            "advisory": sum(1 for f in self.findings if f.status == "violation" and not f.blocks),
            "excepted": sum(1 for f in self.findings if f.status == "excepted"),
            "acknowledged": sum(1 for f in self.findings if f.status == "acknowledged"),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "evaluated_on": self.evaluated_on,
            "passed": not self.blocking,
            "counts": self.counts(),
            "rules": self.rules,
            "findings": [asdict(f) for f in self.findings],
            "exceptions": [asdict(e) for e in self.exceptions],
        }


def level_of(rule: Rule, settings: GuardrailSettings) -> str:
    return settings.enforcement.get(rule.id, rule.default_level)


def matching_exception(
    rule: Rule, violation: Violation, settings: GuardrailSettings
) -> GuardrailException | None:
    names = {violation.resource_name, violation.resource_urn}
    for exc in settings.exceptions:
        if exc.rule == rule.id and exc.resource in names:
            return exc
    return None


def judge(
    rule: Rule, violation: Violation, settings: GuardrailSettings, today: datetime.date
) -> Finding | None:
    """The finding for one violation, or None when the rule is disabled in this stack."""
    level = level_of(rule, settings)
    if level == "disabled":
        return None
    status: Status = "violation"
    note: str | None = None
    exc = matching_exception(rule, violation, settings)
    if exc is not None:
        if exc.expires >= today:
            status, note = "excepted", f"exception until {exc.expires}: {exc.reason}"
        else:
            note = f"exception EXPIRED on {exc.expires}: {exc.reason}"
    elif violation.acknowledged:
        status, note = "acknowledged", violation.acknowledged
    return Finding(
        rule=rule.id,
        policy=rule.policy_name,
        severity=rule.severity.value,
        level=level,
        status=status,
        resource=violation.resource_name,
        resource_type=violation.resource_type,
        urn=violation.resource_urn,
        message=violation.message,
        note=note,
    )


def run_rule(rule: Rule, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
    if rule.has_resource_check:
        for resource in stack.resources:
            if rule.applies_to(resource):
                yield from rule.check_resource(resource, ctx)
    if rule.has_stack_check:
        yield from rule.check_stack(stack, ctx)


def evaluate(
    resources: Sequence[ResourceView],
    config: StackConfig,
    stack_name: str,
    today: datetime.date | None = None,
    rules: Sequence[Rule] = RULES,
    secrets_redacted: bool = True,
) -> PolicyReport:
    """Evaluate ``rules`` over the desired state of one stack and judge every violation."""
    today = today or utc_today()
    settings = config.guardrails
    ctx = RuleContext(config=config, today=today)
    stack = StackView(list(resources), config, secrets_redacted=secrets_redacted)
    report = PolicyReport(
        stack=stack_name,
        environment=config.environment,
        evaluated_on=today.isoformat(),
        rules=[{**rule.describe(), "level": level_of(rule, settings)} for rule in rules],
    )
    for rule in rules:
        if level_of(rule, settings) == "disabled":
            continue
        for violation in run_rule(rule, stack, ctx):
            finding = judge(rule, violation, settings, today)
            if finding is not None:
                report.findings.append(finding)
    order = {"violation": 0, "acknowledged": 1, "excepted": 2}
    report.findings.sort(
        key=lambda f: (not f.blocks, order[f.status], f.rule, f.resource, f.message)
    )
    for exc in settings.exceptions:
        matched = sum(
            1
            for f in report.findings
            if f.rule == exc.rule and exc.resource in (f.resource, f.urn) and f.note
        )
        report.exceptions.append(
            ExceptionRecord(
                rule=exc.rule,
                resource=exc.resource,
                reason=exc.reason,
                expires=exc.expires.isoformat(),
                state="active" if exc.expires >= today else "expired",
                matched=matched,
            )
        )
    return report
