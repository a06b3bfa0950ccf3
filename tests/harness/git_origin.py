"""A user's repository as a job sees it: a checkout whose `origin` is a bare repository on disk.

The shipped workflows keep their state on the data branch of `origin` (lumen-data); a test
makes the workspace such a checkout with `make_origin`, runs the jobs, and reads what was
pushed with `branch_file`. Real git throughout, no network and no credentials.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
_IDENTITY = ("-c", "user.name=test", "-c", "user.email=test@example.invalid")


def git(cwd: Path, *argv: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *argv], capture_output=True, text=True, check=True
    ).stdout


def make_origin(workspace: Path, bare: Path) -> Path:
    """Make `workspace` (created when missing, its files kept) a checkout of a new bare
    repository `bare` with one commit on main, as actions/checkout leaves it. Returns `bare`."""
    workspace.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
    if not (workspace / ".git").exists():
        git(workspace, "init", "--quiet", "-b", "main")
    git(workspace, "add", "--all")
    git(workspace, *_IDENTITY, "commit", "--quiet", "--allow-empty", "-m", "the user's code")
    git(workspace, "remote", "add", "origin", str(bare))
    git(workspace, "push", "--quiet", "origin", "main")
    return bare


def example_repository(workspace: Path, bare: Path) -> Path:
    """A user's repository laid out like examples/ (event logs at the root), checked out in
    `workspace` from the new bare `bare` (`make_origin`). With state on (the shipped workflows'
    default) a `deploys` input names the log on lumen-data, where record-event appends: the
    repository's deploys.jsonl is moved there once, as docs/reference.md#state says."""
    from lumen.adapters import git_state

    shutil.copytree(_ROOT / "examples", workspace, ignore=shutil.ignore_patterns("out"))
    make_origin(workspace, bare)
    git_state.update_files(
        git_state.StateLocation(workspace),
        {"deploys.jsonl": git_state.replace_with(workspace / "deploys.jsonl")},
        message="the deploy log",
    )
    return workspace


def clone(bare: Path, where: Path) -> Path:
    """Another job's checkout of the same repository."""
    subprocess.run(["git", "clone", "--quiet", str(bare), str(where)], check=True)
    return where


def branches(bare: Path) -> list[str]:
    out = git(bare, "for-each-ref", "--format=%(refname:short)", "refs/heads")
    return sorted(out.split())


def branch_file(bare: Path, branch: str, path: str) -> bytes | None:
    """A file's content on `branch` of the bare repository (None when absent)."""
    proc = subprocess.run(
        ["git", "-C", str(bare), "cat-file", "blob", f"refs/heads/{branch}:{path}"],
        capture_output=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None
