"""An action from its start to the verdict, on a cache miss and on a cache hit (issue 19).

Each run is the action's own steps as the runner runs them, from the shell: `venv_key.py`, the
install step (`install-action-env.sh`) and the run step (`run-action.sh roi`) of `roi-gate`
on the examples. On a miss the venv is removed before every run and uv starts from an empty
cache (`UV_CACHE_DIR` emptied too), so every locked wheel comes from the package registry, as
on a fresh runner with `cache: false` or a new key. The peer is the install the actions did
before the lock: `python -m venv` + `pip install` of the checkout (wheel build, resolution of
every dependency; pip's own cache as this machine has it), then the same run step.
setup-python and setup-uv are not timed: both are a toolcache or one download before this.
Python writes bytecode here, as on a runner (this machine's environment turns that off); the
cache-hit venv carries the bytecode of the gate's first run, as the action saves it after that
run.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchlib import ROOT, Case, Subject, venv_bin

PYTHON = getattr(sys, "_base_executable", None) or sys.executable
UV = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
INPUTS = {
    "INPUT_DEPLOYS": "examples/deploys.jsonl",
    "INPUT_CONFIG": "examples/.github/lumen.yml",
    "INPUT_NOW": "2026-11-20T18:00:00Z",
    "INPUT_QUIET": "true",
    "RUNNER_TEMP": "{work}",
    "LUMEN_PYTHON": PYTHON,
    "LUMEN_UV": UV,
}

# As on a runner: Python writes bytecode (this machine's environment turns that off).
ENV = ["env", "-u", "PYTHONDONTWRITEBYTECODE", *(f"{k}={v}" for k, v in INPUTS.items())]


def _steps(*, fresh: bool, uv_cache: str = "cold") -> list[str]:
    """The action's steps 2, 5 and 6 in one shell, with the venv path and key of step 2.
    fresh: no venv (a cache miss); uv_cache: "cold" (emptied every run) or "warm" (kept)."""
    reset = ""
    if fresh:
        reset = 'export UV_CACHE_DIR="$RUNNER_TEMP/uv-cache"; rm -rf "$RUNNER_TEMP/lumen-ci"; '
        if uv_cache == "cold":
            reset += 'rm -rf "$UV_CACHE_DIR"; '

    script = (
        "set -e; "
        + reset
        + 'export GITHUB_OUTPUT="$RUNNER_TEMP/github_output"; : >"$GITHUB_OUTPUT"; '
        + f'"$LUMEN_PYTHON" {ROOT}/scripts/venv_key.py >/dev/null; '
        + 'export LUMEN_VENV_PATH="$(sed -n "s/^path=//p" "$GITHUB_OUTPUT")"; '
        + 'export LUMEN_VENV_KEY="$(sed -n "s/^key=//p" "$GITHUB_OUTPUT")"; '
        # the action skips the install step when step 2 found the venv ready
        + 'if [ "$(sed -n "s/^ready=//p" "$GITHUB_OUTPUT")" != true ]; then '
        + f"{ROOT}/scripts/install-action-env.sh >/dev/null; fi; "
        + f"exec {ROOT}/scripts/run-action.sh roi"
    )
    return [*ENV, "bash", "-c", script]


def _pip_path() -> list[str]:
    """Before the lock: a venv and `pip install` of the checkout, then the run step."""
    script = (
        "set -e; "
        'venv="$RUNNER_TEMP/pip-venv"; rm -rf "$venv"; '
        '"$LUMEN_PYTHON" -m venv "$venv"; '
        f'"$venv/bin/python" -m pip install --quiet --disable-pip-version-check {ROOT}; '
        'export GITHUB_OUTPUT="$RUNNER_TEMP/github_output"; : >"$GITHUB_OUTPUT"; '
        'exec "$venv/bin/python" -m lumen.action_main roi'
    )
    return [*ENV, "bash", "-c", script]


ROI = ["--deploys", "examples/deploys.jsonl", "--config", "examples/.github/lumen.yml"]

CASES = [
    Case(
        name="cache-miss-roi-gate",
        description=(
            "roi-gate on a cache miss: venv key, a new venv with every locked wheel fetched "
            "from the package registry by uv (empty uv cache, hashes enforced), Lumen from "
            "the checkout, then the gate. Peer: the previous path, venv + `pip install` of "
            "the checkout (wheel build and resolution), then the gate."
        ),
        subject=Subject("uv, hashed lock", _steps(fresh=True)),
        peer=Subject("pip install (before)", _pip_path()),
        repeat=3,
        warmup=1,
        budget=10.0,
        timeout=900.0,
    ),
    Case(
        name="cache-miss-warm-uv-roi-gate",
        description=(
            "roi-gate on a venv cache miss where uv's own download cache is warm (a self-hosted "
            "runner, or a runner whose uv cache is kept): the same steps without the downloads."
        ),
        subject=Subject("uv, hashed lock, warm uv cache", _steps(fresh=True, uv_cache="warm")),
        repeat=3,
        warmup=1,
        budget=10.0,
    ),
    Case(
        name="cache-hit-roi-gate",
        description=(
            "roi-gate on a cache hit (the venv restored, or built by an earlier Lumen action "
            "of the job): venv key, the install step finding it ready, then the gate. Peer: "
            "the bare `lumen roi` on the same data."
        ),
        subject=Subject("venv ready", _steps(fresh=False)),
        peer=Subject(
            "lumen roi",
            [venv_bin("lumen"), "roi", *ROI, "--now", "2026-11-20T18:00:00Z", "--quiet"],
        ),
        repeat=9,
        warmup=2,
        budget=1.0,
    ),
]
