"""ROI gate and DORA figures over deploy events (spec §4)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--deploys", metavar="PATH", help="deploy events JSONL file")
    parser.add_argument("--github", metavar="OWNER/REPO", help="read GitHub Deployments instead")
    parser.add_argument("--window", metavar="DURATION", help="window (default 90d)")
    parser.add_argument("--min-success-rate", type=float, metavar="X", help="default 0.80")
    parser.add_argument("--max-rollback-rate", type=float, metavar="X", help="default 0.20")
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
