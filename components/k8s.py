"""Kubernetes building blocks every zsp workload shares: labels and a hardened pod baseline.

Centralised so that "non-root, read-only root filesystem, no capabilities, seccomp RuntimeDefault"
is one decision made once, not re-typed (and drifted) per component.
"""

from __future__ import annotations

import pulumi_kubernetes as k8s

MANAGED_BY = "zsp"


def labels(name: str, component: str, part_of: str = "zsp") -> dict[str, str]:
    """Recommended ``app.kubernetes.io/*`` labels; ``name`` + ``instance`` form the selector."""
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def selector(name: str, component: str) -> dict[str, str]:
    """The immutable subset of ``labels`` used in selectors (Deployment selectors cannot change)."""
    return {"app.kubernetes.io/name": component, "app.kubernetes.io/instance": name}


def restricted_container_security(
    read_only_root: bool = True, run_as_user: int = 65532
) -> k8s.core.v1.SecurityContextArgs:
    """Pod Security Standard *restricted* for one container."""
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False,
        read_only_root_filesystem=read_only_root,
        run_as_non_root=True,
        run_as_user=run_as_user,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def restricted_pod_security(run_as_user: int = 65532) -> k8s.core.v1.PodSecurityContextArgs:
    """Pod-level half of the restricted baseline."""
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=run_as_user,
        run_as_group=run_as_user,
        fs_group=run_as_user,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def restricted_namespace_labels() -> dict[str, str]:
    """Pod Security Admission labels: enforce *restricted* so a later edit cannot weaken pods."""
    return {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


TMP_DIR = "/tmp"  # noqa: S108 - a path inside the container, mounted from an emptyDir volume
"""Where hardened (read-only root) containers get their scratch space."""
