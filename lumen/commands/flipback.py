"""Return to the last known-good version: plan (dry run) or execute (spec §8)."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "mode", nargs="?", choices=["plan", "execute"], default="plan", help="default plan"
    )
    parser.add_argument(
        "--platform",
        choices=["github", "helm", "argo-rollouts", "argocd", "none"],
        help="where to flip back",
    )
    parser.add_argument("--deploys", metavar="PATH", help="deploy events JSONL")
    parser.add_argument("--target", metavar="previous|VERSION", help="default previous")
    parser.add_argument("--confirm", metavar="yes", help="must be 'yes' to execute")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
