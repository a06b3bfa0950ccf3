"""`lumen state show|pull|push` against real git (a bare origin on disk)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from harness.git_origin import git

from lumen.cli import main


def test_show_push_pull_round_trip(
    remote: Path,
    checkout: Path,
    enter_clone: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["state", "show"]) == 0
    assert "origin/lumen-data: no data branch yet" in capsys.readouterr().out
    (checkout / "history.jsonl").write_text('{"run":1}\n')
    assert main(["state", "push", "history.jsonl"]) == 0
    assert "pushed history.jsonl to origin/lumen-data" in capsys.readouterr().out
    assert git(remote, "show", "lumen-data:history.jsonl") == '{"run":1}\n'
    assert main(["state", "show"]) == 0
    assert capsys.readouterr().out.split() == ["10", "history.jsonl"]
    other = enter_clone("other")
    assert main(["state", "pull", "--dir", "copy", "--quiet"]) == 0
    assert (other / "copy" / "history.jsonl").read_text() == '{"run":1}\n'


def test_the_branch_comes_from_the_config(remote: Path, checkout: Path) -> None:
    (checkout / "lumen.yml").write_text("version: 1\nstate:\n  branch: team-data\n")
    (checkout / "spool.json").write_text("{}\n")
    assert main(["state", "push", "spool.json", "--config", "lumen.yml", "--quiet"]) == 0
    assert "team-data" in git(remote, "branch", "--list")


@pytest.mark.usefixtures("checkout")
def test_bad_use_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["state", "push"]) == 1
    assert main(["state", "push", "missing.jsonl"]) == 1
    assert "missing.jsonl: no such file" in capsys.readouterr().err
    assert main(["state", "push", "../outside"]) == 1
    assert main(["state", "show", "extra"]) == 1
