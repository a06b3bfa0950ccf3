"""Policy gate: PromQL rule packs, Rego document policies and schema rules (spec §6)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pack", action="append", metavar="PATH", help="metric rule pack YAML (repeatable)"
    )
    parser.add_argument("--prometheus", metavar="URL", help="Prometheus base URL")
    parser.add_argument(
        "--rego", action="append", metavar="DIR", help="Rego policy folder (repeatable)"
    )
    parser.add_argument(
        "--namespace", action="append", metavar="NS", help="Rego package (default main)"
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="documents to check")
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
