"""ZSP012: no plaintext secret-looking value in any resource input or in stack config."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel, SecretStr

from .detect import Detector, default_detector
from .model import (
    REDACTED,
    ConfigRef,
    ResourceView,
    Rule,
    RuleContext,
    Severity,
    StackView,
    Violation,
)
from .values import is_opaque, leaves

K8S_SECRET = "kubernetes:core/v1:Secret"  # noqa: S105 - a type token
DECLARED_SECRET_INPUTS = {K8S_SECRET: ("data", "stringData"), "hoop:*": ("auth",)}
"""Inputs the provider or component always marks secret. The CrossGuard analyzer receives them
decrypted (and cannot see the mark), so there they are skipped; synth sees them ``[redacted]``."""


def _declared_secret(resource: ResourceView, top: str) -> bool:
    key = "hoop:*" if resource.hoop_kind else resource.type
    return top in DECLARED_SECRET_INPUTS.get(key, ())


def _config_leaves(value: Any, key: str) -> Iterator[tuple[str, Any]]:
    """Every config value with its ``zsp:section.key`` path, SecretStr kept as such."""
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            alias = info.alias or name
            child = f"{key}.{alias}" if key else (alias if ":" in alias else f"zsp:{alias}")
            yield from _config_leaves(getattr(value, name), child)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _config_leaves(item, f"{key}[{index}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _config_leaves(item, f"{key}.{k}")
    else:
        yield key, value


def _variable(inputs: Any, key_path: str) -> str:
    """The name a value is assigned to (``env[i].value`` → the env var's name), for the detector."""
    if key_path.endswith(".value") and "[" in key_path:
        parent: Any = inputs
        for part in key_path.rsplit(".", 1)[0].replace("]", "").replace("[", ".").split("."):
            if isinstance(parent, dict):
                parent = parent.get(part)
            elif isinstance(parent, list) and part.isdigit() and int(part) < len(parent):
                parent = parent[int(part)]
            else:
                parent = None
        if isinstance(parent, dict) and isinstance(parent.get("name"), str):
            return str(parent["name"])
    return key_path.rsplit(".", 1)[-1].split("[", 1)[0]


class NoPlaintextSecret(Rule):
    id = "ZSP012"
    slug = "no-plaintext-secret"
    title = "No plaintext secrets in resource inputs or stack config"
    severity = Severity.CRITICAL
    rationale = (
        "A key in a resource input or a plain config value lands in Pulumi state, plan output and "
        "git: a standing credential copied to everyone who can read them."
    )
    remediation = (
        "Store the value with `pulumi config set --secret` (or in Secrets Manager via zsp migrate) "
        "and pass it as a secret Output or an _aws:<secret>:<key> reference."
    )

    def __init__(self, detector: Detector | None = None) -> None:
        self._detector = detector

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = default_detector()
        return self._detector

    def _hits(self, text: str) -> list[str]:
        return sorted({m.rule for m in self.detector(text)})

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        is_k8s_secret = resource.type == K8S_SECRET
        for key_path, value in leaves(resource.inputs):
            if not isinstance(value, str) or is_opaque(value) or not value:
                continue
            top = key_path.split(".", 1)[0].split("[", 1)[0]
            if not resource.secrets_redacted and _declared_secret(resource, top):
                continue
            text = value
            if is_k8s_secret and top == "data":
                try:
                    text = base64.b64decode(value, validate=True).decode("utf-8", "replace")
                except (binascii.Error, ValueError):
                    text = value
            hits = self._hits(f"{_variable(resource.inputs, key_path)}: {text}")
            if hits:
                yield Violation(
                    resource,
                    f"input {key_path} holds a plaintext secret-looking value ({', '.join(hits)})",
                )

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        for key, value in _config_leaves(ctx.config, ""):
            if isinstance(value, SecretStr):
                if stack.secrets_redacted and value.get_secret_value() not in ("", REDACTED):
                    yield Violation(
                        ConfigRef(key),
                        "secret config value written in plaintext; use pulumi config set --secret",
                    )
                continue
            if isinstance(value, str) and value:
                hits = self._hits(f"{key.rsplit('.', 1)[-1]}: {value}")
                if hits:
                    yield Violation(
                        ConfigRef(key),
                        f"config value looks like a secret ({', '.join(hits)}) but is not secure",
                    )


RULE = NoPlaintextSecret()
