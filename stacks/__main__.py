"""The zsp stack program: one environment's gateway, identity, policy and shipping, from config.

Run by ``pulumi up --stack <env>`` (config in ``stacks/Pulumi.<env>.yaml``) and, offline, by
``zsp synth --stack <env>``, which executes this same file under a recording mock runtime.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from zsp.components.config import StackConfig, StackConfigError, stack_config_from_pulumi
from zsp.components.k8s import MANAGED_BY, restricted_namespace_labels
from zsp.components.model_server import ModelServer, ModelServerArgs


def load() -> StackConfig:
    try:
        return stack_config_from_pulumi()
    except StackConfigError as err:
        # RunError ends the program with this one line and no Python traceback.
        raise pulumi.RunError(str(err)) from None


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
    providers = pulumi.ResourceOptions(providers=[aws_provider, k8s_provider])

    model_namespaces = sorted(
        {e.server.namespace for e in config.endpoints if e.server is not None and e.server.deploy}
    )
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
        for name in model_namespaces
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

    pulumi.export(
        "endpoints",
        {
            e.name: {"kind": e.kind, "api": e.api, "upstream": e.upstream_url}
            for e in config.endpoints
        },
    )


main()
