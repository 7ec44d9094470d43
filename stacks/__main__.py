"""The zsp stack program: one environment's gateway, identity, policy and shipping, from config.

Run by ``pulumi up --stack <env>`` (config in ``stacks/Pulumi.<env>.yaml``) and, offline, by
``zsp synth --stack <env>``, which executes this same file under a recording mock runtime.

Reading order: platform (providers, namespaces, models) → identity (who may ask for a
credential) → gateway (hoop, its database, agents next to the models, the migrated upstream keys,
isolation so the models answer only the agents) → policy (hoop objects: connections, guardrails,
masking, JIT) → SIEM shipping (sessions and credential events as OCSF, into the SIEM).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from zsp.components.agent import GatewayAgent, GatewayAgentArgs
from zsp.components.config import StackConfig, StackConfigError, stack_config_from_pulumi
from zsp.components.gateway import InferenceGateway, InferenceGatewayArgs, gateway_pod_labels
from zsp.components.gateway_database import GatewayDatabaseArgs, GatewayDatabaseComponent
from zsp.components.hoop.gateway_objects import HoopGatewayObjects, HoopGatewayObjectsArgs
from zsp.components.identity import Identity, IdentityArgs, IdpSettings
from zsp.components.isolation import EndpointIsolation, EndpointIsolationArgs, PodTarget
from zsp.components.k8s import MANAGED_BY, restricted_namespace_labels
from zsp.components.migrated_secrets import MigratedSecrets, MigratedSecretsArgs
from zsp.components.model_server import ModelServer, ModelServerArgs
from zsp.components.policy import InferencePolicy, InferencePolicyArgs, PolicyError, plan_stack
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


@dataclass
class Platform:
    """What every later block builds on: explicit providers and the namespaces zsp owns."""

    config: StackConfig
    providers: pulumi.ResourceOptions
    namespaces: dict[str, k8s.core.v1.Namespace]

    def in_namespace(self, namespace: str) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(
            self.providers, pulumi.ResourceOptions(depends_on=[self.namespaces[namespace]])
        )


def agent_namespaces(config: StackConfig) -> tuple[list[str], str]:
    """One hoop agent per namespace of in-cluster models; one of them also serves hosted ones."""
    if config.gateway is None:
        return [], ""
    in_cluster = sorted({e.server.namespace for e in config.endpoints if e.server})
    hosted = config.gateway.agent.hosted_namespace or next(iter(in_cluster), "hoop-agents")
    return sorted({*in_cluster, hosted}), hosted


def platform(config: StackConfig) -> Platform:
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
        "cluster", context=config.cluster.kube_context, enable_server_side_apply=True
    )
    random_provider = random.Provider("random")  # generated passwords (gateway database)
    providers = pulumi.ResourceOptions(providers=[aws_provider, k8s_provider, random_provider])
    gw = config.gateway
    names = {
        e.server.namespace for e in config.endpoints if e.server is not None and e.server.deploy
    }
    names |= set(agent_namespaces(config)[0])
    if gw is not None:
        names.add(gw.namespace)
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
        for name in sorted(names)
    }
    return Platform(config, providers, namespaces)


def model_servers(p: Platform) -> dict[str, ModelServer]:
    return {
        e.name: ModelServer(
            f"model-{e.name}", ModelServerArgs(endpoint=e), opts=p.in_namespace(e.server.namespace)
        )
        for e in p.config.endpoints
        if e.server is not None and e.server.deploy
    }


def identity(p: Platform) -> IdpSettings | None:
    """Who may ask the gateway for a credential; its ``idp`` feeds the gateway's ``IDP_*``."""
    config = p.config
    if config.identity is not None:
        built = Identity("identity", IdentityArgs(config), opts=p.providers)
        pulumi.export("identity", built.exports())
        return built.idp
    if config.gateway is not None and config.gateway.idp is not None:
        idp = config.gateway.idp
        return IdpSettings(
            issuer=str(idp.issuer).rstrip("/"),
            client_id=idp.client_id,
            client_secret=pulumi.Output.secret(idp.client_secret.get_secret_value()),
            audience=idp.audience or f"https://{config.gateway.api_host}",
            groups_claim=idp.groups_claim,
        )
    return None


def gateway(p: Platform, idp: IdpSettings) -> InferenceGateway:
    config, gw = p.config, p.config.gateway
    assert gw is not None
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
        opts=p.in_namespace(gw.namespace),
    )
    built = InferenceGateway(
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
        opts=p.in_namespace(gw.namespace),
    )
    pulumi.export(
        "gateway", {"api": built.api_url, "grpc": built.grpc_url, "proxy": built.proxy_url}
    )
    return built


def hoop_objects(p: Platform, after: list[pulumi.Resource]) -> HoopGatewayObjects | None:
    """The gateway-wide hoop objects; the agent object's key becomes the agents' ``HOOP_KEY``."""
    if p.config.hoop is None:
        return None
    return HoopGatewayObjects(
        "hoop-objects",
        HoopGatewayObjectsArgs(settings=p.config.hoop),
        opts=pulumi.ResourceOptions(depends_on=after),
    )


def agents_and_keys(p: Platform, hoop_key: pulumi.Output[str]) -> dict[str, GatewayAgent]:
    """Agents next to the models, and the upstream keys only the (hosted) agent may read.

    The agent role and the secrets' policies name each other: the role is created first, its
    read permissions are resolved once the secrets exist.
    """
    config, gw = p.config, p.config.gateway
    assert gw is not None
    namespaces, hosted = agent_namespaces(config)
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
                hoop_key=hoop_key,
                aws_account_id=config.aws.account_id,
                aws_region=config.aws_region,
                oidc_issuer_url=str(config.cluster.oidc_issuer_url),
                secret_arns=secret_arns if ns == hosted and secret_names else None,
                kms_key_arn=key_arn if ns == hosted and secret_names else None,
                resources=gw.agent.resources,
            ),
            opts=p.in_namespace(ns),
        )
        for ns in namespaces
    }
    if secret_names:
        reader = agents[hosted].role_arn
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
            opts=p.providers,
        )
        resolve_arns(secrets.secret_arns)
        resolve_key(secrets.key_arn)
    return agents


def isolation(p: Platform, agents: dict[str, GatewayAgent]) -> None:
    """Invariant 4: every in-cluster model answers its namespace's agent and nothing else."""
    for endpoint in p.config.endpoints:
        if endpoint.server is None:
            continue
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
            opts=p.in_namespace(endpoint.server.namespace),
        )


def policy(p: Platform, hoop: HoopGatewayObjects) -> None:
    """Per endpoint: connection, audit, access groups, guardrail, masking, JIT — by risk."""
    config = p.config
    assert config.hoop is not None and config.policy is not None
    try:
        plans = plan_stack(config.endpoints, config.policy, config.hoop.edition)
    except PolicyError as err:
        raise pulumi.RunError(str(err)) from None
    for endpoint in config.endpoints:
        InferencePolicy(
            f"policy-{endpoint.name}",
            InferencePolicyArgs(
                plan=plans[endpoint.name],
                api=hoop.api,
                agent_id=hoop.agent_id,
                edition=config.hoop.edition,
            ),
            opts=pulumi.ResourceOptions(depends_on=[hoop]),
        )


def siem(p: Platform) -> None:
    """Every inference session and credential issuance, as OCSF events, into the SIEM."""
    if p.config.siem is None:
        return
    shipping = SiemShipping(
        "siem",
        SiemShippingArgs(
            settings=p.config.siem,
            environment=p.config.environment,
            account_id=p.config.aws.account_id,
            region=p.config.aws_region,
            oidc_issuer_url=str(p.config.cluster.oidc_issuer_url),
        ),
        opts=p.providers,
    )
    pulumi.export("siem", siem_outputs(shipping))


def main() -> None:
    config = load()
    p = platform(config)
    model_servers(p)
    idp = identity(p)
    hoop: HoopGatewayObjects | None = None
    if config.gateway is not None:
        assert idp is not None  # the schema requires an IdP with a gateway
        gw = gateway(p, idp)
        hoop = hoop_objects(p, after=[gw])
        if hoop is not None:
            hoop_key = hoop.agent_dsn
        else:
            assert config.gateway.agent_key is not None  # the schema requires one of the two
            hoop_key = pulumi.Output.secret(config.gateway.agent_key.get_secret_value())
        isolation(p, agents_and_keys(p, hoop_key))
    elif config.hoop is not None:
        hoop = hoop_objects(p, after=[])  # a gateway zsp does not deploy
    if hoop is not None and config.policy is not None:
        policy(p, hoop)
    siem(p)

    pulumi.export(
        "endpoints",
        {
            e.name: {"kind": e.kind, "api": e.api, "upstream": e.upstream_url}
            for e in config.endpoints
        },
    )


main()
