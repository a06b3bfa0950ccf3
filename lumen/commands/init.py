"""Write a commented .github/lumen.yml and the starter workflows into a repository."""

from __future__ import annotations

import argparse
from pathlib import Path

from gates.errors import LumenError, UsageError
from lumen.fileio import atomic_write
from lumen.outputs import Output
from lumen.resources import policy_path, shipped_path

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS: tuple[Output, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir", default=".", metavar="DIR", help="repository root to write into (default: .)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.add_argument(
        "--no-workflows",
        action="store_true",
        help="write only the config, not the starter workflows",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def planned_files(root: Path, *, workflows: bool) -> list[tuple[Path, Path]]:
    """(source, destination) pairs: the config template and every starter workflow."""
    pairs = [(policy_path("templates", "lumen.yml"), root / ".github" / "lumen.yml")]
    if workflows:
        try:
            starters = sorted(shipped_path("workflows", "starters").glob("*.yml"))
        except FileNotFoundError:
            starters = []
        if not starters:
            raise LumenError(
                "this installation ships no starter workflows", hint="use --no-workflows"
            )
        for source in starters:
            pairs.append((source, root / ".github" / "workflows" / source.name))
    return pairs


def run(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"--dir {args.dir!r} is not a directory")
    pairs = planned_files(root, workflows=not args.no_workflows)
    existing = [dest for _, dest in pairs if dest.exists()]
    if existing and not args.force:
        names = ", ".join(str(p) for p in existing)
        raise UsageError(f"would overwrite {names}; pass --force to replace them")
    for source, dest in pairs:
        atomic_write(dest, source.read_bytes())
        if not args.quiet:
            print(f"wrote {dest}")
    return 0
