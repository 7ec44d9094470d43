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


def plain(value: Any, keep_keys: bool = False) -> Any:
    """Recursively decode signatures: secrets → marker, references → ``{"$ref": urn}``.

    ``keep_keys`` keeps the key names of a secret map (each value redacted): right for a
    Kubernetes Secret's ``stringData``, whose manifest must still validate; anywhere else a secret
    object is one opaque marker.
    """
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return _redacted(value.get("value"), keep_keys)
        if sig == OUTPUT_SIG:
            if value.get("secret"):
                return _redacted(value.get("value"), keep_keys)
            if "value" not in value:
                return "[unknown]"
            return plain(value.get("value"), keep_keys)
        if sig == RESOURCE_SIG:
            return {"$ref": value.get("urn")}
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return {"$asset": value.get("path") or value.get("uri") or "[inline]"}
        return {k: plain(v, keep_keys) for k, v in value.items() if k not in INTERNAL_KEYS}
    if isinstance(value, list):
        return [plain(v, keep_keys) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    return value


def _redacted(value: Any, keep_keys: bool) -> Any:
    if keep_keys and isinstance(value, dict) and SIG_KEY not in value:
        return {k: REDACTED for k in value if k not in INTERNAL_KEYS}
    return REDACTED


KEEP_KEY_TYPES = frozenset({"kubernetes:core/v1:Secret"})
"""Resource types whose secret maps keep their key names (see ``plain``)."""


def struct_to_plain(struct: struct_pb2.Struct, type_token: str = "") -> dict[str, Any]:
    raw = json_format.MessageToDict(struct)
    result = plain(raw, keep_keys=type_token in KEEP_KEY_TYPES)
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
