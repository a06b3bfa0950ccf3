"""The data branch against real git: bare repositories on disk, concurrent writers, and a push
that loses the race."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bare_origin import all_exit_0
from harness.git_origin import clone, git

from lumen import ledger
from lumen.adapters import git_state
from lumen.adapters.git_state import StateLocation, append_bytes, update_files


def test_first_write_creates_the_branch_and_leaves_the_checkout_alone(
    remote: Path, checkout: Path, tmp_path: Path
) -> None:
    (checkout / "untracked.txt").write_text("user's file\n")
    location = StateLocation(repo=checkout)
    assert git_state.read_file(location, "deploys.jsonl") is None
    assert git_state.list_files(location) == {}
    update_files(location, {"deploys.jsonl": append_bytes(b'{"a":1}\n')}, message="record")
    update_files(location, {"deploys.jsonl": append_bytes(b'{"a":2}\n')}, message="record")
    assert git_state.read_file(location, "deploys.jsonl") == b'{"a":1}\n{"a":2}\n'
    # the branch is on the remote, main and the work tree are untouched
    assert "lumen-data" in git(remote, "branch", "--list")
    assert git(checkout, "status", "--porcelain") == "?? untracked.txt\n"
    assert git(checkout, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(remote, "log", "--format=%s", "lumen-data").splitlines() == ["record", "record"]
    # another checkout (a later runner) reads it
    other = StateLocation(repo=clone(remote, tmp_path / "later"))
    assert git_state.list_files(other) == {"deploys.jsonl": 16}
    pulled = git_state.pull(other, tmp_path / "pulled")
    assert pulled == ["deploys.jsonl"]
    assert (tmp_path / "pulled" / "deploys.jsonl").read_bytes() == b'{"a":1}\n{"a":2}\n'


def test_a_push_that_loses_the_race_is_redone_on_the_new_content(
    remote: Path, tmp_path: Path
) -> None:
    mine = StateLocation(repo=clone(remote, tmp_path / "mine"))
    theirs = StateLocation(repo=clone(remote, tmp_path / "theirs"))
    update_files(theirs, {"log": append_bytes(b"0\n")}, message="seed")
    calls: list[bytes] = []

    def racing_update(local: Path) -> None:
        calls.append(local.read_bytes())
        if len(calls) == 1:  # another job pushes between our fetch and our push
            update_files(theirs, {"log": append_bytes(b"theirs\n")}, message="theirs")
        append_bytes(b"mine\n")(local)

    update_files(mine, {"log": racing_update}, message="mine")
    assert calls == [b"0\n", b"0\ntheirs\n"]  # the update ran again on what the other pushed
    assert git_state.read_file(mine, "log") == b"0\ntheirs\nmine\n"


def test_paths_stay_inside_the_branch(checkout: Path) -> None:
    location = StateLocation(repo=checkout)
    for bad in ("../escape", "/etc/passwd", "", "a/../../b"):
        with pytest.raises(git_state.UsageError):
            update_files(location, {bad: append_bytes(b"x")}, message="m")


def test_an_unreachable_remote_is_a_clear_error(tmp_path: Path) -> None:
    work = tmp_path / "job"
    subprocess.run(["git", "init", "--quiet", str(work)], check=True)
    git(work, "remote", "add", "origin", str(tmp_path / "missing.git"))
    with pytest.raises(git_state.StateError, match="cannot fetch branch 'lumen-data'"):
        git_state.read_file(StateLocation(repo=work), "ledger.jsonl")


WRITER = """
import sys
from pathlib import Path
from lumen import ledger
from lumen.adapters.git_state import StateLocation, update_files

repo, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
location = StateLocation(repo=Path(repo))
for i in range(count):
    entry = {"writer": name, "n": i}
    update_files(
        location,
        {"ledger.jsonl": lambda local: ledger.append(local, entry)},
        message=f"{name} {i}",
    )
"""


@pytest.mark.slow
def test_two_writers_at_once_lose_nothing_and_the_chain_verifies(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_writer = int(os.environ.get("LUMEN_STATE_WRITES", "100"))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(clone(remote, tmp_path / name)),
                name,
                str(per_writer),
            ]
        )
        for name in ("a", "b")
    ]
    all_exit_0(procs)
    reader = StateLocation(repo=clone(remote, tmp_path / "reader"))
    content = git_state.read_file(reader, "ledger.jsonl")
    assert content is not None
    local = tmp_path / "ledger.jsonl"
    local.write_bytes(content)
    entries = [json.loads(line) for line in content.splitlines()]
    assert len(entries) == 2 * per_writer
    for name in ("a", "b"):
        seqs = [e["n"] for e in entries if e["writer"] == name]
        assert seqs == list(range(per_writer)), (name, seqs)
    report = ledger.verify(local)
    assert report.ok, report
    # and as a person checks it: `lumen ledger verify` on the branch itself (fetched only)
    from lumen.cli import main

    monkeypatch.chdir(reader.repo)
    assert main(["ledger", "verify", "ledger.jsonl", "--state", "lumen-data"]) == 0
    assert len(git(remote, "log", "--format=%H", "lumen-data").splitlines()) == 2 * per_writer
