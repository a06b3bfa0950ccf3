"""Approval gate: a quorum of allowlisted approving reviews (spec §6b)."""

from __future__ import annotations

import argparse
from typing import Any

from gates.errors import LumenError, UsageError
from lumen.commands.common import add_common, config_of, now_of
from lumen.outputs import GATE, Output

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
        help="approvals needed (default by severity: normal 1, critical 2)",
    )
    parser.add_argument(
        "--allowlist",
        action="append",
        metavar="USER|ORG/TEAM",
        help="who may approve: logins and org/team slugs (repeatable, or comma-separated)",
    )
    parser.add_argument("--severity", choices=["normal", "critical"], help="default normal")
    parser.add_argument(
        "--dismiss-stale",
        action="store_true",
        help="ignore reviews of an older commit than the PR head",
    )
    parser.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    add_common(parser, gate=True)


def evaluate(args: argparse.Namespace) -> Any:
    """The approval GateResult for these arguments (also used by --require-approval)."""
    from gates.approval import decide_quorum, required_for, to_result
    from gates.timeutil import format_timestamp
    from lumen import actions_runtime as gha
    from lumen.adapters.github.api import split_repo
    from lumen.adapters.github.reviews import (
        Allowlist,
        deployment_approvals,
        new_client,
        pull_reviews,
    )

    settings = config_of(args).resolve(
        "approval",
        {
            "severity": getattr(args, "severity", None),
            "dismiss-stale": True if getattr(args, "dismiss_stale", False) else None,
        },
    )
    severity = str(settings.get("severity") or "normal")
    allowlist_entries = getattr(args, "allowlist", None) or settings.get("allowlist") or []
    ctx = gha.GitHubContext.from_env()
    repository = getattr(args, "repository", None) or ctx.repository
    split_repo(repository)
    gh = new_client()
    allowlist = Allowlist(allowlist_entries, gh)
    if not allowlist:
        raise UsageError(
            "no allowlist: give --allowlist USER|ORG/TEAM or approval.allowlist in the config"
        )
    try:
        required = required_for(severity, settings.get("min"), getattr(args, "min", None))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    head_sha = author = None
    environment = getattr(args, "environment", None)
    if environment:
        run_id = getattr(args, "run_id", None) or (int(ctx.run_id) if ctx.run_id else None)
        if not run_id:
            raise UsageError("--environment needs --run-id (or GITHUB_RUN_ID)")
        reviews = deployment_approvals(gh, str(repository), run_id, environment)
        target = {"environment": environment, "run_id": run_id}
    else:
        number = getattr(args, "pr", None) or ctx.pull_request_number()
        if not number:
            raise UsageError("no pull request: give --pr N (or run on a pull_request event)")
        reviews, head_sha, author = pull_reviews(gh, str(repository), number)
        target = {"pr": number}
    decision = decide_quorum(
        reviews,
        allowed=allowlist.allows,
        required=required,
        head_sha=head_sha,
        dismiss_stale=bool(settings.get("dismiss-stale")),
        author=author,
    )
    env, service = config_of(args).env(getattr(args, "env", None)), getattr(args, "service", None)
    inputs = {
        "repository": repository,
        **target,
        "env": env,
        "service": service,
        "allowlist": sorted(allowlist.users) + [f"{o}/{t}" for o, t in allowlist.teams],
    }
    return to_result(
        decision, severity=severity, inputs=inputs, generated_at=format_timestamp(now_of(args))
    )


def add_require_approval(
    parser: argparse.ArgumentParser, *, guards: str, severity_default: str
) -> None:
    """`--require-approval` with `--pr`, `--allowlist`, `--severity`, for commands that act
    only with a quorum (release publishing, flipback execute; spec §6b)."""
    parser.add_argument(
        "--require-approval",
        action="store_true",
        help=f"{guards} only with an approval quorum (see lumen approval)",
    )
    parser.add_argument("--pr", type=int, metavar="N", help="with --require-approval: the PR")
    parser.add_argument(
        "--allowlist",
        action="append",
        metavar="USER|ORG/TEAM",
        help="with --require-approval: who may approve",
    )
    parser.add_argument(
        "--severity",
        choices=["normal", "critical"],
        help=f"with --require-approval: quorum size (default {severity_default})",
    )


def require_quorum(
    args: argparse.Namespace, *, refused: str, unchanged: str, severity: str | None = None
) -> None:
    """Raise "<refused>: approval quorum not met (…); <unchanged>" unless the quorum is met.
    `severity` is the command's default when --severity is not given (None: the config's)."""
    args.severity = getattr(args, "severity", None) or severity
    args.dismiss_stale = False
    result = evaluate(args)
    if result.verdict.value != "PASS":
        reasons = "; ".join(c.reason for c in result.checks if c.verdict.value != "PASS")
        raise LumenError(f"{refused}: approval quorum not met ({reasons}); {unchanged}")


def run(args: argparse.Namespace) -> int:
    from lumen.report import emit

    result = evaluate(args)
    approval = result.values["approval"]
    return emit(
        result,
        args,
        OUTPUTS,
        {
            "approvals": len(approval["approved_by"]),
            "approved-by": ",".join(approval["approved_by"]),
        },
    )
