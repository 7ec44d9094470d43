"""Run the real ``zsp`` entry point in a subprocess and collect everything it prints."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import boto3

CLI = [sys.executable, "-c", "import sys; from zsp.cli.main import main; sys.exit(main())"]


def zsp(*args: str | Path, endpoint: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "ZSP_AWS_ENDPOINT_URL": endpoint,
        "COLUMNS": "200",
    }
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def forms(token: str) -> list[str]:
    """Every way a token may leak: raw, base64, and its random core."""
    return [token, base64.b64encode(token.encode()).decode(), token[-24:]]


def assert_no_tokens(texts: list[str], tokens: dict[str, str]) -> None:
    for text in texts:
        for name, token in tokens.items():
            for form in forms(token):
                assert form not in text, f"token {name} leaked"


def tree_texts(*dirs: Path) -> list[str]:
    out = []
    for d in dirs:
        for path in d.rglob("*"):
            if path.is_file():
                out.append(path.read_bytes().decode("utf-8", errors="replace"))
    return out


def sm_client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "secretsmanager",
        region_name="eu-west-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def managed_secrets(endpoint: str, include_deleted: bool = False) -> list[dict]:  # type: ignore[type-arg]
    sm = sm_client(endpoint)
    found = []
    for page in sm.get_paginator("list_secrets").paginate(IncludePlannedDeletion=include_deleted):
        for entry in page["SecretList"]:
            tags = {t["Key"]: t["Value"] for t in entry.get("Tags", [])}
            if tags.get("managed-by") == "zsp":
                found.append(entry | {"TagMap": tags})
    return found
