"""Microsoft Entra ID as the external IdP, chosen because a CI job or a pod can get an Entra token
from its *own* OIDC token (workload identity federation: a federated identity credential on the
app, then ``client_credentials`` with the platform token as ``client_assertion``) — no client
secret is stored anywhere for machines.

Registrations: the inference API (app roles ``inference.predict``/``inference.admin``), the
gateway's web app (redirect ``<API_URL>/api/callback``, group claims), and one app per consumer
with a federated credential per workload and the app-role assignment for its scopes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pulumi
import pulumi_azuread as azuread
from zsp.components.config.identity import Workload

ENTRA_AUDIENCE = "api://AzureADTokenExchange"
"""The audience Entra requires on a federated platform token."""

GROUPS_CLAIM = "groups"
_NAMESPACE = uuid.UUID("5b0f3f1e-6c2a-4d59-9a57-2f1c7d9e0a11")


def stable_id(*parts: str) -> str:
    """App role ids must be UUIDs that never change (assignments reference them)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class EntraIdentityArgs:
    """Inputs of ``EntraIdentity``."""

    environment: str
    tenant_id: str
    application_name: str
    callback_url: str
    scopes: list[str]
    consumers: dict[str, list[str]]
    """Consumer → scopes it is granted (as app roles on the API)."""
    workloads: list[Workload] = field(default_factory=list)
    issuers: dict[str, str] = field(default_factory=dict)
    """Workload provider (github/gitlab/eks) → its OIDC issuer URL."""


class EntraIdentity(pulumi.ComponentResource):
    """Entra app registrations for the gateway and each consumer, with federated credentials."""

    issuer: str
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    audience: pulumi.Output[str]
    groups_claim: str
    consumer_client_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: EntraIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:identity:EntraIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for w in args.workloads:
            if w.subject is None or any(c in w.subject for c in "*?"):
                # Entra matches federated subjects exactly; a pattern would silently never match.
                raise ValueError(
                    f"workload {w.name!r}: Entra federated credentials need an exact subject"
                )
        api_uri = f"api://{args.application_name}"
        self.api = azuread.ApplicationRegistration(
            f"{name}-api",
            display_name=args.application_name,
            sign_in_audience="AzureADMyOrg",
            requested_access_token_version=2,
            opts=child,
        )
        azuread.ApplicationIdentifierUri(
            f"{name}-api-uri", application_id=self.api.id, identifier_uri=api_uri, opts=child
        )
        self.roles = {
            scope: azuread.ApplicationAppRole(
                f"{name}-role-{scope}",
                application_id=self.api.id,
                role_id=stable_id(args.application_name, scope),
                value=f"inference.{scope}",
                display_name=f"inference {scope}",
                description=f"Call the inference gateway with scope {scope}",
                allowed_member_types=["Application", "User"],
                opts=child,
            )
            for scope in args.scopes
        }
        self.api_sp = azuread.ServicePrincipal(
            f"{name}-api-sp",
            client_id=self.api.client_id,
            app_role_assignment_required=True,
            opts=child,
        )
        self.gateway = azuread.ApplicationRegistration(
            f"{name}-gateway",
            display_name=f"{args.application_name}-gateway",
            sign_in_audience="AzureADMyOrg",
            group_membership_claims=["SecurityGroup"],
            requested_access_token_version=2,
            opts=child,
        )
        azuread.ApplicationRedirectUris(
            f"{name}-gateway-redirect",
            application_id=self.gateway.id,
            type="Web",
            redirect_uris=[args.callback_url],
            opts=child,
        )
        password = azuread.ApplicationPassword(
            f"{name}-gateway-secret",
            application_id=self.gateway.id,
            display_name="hoop gateway (IDP_CLIENT_SECRET)",
            end_date_relative="2160h",
            opts=child,
        )
        self.consumer_client_ids = {}
        for consumer, scopes in sorted(args.consumers.items()):
            app = azuread.ApplicationRegistration(
                f"{name}-consumer-{consumer}",
                display_name=f"{args.application_name}-{consumer}",
                sign_in_audience="AzureADMyOrg",
                opts=child,
            )
            sp = azuread.ServicePrincipal(
                f"{name}-consumer-{consumer}-sp", client_id=app.client_id, opts=child
            )
            for scope in scopes:
                azuread.AppRoleAssignment(
                    f"{name}-consumer-{consumer}-{scope}",
                    app_role_id=self.roles[scope].role_id,
                    principal_object_id=sp.object_id,
                    resource_object_id=self.api_sp.object_id,
                    opts=child,
                )
            for w in (w for w in args.workloads if w.consumer == consumer):
                azuread.ApplicationFederatedIdentityCredential(
                    f"{name}-fic-{w.name}",
                    application_id=app.id,
                    display_name=f"zsp-{w.name}",
                    description=f"{w.provider} workload {w.name}",
                    issuer=args.issuers[w.provider],
                    subject=str(w.subject),
                    audiences=[ENTRA_AUDIENCE],
                    opts=child,
                )
            self.consumer_client_ids[consumer] = app.client_id

        self.issuer = f"https://login.microsoftonline.com/{args.tenant_id}/v2.0"
        self.client_id = self.gateway.client_id
        self.client_secret = pulumi.Output.secret(password.value)
        self.audience = self.api.client_id
        self.groups_claim = GROUPS_CLAIM
        self.register_outputs(
            {
                "issuer": self.issuer,
                "clientId": self.client_id,
                "clientSecret": self.client_secret,
                "audience": self.audience,
                "groupsClaim": self.groups_claim,
                "consumerClientIds": self.consumer_client_ids,
            }
        )
