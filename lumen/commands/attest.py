"""Sign a DSSE in-toto attestation with Sigstore."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--predicate-type", metavar="URI", help="predicate type URI")
    parser.add_argument("--predicate", metavar="FILE", help="predicate JSON")
    parser.add_argument(
        "subjects", nargs="*", metavar="SUBJECT", help="files the statement is about"
    )
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
