#!/usr/bin/env bash
# The run step of every Lumen composite action:
#   run-action.sh COMMAND      -> lumen COMMAND with flags from the INPUT_* variables
#   run-action.sh --umbrella   -> lumen INPUT_COMMAND INPUT_ARGS… (the root action.yml)
#
# The environment was built by the step before (scripts/install-action-env.sh, which holds no
# token); this step holds the token and only runs Lumen in it, as `python -P`: the working
# directory (the user's workspace) is never on the import path, so a `release/`, `gates/` or
# `lumen/` package of the user's repository cannot shadow Lumen's (lumen.action_main starts
# its child interpreter with -P as well).
#   LUMEN_VENV_PATH  the venv (scripts/venv_key.py); LUMEN_ACTION_VENV, when set, names an
#                    existing environment with lumen-ci installed (self-hosted runners with
#                    lumen preinstalled, and the test suite: tests/harness/action_runner.py).
set -euo pipefail

if [ "${RUNNER_OS:-}" = "Windows" ] || [ "${OS:-}" = "Windows_NT" ]; then
  echo "::error title=lumen::Lumen CI actions run on Linux and macOS runners (runs-on: ubuntu-latest or macos-latest); Windows is not supported"
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
  if [ ! -f "$venv/.lumen-key" ] || [ ! -x "$venv/bin/python" ]; then
    echo "::error title=lumen::no Lumen environment at $venv (the action's install step did not run)"
    exit 1
  fi
fi

exec "$venv/bin/python" -P -m lumen.action_main "$@"
