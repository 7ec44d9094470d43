"""The hoop gateway on Kubernetes: the one place identity, recording, masking and review happen.

Mirrors hoop's own chart (``deploy/helm-chart/chart/gateway`` at the pinned release) with the gaps
that matter for inference closed: an Ingress for the HTTP proxy port 18888 (the chart has none),
hardened pods, a disruption budget, and every configuration value delivered from a Secret by
reference.

The gateway runs as a StatefulSet, not a Deployment: each replica writes its own session
write-ahead log under ``/opt/hoop/sessions``, and a single ReadWriteOnce claim shared by several
replicas on different nodes cannot be mounted (the chart gets away with it by running one
replica with ``Recreate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .config import GatewayMasking, Resources
from .k8s import (
    TMP_DIR,
    labels,
    restricted_container_security,
    restricted_pod_security,
    selector,
)
from .network_policy import Peer, ingress_only_from

GATEWAY_IMAGE = "hoophq/hoop"
API_PORT = 8009
GRPC_PORT = 8010
PROXY_PORT = 18888
PRESIDIO_PORT = 3000
HOOP_UID = 10001
"""The ``hoop`` user baked into hoop's images."""
SESSIONS_PATH = "/opt/hoop/sessions"


@dataclass(frozen=True)
class InferenceGatewayArgs:
    """Inputs of ``InferenceGateway``.

    The ``idp_*`` values come from the identity component (or a config block until it exists);
    ``idp_client_secret`` and ``database_uri`` must be secret Outputs.
    """

    namespace: str
    version: str
    replicas: int
    api_host: str
    proxy_host: str
    grpc_host: str
    ingress_class: str
    idp_issuer: pulumi.Input[str]
    idp_client_id: pulumi.Input[str]
    idp_client_secret: pulumi.Input[str]
    idp_audience: pulumi.Input[str] | None
    idp_groups_claim: pulumi.Input[str]
    database_uri: pulumi.Input[str]
    cert_manager_issuer: str | None = None
    ingress_namespace: str = "ingress-nginx"
    sessions_storage: str = "10Gi"
    storage_class: str | None = None
    resources: Resources = field(
        default_factory=lambda: Resources(
            cpu_request="500m", cpu_limit="2", memory_request="1Gi", memory_limit="1Gi"
        )
    )
    masking: GatewayMasking = field(default_factory=GatewayMasking)


def gateway_image(version: str) -> str:
    return f"{GATEWAY_IMAGE}:{version}"


def gateway_pod_labels(name: str = "hoopgateway") -> dict[str, str]:
    """The labels the gateway pods carry (used by other components' NetworkPolicies)."""
    return selector(name, "hoop-gateway")


class InferenceGateway(pulumi.ComponentResource):
    """hoop gateway: StatefulSet, Services, Ingresses with TLS, config Secret, PDB, Presidio."""

    api_url: pulumi.Output[str]
    grpc_url: pulumi.Output[str]
    proxy_url: pulumi.Output[str]
    service_name: str
    pod_labels: dict[str, str]

    def __init__(
        self, name: str, args: InferenceGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:gateway:InferenceGateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = args.namespace
        app = "hoopgateway"
        self.service_name = app
        self.pod_labels = gateway_pod_labels(app)
        all_labels = labels(app, "hoop-gateway", part_of="hoop")

        def meta(
            object_name: str, annotations: dict[str, str] | None = None
        ) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(
                name=object_name, namespace=ns, labels=all_labels, annotations=annotations
            )

        api_url = f"https://{args.api_host}"
        grpc_url = f"grpcs://{args.grpc_host}:443"
        settings: dict[str, pulumi.Input[str]] = {
            "API_URL": api_url,
            "GRPC_URL": grpc_url,
            "POSTGRES_DB_URI": pulumi.Output.secret(args.database_uri),
            "AUTH_METHOD": "oidc",
            "IDP_ISSUER": args.idp_issuer,
            "IDP_CLIENT_ID": args.idp_client_id,
            "IDP_CLIENT_SECRET": pulumi.Output.secret(args.idp_client_secret),
            "IDP_AUDIENCE": args.idp_audience or "",
            "IDP_GROUPS_CLAIM": args.idp_groups_claim,
            "LOG_ENCODING": "json",
            "LOG_LEVEL": "info",
            "GIN_MODE": "release",
            "PLUGIN_AUDIT_PATH": SESSIONS_PATH,
            "PLUGIN_INDEX_PATH": f"{SESSIONS_PATH}/indexes",
            "ANALYTICS_TRACKING": "disabled",
        }
        if args.masking.enabled:
            analyzer, anonymizer = self._presidio(name, args, child)
            settings.update(
                {
                    "DLP_PROVIDER": "mspresidio",
                    "DLP_MODE": args.masking.mode,
                    "MSPRESIDIO_ANALYZER_URL": analyzer,
                    "MSPRESIDIO_ANONYMIZER_URL": anonymizer,
                }
            )

        config = k8s.core.v1.Secret(
            f"{name}-config",
            metadata=meta(f"{app}-config"),
            type="Opaque",
            string_data=settings,
            opts=child,
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=meta(app),
            automount_service_account_token=False,
            opts=child,
        )
        env = [
            k8s.core.v1.EnvVarArgs(
                name=key,
                value_from=k8s.core.v1.EnvVarSourceArgs(
                    secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(
                        name=config.metadata.name, key=key
                    )
                ),
            )
            for key in settings
        ]
        health = k8s.core.v1.HTTPGetActionArgs(path="/api/healthz", port="api")
        limits = {"cpu": args.resources.cpu_limit, "memory": args.resources.memory_limit}
        requests = {"cpu": args.resources.cpu_request, "memory": args.resources.memory_request}
        ports = [
            k8s.core.v1.ContainerPortArgs(name="api", container_port=API_PORT, protocol="TCP"),
            k8s.core.v1.ContainerPortArgs(name="grpc", container_port=GRPC_PORT, protocol="TCP"),
            k8s.core.v1.ContainerPortArgs(
                name="httpproxy", container_port=PROXY_PORT, protocol="TCP"
            ),
        ]
        headless = k8s.core.v1.Service(
            f"{name}-headless",
            metadata=meta(f"{app}-headless"),
            spec=k8s.core.v1.ServiceSpecArgs(
                cluster_ip="None",
                selector=self.pod_labels,
                ports=[k8s.core.v1.ServicePortArgs(name="api", port=API_PORT, target_port="api")],
            ),
            opts=child,
        )
        self.statefulset = k8s.apps.v1.StatefulSet(
            f"{name}-statefulset",
            metadata=meta(app),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                service_name=headless.metadata.name,
                replicas=args.replicas,
                pod_management_policy="Parallel",
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.pod_labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=all_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=account.metadata.name,
                        automount_service_account_token=False,
                        security_context=restricted_pod_security(HOOP_UID),
                        termination_grace_period_seconds=60,
                        topology_spread_constraints=[
                            k8s.core.v1.TopologySpreadConstraintArgs(
                                max_skew=1,
                                topology_key="topology.kubernetes.io/zone",
                                when_unsatisfiable="ScheduleAnyway",
                                label_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels=self.pod_labels
                                ),
                            )
                        ],
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="gateway",
                                image=gateway_image(args.version),
                                image_pull_policy="Always",
                                # The image's ENTRYPOINT is tini; these are its arguments.
                                args=["hoop", "start", "gateway"],
                                ports=ports,
                                env=env,
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    limits=limits, requests=requests
                                ),
                                readiness_probe=k8s.core.v1.ProbeArgs(
                                    http_get=health, period_seconds=10, failure_threshold=3
                                ),
                                liveness_probe=k8s.core.v1.ProbeArgs(
                                    http_get=health,
                                    initial_delay_seconds=30,
                                    period_seconds=20,
                                    failure_threshold=3,
                                ),
                                security_context=restricted_container_security(
                                    run_as_user=HOOP_UID
                                ),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(
                                        name="sessions", mount_path=SESSIONS_PATH
                                    ),
                                    k8s.core.v1.VolumeMountArgs(name="tmp", mount_path=TMP_DIR),
                                ],
                            )
                        ],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="tmp",
                                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="1Gi"),
                            )
                        ],
                    ),
                ),
                volume_claim_templates=[
                    k8s.core.v1.PersistentVolumeClaimArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(name="sessions", labels=all_labels),
                        spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                            access_modes=["ReadWriteOnce"],
                            storage_class_name=args.storage_class,
                            resources=k8s.core.v1.VolumeResourceRequirementsArgs(
                                requests={"storage": args.sessions_storage}
                            ),
                        ),
                    )
                ],
            ),
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta(app),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=self.pod_labels,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="api", port=API_PORT, target_port="api", protocol="TCP"
                    ),
                    k8s.core.v1.ServicePortArgs(
                        name="grpc",
                        port=GRPC_PORT,
                        target_port="grpc",
                        protocol="TCP",
                        app_protocol="kubernetes.io/h2c",
                    ),
                    k8s.core.v1.ServicePortArgs(
                        name="httpproxy", port=PROXY_PORT, target_port="httpproxy", protocol="TCP"
                    ),
                ],
            ),
            opts=child,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=meta(app),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.pod_labels),
            ),
            opts=child,
        )
        # Only the ingress controller reaches the gateway pods (agents dial the public gRPC host).
        ingress_only_from(
            f"{name}-netpol",
            name=app,
            namespace=ns,
            pod_labels=self.pod_labels,
            peers=[Peer(namespace=args.ingress_namespace)],
            ports=[API_PORT, GRPC_PORT, PROXY_PORT],
            labels=all_labels,
            opts=child,
        )
        self._ingress(name, args, f"{app}-api", args.api_host, API_PORT, {}, meta, child)
        self._ingress(
            name,
            args,
            f"{app}-proxy",
            args.proxy_host,
            PROXY_PORT,
            {
                # Inference responses stream (SSE) and can take minutes.
                "nginx.ingress.kubernetes.io/proxy-buffering": "off",
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "600",
                "nginx.ingress.kubernetes.io/proxy-send-timeout": "600",
                "nginx.ingress.kubernetes.io/proxy-body-size": "32m",
            },
            meta,
            child,
        )
        self._ingress(
            name,
            args,
            f"{app}-grpc",
            args.grpc_host,
            GRPC_PORT,
            {
                "nginx.ingress.kubernetes.io/backend-protocol": "GRPC",
                # Agents hold one long-lived stream each.
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
                "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
            },
            meta,
            child,
        )
        self.api_url = pulumi.Output.from_input(api_url)
        self.grpc_url = pulumi.Output.from_input(grpc_url)
        self.proxy_url = pulumi.Output.from_input(f"https://{args.proxy_host}")
        self.register_outputs(
            {"api_url": self.api_url, "grpc_url": self.grpc_url, "proxy_url": self.proxy_url}
        )

    def _ingress(
        self,
        name: str,
        args: InferenceGatewayArgs,
        object_name: str,
        host: str,
        port: int,
        annotations: dict[str, str],
        meta: Callable[..., k8s.meta.v1.ObjectMetaArgs],
        child: pulumi.ResourceOptions,
    ) -> k8s.networking.v1.Ingress:
        notes = {"nginx.ingress.kubernetes.io/ssl-redirect": "true", **annotations}
        if args.cert_manager_issuer:
            notes["cert-manager.io/cluster-issuer"] = args.cert_manager_issuer
        return k8s.networking.v1.Ingress(
            f"{name}-{object_name.rsplit('-', 1)[-1]}-ingress",
            metadata=meta(object_name, annotations=notes),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=args.ingress_class,
                tls=[
                    k8s.networking.v1.IngressTLSArgs(hosts=[host], secret_name=f"{object_name}-tls")
                ],
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        host=host,
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path="/",
                                    path_type="Prefix",
                                    backend=k8s.networking.v1.IngressBackendArgs(
                                        service=k8s.networking.v1.IngressServiceBackendArgs(
                                            name=self.service_name,
                                            port=k8s.networking.v1.ServiceBackendPortArgs(
                                                number=port
                                            ),
                                        )
                                    ),
                                )
                            ]
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[self.service])
            ),
        )

    def _presidio(
        self, name: str, args: InferenceGatewayArgs, child: pulumi.ResourceOptions
    ) -> tuple[str, str]:
        """Presidio analyzer + anonymizer, reachable from the gateway pods only."""
        urls: list[str] = []
        for part in ("analyzer", "anonymizer"):
            app = f"presidio-{part}"
            pod_labels = labels(app, f"presidio-{part}", part_of="hoop")
            match = selector(app, f"presidio-{part}")
            meta = k8s.meta.v1.ObjectMetaArgs(name=app, namespace=args.namespace, labels=pod_labels)
            probe = k8s.core.v1.HTTPGetActionArgs(path="/health", port="http")
            memory = "2Gi" if part == "analyzer" else "512Mi"
            k8s.apps.v1.Deployment(
                f"{name}-{app}",
                metadata=meta,
                spec=k8s.apps.v1.DeploymentSpecArgs(
                    replicas=args.masking.replicas,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=match),
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod_labels),
                        spec=k8s.core.v1.PodSpecArgs(
                            automount_service_account_token=False,
                            security_context=restricted_pod_security(HOOP_UID),
                            containers=[
                                k8s.core.v1.ContainerArgs(
                                    name=part,
                                    image=(
                                        f"mcr.microsoft.com/presidio-{part}:"
                                        f"{args.masking.presidio_version}"
                                    ),
                                    image_pull_policy="Always",
                                    ports=[
                                        k8s.core.v1.ContainerPortArgs(
                                            name="http", container_port=PRESIDIO_PORT
                                        )
                                    ],
                                    env=[
                                        k8s.core.v1.EnvVarArgs(
                                            name="PORT", value=str(PRESIDIO_PORT)
                                        ),
                                        k8s.core.v1.EnvVarArgs(name="HOME", value=TMP_DIR),
                                    ],
                                    resources=k8s.core.v1.ResourceRequirementsArgs(
                                        requests={"cpu": "250m", "memory": memory},
                                        limits={"cpu": "2", "memory": memory},
                                    ),
                                    readiness_probe=k8s.core.v1.ProbeArgs(
                                        http_get=probe, initial_delay_seconds=20, period_seconds=10
                                    ),
                                    liveness_probe=k8s.core.v1.ProbeArgs(
                                        http_get=probe, initial_delay_seconds=60, period_seconds=15
                                    ),
                                    security_context=restricted_container_security(
                                        run_as_user=HOOP_UID
                                    ),
                                    volume_mounts=[
                                        k8s.core.v1.VolumeMountArgs(name="tmp", mount_path=TMP_DIR)
                                    ],
                                )
                            ],
                            volumes=[
                                k8s.core.v1.VolumeArgs(
                                    name="tmp",
                                    empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                                        size_limit="512Mi"
                                    ),
                                )
                            ],
                        ),
                    ),
                ),
                opts=child,
            )
            k8s.core.v1.Service(
                f"{name}-{app}-service",
                metadata=meta,
                spec=k8s.core.v1.ServiceSpecArgs(
                    type="ClusterIP",
                    selector=match,
                    ports=[
                        k8s.core.v1.ServicePortArgs(
                            name="http", port=PRESIDIO_PORT, target_port="http", protocol="TCP"
                        )
                    ],
                ),
                opts=child,
            )
            ingress_only_from(
                f"{name}-{app}-netpol",
                name=app,
                namespace=args.namespace,
                pod_labels=match,
                peers=[Peer(namespace=args.namespace, pod_labels=gateway_pod_labels())],
                ports=[PRESIDIO_PORT],
                labels=pod_labels,
                opts=child,
            )
            urls.append(f"http://{app}.{args.namespace}.svc.cluster.local:{PRESIDIO_PORT}")
        return urls[0], urls[1]
