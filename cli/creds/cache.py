"""Keep a proxy credential until shortly before it expires: in memory, or in a 0600 file.

A file cache lets consecutive CLI calls in one CI job or shell reuse the credential instead of
minting one per command; it is created owner-only (0600 in a 0700 directory), written atomically,
and ignored (and deleted) once inside the refresh margin.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .errors import CredsError
from .gateway import ProxyCredential, parse_time
from .secret import SecretStr


def refresh_margin(lifetime: float) -> float:
    """Seconds before expiry at which a credential is replaced: 20% of its life, at most 60 s."""
    return max(1.0, min(60.0, lifetime * 0.2))


def is_fresh(credential: ProxyCredential, now: datetime | None = None) -> bool:
    return credential.remaining(now) > refresh_margin(credential.lifetime)


class Cache(Protocol):
    def load(self, key: str) -> ProxyCredential | None: ...
    def store(self, key: str, credential: ProxyCredential) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryCache:
    """Per-process cache (what the ``httpx.Auth`` helper uses by default)."""

    def __init__(self) -> None:
        self._items: dict[str, ProxyCredential] = {}

    def load(self, key: str) -> ProxyCredential | None:
        return self._items.get(key)

    def store(self, key: str, credential: ProxyCredential) -> None:
        self._items[key] = credential

    def delete(self, key: str) -> None:
        self._items.pop(key, None)


def default_cache_dir() -> Path:
    if os.environ.get("ZSP_CACHE_DIR"):
        return Path(os.environ["ZSP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zsp" / "creds"


class FileCache:
    """One owner-only JSON file per (gateway, issuer, client, scope, connection)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_cache_dir()

    def path(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def load(self, key: str) -> ProxyCredential | None:
        path = self.path(key)
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.getuid():
            raise CredsError(f"refusing cache file {path}: it must be a regular 0600 file you own")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return ProxyCredential(
                connection=data["connection"],
                credential_id=data["credential_id"],
                token=SecretStr(data["token"]),
                base_url=data["base_url"],
                expires_at=parse_time(data["expires_at"]),
                issued_at=parse_time(data["issued_at"]),
            )
        except (ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            return None

    def store(self, key: str, credential: ProxyCredential) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        data = {
            "connection": credential.connection,
            "credential_id": credential.credential_id,
            "token": credential.token.reveal(),
            "base_url": credential.base_url,
            "expires_at": credential.expires_at.astimezone(UTC).isoformat(),
            "issued_at": credential.issued_at.astimezone(UTC).isoformat(),
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
