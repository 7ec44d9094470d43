"""Invariant 4: the model endpoint is reachable only through the agent.

Without this, the gateway can be walked around — any pod in the cluster could call the model
directly — and recording, masking and approval mean nothing. Two variants:

- ``kubernetes``: a NetworkPolicy selecting the model's pods (the endpoint's ``podLabels``) with
  ``policyTypes: [Ingress]`` — which denies every ingress not allowed — and exactly one allow rule:
  from the agent's pods, in the agent's namespace, on the model port.
- ``security_group``: for endpoints outside Kubernetes (an EC2/ECS model server), a dedicated
  security group whose only ingress is the agent's security group on the model port. Attach it as
  the endpoint's *only* group: security groups are additive.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .k8s import MANAGED_BY
from .network_policy import Peer, ingress_only_from


@dataclass(frozen=True)
class PodTarget:
    """A model served by pods: select them by label, allow the agent's pods."""

    namespace: str
    pod_labels: dict[str, str]
    port: int
    agent_namespace: str
    agent_pod_labels: dict[str, str]


@dataclass(frozen=True)
class SecurityGroupTarget:
    """A model outside Kubernetes: a fresh security group opened to the agent's group only."""

    vpc_id: str
    port: int
    agent_security_group_id: pulumi.Input[str]


@dataclass(frozen=True)
class EndpointIsolationArgs:
    """Inputs of ``EndpointIsolation``: the endpoint's name and exactly one target."""

    endpoint: str
    target: PodTarget | SecurityGroupTarget


class EndpointIsolation(pulumi.ComponentResource):
    """Default-deny ingress to one model endpoint, except from the hoop agent."""

    security_group_id: pulumi.Output[str] | None
    network_policy: k8s.networking.v1.NetworkPolicy | None

    def __init__(
        self, name: str, args: EndpointIsolationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:isolation:EndpointIsolation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        target = args.target
        self.security_group_id = None
        self.network_policy = None
        if isinstance(target, PodTarget):
            if not target.pod_labels or not target.agent_pod_labels:
                # An empty selector would select every pod (or allow every pod): refuse it.
                raise ValueError(f"endpoint {args.endpoint!r}: pod and agent labels are required")
            self.network_policy = ingress_only_from(
                f"{name}-netpol",
                name=f"{args.endpoint}-only-from-hoop-agent",
                namespace=target.namespace,
                pod_labels=target.pod_labels,
                peers=[Peer(namespace=target.agent_namespace, pod_labels=target.agent_pod_labels)],
                ports=[target.port],
                labels={
                    "app.kubernetes.io/managed-by": MANAGED_BY,
                    "zsp.dev/endpoint": args.endpoint,
                },
                opts=child,
            )
        else:
            group = aws.ec2.SecurityGroup(
                f"{name}-sg",
                name=f"zsp-endpoint-{args.endpoint}",
                description=f"{args.endpoint}: model port from the hoop agent only",
                vpc_id=target.vpc_id,
                tags={"zsp:endpoint": args.endpoint},
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-agent",
                security_group_id=group.id,
                referenced_security_group_id=target.agent_security_group_id,
                ip_protocol="tcp",
                from_port=target.port,
                to_port=target.port,
                description="model port from the hoop agent",
                opts=child,
            )
            self.security_group_id = group.id
        self.register_outputs({"security_group_id": self.security_group_id})
