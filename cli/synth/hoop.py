"""hoop objects in a synthesis: dynamic resources with a ``kind`` input such as ``hoop:guardrail``.

``zsp synth`` lists them individually (not as a count per type) because each one is a policy a
reviewer must read: which endpoint, which groups, which patterns. Their inputs are already
redacted by the recorder (``auth`` is a secret), and the control inputs that only say how to
reach hoop are left out of the listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import RecordedResource, Synthesis

CONTROL_INPUTS = ("kind", "api_url", "transport")


@dataclass(frozen=True)
class HoopObject:
    kind: str
    label: str
    resource: RecordedResource

    @property
    def spec(self) -> dict[str, Any]:
        return {k: v for k, v in self.resource.inputs.items() if k not in CONTROL_INPUTS}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "object": self.label,
            "resource": self.resource.name,
            "urn": self.resource.urn,
            "api_url": self.resource.inputs.get("api_url"),
            "inputs": self.spec,
        }


def hoop_kind(resource: RecordedResource) -> str | None:
    kind = resource.inputs.get("kind") if resource.custom else None
    return kind if isinstance(kind, str) and kind.startswith("hoop:") else None


def hoop_label(inputs: dict[str, Any]) -> str:
    if "plugin" in inputs:
        return f"{inputs.get('plugin')} → {inputs.get('connection_name')}"
    for key in ("subject", "name", "listen_address"):
        if inputs.get(key):
            return str(inputs[key])
    return "?"


def hoop_objects(synthesis: Synthesis) -> list[HoopObject]:
    """Every hoop object of the stack, by kind then object name (stable across runs)."""
    found = []
    for resource in synthesis.resources:
        kind = hoop_kind(resource)
        if kind is not None:
            found.append(HoopObject(kind, hoop_label(resource.inputs), resource))
    return sorted(found, key=lambda o: (o.kind, o.label, o.resource.name))
