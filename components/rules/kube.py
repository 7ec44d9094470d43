"""Kubernetes reading helpers: workloads, their pod templates and what runs in them."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import ResourceView, StackView
from .values import as_list, labels_of, path

WORKLOAD_TYPES = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    "kubernetes:core/v1:Pod": (),
}
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GATEWAY_API = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Workload:
    """A resource that makes pods: where they run, their labels and their containers."""

    resource: ResourceView
    namespace: str
    pod_labels: dict[str, str]
    pod_spec: Mapping[str, Any]

    @property
    def containers(self) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        for key in ("initContainers", "containers"):
            found += [c for c in as_list(self.pod_spec.get(key)) if isinstance(c, Mapping)]
        return found

    def _runs(self, role: str) -> bool:
        for container in self.containers:
            image = str(container.get("image") or "")
            words = [
                str(w)
                for w in [*as_list(container.get("command")), *as_list(container.get("args"))]
            ]
            if "hoophq/" not in image:
                continue
            if role == "agent" and ("hoopagent" in image or "agent" in words):
                return True
            if role == "gateway" and "gateway" in words:
                return True
        return False

    @functools.cached_property
    def is_hoop_agent(self) -> bool:
        """Runs ``hoophq/hoopagent`` (or ``hoop start agent``): the one caller a model admits."""
        return self._runs("agent")

    @functools.cached_property
    def is_hoop_gateway(self) -> bool:
        return self._runs("gateway")

    @property
    def service_account(self) -> str:
        return str(self.pod_spec.get("serviceAccountName") or "default")


def namespace_of(resource: ResourceView) -> str:
    return str(path(resource.inputs, "metadata", "namespace") or "default")


def metadata_name(resource: ResourceView) -> str:
    return str(path(resource.inputs, "metadata", "name") or resource.name)


def workload(resource: ResourceView) -> Workload | None:
    template_path = WORKLOAD_TYPES.get(resource.type)
    if template_path is None:
        return None
    template = path(resource.inputs, *template_path) if template_path else resource.inputs
    if not isinstance(template, Mapping):
        return None
    spec = template.get("spec")
    return Workload(
        resource=resource,
        namespace=namespace_of(resource),
        pod_labels=labels_of(path(template, "metadata", "labels")),
        pod_spec=spec if isinstance(spec, Mapping) else {},
    )


def workloads(stack: StackView) -> list[Workload]:
    found = [workload(r) for r in stack.resources if r.type in WORKLOAD_TYPES]
    return [w for w in found if w is not None]
