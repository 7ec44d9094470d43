"""Identity for zsp: IdP client registrations (Cognito, Entra ID) and workload identity.

``Identity`` composes the parts from the stack config; ``idp`` is what the gateway's ``IDP_*``
settings take (issuer, client id, client secret, audience, groups claim).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azuread as azuread
from zsp.components.config import StackConfig

from .cognito import GROUPS_CLAIM, CognitoIdentity, CognitoIdentityArgs, MachineClientSpec
from .entra import ENTRA_AUDIENCE, EntraIdentity, EntraIdentityArgs
from .policy import (
    GITHUB_ISSUER,
    WILDCARD_TAG,
    TrustPolicyError,
    client_secret_resource_policy,
    issuer_host,
    read_client_secret_policy,
    trust_policy,
)
from .workload import WorkloadIdentity, WorkloadIdentityArgs

__all__ = [
    "ENTRA_AUDIENCE",
    "GITHUB_ISSUER",
    "GROUPS_CLAIM",
    "WILDCARD_TAG",
    "CognitoIdentity",
    "CognitoIdentityArgs",
    "EntraIdentity",
    "EntraIdentityArgs",
    "Identity",
    "IdentityArgs",
    "IdpSettings",
    "MachineClientSpec",
    "TrustPolicyError",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
    "client_secret_resource_policy",
    "issuer_host",
    "read_client_secret_policy",
    "trust_policy",
]


@dataclass(frozen=True)
class IdpSettings:
    """The gateway's ``IDP_*`` settings, as outputs (``client_secret`` is a Pulumi secret)."""

    issuer: pulumi.Input[str]
    client_id: pulumi.Input[str]
    client_secret: pulumi.Output[str]
    audience: pulumi.Input[str]
    groups_claim: str

    def gateway_env(self) -> dict[str, pulumi.Input[str]]:
        """The hoop gateway's environment variables, named as hoop reads them."""
        return {
            "IDP_ISSUER": self.issuer,
            "IDP_CLIENT_ID": self.client_id,
            "IDP_CLIENT_SECRET": self.client_secret,
            "IDP_AUDIENCE": self.audience,
            "IDP_GROUPS_CLAIM": self.groups_claim,
        }


@dataclass(frozen=True)
class IdentityArgs:
    """Inputs of ``Identity``: the validated stack config (needs ``config.identity``)."""

    config: StackConfig


class Identity(pulumi.ComponentResource):
    """Cognito (default IdP), optional Entra ID, and workload identity, wired together."""

    idp: IdpSettings
    cognito: CognitoIdentity
    entra: EntraIdentity | None
    workloads: WorkloadIdentity

    def __init__(
        self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:identity:Identity", name, None, opts)
        config = args.config
        ident = config.identity
        if ident is None:
            raise ValueError("the stack config has no zsp:identity section")
        child = pulumi.ResourceOptions(parent=self)
        web_ttl = min(ident.cognito.web_token_validity, config.credentials.max_ttl)
        self.cognito = CognitoIdentity(
            f"{name}-cognito",
            CognitoIdentityArgs(
                environment=config.environment,
                region=config.aws_region,
                settings=ident.cognito,
                callback_url=ident.callback_url,
                web_token_validity=web_ttl - web_ttl % 60,
                machine_clients=[
                    MachineClientSpec(
                        consumer=c.name,
                        scopes=list(c.scopes),
                        access_token_validity=config.access_token_validity(c.name),
                    )
                    for c in ident.consumers
                ],
                groups=list(ident.groups),
            ),
            opts=child,
        )
        issuers = {
            "github": GITHUB_ISSUER,
            "gitlab": str(ident.gitlab_url).rstrip("/"),
            "eks": str(config.cluster.oidc_issuer_url).rstrip("/"),
        }
        self.workloads = WorkloadIdentity(
            f"{name}-workloads",
            WorkloadIdentityArgs(
                environment=config.environment,
                workloads=list(ident.workloads),
                eks_issuer_url=issuers["eks"],
                gitlab_url=issuers["gitlab"],
                max_session_duration_limit=ident.max_session_duration_limit,
                consumer_secret_arns={
                    c: m.secret_arn for c, m in self.cognito.machine_clients.items()
                },
            ),
            opts=child,
        )
        self.entra = None
        if ident.entra is not None:
            # Pinned to the configured tenant so a stray ARM_TENANT_ID cannot redirect the apps.
            tenant = azuread.Provider(
                f"{name}-entra-tenant", tenant_id=ident.entra.tenant_id, opts=child
            )
            self.entra = EntraIdentity(
                f"{name}-entra",
                EntraIdentityArgs(
                    environment=config.environment,
                    tenant_id=ident.entra.tenant_id,
                    application_name=ident.entra.application_name,
                    callback_url=ident.callback_url,
                    scopes=list(ident.cognito.scopes),
                    consumers={c.name: list(c.scopes) for c in ident.consumers},
                    workloads=[w for w in ident.workloads if w.allow_wildcard is None],
                    issuers=issuers,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[tenant]),
            )
        source: CognitoIdentity | EntraIdentity = self.cognito
        if ident.gateway_idp == "entra" and self.entra is not None:
            source = self.entra
        self.idp = IdpSettings(
            issuer=source.issuer,
            client_id=source.client_id,
            client_secret=source.client_secret,
            audience=source.audience,
            groups_claim=source.groups_claim,
        )
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, object]:
        """Stack outputs: the gateway's IDP_* inputs and what each caller needs to configure."""
        return {
            "idp": {
                "issuer": self.idp.issuer,
                "clientId": self.idp.client_id,
                "clientSecret": self.idp.client_secret,
                "audience": self.idp.audience,
                "groupsClaim": self.idp.groups_claim,
            },
            "cognito": {
                "issuer": self.cognito.issuer,
                "tokenEndpoint": self.cognito.token_endpoint,
                "machineClients": {
                    c: {"clientId": m.client_id, "secretArn": m.secret_arn}
                    for c, m in self.cognito.machine_clients.items()
                },
            },
            "entra": None
            if self.entra is None
            else {"issuer": self.entra.issuer, "consumerClientIds": self.entra.consumer_client_ids},
            "workloadRoleArns": self.workloads.role_arns,
        }
