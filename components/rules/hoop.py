"""Reading hoop objects managed as Pulumi dynamic resources (input ``kind`` = ``hoop:<object>``,
type ``pulumi-python:dynamic/hoop:<Object>``; inputs mirror hoop's API in snake_case).

A plugin binding, guardrail, masking rule or access-request rule *applies to* a connection when it
names the connection (hoop name or id, in a field about connections) or depends on the connection
resource: the dependency is what ties them together in Pulumi before hoop has assigned any id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import ResourceView, StackView
from .values import as_list, leaves, pick

CONNECTION = "hoop:connection"
PLUGIN = ("hoop:plugin-binding", "hoop:plugin")
GUARDRAIL = "hoop:guardrail"
DATAMASKING = "hoop:datamasking-rule"
ACCESS_REQUEST = "hoop:access-request-rule"


def connection_name(connection: ResourceView) -> str:
    return str(pick(connection.inputs, "name") or connection.name)


def endpoint_of(connection: ResourceView, stack: StackView) -> Any:
    """The configured endpoint a connection fronts: by an ``endpoint`` input or by name."""
    by_name = stack.memo.get("endpoints")
    if by_name is None:
        by_name = stack.memo["endpoints"] = {e.name: e for e in stack.config.endpoints}
    wanted = pick(connection.inputs, "endpoint", "endpoint_name")
    for name in [str(wanted)] if wanted else [connection_name(connection), connection.name]:
        if name in by_name:
            return by_name[name]
    # hoop names are often prefixed per environment ("dev-openai"); accept a unique suffix match.
    matches = [e for e in stack.config.endpoints if connection_name(connection).endswith(e.name)]
    return matches[0] if len(matches) == 1 else None


def _connection_refs(resource: ResourceView) -> set[str]:
    refs: set[str] = set()
    for key_path, value in leaves(resource.inputs):
        if "connection" in key_path.lower() and isinstance(value, str):
            refs.add(value)
    return refs


def applies_to(obj: ResourceView, connection: ResourceView) -> bool:
    if connection.urn in obj.dependencies:
        return True
    refs = _connection_refs(obj)
    ids = {connection_name(connection), str(pick(connection.inputs, "id") or "")} - {""}
    return bool(refs & ids)


def plugin_name(plugin: ResourceView) -> str:
    return str(pick(plugin.inputs, "plugin", "plugin_name", "name") or "")


def plugin_config_for(plugin: ResourceView, connection: ResourceView) -> list[str]:
    """The per-connection config of a plugin binding (access_control: the allowed groups)."""
    name = connection_name(connection)
    for entry in as_list(pick(plugin.inputs, "connections")):
        if isinstance(entry, Mapping) and str(pick(entry, "name", "connection_name")) == name:
            return [str(v) for v in as_list(pick(entry, "config", "groups"))]
    return [str(v) for v in as_list(pick(plugin.inputs, "config", "groups"))]


def _index(stack: StackView) -> dict[str, list[ResourceView]]:
    """Connection URN → hoop objects that apply to it, built once per stack."""
    cached = stack.memo.get("hoop-bound")
    if cached is not None:
        return cached
    index: dict[str, list[ResourceView]] = {}
    by_ref: dict[str, set[str]] = {}
    for connection in stack.hoop(CONNECTION):
        index[connection.urn] = []
        for ref in (connection_name(connection), str(pick(connection.inputs, "id") or "")):
            if ref:
                by_ref.setdefault(ref, set()).add(connection.urn)
    for obj in stack.resources:
        if obj.hoop_kind is None or obj.hoop_kind == CONNECTION:
            continue
        urns = {d for d in obj.dependencies if d in index}
        for ref in _connection_refs(obj):
            urns |= by_ref.get(ref, set())
        for urn in urns:
            index[urn].append(obj)
    stack.memo["hoop-bound"] = index
    return index


def bound(
    stack: StackView, kind: str | tuple[str, ...], connection: ResourceView
) -> list[ResourceView]:
    """The hoop objects of ``kind`` that apply to ``connection``."""
    kinds = (kind,) if isinstance(kind, str) else kind
    return [obj for obj in _index(stack).get(connection.urn, []) if obj.hoop_kind in kinds]
