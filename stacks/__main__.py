"""The zsp stack program: one environment's gateway, identity, policy and shipping, from config.

Run by ``pulumi up --stack <env>`` (config in ``stacks/Pulumi.<env>.yaml``) and, offline, by
``zsp synth --stack <env>``, which executes this same file under a recording mock runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from zsp.components.agent import GatewayAgent, GatewayAgentArgs
from zsp.components.config import StackConfig, StackConfigError, stack_config_from_pulumi
from zsp.components.gateway import InferenceGateway, InferenceGatewayArgs, gateway_pod_labels
from zsp.components.gateway_database import GatewayDatabaseArgs, GatewayDatabaseComponent
from zsp.components.identity import Identity, IdentityArgs, IdpSettings
from zsp.components.isolation import EndpointIsolation, EndpointIsolationArgs, PodTarget
from zsp.components.k8s import MANAGED_BY, restricted_namespace_labels
from zsp.components.migrated_secrets import MigratedSecrets, MigratedSecretsArgs
from zsp.components.model_server import ModelServer, ModelServerArgs
from zsp.components.siem import SiemShipping, SiemShippingArgs, siem_outputs

T = TypeVar("T")


def load() -> StackConfig:
    try:
        return stack_config_from_pulumi()
    except StackConfigError as err:
        # RunError ends the program with this one line and no Python traceback.
        raise pulumi.RunError(str(err)) from None


def deferred_output_of(
    _: type[T],
) -> tuple[pulumi.Output[T], Callable[[pulumi.Output[T]], None]]:
    """A typed ``pulumi.deferred_output()``: an Output whose value is supplied later."""
    return pulumi.deferred_output()


def main() -> None:
    config = load()
    stack_tags = {
        "zsp:stack": pulumi.get_stack(),
        "zsp:environment": config.environment,
        "managed-by": MANAGED_BY,
        **config.aws.default_tags,
    }
    aws_provider = aws.Provider(
        "aws",
        region=config.aws_region,
        allowed_account_ids=[config.aws.account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=stack_tags),
    )
    k8s_provider = k8s.Provider(
        "cluster",
        context=config.cluster.kube_context,
        enable_server_side_apply=True,
    )
    random_provider = random.Provider("random")  # generated passwords (gateway database)
    providers = pulumi.ResourceOptions(providers=[aws_provider, k8s_provider, random_provider])

    model_namespaces = sorted(
        {e.server.namespace for e in config.endpoints if e.server is not None and e.server.deploy}
    )
    gw = config.gateway
    agent_namespaces: list[str] = []
    hosted_ns = ""
    if gw is not None:
        # One hoop agent per namespace of in-cluster models; one of them also serves hosted ones.
        in_cluster = sorted({e.server.namespace for e in config.endpoints if e.server})
        hosted_ns = gw.agent.hosted_namespace or next(iter(in_cluster), "hoop-agents")
        agent_namespaces = sorted({*in_cluster, hosted_ns})
    namespaces = {
        name: k8s.core.v1.Namespace(
            f"ns-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                labels={
                    **restricted_namespace_labels(),
                    "app.kubernetes.io/managed-by": MANAGED_BY,
                },
            ),
            opts=pulumi.ResourceOptions(provider=k8s_provider),
        )
        for name in sorted({*model_namespaces, *agent_namespaces, *([gw.namespace] if gw else [])})
    }

    servers: dict[str, ModelServer] = {}
    for endpoint in config.endpoints:
        if endpoint.server is not None and endpoint.server.deploy:
            servers[endpoint.name] = ModelServer(
                f"model-{endpoint.name}",
                ModelServerArgs(endpoint=endpoint),
                opts=pulumi.ResourceOptions.merge(
                    providers,
                    pulumi.ResourceOptions(depends_on=[namespaces[endpoint.server.namespace]]),
                ),
            )

    # Identity: who may ask the gateway for a credential. `identity.idp` feeds the gateway's IDP_*.
    idp: IdpSettings | None = None
    if config.identity is not None:
        identity = Identity("identity", IdentityArgs(config), opts=providers)
        idp = identity.idp
        pulumi.export("identity", identity.exports())

    if gw is not None:
        if idp is None:
            assert gw.idp is not None  # the schema requires one of the two
            idp = IdpSettings(
                issuer=str(gw.idp.issuer).rstrip("/"),
                client_id=gw.idp.client_id,
                client_secret=pulumi.Output.secret(gw.idp.client_secret.get_secret_value()),
                audience=gw.idp.audience or f"https://{gw.api_host}",
                groups_claim=gw.idp.groups_claim,
            )
        in_ns = lambda ns: pulumi.ResourceOptions.merge(  # noqa: E731
            providers, pulumi.ResourceOptions(depends_on=[namespaces[ns]])
        )
        database = GatewayDatabaseComponent(
            "hoop-db",
            GatewayDatabaseArgs(
                settings=gw.database,
                environment=config.environment,
                namespace=gw.namespace,
                vpc_id=config.cluster.vpc_id,
                subnet_ids=config.cluster.private_subnet_ids,
                client_security_group_ids=[config.cluster.node_security_group_id],
                client_pod_labels=gateway_pod_labels(),
                storage_class=gw.storage_class,
            ),
            opts=in_ns(gw.namespace),
        )
        gateway = InferenceGateway(
            "hoop",
            InferenceGatewayArgs(
                namespace=gw.namespace,
                version=gw.version,
                replicas=gw.replicas,
                api_host=gw.api_host,
                proxy_host=gw.proxy_host,
                grpc_host=gw.grpc_host,
                ingress_class=config.cluster.ingress_class,
                cert_manager_issuer=config.cluster.cert_manager_issuer,
                ingress_namespace=gw.ingress_namespace,
                idp_issuer=idp.issuer,
                idp_client_id=idp.client_id,
                idp_client_secret=idp.client_secret,
                idp_audience=idp.audience,
                idp_groups_claim=idp.groups_claim,
                database_uri=database.uri,
                sessions_storage=gw.sessions_storage,
                storage_class=gw.storage_class,
                resources=gw.resources,
                masking=gw.masking,
            ),
            opts=in_ns(gw.namespace),
        )
        # The agent that reads migrated keys and the secrets' policies name each other: the role
        # is created first, its permissions are resolved once the secrets exist.
        secret_names = [e.upstream_secret for e in config.endpoints if e.upstream_secret]
        secret_arns, resolve_arns = deferred_output_of(list[str])
        key_arn, resolve_key = deferred_output_of(str)
        agents = {
            ns: GatewayAgent(
                f"agent-{ns}",
                GatewayAgentArgs(
                    environment=config.environment,
                    namespace=ns,
                    version=gw.version,
                    replicas=gw.agent.replicas,
                    hoop_key=pulumi.Output.secret(gw.agent_key.get_secret_value()),
                    aws_account_id=config.aws.account_id,
                    aws_region=config.aws_region,
                    oidc_issuer_url=str(config.cluster.oidc_issuer_url),
                    secret_arns=secret_arns if ns == hosted_ns and secret_names else None,
                    kms_key_arn=key_arn if ns == hosted_ns and secret_names else None,
                    resources=gw.agent.resources,
                ),
                opts=in_ns(ns),
            )
            for ns in agent_namespaces
        }
        if secret_names:
            reader = agents[hosted_ns].role_arn
            assert reader is not None
            secrets = MigratedSecrets(
                "upstream-keys",
                MigratedSecretsArgs(
                    environment=config.environment,
                    aws_account_id=config.aws.account_id,
                    aws_region=config.aws_region,
                    secret_names=secret_names,
                    reader_role_arn=reader,
                ),
                opts=providers,
            )
            resolve_arns(secrets.secret_arns)
            resolve_key(secrets.key_arn)
        for endpoint in config.endpoints:
            if endpoint.server is not None:
                agent = agents[endpoint.server.namespace]
                EndpointIsolation(
                    f"isolate-{endpoint.name}",
                    EndpointIsolationArgs(
                        endpoint=endpoint.name,
                        target=PodTarget(
                            namespace=endpoint.server.namespace,
                            pod_labels=dict(endpoint.server.pod_labels),
                            port=endpoint.server.port,
                            agent_namespace=agent.namespace,
                            agent_pod_labels=agent.pod_labels,
                        ),
                    ),
                    opts=in_ns(endpoint.server.namespace),
                )
        pulumi.export(
            "gateway",
            {"api": gateway.api_url, "grpc": gateway.grpc_url, "proxy": gateway.proxy_url},
        )

    # Every inference session and credential issuance, as OCSF events, into the SIEM.
    if config.siem is not None:
        siem = SiemShipping(
            "siem",
            SiemShippingArgs(
                settings=config.siem,
                environment=config.environment,
                account_id=config.aws.account_id,
                region=config.aws_region,
                oidc_issuer_url=str(config.cluster.oidc_issuer_url),
            ),
            opts=providers,
        )
        pulumi.export("siem", siem_outputs(siem))

    pulumi.export(
        "endpoints",
        {
            e.name: {"kind": e.kind, "api": e.api, "upstream": e.upstream_url}
            for e in config.endpoints
        },
    )


main()
