"""The distribution ships every package of the mapped folders, and the CLI entry point works."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"components": "zsp.components", "cli": "zsp.cli", "templates": "zsp.templates"}


def test_every_python_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    assert config["tool"]["setuptools"]["package-dir"] == {v: k for k, v in MAPPED.items()}
    on_disk = set()
    for folder, name in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            on_disk.add(".".join((name, *relative)))
    assert on_disk == listed, f"unlisted: {on_disk - listed}, stale: {listed - on_disk}"


def test_console_script_lists_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zsp.cli.main", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "synth" in result.stdout


def test_unknown_command_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zsp.cli.main", "frobnicate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "No such command" in result.stderr
