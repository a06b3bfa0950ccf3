"""Sticky PR comment, do-not-merge label and check run for a gate result."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--result", metavar="RESULT_JSON", help="gate result JSON")
    parser.add_argument(
        "--pr", type=int, metavar="N", help="pull request number (default: from the event)"
    )
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
