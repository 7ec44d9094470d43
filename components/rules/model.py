"""The neutral view every rule reads, and the shape of a rule and of what it reports.

Rules run in two places that see the desired state differently: ``zsp synth`` records
``RegisterResource`` calls (inputs with secrets already replaced by a marker), and the Pulumi
CrossGuard analyzer hands over ``ResourceValidationArgs`` / ``PolicyResource`` objects (inputs or
outputs with secrets decrypted and unknowns as sentinels). Both are adapted into ``ResourceView`` so
that one rule implementation serves both, and no rule imports Pulumi or click.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from zsp.components.config import StackConfig

UNKNOWN = "[unknown]"
"""A value the engine cannot know yet (preview); rules never decide on it."""
REDACTED = "[redacted]"
"""A value marked secret, replaced before any rule sees it (synth only)."""
DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic"
"""Python dynamic resources: ``pulumi-python:dynamic:Resource`` or ``…dynamic/hoop:X``."""


class Severity(enum.StrEnum):
    """How bad a violation is; ordering matters for the table (critical first)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW].index(self)


@dataclass(frozen=True)
class ResourceView:
    """One resource as the rules see it: type token, logical name, URN, camelCase inputs."""

    type: str
    name: str
    urn: str
    inputs: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    custom: bool = True
    secrets_redacted: bool = True
    """True when values marked secret are already ``[redacted]`` (synth); False when the engine
    decrypted them (CrossGuard), so rules must not mistake a declared secret for a plaintext one."""

    @property
    def hoop_kind(self) -> str | None:
        """``hoop:connection`` etc. for the hoop dynamic provider's resources, else None."""
        if not self.type.startswith(DYNAMIC_TYPE_PREFIX):
            return None
        kind = self.inputs.get("kind")
        return kind if isinstance(kind, str) and kind.startswith("hoop:") else None

    @property
    def tags(self) -> dict[str, str]:
        tags = self.inputs.get("tags")
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}


@dataclass(frozen=True)
class ConfigRef:
    """A stack-config key a rule reports on (``zsp:endpoints[0].url``), in place of a resource."""

    key: str


@dataclass(frozen=True)
class Violation:
    """What a rule yields: the resource (or config key) at fault and a message without secrets."""

    resource: ResourceView | ConfigRef
    message: str
    acknowledged: str | None = None
    """Set when the stack explicitly asked for this (e.g. tag ``zsp:wildcard-sub``): reported on
    every run, never silently passed, but not a failure."""

    @property
    def resource_name(self) -> str:
        return self.resource.key if isinstance(self.resource, ConfigRef) else self.resource.name

    @property
    def resource_urn(self) -> str | None:
        return None if isinstance(self.resource, ConfigRef) else self.resource.urn

    @property
    def resource_type(self) -> str:
        return "stack-config" if isinstance(self.resource, ConfigRef) else self.resource.type


@dataclass
class StackView:
    """Every resource of the stack plus its typed config; helpers shared by stack-scope rules."""

    resources: list[ResourceView]
    config: StackConfig
    secrets_redacted: bool = True
    _by_urn: dict[str, ResourceView] = field(default_factory=dict, init=False, repr=False)
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    """Indexes rules build once per evaluation (keeps large stacks linear, not quadratic)."""

    def __post_init__(self) -> None:
        self._by_urn = {r.urn: r for r in self.resources}

    def get(self, urn: str) -> ResourceView | None:
        return self._by_urn.get(urn)

    def of_type(self, *types: str) -> list[ResourceView]:
        return [r for r in self.resources if r.type in types]

    def hoop(self, *kinds: str) -> list[ResourceView]:
        return [r for r in self.resources if r.hoop_kind in kinds]

    def ancestors(self, resource: ResourceView) -> Iterator[ResourceView]:
        seen: set[str] = set()
        current = resource.parent
        while current and current not in seen and current in self._by_urn:
            seen.add(current)
            parent = self._by_urn[current]
            yield parent
            current = parent.parent

    def descendants(self, urn: str) -> list[ResourceView]:
        return [r for r in self.resources if any(a.urn == urn for a in self.ancestors(r))]


@dataclass(frozen=True)
class RuleContext:
    """Stack config and the ``zsp:guardrails`` knobs a rule compares against."""

    config: StackConfig
    today: datetime.date

    @property
    def max_role_session(self) -> int:
        return self.config.guardrails.max_role_session_duration

    @property
    def max_access_token_validity(self) -> int:
        configured = self.config.guardrails.max_access_token_validity
        return configured if configured is not None else self.config.credentials.max_ttl


class Rule:
    """Base of every rule: stable id, severity, one-line rationale and remediation.

    A rule checks single resources (``resource_types`` + ``check_resource``: runs per resource,
    in CrossGuard as a ``ResourceValidationPolicy``), the whole stack (``check_stack``: a
    ``StackValidationPolicy``), or both.
    """

    id: ClassVar[str]
    slug: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity]
    rationale: ClassVar[str]
    remediation: ClassVar[str]
    resource_types: ClassVar[frozenset[str] | None] = None
    """Types ``check_resource`` applies to; None means every custom resource."""
    default_level: ClassVar[str] = "mandatory"

    @property
    def policy_name(self) -> str:
        """Name in the CrossGuard pack and in ``policy.json``: ``ZSP001-trust-policy-pinned``."""
        return f"{self.id}-{self.slug}"

    @property
    def has_resource_check(self) -> bool:
        return type(self).check_resource is not Rule.check_resource

    @property
    def has_stack_check(self) -> bool:
        return type(self).check_stack is not Rule.check_stack

    def applies_to(self, resource: ResourceView) -> bool:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            return False
        return self.resource_types is None or resource.type in self.resource_types

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        return ()

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        return ()

    def describe(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.policy_name,
            "title": self.title,
            "severity": self.severity.value,
            "rationale": self.rationale,
            "remediation": self.remediation,
        }
