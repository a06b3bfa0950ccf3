"""Write a commented .github/lumen.yml and the starter workflows into a repository."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
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
        "--workflows",
        type=workflow_list,
        metavar="NAMES",
        help=f"starter workflows to write, comma-separated from {','.join(STARTERS)}"
        f" (default: {DEFAULT_STARTERS[0]})",
    )
    parser.add_argument(
        "--no-workflows",
        action="store_true",
        help="write only the config, not the starter workflows",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


# Starter names as `--workflows` takes them (workflows/starters/lumen-<name>.yml).
STARTERS = ("pr-gate", "nightly", "release", "flipback", "comment")
# The PR gate is the one a team needs on day one; the others are asked for.
DEFAULT_STARTERS = ("pr-gate",)


def workflow_list(text: str) -> tuple[str, ...]:
    """argparse type of --workflows: known starter names, comma-separated."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in STARTERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown starter {', '.join(unknown) or '(none)'}: choose from {','.join(STARTERS)}"
        )
    return names


def planned_files(root: Path, *, workflows: Sequence[str]) -> list[tuple[Path, Path]]:
    """(source, destination) pairs: the config template and the chosen starter workflows."""
    pairs = [(policy_path("templates", "lumen.yml"), root / ".github" / "lumen.yml")]
    for name in workflows:
        try:
            source = shipped_path("workflows", "starters", f"lumen-{name}.yml")
        except FileNotFoundError:
            source = None
        if source is None or not source.is_file():
            raise LumenError(
                f"this installation ships no starter workflow {name}", hint="use --no-workflows"
            )
        pairs.append((source, root / ".github" / "workflows" / source.name))
    return pairs


NEXT_STEPS = """\
Next steps:
  1. Commit .github/ and open a pull request: the PR gate reads this repository's GitHub
     activity (workflow runs, deployments, issues labelled incident) and judges the recent
     days against its own history. No data file is needed.
  2. Permissions: the starter grants its job contents: read, actions: read, deployments: read,
     checks: write, issues: write and pull-requests: write. If your organisation limits the
     GITHUB_TOKEN to read-only, allow these for the workflow.
  3. Required check: once it has run, require the check "Lumen gates" in branch protection
     (or the ruleset); the starter also runs on merge_group for merge queues. If you accept
     pull requests from forks, add the comment starter (--workflows pr-gate,comment) and
     require "lumen/integrated" too: a fork's "Lumen gates" job runs the fork's copy of the
     workflow, while lumen/integrated is judged in this repository (docs/workflows.md).
  4. State between runs: the nightly, release and flipback starters (--workflows) keep
     their verdicts, flipbacks and deploy events on the data branch {branch} of this
     repository (created on the first write; `lumen state show` lists it), so those jobs get
     contents: write; the PR gate only reads. To keep nothing, pass state: "" in the
     starter's with: (an empty input means "as the config's state: says", and the config
     written here has none; contents: read is then enough). See docs/day-one.md.
"""


def run(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"--dir {args.dir!r} is not a directory")
    if args.no_workflows and args.workflows:
        raise UsageError("--workflows and --no-workflows: choose one")
    chosen = () if args.no_workflows else (args.workflows or DEFAULT_STARTERS)
    pairs = planned_files(root, workflows=chosen)
    existing = [dest for _, dest in pairs if dest.exists()]
    if existing and not args.force:
        names = ", ".join(str(p) for p in existing)
        raise UsageError(f"would overwrite {names}; pass --force to replace them")
    for source, dest in pairs:
        atomic_write(dest, source.read_bytes())
        if not args.quiet:
            print(f"wrote {dest}")
    if not args.quiet:
        from lumen.settings import default_text

        print()
        print(NEXT_STEPS.format(branch=default_text("state", "branch")), end="")
    return 0
