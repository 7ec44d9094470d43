"""What synth records: resources as the engine would receive them, secrets already redacted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class RecordedResource:
    """One ``RegisterResource`` call, as the Pulumi engine would have received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    order: int = 0

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @property
    def package(self) -> str:
        return self.type.split(":", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
        }


@dataclass
class Synthesis:
    """The full desired state of one stack."""

    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str, under: str | None = None) -> list[RecordedResource]:
        """Resources of one type; with ``under``, only those inside a component of that type."""
        found = [r for r in self.resources if r.type == type_token]
        if under is not None:
            found = [r for r in found if any(a.type == under for a in self.ancestors(r))]
        return found

    def children(self, urn: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == urn]

    def ancestors(self, resource: RecordedResource) -> list[RecordedResource]:
        """Parents from the nearest up to (excluding) the stack."""
        index = self.by_urn()
        chain: list[RecordedResource] = []
        current = resource.parent
        while current and current in index and index[current].type != STACK_TYPE:
            chain.append(index[current])
            current = index[current].parent
        return chain
