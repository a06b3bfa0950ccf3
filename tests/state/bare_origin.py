"""The data branch tests' real git, over harness.git_origin's: the bare 'origin' the `remote`
fixture (conftest.py) is, `lumen record` of a deploy, writers started at once, and what a fresh
clone reads back from the branch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.git_origin import clone, make_origin

from lumen.adapters import git_state
from lumen.adapters.git_state import StateLocation

# the installed `lumen` script, as a job's shell runs it
LUMEN = str(Path(sys.executable).parent / "lumen")


def bare_origin(tmp_path: Path) -> Path:
    """A bare 'origin' with one commit on main, like a user's repository."""
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("app\n")
    return make_origin(seed, tmp_path / "origin.git")


def read_back(remote_repo: Path, tmp_path: Path, path: str) -> bytes | None:
    """The file on lumen-data as a fresh clone (a later runner) sees it."""
    where = tmp_path / f"reader-{len(list(tmp_path.glob('reader-*')))}"
    return git_state.read_file(StateLocation(repo=clone(remote_repo, where)), path)


def record_args(version: str, *flags: str, result: str = "success") -> list[str]:
    """`lumen record` of a deploy of api to prod, version `version`, successful by default."""
    argv = ["record", "--env", "prod", "--service", "api", "--action", "deploy"]
    return [*argv, "--version", version, "--result", result, "--quiet", *flags]


def all_exit_0(procs: list[subprocess.Popen[bytes]]) -> None:
    """Writers started at once each finish with exit 0 (the bound is for a hang, on a loaded
    machine)."""
    for proc in procs:
        assert proc.wait(timeout=600) == 0
