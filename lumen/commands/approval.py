"""Approval gate: a quorum of allowlisted approving reviews (spec §6b)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pr", type=int, metavar="N", help="pull request number (default: from the event)"
    )
    parser.add_argument(
        "--min", type=int, metavar="N", help="approvals needed (default by severity)"
    )
    parser.add_argument(
        "--allowlist", action="append", metavar="USER|ORG/TEAM", help="who may approve"
    )
    parser.add_argument("--severity", choices=["normal", "critical"], help="default normal")
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
