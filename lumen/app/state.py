"""State on the data branch for people (`lumen state show|pull|push`, docs/reference.md#state):
what is there, a copy of it, and local files written back, all through `lumen.adapters.git_state`
(fetch into a private ref, commit-tree, push with a retry on a lost race)."""

from __future__ import annotations

from pathlib import Path

from lumen.adapters import git_state
from lumen.adapters.git_state import StateLocation


def show(location: StateLocation) -> dict[str, int]:
    """Every file on the data branch with its size (empty when there is no branch yet)."""
    return git_state.list_files(location)


def pull(location: StateLocation, destination: Path) -> list[str]:
    """Copy the data branch's files under `destination`; returns the paths written."""
    return git_state.pull(location, destination)


def push(location: StateLocation, files: dict[str, Path]) -> str:
    """Replace each branch path with its local file, in one commit; returns the commit."""
    return git_state.update_files(
        location,
        {path: git_state.replace_with(local) for path, local in files.items()},
        message=f"lumen state push: {', '.join(sorted(files))}",
    )
