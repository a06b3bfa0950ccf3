"""The data branch: one ledger entry appended and pushed (docs/reference.md#state).

The origin is a bare repository on local disk, so this times Lumen's git work (the git
processes it starts, fetch and push through the local transport), not a network. Against
github.com add two round trips (one fetch, one push). The number of git processes per append
is held by tests/state/test_state_option.py::test_one_append_is_ten_git_processes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchlib import ROOT, Case, Subject

sys.path[:0] = [str(ROOT)]

ENTRY = {"type": "bench", "gate": "integrated", "verdict": "PASS", "env": "prod"}


def make_repositories(work: Path) -> None:
    """A bare origin with 200 entries on lumen-data already, and a job's clone of it."""
    bare, seed, job = work / "origin.git", work / "seed", work / "job"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(seed)], check=True)
    (seed / "README.md").write_text("app\n")
    for argv in (
        ["add", "README.md"],
        ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "--quiet", "-m", "init"],
        ["remote", "add", "origin", str(bare)],
        ["push", "--quiet", "origin", "main"],
    ):
        subprocess.run(["git", "-C", str(seed), *argv], check=True)
    subprocess.run(["git", "clone", "--quiet", str(bare), str(job)], check=True)
    from lumen.adapters.git_state import StateLocation, update_files
    from lumen.ledger import append

    def two_hundred(local: Path) -> None:
        for n in range(200):
            append(local, {**ENTRY, "n": n})

    update_files(StateLocation(job), {"ledger.jsonl": two_hundred}, message="seed")
    (work / "local.jsonl").write_bytes(b"")


def append_to_branch(work: Path) -> None:
    from lumen.adapters.git_state import StateLocation
    from lumen.statefiles import append_ledger

    append_ledger("ledger.jsonl", ENTRY, StateLocation(work / "job"), message="bench")


def append_locally(work: Path) -> None:
    from lumen.statefiles import append_ledger

    append_ledger(str(work / "local.jsonl"), ENTRY, None, message="bench")


CASES = [
    Case(
        name="ledger-append-on-branch",
        description=(
            "One gate decision appended to `ledger.jsonl` on the data branch and pushed "
            "(`lumen.statefiles.append_ledger` with state on: fetch into a private ref, append, "
            "commit-tree, push with a lease): 10 git processes (11 with a token), 2 of them "
            "talk to the remote (fetch, push). Origin: a bare repository on local disk, 200 "
            "entries on the branch. Peer: the same append to a local file (state off)."
        ),
        subject=Subject("append on the data branch", append_to_branch),
        peer=Subject("local append", append_locally),
        setup=make_repositories,
        repeat=9,
        budget=2.0,
    ),
]
