"""ZSP001: every web-identity trust policy pins ``aud`` and ``sub`` with exact matches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import ResourceView, Rule, RuleContext, Severity, Violation
from .values import is_opaque, json_document, statements, strings

WILDCARD_TAG = "zsp:wildcard-sub"
_WEB_IDENTITY_ACTIONS = {"sts:assumerolewithwebidentity", "sts:*", "*"}


def _principals(statement: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """(trusts everyone, federated principals) of one statement."""
    principal = statement.get("Principal")
    if principal == "*":
        return True, []
    if not isinstance(principal, Mapping):
        return False, []
    if "*" in strings(principal.get("AWS")):
        return True, []
    return False, strings(principal.get("Federated"))


def _issuer(federated: str) -> str | None:
    """``arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com`` → the host part."""
    if ":saml-provider/" in federated:
        return None
    if ":oidc-provider/" in federated:
        return federated.split(":oidc-provider/", 1)[1]
    return federated  # e.g. cognito-identity.amazonaws.com


def _claim_conditions(condition: Any, key: str) -> list[tuple[str, list[str]]]:
    """Every (operator, values) that constrains ``key`` (case-insensitive, as IAM compares keys)."""
    found: list[tuple[str, list[str]]] = []
    if not isinstance(condition, Mapping):
        return found
    for operator, clauses in condition.items():
        if not isinstance(clauses, Mapping):
            continue
        for cond_key, values in clauses.items():
            if str(cond_key).lower() == key.lower():
                found.append((str(operator), strings(values)))
    return found


class TrustPolicyPinned(Rule):
    id = "ZSP001"
    slug = "trust-policy-pinned"
    title = "Web-identity trust policies pin aud and sub exactly"
    severity = Severity.CRITICAL
    rationale = (
        "A trust policy without an exact sub (or aud) lets any repository, project or service "
        "account of the issuer assume the role: a standing credential for the whole internet."
    )
    remediation = (
        "Add Condition.StringEquals {'<issuer>:aud': '<audience>', '<issuer>:sub': '<subject>'}; "
        "for a deliberate wildcard sub, tag the role zsp:wildcard-sub=<reason>."
    )
    resource_types = frozenset({"aws:iam/role:Role"})

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        raw = resource.inputs.get("assumeRolePolicy")
        if is_opaque(raw):
            return
        document = json_document(raw)
        if document is None:
            if raw is not None:
                yield Violation(resource, "assumeRolePolicy is not a JSON policy document")
            return
        wildcard_reason = resource.tags.get(WILDCARD_TAG, "").strip()
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            where = f"Statement[{index}]"
            everyone, federated = _principals(statement)
            if everyone:
                yield Violation(
                    resource, f"{where} trusts Principal '*' (anyone can assume the role)"
                )
                continue
            actions = {a.lower() for a in strings(statement.get("Action"))}
            if not federated or not actions & _WEB_IDENTITY_ACTIONS:
                continue
            for provider in federated:
                issuer = _issuer(provider)
                if issuer is None:
                    continue
                for claim in ("aud", "sub"):
                    yield from self._claim(
                        resource, where, statement, f"{issuer}:{claim}", claim, wildcard_reason
                    )

    def _claim(
        self,
        resource: ResourceView,
        where: str,
        statement: Mapping[str, Any],
        key: str,
        claim: str,
        wildcard_reason: str,
    ) -> Iterable[Violation]:
        clauses = _claim_conditions(statement.get("Condition"), key)
        if not clauses:
            yield Violation(resource, f"{where} has no condition on {key}: any {claim} is trusted")
            return
        for operator, values in clauses:
            if ":" in operator:  # ForAllValues:/ForAnyValue: set operators
                yield Violation(
                    resource,
                    f"{where} uses {operator} on the single-valued claim {key} "
                    "(a set operator passes when the claim is absent)",
                )
            elif operator == "StringLike" and claim == "sub" and wildcard_reason:
                if any("*" in v or "?" in v for v in values):
                    yield Violation(
                        resource,
                        f"{where} allows wildcard {key} {values}",
                        acknowledged=f"tag {WILDCARD_TAG}: {wildcard_reason}",
                    )
            elif operator != "StringEquals":
                yield Violation(
                    resource,
                    f"{where} matches {key} with {operator} {values}; only StringEquals is exact",
                )
            if not values or any(v.strip() in ("", "*") for v in values):
                yield Violation(resource, f"{where} pins {key} to an empty or '*' value")


RULE = TrustPolicyPinned()
