"""Pulumi resources for hoop objects, backed by the dynamic providers of :mod:`.provider`.

Every resource takes a :class:`HoopApi` (gateway URL + credentials, passed as *inputs* so the
pickled provider never captures them) and carries a ``kind`` input such as ``"hoop:connection"``
so ``zsp synth`` can say what each object is. ``auth`` is wrapped as a secret on the way in and
declared an additional secret output (the engine stores it encrypted; ``zsp synth`` shows
``[redacted]``); the agent's DSN key is a secret output too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from .provider import (
    AccessRequestRuleProvider,
    AgentProvider,
    ConnectionProvider,
    DataMaskingRuleProvider,
    GuardrailProvider,
    HoopObjectProvider,
    PluginBindingProvider,
    ProxyListenerProvider,
    ServiceAccountProvider,
)


@dataclass(frozen=True)
class HoopApi:
    """How to reach hoop's API: ``api_url`` (``https://gw`` or ``.../api``) and ``auth``.

    ``auth`` is one of ``{"mode": "token", "token": <IdP access token or API key>}``,
    ``{"mode": "client_credentials", "token_url", "client_id", "client_secret", "scope"}`` or
    ``{"mode": "env", "variable": "ZSP_HOOP_TOKEN"}``; values come from Pulumi secrets, never
    literals. ``transport`` tunes timeouts/retries (``timeout_seconds``, ``max_attempts``,
    ``backoff_seconds``).
    """

    api_url: pulumi.Input[str]
    auth: pulumi.Input[Mapping[str, Any]]
    transport: Mapping[str, Any] = field(default_factory=dict)

    def inputs(self) -> dict[str, Any]:
        return {
            "api_url": self.api_url,
            "auth": pulumi.Output.secret(self.auth),
            "transport": dict(self.transport),
        }


def _opts(
    opts: pulumi.ResourceOptions | None, secret_outputs: Sequence[str] = ()
) -> pulumi.ResourceOptions:
    own = pulumi.ResourceOptions(additional_secret_outputs=["auth", *secret_outputs])
    return pulumi.ResourceOptions.merge(own, opts)


class _HoopResource(Resource):
    provider_cls: type[HoopObjectProvider]

    def __init__(
        self,
        name: str,
        api: HoopApi,
        spec: Mapping[str, Any],
        secret_outputs: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "kind": self.provider_cls.kind,
            **api.inputs(),
            **{k: v for k, v in spec.items() if v is not None},
            **dict.fromkeys(self.provider_cls.computed),
        }
        super().__init__(self.provider_cls(), name, props, _opts(opts, secret_outputs))


class Agent(_HoopResource, module="hoop", name="Agent"):
    """A hoop agent; ``dsn`` (secret) is the ``HOOP_KEY`` the agent process authenticates with."""

    provider_cls = AgentProvider
    agent_id: pulumi.Output[str]
    dsn: pulumi.Output[str]
    key_known: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        name: pulumi.Input[str],
        mode: str = "standard",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            api,
            {"name": name, "mode": mode},
            secret_outputs=("dsn",),
            opts=opts,
        )
        # the engine encrypts it in state (additional_secret_outputs); consumers in this program
        # get a secret Output whatever the engine's handling of dynamic-provider outputs
        self.dsn = pulumi.Output.secret(self.dsn)


class Connection(_HoopResource, module="hoop", name="Connection"):
    """An ``httpproxy`` connection to one inference endpoint (headers are secret references)."""

    provider_cls = ConnectionProvider
    connection_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        name: pulumi.Input[str],
        agent_id: pulumi.Input[str],
        remote_url: pulumi.Input[str],
        headers: Mapping[str, pulumi.Input[str]] | None = None,
        tags: Mapping[str, str] | None = None,
        reviewers: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            api,
            {
                "name": name,
                "agent_id": agent_id,
                "remote_url": remote_url,
                "headers": dict(headers or {}),
                "tags": dict(tags or {}),
                "reviewers": list(reviewers),
            },
            opts=opts,
        )


class ProxyListener(_HoopResource, module="hoop", name="ProxyListener"):
    """The gateway's HTTP proxy listen address (``PUT /serverconfig/misc``)."""

    provider_cls = ProxyListenerProvider

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        listen_address: str = "0.0.0.0:18888",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, api, {"listen_address": listen_address}, opts=opts)


class PluginBinding(_HoopResource, module="hoop", name="PluginBinding"):
    """Bind a connection to ``audit``, ``access_control`` (config = groups) or ``dlp``."""

    provider_cls = PluginBindingProvider

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        plugin: str,
        connection_id: pulumi.Input[str],
        connection_name: pulumi.Input[str],
        config: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            api,
            {
                "plugin": plugin,
                "connection_id": connection_id,
                "connection_name": connection_name,
                "config": list(config),
            },
            opts=opts,
        )


class Guardrail(_HoopResource, module="hoop", name="Guardrail"):
    """A guardrail rule (``input``/``output`` rule lists) attached to connections by id."""

    provider_cls = GuardrailProvider

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        name: str,
        description: str = "",
        input: Mapping[str, Any] | None = None,
        output: Mapping[str, Any] | None = None,
        connection_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            api,
            {
                "name": name,
                "description": description,
                "input": dict(input or {}),
                "output": dict(output or {}),
                "connection_ids": connection_ids,
            },
            opts=opts,
        )


class DataMaskingRule(_HoopResource, module="hoop", name="DataMaskingRule"):
    """A data-masking rule: Presidio entity types masked in responses of its connections."""

    provider_cls = DataMaskingRuleProvider

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        name: str,
        supported_entity_types: Sequence[Mapping[str, Any]],
        connection_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        description: str = "",
        score_threshold: float | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            api,
            {
                "name": name,
                "description": description,
                "supported_entity_types": [dict(e) for e in supported_entity_types],
                "custom_entity_types": [],
                "score_threshold": score_threshold,
                "connection_ids": connection_ids,
            },
            opts=opts,
        )


class AccessRequestRule(_HoopResource, module="hoop", name="AccessRequestRule"):
    """A just-in-time access-request rule (reviewers, minimum approvals, maximum duration)."""

    provider_cls = AccessRequestRuleProvider
    rule_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        name: str,
        connection_names: pulumi.Input[Sequence[pulumi.Input[str]]],
        reviewers_groups: Sequence[str],
        min_approvals: int,
        access_max_duration: int,
        approval_required_groups: Sequence[str] = (),
        force_approval_groups: Sequence[str] = (),
        description: str = "",
        access_type: str = "jit",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            api,
            {
                "name": name,
                "description": description,
                "access_type": access_type,
                "connection_names": connection_names,
                "approval_required_groups": list(approval_required_groups),
                "reviewers_groups": list(reviewers_groups),
                "force_approval_groups": list(force_approval_groups),
                "min_approvals": min_approvals,
                "access_max_duration": access_max_duration,
                "all_groups_must_approve": False,
            },
            opts=opts,
        )


class ServiceAccount(_HoopResource, module="hoop", name="ServiceAccount"):
    """Map an IdP client subject (machine caller) to hoop groups."""

    provider_cls = ServiceAccountProvider
    account_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api: HoopApi,
        subject: pulumi.Input[str],
        groups: Sequence[str],
        name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            api,
            {"subject": subject, "name": name, "groups": list(groups)},
            opts=opts,
        )
