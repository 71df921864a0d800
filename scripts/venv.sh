# Sourced by the quick-start scripts: make ./.venv with Python >= 3.11, using Debian's
# package manager only when the interpreter lacks venv support.
VENV="${VIGIL_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Vigil needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    echo "python3 venv support is missing; installing it with apt-get" >&2
    rm -rf "$VENV"
    apt-get update -qq && apt-get install -y -qq python3-venv
    "$PYTHON" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
PY="$VENV/bin/python"
# followthemoney (vigil export ftm) needs PyICU, built from source against libicu: install the
# headers and pkg-config with Debian's package manager when they are missing.
if ! pkg-config --exists icu-uc 2>/dev/null; then
  echo "libicu-dev and pkg-config are missing (PyICU, for followthemoney); installing them with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq libicu-dev pkg-config g++
fi
