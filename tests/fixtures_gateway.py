"""Run one component under ``pulumi.runtime.set_mocks`` and return what it registered.

Uses synth's own mocks and recording monitor, so unit tests see the inputs exactly as the engine
would receive them (secret Outputs already ``[redacted]``) and realistic ARNs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack
from zsp.cli.synth.mocks import RecordingMonitor, SynthMocks
from zsp.cli.synth.model import STACK_TYPE, RecordedResource, Synthesis
from zsp.cli.synth.redact import SECRET_SIG, SIG_KEY
from zsp.cli.synth.runner import _SilentLogger

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return _unwrap(value.get("value"))
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


class RawInputMocks(SynthMocks):
    """Synth's mocks, also keeping the *unredacted* inputs so tests can check real values."""

    def __init__(self, account: str, region: str) -> None:
        super().__init__(account, region)
        self.raw: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.raw[args.name] = _unwrap(dict(args.inputs))
        rid, state = super().new_resource(args)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = "GeneratedPassw0rdFromRandom"
        return rid, state


RAW: dict[str, dict[str, Any]] = {}
"""Unredacted inputs of the last ``record`` call, by logical name."""


def record(build: Callable[[], object], account: str = ACCOUNT, region: str = REGION) -> Synthesis:
    """Call ``build()`` inside a mocked stack; every registered resource is returned."""
    mocks = RawInputMocks(account=account, region=region)
    monitor = RecordingMonitor(mocks)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.reset_options()
    runtime_mocks.set_mocks(
        mocks, project="zsp", stack="test", preview=False, logger=_SilentLogger(), monitor=monitor
    )
    runtime_settings.ROOT.set(None)
    try:
        loop.run_until_complete(runtime_stack.run_in_stack(lambda: build()))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.reset_options()
        runtime_settings.ROOT.set(None)
    resources = [r for r in monitor.recorded if r.type != STACK_TYPE]
    RAW.clear()
    RAW.update(mocks.raw)
    return Synthesis(project="zsp", stack="test", resources=resources)


def one(synthesis: Synthesis, type_token: str, name: str | None = None) -> RecordedResource:
    """The single resource of ``type_token`` (and logical ``name``); fails loudly otherwise."""
    found = [r for r in synthesis.of_type(type_token) if name is None or r.name == name]
    assert len(found) == 1, f"{type_token} {name}: {[r.name for r in found]}"
    return found[0]


def by_k8s_name(synthesis: Synthesis, type_token: str, name: str) -> RecordedResource:
    found = [r for r in synthesis.of_type(type_token) if r.inputs["metadata"]["name"] == name]
    assert len(found) == 1, f"{type_token} {name}: {len(found)} found"
    return found[0]


def doc(resource: RecordedResource, field: str) -> dict[str, Any]:
    value = resource.inputs[field]
    parsed = json.loads(value) if isinstance(value, str) else value
    assert isinstance(parsed, dict)
    return parsed


def container_env(workload: RecordedResource, container: int = 0) -> dict[str, Any]:
    spec = workload.inputs["spec"]["template"]["spec"]["containers"][container]
    return {e["name"]: e for e in spec.get("env", [])}


@pytest.fixture()
def record_component() -> Callable[[Callable[[], object]], Synthesis]:
    """The ``record`` function as a fixture (for tests that prefer injection)."""
    return record


__all__ = ["RAW", "record", "record_component"]
