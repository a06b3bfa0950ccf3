"""Check a config file against the schema (`lumen config check [PATH]`)."""

from __future__ import annotations

import argparse

from gates.errors import ConfigError
from lumen.config import DEFAULT_PATH, load_config
from lumen.outputs import Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS: tuple[Output, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["check"], help="what to do (check)")
    parser.add_argument(
        "path",
        nargs="?",
        default=None,
        metavar="PATH",
        help=f"config file (default {DEFAULT_PATH})",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    path = args.path or DEFAULT_PATH
    config = load_config(path, required=True)
    if config.file is None:  # pragma: no cover - load_config(required=True) raises instead
        raise ConfigError("config file not found", file=path)
    if not args.quiet:
        keys = ", ".join(sorted(config.data)) or "(empty)"
        print(f"{path}: OK ({keys})")
    return 0
