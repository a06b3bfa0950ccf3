"""Fixtures of the data branch tests: a bare origin on disk and a job's checkout of it
(bare_origin.py and harness/git_origin.py have the git behind them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bare_origin import bare_origin
from harness.git_origin import clone


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare 'origin' with one commit on main, like a user's repository."""
    return bare_origin(tmp_path)


@pytest.fixture
def enter_clone(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Path]:
    """Another job's checkout: `enter_clone(name)` clones the origin at tmp_path/<name> and
    makes it the current directory."""

    def enter(name: str) -> Path:
        work = clone(remote, tmp_path / name)
        monkeypatch.chdir(work)
        return work

    return enter


@pytest.fixture
def checkout(enter_clone: Callable[[str], Path]) -> Path:
    """A job's checkout: a clone of the origin at tmp_path/job, the current directory."""
    return enter_clone("job")
