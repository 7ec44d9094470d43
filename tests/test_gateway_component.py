"""InferenceGateway: ports, config by reference, pinned image, TLS ingresses, hardened pods."""

from __future__ import annotations

import json

import pulumi
import pytest
from fixtures_gateway import RAW, by_k8s_name, container_env, one, record
from zsp.components.config import GatewayMasking
from zsp.components.gateway import InferenceGateway, InferenceGatewayArgs

CANARY_SECRET = "canary-idp-secret-7d1f0c"
CANARY_URI = "postgres://hoop:canary-db-pw-91ab@db:5432/hoop"
STS = "kubernetes:apps/v1:StatefulSet"


def build(masking: bool = True, replicas: int = 3) -> InferenceGateway:
    return InferenceGateway(
        "hoop",
        InferenceGatewayArgs(
            namespace="hoop",
            version="1.148.0",
            replicas=replicas,
            api_host="hoop.example.com",
            proxy_host="llm.example.com",
            grpc_host="hoop-grpc.example.com",
            ingress_class="nginx",
            cert_manager_issuer="letsencrypt-prod",
            idp_issuer="https://idp.example.com/realms/ai",
            idp_client_id="hoop-gateway",
            idp_client_secret=pulumi.Output.secret(CANARY_SECRET),
            idp_audience="https://hoop.example.com",
            idp_groups_claim="groups",
            database_uri=pulumi.Output.secret(CANARY_URI),
            masking=GatewayMasking(enabled=masking, mode="strict"),
        ),
    )


GATEWAY_RAW: dict[str, dict[str, object]] = {}


@pytest.fixture(scope="module")
def gateway():  # type: ignore[no-untyped-def]
    synthesis = record(build)
    GATEWAY_RAW.update(RAW)
    return synthesis


def test_service_exposes_api_grpc_and_http_proxy(gateway) -> None:  # type: ignore[no-untyped-def]
    service = by_k8s_name(gateway, "kubernetes:core/v1:Service", "hoopgateway")
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service.inputs["spec"]["ports"]}
    assert ports == {
        "api": (8009, "api"),
        "grpc": (8010, "grpc"),
        "httpproxy": (18888, "httpproxy"),
    }
    workload = one(gateway, STS)
    container = workload.inputs["spec"]["template"]["spec"]["containers"][0]
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named == {"api": 8009, "grpc": 8010, "httpproxy": 18888}
    assert service.inputs["spec"]["selector"] == workload.inputs["spec"]["selector"]["matchLabels"]


def test_image_is_pinned_and_runs_the_gateway(gateway) -> None:  # type: ignore[no-untyped-def]
    container = one(gateway, STS).inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "hoophq/hoop:1.148.0"
    assert container["args"] == ["hoop", "start", "gateway"]
    for workload in gateway.of_type("kubernetes:apps/v1:Deployment"):
        for c in workload.inputs["spec"]["template"]["spec"]["containers"]:
            assert not c["image"].endswith(":latest") and ":" in c["image"]
            assert c["image"].startswith("mcr.microsoft.com/presidio-")
            assert c["image"].endswith(":2.2.363")


def test_every_env_var_comes_from_the_config_secret_by_reference(gateway) -> None:  # type: ignore[no-untyped-def]
    env = container_env(one(gateway, STS))
    required = {
        "API_URL", "GRPC_URL", "POSTGRES_DB_URI", "AUTH_METHOD", "IDP_ISSUER", "IDP_CLIENT_ID",
        "IDP_CLIENT_SECRET", "IDP_AUDIENCE", "IDP_GROUPS_CLAIM", "LOG_ENCODING", "DLP_PROVIDER",
        "MSPRESIDIO_ANALYZER_URL", "MSPRESIDIO_ANONYMIZER_URL",
    }  # fmt: skip
    assert required <= set(env)
    for name, var in env.items():
        assert "value" not in var, name
        assert var["valueFrom"] == {"secretKeyRef": {"name": "hoopgateway-config", "key": name}}


def test_config_secret_values(gateway) -> None:  # type: ignore[no-untyped-def]
    secret = by_k8s_name(gateway, "kubernetes:core/v1:Secret", "hoopgateway-config")
    # The engine sees the whole map as secret (keys kept, every value redacted) ...
    assert set(secret.inputs["stringData"].values()) == {"[redacted]"}
    # ... and the values the provider would write are these.
    data = GATEWAY_RAW[secret.name]["stringData"]
    assert data["API_URL"] == "https://hoop.example.com"
    assert data["GRPC_URL"] == "grpcs://hoop-grpc.example.com:443"
    assert data["AUTH_METHOD"] == "oidc"
    assert data["LOG_ENCODING"] == "json"
    assert data["IDP_ISSUER"] == "https://idp.example.com/realms/ai"
    assert data["IDP_CLIENT_ID"] == "hoop-gateway"
    assert data["IDP_AUDIENCE"] == "https://hoop.example.com"
    assert data["IDP_GROUPS_CLAIM"] == "groups"
    assert data["DLP_PROVIDER"] == "mspresidio"
    assert data["DLP_MODE"] == "strict"
    assert data["MSPRESIDIO_ANALYZER_URL"] == "http://presidio-analyzer.hoop.svc.cluster.local:3000"
    assert data["MSPRESIDIO_ANONYMIZER_URL"] == (
        "http://presidio-anonymizer.hoop.svc.cluster.local:3000"
    )
    assert data["IDP_CLIENT_SECRET"] == CANARY_SECRET
    assert data["POSTGRES_DB_URI"] == CANARY_URI


def test_no_secret_value_in_any_input(gateway) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps([r.to_json() for r in gateway.resources])
    assert CANARY_SECRET not in text
    assert "canary-db-pw" not in text


def test_ingresses_terminate_tls_for_api_proxy_and_grpc(gateway) -> None:  # type: ignore[no-untyped-def]
    ingresses = {
        r.inputs["metadata"]["name"]: r
        for r in gateway.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    }
    expected = {
        "hoopgateway-api": ("hoop.example.com", 8009),
        "hoopgateway-proxy": ("llm.example.com", 18888),
        "hoopgateway-grpc": ("hoop-grpc.example.com", 8010),
    }
    assert set(ingresses) == set(expected)
    for name, (host, port) in expected.items():
        spec = ingresses[name].inputs["spec"]
        notes = ingresses[name].inputs["metadata"]["annotations"]
        assert spec["ingressClassName"] == "nginx"
        assert spec["tls"] == [{"hosts": [host], "secretName": f"{name}-tls"}]
        assert notes["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
        rule = spec["rules"][0]
        assert rule["host"] == host
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "hoopgateway", "port": {"number": port}}
    grpc_notes = ingresses["hoopgateway-grpc"].inputs["metadata"]["annotations"]
    assert grpc_notes["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPC"


def test_sessions_wal_on_a_claim_per_replica(gateway) -> None:  # type: ignore[no-untyped-def]
    spec = one(gateway, STS).inputs["spec"]
    assert spec["replicas"] == 3
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "sessions"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    mounts = spec["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "sessions", "mountPath": "/opt/hoop/sessions"} in mounts


def test_pods_are_hardened_with_probes_and_limits(gateway) -> None:  # type: ignore[no-untyped-def]
    pod = one(gateway, STS).inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == 10001
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/api/healthz", "port": "api"}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}


def test_disruption_budget_selects_the_gateway(gateway) -> None:  # type: ignore[no-untyped-def]
    pdb = one(gateway, "kubernetes:policy/v1:PodDisruptionBudget")
    assert pdb.inputs["spec"]["maxUnavailable"] == 1
    labels = one(gateway, STS).inputs["spec"]["template"]["metadata"]["labels"]
    assert pdb.inputs["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_presidio_only_reachable_from_the_gateway(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway_labels = one(gateway, STS).inputs["spec"]["selector"]["matchLabels"]
    for part in ("analyzer", "anonymizer"):
        policy = by_k8s_name(
            gateway, "kubernetes:networking.k8s.io/v1:NetworkPolicy", f"presidio-{part}"
        )
        (rule,) = policy.inputs["spec"]["ingress"]
        assert rule["from"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "hoop"}},
                "podSelector": {"matchLabels": gateway_labels},
            }
        ]
        assert rule["ports"] == [{"port": 3000, "protocol": "TCP"}]


def test_masking_off_deploys_no_presidio_and_sets_no_dlp() -> None:
    synthesis = record(lambda: build(masking=False, replicas=1))
    assert synthesis.of_type("kubernetes:apps/v1:Deployment") == []
    data = by_k8s_name(synthesis, "kubernetes:core/v1:Secret", "hoopgateway-config").inputs[
        "stringData"
    ]
    assert "DLP_PROVIDER" not in data and "MSPRESIDIO_ANALYZER_URL" not in data
    assert one(synthesis, STS).inputs["spec"]["replicas"] == 1
