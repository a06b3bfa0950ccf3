"""Append a deploy event to a JSONL log (safe under concurrent writers)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--deploys", metavar="PATH", help="deploy events JSONL to append to")
    parser.add_argument("--action", choices=["deploy", "rollback", "flipback"], help="event action")
    parser.add_argument("--version", dest="event_version", metavar="V", help="deployed version")
    parser.add_argument("--result", choices=["success", "failure"], help="outcome")
    parser.add_argument("--author", metavar="A", help="who deployed")
    parser.add_argument("--notes", metavar="N", help="free text")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
