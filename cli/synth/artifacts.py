"""Write the desired state to disk: ``resources.json``, ``manifests/``, ``iam/``, ``hoop.json``.

Each artifact is written to a temporary directory first and moved into place at the end, so an
interrupted or failing synth never leaves a half-written output directory behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .hoop import hoop_objects
from .model import RecordedResource, Synthesis

# Helm's install order: objects others depend on go first.
APPLY_ORDER = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
]

POLICY_FIELDS = ("assumeRolePolicy", "policy", "policyDocument", "keyPolicy", "accessPolicies")
"""Input names under which AWS resources carry IAM-language JSON documents."""


@dataclass(frozen=True)
class Manifest:
    resource: RecordedResource
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.body.get("metadata", {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = self.body.get("metadata", {}).get("namespace")
        return str(ns) if ns else None


@dataclass(frozen=True)
class PolicyDocument:
    resource: RecordedResource
    field: str
    document: Any


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _api_version(type_token: str) -> tuple[str, str]:
    """``kubernetes:apps/v1:Deployment`` → ``("apps/v1", "Deployment")``."""
    _, group_version, kind = type_token.split(":")
    group, _, version = group_version.partition("/")
    return (version if group == "core" else f"{group}/{version}"), kind


def kubernetes_manifests(synthesis: Synthesis) -> list[Manifest]:
    """Every Kubernetes object of the stack, as the API server would receive it, in apply order."""
    manifests: list[Manifest] = []
    for resource in synthesis.resources:
        if not resource.custom or not resource.type.startswith("kubernetes:"):
            continue
        if resource.is_provider or resource.type.startswith("kubernetes:helm.sh"):
            continue
        if resource.type.startswith("kubernetes:yaml"):
            continue
        api_version, kind = _api_version(resource.type)
        body = _strip_nulls(dict(resource.inputs))
        body["apiVersion"] = body.get("apiVersion", api_version)
        body["kind"] = body.get("kind", kind)
        metadata = dict(body.get("metadata") or {})
        if "name" not in metadata:
            # Pulumi auto-names with a random suffix; synth shows the logical name instead.
            metadata["name"] = resource.name
        body["metadata"] = metadata
        ordered = {"apiVersion": body.pop("apiVersion"), "kind": body.pop("kind"), **body}
        manifests.append(Manifest(resource, ordered))

    def rank(m: Manifest) -> tuple[int, str, str]:
        index = APPLY_ORDER.index(m.kind) if m.kind in APPLY_ORDER else len(APPLY_ORDER)
        return index, m.namespace or "", m.name

    return sorted(manifests, key=rank)


def _as_document(value: Any) -> Any | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, dict) and "Statement" in value:
        return value
    return None


def policy_documents(synthesis: Synthesis) -> list[PolicyDocument]:
    """Every IAM identity, trust and resource policy document in the stack."""
    found: list[PolicyDocument] = []
    for resource in synthesis.resources:
        if not resource.type.startswith("aws:"):
            continue
        for field in POLICY_FIELDS:
            doc = _as_document(resource.inputs.get(field))
            if doc is not None:
                found.append(PolicyDocument(resource, field, doc))
        for index, inline in enumerate(resource.inputs.get("inlinePolicies") or []):
            doc = _as_document(inline.get("policy") if isinstance(inline, dict) else None)
            if doc is not None:
                found.append(PolicyDocument(resource, f"inlinePolicies[{index}]", doc))
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower()


def _dump_yaml(body: dict[str, Any], path: Path) -> None:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(body, handle)


def write_artifacts(
    synthesis: Synthesis, out_dir: Path, extra: dict[str, str] | None = None
) -> dict[str, int]:
    """Write all artifacts atomically into ``out_dir`` (replaced as a whole); return counts.

    ``extra`` maps file names to text written alongside (e.g. ``policy.json``), in the same swap.
    """
    out_dir = out_dir.resolve()
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "resources.json").is_file():
        # The directory is replaced as a whole: never do that to one synth did not write.
        raise FileExistsError(f"{out_dir} exists and is not a zsp synth output directory")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".zsp-synth-", dir=out_dir.parent))
    try:
        document = {
            "project": synthesis.project,
            "stack": synthesis.stack,
            "note": "Desired state recorded offline by zsp synth; not a diff against the cloud.",
            "resources": [r.to_json() for r in synthesis.resources],
            "outputs": synthesis.outputs,
        }
        (staging / "resources.json").write_text(
            json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )
        manifests = kubernetes_manifests(synthesis)
        (staging / "manifests").mkdir()
        for index, manifest in enumerate(manifests, start=1):
            ns = f"{_slug(manifest.namespace)}." if manifest.namespace else ""
            name = f"{index:04d}-{_slug(manifest.kind)}-{ns}{_slug(manifest.name)}.yaml"
            _dump_yaml(manifest.body, staging / "manifests" / name)
        documents = policy_documents(synthesis)
        (staging / "iam").mkdir()
        used: set[str] = set()
        for doc in documents:
            kind = doc.resource.type.rsplit(":", 1)[-1]
            base = f"{_slug(kind)}.{_slug(doc.resource.name)}.{_slug(doc.field)}"
            name, n = base, 1
            while name in used:
                n += 1
                name = f"{base}-{n}"
            used.add(name)
            (staging / "iam" / f"{name}.json").write_text(
                json.dumps(doc.document, indent=2) + "\n", encoding="utf-8"
            )
        hoop = [o.to_json() for o in hoop_objects(synthesis)]
        (staging / "hoop.json").write_text(json.dumps(hoop, indent=2) + "\n", encoding="utf-8")
        for name, text in (extra or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        if out_dir.exists():
            backup = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(backup)
            staging.rename(out_dir)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {
        "resources": len(synthesis.resources),
        "manifests": len(manifests),
        "policies": len(documents),
        "hoop_objects": len(hoop),
    }
