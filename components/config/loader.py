"""Turn raw Pulumi config into a ``StackConfig``, or one precise ``StackConfigError``.

The same function serves ``pulumi up`` (values come from the engine) and ``zsp synth`` (values
come from the YAML file with secure values already replaced), so both report a broken key the same
way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from .errors import StackConfigError
from .stack import StackConfig

NAMESPACE = "zsp"
PASSTHROUGH_KEYS = ("aws:region",)
"""Provider keys our schema also reads; every other foreign namespace belongs to its provider."""

KeyPath = tuple[str | int, ...]


def format_key(path: KeyPath) -> str:
    """``("endpoints", 0, "server", "port")`` → ``zsp:endpoints[0].server.port``."""
    if not path:
        return f"{NAMESPACE}:<root>"
    head, *rest = path
    text = str(head) if ":" in str(head) else f"{NAMESPACE}:{head}"
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _clean_loc(loc: tuple[Any, ...]) -> KeyPath:
    # pydantic inserts validator/union names ("function-after[...]", "str") into locations.
    return tuple(p for p in loc if isinstance(p, int) or ("[" not in p and p not in {"str", "int"}))


def parse_stack_config(
    values: Mapping[str, Any],
    source: str,
    line_of: Callable[[KeyPath], int | None] | None = None,
    secret_keys: frozenset[str] = frozenset(),
) -> StackConfig:
    """Validate decoded config values (``{"zsp:endpoints": [...], "aws:region": "..."}``)."""
    raw: dict[str, Any] = {}
    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE:
            raw[name] = value
        elif key in PASSTHROUGH_KEYS:
            raw[key] = value
    try:
        # secret_keys lets sections refuse credentials written as plain literals
        return StackConfig.model_validate(raw, context={"secret_keys": secret_keys})
    except ValidationError as err:
        first = err.errors()[0]
        path = _clean_loc(first["loc"])
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key (not part of the zsp stack schema)"
        elif first["type"] == "missing":
            message = "required value is missing"
        elif (
            "input" in first
            and first["type"] not in {"value_error", "assertion_error"}
            and format_key(path[:1]) not in secret_keys
        ):
            shown = first["input"]
            if isinstance(shown, str | int | float | bool) and len(str(shown)) <= 60:
                message = f"{message} (got {shown!r})"
        more = err.error_count() - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        line = line_of(path) if line_of else None
        raise StackConfigError(source, format_key(path), message, line) from None


def decode_engine_value(value: Any) -> Any:
    """The engine hands structured config to programs as JSON text; scalars stay strings."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{":
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
    return value


def stack_config_from_pulumi() -> StackConfig:
    """Read the running stack's config from the Pulumi runtime (``pulumi up`` or ``zsp synth``)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values = {key: decode_engine_value(value) for key, value in merged.items()}
    source = f"stacks/Pulumi.{pulumi.get_stack()}.yaml"
    secrets = frozenset(runtime_config.get_config_secret_keys_env()) | frozenset(
        runtime_config._SECRET_KEYS.get()
    )
    return parse_stack_config(values, source, secret_keys=secrets)
