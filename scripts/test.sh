#!/usr/bin/env bash
# Install what the tests need (in ./.venv) and run the whole suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
"$PY" -m pip install --quiet --disable-pip-version-check -e '.[test]'
exec "$PY" -m pytest "$@"
