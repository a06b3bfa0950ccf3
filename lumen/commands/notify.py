"""Send a gate result to Slack, Discord or a signed JSON webhook."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--result", metavar="RESULT_JSON", help="gate result JSON")
    parser.add_argument("--slack", metavar="URL", help="Slack incoming webhook URL")
    parser.add_argument("--discord", metavar="URL", help="Discord webhook URL")
    parser.add_argument("--webhook", metavar="URL", help="generic JSON webhook URL (HMAC-signed)")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
