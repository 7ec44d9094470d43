#!/usr/bin/env bash
# checkov pins boto3==1.35.49, packaging<24 and networkx<2.7, which conflict with the project's
# own pins (boto3>=1.35 as used by moto and the CLI, newer packaging). It therefore lives in its own
# virtualenv, .venv-checkov/, which tests/test_gateway_checkov.py finds (or $ZSP_CHECKOV).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv-checkov/bin/checkov ]; then
  "$PY" -m venv .venv-checkov
  .venv-checkov/bin/pip install -q 'checkov>=3.2,<4'
fi
.venv-checkov/bin/checkov --version
