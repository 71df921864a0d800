#!/usr/bin/env bash
# Install what the tests need (in ./.venv) and run the whole suite. CI runs exactly this.
# `scripts/test.sh --fast [pytest args]` leaves out the long end-to-end and Spark tests
# (-m "not slow and not spark"): the inner loop, a few minutes. Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
"$PY" -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser
# download cannot be fetched here); without it they skip, saying why.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium: browser tests will skip" >&2
fi
if [ "${1:-}" = "--fast" ]; then
  shift
  set -- -m "not slow and not spark" "$@"
fi
exec "$PY" -m pytest "$@"
