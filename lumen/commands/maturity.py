"""Maturity gate: the Sense/Feedback/Release spectrum of loop events (spec §3)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", metavar="PATH", help="loop events JSONL file, or - for stdin")
    parser.add_argument(
        "--window", action="append", metavar="DURATION", help="window, repeatable (default 24h)"
    )
    parser.add_argument("--compare", metavar="PREV_JSON", help="previous result JSON for the trend")
    parser.add_argument(
        "--min-overall", type=float, metavar="X", help="minimum overall (default 0.60)"
    )
    parser.add_argument(
        "--min-band", type=float, metavar="X", help="minimum of each band (default 0.50)"
    )
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
