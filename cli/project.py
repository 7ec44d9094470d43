"""Locate the zsp Pulumi project (the directory holding ``Pulumi.yaml`` and ``stacks/``)."""

from __future__ import annotations

from pathlib import Path

from .errors import ZspError


def find_project_dir(start: Path | None = None) -> Path:
    """Walk up from ``start`` (default: cwd) to the first directory with a zsp ``Pulumi.yaml``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file() and (candidate / "stacks").is_dir():
            return candidate
    raise ZspError(
        f"no Pulumi project found from {here} upwards (need Pulumi.yaml and stacks/); "
        "run from the project or pass --project-dir"
    )
