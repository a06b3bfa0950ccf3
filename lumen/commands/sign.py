"""Sign files keylessly with Sigstore (bundles written as FILE.sigstore.json)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to sign")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
