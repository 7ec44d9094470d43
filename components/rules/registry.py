"""Every rule, in id order. Ids are stable: never renumber, only append."""

from __future__ import annotations

from . import (
    zsp001_trust_policy,
    zsp002_role_session,
    zsp003_token_validity,
    zsp004_endpoint_isolation,
    zsp005_connection_audited,
    zsp006_pii_masked,
    zsp007_high_risk_jit,
    zsp008_mutation_guardrail,
    zsp009_migrated_secrets,
    zsp010_gateway_tls,
    zsp011_siem_shipping,
    zsp012_plaintext_secret,
    zsp013_image_pinned,
)
from .model import Rule

RULES: tuple[Rule, ...] = (
    zsp001_trust_policy.RULE,
    zsp002_role_session.RULE,
    zsp003_token_validity.RULE,
    zsp004_endpoint_isolation.RULE,
    zsp005_connection_audited.RULE,
    zsp006_pii_masked.RULE,
    zsp007_high_risk_jit.RULE,
    zsp008_mutation_guardrail.RULE,
    zsp009_migrated_secrets.RULE,
    zsp010_gateway_tls.RULE,
    zsp011_siem_shipping.RULE,
    zsp012_plaintext_secret.RULE,
    zsp013_image_pinned.RULE,
)
RULE_IDS = frozenset(rule.id for rule in RULES)
BY_ID = {rule.id: rule for rule in RULES}
