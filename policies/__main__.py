"""The zsp CrossGuard policy pack: only the ``PolicyPack`` construction lives here.

Rules, adapters and judging are in ``zsp.components.rules`` so they stay importable and testable
without the policy engine; constructing ``PolicyPack`` starts the analyzer server and blocks.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from zsp.components.rules.crossguard import build_policies

PolicyPack(
    name="zsp-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
)
