"""CycloneDX 1.6 SBOM from a Python environment, lock files and artifacts (spec §8)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--environment",
        nargs="?",
        const="",
        metavar="PYTHON",
        help="inventory a Python environment",
    )
    parser.add_argument("--requirements", action="append", metavar="FILE", help="requirements file")
    parser.add_argument("--artifact", action="append", metavar="FILE", help="release artifact")
    parser.add_argument("--output", metavar="PATH", help="where to write the SBOM")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
