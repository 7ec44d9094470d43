"""Invariant 4 on the synthesized stacks: every model workload accepts ingress from the agent only.

NetworkPolicies are additive, so "only" means: the pod is selected by at least one policy with
``Ingress`` in its ``policyTypes`` (that alone denies everything not allowed), and *every* policy
selecting it allows exactly one peer — the agent's pods in the agent's namespace — on the model
port. The peer is resolved against the agent Deployment actually in the stack.
"""

from __future__ import annotations

from typing import Any

import pytest
from synth_helpers import synth_stack
from zsp.cli.synth import Synthesis

WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "matchExpressions not handled by this test"
    return dict(selector.get("matchLabels") or {}).items() <= labels.items()


def pods(synthesis: Synthesis) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, workload name, pod template labels) of every workload in the stack."""
    return [
        (
            r.inputs["metadata"]["namespace"],
            r.inputs["metadata"]["name"],
            r.inputs["spec"]["template"]["metadata"]["labels"],
        )
        for t in WORKLOADS
        for r in synthesis.of_type(t)
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_model_workload_is_reachable_from_the_agent_only(stack: str) -> None:
    synthesis, config = synth_stack(stack)
    workloads = pods(synthesis)
    policies = [p.inputs for p in synthesis.of_type(NETPOL)]
    models = [e for e in config.endpoints if e.server is not None]
    assert models, "the stack has no in-cluster model to check"
    for endpoint in models:
        assert endpoint.server is not None
        ns, port = endpoint.server.namespace, endpoint.server.port
        model_pods = [
            (name, labels)
            for wns, name, labels in workloads
            if wns == ns and endpoint.server.pod_labels.items() <= labels.items()
        ]
        assert model_pods, f"{stack}: no workload runs {endpoint.name}"
        for name, labels in model_pods:
            selecting = [
                p
                for p in policies
                if p["metadata"]["namespace"] == ns and selects(p["spec"]["podSelector"], labels)
            ]
            assert any("Ingress" in p["spec"]["policyTypes"] for p in selecting), name
            for policy in selecting:
                rules = policy["spec"].get("ingress", [])
                assert len(rules) == 1, f"{name}: {policy['metadata']['name']} has {len(rules)}"
                (rule,) = rules
                assert rule["ports"] == [{"port": port, "protocol": "TCP"}]
                (peer,) = rule["from"]  # an empty/missing "from" would allow every source
                assert set(peer) == {"namespaceSelector", "podSelector"}
                (agent_ns,) = peer["namespaceSelector"]["matchLabels"].values()
                assert list(peer["namespaceSelector"]["matchLabels"]) == [
                    "kubernetes.io/metadata.name"
                ]
                assert peer["podSelector"]["matchLabels"], "an empty podSelector allows all pods"
                allowed = [
                    (wns, wname)
                    for wns, wname, wlabels in workloads
                    if wns == agent_ns and selects(peer["podSelector"], wlabels)
                ]
                # The only pods the rule admits are the hoop agent's.
                assert allowed == [(agent_ns, "hoopagent")], f"{name}: {allowed}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_allowed_agent_runs_the_pinned_hoop_agent_image(stack: str) -> None:
    synthesis, config = synth_stack(stack)
    assert config.gateway is not None
    agents = [
        r
        for r in synthesis.of_type("kubernetes:apps/v1:Deployment")
        if r.inputs["metadata"]["name"] == "hoopagent"
    ]
    assert agents
    for agent in agents:
        (container,) = agent.inputs["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"hoophq/hoopagent:{config.gateway.version}-distroless"
