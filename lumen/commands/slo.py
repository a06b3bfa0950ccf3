"""SLO gate: error rate and multi-window burn rates (spec §5)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prometheus", metavar="URL", help="Prometheus base URL")
    parser.add_argument(
        "--errors", metavar="PROMQL", help="errors query with a $window placeholder"
    )
    parser.add_argument(
        "--requests", metavar="PROMQL", help="requests query with a $window placeholder"
    )
    parser.add_argument(
        "--samples", metavar="PATH", help="error/request samples JSON instead of Prometheus"
    )
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
