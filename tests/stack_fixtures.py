"""Build throwaway copies of the Pulumi project with edited stack files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


def copy_project(dest: Path) -> Path:
    """Copy ``Pulumi.yaml`` and ``stacks/`` (program + stack files) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "Pulumi.yaml", dest / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", dest / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def edit_stack(project: Path, stack: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """Round-trip edit ``stacks/Pulumi.<stack>.yaml``'s ``config:`` map in place."""
    path = project / "stacks" / f"Pulumi.{stack}.yaml"
    yaml = YAML(typ="rt")
    document = yaml.load(path.read_text(encoding="utf-8"))
    edit(document["config"])
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
    return path
