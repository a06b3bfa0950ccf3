"""`lumen sample --state BRANCH`: the run history and the spool on the data branch, with a real
Pushgateway and a bare origin on disk. A sampler killed with SIGKILL mid-push (its runner thrown
away with it) loses nothing: the write-ahead spool entry is on the branch, and the next run,
on another machine, delivers it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.git_origin import clone, git
from reliability.servers import Behaviour, kill_mid_push, misbehaving_server

from lumen.cli import main

ROOT = Path(__file__).resolve().parents[2]
EVENTS = str(ROOT / "examples" / "events.jsonl")
NOW = "2026-11-20T18:00:00Z"


def on_branch(remote_repo: Path, folder: str) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(remote_repo), "ls-tree", "--name-only", "lumen-data", f"{folder}/"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in out.stdout.splitlines() if line.endswith(".json")]


def history(remote_repo: Path) -> list[dict[str, Any]]:
    text = git(remote_repo, "show", "lumen-data:.lumen/history.jsonl")
    return [json.loads(line) for line in text.splitlines()]


def sample_args(gateway: str, service: str, *extra: str) -> list[str]:
    return [
        "sample",
        "--events",
        EVENTS,
        "--env",
        "prod",
        "--service",
        service,
        "--pushgateway",
        gateway,
        "--history",
        ".lumen/history.jsonl",
        "--spool",
        ".lumen/spool",
        "--state",
        "lumen-data",
        "--now",
        NOW,
        "--quiet",
        *extra,
    ]


def test_a_sampler_killed_mid_push_loses_nothing_and_the_next_run_delivers(
    remote: Path, enter_clone: Callable[[str], Path], tmp_path: Path, pushgateway: Any
) -> None:
    killed = clone(remote, tmp_path / "killed")
    with misbehaving_server(Behaviour.STALL) as stalling:
        argv = sample_args(stalling, "killed", "--push-deadline", "60s", "--push-timeout", "60s")
        # spooled: the write-ahead entry is on the branch
        kill_mid_push(argv, killed, lambda: bool(on_branch(remote, ".lumen/spool")))
    (name,) = on_branch(remote, ".lumen/spool")
    entry = json.loads(git(remote, "show", f"lumen-data:{name}"))
    assert entry["series"] and entry["exposition"] and entry["grouping"]["service"] == "killed"
    # The next run, on another runner, delivers the killed run's values and its own.
    enter_clone("next")
    assert main(sample_args(pushgateway.url, "next")) == 0
    services = {group["labels"].get("service") for group in pushgateway.groups()}
    assert {"killed", "next"} <= services
    assert on_branch(remote, ".lumen/spool") == []  # delivered: removed from the branch
    records = history(remote)
    delivered = [r for r in records if r["type"] == "spool" and r["action"] == "delivered"]
    assert [r["run_id"] for r in delivered] == [entry["run_id"]]
    assert [r["status"] for r in records if r["type"] == "run"] == ["pushed"]
    assert not (tmp_path / "next" / ".lumen").exists()  # nothing on the runner's disk


def test_runs_on_different_runners_share_one_history(
    remote: Path, enter_clone: Callable[[str], Path], capsys: Any
) -> None:
    for name in ("one", "two"):
        enter_clone(name)
        args = sample_args("", "api")
        gateway_at = args.index("--pushgateway")
        del args[gateway_at : gateway_at + 2]  # no gateway: the exposition goes to stdout
        assert main(args) == 0
        assert "lumen_maturity_overall" in capsys.readouterr().out
    records = history(remote)
    assert [r["type"] for r in records] == ["run", "run"]
    assert len({r["run_id"] for r in records}) == 2
    assert on_branch(remote, ".lumen/spool") == []
