"""One object that always hands out a live credential: cached, refreshed before expiry, revocable.

Both ``zsp creds`` and the ``httpx.Auth`` helper go through it, so a service and a shell get the
same rules: never an expired credential, never one without an expiry, never longer than asked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from .cache import Cache, MemoryCache, is_fresh
from .errors import CredsError
from .gateway import GatewayClient, ProxyCredential
from .idp import IdpClient, IdpToken
from .settings import CredsSettings, check_duration


class CredentialProvider:
    """Obtains proxy credentials for one connection on behalf of one caller."""

    def __init__(
        self,
        settings: CredsSettings,
        connection: str,
        duration: int | str = 900,
        *,
        cache: Cache | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.connection = connection
        self.duration = check_duration(duration)
        self.cache: Cache = cache if cache is not None else MemoryCache()
        self.http = http or httpx.Client(timeout=30.0, verify=settings.verify_tls)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.idp = IdpClient(settings, self.http)
        self.gateway = GatewayClient(settings.gateway_url, self.http, settings.proxy_url)
        self._idp_token: IdpToken | None = None
        self._lock = threading.Lock()
        self.key = settings.cache_identity(connection)

    def idp_token(self) -> IdpToken:
        """An IdP token with at least 30 s of life left (reused within a run)."""
        token = self._idp_token
        if token is None or token.expires_at - time.time() < 30:
            token = self.idp.token()
            self._idp_token = token
        return token

    def get(self, force: bool = False) -> ProxyCredential:
        """A credential with more than its refresh margin left; a new one if ``force``."""
        with self._lock:
            now = self.clock()
            if not force:
                cached = self.cache.load(self.key)
                if cached is not None and is_fresh(cached, now):
                    return cached
            credential = self.gateway.issue(
                self.connection, self.duration, self.idp_token().access_token
            )
            if credential.expires_at <= now:
                raise CredsError(
                    f"the gateway issued an already expired credential for {self.connection!r}"
                )
            limit = self.duration + 60
            if credential.remaining(now) > limit:
                self.gateway.revoke(
                    self.connection, credential.credential_id, self.idp_token().access_token
                )
                raise CredsError(
                    f"the gateway issued a credential for {self.connection!r} that outlives the "
                    f"requested {self.duration}s; it was revoked"
                )
            self.cache.store(self.key, credential)
            return credential

    def revoke(self) -> str | None:
        """Revoke the caller's credential on the connection; returns its id (None if none)."""
        with self._lock:
            token = self.idp_token().access_token
            cached = self.cache.load(self.key)
            credential_id = cached.credential_id if cached else None
            if not credential_id:
                credential_id = self.gateway.active_id(self.connection, token)
            if credential_id:
                self.gateway.revoke(self.connection, credential_id, token)
            self.cache.delete(self.key)
            return credential_id

    def close(self) -> None:
        self.http.close()
