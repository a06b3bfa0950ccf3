#!/usr/bin/env bash
# Sets up everything Lumen CI needs on a fresh Debian/Ubuntu machine, then runs one job.
#   scripts/bootstrap.sh demo   -> the integrated gate on the bundled examples (make demo)
#   scripts/bootstrap.sh test   -> lint, types, workflow lint and the whole test suite (make test)
#   scripts/bootstrap.sh bench [CASES...] -> bench/run.py, results in bench/RESULTS.md (make bench)
# Idempotent: every step checks before it installs. Python deps go into .venv (or $LUMEN_VENV).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
job="${1:-test}"
venv="${LUMEN_VENV:-$root/.venv}"
python="${PYTHON:-python3}"

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    say "need root for: $*"; return 1; fi
}

apt_install() {
  # Installs Debian packages that are missing; `apt-get update` once, only when needed.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

python_env() {
  local extras="$1" stamp
  if [ ! -x "$venv/bin/python" ]; then
    say "creating virtual environment $venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
  fi
  stamp="$venv/.lumen-installed-$extras-$(cat pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "installing lumen-ci[$extras] into $venv"
    "$venv/bin/python" -m pip install --quiet -e ".[$extras]"
    touch "$stamp"
  fi
}

npm_data() {
  # Test data and loopback servers from npm (GitHub's OpenAPI description, GraphQL schema,
  # webhook examples, @sigstore/mock). Installed once into tests/npm/node_modules.
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  local lock="tests/npm/package-lock.json" stamp="tests/npm/.installed"
  if [ ! -f "$stamp" ] || [ "$(sha256sum "$lock" | cut -c1-64)" != "$(cat "$stamp")" ]; then
    say "installing npm test data into tests/npm/node_modules"
    (cd tests/npm && npm ci --no-audit --no-fund --loglevel=error)
    sha256sum "$lock" | cut -c1-64 > "$stamp"
  fi
}

case "$job" in
  demo)
    python_env test
    "$venv/bin/lumen" --version
    exec "$venv/bin/lumen" integrated --config examples/.github/lumen.yml \
      --events examples/events.jsonl --deploys examples/deploys.jsonl \
      --slo examples/slo-samples.json \
      --now 2026-11-20T18:00:00Z --json examples/out/integrated.json
    ;;
  test)
    apt_install prometheus prometheus-pushgateway
    python_env test
    npm_data
    export PATH="$venv/bin:$PATH"
    # One command per line: under `set -e` a failure on the left of `&&` would not stop the run.
    say "ruff check"; ruff check .
    say "ruff format --check"; ruff format --check .
    say "mypy --strict (lumen/, gates/, release/)"; mypy
    say "actionlint + zizmor"; "$venv/bin/python" scripts/lint_workflows.py
    say "pytest"
    set +e
    "$venv/bin/python" -m pytest -n "${LUMEN_TEST_WORKERS:-2}" "${@:2}"
    rc=$?
    set -e
    # pytest exits 5 when it collected nothing: that is a failure here, never a green run.
    exit "$rc"
    ;;
  bench)
    # Cases may time the product against the real servers, so those are set up too.
    apt_install prometheus prometheus-pushgateway
    python_env test,bench
    export PATH="$venv/bin:$PATH"
    exec "$venv/bin/python" bench/run.py "${@:2}"
    ;;
  *)
    say "usage: scripts/bootstrap.sh demo|test|bench"; exit 1 ;;
esac
