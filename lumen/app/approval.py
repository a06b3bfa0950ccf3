"""The approval quorum (docs/reference.md#approval) as a use case: count the allowlisted approving
reviews of a pull request or a pending deployment, and guard an action (publishing, flipback
execute) on it.

Takes resolved inputs; `lumen approval` and the commands that take `--require-approval` build
them from their flags (lumen.commands.options).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gates.errors import LumenError, UsageError
from gates.result import GateResult, Verdict
from lumen.actions_runtime import GitHubContext


@dataclass(frozen=True)
class ApprovalRequest:
    """Whose reviews count, where, and how many are needed."""

    repository: str | None
    allowlist: Sequence[str]
    severity: str
    # approvals needed per severity (`approval.min`), and a flag's override
    quorum: Mapping[str, int]
    minimum: int | None
    dismiss_stale: bool
    pr: int | None
    environment: str | None
    run_id: int | None
    env: str | None
    service: str | None
    now: datetime


def evaluate(request: ApprovalRequest, ctx: GitHubContext) -> GateResult:
    """The approval GateResult: reviews read from GitHub, counted by gates.approval."""
    from gates.approval import decide_quorum, required_for, to_result
    from gates.timeutil import format_timestamp
    from lumen.adapters.github.api import split_repo
    from lumen.adapters.github.reviews import (
        Allowlist,
        deployment_approvals,
        new_client,
        pull_reviews,
    )

    repository = request.repository or ctx.repository
    split_repo(repository)
    gh = new_client()
    allowlist = Allowlist(request.allowlist, gh)
    if not allowlist:
        raise UsageError(
            "no allowlist: give --allowlist USER|ORG/TEAM or approval.allowlist in the config"
        )
    try:
        required = required_for(request.severity, request.quorum, request.minimum)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    head_sha = author = None
    target: dict[str, object]
    if request.environment:
        run_id = request.run_id or (int(ctx.run_id) if ctx.run_id else None)
        if not run_id:
            raise UsageError("--environment needs --run-id (or GITHUB_RUN_ID)")
        reviews = deployment_approvals(gh, str(repository), run_id, request.environment)
        target = {"environment": request.environment, "run_id": run_id}
    else:
        number = request.pr or ctx.pull_request_number()
        if not number:
            raise UsageError("no pull request: give --pr N (or run on a pull_request event)")
        reviews, head_sha, author = pull_reviews(gh, str(repository), number)
        target = {"pr": number}
    decision = decide_quorum(
        reviews,
        allowed=allowlist.allows,
        required=required,
        head_sha=head_sha,
        dismiss_stale=request.dismiss_stale,
        author=author,
    )
    inputs = {
        "repository": repository,
        **target,
        "env": request.env,
        "service": request.service,
        "allowlist": sorted(allowlist.users) + [f"{o}/{t}" for o, t in allowlist.teams],
    }
    return to_result(
        decision,
        severity=request.severity,
        inputs=inputs,
        generated_at=format_timestamp(request.now),
    )


def require_quorum(
    request: ApprovalRequest, ctx: GitHubContext, *, refused: str, unchanged: str
) -> None:
    """Raise "<refused>: approval quorum not met (…); <unchanged>" unless the quorum is met."""
    result = evaluate(request, ctx)
    if result.verdict is not Verdict.PASS:
        reasons = "; ".join(c.reason for c in result.checks if c.verdict is not Verdict.PASS)
        raise LumenError(f"{refused}: approval quorum not met ({reasons}); {unchanged}")
