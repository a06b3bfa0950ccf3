"""GitHub as the zero-instrumentation source, judged by the trend (issue 18).

A repository read from GitHub is mostly CI runs, so its maturity spectrum is lopsided whether
the team is healthy or not, and a degrading week can even score higher (more failures balance
the kinds). The spectrum of CI-dominated activity says nothing about the change under review.
So when the gates read GitHub:

- the spectrum's checks are advisory: a FAIL becomes a WARN that says why (`advisory`);
- the gate adds the trend checks (`gates.trend`): the recent window of the same repository
  against its own baseline window, which does tell a healthy week from a degrading one.

All of a run's GitHub reads go through one `RepositoryReads`, so deployments and incident issues
are read once for the spectrum, the ROI tally and the trend, and the result reports the
requests it took (`inputs.github.requests`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gates.result import Check, Verdict
from gates.timeutil import parse_duration
from gates.trend import Activity, trend_checks

if TYPE_CHECKING:
    from lumen.adapters.github.activity import RepositoryReads
    from lumen.settings import TrendConfig

ADVISORY_REASON = (
    "advisory: the spectrum of GitHub activity (mostly CI runs) says nothing about the change; "
    "the trend checks judge it"
)


def spans(trend: TrendConfig) -> tuple[timedelta, timedelta]:
    """(recent, baseline) window lengths."""
    return (
        parse_duration(trend.recent_window, field="trend.recent-window"),
        parse_duration(trend.baseline_window, field="trend.baseline-window"),
    )


def earliest(now: datetime, trend: TrendConfig, *others: timedelta) -> datetime:
    """The earliest moment a run reading GitHub needs: the trend's baseline start, or further
    back when another window (the spectrum's, the ROI's) reaches further."""
    recent, baseline = spans(trend)
    return now - max((recent + baseline, *others))


def open_reads(
    repository: str,
    *,
    since: datetime,
    deploy_settings: Mapping[str, Any] | None = None,
) -> RepositoryReads:
    """The run's shared GitHub reads of `repository` from `since`."""
    from lumen.adapters.github.activity import RepositoryReads

    return RepositoryReads(repository, since=since, deploy_settings=deploy_settings)


@dataclass
class TrendOutcome:
    checks: list[Check]
    recent: Activity
    baseline: Activity

    def values(self, trend: TrendConfig) -> dict[str, Any]:
        """The result's `trend` values: both windows' counts (the repository's history and the
        recent days the change lands in)."""
        return {
            "recent-window": trend.recent_window,
            "baseline-window": trend.baseline_window,
            "recent": _counts(self.recent),
            "history": _counts(self.baseline),
        }


def _counts(activity: Activity) -> dict[str, float]:
    return {
        "days": activity.days,
        "ci_runs": activity.ci_runs,
        "ci_failures": activity.ci_failures,
        "deploys": activity.deploys,
        "deploy_failures": activity.deploy_failures,
        "rollbacks": activity.rollbacks,
        "incidents": activity.incidents,
    }


def github_trend(reads: RepositoryReads, trend: TrendConfig, *, now: datetime) -> TrendOutcome:
    """The trend checks over the repository's GitHub activity ending at `now`."""
    from lumen.adapters.github.activity import trend_activity

    recent_span, baseline_span = spans(trend)
    recent, baseline = trend_activity(reads, now=now, recent=recent_span, baseline=baseline_span)
    checks = [
        replace(check, extra={**check.extra, "source": "history"})
        for check in trend_checks(recent, baseline, trend.checks)
    ]
    return TrendOutcome(checks, recent, baseline)


def advisory(checks: Iterable[Check]) -> list[Check]:
    """The checks with a FAIL capped at WARN, saying why (the spectrum of GitHub activity)."""
    out = []
    for check in checks:
        if check.verdict is Verdict.FAIL:
            check = replace(
                check,
                verdict=Verdict.WARN,
                reason=f"{check.reason} ({ADVISORY_REASON})",
                extra={**check.extra, "advisory": True},
            )
        out.append(check)
    return out


def github_inputs(reads: RepositoryReads) -> dict[str, Any]:
    """The result's `inputs.github`: which repository, and the requests the run took (those
    GitHub saw again after a transient failure included)."""
    return {"repository": reads.repository, "requests": reads.requests + reads.resent()}
