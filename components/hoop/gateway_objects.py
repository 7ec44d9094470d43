"""``HoopGatewayObjects``: the gateway-wide hoop objects (agent, proxy listener, service accounts).

Per-endpoint objects live in :class:`zsp.components.policy.InferencePolicy`; this component owns
what every endpoint shares, and builds the :class:`HoopApi` (URL + credentials as secret inputs)
they all use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from ..config.hoop import HoopAuth, HoopSettings
from .resources import Agent, HoopApi, ProxyListener, ServiceAccount


def auth_input(auth: HoopAuth) -> pulumi.Output[dict[str, Any]]:
    """The provider's ``auth`` input from config: secret values stay Pulumi secrets."""
    if auth.mode == "apiKey":
        assert auth.api_key is not None
        value: dict[str, Any] = {"mode": "token", "token": auth.api_key.get_secret_value()}
    elif auth.mode == "idpClientCredentials":
        assert auth.client_secret is not None
        value = {
            "mode": "client_credentials",
            "token_url": str(auth.token_url),
            "client_id": auth.client_id,
            "client_secret": auth.client_secret.get_secret_value(),
            "scope": auth.scope or "",
        }
    else:
        value = {"mode": "env", "variable": auth.variable}
    return pulumi.Output.secret(value)


def hoop_api(settings: HoopSettings) -> HoopApi:
    return HoopApi(
        api_url=str(settings.api_url).rstrip("/"),
        auth=auth_input(settings.auth),
        transport={
            "timeout_seconds": settings.timeout_seconds,
            "max_attempts": settings.max_attempts,
        },
    )


@dataclass(frozen=True)
class HoopGatewayObjectsArgs:
    settings: HoopSettings


class HoopGatewayObjects(pulumi.ComponentResource):
    """The agent (its DSN key is a secret output for the agent's Secret), listener, accounts."""

    agent_id: pulumi.Output[str]
    agent_dsn: pulumi.Output[str]

    def __init__(
        self, name: str, args: HoopGatewayObjectsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:hoop:HoopGatewayObjects", name, None, opts)
        settings = args.settings
        self.api = hoop_api(settings)
        child = pulumi.ResourceOptions(parent=self)
        self.agent = Agent(f"{name}-agent", api=self.api, name=settings.agent_name, opts=child)
        self.listener = ProxyListener(
            f"{name}-proxy-listener",
            api=self.api,
            listen_address=settings.proxy_listen_address,
            opts=child,
        )
        self.service_accounts = [
            ServiceAccount(
                f"{name}-sa-{index}",
                api=self.api,
                subject=account.subject,
                name=account.name,
                groups=account.groups,
                opts=child,
            )
            for index, account in enumerate(settings.service_accounts)
        ]
        self.agent_id = self.agent.agent_id
        self.agent_dsn = self.agent.dsn
        self.register_outputs({"agent_id": self.agent_id, "agent_dsn": self.agent_dsn})
