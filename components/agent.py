"""The hoop agent next to the models: it dials the gateway and is the only caller models accept.

It resolves ``HEADER_AUTHORIZATION=_aws:<secret>:api_key`` from AWS Secrets Manager at request
time, so its IAM role (IRSA) is the one identity that can read the migrated upstream keys: exactly
those secrets' ARNs and ``kms:Decrypt`` on their key, nothing else and no wildcards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from . import irsa
from .config import Resources
from .k8s import (
    TMP_DIR,
    labels,
    restricted_container_security,
    restricted_pod_security,
    selector,
)
from .network_policy import ingress_only_from

AGENT_IMAGE = "hoophq/hoopagent"
AGENT_FLAVOUR = "distroless"
AGENT_UID = 10001
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class GatewayAgentArgs:
    """Inputs of ``GatewayAgent``.

    ``hoop_key`` must be a secret Output (the agent DSN). ``secret_arns``/``kms_key_arn`` are the
    migrated secrets this agent may read; leave them empty for an agent that fronts in-cluster
    models only, and it gets no AWS role at all.
    """

    environment: str
    namespace: str
    version: str
    hoop_key: pulumi.Input[str]
    aws_account_id: str
    aws_region: str
    oidc_issuer_url: str
    replicas: int = 1
    secret_arns: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    kms_key_arn: pulumi.Input[str] | None = None
    resources: Resources = field(
        default_factory=lambda: Resources(
            cpu_request="100m", cpu_limit="1", memory_request="128Mi", memory_limit="512Mi"
        )
    )


def agent_image(version: str) -> str:
    return f"{AGENT_IMAGE}:{version}-{AGENT_FLAVOUR}"


def agent_pod_labels(name: str = "hoopagent") -> dict[str, str]:
    """The labels every agent pod carries: what the model NetworkPolicies allow."""
    return selector(name, "hoop-agent")


def irsa_trust_policy(
    account_id: str, oidc_issuer_url: str, namespace: str, service_account: str
) -> dict[str, Any]:
    """Trust exactly one Kubernetes ServiceAccount of one cluster (``sub`` and ``aud`` pinned)."""
    return irsa.irsa_trust_policy(
        account_id, oidc_issuer_url, namespace, service_account, sid="HoopAgentServiceAccount"
    )


def secret_read_policy(secret_arns: Sequence[str], kms_key_arn: str, region: str) -> dict[str, Any]:
    """Read these secrets and decrypt with their key through Secrets Manager — nothing more."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadMigratedUpstreamKeys",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": sorted(secret_arns),
            },
            {
                "Sid": "DecryptMigratedUpstreamKeys",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            },
        ],
    }


class GatewayAgent(pulumi.ComponentResource):
    """hoop agent Deployment + HOOP_KEY Secret + ServiceAccount (+ IRSA role when it reads keys)."""

    role_arn: pulumi.Output[str] | None
    namespace: str
    pod_labels: dict[str, str]

    def __init__(
        self, name: str, args: GatewayAgentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:gateway:GatewayAgent", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = args.namespace
        app = "hoopagent"
        self.namespace = ns
        self.pod_labels = agent_pod_labels(app)
        all_labels = labels(app, "hoop-agent", part_of="hoop")

        def meta(
            object_name: str, annotations: dict[str, pulumi.Input[str]] | None = None
        ) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(
                name=object_name, namespace=ns, labels=all_labels, annotations=annotations
            )

        self.role_arn = None
        annotations: dict[str, pulumi.Input[str]] | None = None
        if args.secret_arns is not None:
            if args.kms_key_arn is None:
                raise ValueError("kms_key_arn is required with secret_arns")
            role = aws.iam.Role(
                f"{name}-role",
                name=f"zsp-{args.environment}-hoopagent-{ns}"[:64],
                description=f"hoop agent in {ns}: reads the migrated upstream keys",
                assume_role_policy=json.dumps(
                    irsa_trust_policy(args.aws_account_id, args.oidc_issuer_url, ns, app)
                ),
                max_session_duration=3600,
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-read-secrets",
                role=role.name,
                name="read-migrated-upstream-keys",
                policy=pulumi.Output.all(
                    pulumi.Output.from_input(args.secret_arns), args.kms_key_arn
                ).apply(lambda v: json.dumps(secret_read_policy(v[0], v[1], args.aws_region))),
                opts=child,
            )
            self.role_arn = role.arn
            annotations = {ROLE_ARN_ANNOTATION: role.arn}

        key = k8s.core.v1.Secret(
            f"{name}-key",
            metadata=meta(f"{app}-key"),
            type="Opaque",
            string_data={"HOOP_KEY": pulumi.Output.secret(args.hoop_key)},
            opts=child,
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=meta(app, annotations),
            automount_service_account_token=False,
            opts=child,
        )
        env = [
            k8s.core.v1.EnvVarArgs(
                name="HOOP_KEY",
                value_from=k8s.core.v1.EnvVarSourceArgs(
                    secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(
                        name=key.metadata.name, key="HOOP_KEY"
                    )
                ),
            ),
            k8s.core.v1.EnvVarArgs(name="AWS_REGION", value=args.aws_region),
            k8s.core.v1.EnvVarArgs(name="AWS_STS_REGIONAL_ENDPOINTS", value="regional"),
            k8s.core.v1.EnvVarArgs(name="LOG_ENCODING", value="json"),
            k8s.core.v1.EnvVarArgs(name="LOG_LEVEL", value="info"),
        ]
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=meta(app),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.pod_labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=all_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=account.metadata.name,
                        # The EKS pod identity webhook projects its own web-identity token; the
                        # Kubernetes API token is not needed.
                        automount_service_account_token=False,
                        security_context=restricted_pod_security(AGENT_UID),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="agent",
                                image=agent_image(args.version),
                                image_pull_policy="Always",
                                # Documented invocation contract of every hoopagent flavour.
                                command=["hoop", "start", "agent"],
                                env=env,
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    limits={
                                        "cpu": args.resources.cpu_limit,
                                        "memory": args.resources.memory_limit,
                                    },
                                    requests={
                                        "cpu": args.resources.cpu_request,
                                        "memory": args.resources.memory_request,
                                    },
                                ),
                                security_context=restricted_container_security(
                                    run_as_user=AGENT_UID
                                ),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(name="tmp", mount_path=TMP_DIR)
                                ],
                            )
                        ],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="tmp",
                                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="256Mi"),
                            )
                        ],
                    ),
                ),
            ),
            opts=child,
        )
        # The agent only dials out; nothing may connect to it.
        ingress_only_from(
            f"{name}-netpol",
            name=app,
            namespace=ns,
            pod_labels=self.pod_labels,
            peers=[],
            ports=[],
            labels=all_labels,
            opts=child,
        )
        self.register_outputs({"role_arn": self.role_arn})
