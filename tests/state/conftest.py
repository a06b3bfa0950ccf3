"""Fixtures of the data branch tests: a bare origin on disk and a job's checkout of it
(bare_origin.py and harness/git_origin.py have the git behind them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bare_origin import bare_origin
from harness.git_origin import clone


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare 'origin' with one commit on main, like a user's repository."""
    return bare_origin(tmp_path)


@pytest.fixture
def checkout(remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A job's checkout: a clone of the origin at tmp_path/job, the current directory."""
    work = clone(remote, tmp_path / "job")
    monkeypatch.chdir(work)
    return work
