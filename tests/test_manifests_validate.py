"""Every Kubernetes object synth produces for dev and prod is valid for Kubernetes 1.31 (strict)."""

from __future__ import annotations

import kubernetes_validate
import pytest
from synth_helpers import synth_stack
from zsp.cli.synth.artifacts import kubernetes_manifests


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_manifest_is_valid_for_1_31_strict(stack: str) -> None:
    synthesis, _ = synth_stack(stack)
    manifests = kubernetes_manifests(synthesis)
    kinds = {m.kind for m in manifests}
    assert {"StatefulSet", "Deployment", "Service", "Ingress", "NetworkPolicy", "Secret"} <= kinds
    for manifest in manifests:
        try:
            kubernetes_validate.validate(manifest.body, "1.31", strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{stack}: {manifest.kind}/{manifest.name}: {err}")
