"""Append a deploy event to a JSONL log (safe under concurrent writers).

One locked, fsynced append per event (`lumen.fileio.append_line`), so parallel jobs recording
into the same log never interleave or lose a line. Every event gets an `id` (a UUID unless
given), so a retried step that records twice is counted once by the readers.
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

from gates.errors import UsageError
from gates.timeutil import format_timestamp, parse_timestamp
from lumen.commands.common import add_common, config_of, env_service, now_of
from lumen.outputs import JSON, Output, publish

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (Output("id", "id of the recorded event"), JSON)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--deploys", metavar="PATH", help="deploy events JSONL to append to")
    parser.add_argument("--action", choices=["deploy", "rollback", "flipback"], help="event action")
    parser.add_argument("--version", dest="event_version", metavar="V", help="deployed version")
    parser.add_argument("--result", choices=["success", "failure"], help="outcome")
    parser.add_argument("--author", metavar="A", help="who deployed")
    parser.add_argument("--notes", metavar="N", help="free text")
    parser.add_argument("--commit", metavar="SHA", help="deployed commit")
    parser.add_argument(
        "--commit-ts", metavar="TS", help="when the commit was made (RFC 3339; for lead time)"
    )
    parser.add_argument("--duration-s", type=float, metavar="S", help="deploy duration, seconds")
    parser.add_argument("--digest", metavar="DIGEST", help="artifact digest (sha256:…)")
    parser.add_argument("--bundle", metavar="PATH", help="Sigstore bundle of the artifact")
    parser.add_argument("--id", dest="event_id", metavar="ID", help="event id (default: a UUID)")
    parser.add_argument(
        "--ts", metavar="TS", help="event time (RFC 3339; default --now or the current time)"
    )
    parser.add_argument("--ledger", metavar="PATH", help="also append the event to this ledger")
    add_common(parser, gate=False)


def build_event(args: argparse.Namespace) -> dict[str, Any]:
    env, service = env_service(args)
    missing = [
        flag
        for flag, value in (
            ("--deploys", args.deploys),
            ("--env", env),
            ("--service", service),
            ("--action", args.action),
            ("--version", args.event_version),
            ("--result", args.result),
        )
        if not value
    ]
    if missing:
        raise UsageError(f"`lumen record` needs {', '.join(missing)}")
    ts = parse_timestamp(args.ts, field="--ts") if args.ts else now_of(args)
    event: dict[str, Any] = {
        "ts": format_timestamp(ts),
        "env": env,
        "service": service,
        "action": args.action,
        "version": args.event_version,
        "result": args.result,
        "id": args.event_id or str(uuid.uuid4()),
    }
    optional = {
        "author": args.author,
        "notes": args.notes,
        "commit": args.commit,
        "duration_s": args.duration_s,
        "digest": args.digest,
        "bundle": args.bundle,
    }
    if args.commit_ts:
        optional["commit_ts"] = format_timestamp(
            parse_timestamp(args.commit_ts, field="--commit-ts")
        )
    event.update({k: v for k, v in optional.items() if v is not None})
    from lumen.schema import validate

    validate("deploy-event.schema.json", event, file="<lumen record>")
    return event


def run(args: argparse.Namespace) -> int:
    from lumen.fileio import append_line

    config_of(args)  # a broken config is an error even though record reads no thresholds
    event = build_event(args)
    append_line(args.deploys, json.dumps(event, separators=(",", ":"), ensure_ascii=False))
    if args.ledger:
        from lumen.ledger import append

        append(args.ledger, {"type": "deploy", "event": event})
    if args.json:
        from lumen.fileio import write_json

        write_json(args.json, event)
    if not args.quiet:
        print(
            f"recorded {event['action']} {event['version']} of {event['service']} to "
            f"{event['env']}: {event['result']} ({args.deploys}, id {event['id']})"
        )
    publish(OUTPUTS, {"id": event["id"]}, json_path=args.json)
    return 0
