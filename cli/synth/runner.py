"""Execute ``stacks/__main__.py`` in-process under the recording mock runtime.

This is the real program, not a model of it: whatever ``pulumi up`` would register, synth
records, so reviewing synth output is reviewing the deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import runpy
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack
from zsp.components.config import StackConfig, StackConfigError, read_stack_file

from .mocks import RecordingMonitor, SynthMocks
from .model import STACK_TYPE, Synthesis

PROJECT = "zsp"


class SynthError(Exception):
    """The program failed; the message names the component and resource involved."""


def _config_strings(values: dict[str, Any]) -> dict[str, str]:
    """The engine hands every config value to the program as a string (JSON for structures)."""
    import json

    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def _blame(tb: TracebackType | None) -> str | None:
    """Name the innermost component (and resource) under construction when the error happened."""
    found: str | None = None
    for frame, _ in traceback.walk_tb(tb):
        owner = frame.f_locals.get("self")
        type_token = getattr(owner, "_type", None)
        if isinstance(owner, pulumi.ComponentResource) and type_token and type_token != STACK_TYPE:
            found = f"component {type_token} {getattr(owner, '_name', '?')!r}"
    return found


class _SilentLogger(logging.Logger):
    """Engine log lines from the mocks go nowhere; synth prints its own summary."""

    def __init__(self) -> None:
        super().__init__("zsp.synth", level=logging.CRITICAL + 1)


def synthesize(project_dir: Path, stack: str) -> tuple[Synthesis, StackConfig]:
    """Run the stack program for ``stack`` and return everything it registered.

    Raises ``StackConfigError`` for config problems (before any program code runs) and
    ``SynthError`` when the program itself fails.
    """
    stack_file = read_stack_file(project_dir, stack)
    config = stack_file.parse()  # fail fast with file/line/key before running anything
    program = project_dir / "stacks" / "__main__.py"
    if not program.is_file():
        raise SynthError(f"no stack program at {program}")

    mocks = SynthMocks(account=config.aws.account_id, region=config.aws_region)
    monitor = RecordingMonitor(mocks)
    # One event loop for everything: set_mocks already schedules the root stack's registration.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.reset_options()
    runtime_mocks.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=False, logger=_SilentLogger(), monitor=monitor
    )
    # set_mocks makes a root stack of its own; run_in_stack below makes the one the program uses.
    runtime_settings.ROOT.set(None)
    runtime_config.set_all_config(
        {f"{k}": v for k, v in _config_strings(stack_file.values).items()},
        sorted(stack_file.secret_keys),
    )
    stack_dir = str(program.parent)

    def run_program() -> None:
        sys.path.insert(0, stack_dir)
        try:
            runpy.run_path(str(program), run_name="__main__")
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(stack_dir)

    try:
        loop.run_until_complete(runtime_stack.run_in_stack(run_program))
    except pulumi.RunError as err:
        raise SynthError(str(err)) from None
    except StackConfigError:
        raise
    except Exception as err:  # noqa: BLE001 - reported with the component to blame
        where = _blame(err.__traceback__) or "the stack program"
        last = monitor.recorded[-1] if monitor.recorded else None
        near = f" (last resource registered: {last.type} {last.name!r})" if last else ""
        raise SynthError(f"{where} failed: {type(err).__name__}: {err}{near}") from None
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.reset_options()
        # set_mocks makes a root stack of its own; run_in_stack makes the one the program uses.
    runtime_settings.ROOT.set(None)
    runtime_config.set_all_config({}, [])

    resources = [r for r in monitor.recorded if r.type != STACK_TYPE]
    resources.sort(key=lambda r: r.urn)
    return Synthesis(
        project=PROJECT, stack=stack, resources=resources, outputs=monitor.stack_outputs
    ), config
