"""ZSP004: every in-cluster model is selected by a NetworkPolicy that admits only the hoop agent."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .kube import NAMESPACE_NAME_LABEL, NETWORK_POLICY, Workload, namespace_of, workloads
from .model import ConfigRef, ResourceView, Rule, RuleContext, Severity, StackView, Violation
from .values import as_list, path, selector_is_empty, selector_matches, strings


def _policy_types(policy: ResourceView) -> list[str]:
    declared = strings(path(policy.inputs, "spec", "policyTypes"))
    if declared:
        return declared
    # Kubernetes default: Ingress always, Egress only when egress rules are present.
    return ["Ingress", "Egress"] if path(policy.inputs, "spec", "egress") else ["Ingress"]


def _peer_namespaces(peer: Mapping[str, Any], policy_ns: str) -> set[str] | None:
    """Namespaces a peer's pods may live in; None means any namespace (or one we cannot name)."""
    selector = peer.get("namespaceSelector")
    if selector is None:
        return {policy_ns}
    if not isinstance(selector, Mapping) or selector_is_empty(selector):
        return None
    names: set[str] = set()
    match_labels = selector.get("matchLabels") or {}
    if isinstance(match_labels, Mapping) and NAMESPACE_NAME_LABEL in match_labels:
        names.add(str(match_labels[NAMESPACE_NAME_LABEL]))
    for expr in as_list(selector.get("matchExpressions")):
        if isinstance(expr, Mapping) and expr.get("key") == NAMESPACE_NAME_LABEL:
            if expr.get("operator") == "In":
                names.update(strings(expr.get("values")))
    return names or None


def _peer_problem(peer: Any, policy_ns: str, pods: list[Workload]) -> str | None:
    """Why this ``from`` peer admits more than the agent, or None when it admits only the agent."""
    if not isinstance(peer, Mapping):
        return "has a malformed peer"
    if peer.get("ipBlock") is not None:
        return "admits an ipBlock (traffic that does not come from the agent pods)"
    pod_selector = peer.get("podSelector")
    if pod_selector is None or selector_is_empty(pod_selector):
        return "admits every pod of the selected namespaces (no podSelector)"
    namespaces = _peer_namespaces(peer, policy_ns)
    if namespaces is None:
        return "admits matching pods from any namespace (namespaceSelector is not pinned by name)"
    selected = [
        w
        for w in pods
        if w.namespace in namespaces and selector_matches(pod_selector, w.pod_labels)
    ]
    if not any(w.is_hoop_agent for w in selected):
        return "selects no hoop agent pods"
    others = [w.resource.name for w in selected if not w.is_hoop_agent]
    if others:
        return f"also selects non-agent workloads {sorted(others)}"
    return None


SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ENDPOINT_TAG = "zsp:endpoint"
_OPEN_SOURCES = (
    "cidrIpv4",
    "cidrIpv6",
    "prefixListId",
    "cidrBlocks",
    "ipv6CidrBlocks",
    "prefixListIds",
)


def _security_group_problems(group: ResourceView, stack: StackView) -> Iterable[str]:
    """The security-group variant: ingress only from referenced security groups (the agent's)."""
    for index, inline in enumerate(as_list(group.inputs.get("ingress"))):
        if isinstance(inline, Mapping) and (
            any(inline.get(k) for k in _OPEN_SOURCES) or inline.get("self")
        ):
            yield f"inline ingress[{index}] admits address ranges, not only the agent's group"
    group_ids = {str(v) for v in (group.inputs.get("id"), group.inputs.get("arn")) if v}
    for rule in stack.of_type(INGRESS_RULE, LEGACY_RULE):
        attached = (
            group.urn in rule.dependencies or str(rule.inputs.get("securityGroupId")) in group_ids
        )
        if not attached or (rule.type == LEGACY_RULE and rule.inputs.get("type") != "ingress"):
            continue
        if any(rule.inputs.get(k) for k in _OPEN_SOURCES) or rule.inputs.get("self"):
            yield f"ingress rule {rule.name} admits address ranges, not only the agent's group"
        elif not (
            rule.inputs.get("referencedSecurityGroupId") or rule.inputs.get("sourceSecurityGroupId")
        ):
            yield f"ingress rule {rule.name} names no source security group"


class EndpointIsolated(Rule):
    id = "ZSP004"
    slug = "endpoint-isolated"
    title = "Model endpoints admit only the hoop agent"
    severity = Severity.CRITICAL
    rationale = (
        "If a model pod accepts traffic from anything but the agent, callers can bypass the "
        "gateway and every control it enforces."
    )
    remediation = (
        "Select the model's podLabels with a NetworkPolicy (policyTypes [Ingress]) whose only "
        "ingress peer is the agent's podSelector (plus a namespaceSelector on "
        "kubernetes.io/metadata.name when the agent runs elsewhere); outside Kubernetes, a "
        "security group tagged zsp:endpoint with ingress only from the agent's security group."
    )

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        pods = workloads(stack)
        # Inverted indexes keep this linear in the stack size: (namespace, label, value) → items.
        pods_by_label: dict[tuple[str, str, str], list[Workload]] = {}
        for w in pods:
            if not w.is_hoop_agent:
                for key, value in w.pod_labels.items():
                    pods_by_label.setdefault((w.namespace, key, value), []).append(w)
        policies_by_label: dict[tuple[str, str, str], list[ResourceView]] = {}
        unindexed: dict[str, list[ResourceView]] = {}
        for policy in stack.of_type(NETWORK_POLICY):
            if "Ingress" not in _policy_types(policy):
                continue
            match = path(policy.inputs, "spec", "podSelector", "matchLabels")
            if isinstance(match, Mapping) and match:
                key, value = sorted(match.items())[0]
                policies_by_label.setdefault(
                    (namespace_of(policy), str(key), str(value)), []
                ).append(policy)
            else:
                unindexed.setdefault(namespace_of(policy), []).append(policy)
        verdicts: dict[str, str | None] = {}  # the same agent peer recurs on every model
        for index, endpoint in enumerate(stack.config.endpoints):
            server = endpoint.server
            if endpoint.kind != "in-cluster" or server is None:
                continue
            labels = dict(server.pod_labels)
            # Selectors see the deployed model's full pod labels (when the stack deploys it).
            first = sorted(labels.items())[0]
            model = [
                w
                for w in pods_by_label.get((server.namespace, *first), [])
                if all(w.pod_labels.get(k) == v for k, v in labels.items())
            ]
            subject: ResourceView | ConfigRef = (
                model[0].resource if model else ConfigRef(f"zsp:endpoints[{index}].server")
            )
            pod_label_sets = [w.pod_labels for w in model] or [labels]
            candidates = {
                p.urn: p
                for ls in pod_label_sets
                for pair in ls.items()
                for p in policies_by_label.get((server.namespace, *pair), [])
            }
            candidates.update({p.urn: p for p in unindexed.get(server.namespace, [])})
            covering = [
                p
                for p in candidates.values()
                if any(
                    selector_matches(path(p.inputs, "spec", "podSelector"), ls)
                    for ls in pod_label_sets
                )
            ]
            if not covering:
                yield Violation(
                    subject,
                    f"endpoint {endpoint.name}: no Ingress NetworkPolicy in namespace "
                    f"{server.namespace} selects its pods {labels}; they accept any traffic",
                )
                continue
            for policy in covering:
                for problem in self._policy_problems(policy, server.namespace, pods, verdicts):
                    yield Violation(policy, f"endpoint {endpoint.name}: {problem}")
        for group in stack.of_type(SECURITY_GROUP):
            endpoint_name = group.tags.get(ENDPOINT_TAG)
            if endpoint_name:
                for problem in _security_group_problems(group, stack):
                    yield Violation(group, f"endpoint {endpoint_name}: {problem}")

    def _policy_problems(
        self,
        policy: ResourceView,
        namespace: str,
        pods: list[Workload],
        verdicts: dict[str, str | None],
    ) -> Iterable[str]:
        rules = as_list(path(policy.inputs, "spec", "ingress"))
        for index, rule in enumerate(rules):
            where = f"{policy.name} ingress[{index}]"
            peers = as_list(rule.get("from")) if isinstance(rule, Mapping) else []
            if not peers:
                yield f"{where} has no 'from': it admits every source"
                continue
            for peer in peers:
                key = json.dumps([namespace, peer], sort_keys=True, default=str)
                if key not in verdicts:
                    verdicts[key] = _peer_problem(peer, namespace, pods)
                problem = verdicts[key]
                if problem:
                    yield f"{where} {problem}"


RULE = EndpointIsolated()
