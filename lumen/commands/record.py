"""Append a deploy event to a JSONL log (safe under concurrent writers).

The use case is lumen.app.record; this module turns the flags into its record and prints.
"""

from __future__ import annotations

import argparse

from gates.errors import UsageError
from gates.roi import DeployEvent
from gates.timeutil import parse_timestamp
from lumen.app.record import record_deploy
from lumen.commands.common import (
    ON_DATA_BRANCH,
    add_common,
    add_state_argument,
    config_of,
    env_service,
    now_of,
    state_of,
)
from lumen.outputs import JSON, Output, publish

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (Output("id", "id of the recorded event"), JSON)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deploys", metavar="PATH", help=f"deploy events JSONL to append to; {ON_DATA_BRANCH}"
    )
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
    add_state_argument(parser, "--deploys and --ledger")


def deploy_record(args: argparse.Namespace) -> DeployEvent:
    """The record the flags describe; every required field is named when missing."""
    env, service = env_service(args)
    required = {
        "--deploys": args.deploys,
        "--env": env,
        "--service": service,
        "--action": args.action,
        "--version": args.event_version,
        "--result": args.result,
    }
    missing = [flag for flag, value in required.items() if not value]
    if missing:
        raise UsageError(f"`lumen record` needs {', '.join(missing)}")
    assert env is not None and service is not None
    return DeployEvent(
        ts=parse_timestamp(args.ts, field="--ts") if args.ts else now_of(args),
        env=env,
        service=service,
        action=args.action,
        version=args.event_version,
        result=args.result,
        id=args.event_id,
        author=args.author,
        notes=args.notes,
        commit=args.commit,
        commit_ts=parse_timestamp(args.commit_ts, field="--commit-ts") if args.commit_ts else None,
        duration_s=args.duration_s,
        digest=args.digest,
        bundle=args.bundle,
    )


def run(args: argparse.Namespace) -> int:
    config_of(args)  # a broken config is an error even though record reads no thresholds
    event = record_deploy(deploy_record(args), args.deploys, args.ledger, state=state_of(args))
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
