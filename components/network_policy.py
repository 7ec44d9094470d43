"""One helper for the "only these peers may connect" NetworkPolicies zsp puts on its own pods.

Every zsp workload gets one (CIS: pods without a NetworkPolicy accept traffic from anywhere in
the cluster). The model endpoints' policy is the important one and lives in ``isolation.py``; this
helper covers the gateway, Presidio, Postgres and the agent, whose rules are simple.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (1.21+); cannot be forged by a namespace owner."""


@dataclass(frozen=True)
class Peer:
    """Pods allowed to connect: matching ``pod_labels`` (all if empty) in ``namespace``."""

    namespace: str | None = None
    pod_labels: dict[str, str] = field(default_factory=dict)

    def to_args(self) -> k8s.networking.v1.NetworkPolicyPeerArgs:
        if self.namespace is None and not self.pod_labels:
            raise ValueError("a peer needs a namespace or pod labels (an empty peer is invalid)")
        return k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=(
                k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: self.namespace})
                if self.namespace is not None
                else None
            ),
            pod_selector=(
                k8s.meta.v1.LabelSelectorArgs(match_labels=dict(self.pod_labels))
                if self.pod_labels
                else None
            ),
        )


def ingress_only_from(
    resource_name: str,
    *,
    name: str,
    namespace: str,
    pod_labels: dict[str, str],
    peers: Sequence[Peer],
    ports: Sequence[int],
    labels: dict[str, str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.networking.v1.NetworkPolicy:
    """Deny all ingress to the selected pods except from ``peers`` on ``ports``.

    With no peers the policy is a pure default-deny (``ingress: []``).
    """
    rules = (
        [
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[peer.to_args() for peer in peers],
                ports=[
                    k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol="TCP")
                    for port in ports
                ],
            )
        ]
        if peers
        else []
    )
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pod_labels)),
            policy_types=["Ingress"],
            ingress=rules,
        ),
        opts=opts,
    )
