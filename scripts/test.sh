#!/usr/bin/env bash
# The project's whole test command: lint, format check, types, then the test suite.
# Used verbatim by the README's Quickstart and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
echo "== checkov (own virtualenv: its pins conflict with ours)"
PYTHON="$PY" bash scripts/checkov-venv.sh
echo "== ruff check"
"$PY" -m ruff check components cli stacks tests bench
echo "== ruff format --check"
"$PY" -m ruff format --check components cli stacks tests bench
echo "== mypy"
"$PY" -m mypy components cli stacks/__main__.py
echo "== pytest"
set +e
"$PY" -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"
