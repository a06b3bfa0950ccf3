"""Resonance gate over a loop metrics snapshot (spec §7)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--snapshot", metavar="METRICS_JSON", help="metrics snapshot JSON")
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
