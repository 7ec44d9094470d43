"""ZSP013: every container image is pinned by a tag other than ``latest`` or by digest."""

from __future__ import annotations

from collections.abc import Iterable

from .kube import WORKLOAD_TYPES, workload
from .model import ResourceView, Rule, RuleContext, Severity, Violation
from .values import is_opaque


def pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    return last.rsplit(":", 1)[1] not in ("", "latest")


class ImagePinned(Rule):
    id = "ZSP013"
    slug = "image-pinned"
    title = "Container images are pinned"
    severity = Severity.MEDIUM
    rationale = (
        "An unpinned image changes under a running stack: what was reviewed is not what runs, "
        "and a registry compromise ships straight into the data path."
    )
    remediation = "Use an explicit version tag (not latest) or an @sha256 digest."
    resource_types = frozenset(WORKLOAD_TYPES)

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        found = workload(resource)
        if found is None:
            return
        for container in found.containers:
            image = container.get("image")
            if is_opaque(image):
                continue
            if not isinstance(image, str) or not image:
                yield Violation(resource, f"container {container.get('name')} has no image")
            elif not pinned(image):
                yield Violation(
                    resource, f"container {container.get('name')} image {image} is not pinned"
                )


RULE = ImagePinned()
