"""A labelled corpus for ``zsp scan``: every provider in every file kind, plus placeholders and
look-alikes (hashes, UUIDs, lockfile integrity strings, base64 images).

Tokens are generated (seeded) rather than committed, so the repository itself holds no
token-shaped strings beyond the rule examples. ``Corpus.labels`` is the ground truth:
``(path, line, provider)`` of every real token occurrence.
"""

# ruff: noqa: E501, S324  (templates read best one per line; hashes here are look-alike data)
from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

A = string.ascii_letters
AN = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
MARK = "@@TOKEN@@"


@dataclass(frozen=True)
class Spec:
    """A provider's token shape: how to make one, the variable it usually lives in, its URL."""

    provider: str
    make: Callable[[random.Random], str]
    var: str
    url: str


def _s(rng: random.Random, alphabet: str, n: int) -> str:
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        has_digit = any(c.isdigit() for c in value) or alphabet == A
        if has_digit and any(c.isalpha() for c in value):
            return value


SPECS: tuple[Spec, ...] = (
    Spec(
        "openai",
        lambda r: "sk-proj-" + _s(r, AN + "_-", 74) + "T3BlbkFJ" + _s(r, AN + "_-", 74),
        "OPENAI_API_KEY",
        "https://api.openai.com/v1",
    ),
    Spec(
        "openai",
        lambda r: "sk-svcacct-" + _s(r, AN, 64),
        "OPENAI_API_KEY",
        "https://api.openai.com/v1",
    ),
    Spec(
        "openai",
        lambda r: "sk-" + _s(r, AN, 20) + "T3BlbkFJ" + _s(r, AN, 20),
        "OPENAI_KEY",
        "https://api.openai.com/v1",
    ),
    Spec(
        "anthropic",
        lambda r: "sk-ant-api03-" + _s(r, AN + "_-", 93) + "AA",
        "ANTHROPIC_API_KEY",
        "https://api.anthropic.com",
    ),
    Spec(
        "anthropic",
        lambda r: "sk-ant-admin01-" + _s(r, AN + "_-", 93) + "AA",
        "ANTHROPIC_ADMIN_KEY",
        "https://api.anthropic.com",
    ),
    Spec("huggingface", lambda r: "hf_" + _s(r, A, 34), "HF_TOKEN", "https://huggingface.co"),
    Spec(
        "huggingface",
        lambda r: "api_org_" + _s(r, A, 34),
        "HUGGINGFACEHUB_API_TOKEN",
        "https://huggingface.co",
    ),
    Spec(
        "google",
        lambda r: "AIza" + _s(r, AN + "_-", 35),
        "GEMINI_API_KEY",
        "https://generativelanguage.googleapis.com",
    ),
    Spec(
        "aws",
        lambda r: "AKIA" + _s(r, string.ascii_uppercase + "234567", 16),
        "AWS_ACCESS_KEY_ID",
        "https://bedrock-runtime.us-east-1.amazonaws.com",
    ),
    Spec(
        "aws",
        lambda r: _s(r, AN + "/+", 40),
        "AWS_SECRET_ACCESS_KEY",
        "https://bedrock-runtime.us-east-1.amazonaws.com",
    ),
    Spec(
        "aws",
        lambda r: "ABSK" + base64.b64encode(b"BedrockAPIKey-" + r.randbytes(60)).decode(),
        "AWS_BEARER_TOKEN_BEDROCK",
        "https://bedrock-runtime.us-east-1.amazonaws.com",
    ),
    Spec(
        "azure-openai",
        lambda r: _s(r, HEX, 32),
        "AZURE_OPENAI_API_KEY",
        "https://contoso-prod.openai.azure.com",
    ),
    Spec("cohere", lambda r: _s(r, AN, 40), "COHERE_API_KEY", "https://api.cohere.com"),
    Spec("mistral", lambda r: _s(r, AN, 32), "MISTRAL_API_KEY", "https://api.mistral.ai/v1"),
    Spec(
        "groq", lambda r: "gsk_" + _s(r, AN, 52), "GROQ_API_KEY", "https://api.groq.com/openai/v1"
    ),
    Spec(
        "replicate",
        lambda r: "r8_" + _s(r, AN, 37),
        "REPLICATE_API_TOKEN",
        "https://api.replicate.com/v1",
    ),
    Spec(
        "together",
        lambda r: "tgp_v1_" + _s(r, AN + "_-", 43),
        "TOGETHER_API_KEY",
        "https://api.together.xyz/v1",
    ),
    Spec(
        "fireworks",
        lambda r: "fw_" + _s(r, AN, 24),
        "FIREWORKS_API_KEY",
        "https://api.fireworks.ai/inference/v1",
    ),
    Spec(
        "perplexity", lambda r: "pplx-" + _s(r, AN, 48), "PPLX_API_KEY", "https://api.perplexity.ai"
    ),
    Spec(
        "deepseek", lambda r: "sk-" + _s(r, HEX, 32), "DEEPSEEK_API_KEY", "https://api.deepseek.com"
    ),
    Spec("xai", lambda r: "xai-" + _s(r, AN, 80), "XAI_API_KEY", "https://api.x.ai/v1"),
    Spec(
        "openrouter",
        lambda r: "sk-or-v1-" + _s(r, HEX, 64),
        "OPENROUTER_API_KEY",
        "https://openrouter.ai/api/v1",
    ),
    Spec(
        "databricks",
        lambda r: "dapi" + _s(r, HEX, 32),
        "DATABRICKS_TOKEN",
        "https://adb-1234567890123456.7.azuredatabricks.net",
    ),
    Spec(
        "generic",
        lambda r: _s(r, AN + "_-", 40),
        "LLM_GATEWAY_API_KEY",
        "https://llm.internal.corp.net/v1",
    ),
    Spec("generic", lambda r: _s(r, AN, 48), "INFERENCE_TOKEN", "https://vllm.ml.corp.net:8000/v1"),
)


def _ipynb(lines: list[str]) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": [],
        "source": [line + "\n" for line in lines],
    }
    doc = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1)


# kind -> (relative path template, content builder(var, url) with MARK where the token goes)
TEMPLATES: dict[str, tuple[str, Callable[[str, str], str]]] = {
    "dotenv": (
        "app{i}/.env",
        lambda v, u: f"# service config\nBASE_URL={u}\n{v}={MARK}\nDEBUG=false\n",
    ),
    "yaml": (
        "conf{i}/settings.yaml",
        lambda v, u: f'llm:\n  base_url: {u}\n  {v}: "{MARK}"\n  timeout: 30\n',
    ),
    "json": (
        "conf{i}/settings.json",
        lambda v, u: json.dumps({"base_url": u, v: MARK, "retries": 3}, indent=2) + "\n",
    ),
    "toml": ("conf{i}/settings.toml", lambda v, u: f'[llm]\nbase_url = "{u}"\n{v} = "{MARK}"\n'),
    "ini": ("conf{i}/settings.ini", lambda v, u: f"[llm]\nbase_url = {u}\n{v} = {MARK}\n"),
    "github-actions": (
        ".github/workflows/eval{i}.yml",
        lambda v, u: (
            f"name: eval {{i}}\non: push\njobs:\n  eval:\n    runs-on: ubuntu-latest\n    env:\n"
            f"      BASE_URL: {u}\n      {v}: {MARK}\n    steps:\n      - run: python eval.py\n"
        ),
    ),
    "gitlab-ci": (
        "ci{i}/.gitlab-ci.yml",
        lambda v, u: (
            f'stages: [test]\nevaluate:\n  stage: test\n  variables:\n    BASE_URL: {u}\n    {v}: "{MARK}"\n'
            "  script:\n    - python eval.py\n"
        ),
    ),
    "k8s-secret": (
        "k8s{i}/secret.yaml",
        lambda v, u: (
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: llm-{{i}}\n  annotations:\n    endpoint: {u}\n"
            f'type: Opaque\nstringData:\n  {v}: "{MARK}"\n'
        ),
    ),
    "k8s-secret-b64": (
        "k8s{i}/secret-data.yaml",
        lambda v, u: (
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: llm-data-{{i}}\n  annotations:\n    endpoint: {u}\n"
            f"type: Opaque\ndata:\n  {v}: {MARK}\n"
        ),
    ),
    "compose": (
        "svc{i}/docker-compose.yml",
        lambda v, u: (
            f'services:\n  api:\n    image: app:1\n    environment:\n      BASE_URL: {u}\n      {v}: "{MARK}"\n'
        ),
    ),
    "dockerfile": (
        "img{i}/Dockerfile",
        lambda v, u: (
            f'FROM python:3.12-slim\nENV BASE_URL={u}\nENV {v}={MARK}\nCMD ["python", "app.py"]\n'
        ),
    ),
    "dockerfile-space": (
        "img{i}/Containerfile",
        lambda v, u: f"FROM python:3.12-slim\nENV BASE_URL {u}\nENV {v} {MARK}\n",
    ),
    "helm-values": (
        "chart{i}/values.yaml",
        lambda v, u: f"replicaCount: 2\nllm:\n  baseUrl: {u}\n  {v}: {MARK}\n",
    ),
    "tfvars": (
        "tf{i}/prod.tfvars",
        lambda v, u: f'region = "eu-west-1"\nbase_url = "{u}"\n{v} = "{MARK}"\n',
    ),
    "notebook": (
        "nb{i}/explore.ipynb",
        lambda v, u: _ipynb(["import requests", f'BASE_URL = "{u}"', f'{v} = "{MARK}"']),
    ),
    "shell": (
        "bin{i}/run.sh",
        lambda v, u: f'#!/bin/sh\nexport BASE_URL={u}\nexport {v}="{MARK}"\nexec python app.py\n',
    ),
    "source": (
        "src{i}/client.py",
        lambda v, u: (
            f'import httpx\n\nBASE_URL = "{u}"\n{v} = "{MARK}"\n\n\ndef client():\n    return httpx.Client(base_url=BASE_URL)\n'
        ),
    ),
    "source-js": (
        "web{i}/client.js",
        lambda v, u: (
            f"const BASE_URL = '{u}';\nconst {v} = '{MARK}';\nmodule.exports = {{ BASE_URL, {v} }};\n"
        ),
    ),
    "text": ("docs{i}/notes.txt", lambda v, u: f"Endpoint: {u}\n{v}={MARK}\n"),
}

PLACEHOLDERS = {
    "neg/.github/workflows/ci.yml": (
        "name: ci\non: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    env:\n"
        "      OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}\n      HF_TOKEN: ${{ secrets.HF_TOKEN }}\n"
        "      BASE_URL: https://api.openai.com/v1\n    steps:\n      - run: pytest\n"
    ),
    "neg/.env.example": (
        "OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=<YOUR_KEY>\nHF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "GROQ_API_KEY=changeme\nMISTRAL_API_KEY=${MISTRAL_API_KEY}\nCOHERE_API_KEY=your-cohere-key\n"
        "AZURE_OPENAI_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nOPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
        "LLM_BASE_URL=https://llm.internal.corp.net/v1\nLLM_API_KEY=${LLM_API_KEY}\n"
    ),
    "neg/chart/values.yaml": (
        "llm:\n  baseUrl: https://api.openai.com/v1\n  apiKey: {{ .Values.openai.apiKey }}\n"
        '  token: "{{ required \\"token\\" .Values.token }}"\n'
    ),
    "neg/app.py": (
        "import os\nBASE_URL = 'https://api.openai.com/v1'\nOPENAI_API_KEY = os.environ['OPENAI_API_KEY']\n"
        "api_key = os.getenv('ANTHROPIC_API_KEY')\nHF_TOKEN = os.environ.get('HF_TOKEN', '')\n"
        "token = get_token_from_vault_with_retries_and_backoff()\n"
    ),
    "neg/app.js": "const key = process.env.OPENAI_API_KEY;\nconst url = 'https://api.openai.com/v1';\n",
    "neg/README.md": (
        "Set `OPENAI_API_KEY=sk-...` and `GEMINI_API_KEY=AIza...` (for example `AIzaSyEXAMPLEEXAMPLEEXAMPLEEXAMPLE123`).\n"
        'curl https://api.openai.com/v1/models -H "Authorization: Bearer $OPENAI_API_KEY"\n'
        "curl https://vllm.local:8000/v1/models -H 'Authorization: Bearer <token>'\n"
    ),
    "neg/k8s/secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: placeholder\nstringData:\n"
        '  OPENAI_API_KEY: "<set-me>"\n  HF_TOKEN: changeme\n'
    ),
    "neg/Dockerfile": "FROM python:3.12\nARG OPENAI_API_KEY\nENV OPENAI_API_KEY=${OPENAI_API_KEY}\n",
}


def _lookalikes(rng: random.Random) -> dict[str, str]:
    sha = [hashlib.sha256(rng.randbytes(16)).hexdigest() for _ in range(40)]
    md5 = [hashlib.md5(rng.randbytes(16)).hexdigest() for _ in range(40)]
    integrity = [
        "sha512-" + base64.b64encode(hashlib.sha512(rng.randbytes(8)).digest()).decode()
        for _ in range(40)
    ]
    lock = {
        "name": "web",
        "lockfileVersion": 3,
        "packages": {
            f"node_modules/pkg{i}": {
                "version": "1.0.0",
                "resolved": f"https://registry.npmjs.org/pkg{i}/-/pkg{i}-1.0.0.tgz",
                "integrity": integrity[i],
            }
            for i in range(40)
        },
    }
    image = base64.b64encode(rng.randbytes(60_000)).decode()
    return {
        "look/package-lock.json": json.dumps(lock, indent=2) + "\n",
        "look/requirements.txt": "".join(
            f"pkg{i}==1.0 --hash=sha256:{h}\n" for i, h in enumerate(sha)
        ),
        "look/checksums.yaml": "base_url: https://api.openai.com/v1\n"
        + "".join(
            f"model_{i}_sha256: {h}\nrevision_token_{i}: {m}\n"
            for i, (h, m) in enumerate(zip(sha, md5, strict=True))
        ),
        "look/ids.json": json.dumps(
            {
                "base_url": "https://llm.internal.corp.net/v1",
                "request_ids": [str(uuid.UUID(bytes=rng.randbytes(16))) for _ in range(50)],
                "session_token_uuid": str(uuid.UUID(bytes=rng.randbytes(16))),
                "commit": hashlib.sha1(rng.randbytes(8)).hexdigest(),
            },
            indent=2,
        )
        + "\n",
        "look/page.html": f'<img src="data:image/png;base64,{image}">\n',
        "look/notebook.ipynb": json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "execution_count": 1,
                        "source": ["plot()\n"],
                        "outputs": [
                            {
                                "output_type": "display_data",
                                "metadata": {},
                                "data": {"image/png": image[:30000]},
                            }
                        ],
                    }
                ],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        ),
        "look/go.sum": "".join(
            f"example.org/m{i} v1.0.0 h1:{base64.b64encode(bytes.fromhex(h)).decode()}\n"
            for i, h in enumerate(sha)
        ),
    }


@dataclass
class Corpus:
    root: Path
    labels: set[tuple[str, int, str]] = field(default_factory=set)
    tokens: list[str] = field(default_factory=list)
    negative_prefixes: tuple[str, ...] = ("neg/", "look/")


def build_corpus(root: Path, seed: int = 1234) -> Corpus:
    """Write the labelled corpus under ``root`` and return its ground truth."""
    rng = random.Random(seed)
    corpus = Corpus(root)
    i = 0
    for spec in SPECS:
        for kind, (path_tpl, build) in TEMPLATES.items():
            i += 1
            token = spec.make(rng)
            corpus.tokens.append(token)
            rel = path_tpl.format(i=i)
            content = build(spec.var, spec.url).replace("{i}", str(i))
            value = base64.b64encode(token.encode()).decode() if kind == "k8s-secret-b64" else token
            line = content[: content.index(MARK)].count("\n") + 1
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content.replace(MARK, value), encoding="utf-8")
            corpus.labels.add((rel, line, spec.provider))
    # an unnamed AWS key pair in code: the secret is found beside its key id
    akid = "AKIA" + _s(rng, string.ascii_uppercase + "234567", 16)
    secret = _s(rng, AN + "/+", 40)
    corpus.tokens += [akid, secret]
    go = (
        "package s3\n\nfunc creds() aws.CredentialsProvider {\n"
        "\treturn credentials.NewStaticCredentialsProvider(\n"
        f'\t\t"{akid}",\n\t\t"{secret}",\n\t\t"",\n\t)\n}}\n'
    )
    (root / "pair").mkdir()
    (root / "pair" / "s3.go").write_text(go, encoding="utf-8")
    corpus.labels |= {("pair/s3.go", 5, "aws"), ("pair/s3.go", 6, "aws")}
    for rel, content in {**PLACEHOLDERS, **_lookalikes(rng)}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return corpus


@pytest.fixture(scope="session")
def scan_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The labelled corpus, built once per session."""
    return build_corpus(tmp_path_factory.mktemp("scan-corpus"))
