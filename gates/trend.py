"""Judge the change against the repository's own history, not against fixed team habits.

A repository read from GitHub is mostly CI runs: nearly every event is evidence, so its maturity
spectrum is lopsided whether the team is healthy or not, and a week that degrades can even score
*higher* (more failures balance the kinds). The spectrum alone cannot tell the two weeks apart.
What does tell them apart is each signal against the same repository's recent past:

- the CI failure rate and the deployment failure rate in the recent window against the baseline
  window before it (degrading: `factor` times higher, three by default);
- rollbacks/flipbacks and incidents in the recent window against the count the baseline rate
  predicts for that many days (degrading: a burst of at least `min-count` and `factor` times the
  expected count).

A rate needs enough observations on both sides (`min-runs`, `min-deploys`); without them the
check is NO_DATA with a reason that says the baseline is still forming, which the gate's
`on-no-data` turns into a verdict (pass by default: advisory until a baseline exists). A
baseline rate below `rate-floor` counts as the floor, so a spotless history does not make one
red run a "×∞" degradation.

Pure: plain counts in, checks out. The reader (GitHub, files) and the thresholds live elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from gates.result import Check, OnNoData, Verdict


@dataclass(frozen=True)
class Activity:
    """Counts over one window of `days` days."""

    days: float
    ci_runs: int = 0
    ci_failures: int = 0
    deploys: int = 0
    deploy_failures: int = 0
    rollbacks: int = 0
    incidents: int = 0

    def __add__(self, other: Activity) -> Activity:
        return Activity(
            days=self.days + other.days,
            ci_runs=self.ci_runs + other.ci_runs,
            ci_failures=self.ci_failures + other.ci_failures,
            deploys=self.deploys + other.deploys,
            deploy_failures=self.deploy_failures + other.deploy_failures,
            rollbacks=self.rollbacks + other.rollbacks,
            incidents=self.incidents + other.incidents,
        )


@dataclass(frozen=True)
class TrendSettings:
    """Resolved `trend:` settings (defaults in policy/defaults/trend.yml)."""

    factor: float
    rate_floor: float
    min_runs: int
    min_deploys: int
    min_count: int
    degraded: Verdict  # FAIL, or WARN for teams that want the trend advisory
    on_no_data: OnNoData


def _exact(value: float) -> Fraction:
    """The decimal a setting was written as (0.05 → 1/20), not its binary approximation."""
    return Fraction(repr(value))


def _percent(rate: float) -> str:
    return f"{100 * rate:.1f}%"


def _days(days: float) -> str:
    return f"{days:g}d"


def _rate_check(
    name: str,
    label: str,
    *,
    recent_hits: int,
    recent_total: int,
    base_hits: int,
    base_total: int,
    minimum: int,
    recent: Activity,
    baseline: Activity,
    settings: TrendSettings,
) -> Check:
    base_rate = base_hits / base_total if base_total else None
    extra = {
        "recent": {"count": recent_hits, "of": recent_total, "days": recent.days},
        "history": {"count": base_hits, "of": base_total, "days": baseline.days},
    }
    if recent_total < minimum or base_rate is None or base_total < minimum:
        why = (
            f"only {recent_total} in the last {_days(recent.days)}"
            if recent_total < minimum
            else f"baseline still forming: {base_total} in the {_days(baseline.days)} before"
        )
        return Check(
            name,
            None,
            "<",
            None,
            settings.on_no_data.verdict(),
            f"no {label} judgement: {why} (need {minimum})",
            extra=extra,
        )
    rate = recent_hits / recent_total
    ratio = rate / max(base_rate, settings.rate_floor)
    # Decided in exact arithmetic on the settings as written: "three times 5 %" is 15 %, not
    # the binary float 0.15000000000000002 that would let 12 of 80 pass. The float shown is
    # the same number.
    exact_limit = _exact(settings.factor) * max(
        Fraction(base_hits, base_total), _exact(settings.rate_floor)
    )
    limit = float(exact_limit)
    if Fraction(recent_hits, recent_total) < exact_limit:
        verdict = Verdict.PASS
        reason = (
            f"{label} {_percent(rate)} in the last {_days(recent.days)}, "
            f"history {_percent(base_rate)} ({ratio:.1f}×, limit {settings.factor:g}×)"
        )
    else:
        verdict = settings.degraded
        reason = (
            f"{label} degraded: {_percent(rate)} in the last {_days(recent.days)} is "
            f"{ratio:.1f}× the history's {_percent(base_rate)} over {_days(baseline.days)} "
            f"(limit {settings.factor:g}×)"
        )
    return Check(name, rate, "<", limit, verdict, reason, baseline=base_rate, extra=extra)


def _burst_check(
    name: str,
    label: str,
    *,
    observed: bool,
    recent_count: int,
    base_count: int,
    recent: Activity,
    baseline: Activity,
    settings: TrendSettings,
) -> Check:
    exact_expected = (
        Fraction(base_count) * _exact(recent.days) / _exact(baseline.days)
        if baseline.days > 0
        else Fraction(0)
    )
    exact_limit = max(Fraction(settings.min_count), _exact(settings.factor) * exact_expected)
    expected, limit = float(exact_expected), float(exact_limit)
    extra = {
        "recent": {"count": recent_count, "days": recent.days},
        "history": {"count": base_count, "days": baseline.days, "expected": expected},
    }
    if not observed:
        # Nothing in either window to count by (no deployments for rollbacks, no activity at
        # all for incidents): a count of 0 there says nothing, so it is no judgement.
        return Check(
            name,
            None,
            "<",
            limit,
            settings.on_no_data.verdict(),
            f"no {label} judgement: nothing to count them by in the last "
            f"{_days(recent.days)} or the {_days(baseline.days)} before",
            extra=extra,
        )
    if recent_count < exact_limit:
        verdict = Verdict.PASS
        reason = (
            f"{recent_count} {label} in the last {_days(recent.days)} "
            f"(history predicts {expected:.1f}; a burst is ≥ {limit:g})"
        )
    else:
        verdict = settings.degraded
        reason = (
            f"{label} burst: {recent_count} in the last {_days(recent.days)} where the "
            f"history over {_days(baseline.days)} predicts {expected:.1f} (burst ≥ {limit:g})"
        )
    return Check(name, recent_count, "<", limit, verdict, reason, baseline=expected, extra=extra)


def _active(window: Activity) -> bool:
    return window.ci_runs + window.deploys + window.incidents + window.rollbacks > 0


def trend_checks(recent: Activity, baseline: Activity, settings: TrendSettings) -> list[Check]:
    """The four degradation checks of the recent window against the baseline window."""
    return [
        _rate_check(
            "ci_failure_rate",
            "CI failure rate",
            recent_hits=recent.ci_failures,
            recent_total=recent.ci_runs,
            base_hits=baseline.ci_failures,
            base_total=baseline.ci_runs,
            minimum=settings.min_runs,
            recent=recent,
            baseline=baseline,
            settings=settings,
        ),
        _rate_check(
            "deploy_failure_rate",
            "deployment failure rate",
            recent_hits=recent.deploy_failures,
            recent_total=recent.deploys,
            base_hits=baseline.deploy_failures,
            base_total=baseline.deploys,
            minimum=settings.min_deploys,
            recent=recent,
            baseline=baseline,
            settings=settings,
        ),
        _burst_check(
            "rollbacks",
            "rollbacks",
            observed=recent.deploys + baseline.deploys + recent.rollbacks > 0,
            recent_count=recent.rollbacks,
            base_count=baseline.rollbacks,
            recent=recent,
            baseline=baseline,
            settings=settings,
        ),
        _burst_check(
            "incidents",
            "incidents",
            observed=_active(recent) or _active(baseline),
            recent_count=recent.incidents,
            base_count=baseline.incidents,
            recent=recent,
            baseline=baseline,
            settings=settings,
        ),
    ]
