"""`lumen record` with `state:` in the config: the deploy log and the ledger are written to the
data branch and pushed (real git, bare repositories on disk), by concurrent writers too."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bare_origin import LUMEN, all_exit_0, read_back, record_args
from harness.git_origin import clone, git

from lumen import ledger
from lumen.cli import main

CONFIG = "version: 1\nstate:\n  branch: lumen-data\n"


def record(work: Path, version: str) -> list[str]:
    files = ["--deploys", "data/deploys.jsonl", "--ledger", "data/ledger.jsonl"]
    return record_args(version, "--config", str(work / "lumen.yml"), *files)


def test_record_writes_to_the_data_branch_not_the_runner(
    remote: Path, checkout: Path, tmp_path: Path
) -> None:
    (checkout / "lumen.yml").write_text(CONFIG)
    assert main(record(checkout, "1.0.0")) == 0
    assert main(record(checkout, "1.0.1")) == 0
    assert not (checkout / "data").exists()  # nothing on the runner's disk
    deploys = read_back(remote, tmp_path, "data/deploys.jsonl")
    assert deploys is not None
    assert [json.loads(line)["version"] for line in deploys.splitlines()] == ["1.0.0", "1.0.1"]
    chain = read_back(remote, tmp_path, "data/ledger.jsonl")
    assert chain is not None
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert ledger.verify(tmp_path / "ledger.jsonl").ok
    # one commit per record, deploy log and ledger together
    assert len(git(remote, "log", "--format=%H", "lumen-data").splitlines()) == 2


def test_without_state_record_writes_local_files(tmp_path: Path, monkeypatch: object) -> None:
    (tmp_path / "lumen.yml").write_text("version: 1\n")
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    assert main(record(tmp_path, "1.0.0")) == 0
    assert (tmp_path / "data" / "deploys.jsonl").exists()


def test_two_recorders_at_once_lose_nothing_and_the_ledger_verifies(
    remote: Path, tmp_path: Path
) -> None:
    per_writer = int(os.environ.get("LUMEN_STATE_RECORDS", "10"))
    script = (
        'for i in $(seq 1 "$2"); do "$3" '
        + " ".join(record(Path("."), "$1.$i"))
        + " || exit 1; done"
    )
    procs = []
    for name in ("a", "b"):
        work = clone(remote, tmp_path / name)
        (work / "lumen.yml").write_text(CONFIG)
        procs.append(
            subprocess.Popen(
                ["bash", "-c", script, "writer", name, str(per_writer), LUMEN], cwd=work
            )
        )
    all_exit_0(procs)
    deploys = read_back(remote, tmp_path, "data/deploys.jsonl")
    chain = read_back(remote, tmp_path, "data/ledger.jsonl")
    assert deploys is not None and chain is not None
    versions = [json.loads(line)["version"] for line in deploys.splitlines()]
    assert sorted(versions) == sorted(f"{w}.{i}" for w in "ab" for i in range(1, per_writer + 1))
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert main(["ledger", "verify", str(tmp_path / "ledger.jsonl"), "--quiet"]) == 0
    assert len(chain.splitlines()) == 2 * per_writer
