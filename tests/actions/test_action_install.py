"""The install half of every action: scripts/venv_key.py, scripts/install-action-env.sh and
scripts/run-action.sh.

The scripts are driven here with stand-in interpreters and a stand-in uv that record what they
are asked to do and in which environment, so the decisions (reuse, rebuild, install what, with
which tool, seeing which variables, run what) are checked in milliseconds; the real install
from the lock is tests/actions/test_action_runs.py::test_real_install_from_the_hashed_lock_….
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import venv_key  # noqa: E402

STUB = r"""#!/usr/bin/env bash
# Stand-in Python or uv: records its arguments and environment; makes venvs of stand-ins.
# The installers run under `env -i` with only PIP_*/UV_* and a few more: UV_STUB_LOG passes.
log="${STUB_LOG:-$UV_STUB_LOG}"
printf '%s
' "$(basename "$0") $*" >> "$log"
env >> "$log.env"
if [ "$1" = -m ] && [ "$2" = venv ]; then target="$3"; fi
if [ "$1" = venv ]; then target="${*: -1}"; fi
if [ -n "${target:-}" ]; then
  mkdir -p "$target/bin" "$target/site" && cp "$0" "$target/bin/python"
fi
if [ "$1" = -P ] && [ "$2" = -c ] && [ "$3" != "" ]; then echo "$(dirname "$(dirname "$0")")/site"; fi
exit 0
"""
LOCK = ROOT / "requirements" / "runtime.txt"
SECRETS = {
    "GITHUB_TOKEN": "ghs_secret",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-secret",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc.example/secret",
    "ACTIONS_RUNTIME_TOKEN": "runtime-secret",
}


def make_stub(path: Path) -> Path:
    path.write_text(STUB, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def stub(tmp_path: Path) -> Path:
    return make_stub(tmp_path / "stub-python")


def script(
    name: str, env: dict[str, str], *args: str, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    return done


def install(
    tmp_path: Path, stub: Path, venv: Path, key: str, **extra: str
) -> tuple[list[str], dict[str, str]]:
    """Run the install step; (calls, outputs)."""
    log = tmp_path / "calls.log"
    log.write_text("", encoding="utf-8")
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {
        "STUB_LOG": str(log),
        "UV_STUB_LOG": str(log),
        "GITHUB_OUTPUT": str(output),
        "LUMEN_PYTHON": str(stub),
        "LUMEN_VENV_PATH": str(venv),
        "LUMEN_VENV_KEY": key,
        "LUMEN_UV": str(make_stub(tmp_path / "uv")),
        **SECRETS,
        **extra,
    }
    script("install-action-env.sh", env)
    outputs = dict(
        line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line
    )
    return log.read_text(encoding="utf-8").splitlines(), outputs


def test_missing_venv_is_built_from_the_lock_with_uv(tmp_path: Path, stub: Path) -> None:
    uv = make_stub(tmp_path / "uv")
    venv = tmp_path / "venv"
    calls, outputs = install(tmp_path, stub, venv, "key-1", LUMEN_UV=str(uv))
    assert calls[0] == f"uv venv --no-config --quiet --python {stub} {venv}"
    assert calls[1] == (
        f"uv pip install --no-config --quiet --python {venv}/bin/python "
        f"--require-hashes --only-binary :all: -r {LOCK}"
    )
    assert outputs == {"created": "true"}
    assert (venv / ".lumen-key").read_text(encoding="utf-8") == "key-1\n"
    # Lumen itself: the action's checkout on the venv's path, nothing built.
    assert (venv / "site" / "lumen_ci_action.pth").read_text(encoding="utf-8") == f"{ROOT}\n"


def test_without_uv_pip_installs_the_same_lock(tmp_path: Path, stub: Path) -> None:
    venv = tmp_path / "venv"
    empty = tmp_path / "no-uv-here"
    empty.mkdir()
    for tool in ("bash", "env", "cat", "mkdir", "rm", "dirname", "printf", "basename", "cp"):
        found = shutil.which(tool)
        if found:
            (empty / tool).symlink_to(found)
    calls, outputs = install(tmp_path, stub, venv, "key-1", PATH=str(empty), LUMEN_UV="")
    assert calls[0] == f"stub-python -m venv {venv}"
    assert calls[1] == (
        "python -m pip install --quiet --disable-pip-version-check --no-input "
        f"--require-hashes --only-binary :all: -r {LOCK}"
    )
    assert outputs == {"created": "true"}


def test_the_installers_see_no_token(tmp_path: Path, stub: Path) -> None:
    uv = make_stub(tmp_path / "uv")
    install(
        tmp_path,
        stub,
        tmp_path / "venv",
        "key-1",
        LUMEN_UV=str(uv),
        UV_INDEX_URL="https://mirror.example/simple",
        HTTPS_PROXY="http://proxy.example:3128",
    )
    seen = (tmp_path / "calls.log.env").read_text(encoding="utf-8")
    for name, value in SECRETS.items():
        assert name not in seen and value not in seen
    # what an installer does need passes: registry mirrors and proxies
    assert "UV_INDEX_URL=https://mirror.example/simple" in seen
    assert "HTTPS_PROXY=http://proxy.example:3128" in seen


def test_matching_key_reuses_the_venv_and_does_not_save_again(tmp_path: Path, stub: Path) -> None:
    venv = tmp_path / "venv"
    install(tmp_path, stub, venv, "key-1")
    calls, outputs = install(tmp_path, stub, venv, "key-1")
    assert calls == ["python -P -c "]  # only the liveness probe
    assert outputs == {"created": "false"}


def test_stale_key_rebuilds_from_scratch(tmp_path: Path, stub: Path) -> None:
    venv = tmp_path / "venv"
    install(tmp_path, stub, venv, "key-1")
    (venv / "leftover").write_text("from the old version", encoding="utf-8")
    calls, outputs = install(tmp_path, stub, venv, "key-2")
    assert "-m venv" in calls[0] or calls[0].startswith("uv venv")
    assert not (venv / "leftover").exists()
    assert (venv / ".lumen-key").read_text(encoding="utf-8") == "key-2\n"
    assert outputs == {"created": "true"}


def test_run_step_runs_lumen_with_safe_import_paths(tmp_path: Path, stub: Path) -> None:
    venv = tmp_path / "venv"
    install(tmp_path, stub, venv, "key-1")
    log = tmp_path / "calls.log"
    log.write_text("", encoding="utf-8")
    script("run-action.sh", {"STUB_LOG": str(log), "LUMEN_VENV_PATH": str(venv)}, "roi")
    assert log.read_text(encoding="utf-8").splitlines() == ["python -P -m lumen.action_main roi"]


def test_run_step_without_an_installed_venv_is_a_clear_error(tmp_path: Path) -> None:
    done = script("run-action.sh", {"LUMEN_VENV_PATH": str(tmp_path / "none")}, "roi", ok=False)
    assert "install step did not run" in done.stdout


def test_preinstalled_environment_skips_the_install(tmp_path: Path, stub: Path) -> None:
    pre = tmp_path / "preinstalled"
    (pre / "bin").mkdir(parents=True)
    make_stub(pre / "bin" / "python")
    log = tmp_path / "calls.log"
    output = tmp_path / "out"
    env = {"STUB_LOG": str(log), "LUMEN_ACTION_VENV": str(pre), "GITHUB_OUTPUT": str(output)}
    script("install-action-env.sh", env)
    assert output.read_text(encoding="utf-8") == "created=false\n"
    script("run-action.sh", env, "maturity")
    assert log.read_text(encoding="utf-8").splitlines() == [
        "python -P -m lumen.action_main maturity"
    ]


def test_missing_setup_is_a_clear_error() -> None:
    done = script("install-action-env.sh", {}, ok=False)
    assert "LUMEN_VENV_PATH is not set" in done.stderr


@pytest.mark.parametrize("name", ["install-action-env.sh", "run-action.sh"])
def test_windows_is_refused_with_a_clear_error(name: str) -> None:
    done = script(name, {"RUNNER_OS": "Windows"}, "roi", ok=False)
    assert "Windows is not supported" in done.stdout


def test_key_follows_the_lock_and_install_script_only(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "requirements").mkdir(parents=True)
    (root / "scripts").mkdir()
    (root / "requirements" / "runtime.txt").write_text("a==1 --hash=sha256:00\n", encoding="utf-8")
    (root / "scripts" / "install-action-env.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    (root / "lumen").mkdir()
    env = {"RUNNER_TEMP": str(tmp_path)}
    _, first = venv_key.venv_path_and_key(env, root)
    (root / "lumen" / "cli.py").write_text("# a new Lumen commit, same lock\n", encoding="utf-8")
    assert venv_key.venv_path_and_key(env, root)[1] == first
    (root / "requirements" / "runtime.txt").write_text("a==2 --hash=sha256:01\n", encoding="utf-8")
    assert venv_key.venv_path_and_key(env, root)[1] != first


def test_key_names_python_and_platform_and_lives_under_runner_temp(tmp_path: Path) -> None:
    env = {"RUNNER_TEMP": str(tmp_path), "RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64"}
    path, key = venv_key.venv_path_and_key(env)
    python = ".".join(map(str, sys.version_info[:3]))
    assert Path(path).parent == tmp_path / "lumen-ci"
    assert key.startswith("lumen-ci-venv-")
    assert f"-py{python}-macos-arm64-" in key
    linux_path, linux_key = venv_key.venv_path_and_key({**env, "RUNNER_OS": "Linux"})
    assert linux_key != key and linux_path == path
    _, elsewhere = venv_key.venv_path_and_key({**env, "RUNNER_TEMP": str(tmp_path / "x")})
    assert elsewhere != key  # a venv hard-codes its path: another place, another key
    _, other_action = venv_key.venv_path_and_key(env, tmp_path / "another-checkout")
    assert other_action != key  # ... and the .pth names the action's checkout


def test_ready_only_for_a_finished_venv_of_this_key(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    assert not venv_key.is_ready(str(venv), "k")
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("", encoding="utf-8")
    assert not venv_key.is_ready(str(venv), "k")  # no marker: the install did not finish
    (venv / ".lumen-key").write_text("k\n", encoding="utf-8")
    assert venv_key.is_ready(str(venv), "k") and not venv_key.is_ready(str(venv), "other")


def test_venv_key_writes_github_output(tmp_path: Path) -> None:
    output = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "venv_key.py")],
        env={**os.environ, "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == ""
    lines = output.read_text(encoding="utf-8").splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["path", "key", "ready"]
