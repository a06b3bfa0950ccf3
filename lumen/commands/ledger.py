"""Append to or verify the hash-chained decision ledger (docs/reference.md#ledger)."""

from __future__ import annotations

import argparse
import json

from gates.errors import InputError
from lumen import ledger
from lumen.commands.common import add_state_argument, state_of
from lumen.outputs import JSON

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (JSON,)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["append", "verify"], help="append an entry or verify the chain"
    )
    parser.add_argument("path", metavar="PATH", help="ledger JSONL file")
    parser.add_argument("--entry", metavar="JSON", help="the entry to append (a JSON object)")
    parser.add_argument(
        "--head",
        metavar="HASH",
        help="expected head (SHA-256 of the last line, the `ledger_head` of the last "
        "result JSON): catches a cut-off tail",
    )
    parser.add_argument("--json", metavar="PATH", help="write the verification report as JSON")
    # Only the flag: with the config's `state:` a PATH here is often a pulled local copy.
    add_state_argument(parser, "PATH", empty="a local file, whatever the config's state: says")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    if args.action == "append":
        if not args.entry:
            raise InputError("`lumen ledger append` needs --entry JSON", field="--entry")
        try:
            entry = json.loads(args.entry)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg})", field="--entry", expected="a JSON object"
            ) from None
        if not isinstance(entry, dict):
            raise InputError("must be a JSON object", field="--entry", expected='{"type": ...}')
        state = state_of(args) if (args.state or "").strip() else None
        from lumen.statefiles import append_ledger

        head = append_ledger(args.path, entry, state, message="lumen ledger append")
        if not args.quiet:
            print(head)
        return 0
    report = _verify(args)
    if args.json:
        from lumen.fileio import write_json

        write_json(
            args.json,
            {
                "ok": report.ok,
                "entries": report.entries,
                "head": report.head,
                "problem": report.problem,
                "line": report.line,
            },
        )
    if report.ok:
        if not args.quiet:
            print(f"{args.path}: OK, {report.entries} entries, head {report.head}")
        return 0
    where = f":{report.line}" if report.line else ""
    raise InputError(f"ledger verification failed at {args.path}{where}: {report.problem}")


def _verify(args: argparse.Namespace) -> ledger.VerifyReport:
    """Verify the local file, or with --state the file on the data branch (fetched only)."""
    if not (args.state or "").strip():
        return ledger.verify(args.path, head=args.head)
    import os

    from lumen.statefiles import readable

    state = state_of(args)
    assert state is not None
    with readable(args.path, state) as local:
        if not os.path.exists(local):
            raise InputError(
                f"no ledger at this path on branch {state.branch!r} of remote {state.remote!r}",
                file=args.path,
            )
        return ledger.verify(local, head=args.head)
