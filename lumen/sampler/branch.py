"""The sampler's history and spool on the data branch (docs/reference.md#state).

A run works on local copies in a scratch directory, with the same spool and history code as
on disk: `pull` copies the branch's spool entries and history there; each new spool entry is
pushed to the branch as soon as it is written (`spooled`), before the Pushgateway push it
guards starts, so a run killed at any moment (the runner thrown away with it) loses nothing:
the next run finds the entry on the branch and delivers or supersedes it; `push_back` then
writes, in one commit, the history lines the run appended and the removal of every entry it
delivered, superseded or dropped. On a lost push race both are re-applied on the new content
(`git_state.update_files`): appended lines stay appended, removed entries stay removed, and
entries another run spooled meanwhile are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lumen.adapters import git_state

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation


class BranchFiles:
    """One run's copies of the history file and the spool directory of the data branch."""

    def __init__(self, state: StateLocation, *, history: str, spool: str, scratch: Path) -> None:
        self.state = state
        self.history = git_state.branch_path(history)
        self.spool = git_state.branch_path(spool)
        self.local_history = scratch / self.history
        self.local_spool = scratch / self.spool
        self._scratch = scratch
        self._history_size = 0
        self._entries: set[str] = set()

    def pull(self) -> None:
        """Copy the branch's history and spool entries (fetched, nothing pushed)."""
        git_state.pull(self.state, self._scratch, only=[self.history, self.spool])
        if self.local_history.is_file():
            self._history_size = self.local_history.stat().st_size
        if self.local_spool.is_dir():
            self._entries = {path.name for path in self.local_spool.glob("*.json")}

    def spooled(self, entry: Path) -> None:
        """Write-ahead: the new spool entry is on the branch before its push starts."""
        git_state.update_files(
            self.state,
            {f"{self.spool}/{entry.name}": git_state.replace_with(entry)},
            message=f"lumen sample: spooled {entry.name}",
        )
        self._entries.add(entry.name)

    def push_back(self) -> None:
        """One commit: the history lines this run appended, the spool entries it removed."""
        updates: dict[str, git_state.Update] = {}
        if self.local_history.is_file():
            with self.local_history.open("rb") as handle:
                handle.seek(self._history_size)
                appended = handle.read()
            if appended:
                updates[self.history] = git_state.append_bytes(appended)
        for name in sorted(self._entries):
            if not (self.local_spool / name).exists():
                updates[f"{self.spool}/{name}"] = git_state.remove()
        if updates:
            git_state.update_files(self.state, updates, message="lumen sample: history and spool")
