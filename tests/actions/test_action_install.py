"""The install half of every action: scripts/venv_key.py and scripts/run-action.sh.

run-action.sh is driven here with a stand-in interpreter that records what it is asked to do,
so the decisions (reuse, rebuild, install what, run what) are checked in milliseconds; the
real venv + pip install is tests/actions/test_action_runs.py::test_real_install_….
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import venv_key  # noqa: E402

STUB = """#!/usr/bin/env bash
# Stand-in Python: records its arguments; `-m venv DIR` makes DIR a venv of stand-ins.
printf '%s\\n' "$*" >> "$STUB_LOG"
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && cp "$0" "$3/bin/lumen"
fi
exit 0
"""


@pytest.fixture
def stub(tmp_path: Path) -> Path:
    path = tmp_path / "stub-python"
    path.write_text(STUB, encoding="utf-8")
    path.chmod(0o755)
    return path


def run_script(tmp_path: Path, stub: Path, venv: Path, key: str, *args: str) -> list[str]:
    log = tmp_path / "calls.log"
    log.write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "STUB_LOG": str(log),
        "LUMEN_PYTHON": str(stub),
        "LUMEN_VENV_PATH": str(venv),
        "LUMEN_VENV_KEY": key,
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "run-action.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return log.read_text(encoding="utf-8").splitlines()


def test_missing_venv_is_created_installed_and_keyed(tmp_path: Path, stub: Path) -> None:
    venv = tmp_path / "venv"
    calls = run_script(tmp_path, stub, venv, "key-1", "roi")
    assert calls[0] == f"-m venv {venv}"
    assert calls[1].startswith("-m pip install ") and calls[1].endswith(f" {ROOT}")
    assert calls[2] == "-m lumen.action_main roi"
    assert (venv / ".lumen-key").read_text(encoding="utf-8") == "key-1\n"


def test_matching_key_reuses_the_venv(tmp_path: Path, stub: Path) -> None:
    venv = tmp_path / "venv"
    run_script(tmp_path, stub, venv, "key-1", "roi")
    calls = run_script(tmp_path, stub, venv, "key-1", "--umbrella")
    # only the liveness probe and the run: no venv, no pip
    assert calls == ["-c ", "-m lumen.action_main --umbrella"]


def test_stale_key_rebuilds_from_scratch(tmp_path: Path, stub: Path) -> None:
    venv = tmp_path / "venv"
    run_script(tmp_path, stub, venv, "key-1", "roi")
    (venv / "leftover").write_text("from the old version", encoding="utf-8")
    calls = run_script(tmp_path, stub, venv, "key-2", "roi")
    assert calls[0] == f"-m venv {venv}" and calls[1].startswith("-m pip install ")
    assert not (venv / "leftover").exists()
    assert (venv / ".lumen-key").read_text(encoding="utf-8") == "key-2\n"


def test_preinstalled_environment_skips_the_install(tmp_path: Path, stub: Path) -> None:
    pre = tmp_path / "preinstalled"
    (pre / "bin").mkdir(parents=True)
    (pre / "bin" / "python").write_text(STUB, encoding="utf-8")
    (pre / "bin" / "python").chmod(0o755)
    log = tmp_path / "calls.log"
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "run-action.sh"), "maturity"],
        env={"PATH": os.environ["PATH"], "STUB_LOG": str(log), "LUMEN_ACTION_VENV": str(pre)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert log.read_text(encoding="utf-8").splitlines() == ["-m lumen.action_main maturity"]


def test_missing_setup_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "run-action.sh"), "roi"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "LUMEN_VENV_PATH is not set" in done.stderr


def _tree(root: Path) -> Path:
    for name in ("lumen", "gates", "release", "policy", "workflows"):
        (root / name).mkdir(parents=True)
        (root / name / "a.py").write_text(f"# {name}\n", encoding="utf-8")
    (root / "lumen" / "__init__.py").write_text('__version__ = "1.2.3"\n', encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    return root


def test_source_digest_follows_shipped_files_only(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    first = venv_key.source_digest(root)
    (root / "lumen" / "__pycache__").mkdir()
    (root / "lumen" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (root / "tests").mkdir()
    (root / "tests" / "t.py").write_text("x = 1\n", encoding="utf-8")
    assert venv_key.source_digest(root) == first
    (root / "policy" / "a.py").write_text("# changed\n", encoding="utf-8")
    assert venv_key.source_digest(root) != first
    assert venv_key.lumen_version(root) == "1.2.3"


def test_key_names_version_python_platform_and_lives_under_runner_temp(tmp_path: Path) -> None:
    env = {"RUNNER_TEMP": str(tmp_path), "RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64"}
    path, key = venv_key.venv_path_and_key(env)
    python = ".".join(map(str, sys.version_info[:3]))
    assert Path(path).parent == tmp_path / "lumen-ci"
    assert key.startswith(f"lumen-ci-venv-{venv_key.lumen_version()}-")
    assert f"-py{python}-macos-arm64-" in key
    linux_path, linux_key = venv_key.venv_path_and_key({**env, "RUNNER_OS": "Linux"})
    assert linux_key != key and linux_path == path
    _, elsewhere = venv_key.venv_path_and_key({**env, "RUNNER_TEMP": str(tmp_path / "x")})
    assert elsewhere != key  # a venv hard-codes its path: another place, another key


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
    assert [line.split("=", 1)[0] for line in lines] == ["path", "key"]
