"""The PR report of a gate result (docs/reference.md#comment) as a use case: the sticky comment's
Markdown (with the gate's earlier values charted), and the comment, do-not-merge label and check run
on the pull request. A fork's read-only token is reported back as `refused`, not raised."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation


def history_values(
    path: str, gate: str, *, limit: int = 19, state: StateLocation | None = None
) -> list[float]:
    """Headline values of earlier results of `gate`, oldest first (results or ledger lines);
    with `state` the file is read from the data branch (fetched, never pushed)."""
    from lumen.fileio import iter_jsonl
    from lumen.reporting.comment import headline_value
    from lumen.statefiles import readable

    values: list[float] = []
    with readable(path, state) as local:
        if not os.path.exists(local):
            return values
        for _, entry in iter_jsonl(local):
            document = entry.get("result", entry) if isinstance(entry, dict) else None
            if isinstance(document, dict) and document.get("gate") == gate:
                headline = headline_value(document)
                if headline:
                    values.append(headline[1])
    return values[-limit:]


def comment_body(
    result: Mapping[str, Any],
    *,
    key: str | None,
    history: str | None,
    run_url: str | None,
    state: StateLocation | None = None,
) -> str:
    """The sticky comment's Markdown (also the job summary)."""
    from lumen.reporting import comment as render

    gate = str(result.get("gate", "gate"))
    values = history_values(history, gate, state=state) if history else []
    approvers = [str(a) for a in (result.get("approval") or {}).get("approved_by", [])]
    return render.comment_body(
        result, key=key, history=values, run_url=run_url, approvers=approvers
    )


def report_on_pr(
    repository: str,
    number: int,
    result: Mapping[str, Any],
    body: str,
    *,
    key: str | None,
    label: str | None,
    check_name: str | None,
    sha: str | None,
) -> Any:
    """Comment (edited in place), label and check run; the outcome names what was refused.
    `label`/`check_name` None leave labels or the check run alone."""
    from lumen.adapters.github.pr import report_on_pr as report
    from lumen.reporting import comment as render

    gate = str(result.get("gate", "gate"))
    return report(
        repository,
        number,
        dict(result),
        body,
        mark=render.marker(gate, key),
        label=label,
        check_name=check_name,
        sha=sha,
    )


def refused_message(refused: Sequence[str]) -> str:
    return (
        "the token may not "
        + ", ".join(refused)
        + " (a fork's read-only token?): the result is in the job summary; use the "
        "workflow_run commenter for fork PRs"
    )
