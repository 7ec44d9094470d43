"""Keyed fingerprints: HMAC-SHA256(key, token) so equal tokens group together across files and
scans, while a leaked inventory cannot be used to confirm a guessed token without the key."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "ZSP_FINGERPRINT_KEY_FILE"
KEY_RELATIVE = Path(".zsp") / "fingerprint.key"


class KeyFileError(ValueError):
    """The fingerprint key file is unreadable or malformed (message names the file)."""


def fingerprint(key: bytes, token: str) -> str:
    """Hex HMAC-SHA256 of the token's UTF-8 bytes."""
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def _read(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        kind = type(err).__name__
        raise KeyFileError(f"{path}: not a readable hex fingerprint key ({kind})") from None
    if len(key) < 16:
        raise KeyFileError(f"{path}: fingerprint key is shorter than 16 bytes")
    return key


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        # Keep the key (and anything else zsp writes there) out of commits.
        ignore.write_text("*\n", encoding="ascii")
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key


def load_or_create_key(root: Path, key_file: Path | None = None) -> tuple[bytes, Path]:
    """The key for an inventory of ``root`` and where it lives.

    Order: explicit ``key_file`` (must exist), ``$ZSP_FINGERPRINT_KEY_FILE`` (must exist),
    ``<root>/.zsp/fingerprint.key`` (created 0600 on first scan and reused so fingerprints stay
    stable for ``--baseline`` and ``zsp verify``), or ``~/.zsp/fingerprint.key`` when the root is
    not writable.
    """
    explicit = key_file or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
    if explicit is not None:
        path = explicit.expanduser().resolve()
        return _read(path), path
    primary = root.resolve() / KEY_RELATIVE
    fallback = Path.home() / KEY_RELATIVE
    for path in (primary, fallback):
        if path.is_file():
            return _read(path), path
        try:
            return _create(path), path
        except FileExistsError:
            return _read(path), path
        except OSError:
            continue
    raise KeyFileError(f"cannot create a fingerprint key in {primary} or {fallback}")
