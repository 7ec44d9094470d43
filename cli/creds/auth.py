"""``httpx.Auth`` that keeps a long-running service on short-lived gateway credentials.

    from zsp.cli.creds import ZspAuth, settings_from_env
    auth = ZspAuth(settings_from_env(), connection="openai")
    client = httpx.Client(base_url=auth.base_url, auth=auth)

The service never stores a key: each request carries a credential that has more than its refresh
margin left, a new one is obtained before expiry, and a 401 (revoked credential) triggers one
forced refresh and a retry.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from .provider import CredentialProvider
from .settings import CredsSettings


class ZspAuth(httpx.Auth):
    """Auto-refreshing gateway credential for ``httpx.Client``/``AsyncClient``."""

    def __init__(
        self,
        settings: CredsSettings | None = None,
        connection: str | None = None,
        duration: int | str = 900,
        *,
        provider: CredentialProvider | None = None,
    ) -> None:
        if provider is None:
            if settings is None or connection is None:
                raise ValueError("ZspAuth needs settings and connection, or a provider")
            provider = CredentialProvider(settings, connection, duration)
        self.provider = provider

    @property
    def base_url(self) -> str:
        """The gateway proxy URL to point the client at (obtains a credential if needed)."""
        return self.provider.get().base_url

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        credential = self.provider.get()
        request.headers["Authorization"] = f"Bearer {credential.token.reveal()}"
        response = yield request
        if response.status_code == 401:
            credential = self.provider.get(force=True)
            request.headers["Authorization"] = f"Bearer {credential.token.reveal()}"
            yield request

    def __repr__(self) -> str:
        return f"ZspAuth(connection={self.provider.connection!r})"
