#!/usr/bin/env bash
# Installs the pinned schemathesis (test/schemathesis/requirements.txt) into a virtualenv,
# .venv-schemathesis/ at the repository's root by default, for test/openapi-schemathesis.test.ts.
# Usage: bash scripts/install-schemathesis.sh [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv-schemathesis}"
requirements=test/schemathesis/requirements.txt
if [ -x "$venv/bin/schemathesis" ] && "$venv/bin/pip" freeze 2>/dev/null | grep -qxF "$(cat "$requirements")"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
"$venv/bin/schemathesis" --version
