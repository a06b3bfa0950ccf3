"""Record a deploy event: one validated line appended to the deploy log (locked and fsynced by
lumen.fileio.append_line, so parallel jobs never interleave), and optionally to the ledger.

Every event has an `id` (a UUID unless given), so a retried step that records twice is
counted once by the readers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gates.timeutil import format_timestamp

if TYPE_CHECKING:
    from pathlib import Path

    from lumen.adapters.git_state import StateLocation


@dataclass(frozen=True)
class DeployRecord:
    """One deploy, rollback or flipback as the user describes it; None means not given."""

    ts: datetime
    env: str
    service: str
    action: str
    version: str
    result: str
    event_id: str | None
    author: str | None
    notes: str | None
    commit: str | None
    commit_ts: datetime | None
    duration_s: float | None
    digest: str | None
    bundle: str | None


def deploy_event(record: DeployRecord) -> dict[str, Any]:
    """The deploy event (schema `deploy-event.schema.json`), validated."""
    event: dict[str, Any] = {
        "ts": format_timestamp(record.ts),
        "env": record.env,
        "service": record.service,
        "action": record.action,
        "version": record.version,
        "result": record.result,
        "id": record.event_id or str(uuid.uuid4()),
    }
    optional: dict[str, Any] = {
        "author": record.author,
        "notes": record.notes,
        "commit": record.commit,
        "duration_s": record.duration_s,
        "digest": record.digest,
        "bundle": record.bundle,
    }
    if record.commit_ts is not None:
        optional["commit_ts"] = format_timestamp(record.commit_ts)
    event.update({k: v for k, v in optional.items() if v is not None})
    from lumen.schema import validate

    validate("deploy-event.schema.json", event, file="<lumen record>")
    return event


def record_deploy(
    record: DeployRecord,
    deploys: str,
    ledger: str | None,
    *,
    state: StateLocation | None = None,
) -> dict[str, Any]:
    """Append the event to the deploy log (and the ledger); returns the event written. With
    `state` both are that path on the data branch, appended and pushed in one commit."""
    from lumen.fileio import append_line

    event = deploy_event(record)
    if state is not None:
        _record_on_branch(state, event, deploys, ledger)
        return event
    append_line(deploys, json.dumps(event, separators=(",", ":"), ensure_ascii=False))
    if ledger:
        from lumen.ledger import append

        append(ledger, {"type": "deploy", "event": event})
    return event


def _record_on_branch(
    state: StateLocation, event: dict[str, Any], deploys: str, ledger: str | None
) -> None:
    """One commit on the data branch: the deploy line appended, the ledger entry appended. On a
    lost race `git_state` re-runs both on the new content, so the ledger entry is re-chained
    onto the head another writer pushed."""
    from lumen.adapters import git_state

    line = json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
    updates: dict[str, git_state.Update] = {deploys: git_state.append_bytes(line.encode())}
    if ledger:
        from lumen.ledger import append

        entry = {"type": "deploy", "event": event}

        def append_entry(local: Path) -> None:
            append(local, entry)  # re-run on a lost race: chained onto the new head

        updates[ledger] = append_entry
    git_state.update_files(
        state,
        updates,
        message=f"lumen record: {event['action']} {event['version']} of {event['service']} "
        f"to {event['env']} ({event['result']})",
    )
