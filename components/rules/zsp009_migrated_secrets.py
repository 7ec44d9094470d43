"""ZSP009: migrated upstream keys use a customer-managed KMS key; only the agent role reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .kube import SERVICE_ACCOUNT, metadata_name, namespace_of, workloads
from .model import ResourceView, Rule, RuleContext, Severity, StackView, Violation
from .values import is_opaque, json_document, path, pick, statements, strings

SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 - a type token
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"  # noqa: S105 - a type token
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def _migrated_names(ctx: RuleContext) -> set[str]:
    return {e.upstream_secret for e in ctx.config.endpoints if e.upstream_secret}


def is_migrated(secret: ResourceView, ctx: RuleContext) -> bool:
    return secret.inputs.get("name") in _migrated_names(ctx) or "zsp:migrated" in secret.tags


def agent_role_arns(stack: StackView) -> set[str]:
    """Role ARNs the hoop agent pods run as (IRSA annotation or EKS Pod Identity association)."""
    identities = {(w.namespace, w.service_account) for w in workloads(stack) if w.is_hoop_agent}
    arns: set[str] = set()
    for account in stack.of_type(SERVICE_ACCOUNT):
        if (namespace_of(account), metadata_name(account)) in identities:
            arn = path(account.inputs, "metadata", "annotations", IRSA_ANNOTATION)
            if isinstance(arn, str):
                arns.add(arn)
    for association in stack.of_type(POD_IDENTITY):
        key = (
            str(pick(association.inputs, "namespace")),
            str(pick(association.inputs, "serviceAccount")),
        )
        arn = pick(association.inputs, "roleArn")
        if key in identities and isinstance(arn, str):
            arns.add(arn)
    return arns


def _policies_for(secret: ResourceView, stack: StackView) -> list[ResourceView]:
    index: dict[str, list[ResourceView]] | None = stack.memo.get("secret-policies")
    if index is None:
        index = {}
        for policy in stack.of_type(SECRET_POLICY):
            for key in {*policy.dependencies, str(policy.inputs.get("secretArn"))}:
                index.setdefault(key, []).append(policy)
        stack.memo["secret-policies"] = index
    keys = {secret.urn} | {str(v) for v in (secret.inputs.get("arn"), secret.inputs.get("id")) if v}
    found = {p.urn: p for key in keys for p in index.get(key, [])}
    return list(found.values())


class MigratedSecretsLocked(Rule):
    id = "ZSP009"
    slug = "migrated-secrets-locked"
    title = "Migrated keys: customer-managed KMS key, readable by the agent role only"
    severity = Severity.CRITICAL
    rationale = (
        "A migrated upstream key readable by anyone in the account is still a standing key; the "
        "agent must be the only reader, and the key policy a second lock under our control."
    )
    remediation = (
        "Set kmsKeyId to a stack-managed aws.kms.Key and attach a SecretPolicy whose Allow "
        "statements name only the agent's IAM role."
    )
    resource_types = frozenset({SECRET})

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        if not is_migrated(resource, ctx):
            return
        key = resource.inputs.get("kmsKeyId")
        if is_opaque(key):
            return
        if not key:
            yield Violation(
                resource, "no kmsKeyId: encrypted with the AWS-managed key aws/secretsmanager"
            )
        elif "alias/aws/" in str(key):
            yield Violation(resource, f"kmsKeyId {key} is an AWS-managed key, not customer-managed")

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        agents = agent_role_arns(stack)
        for secret in stack.of_type(SECRET):
            if not is_migrated(secret, ctx):
                continue
            label = secret.inputs.get("name") or secret.name
            policies = _policies_for(secret, stack)
            if not policies:
                yield Violation(secret, f"secret {label} has no resource policy (SecretPolicy)")
                continue
            for policy in policies:
                raw = policy.inputs.get("policy")
                if is_opaque(raw):
                    continue
                document = json_document(raw)
                if document is None:
                    yield Violation(policy, "policy is not a JSON policy document")
                    continue
                yield from self._principals(policy, document, agents, str(label))

    def _principals(
        self, policy: ResourceView, document: Mapping[str, object], agents: set[str], label: str
    ) -> Iterable[Violation]:
        named: set[str] = set()
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            if principal == "*" or not isinstance(principal, Mapping):
                yield Violation(
                    policy, f"Statement[{index}] allows Principal '*' on secret {label}"
                )
                continue
            others = {k for k in principal if k != "AWS"}
            if others:
                yield Violation(
                    policy, f"Statement[{index}] allows {sorted(others)} principals on {label}"
                )
            for arn in strings(principal.get("AWS")):
                if is_opaque(arn):
                    continue
                named.add(arn)
                if arn == "*" or ":role/" not in arn:
                    yield Violation(
                        policy, f"Statement[{index}] allows {arn} (not the agent role) on {label}"
                    )
                elif agents and arn not in agents:
                    yield Violation(
                        policy, f"Statement[{index}] allows {arn}, which is not the agent role"
                    )
        roles = {a for a in named if ":role/" in a}
        if not agents and len(roles) > 1:
            yield Violation(policy, f"secret {label} is readable by several roles {sorted(roles)}")


RULE = MigratedSecretsLocked()
