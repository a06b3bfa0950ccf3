"""The trend checks: a healthy repository is never failed, a degrading week is, and the reason
names what degraded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from weeks import DEGRADING, HEALTHY, split

from gates.result import OnNoData, Verdict, decide
from gates.trend import Activity, TrendSettings, trend_checks

DEFAULTS = TrendSettings(
    factor=3.0,
    rate_floor=0.05,
    min_runs=20,
    min_deploys=4,
    min_count=3,
    degraded=Verdict.FAIL,
    on_no_data=OnNoData.PASS,
)


def by_name(recent: Activity, baseline: Activity, s: TrendSettings = DEFAULTS) -> dict[str, object]:
    return {c.name: c for c in trend_checks(recent, baseline, s)}


def test_the_healthy_weeks_pass() -> None:
    recent, baseline = split(HEALTHY)
    checks = trend_checks(recent, baseline, DEFAULTS)
    assert decide(checks) is Verdict.PASS, [c.reason for c in checks]


def test_the_degrading_weeks_fail_and_name_every_degradation() -> None:
    recent, baseline = split(DEGRADING)
    checks = {c.name: c for c in trend_checks(recent, baseline, DEFAULTS)}
    assert decide(list(checks.values())) is Verdict.FAIL
    assert {n for n, c in checks.items() if c.verdict is Verdict.FAIL} == {
        "ci_failure_rate",
        "deploy_failure_rate",
        "rollbacks",
        "incidents",
    }
    ci = checks["ci_failure_rate"]
    assert ci.reason == (
        "CI failure rate degraded: 35.0% in the last 2d is 3.5× the history's 10.0% over 26d "
        "(limit 3×)"
    )
    assert checks["rollbacks"].reason.startswith("rollbacks burst: 6 in the last 2d")
    assert checks["incidents"].reason.startswith("incidents burst: 5 in the last 2d")


def test_warn_when_configured_so() -> None:
    recent, baseline = split(DEGRADING)
    advisory = TrendSettings(**{**DEFAULTS.__dict__, "degraded": Verdict.WARN})
    assert decide(trend_checks(recent, baseline, advisory)) is Verdict.WARN


def test_no_baseline_yet_is_no_data_not_fail() -> None:
    first_day = Activity(days=1, ci_runs=40, ci_failures=30, deploys=1)
    checks = by_name(first_day, Activity(days=0))
    rate = checks["ci_failure_rate"]
    assert rate.verdict is Verdict.NO_DATA  # type: ignore[attr-defined]
    assert "baseline still forming" in rate.reason  # type: ignore[attr-defined]


def test_a_spotless_history_uses_the_floor() -> None:
    baseline = Activity(days=26, ci_runs=1000, ci_failures=0)
    one_red = Activity(days=2, ci_runs=80, ci_failures=1)
    assert by_name(one_red, baseline)["ci_failure_rate"].verdict is Verdict.PASS  # type: ignore[attr-defined]
    many_red = Activity(days=2, ci_runs=80, ci_failures=12)  # 15 % = 3× the 5 % floor
    assert by_name(many_red, baseline)["ci_failure_rate"].verdict is Verdict.FAIL  # type: ignore[attr-defined]


counts = st.integers(0, 400)


@st.composite
def histories(draw: st.DrawFn) -> tuple[Activity, Activity]:
    base_days = draw(st.integers(7, 60))
    recent_days = draw(st.integers(1, 7))
    runs = draw(st.integers(0, 2000))
    fails = draw(st.integers(0, runs))
    deploys = draw(st.integers(0, 300))
    deploy_fails = draw(st.integers(0, deploys))
    baseline = Activity(
        days=base_days,
        ci_runs=runs,
        ci_failures=fails,
        deploys=deploys,
        deploy_failures=deploy_fails,
        rollbacks=draw(st.integers(0, 50)),
        incidents=draw(st.integers(0, 50)),
    )
    return baseline, Activity(days=recent_days)


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 500), st.integers(0, 100), st.data())
def test_never_fails_when_no_signal_is_worse_than_its_history(
    history: tuple[Activity, Activity], recent_runs: int, recent_deploys: int, data: st.DataObject
) -> None:
    baseline, empty = history
    days = empty.days
    base_ci = baseline.ci_failures / baseline.ci_runs if baseline.ci_runs else 0.0
    base_dep = baseline.deploy_failures / baseline.deploys if baseline.deploys else 0.0
    # recent rates at most the baseline's, recent counts at most what the baseline predicts
    recent = Activity(
        days=days,
        ci_runs=recent_runs,
        ci_failures=int(base_ci * recent_runs),
        deploys=recent_deploys,
        deploy_failures=int(base_dep * recent_deploys),
        rollbacks=int(baseline.rollbacks * days / baseline.days),
        incidents=int(baseline.incidents * days / baseline.days),
    )
    assert decide(trend_checks(recent, baseline, DEFAULTS)) is not Verdict.FAIL


@settings(max_examples=300, deadline=None)
@given(
    histories(),
    st.tuples(counts, counts, st.integers(0, 30), st.integers(0, 30)),
    st.integers(1, 50),
)
def test_more_failures_never_improve_the_verdict(
    history: tuple[Activity, Activity], recent_counts: tuple[int, int, int, int], more: int
) -> None:
    baseline, empty = history
    runs, fails, rollbacks, incidents = recent_counts
    fails = min(fails, runs)
    recent = Activity(
        days=empty.days, ci_runs=runs, ci_failures=fails, rollbacks=rollbacks, incidents=incidents
    )
    worse = Activity(
        days=empty.days,
        ci_runs=runs,
        ci_failures=min(runs, fails + more),
        rollbacks=rollbacks + more,
        incidents=incidents + more,
    )
    rank = {Verdict.NO_DATA: 0, Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}
    before = {c.name: c.verdict for c in trend_checks(recent, baseline, DEFAULTS)}
    after = {c.name: c.verdict for c in trend_checks(worse, baseline, DEFAULTS)}
    for name, verdict in before.items():
        assert rank[after[name]] >= rank[verdict], name


@settings(max_examples=200, deadline=None)
@given(st.integers(100, 3000), st.floats(0.0, 0.3), st.floats(3.0, 10.0), st.integers(40, 400))
def test_a_rate_three_times_higher_fails_and_says_so(
    base_runs: int, base_rate: float, factor: float, recent_runs: int
) -> None:
    baseline = Activity(days=26, ci_runs=base_runs, ci_failures=round(base_rate * base_runs))
    actual_base = baseline.ci_failures / base_runs
    target = factor * max(actual_base, DEFAULTS.rate_floor)
    if target > 1:
        return
    recent = Activity(
        days=2,
        ci_runs=recent_runs,
        ci_failures=min(recent_runs, -(-int(target * recent_runs * 1000) // 1000) + 1),
    )
    check = by_name(recent, baseline)["ci_failure_rate"]
    assert check.verdict is Verdict.FAIL  # type: ignore[attr-defined]
    assert check.reason.startswith("CI failure rate degraded")  # type: ignore[attr-defined]


def test_nothing_to_count_by_is_no_judgement() -> None:
    """A repository with no activity in either window: 0 rollbacks and 0 incidents say nothing,
    so nothing passes (the gate reports NO_DATA, never a PASS it did not judge)."""
    checks = by_name(Activity(days=2), Activity(days=26))
    assert {n: c.verdict for n, c in checks.items()} == {  # type: ignore[attr-defined]
        "ci_failure_rate": Verdict.NO_DATA,
        "deploy_failure_rate": Verdict.NO_DATA,
        "rollbacks": Verdict.NO_DATA,
        "incidents": Verdict.NO_DATA,
    }
    # CI activity but no deployments: incidents are judged, rollbacks are not
    ci_only = by_name(Activity(days=2, ci_runs=80), Activity(days=26, ci_runs=1000))
    assert ci_only["incidents"].verdict is Verdict.PASS  # type: ignore[attr-defined]
    assert ci_only["rollbacks"].verdict is Verdict.NO_DATA  # type: ignore[attr-defined]
