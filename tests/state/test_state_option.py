"""`--state BRANCH` on the commands that write state: gates' `--ledger`, flipback, comment's
history, record. Real git against a bare origin on disk; nothing lands on the runner's disk."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
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

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = str(ROOT / "examples" / "resonance-snapshot.json")
NOW = "2026-11-21T12:00:00Z"


def gate(*extra: str) -> list[str]:
    return ["resonance", "--snapshot", SNAPSHOT, "--env", "prod", "--service", "api", *extra]


def test_a_gate_ledger_goes_to_the_branch_and_the_head_matches(
    remote: Path, checkout: Path, enter_clone: Callable[[str], Path], tmp_path: Path
) -> None:
    flags = ["--ledger", "data/ledger.jsonl", "--state", "lumen-data", "--quiet"]
    assert main(gate(*flags, "--json", str(tmp_path / "one.json"))) == 0
    other = enter_clone("other")
    assert main(gate(*flags, "--json", str(tmp_path / "two.json"))) == 0
    assert not (checkout / "data").exists() and not (other / "data").exists()
    chain = read_back(remote, tmp_path, "data/ledger.jsonl")
    assert chain is not None
    lines = chain.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["gate"] for line in lines] == ["resonance", "resonance"]
    # the result JSON's ledger_head is the head on the branch: the second run chained onto the
    # first run's entry, which it fetched
    head = json.loads((tmp_path / "two.json").read_text())["ledger_head"]
    assert head == ledger.sha256(lines[-1])
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert main(["ledger", "verify", str(tmp_path / "ledger.jsonl"), "--head", head]) == 0


def test_an_empty_state_is_as_configured(remote: Path, checkout: Path) -> None:
    # no state: section and an empty --state (an action input left empty): local files
    assert main(gate("--ledger", "local.jsonl", "--state", "", "--quiet")) == 0
    assert (checkout / "local.jsonl").exists()
    # with state: in the config, the empty flag means that branch
    (checkout / "lumen.yml").write_text("version: 1\nstate:\n  branch: team-data\n")
    args = gate("--config", "lumen.yml", "--ledger", "l.jsonl", "--state", "", "--quiet")
    assert main(args) == 0
    assert not (checkout / "l.jsonl").exists()
    assert "team-data" in git(remote, "branch", "--list")
    # the flag overrides the configured branch
    assert main([*args[:-3], "--state", "other-data", "--quiet"]) == 0
    assert "other-data" in git(remote, "branch", "--list")


@pytest.mark.parametrize("name", ["../x", "-x", "a b", "x.lock", "a..b", "/abs"])
def test_a_bad_branch_name_is_exit_1_naming_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(gate("--ledger", "l.jsonl", f"--state={name}", "--quiet")) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--state" in err and repr(name) in err
    assert "Traceback" not in err and not (tmp_path / "l.jsonl").exists()


def test_no_remote_is_exit_1_naming_branch_and_remote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "lonely"
    subprocess.run(["git", "init", "--quiet", str(work)], check=True)
    monkeypatch.chdir(work)
    out = tmp_path / "r.json"
    assert main(gate("--ledger", "l.jsonl", "--state", "lumen-data", "--json", str(out))) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "'lumen-data'" in err and "'origin'" in err and "Traceback" not in err
    # nothing half-written: no local ledger, no result JSON claiming a head
    assert not (work / "l.jsonl").exists() and not out.exists()


def test_flipback_reads_and_records_on_the_branch(
    remote: Path,
    checkout: Path,
    enter_clone: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [("01", "v1", "success"), ("03", "v2", "success"), ("04", "v3", "failure")]
    (checkout / "deploys.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "ts": f"2026-11-{day}T10:00:00Z",
                    "env": "prod",
                    "service": "api",
                    "action": "deploy",
                    "version": version,
                    "result": result,
                }
            )
            + "\n"
            for day, version, result in rows
        )
    )
    # v2 failed a gate: the flipback must skip it, which it can only know from the branch
    failed = {"type": "gate", "gate": "integrated", "verdict": "FAIL", "env": "prod"}
    failed |= {"service": "api", "result": {"inputs": {"version": "v2"}}}
    assert main(["ledger", "append", "ledger.jsonl", "--entry", json.dumps(failed)]) == 0
    assert main(["state", "push", "deploys.jsonl", "ledger.jsonl", "--quiet"]) == 0
    work = enter_clone("flipback-job")
    args = ["flipback", "execute", "--confirm", "yes", "--env", "prod", "--service", "api"]
    args += ["--deploys", "deploys.jsonl", "--ledger", "ledger.jsonl", "--state", "lumen-data"]
    args += ["--now", NOW, "--lock-dir", str(tmp_path / "locks")]
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "target:  v1" in out and "skipped v2" in out, out
    assert not (work / "deploys.jsonl").exists() and not (work / "ledger.jsonl").exists()
    deploys = read_back(remote, tmp_path, "deploys.jsonl")
    chain = read_back(remote, tmp_path, "ledger.jsonl")
    assert deploys is not None and chain is not None
    last = json.loads(deploys.splitlines()[-1])
    assert (last["action"], last["version"]) == ("flipback", "v1")
    entry = json.loads(chain.splitlines()[-1])
    assert (entry["type"], entry["from"], entry["to"]) == ("flipback", "v3", "v1")
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert ledger.verify(tmp_path / "ledger.jsonl").ok
    # one commit for the deploy event and the ledger entry together
    assert git(remote, "log", "-1", "--format=%s", "lumen-data").startswith("lumen flipback:")
    assert git(remote, "show", "--stat", "--format=", "lumen-data").count("|") == 2
    # a second run reads the recorded flipback from the branch: nothing to do
    assert main(args) == 0
    assert "already flipped back to v1" in capsys.readouterr().out


@pytest.mark.usefixtures("checkout")
def test_comment_charts_the_history_on_the_branch(
    enter_clone: Callable[[str], Path], tmp_path: Path
) -> None:
    for _ in range(3):
        args = gate("--ledger", "ledger.jsonl", "--state", "lumen-data", "--quiet")
        assert main([*args, "--json", str(tmp_path / "result.json")]) == 0
    enter_clone("pr")  # the pull request's job
    md = tmp_path / "comment.md"
    base = ["comment", "--result", str(tmp_path / "result.json"), "--markdown", str(md)]
    assert main([*base, "--history", "ledger.jsonl", "--state", "lumen-data", "--quiet"]) == 0
    assert "mermaid" in md.read_text()
    # the same flags without --state read a local file, which is not there: no chart
    assert main([*base, "--history", "ledger.jsonl", "--quiet"]) == 0
    assert "mermaid" not in md.read_text()


def test_gate_ledger_writers_and_recorders_at_once_lose_nothing(
    remote: Path,
    tmp_path: Path,
) -> None:
    """Gate decisions and deploy records appended to one ledger on the branch by four jobs at
    once: every entry is there once, and the chain verifies."""
    per_writer = 4
    on_branch = ["--ledger", "ledger.jsonl", "--state", "lumen-data"]
    gate_cmd = " ".join(gate(*on_branch, "--quiet"))

    def record_cmd(version: str) -> str:
        return " ".join(record_args(version, "--deploys", "deploys.jsonl", *on_branch))

    scripts = {
        "gate-a": f'for i in $(seq 1 {per_writer}); do "$0" {gate_cmd} || exit 1; done',
        "gate-b": f'for i in $(seq 1 {per_writer}); do "$0" {gate_cmd} || exit 1; done',
        "rec-a": f'for i in $(seq 1 {per_writer}); do "$0" {record_cmd("a.$i")} || exit 1; done',
        "rec-b": f'for i in $(seq 1 {per_writer}); do "$0" {record_cmd("b.$i")} || exit 1; done',
    }
    procs = [
        subprocess.Popen(["bash", "-c", script, LUMEN], cwd=clone(remote, tmp_path / name))
        for name, script in scripts.items()
    ]
    all_exit_0(procs)
    chain = read_back(remote, tmp_path, "ledger.jsonl")
    deploys = read_back(remote, tmp_path, "deploys.jsonl")
    assert chain is not None and deploys is not None
    kinds = [json.loads(line)["type"] for line in chain.splitlines()]
    assert kinds.count("gate") == 2 * per_writer and kinds.count("deploy") == 2 * per_writer
    assert len(deploys.splitlines()) == 2 * per_writer
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert main(["ledger", "verify", str(tmp_path / "ledger.jsonl"), "--quiet"]) == 0


def test_a_forced_non_fast_forward_is_redone_on_the_forced_history(
    remote: Path,
    tmp_path: Path,
) -> None:
    """Someone force-pushes the data branch (a rewritten history) between a writer's fetch and
    its push: the lease refuses the push, and the entry is re-chained onto the forced head."""
    from lumen.statefiles import LedgerAppend

    mine = StateLocation(repo=clone(remote, tmp_path / "mine"))
    git_state.update_files(mine, {"ledger.jsonl": LedgerAppend({"n": 0})}, message="seed")
    seen, appender = append_across_a_force_push(remote, tmp_path, mine)
    assert len(seen) == 2 and b'"forced"' in seen[1] and b'"n":0' not in seen[1]
    content = git_state.read_file(mine, "ledger.jsonl")
    assert content is not None
    assert [json.loads(line)["n"] for line in content.splitlines()] == ["forced", "mine"]
    assert appender.head == ledger.sha256(content.splitlines()[-1])
    (tmp_path / "ledger.jsonl").write_bytes(content)
    assert main(["ledger", "verify", str(tmp_path / "ledger.jsonl"), "--quiet"]) == 0


def test_one_append_is_ten_git_processes(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost bench/RESULTS.md quotes (state/ledger-append-on-branch): ten git processes, two
    of them talk to the remote; a token adds one (`remote get-url`, to check the server)."""
    from lumen.statefiles import append_ledger

    work = StateLocation(repo=checkout)
    append_ledger("ledger.jsonl", {"n": 0}, work, message="first")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("INPUT_GITHUB_TOKEN", raising=False)
    calls = git_calls(monkeypatch)
    append_ledger("ledger.jsonl", {"n": 1}, work, message="second")
    assert [argv[0] for argv in calls if argv[0] in ("fetch", "push")] == ["fetch", "push"]
    assert len(calls) == 10, calls
    calls.clear()
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    append_ledger("ledger.jsonl", {"n": 2}, work, message="third")
    assert len(calls) == 11 and calls[0][:2] == ["remote", "get-url"], calls


def test_a_torn_ledger_on_the_branch_is_named_and_nothing_is_pushed(
    remote: Path,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (checkout / "ledger.jsonl").write_text('{"seq": 1, "torn')  # a write cut off mid-line
    assert main(["state", "push", "ledger.jsonl", "--quiet"]) == 0
    before = git(remote, "rev-parse", "lumen-data")
    out = tmp_path / "r.json"
    assert main(gate("--ledger", "ledger.jsonl", "--state", "lumen-data", "--json", str(out))) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "ledger.jsonl on branch 'lumen-data' of remote 'origin'" in err, err
    assert "not a ledger entry" in err and "lumen-state" not in err and "/tmp" not in err, err
    assert git(remote, "rev-parse", "lumen-data") == before and not out.exists()


@pytest.mark.usefixtures("checkout")
def test_ledger_verify_and_append_on_the_branch(capsys: pytest.CaptureFixture[str]) -> None:
    on_branch = ["--state", "lumen-data"]
    assert main(["ledger", "verify", "ledger.jsonl", *on_branch]) == 1
    assert "no ledger at this path on branch 'lumen-data'" in capsys.readouterr().err
    for n in range(3):
        entry = json.dumps({"type": "note", "n": n})
        assert main(["ledger", "append", "ledger.jsonl", "--entry", entry, *on_branch]) == 0
    head = capsys.readouterr().out.split()[-1]
    assert main(["ledger", "verify", "ledger.jsonl", "--head", head, *on_branch]) == 0
    assert f"OK, 3 entries, head {head}" in capsys.readouterr().out
    assert not Path("ledger.jsonl").exists()


def test_integrated_adapts_from_the_decisions_on_the_branch(
    remote: Path, enter_clone: Callable[[str], Path], tmp_path: Path
) -> None:
    """Each run is a fresh clone (a fresh runner): the adaptive minimums count the decisions
    earlier runs left on the branch."""
    examples = ROOT / "examples"
    # With state on, --deploys is the deploy log on the branch (where `lumen record` appends).
    seeder = StateLocation(repo=clone(remote, tmp_path / "seed-deploys"))
    seed = {"deploys.jsonl": git_state.replace_with(examples / "deploys.jsonl")}
    git_state.update_files(seeder, seed, message="the deploy log")
    reasons = []
    for run in range(3):
        work = enter_clone(f"run{run}")
        (work / "lumen.yml").write_text("version: 1\nintegrated:\n  adaptive: true\n")
        out = tmp_path / f"r{run}.json"
        args = ["integrated", "--config", "lumen.yml", "--events", str(examples / "events.jsonl")]
        args += ["--deploys", "deploys.jsonl", "--ledger", "ledger.jsonl"]
        assert main([*args, "--state", "lumen-data", "--quiet", "--json", str(out)]) == 0
        reasons.append(json.loads(out.read_text())["adaptive"]["reason"])
        assert not (work / "ledger.jsonl").exists()
    assert [reason.split(" in the last ")[1].split(" ")[0] for reason in reasons] == ["0", "1", "2"]


def test_a_writer_that_keeps_losing_gives_up_naming_file_branch_and_remote(
    remote: Path,
    tmp_path: Path,
) -> None:
    mine = StateLocation(repo=clone(remote, tmp_path / "mine"))
    theirs = StateLocation(repo=clone(remote, tmp_path / "theirs"))
    git_state.update_files(theirs, {"log": git_state.append_bytes(b"0\n")}, message="seed")

    def always_racing(local: Path) -> None:  # another job pushes before each of our pushes
        git_state.update_files(theirs, {"log": git_state.append_bytes(b"t\n")}, message="t")
        git_state.append_bytes(b"mine\n")(local)

    with pytest.raises(git_state.StateError) as raised:
        git_state.update_files(mine, {"log": always_racing}, message="mine", attempts=3)
    assert str(raised.value) == (
        "gave up writing log to branch 'lumen-data' of remote 'origin' after 3 attempts: "
        "other jobs kept writing first"
    )
    # nothing of ours half-written: the branch holds only the other job's appends
    assert git_state.read_file(mine, "log") == b"0\nt\nt\nt\n"
