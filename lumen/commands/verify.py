"""Verify a Sigstore bundle against an identity policy."""

from __future__ import annotations

import argparse

from lumen.cli import not_implemented
from lumen.commands.common import add_common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", metavar="B", help="bundle (default FILE.sigstore.json)")
    parser.add_argument("--repository", metavar="OWNER/REPO", help="GitHub repository that signed")
    parser.add_argument(
        "--ref", metavar="REF", help="git ref (short refs are matched as tags or branches)"
    )
    parser.add_argument("--workflow", metavar="NAME", help="workflow name")
    parser.add_argument("--identity", metavar="ID", help="certificate identity")
    parser.add_argument("--issuer", metavar="URL", help="OIDC issuer")
    parser.add_argument("file", nargs="?", metavar="FILE", help="the signed file")
    add_common(parser, gate=False)


def run(args: argparse.Namespace) -> int:
    return not_implemented(args)
