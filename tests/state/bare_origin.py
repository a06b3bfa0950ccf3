"""The data branch tests' real git, over harness.git_origin's: the bare 'origin' the `remote`
fixture (conftest.py) is, `lumen record` of a deploy, writers started at once, and what a fresh
clone reads back from the branch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness.git_origin import clone, git, make_origin

from lumen import ledger
from lumen.adapters import git_state
from lumen.adapters.git_state import StateLocation
from lumen.statefiles import LedgerAppend

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


def append_across_a_force_push(
    remote_repo: Path, tmp_path: Path, mine: StateLocation
) -> tuple[list[bytes], LedgerAppend]:
    """`mine` appends {"n": "mine"} to ledger.jsonl while someone force-pushes a rewritten
    lumen-data (one entry, {"n": "forced"}) between its fetch and its push; returns what the
    update saw on each attempt and the appender (whose head is the entry it chained last)."""
    rewrite = clone(remote_repo, tmp_path / "rewrite")
    git(rewrite, "checkout", "--quiet", "--orphan", "rewritten")
    git(rewrite, "rm", "-r", "--quiet", "--cached", ".")
    (rewrite / "ledger.jsonl").unlink(missing_ok=True)
    ledger.append(rewrite / "ledger.jsonl", {"n": "forced"})
    git(rewrite, "add", "ledger.jsonl")
    git(rewrite, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "forced")
    seen: list[bytes] = []
    appender = LedgerAppend({"n": "mine"})

    def racing(local: Path) -> None:
        seen.append(local.read_bytes())
        if len(seen) == 1:
            git(rewrite, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/lumen-data")
        appender(local)

    git_state.update_files(mine, {"ledger.jsonl": racing}, message="mine")
    return seen, appender


def git_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every git command run from now on (through subprocess.run), each as its arguments after
    `git -C <dir>`, in order; the list fills as the commands run."""
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting(argv: object, *args: object, **kwargs: object) -> object:
        if isinstance(argv, list) and argv and argv[0] == "git":
            calls.append([str(a) for a in argv[3:]])
        return real_run(argv, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting)
    return calls
