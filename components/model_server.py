"""An in-cluster, OpenAI-compatible model server (vLLM, llama.cpp server, TGI ...).

zsp deploys it only when the stack asks (``server.deploy``); otherwise the endpoint refers to pods
that already exist and zsp only isolates and fronts them. Either way its pods carry the endpoint's
``podLabels``, which is what the isolation NetworkPolicy selects on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from .config import Endpoint
from .k8s import labels, restricted_container_security, restricted_pod_security

SCRATCH = "/tmp"  # noqa: S108 - a pod-private emptyDir, the only writable path


@dataclass(frozen=True)
class ModelServerArgs:
    """Inputs of ``ModelServer``: the endpoint as configured (kind ``in-cluster``)."""

    endpoint: Endpoint


class ModelServer(pulumi.ComponentResource):
    """Deployment + ClusterIP Service for one in-cluster inference endpoint."""

    service_url: pulumi.Output[str]
    namespace: str

    def __init__(
        self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("zsp:endpoint:ModelServer", name, None, opts)
        endpoint = args.endpoint
        server = endpoint.server
        if server is None or not server.deploy or server.image is None:
            raise ValueError(f"endpoint {endpoint.name!r} is not an in-cluster server to deploy")
        child = pulumi.ResourceOptions(parent=self)
        pod_labels = {**labels(endpoint.name, "model-server"), **server.pod_labels}
        container_args = [
            a.replace("{model}", server.model or "").replace("{port}", str(server.port))
            for a in server.args
        ]
        limits = {"cpu": server.resources.cpu_limit, "memory": server.resources.memory_limit}
        requests = {"cpu": server.resources.cpu_request, "memory": server.resources.memory_request}
        if server.resources.gpus:
            limits["nvidia.com/gpu"] = str(server.resources.gpus)
            requests["nvidia.com/gpu"] = str(server.resources.gpus)
        probe = k8s.core.v1.ProbeArgs(
            http_get=k8s.core.v1.HTTPGetActionArgs(path="/health", port="http"),
            period_seconds=10,
            failure_threshold=6,
        )
        self.namespace = server.namespace
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=endpoint.name,
                namespace=server.namespace,
                labels=pod_labels,
                annotations={"zsp.dev/model": server.model or ""},
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=server.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(server.pod_labels)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        automount_service_account_token=False,
                        security_context=restricted_pod_security(),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="server",
                                image=server.image,
                                # Pinned tag + Always: the kubelet re-checks the registry digest,
                                # so a re-pushed tag or a node-local impostor image is not run.
                                image_pull_policy="Always",
                                args=container_args,
                                ports=[
                                    k8s.core.v1.ContainerPortArgs(
                                        name="http", container_port=server.port
                                    )
                                ],
                                env=[
                                    k8s.core.v1.EnvVarArgs(name="HOME", value=SCRATCH),
                                    k8s.core.v1.EnvVarArgs(name="HF_HOME", value="/models/.cache"),
                                ],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    limits=limits, requests=requests
                                ),
                                readiness_probe=probe,
                                liveness_probe=k8s.core.v1.ProbeArgs(
                                    http_get=k8s.core.v1.HTTPGetActionArgs(
                                        path="/health", port="http"
                                    ),
                                    initial_delay_seconds=120,
                                    period_seconds=20,
                                ),
                                security_context=restricted_container_security(),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(
                                        name="models", mount_path="/models"
                                    ),
                                    k8s.core.v1.VolumeMountArgs(name="tmp", mount_path=SCRATCH),
                                ],
                            )
                        ],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="models",
                                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="50Gi"),
                            ),
                            k8s.core.v1.VolumeArgs(
                                name="tmp",
                                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="1Gi"),
                            ),
                        ],
                    ),
                ),
            ),
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=endpoint.name, namespace=server.namespace, labels=pod_labels
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=dict(server.pod_labels),
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", port=server.port, target_port="http", protocol="TCP"
                    )
                ],
            ),
            opts=child,
        )
        self.service_url = pulumi.Output.from_input(endpoint.upstream_url)
        self.register_outputs({"service_url": self.service_url})
