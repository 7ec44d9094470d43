"""Run synth for a stack once per test session (it executes the whole program)."""

from __future__ import annotations

import functools
from pathlib import Path

from zsp.cli.synth import Synthesis, synthesize
from zsp.components.config import StackConfig

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def synth_stack(stack: str, project_dir: Path = ROOT) -> tuple[Synthesis, StackConfig]:
    """The recorded desired state of ``stacks/Pulumi.<stack>.yaml`` (cached per session)."""
    return synthesize(project_dir, stack)
