"""File kinds: decide how a file is read (k8s Secret decoding) and who consumes what it defines."""

from __future__ import annotations

import re

KINDS = (
    "dotenv",
    "yaml",
    "json",
    "toml",
    "ini",
    "github-actions",
    "gitlab-ci",
    "k8s-secret",
    "compose",
    "dockerfile",
    "helm-values",
    "tfvars",
    "notebook",
    "shell",
    "source",
    "text",
)

_SOURCE = {
    ".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".java", ".kt", ".kts",
    ".rb", ".rs", ".cs", ".php", ".swift", ".scala", ".c", ".h", ".cc", ".cpp", ".hpp", ".m",
    ".r", ".jl", ".lua", ".pl", ".ex", ".exs", ".dart", ".groovy", ".tf", ".hcl", ".sql", ".vue",
    ".svelte",
}  # fmt: skip
_SHELL = {".sh", ".bash", ".zsh", ".ksh", ".fish", ".ps1", ".bat", ".cmd"}
_SHELL_NAMES = {".bashrc", ".zshrc", ".profile", ".bash_profile", ".envrc"}
_INI = {".ini", ".cfg", ".conf", ".properties", ".npmrc", ".pypirc", ".netrc"}
_BINARY = {
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".pdf", ".zip", ".gz", ".tgz",
    ".bz2", ".xz", ".zst", ".7z", ".tar", ".jar", ".war", ".whl", ".egg", ".so", ".dylib", ".dll",
    ".exe", ".o", ".a", ".pyc", ".pyo", ".class", ".woff", ".woff2", ".ttf", ".otf", ".mp3",
    ".mp4", ".mov", ".avi", ".wav", ".flac", ".bin", ".dat", ".db", ".sqlite", ".parquet",
    ".npy", ".npz", ".pt", ".pth", ".onnx", ".safetensors", ".h5", ".pkl", ".gguf",
}  # fmt: skip
VENDORED_DIRS = frozenset(
    {
        "node_modules", "vendor", "_vendor", "third_party", "third-party", "bower_components",
        ".venv", "venv", "site-packages", "dist-packages", "__pycache__", ".tox", ".nox",
        ".mypy_cache", ".ruff_cache", ".pytest_cache",
    }
)  # fmt: skip
"""Directories never descended into: dependencies and tool caches, not the project's own files."""
TOOL_DIRS = frozenset({".git", ".hg", ".svn", ".zsp"})
"""Version-control and zsp's own state: skipped without counting (history has ``--history``)."""

_K8S_SECRET = re.compile(rb"^kind:\s*[\"']?Secret[\"']?\s*$", re.MULTILINE)
_K8S_WORKLOAD = re.compile(
    r"^kind:\s*[\"']?(Deployment|StatefulSet|DaemonSet|Job|CronJob|Pod|ReplicaSet)[\"']?\s*$",
    re.MULTILINE,
)


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def is_binary_name(path: str) -> bool:
    return _suffix(path.rpartition("/")[2]) in _BINARY


def classify(rel_path: str, head: bytes = b"") -> str:
    """The kind of a file from its path (posix, relative) and its first bytes."""
    name = rel_path.rpartition("/")[2].lower()
    suffix = _suffix(name)
    parts = rel_path.lower().split("/")
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "dotenv"
    if name in ("dockerfile", "containerfile") or name.startswith("dockerfile."):
        return "dockerfile"
    if name.endswith(".dockerfile") or name.endswith(".containerfile"):
        return "dockerfile"
    if suffix == ".ipynb":
        return "notebook"
    if name.endswith(".tfvars") or name.endswith(".tfvars.json"):
        return "tfvars"
    if suffix in (".yml", ".yaml"):
        if ".github" in parts and "workflows" in parts:
            return "github-actions"
        if name.endswith(".gitlab-ci.yml") or name.endswith(".gitlab-ci.yaml"):
            return "gitlab-ci"
        if ".gitlab" in parts and "ci" in parts:
            return "gitlab-ci"
        if name.startswith(("docker-compose", "compose.", "compose-")):
            return "compose"
        if _K8S_SECRET.search(head):
            return "k8s-secret"
        if name.startswith("values") or "charts" in parts or "helm" in parts:
            return "helm-values"
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".toml":
        return "toml"
    if suffix in _INI or (name in ("credentials", "config") and ".aws" in parts):
        return "ini"
    if (
        suffix in _SHELL
        or name in _SHELL_NAMES
        or head.startswith(b"#!/bin/")
        or head.startswith(b"#!/usr/bin/env bash")
    ):
        return "shell"
    if suffix in _SOURCE:
        return "source"
    return "text"


def workload_of(document: str) -> str | None:
    """``Kind/name`` of a Kubernetes workload manifest document, else None."""
    kind = _K8S_WORKLOAD.search(document)
    if kind is None:
        return None
    name = re.search(
        r"^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*[\"']?([\w.-]+)", document, re.M
    )
    return f"{kind.group(1)}/{name.group(1) if name else '?'}"
