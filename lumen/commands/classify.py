"""Name the failure class of a failed step from its log (docs/reference.md#failure-classes)."""

from __future__ import annotations

import argparse

from gates.failure_class import RETRY_DELAYS_S, classify
from lumen.fileio import display_name, open_text, write_json
from lumen.outputs import JSON, Output, publish

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    Output("class", "the failure class of the log"),
    Output(
        "retryable",
        "`true` when the shipped workflows retry that class (network, external_api), else `false`",
    ),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "log", nargs="?", default="-", metavar="LOGFILE", help="log file, or - for stdin (default)"
    )
    parser.add_argument("--json", metavar="PATH", help="write the classification as JSON")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    with open_text(args.log) as handle:
        text = handle.read()
    result = classify(text)
    document = {
        "class": result.failure_class,
        "retryable": result.retryable,
        "retry_delays_s": list(RETRY_DELAYS_S) if result.retryable else [],
        "matched": result.matched,
        "line": result.line,
        "hint": result.hint,
        "log": display_name(args.log),
    }
    if args.json:
        write_json(args.json, document)
    if not args.quiet:
        retry = " (retryable)" if result.retryable else ""
        print(f"{result.failure_class}{retry}: {result.hint}")
    publish(
        OUTPUTS,
        {"class": result.failure_class, "retryable": "true" if result.retryable else "false"},
        json_path=args.json,
    )
    return 0
