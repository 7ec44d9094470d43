from __future__ import annotations

from synth_helpers import synth_stack


def test_dev_stack_deploys_the_in_cluster_model_with_its_labels() -> None:
    synthesis, config = synth_stack("dev")
    deployments = synthesis.of_type("kubernetes:apps/v1:Deployment")
    model = next(d for d in deployments if d.inputs["metadata"]["name"] == "qwen-chat")
    assert model.inputs["spec"]["selector"]["matchLabels"] == {"app": "qwen-chat"}
    assert model.inputs["metadata"]["namespace"] == "models"
    assert config.credentials.default_ttl == 900
