"""Approval gate: a quorum of allowlisted approving reviews (docs/reference.md#approval)."""

from __future__ import annotations

import argparse

from lumen.commands.common import add_common, state_of
from lumen.commands.options import approval_request
from lumen.outputs import GATE, Output
from lumen.settings import default_of, default_text

# The step outputs this command writes in Actions (and its action.yml declares).
OUTPUTS = (
    *GATE,
    Output("approvals", "number of counted approvals"),
    Output("approved-by", "the counted approvers, comma-separated"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pr", type=int, metavar="N", help="pull request (default: from the event)"
    )
    parser.add_argument(
        "--environment",
        metavar="NAME",
        help="count the pending deployment review of this environment instead "
        "(with --run-id, default GITHUB_RUN_ID)",
    )
    parser.add_argument(
        "--run-id", type=int, metavar="ID", help="workflow run of the deployment review"
    )
    parser.add_argument(
        "--min",
        type=int,
        metavar="N",
        help=f"approvals needed (default by severity: {default_text('approval', 'min')})",
    )
    parser.add_argument(
        "--allowlist",
        action="append",
        metavar="USER|ORG/TEAM",
        help="who may approve: logins and org/team slugs (repeatable, or comma-separated)",
    )
    parser.add_argument(
        "--severity", choices=["normal", "critical"], help=default_of("approval", "severity")
    )
    parser.add_argument(
        "--dismiss-stale",
        action="store_true",
        help="ignore reviews of an older commit than the PR head",
    )
    parser.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    add_common(parser, gate=True)


def run(args: argparse.Namespace) -> int:
    from lumen.actions_runtime import GitHubContext
    from lumen.app.approval import evaluate
    from lumen.report import emit

    result = evaluate(approval_request(args), GitHubContext.from_env())
    approval = result.values["approval"]
    return emit(
        result,
        args,
        OUTPUTS,
        {
            "approvals": len(approval["approved_by"]),
            "approved-by": ",".join(approval["approved_by"]),
        },
        state=state_of(args),
    )
