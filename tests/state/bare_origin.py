"""The data branch tests' real git: a bare 'origin' on disk like a user's repository, clones of
it as the jobs' checkouts, `lumen record` of a deploy, writers started at once, and what a
fresh clone reads back from the branch. The fixtures over it are in conftest.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lumen.adapters import git_state
from lumen.adapters.git_state import StateLocation

# the installed `lumen` script, as a job's shell runs it
LUMEN = str(Path(sys.executable).parent / "lumen")


def git(cwd: Path, *argv: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *argv], capture_output=True, text=True, check=True
    ).stdout


def clone(bare: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(bare), str(where)], check=True)
    return where


def bare_origin(tmp_path: Path) -> Path:
    """A bare 'origin' with one commit on main, like a user's repository."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(seed)], check=True)
    (seed / "README.md").write_text("app\n")
    git(seed, "add", "README.md")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "init")
    git(seed, "remote", "add", "origin", str(bare))
    git(seed, "push", "--quiet", "origin", "main")
    return bare


def read_back(remote_repo: Path, tmp_path: Path, path: str) -> bytes | None:
    """The file on lumen-data as a fresh clone (a later runner) sees it."""
    where = tmp_path / f"reader-{len(list(tmp_path.glob('reader-*')))}"
    return git_state.read_file(StateLocation(repo=clone(remote_repo, where)), path)


def record_args(version: str, *flags: str) -> list[str]:
    """`lumen record` of a successful deploy of api to prod, version `version`."""
    argv = ["record", "--env", "prod", "--service", "api", "--action", "deploy"]
    return [*argv, "--version", version, "--result", "success", "--quiet", *flags]


def all_exit_0(procs: list[subprocess.Popen[bytes]]) -> None:
    """Writers started at once each finish with exit 0 (the bound is for a hang, on a loaded
    machine)."""
    for proc in procs:
        assert proc.wait(timeout=600) == 0
