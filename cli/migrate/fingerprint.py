"""Keyed fingerprints: the only form in which a token is ever named outside Secrets Manager."""

from __future__ import annotations

import base64
import binascii
import hmac
from hashlib import sha256
from pathlib import Path

from ..errors import ZspError


def read_key(key_file: Path) -> bytes:
    """Load the inventory's HMAC key (hex text); a missing or malformed key is a usage error."""
    try:
        text = key_file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise ZspError(
            f"{key_file}: cannot read the fingerprint key ({err.__class__.__name__})"
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ZspError(f"{key_file}: the fingerprint key is not hex text") from None
    if len(key) < 16:
        raise ZspError(f"{key_file}: the fingerprint key is shorter than 16 bytes")
    return key


def fingerprint(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("utf-8"), sha256).hexdigest()


def matches(key: bytes, token: str, expected: str) -> bool:
    return hmac.compare_digest(fingerprint(key, token), expected)


def decode_span(span: str, encoding: str) -> str | None:
    """The token a file span holds: itself, or the base64 text of it (Kubernetes ``data:``)."""
    if encoding == "plain":
        return span
    try:
        return base64.b64decode(span.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None


def encode_span(token: str, encoding: str) -> str:
    if encoding == "plain":
        return token
    return base64.b64encode(token.encode("utf-8")).decode("ascii")
