"""Write a commented .github/lumen.yml and starter workflows."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", default=".", help="repository root to write into (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
