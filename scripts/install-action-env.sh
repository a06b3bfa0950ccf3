#!/usr/bin/env bash
# The install step of every Lumen composite action. Its environment holds no token: the
# action passes none to this step, and the installers below run under `env -i` with only
# what an installer needs (PATH, HOME, proxies, CA bundles, PIP_*/UV_* settings), so no
# GITHUB_TOKEN, OIDC request variables or runtime token a job exports can reach a package.
#
# It builds the action's private venv from the hashed lock requirements/runtime.txt:
#   uv (LUMEN_UV, from astral-sh/setup-uv, or uv on PATH):
#       uv venv + uv pip install --require-hashes --only-binary :all: -r the lock
#   else pip: python -m venv + pip install --require-hashes --only-binary :all: -r the lock
# Wheels only, every file checked against its sha256: a tampered or unlisted file fails here.
# Lumen itself is not built or installed: a .pth file puts the action's own checkout on the
# venv's import path (lumen/, gates/, release/ and the data beside them).
#
# Environment (from the earlier steps): LUMEN_PYTHON (setup-python's interpreter),
# LUMEN_VENV_PATH and LUMEN_VENV_KEY (scripts/venv_key.py), LUMEN_UV (optional).
# LUMEN_ACTION_VENV set: an environment with lumen-ci already installed; nothing to do.
# Writes created=true|false to GITHUB_OUTPUT: true only when this step built the venv, so the
# action saves the cache once, from the action that built it, after its run: the bytecode that
# first run compiled is saved with it, so a restored venv starts warm (compiling every package
# here instead would cost a cache miss several seconds).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lock="$root/requirements/runtime.txt"

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s\n' "$1" >>"$GITHUB_OUTPUT"; else printf '%s\n' "$1"; fi
}

if [ "${RUNNER_OS:-}" = "Windows" ] || [ "${OS:-}" = "Windows_NT" ]; then
  echo "::error title=lumen::Lumen CI actions run on Linux and macOS runners (runs-on: ubuntu-latest or macos-latest); Windows is not supported"
  exit 1
fi

if [ -n "${LUMEN_ACTION_VENV:-}" ]; then
  output created=false
  exit 0
fi

venv="${LUMEN_VENV_PATH:?install-action-env.sh: LUMEN_VENV_PATH is not set (see scripts/venv_key.py)}"
key="${LUMEN_VENV_KEY:?install-action-env.sh: LUMEN_VENV_KEY is not set}"
python="${LUMEN_PYTHON:?install-action-env.sh: LUMEN_PYTHON is not set (actions/setup-python output)}"

# Only what an installer needs; everything else (tokens above all) stays behind. Every
# program this step starts runs so, the venv's own Python included (a package's .pth file
# runs at its start-up).
clean=(env -i "PATH=$PATH" "HOME=${HOME:-/tmp}" "LANG=${LANG:-C.UTF-8}")
while IFS= read -r name; do
  case "$name" in
    PIP_* | UV_* | SSL_CERT_FILE | SSL_CERT_DIR | REQUESTS_CA_BUNDLE | TMPDIR | XDG_CACHE_HOME | \
      http_proxy | https_proxy | no_proxy | HTTP_PROXY | HTTPS_PROXY | NO_PROXY | ALL_PROXY)
      clean+=("$name=${!name}") ;;
  esac
done < <(compgen -e)

# A restored cache is trusted only when it was built for exactly this key and its interpreter
# still starts (the toolcache Python it points at may have changed).
if [ "$(cat "$venv/.lumen-key" 2>/dev/null || true)" = "$key" ] && "${clean[@]}" "$venv/bin/python" -P -c '' >/dev/null 2>&1; then
  echo "lumen-ci: using cached environment $venv"
  output created=false
  exit 0
fi

uv="${LUMEN_UV:-}"
if [ -z "$uv" ] || [ ! -x "$uv" ]; then uv="$(command -v uv || true)"; fi

echo "::group::lumen-ci: installing the locked environment into $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
# Never from the user's workspace: uv and pip read configuration (uv.toml, pyproject.toml,
# pip.conf) from the working directory.
cd "$(dirname "$venv")"
if [ -n "$uv" ]; then
  echo "lumen-ci: uv ($uv)"
  "${clean[@]}" "$uv" venv --no-config --quiet --python "$python" "$venv"
  "${clean[@]}" "$uv" pip install --no-config --quiet --python "$venv/bin/python" \
    --require-hashes --only-binary :all: -r "$lock"
else
  echo "lumen-ci: uv not found; pip with the same lock"
  "${clean[@]}" "$python" -m venv "$venv"
  "${clean[@]}" "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-input --require-hashes --only-binary :all: -r "$lock"
fi
site="$("${clean[@]}" "$venv/bin/python" -P -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n' "$root" >"$site/lumen_ci_action.pth"
printf '%s\n' "$key" >"$venv/.lumen-key"
echo "::endgroup::"
output created=true
