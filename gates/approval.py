"""Approval quorum (docs/reference.md#approval): do enough allowlisted people approve, and does none
of them object? Plain data in, a GateResult out; team membership is resolved by the caller.

GitHub's own rule for a reviewer's state is followed: their latest APPROVED, CHANGES_REQUESTED
or DISMISSED review wins; a later COMMENTED review does not withdraw an approval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from gates.result import Check, GateResult, Verdict

_DECISIVE = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}


@dataclass(frozen=True)
class Review:
    user: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str | None = None
    submitted_at: str = ""
    order: int = 0  # position in GitHub's chronological list, to break timestamp ties


@dataclass(frozen=True)
class Ignored:
    user: str
    reason: str


@dataclass(frozen=True)
class QuorumDecision:
    verdict: Verdict
    required: int
    approved_by: tuple[str, ...]
    blocked_by: tuple[str, ...]
    ignored: tuple[Ignored, ...]
    checks: tuple[Check, ...]


def latest_decisive(reviews: Iterable[Review]) -> dict[str, Review]:
    """Each reviewer's latest decisive review (case-insensitive logins)."""
    latest: dict[str, Review] = {}
    for review in sorted(reviews, key=lambda r: (r.submitted_at, r.order)):
        if review.state.upper() in _DECISIVE:
            latest[review.user.lower()] = review
    return latest


def decide_quorum(
    reviews: Iterable[Review],
    *,
    allowed: Callable[[str], bool],
    required: int,
    head_sha: str | None = None,
    dismiss_stale: bool = False,
    author: str | None = None,
) -> QuorumDecision:
    """PASS when at least `required` allowlisted reviewers approve and no allowlisted reviewer's
    latest review requests changes; FAIL otherwise. With `dismiss_stale`, reviews of another
    commit than `head_sha` do not count (neither approvals nor objections)."""
    approved: list[str] = []
    blocked: list[str] = []
    ignored: list[Ignored] = []
    for login, review in sorted(latest_decisive(reviews).items()):
        name = review.user
        state = review.state.upper()
        if author and login == author.lower():
            ignored.append(Ignored(name, "the pull request's author cannot approve it"))
        elif not allowed(name):
            ignored.append(Ignored(name, "not on the allowlist"))
        elif state == "DISMISSED":
            ignored.append(Ignored(name, "review dismissed"))
        elif dismiss_stale and head_sha and review.commit_id and review.commit_id != head_sha:
            ignored.append(Ignored(name, f"review of an outdated commit {review.commit_id[:7]}"))
        elif state == "APPROVED":
            approved.append(name)
        elif state == "CHANGES_REQUESTED":
            blocked.append(name)
    quorum_ok = len(approved) >= required
    checks = (
        Check(
            "approvals",
            len(approved),
            ">=",
            required,
            Verdict.PASS if quorum_ok else Verdict.FAIL,
            f"{len(approved)} of {required} required approvals"
            + (f" ({', '.join(approved)})" if approved else ""),
        ),
        Check(
            "changes_requested",
            len(blocked),
            "==",
            0,
            Verdict.FAIL if blocked else Verdict.PASS,
            ("changes requested by " + ", ".join(blocked)) if blocked else "no objections",
            key=True,
        ),
    )
    verdict = Verdict.PASS if quorum_ok and not blocked else Verdict.FAIL
    return QuorumDecision(
        verdict, required, tuple(approved), tuple(blocked), tuple(ignored), checks
    )


def required_for(severity: str, quorum: Mapping[str, int], override: int | None = None) -> int:
    """Approvals needed: the override, else the quorum table's number for the severity (the
    table is `approval.min`, shipped in policy/defaults/approval.yml)."""
    if override is not None:
        return override
    table = dict(quorum)
    if severity not in table:
        raise ValueError(f"unknown severity {severity!r}; expected one of {', '.join(table)}")
    return int(table[severity])


def to_result(
    decision: QuorumDecision, *, severity: str, inputs: Mapping[str, object], generated_at: str
) -> GateResult:
    return GateResult(
        gate="approval",
        verdict=decision.verdict,
        checks=list(decision.checks),
        inputs=dict(inputs),
        window=None,
        generated_at=generated_at,
        values={
            "approval": {
                "severity": severity,
                "required": decision.required,
                "approved_by": list(decision.approved_by),
                "changes_requested_by": list(decision.blocked_by),
                "ignored": [{"user": i.user, "reason": i.reason} for i in decision.ignored],
            }
        },
    )
