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
# The compiled modules (src/vigil/attribute/_walk.c: the skeleton walk and the MinHash;
# src/vigil/attribute/_bands.c: the LSH band keys; built by pip install -e .) need a C compiler
# and the Python headers; without them the install still succeeds and the slower pure-Python
# walk, numpy MinHash and Python band keys are used (same outputs).
# Install them with Debian's package manager when missing.
if ! command -v gcc >/dev/null 2>&1 || ! "$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
  echo "gcc or the Python headers are missing (the compiled fingerprint walk); installing them with apt-get" >&2
  (apt-get update -qq && apt-get install -y -qq gcc python3-dev) || echo "could not install gcc/python3-dev: the pure-Python walk will be used" >&2
fi
