"""Loop sampler: compute every signal and push it to a Pushgateway (spec §7)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", metavar="PATH", help="loop events JSONL")
    parser.add_argument("--deploys", metavar="PATH", help="deploy events JSONL")
    parser.add_argument("--prometheus", metavar="URL", help="Prometheus base URL")
    parser.add_argument("--pushgateway", metavar="URL", help="Pushgateway base URL")
    parser.add_argument("--textfile", metavar="PATH", help="write a node_exporter textfile instead")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
