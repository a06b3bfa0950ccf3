"""Release notes from merged pull requests, with a gate snapshot (spec §8)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prs-json", metavar="PATH", help="JSON list of PRs (offline)")
    parser.add_argument("--github", metavar="OWNER/REPO", help="read PRs from GitHub")
    parser.add_argument("--previous-tag", metavar="T", help="previous release tag")
    parser.add_argument("--tag", metavar="T", help="the new tag")
    parser.add_argument("--output", metavar="PATH", help="where to write the notes")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
