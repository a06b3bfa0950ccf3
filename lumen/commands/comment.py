"""Sticky PR comment, do-not-merge label and check run for a gate result
(docs/reference.md#comment)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from gates.errors import UsageError
from lumen import actions_runtime as gha
from lumen.commands.common import add_state_argument, config_of, state_of
from lumen.outputs import Output, publish, verdict_output
from lumen.report import read_result
from lumen.settings import default_of, required

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    verdict_output("of the result commented on"),
    Output("comment-id", "id of the sticky comment (empty when it could not be written)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--result", metavar="RESULT_JSON", help="gate result JSON (required)")
    parser.add_argument(
        "--pr", type=int, metavar="N", help="pull request (default: from the event)"
    )
    parser.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    parser.add_argument(
        "--sha", metavar="SHA", help="commit for the check run (default: the PR head)"
    )
    parser.add_argument(
        "--label",
        metavar="NAME",
        help=f"label added on FAIL and removed on PASS ({default_of('comment', 'label')})",
    )
    parser.add_argument("--no-label", action="store_true", help="do not touch labels")
    parser.add_argument(
        "--check-name", metavar="NAME", help="check run name (default: lumen/<gate>)"
    )
    parser.add_argument("--no-check", action="store_true", help="do not publish a check run")
    parser.add_argument(
        "--key", metavar="KEY", help="separates several sticky comments of one gate (e.g. prod-api)"
    )
    parser.add_argument(
        "--history",
        metavar="PATH",
        help="JSONL of earlier results or a ledger: charted in the comment",
    )
    add_state_argument(parser, "--history")
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        help="also write the comment's Markdown to PATH (works without GitHub)",
    )
    parser.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when the result is FAIL (report only)"
    )
    parser.add_argument("--config", metavar="PATH", help="config file (default: .github/lumen.yml)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    from lumen.app import comment
    from lumen.reporting.comment import verdict_of

    if not args.result:
        raise UsageError("--result RESULT_JSON is required")
    result: Any = read_result(args.result)
    settings = config_of(args).section("comment")
    gate = str(result.get("gate", "gate"))
    verdict = verdict_of(result)
    ctx = gha.GitHubContext.from_env()
    body = comment.comment_body(
        result,
        key=args.key,
        history=args.history,
        run_url=ctx.run_url(),
        state=state_of(args) if args.history else None,
    )
    gha.add_summary(body)
    if args.markdown:
        from lumen.fileio import atomic_write

        atomic_write(args.markdown, body)
    exit_code = 2 if verdict == "FAIL" and not args.exit_zero else 0
    repository = args.repository or ctx.repository
    number = args.pr or ctx.pull_request_number()
    if not repository or not number:
        message = "no pull request to comment on (not a pull_request event and no --pr)"
        if gha.in_actions():
            gha.annotate(
                "warning", message + "; the result is in the job summary", title="lumen comment"
            )
        elif not args.quiet:
            print(message)
            print(body)
        return exit_code
    outcome = comment.report_on_pr(
        repository,
        number,
        result,
        body,
        key=args.key,
        label=None if args.no_label else str(args.label or required(settings, "comment", "label")),
        check_name=None if args.no_check else (args.check_name or f"lumen/{gate}"),
        sha=args.sha,
    )
    if outcome.refused:
        message = comment.refused_message(outcome.refused)
        if gha.in_actions():
            gha.annotate("warning", message, title="lumen comment")
        else:
            print(f"warning: {message}")
    summary = {
        "comment_id": outcome.comment_id,
        "comment": outcome.comment_action,
        "label": outcome.label_action,
        "check": outcome.check,
        "refused": outcome.refused,
        "verdict": verdict,
    }
    if not args.quiet:
        print(json.dumps(summary))
    publish(OUTPUTS, {"verdict": verdict, "comment-id": str(outcome.comment_id or "")})
    return exit_code
