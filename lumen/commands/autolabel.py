"""Label a pull request from its files, branch, title and body, by release-drafter's
`autolabeler:` rules, so the notes' categories have labels to work on."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gates.errors import InputError, UsageError
from lumen import actions_runtime as gha
from lumen.commands.common import drafter_config_of
from lumen.fileio import display_name, parse_json, read_json, read_text
from lumen.outputs import JSON, Output, publish

if TYPE_CHECKING:
    from release.drafter_autolabel import PullRequestFacts

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    Output("labels", "comma-separated labels the rules give the PR"),
    Output("added", "comma-separated labels added now (not already on the PR)"),
    JSON,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drafter-config",
        metavar="PATH",
        help="release-drafter config with the autolabeler rules (default: notes.drafter-config, "
        "else .github/release-drafter.yml)",
    )
    parser.add_argument(
        "--github", metavar="OWNER/REPO", help="read the PR and add the labels on GitHub"
    )
    parser.add_argument(
        "--pr", type=int, metavar="N", help="pull request (default: from the event)"
    )
    parser.add_argument(
        "--pr-json",
        metavar="PATH",
        help="offline: the PR as GitHub's REST API returns it (head.ref, title, body, labels)",
    )
    parser.add_argument(
        "--files",
        metavar="PATH",
        help="offline: the PR's changed files, one per line (or a JSON list)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the labels, add nothing")
    parser.add_argument("--config", metavar="PATH", help="config file (default: .github/lumen.yml)")
    parser.add_argument("--json", metavar="PATH", help="write labels, added and matches as JSON")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _config_path(args: argparse.Namespace) -> str:
    from lumen.app.drafter import DEFAULT_DRAFTER_CONFIG

    return drafter_config_of(args) or DEFAULT_DRAFTER_CONFIG


def _offline_facts(args: argparse.Namespace) -> tuple[PullRequestFacts, list[str]]:
    from release.drafter_autolabel import PullRequestFacts

    pr = read_json(args.pr_json)
    if not isinstance(pr, dict):
        raise InputError("expected a pull request object", file=args.pr_json)
    head = pr["head"] if isinstance(pr.get("head"), dict) else {}
    branch = str(pr.get("headRefName") or head.get("ref") or "")
    files: list[str] = []
    if args.files:
        text = read_text(args.files)
        if text.strip().startswith("["):
            loaded = parse_json(text, display_name(args.files))
            files = [str(f.get("filename") if isinstance(f, dict) else f) for f in loaded]
        else:
            files = [line.strip() for line in text.splitlines() if line.strip()]
    labels = pr.get("labels") or []
    current = [str(lb.get("name") if isinstance(lb, dict) else lb) for lb in labels]
    facts = PullRequestFacts(branch, str(pr.get("title") or ""), pr.get("body"), tuple(files))
    return facts, current


def run(args: argparse.Namespace) -> int:
    from lumen.app import autolabel as app
    from lumen.app.drafter import load_config

    if bool(args.github) == bool(args.pr_json):
        raise UsageError("give exactly one of --github OWNER/REPO or --pr-json PATH")
    path = _config_path(args)
    fetch = None
    if args.github:
        from lumen.adapters.github.history import fetch_file

        fetch = fetch_file
    config = load_config(path, repository=args.github, fetch=fetch)
    for warning in config.warnings:
        print(f"lumen autolabel: {path}: {warning}", file=sys.stderr)
    number = None
    if args.github:
        from lumen.adapters.github.history import read_pull_request

        number = args.pr or gha.GitHubContext.from_env().pull_request_number()
        if number is None:
            raise UsageError("no pull request: not a pull_request event and no --pr")
        facts, current = read_pull_request(args.github, number)
    else:
        facts, current = _offline_facts(args)
    result = app.run(config, facts, current_labels=current, config_file=path)
    added: list[str] = []
    if args.github and not args.dry_run and number is not None:
        from lumen.adapters.github.history import add_labels

        added = [label for label in result.labels if label not in result.already]
        add_labels(args.github, number, added)
    document = {**result.as_json(), "added": added, "pr": number}
    if args.json:
        from lumen.fileio import write_json

        write_json(args.json, document)
    if not args.quiet:
        if result.matches:
            for match in result.matches:
                state = "added" if match.label in added else "matched"
                print(f"{match.label}: {state} ({match.source}: {match.detail})")
        else:
            print("no autolabeler rule matched")
    publish(
        OUTPUTS,
        {"labels": ",".join(result.labels), "added": ",".join(added)},
        json_path=args.json,
    )
    return 0
