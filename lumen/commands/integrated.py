"""Integrated gate: maturity plus the ROI/SLO composite (spec §5)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", metavar="PATH", help="loop events JSONL")
    parser.add_argument("--deploys", metavar="PATH", help="deploy events JSONL")
    parser.add_argument("--mode", choices=["pre", "post"], help="pre/post comparison")
    parser.add_argument(
        "--compare", metavar="PRE_JSON", help="pre-change result (with --mode post)"
    )
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
