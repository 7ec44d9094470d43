"""Throughput of ``zsp migrate apply``: 1,000 tokens across 200 files against a local moto server.

Prints tokens/s and peak RSS of the apply process for several ``--concurrency`` values, next to the
named peer measured in the same run: a bare sequential boto3 ``create_secret`` loop over the same
1,000 values (no read-back, no journal, no file rewrites) — the floor any migration tool pays.

    python bench/migrate_throughput.py [--tokens 1000] [--files 200] [--concurrency 1,8,16]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GATEWAY = "https://gw.bench.internal:18888"
PROVIDERS = [("openai", "https://api.openai.com"), ("anthropic", "https://api.anthropic.com")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws(service: str, endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        region_name="eu-west-1",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto accepts any credentials
    )


def reset(endpoint: str) -> None:
    url = f"{endpoint}/moto-api/reset"
    request = urllib.request.Request(url, method="POST")  # noqa: S310 - our own local moto
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
    kms = aws("kms", endpoint)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/zsp-dev-secrets", TargetKeyId=key["KeyId"])


def make_repo(base: Path, n_tokens: int, n_files: int) -> tuple[Path, Path, list[str]]:
    """``n_files`` .env/YAML files with ``n_tokens`` distinct tokens and their inventory."""
    root = base / "repo"
    project = base / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", project / "stacks" / "Pulumi.dev.yaml")
    key = secrets.token_bytes(32)
    (root / ".zsp").mkdir(parents=True)
    (root / ".zsp" / "fingerprint.key").write_text(key.hex())
    findings, tokens, values = [], [], []
    per_file = n_tokens // n_files
    for f in range(n_files):
        yaml = f % 2 == 1
        path = f"svc{f:03d}/{'config.yaml' if yaml else '.env'}"
        lines = []
        for t in range(per_file):
            provider, endpoint = PROVIDERS[(f + t) % 2]
            value = f"sk-proj-BENCH{secrets.token_urlsafe(36)}"
            values.append(value)
            name = f"{provider.upper()}_KEY_{t}"
            prefix = f"{name.lower()}: " if yaml else f"{name}="
            lines.append(prefix + value)
            fp = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
            findings.append(
                {
                    "path": path,
                    "line": t + 1,
                    "column": len(prefix) + 1,
                    "end_column": len(prefix) + 1 + len(value),
                    "provider": provider,
                    "rule": "bench",
                    "fingerprint": fp,
                    "preview": value[:7] + "…",
                    "kind": "yaml" if yaml else "dotenv",
                    "variable": name,
                    "encoding": "plain",
                    "commit": None,
                    "endpoint": endpoint,
                }
            )
            tokens.append(
                {
                    "fingerprint": fp,
                    "provider": provider,
                    "endpoint": endpoint,
                    "locations": [{"path": path, "line": t + 1, "commit": None}],
                    "consumers": [f"svc{f:03d}"],
                    "flags": [],
                }
            )
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n")
    inventory = base / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "schema": "zsp.inventory/v1",
                "root": str(root),
                "fingerprint": {
                    "algorithm": "hmac-sha256",
                    "key_file": str(root / ".zsp" / "fingerprint.key"),
                },
                "findings": findings,
                "tokens": tokens,
                "stats": {},
            }
        )
    )
    return inventory, project, values


def run_apply(plan: Path, endpoint: str, concurrency: int) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit code of one ``zsp migrate apply`` process."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    cmd = [
        sys.executable,
        "-c",
        "import sys; from zsp.cli.main import main; sys.exit(main())",
        "migrate",
        "apply",
        str(plan),
        "--endpoint-url",
        endpoint,
        "--concurrency",
        str(concurrency),
        "--format",
        "json",
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.read().decode() if proc.stderr else "")
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--concurrency", default="1,8,16")
    args = parser.parse_args()
    from zsp.cli.migrate.plan import PlanOptions, build_plan, write_plan

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"zsp migrate apply: {args.tokens} tokens in {args.files} files, moto server {endpoint}")
    try:
        # Peer: a bare sequential boto3 create_secret loop over the same number of values.
        with tempfile.TemporaryDirectory() as tmp:
            reset(endpoint)
            _inv, _project, values = make_repo(Path(tmp), args.tokens, args.files)
            sm = aws("secretsmanager", endpoint)
            started = time.perf_counter()
            for i, value in enumerate(values):
                sm.create_secret(
                    Name=f"peer/{i}",
                    SecretString=json.dumps({"api_key": value}),
                    KmsKeyId="alias/zsp-dev-secrets",
                )
            peer = args.tokens / (time.perf_counter() - started)
        print(f"  peer  bare boto3 create_secret loop (sequential): {peer:8.1f} tokens/s")
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                reset(endpoint)
                inventory, project, _values = make_repo(Path(tmp), args.tokens, args.files)
                t0 = time.perf_counter()
                plan = build_plan(PlanOptions(inventory, "dev", project, GATEWAY))
                plan_path = Path(tmp) / "plan.json"
                write_plan(plan, plan_path)
                plan_s = time.perf_counter() - t0
                elapsed, rss, code = run_apply(plan_path, endpoint, concurrency)
                stored = len(
                    aws("secretsmanager", endpoint).list_secrets(MaxResults=100)["SecretList"]
                )
                rate = args.tokens / elapsed
                print(
                    f"  zsp   --concurrency {concurrency:2d}: {rate:8.1f} tokens/s  "
                    f"({elapsed:5.1f} s, plan {plan_s:4.1f} s, peak RSS {rss:6.1f} MiB, "
                    f"exit {code}, {len(plan['files'])} files)  ratio vs peer {rate / peer:4.2f}x"
                    + ("" if stored else "  [no secrets stored!]")
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
