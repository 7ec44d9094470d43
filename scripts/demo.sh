#!/usr/bin/env bash
# Offline demo of the whole job: zsp scan → zsp migrate plan/apply → zsp verify → zsp synth.
#
# Runs against a local moto server on 127.0.0.1 (no cloud, no credentials) on a copy of the
# bundled example repository (examples/sample-repo, FAKE tokens) and a copy of the Pulumi project,
# so nothing in this checkout is modified. Needs: pip install -e '.[demo]'.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
ZSP="${ZSP:-zsp}"
work="$(mktemp -d "${TMPDIR:-/tmp}/zsp-demo.XXXXXX")"
port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"$PY" -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT

export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=eu-west-1
export ZSP_AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_PROFILE AWS_SESSION_TOKEN || true

cp -R examples/sample-repo "$work/repo"
mkdir -p "$work/project"
cp Pulumi.yaml "$work/project/"
cp -R stacks "$work/project/stacks"

# The stack's secrets KMS key: `pulumi up` creates it (MigratedSecrets); here we create it in moto.
"$PY" - "$ZSP_AWS_ENDPOINT_URL" <<'PYEOF'
import sys
import time

import boto3
import botocore.exceptions

kms = boto3.client("kms", endpoint_url=sys.argv[1])
for _ in range(100):
    try:
        kms.list_aliases()
        break
    except botocore.exceptions.EndpointConnectionError:
        time.sleep(0.1)
key = kms.create_key(Description="zsp dev migrated secrets (demo)")["KeyMetadata"]
kms.create_alias(AliasName="alias/zsp-dev-secrets", TargetKeyId=key["KeyId"])
print(f"moto server on {sys.argv[1]}, KMS key alias/zsp-dev-secrets ready")
PYEOF

echo "== 1. zsp scan (exit 1 = tokens found)"
rc=0
$ZSP scan "$work/repo" --format json -o "$work/inventory.json" || rc=$?
[ "$rc" -le 1 ] || exit "$rc"
$ZSP scan "$work/repo" || true

echo "== 2. zsp migrate plan"
$ZSP migrate plan --inventory "$work/inventory.json" --stack dev --project-dir "$work/project" \
  --out "$work/plan.json"

echo "== 3. zsp migrate apply"
$ZSP migrate apply "$work/plan.json"
run="$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$work/plan.json")"

echo "== 4. zsp verify"
$ZSP verify --run "$run" --project-dir "$work/project"

echo "== 5. zsp synth --stack dev (the migrated stack config)"
$ZSP synth --stack dev --project-dir "$work/project" --out "$work/synth"

echo "Done. Migrated copy: $work/repo · project: $work/project · roll back with:"
echo "  ZSP_AWS_ENDPOINT_URL=... $ZSP migrate rollback $run --project-dir $work/project"
