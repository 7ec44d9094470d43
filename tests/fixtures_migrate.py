"""A sample repository with tokens in every consumer file kind, its inventory, a KMS key in moto.

The inventory follows the ``zsp.inventory/v1`` contract of ``zsp scan`` (spans, fingerprints,
kinds), computed here by locating each token's text, so migrate tests do not depend on the scanner.
"""

# ruff: noqa: E501  (file contents are data: one line of a sample file per source line)
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

GATEWAY = "https://gw.dev.example.internal:18888"
CANARY = "ZSPCANARY"


def _rand(
    n: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def make_tokens() -> dict[str, str]:
    """Fresh synthetic tokens shaped like the real ones, each carrying the canary marker."""
    return {
        "openai": f"sk-proj-{CANARY}{_rand(40)}T3BlbkFJ{_rand(20)}",
        "openai2": f"sk-svcacct-{CANARY}{_rand(60)}",
        "anthropic": f"sk-ant-api03-{CANARY}{_rand(84)}-{_rand(6)}AA",
        "hf": f"hf_{CANARY}{_rand(25, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')}",
        "mistral": f"{CANARY}{_rand(23)}",
    }


PROVIDER = {
    "openai": ("openai", "https://api.openai.com"),
    "openai2": ("openai", "https://api.openai.com"),
    "anthropic": ("anthropic", "https://api.anthropic.com"),
    "hf": ("huggingface", "https://api-inference.huggingface.co"),
    "mistral": ("mistral", "https://api.mistral.ai"),
    "awskey": ("aws", "https://bedrock-runtime.eu-west-1.amazonaws.com"),
}

# path → (kind, content with {name} / {name:b64} placeholders, {placeholder: variable})
FILES: dict[str, tuple[str, str, dict[str, str | None]]] = {
    ".env": (
        "dotenv",
        "# local development\nOPENAI_API_KEY={openai}\nLOG_LEVEL=debug\n",
        {"openai": "OPENAI_API_KEY"},
    ),
    "services/worker/.env": (
        "dotenv",
        "export OPENAI_API_KEY={openai2}\r\nOPENAI_BASE_URL=https://api.openai.com/v1\r\n",
        {"openai2": "OPENAI_API_KEY"},
    ),
    "config/settings.yaml": (
        "yaml",
        '# app settings\nllm:\n  provider: openai\n  api_key: "{openai}"  # prod key\n'
        "  base_url: https://api.openai.com/v1\n  timeout: 30\n",
        {"openai": "api_key"},
    ),
    "config/app.json": (
        "json",
        '{\n  "anthropic": {\n    "api_key": "{anthropic}",\n    "url": "https://api.anthropic.com"\n  },\n'
        '  "retries": 3\n}\n',
        {"anthropic": "api_key"},
    ),
    "config/app.toml": (
        "toml",
        '[huggingface]\n# inference token\ntoken = "{hf}"\nmodel = "meta-llama/Llama-3.1-8B-Instruct"\n',
        {"hf": "token"},
    ),
    "config/app.ini": (
        "ini",
        "[mistral]\napi_key = {mistral}\nmodel = mistral-small\n",
        {"mistral": "api_key"},
    ),
    ".github/workflows/ci.yml": (
        "github-actions",
        "name: ci\non:\n  push:\n    branches: [main]\njobs:\n  eval:\n    runs-on: ubuntu-latest\n"
        "    env:\n      OPENAI_API_KEY: {openai}  # TODO move to secrets\n      MODEL: gpt-4o-mini\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - name: Run evals\n"
        "        run: python -m evals --base-url https://api.openai.com/v1\n",
        {"openai": "OPENAI_API_KEY"},
    ),
    ".gitlab-ci.yml": (
        "gitlab-ci",
        'stages: [test]\nvariables:\n  ANTHROPIC_API_KEY: "{anthropic}"\n\nsummarize:\n  stage: test\n'
        "  image: python:3.12-slim\n  script:\n    - python summarize.py\n",
        {"anthropic": "ANTHROPIC_API_KEY"},
    ),
    "k8s/secret.yaml": (
        "k8s-secret",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: support-bot\n  namespace: apps\ntype: Opaque\n"
        "data:\n  OPENAI_API_KEY: {openai:b64}\n  LOG_LEVEL: aW5mbw==\n",
        {"openai": "OPENAI_API_KEY"},
    ),
    "docker-compose.yml": (
        "compose",
        "services:\n  bot:\n    image: ghcr.io/example/bot:1.4.2\n    environment:\n"
        '      OPENAI_API_KEY: {openai}\n      PORT: "8080"\n',
        {"openai": "OPENAI_API_KEY"},
    ),
    "Dockerfile": (
        "dockerfile",
        'FROM python:3.12-slim\nENV HF_TOKEN={hf}\nCOPY . /app\nCMD ["python", "/app/main.py"]\n',
        {"hf": "HF_TOKEN"},
    ),
    "charts/bot/values.yaml": (
        "helm-values",
        "replicaCount: 2\nopenai:\n  apiKey: {openai}\n  baseUrl: https://api.openai.com/v1\n",
        {"openai": "apiKey"},
    ),
    "infra/prod.tfvars": (
        "tfvars",
        'region = "eu-west-1"\nopenai_api_key = "{openai}"\n',
        {"openai": "openai_api_key"},
    ),
    "notebooks/explore.ipynb": (
        "notebook",
        '{\n "cells": [\n  {\n   "cell_type": "code",\n   "metadata": {},\n   "source": [\n'
        '    "from openai import OpenAI\\n",\n    "client = OpenAI(api_key=\\"{openai}\\")\\n"\n'
        '   ],\n   "outputs": [],\n   "execution_count": null\n  }\n ],\n "metadata": {},\n'
        ' "nbformat": 4,\n "nbformat_minor": 5\n}\n',
        {"openai": None},
    ),
    "scripts/run.sh": (
        "shell",
        "#!/usr/bin/env bash\nset -euo pipefail\nexport ANTHROPIC_API_KEY={anthropic}\npython summarize.py\n",
        {"anthropic": "ANTHROPIC_API_KEY"},
    ),
    "app/main.py": (
        "source",
        '"""Support bot."""\n\nfrom openai import OpenAI\n\nclient = OpenAI(api_key="{openai}")\n',
        {"openai": None},
    ),
    "web/client.ts": (
        "source",
        "import Anthropic from \"@anthropic-ai/sdk\";\n\nconst client = new Anthropic({ apiKey: '{anthropic}' });\n",
        {"anthropic": None},
    ),
    "docs/notes.txt": (
        "text",
        "Temporary HF token for the demo: {hf} (ask Sam)\n",
        {"hf": None},
    ),
}


@dataclass
class SampleRepo:
    root: Path
    project: Path
    inventory: Path
    key: bytes
    tokens: dict[str, str]
    originals: dict[str, bytes]

    def fp(self, name: str) -> str:
        return hmac.new(self.key, self.tokens[name].encode(), hashlib.sha256).hexdigest()


def render(content: str, tokens: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name, _, enc = m.group(1).partition(":")
        value = tokens[name]
        return base64.b64encode(value.encode()).decode() if enc == "b64" else value

    return re.sub(r"\{(\w+(?::b64)?)\}", sub, content)


def build_inventory(
    root: Path,
    files: dict[str, tuple[str, str, dict[str, str | None]]],
    tokens: dict[str, str],
    key: bytes,
) -> dict[str, Any]:
    findings = []
    fps: dict[str, dict[str, Any]] = {}
    for path, (kind, content, variables) in files.items():
        text = (root / path).read_bytes().decode()
        lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
        for name, variable in variables.items():
            value = tokens[name]
            enc = "base64" if "{" + name + ":b64}" in content else "plain"
            needle = base64.b64encode(value.encode()).decode() if enc == "base64" else value
            fp = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
            provider, endpoint = PROVIDER[name]
            for i, line in enumerate(lines):
                col = line.find(needle)
                if col < 0:
                    continue
                findings.append(
                    {
                        "path": path,
                        "line": i + 1,
                        "column": col + 1,
                        "end_column": col + 1 + len(needle),
                        "provider": provider,
                        "rule": f"{provider}-key",
                        "fingerprint": fp,
                        "preview": value[:7] + "…" + value[-2:],
                        "kind": kind,
                        "variable": variable,
                        "encoding": enc,
                        "commit": None,
                        "endpoint": endpoint,
                    }
                )
                token = fps.setdefault(
                    fp,
                    {
                        "fingerprint": fp,
                        "provider": provider,
                        "endpoint": endpoint,
                        "locations": [],
                        "consumers": [],
                        "flags": [],
                    },
                )
                token["locations"].append({"path": path, "line": i + 1, "commit": None})
    for token in fps.values():
        token["consumers"] = sorted(
            {loc["path"].split("/")[0].strip(".") or "repo" for loc in token["locations"]}
        )
        token["consumers"] = [re.sub(r"[^a-z0-9-]", "-", c.lower()) for c in token["consumers"]]
    return {
        "schema": "zsp.inventory/v1",
        "root": str(root),
        "fingerprint": {
            "algorithm": "hmac-sha256",
            "key_file": str(root / ".zsp" / "fingerprint.key"),
        },
        "findings": findings,
        "tokens": list(fps.values()),
        "stats": {"files": len(files)},
    }


def make_project(dest: Path, project_root: Path) -> Path:
    """A throwaway copy of the Pulumi project (Pulumi.yaml + stack files) to migrate into."""
    (dest / "stacks").mkdir(parents=True)
    shutil.copy(project_root / "Pulumi.yaml", dest / "Pulumi.yaml")
    for stack in (project_root / "stacks").glob("Pulumi.*.yaml"):
        shutil.copy(stack, dest / "stacks" / stack.name)
    return dest


def make_sample_repo(
    base: Path,
    project_root: Path,
    files: dict[str, tuple[str, str, dict[str, str | None]]] | None = None,
    tokens: dict[str, str] | None = None,
) -> SampleRepo:
    files = FILES if files is None else files
    tokens = tokens or make_tokens()
    root = base / "repo"
    originals: dict[str, bytes] = {}
    for path, (_kind, content, _vars) in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = render(content, tokens).encode()
        target.write_bytes(data)
        originals[path] = data
    key = secrets.token_bytes(32)
    keyfile = root / ".zsp" / "fingerprint.key"
    keyfile.parent.mkdir(parents=True, exist_ok=True)
    keyfile.write_text(key.hex())
    os.chmod(keyfile, 0o600)
    inventory = base / "inventory.json"
    inventory.write_text(json.dumps(build_inventory(root, files, tokens, key), indent=2))
    project = make_project(base / "project", project_root)
    return SampleRepo(root, project, inventory, key, tokens, originals)


def create_kms_alias(endpoint: str, env: str = "dev", region: str = "eu-west-1") -> str:
    import boto3

    kms = boto3.client(
        "kms",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    alias = f"alias/zsp-{env}-secrets"
    for entry in kms.list_aliases()["Aliases"]:
        if entry["AliasName"] == alias:
            return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
    key = kms.create_key(Description=f"zsp {env} migrated secrets")["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def reset_moto(endpoint: str) -> None:
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture()
def migrate_env(aws_env: str) -> Iterator[str]:
    """Clean moto state with the dev and prod secrets KMS keys; yields the endpoint URL."""
    reset_moto(aws_env)
    create_kms_alias(aws_env, "dev")
    create_kms_alias(aws_env, "prod")
    yield aws_env
