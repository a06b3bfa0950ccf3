"""A run's state files (decision ledger, deploy log, results history, the sampler's history and
spool) where they live: local paths, or the same paths on the data branch when state is on
(`--state BRANCH` or the config's `state:`, docs/reference.md#state).

Every writer goes through here, so there is one way to append a ledger entry to the branch (and
it is re-chained onto the new head when another job pushed first: `git_state.update_files`
re-runs the update). Readers get a read-only copy: the branch is fetched, never pushed, so a PR
gate from a fork with a read-only token can read what the trusted jobs wrote.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gates.result import GateResult
    from lumen.adapters.git_state import StateLocation


class LedgerAppend:
    """An update of the data branch (`git_state.Update`) that appends one entry to the ledger
    copy it is given. It may run several times (once per lost push race), each time onto the
    head then on the branch; `head` is the head the last run wrote."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        from lumen.ledger import check_entry

        check_entry(entry)  # a bad entry is refused before anything is fetched
        self.entry = dict(entry)
        self.head: str | None = None

    def __call__(self, local: Path) -> None:
        from lumen.ledger import append

        self.head = append(local, self.entry)


def append_records(
    state: StateLocation | None,
    *,
    lines: Mapping[str, str] | None = None,
    ledger: tuple[str, Mapping[str, Any]] | None = None,
    message: str,
) -> str | None:
    """Append JSONL `lines` (path → one line, without the newline) and one `ledger` entry
    (path, entry): to local files, or to those paths on the data branch in one commit. Returns
    the ledger's new head (None without a ledger entry)."""
    if state is None:
        from lumen.fileio import append_line

        for path, line in (lines or {}).items():
            append_line(path, line)
        if ledger is None:
            return None
        from lumen.ledger import append

        return append(ledger[0], ledger[1])
    from lumen.adapters import git_state

    updates: dict[str, git_state.Update] = {
        path: git_state.append_bytes((line + "\n").encode()) for path, line in (lines or {}).items()
    }
    appender = None
    if ledger is not None:
        appender = LedgerAppend(ledger[1])
        updates[ledger[0]] = appender
    git_state.update_files(state, updates, message=message)
    return None if appender is None else appender.head


def append_ledger(
    path: str, entry: Mapping[str, Any], state: StateLocation | None, *, message: str
) -> str:
    """Append one ledger entry (locally, or on the data branch); returns the new head."""
    head = append_records(state, ledger=(path, entry), message=message)
    assert head is not None
    return head


def append_result(path: str, result: GateResult, state: StateLocation | None) -> str:
    """Record a gate decision in the ledger; the head goes into the result's `ledger_head`."""
    from lumen.ledger import result_entry

    return append_ledger(
        path,
        result_entry(result),
        state,
        message=f"lumen {result.gate}: {result.verdict.value}",
    )


@contextlib.contextmanager
def readable(path: str, state: StateLocation | None, *, required: bool = False) -> Iterator[str]:
    """A local path to read `path` from: the path itself, or a private copy of the file on the
    data branch (fetched read-only; a path that does not exist when the branch or the file is
    absent, as a local file that is not there yet). `-` (stdin) is never on the branch.

    `required`: a file the caller must read (a gate's `--deploys`): when it is not on the
    branch, the same "file not found" a missing local file is, naming the path, the branch
    and the remote. An error raised while the copy is read names the branch file, not the copy.
    """
    if state is None or path == "-":
        yield path
        return
    from gates.errors import InputError, LumenError
    from lumen.adapters import git_state

    content = git_state.read_file(state, path)
    if content is None and required:
        raise InputError("file not found", file=git_state.branch_file(path, state))
    with tempfile.TemporaryDirectory(prefix="lumen-state-") as scratch:
        local = os.path.join(scratch, os.path.basename(git_state.branch_path(path)))
        if content is not None:
            Path(local).write_bytes(content)
        try:
            yield local
        except LumenError as exc:
            # The private copy's path means nothing to the user: name the branch file.
            if exc.file == local:
                exc.file = git_state.branch_file(path, state)
            raise
