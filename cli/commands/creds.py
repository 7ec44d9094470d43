"""``zsp creds``: a short-lived gateway credential for one connection, printed for an SDK."""

from __future__ import annotations

import click

from .. import exit_codes


@click.command()
@click.option(
    "--connection", required=True, help="hoop connection name (one per inference endpoint)."
)
@click.option(
    "--duration", default="15m", show_default=True, help="Credential lifetime (e.g. 10m, 900)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["env", "json", "header"]),
    default="env",
    show_default=True,
    help="env: export lines for the SDK; json: with ISO 8601 Expiration; header: Authorization.",
)
@click.option("--revoke", is_flag=True, help="Revoke the caller's credential on the connection.")
@click.option(
    "--gateway-url",
    envvar="ZSP_GATEWAY_URL",
    required=True,
    help="Gateway API_URL [ZSP_GATEWAY_URL].",
)
@click.option(
    "--issuer", envvar="ZSP_IDP_ISSUER", required=True, help="IdP issuer URL [ZSP_IDP_ISSUER]."
)
@click.option(
    "--client-id", envvar="ZSP_CLIENT_ID", required=True, help="IdP client id [ZSP_CLIENT_ID]."
)
@click.option(
    "--audience",
    envvar="ZSP_IDP_AUDIENCE",
    required=True,
    help="Expected token audience [ZSP_IDP_AUDIENCE].",
)
@click.option(
    "--scope", envvar="ZSP_IDP_SCOPE", default="", help="Scopes to request [ZSP_IDP_SCOPE]."
)
@click.option(
    "--flow",
    envvar="ZSP_FLOW",
    type=click.Choice(["auto", "client-credentials", "federated", "device"]),
    default="auto",
    show_default=True,
    help="How to get the IdP token [ZSP_FLOW].",
)
@click.option(
    "--exchange",
    envvar="ZSP_EXCHANGE",
    type=click.Choice(["client-assertion", "token-exchange"]),
    default="client-assertion",
    show_default=True,
    help="Federated flow: RFC 7523 client assertion (Entra) or RFC 8693 exchange (Keycloak).",
)
@click.option(
    "--client-secret-arn",
    envvar="ZSP_CLIENT_SECRET_ARN",
    default=None,
    help="Secrets Manager ARN of the machine-client secret.",
)
@click.option(
    "--federated-audience",
    envvar="ZSP_FEDERATED_AUDIENCE",
    default="api://AzureADTokenExchange",
    show_default=True,
    help="Audience to request on the CI platform token.",
)
@click.option(
    "--api",
    envvar="ZSP_API",
    default="openai",
    show_default=True,
    help="Endpoint API style: decides the env var names.",
)
@click.option(
    "--proxy-url",
    envvar="ZSP_PROXY_URL",
    default=None,
    help="Override the proxy base URL the gateway reports.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the 0600 cache file.")
def creds(
    connection: str,
    duration: str,
    fmt: str,
    revoke: bool,
    gateway_url: str,
    issuer: str,
    client_id: str,
    audience: str,
    scope: str,
    flow: str,
    exchange: str,
    client_secret_arn: str | None,
    federated_audience: str,
    api: str,
    proxy_url: str | None,
    no_cache: bool,
) -> int:
    """Obtain a short-lived credential for CONNECTION and print it for the caller's SDK.

    An IdP token (client credentials, the CI job's own OIDC token, or the device flow) is
    exchanged at the gateway for a proxy credential that expires after --duration (default 15m,
    at most $ZSP_MAX_DURATION or 1h). Reused from a 0600 cache file until shortly before expiry.
    """
    from ..creds import CredentialProvider, CredsSettings, FileCache, MemoryCache, render

    settings = CredsSettings(
        gateway_url=gateway_url,
        issuer=issuer,
        client_id=client_id,
        audience=audience,
        scope=scope,
        flow=flow,  # type: ignore[arg-type]
        exchange=exchange,  # type: ignore[arg-type]
        client_secret_arn=client_secret_arn,
        federated_audience=federated_audience,
        api=api,
        proxy_url=proxy_url,
    )
    cache = MemoryCache() if no_cache else FileCache()
    provider = CredentialProvider(settings, connection, duration, cache=cache)
    try:
        if revoke:
            revoked = provider.revoke()
            message = f"revoked credential {revoked}" if revoked else "no active credential"
            click.echo(f"zsp: {connection}: {message}", err=True)
            return exit_codes.OK
        credential = provider.get()
        click.echo(render(credential, fmt, api))
        return exit_codes.OK
    finally:
        provider.close()
