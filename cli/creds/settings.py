"""What ``zsp creds`` needs to know, and the duration rule (invariant 2).

Every value can come from the environment (``ZSP_*``) so CI templates and pods configure it once,
without flags, and without any secret: the client secret is either absent (federation) or fetched
at run time from Secrets Manager by the workload role.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

from zsp.components.config.base import parse_duration

from .errors import CredsError

Flow = Literal["auto", "client-credentials", "federated", "device"]
Exchange = Literal["client-assertion", "token-exchange"]

DEFAULT_DURATION = 900
"""15 minutes: the default lifetime of a proxy credential."""
HARD_MAX_DURATION = 3600
"""The ceiling unless the platform lowers or raises it with ``ZSP_MAX_DURATION`` (≤ 12 h)."""
ABSOLUTE_MAX_DURATION = 43200
MIN_DURATION = 60


def max_duration() -> int:
    """The hard maximum in force: ``ZSP_MAX_DURATION`` (e.g. ``30m``) or one hour."""
    raw = os.environ.get("ZSP_MAX_DURATION")
    if not raw:
        return HARD_MAX_DURATION
    try:
        value = parse_duration(raw)
    except ValueError as err:
        raise CredsError(f"ZSP_MAX_DURATION: {err}") from None
    if value > ABSOLUTE_MAX_DURATION:
        raise CredsError(f"ZSP_MAX_DURATION ({value}s) exceeds the absolute maximum of 12h")
    return value


def check_duration(text_or_seconds: str | int, hard_max: int | None = None) -> int:
    """Parse ``--duration`` and refuse anything outside [1m, hard max]."""
    try:
        seconds = parse_duration(text_or_seconds)
    except ValueError as err:
        raise CredsError(f"--duration: {err}") from None
    limit = hard_max if hard_max is not None else max_duration()
    if seconds < MIN_DURATION:
        raise CredsError(f"--duration {seconds}s is below the minimum of {MIN_DURATION}s")
    if seconds > limit:
        raise CredsError(f"--duration {seconds}s exceeds the hard maximum of {limit}s")
    return seconds


@dataclass(frozen=True)
class CredsSettings:
    """Where to get an IdP token and where to exchange it."""

    gateway_url: str
    issuer: str
    client_id: str
    audience: str
    scope: str = ""
    flow: Flow = "auto"
    exchange: Exchange = "client-assertion"
    client_secret_env: str = "ZSP_CLIENT_SECRET"  # noqa: S105 - a variable name
    client_secret_arn: str | None = None
    federated_audience: str = "api://AzureADTokenExchange"
    id_token_env: str = "ZSP_ID_TOKEN"  # noqa: S105 - a variable name
    id_token_file: str | None = None
    api: str = "openai"
    proxy_url: str | None = None
    verify_tls: bool = True
    extra_scopes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.scope.split() if s]

    def cache_identity(self, connection: str) -> str:
        """What makes two cached credentials interchangeable (never includes a secret)."""
        return "|".join(
            [self.gateway_url.rstrip("/"), self.issuer, self.client_id, self.scope, connection]
        )
