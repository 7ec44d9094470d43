"""Guardrails for the stacks themselves: rules over the desired state, shared by ``zsp synth`` and
the CrossGuard policy pack (``policies/``).

Nothing here imports Pulumi, ``pulumi_policy`` or click: the CrossGuard adapter
(``zsp.components.rules.crossguard``) imports ``pulumi_policy`` itself, so the rules stay
importable and testable without the engine.
"""

from .engine import ExceptionRecord, Finding, PolicyReport, evaluate, judge, level_of
from .model import ConfigRef, ResourceView, Rule, RuleContext, Severity, StackView, Violation
from .registry import BY_ID, RULE_IDS, RULES

__all__ = [
    "BY_ID",
    "RULES",
    "RULE_IDS",
    "ConfigRef",
    "ExceptionRecord",
    "Finding",
    "PolicyReport",
    "ResourceView",
    "Rule",
    "RuleContext",
    "Severity",
    "StackView",
    "Violation",
    "evaluate",
    "judge",
    "level_of",
]
