"""Amazon Cognito as the stack's IdP: user pool, scopes, the gateway's web client, one machine
client per consumer, and the groups the gateway uses for access control.

The outputs are exactly what the gateway's ``IDP_*`` settings need, so wiring the two together is
passing attributes, not re-deriving URLs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from zsp.components.config.identity import CognitoSettings, Group

_IN_MINUTES = aws.cognito.UserPoolClientTokenValidityUnitsArgs(
    access_token="minutes",  # noqa: S106 - units, not secrets
    id_token="minutes",  # noqa: S106
    refresh_token="minutes",  # noqa: S106
)
"""Every validity on our clients is counted in minutes (one unit, no 60x mistakes)."""

GROUPS_CLAIM = "cognito:groups"
"""Where Cognito puts group membership in its tokens (hoop ``IDP_GROUPS_CLAIM``)."""


@dataclass(frozen=True)
class MachineClientSpec:
    """One consumer's client-credentials registration."""

    consumer: str
    scopes: list[str]
    access_token_validity: int
    """Seconds; a multiple of 60 between 300 and the stack's ``credentials.maxTtl``."""


@dataclass(frozen=True)
class CognitoIdentityArgs:
    """Inputs of ``CognitoIdentity``."""

    environment: str
    region: str
    settings: CognitoSettings
    callback_url: str
    """``<API_URL>/api/callback``: the only redirect the gateway's web client accepts."""
    web_token_validity: int
    """Seconds an access/ID token of a person's gateway session lives (bounded by maxTtl)."""
    machine_clients: list[MachineClientSpec] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)


@dataclass(frozen=True)
class MachineClient:
    client_id: pulumi.Output[str]
    secret_arn: pulumi.Output[str]
    secret: aws.secretsmanager.Secret


class CognitoIdentity(pulumi.ComponentResource):
    """Cognito user pool with the gateway's and every consumer's client registrations."""

    issuer: pulumi.Output[str]
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    audience: pulumi.Output[str]
    groups_claim: str
    token_endpoint: pulumi.Output[str]
    machine_clients: dict[str, MachineClient]

    def __init__(
        self, name: str, args: CognitoIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:identity:CognitoIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        if not 300 <= args.web_token_validity <= 86400 or args.web_token_validity % 60:
            raise ValueError("web_token_validity must be whole minutes between 5m and 24h")
        self.pool = aws.cognito.UserPool(
            f"{name}-pool",
            name=f"zsp-{args.environment}",
            # People are invited by admins (SSO federation or admin-created); no self sign-up.
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=True
            ),
            mfa_configuration="ON",
            software_token_mfa_configuration=aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(
                enabled=True
            ),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=1,
            ),
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            deletion_protection="ACTIVE" if s.deletion_protection else "INACTIVE",
            opts=child,
        )
        self.domain = aws.cognito.UserPoolDomain(
            f"{name}-domain", domain=s.domain_prefix, user_pool_id=self.pool.id, opts=child
        )
        self.resource_server = aws.cognito.ResourceServer(
            f"{name}-resource-server",
            user_pool_id=self.pool.id,
            identifier=s.resource_server,
            name=f"zsp {s.resource_server}",
            scopes=[
                aws.cognito.ResourceServerScopeArgs(
                    scope_name=scope, scope_description=f"{s.resource_server} {scope}"
                )
                for scope in s.scopes
            ],
            opts=child,
        )
        scoped = pulumi.ResourceOptions(parent=self, depends_on=[self.resource_server])
        minutes = args.web_token_validity // 60
        self.web_client = aws.cognito.UserPoolClient(
            f"{name}-gateway",
            name=f"zsp-{args.environment}-gateway",
            user_pool_id=self.pool.id,
            generate_secret=True,
            allowed_oauth_flows_user_pool_client=True,
            # Authorization code only: no implicit flow, no client credentials. hoop logs people in
            # as a confidential client (secret); Cognito also verifies PKCE (S256) when sent.
            allowed_oauth_flows=["code"],
            allowed_oauth_scopes=[
                "openid",
                "email",
                "profile",
                *(f"{s.resource_server}/{scope}" for scope in s.scopes),
            ],
            callback_urls=[args.callback_url],
            supported_identity_providers=["COGNITO"],
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=minutes,
            id_token_validity=minutes,
            refresh_token_validity=s.web_refresh_token_validity // 60,
            token_validity_units=_IN_MINUTES,
            opts=pulumi.ResourceOptions.merge(
                scoped, pulumi.ResourceOptions(additional_secret_outputs=["clientSecret"])
            ),
        )
        self.groups = {
            g.name: aws.cognito.UserGroup(
                f"{name}-group-{g.name}",
                name=g.name,
                user_pool_id=self.pool.id,
                description=g.description or None,
                precedence=g.precedence,
                opts=child,
            )
            for g in args.groups
        }

        self.issuer = pulumi.Output.concat(
            "https://cognito-idp.", args.region, ".amazonaws.com/", self.pool.id
        )
        self.token_endpoint = pulumi.Output.concat(
            "https://", self.domain.domain, ".auth.", args.region, ".amazoncognito.com/oauth2/token"
        )
        self.client_id = self.web_client.id
        self.client_secret = pulumi.Output.secret(self.web_client.client_secret)
        # Cognito ID tokens carry aud = the app client id; hoop validates that audience.
        self.audience = self.web_client.id
        self.groups_claim = GROUPS_CLAIM

        self.machine_clients = {}
        for spec in args.machine_clients:
            self.machine_clients[spec.consumer] = self._machine_client(name, args, spec, scoped)

        self.register_outputs(
            {
                "issuer": self.issuer,
                "clientId": self.client_id,
                "clientSecret": self.client_secret,
                "audience": self.audience,
                "groupsClaim": self.groups_claim,
                "tokenEndpoint": self.token_endpoint,
                "machineClients": {
                    c: {"clientId": m.client_id, "secretArn": m.secret_arn}
                    for c, m in self.machine_clients.items()
                },
            }
        )

    def _machine_client(
        self,
        name: str,
        args: CognitoIdentityArgs,
        spec: MachineClientSpec,
        opts: pulumi.ResourceOptions,
    ) -> MachineClient:
        s = args.settings
        if spec.access_token_validity % 60 or not 300 <= spec.access_token_validity <= 86400:
            raise ValueError(
                f"consumer {spec.consumer!r}: access token validity must be whole minutes, 5m-24h"
            )
        client = aws.cognito.UserPoolClient(
            f"{name}-client-{spec.consumer}",
            name=f"zsp-{args.environment}-{spec.consumer}",
            user_pool_id=self.pool.id,
            generate_secret=True,
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_flows=["client_credentials"],
            allowed_oauth_scopes=[f"{s.resource_server}/{scope}" for scope in spec.scopes],
            supported_identity_providers=["COGNITO"],
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=spec.access_token_validity // 60,
            token_validity_units=_IN_MINUTES,
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["clientSecret"])
            ),
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-client-{spec.consumer}-secret",
            name=f"zsp/{args.environment}/idp/{spec.consumer}",
            description=f"Cognito machine client of consumer {spec.consumer} (client credentials)",
            recovery_window_in_days=7,
            tags={"zsp:consumer": spec.consumer},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The value is Cognito-generated: it already lives (encrypted) in this client's state, and
        # is copied once into Secrets Manager so the workload role can fetch it at run time.
        payload = pulumi.Output.all(client.id, client.client_secret, self.token_endpoint).apply(
            lambda v: json.dumps(
                {
                    "client_id": v[0],
                    "client_secret": v[1],
                    "token_endpoint": v[2],
                    "scope": " ".join(f"{s.resource_server}/{x}" for x in spec.scopes),
                }
            )
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-client-{spec.consumer}-secret-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(payload),  # type: ignore[arg-type]
            opts=pulumi.ResourceOptions(parent=self),
        )
        return MachineClient(client_id=client.id, secret_arn=secret.arn, secret=secret)
