"""The data branch from a shallow checkout (actions/checkout fetches one commit): Lumen fetches
the branch with `--depth=1`, the tip being all a reader or a writer needs, and writers still
lose nothing when they race or when the branch is force-pushed. A full clone is left full.
Real git against a bare origin on disk (file:// so that git honours the depth)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from bare_origin import (
    LUMEN,
    all_exit_0,
    append_across_a_force_push,
    git_calls,
    read_back,
    record_args,
)
from harness.git_origin import clone, git

from lumen import ledger
from lumen.adapters import git_state
from lumen.adapters.git_state import StateLocation
from lumen.cli import main
from lumen.statefiles import LedgerAppend


def shallow_clone(bare: Path, where: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", "--depth=1", f"file://{bare}", str(where)], check=True
    )
    assert git(where, "rev-parse", "--is-shallow-repository").strip() == "true"
    return where


def seed_history(remote: Path, tmp_path: Path, commits: int) -> list[str]:
    """`commits` ledger entries on lumen-data, one commit each; returns the commits, oldest
    first."""
    writer = StateLocation(repo=clone(remote, tmp_path / "history-writer"))
    return [
        git_state.update_files(writer, {"ledger.jsonl": LedgerAppend({"n": n})}, message=f"{n}")
        for n in range(commits)
    ]


def test_a_shallow_checkout_fetches_the_tip_only_and_appends_on_it(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = seed_history(remote, tmp_path, 5)
    job = StateLocation(repo=shallow_clone(remote, tmp_path / "job"))
    calls = git_calls(monkeypatch)
    content = git_state.read_file(job, "ledger.jsonl")
    assert content is not None and len(content.splitlines()) == 5
    (fetch,) = [argv for argv in calls if argv[0] == "fetch"]
    assert "--depth=1" in fetch
    # only the tip came: the older commits of the branch are not in the checkout
    for old in history[:-1]:
        probe = ["git", "-C", str(job.repo), "cat-file", "-e", old]
        assert subprocess.run(probe, capture_output=True, check=False).returncode != 0, old
    monkeypatch.undo()
    git_state.update_files(job, {"ledger.jsonl": LedgerAppend({"n": 5})}, message="five")
    # the branch keeps its whole history: the new commit's parent is the old tip
    assert git(remote, "rev-parse", "lumen-data^").strip() == history[-1]
    assert git(remote, "rev-list", "--count", "lumen-data").strip() == "6"
    chain = read_back(remote, tmp_path, "ledger.jsonl")
    assert chain is not None
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert main(["ledger", "verify", str(tmp_path / "ledger.jsonl"), "--quiet"]) == 0
    assert git(remote, "fsck", "--no-progress").strip() == ""


def test_a_full_clone_is_left_full(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_history(remote, tmp_path, 2)
    job = StateLocation(repo=clone(remote, tmp_path / "job"))
    calls = git_calls(monkeypatch)
    git_state.update_files(job, {"ledger.jsonl": LedgerAppend({"n": 2})}, message="two")
    assert all("--depth=1" not in argv for argv in calls if argv[0] == "fetch")
    assert git(job.repo, "rev-parse", "--is-shallow-repository").strip() == "false"


def test_shallow_writers_at_once_lose_nothing(remote: Path, tmp_path: Path) -> None:
    seed_history(remote, tmp_path, 3)
    per_writer = 8
    flags = ("--deploys", "deploys.jsonl", "--ledger", "ledger.jsonl", "--state", "lumen-data")
    procs = []
    for name in ("a", "b"):
        cmd = " ".join(record_args(f"{name}.$i", *flags))
        script = f'for i in $(seq 1 {per_writer}); do "$0" {cmd} || exit 1; done'
        work = shallow_clone(remote, tmp_path / name)
        procs.append(subprocess.Popen(["bash", "-c", script, LUMEN], cwd=work))
    all_exit_0(procs)
    deploys = read_back(remote, tmp_path, "deploys.jsonl")
    chain = read_back(remote, tmp_path, "ledger.jsonl")
    assert deploys is not None and chain is not None
    versions = sorted(json.loads(line)["version"] for line in deploys.splitlines())
    assert versions == sorted(f"{w}.{i}" for w in "ab" for i in range(1, per_writer + 1))
    assert len(chain.splitlines()) == 3 + 2 * per_writer
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert main(["ledger", "verify", str(tmp_path / "ledger.jsonl"), "--quiet"]) == 0


def test_a_forced_non_fast_forward_from_a_shallow_checkout_is_redone(
    remote: Path, tmp_path: Path
) -> None:
    seed_history(remote, tmp_path, 3)
    mine = StateLocation(repo=shallow_clone(remote, tmp_path / "mine"))
    seen, appender = append_across_a_force_push(remote, tmp_path, mine)
    assert len(seen) == 2 and b'"forced"' in seen[1] and b'"n":0' not in seen[1]
    content = read_back(remote, tmp_path, "ledger.jsonl")
    assert content is not None
    assert [json.loads(line)["n"] for line in content.splitlines()] == ["forced", "mine"]
    assert appender.head == ledger.sha256(content.splitlines()[-1])
    (tmp_path / "ledger.jsonl").write_bytes(content)
    assert main(["ledger", "verify", str(tmp_path / "ledger.jsonl"), "--quiet"]) == 0
