"""Record a deploy event: one validated line appended to the deploy log (locked and fsynced by
lumen.fileio.append_line, so parallel jobs never interleave), and optionally to the ledger.

Every event has an `id` (a UUID unless given), so a retried step that records twice is
counted once by the readers.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from gates.roi import DeployEvent
from gates.timeutil import format_timestamp

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation


def deploy_event(record: DeployEvent) -> dict[str, Any]:
    """The deploy event (schema `deploy-event.schema.json`) of one deploy, rollback or flipback
    as the user describes it (None: not given; no id: a new one), validated."""
    event: dict[str, Any] = {
        "ts": format_timestamp(record.ts),
        "env": record.env,
        "service": record.service,
        "action": record.action,
        "version": record.version,
        "result": record.result,
        "id": record.id or str(uuid.uuid4()),
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
    record: DeployEvent,
    deploys: str,
    ledger: str | None,
    *,
    state: StateLocation | None = None,
) -> dict[str, Any]:
    """Append the event to the deploy log (and the ledger); returns the event written. With
    `state` both are that path on the data branch, appended and pushed in one commit (on a
    lost race re-run on the new content, so the ledger entry is re-chained onto the head
    another writer pushed)."""
    from lumen.statefiles import append_records

    event = deploy_event(record)
    append_records(
        state,
        lines={deploys: json.dumps(event, separators=(",", ":"), ensure_ascii=False)},
        ledger=None if not ledger else (ledger, {"type": "deploy", "event": event}),
        message=f"lumen record: {event['action']} {event['version']} of {event['service']} "
        f"to {event['env']} ({event['result']})",
    )
    return event
