"""Turn the wire form of resource inputs into plain JSON with every secret replaced.

Working on the protobuf struct (not on the SDK's deserialised values) is deliberate: the wire form
still carries the secret signature, so a value marked secret anywhere in the program is redacted
here no matter how it was produced.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from zsp.components.config import REDACTED

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - wire signature, not a secret
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
INTERNAL_KEYS = frozenset({"__provider", "__defaults"})
"""Dynamic providers send a pickled copy of themselves as ``__provider``: code, not state."""


def plain(value: Any) -> Any:
    """Recursively decode signatures: secrets → marker, references → ``{"$ref": urn}``."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return REDACTED
        if sig == OUTPUT_SIG:
            if value.get("secret"):
                return REDACTED
            return plain(value.get("value")) if "value" in value else "[unknown]"
        if sig == RESOURCE_SIG:
            return {"$ref": value.get("urn")}
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return {"$asset": value.get("path") or value.get("uri") or "[inline]"}
        return {k: plain(v) for k, v in value.items() if k not in INTERNAL_KEYS}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    return value


def struct_to_plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    raw = json_format.MessageToDict(struct)
    result = plain(raw)
    assert isinstance(result, dict)
    return _ints(result)


def _ints(value: Any) -> Any:
    """Protobuf carries every number as a double; restore integers so manifests validate."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value
