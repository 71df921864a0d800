#!/usr/bin/env bash
# Install Vigil (in ./.venv) and run its main job on the embedded default store:
# make the default synthetic world, ingest it, enrich it, print and write the §3 tables.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
"$PY" -m pip install --quiet --disable-pip-version-check -e .
exec "$VENV/bin/vigil" demo "$@"
