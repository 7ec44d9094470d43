"""ZSP008: a guardrail on every connection blocks model-mutating operations in requests."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import hoop
from .model import Rule, RuleContext, Severity, StackView, Violation
from .values import as_list, pick

OPENAI_STYLE = (
    "POST /v1/fine_tuning/jobs",
    "POST /v1/files",
    "DELETE /v1/models/ft:gpt-4o-mini:acme::abc123",
)
PROBES: dict[str, tuple[str, ...]] = {
    "openai": OPENAI_STYLE,
    "mistral": OPENAI_STYLE,
    "huggingface": OPENAI_STYLE,
    "generic": OPENAI_STYLE,
    "anthropic": ("POST /v1/files", "POST /v1/organizations/invites"),
    "azure-openai": ("POST /openai/fine_tuning/jobs", "POST /openai/files"),
    "gemini": ("POST /v1beta/tunedModels", "POST /upload/v1beta/files"),
    "cohere": ("POST /v1/finetuning/finetuned-models", "POST /v1/datasets"),
    "bedrock": ("POST /model-customization-jobs",),
}
"""Request lines (``METHOD /path``, what hoop's guardrails match for HTTP proxy connections) a
mutation guardrail must deny, per API style: fine-tuning, file upload, model delete, org admin."""


def _denies(rules: list[Mapping[str, Any]], line: str) -> bool:
    for rule in rules:
        kind = str(rule.get("type") or "")
        if kind == "deny_words_list":
            if any(str(w).lower() in line.lower() for w in as_list(rule.get("words")) if str(w)):
                return True
        elif kind == "pattern_match":
            pattern = str(rule.get("pattern_regex") or rule.get("patternRegex") or "")
            try:
                if pattern and re.search(pattern, line):
                    return True
            except re.error:
                continue
    return False


def input_rules(guardrail: Any) -> list[Mapping[str, Any]]:
    spec = pick(guardrail.inputs, "input")
    return [r for r in as_list(pick(spec, "rules")) if isinstance(r, Mapping)]


class MutationGuardrail(Rule):
    id = "ZSP008"
    slug = "mutation-guardrail"
    title = "A guardrail blocks model-mutating operations"
    severity = Severity.HIGH
    rationale = (
        "An inference credential must not fine-tune, upload to, delete or administer the model "
        "account; the gateway has to deny those calls, not just record them."
    )
    remediation = (
        "Attach a hoop guardrail whose input rules deny fine-tuning, file upload, model "
        "delete/update and organisation admin paths (InferencePolicy does this per API style)."
    )

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        for connection in stack.hoop(hoop.CONNECTION):
            name = hoop.connection_name(connection)
            rules = [
                r for g in hoop.bound(stack, hoop.GUARDRAIL, connection) for r in input_rules(g)
            ]
            if not rules:
                yield Violation(connection, f"connection {name} has no guardrail with input rules")
                continue
            endpoint = hoop.endpoint_of(connection, stack)
            probes = PROBES.get(getattr(endpoint, "api", "openai"), ())
            allowed = [line for line in probes if not _denies(rules, line)]
            if allowed:
                yield Violation(
                    connection,
                    f"connection {name}: guardrails do not deny {', '.join(allowed)}",
                )


RULE = MutationGuardrail()
