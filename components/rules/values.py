"""Readers shared by the rules: tolerant key lookup, IAM documents, durations, label selectors.

Inputs arrive as plain JSON-like values with camelCase keys (Pulumi providers) or snake_case keys
(hoop dynamic resources mirror hoop's API); ``pick`` accepts both spellings so a rule does not break
on a naming choice made in another component.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .model import REDACTED, UNKNOWN


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def pick(mapping: Any, *names: str) -> Any:
    """The first present value among ``names`` (each tried as written, camelCase and snake_case)."""
    if not isinstance(mapping, Mapping):
        return None
    for name in names:
        for candidate in (name, _camel(name), _snake(name)):
            if candidate in mapping and mapping[candidate] is not None:
                return mapping[candidate]
    return None


def path(value: Any, *keys: str | int) -> Any:
    """``path(inputs, "spec", "template", "spec")`` → the nested value or None."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, Sequence) or isinstance(value, str) or key >= len(value):
                return None
            value = value[key]
        else:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def strings(value: Any) -> list[str]:
    return [str(v) for v in as_list(value) if isinstance(v, str | int)]


def is_unknown(value: Any) -> bool:
    return value == UNKNOWN


def is_opaque(value: Any) -> bool:
    """Unknown (preview) or redacted: a rule cannot judge it."""
    return value in (UNKNOWN, REDACTED)


def json_document(value: Any) -> dict[str, Any] | None:
    """A policy document given as JSON text or as an object; None when absent or not a document."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, Mapping) and "Statement" in value:
        return dict(value)
    return None


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(s) for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar leaf with its dotted path (``spec.containers[0].env[2].value``)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from leaves(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def labels_of(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Kubernetes ``LabelSelector`` semantics; an empty selector matches everything."""
    if selector is None:
        return False
    if not isinstance(selector, Mapping):
        return False
    for key, value in labels_of(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expr in as_list(selector.get("matchExpressions")):
        if not isinstance(expr, Mapping):
            return False
        key, operator = str(expr.get("key")), str(expr.get("operator"))
        values = strings(expr.get("values"))
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def selector_is_empty(selector: Any) -> bool:
    if not isinstance(selector, Mapping):
        return True
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def to_seconds(amount: Any, unit: Any, default_unit: str) -> int | None:
    """``(15, "minutes")`` → 900; None when the amount is not a number."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    factor = _UNITS.get(str(unit) if unit else default_unit, _UNITS[default_unit])
    return int(amount * factor)


def human_seconds(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
