#!/usr/bin/env bash
# The run step of every Lumen composite action:
#   run-action.sh COMMAND      -> lumen COMMAND with flags from the INPUT_* variables
#   run-action.sh --umbrella   -> lumen INPUT_COMMAND INPUT_ARGS… (the root action.yml)
#
# It (re)creates the action's private virtual environment when it is missing or was built from
# other sources, then hands over to `python -m lumen.action_main`. The environment comes from
# the earlier steps of the action:
#   LUMEN_PYTHON     the interpreter from actions/setup-python (the user's PATH is untouched)
#   LUMEN_VENV_PATH  where the venv lives, under RUNNER_TEMP (scripts/venv_key.py)
#   LUMEN_VENV_KEY   the action's own version; also the actions/cache key of that directory
# LUMEN_ACTION_VENV, when set, names an existing environment with lumen-ci installed and skips
# all of the above: for self-hosted runners with lumen preinstalled, and for the test suite,
# which points it at the development venv (tests/harness/action_runner.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "${RUNNER_OS:-}" = "Windows" ]; then
  echo "::error title=lumen::Lumen CI actions run on Linux and macOS runners (runs-on: ubuntu-latest or macos-latest)"
  exit 1
fi

if [ -n "${LUMEN_ACTION_VENV:-}" ]; then
  venv="$LUMEN_ACTION_VENV"
  if [ ! -x "$venv/bin/python" ]; then
    echo "::error title=lumen::LUMEN_ACTION_VENV=$venv has no bin/python"
    exit 1
  fi
else
  venv="${LUMEN_VENV_PATH:?run-action.sh: LUMEN_VENV_PATH is not set (see scripts/venv_key.py)}"
  key="${LUMEN_VENV_KEY:?run-action.sh: LUMEN_VENV_KEY is not set}"
  python="${LUMEN_PYTHON:?run-action.sh: LUMEN_PYTHON is not set (actions/setup-python output)}"
  # A restored cache is trusted only when it was built for exactly this key and its
  # interpreter still starts (the toolcache Python it points at may have changed).
  if [ -x "$venv/bin/lumen" ] && [ "$(cat "$venv/.lumen-key" 2>/dev/null || true)" = "$key" ] &&
    "$venv/bin/python" -c '' >/dev/null 2>&1; then
    echo "lumen-ci: using cached environment $venv"
  else
    echo "::group::lumen-ci: installing into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$root"
    printf '%s\n' "$key" >"$venv/.lumen-key"
    echo "::endgroup::"
  fi
fi

exec "$venv/bin/python" -m lumen.action_main "$@"
