"""Show, pull or push the state kept on the data branch (config `state:`, docs/reference.md#state).

lumen state show                 # files on the branch and their sizes
lumen state pull --dir .lumen    # copy them into a directory
lumen state push ledger.jsonl    # write local files to the same paths on the branch
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gates.errors import UsageError
from lumen.commands.common import add_state_argument, settings_of, state_of
from lumen.outputs import Output

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS: tuple[Output, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["show", "pull", "push"], help="what to do")
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="push: local files, written to the same paths"
    )
    parser.add_argument(
        "--dir", default=".", metavar="DIR", help="pull: directory to copy into (default: .)"
    )
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: .github/lumen.yml when present)"
    )
    add_state_argument(parser, "the files")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    from lumen.adapters.git_state import StateLocation, branch_path
    from lumen.app import state as app

    state = settings_of(args, {}).state()
    # `lumen state` works on the shipped default branch even without a `state:` section.
    location = state_of(args) or StateLocation(Path.cwd(), branch=state.branch, remote=state.remote)
    where = f"{location.remote}/{location.branch}"
    if args.action != "push" and args.paths:
        raise UsageError(f"`lumen state {args.action}` takes no PATH")
    if args.action == "show":
        sizes = app.show(location)
        if not args.quiet:
            if not sizes:
                print(f"{where}: no data branch yet")
            for path, size in sorted(sizes.items()):
                print(f"{size:>10,}  {path}")
        return 0
    if args.action == "pull":
        written = app.pull(location, Path(args.dir))
        if not args.quiet:
            print(f"pulled {len(written)} file(s) from {where} into {args.dir}")
        return 0
    if not args.paths:
        raise UsageError("`lumen state push` needs the files to push: lumen state push PATH...")
    files = {branch_path(path): Path(path).resolve() for path in args.paths}
    for path, local in files.items():
        if not local.is_file():
            raise UsageError(f"{local}: no such file to push (as {path})")
    commit = app.push(location, files)
    if not args.quiet:
        print(f"pushed {', '.join(sorted(files))} to {where} ({commit[:12]})")
    return 0
