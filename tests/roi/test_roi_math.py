"""Known answers for the ROI rates, the Wilson bound and DORA, computed by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import shipped
from hypothesis import given
from hypothesis import strategies as st

from gates.result import OnNoData, Verdict
from gates.roi import (
    DeployCounts,
    DeployEvent,
    RoiTally,
    roi_checks,
    tally_events,
    wilson_interval,
    wilson_verdict,
)

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
START = NOW - timedelta(days=90)


def ev(
    hours_ago: float, action: str = "deploy", result: str = "success", **kw: object
) -> DeployEvent:
    base = {"env": "prod", "service": "api", "version": "1.0.0"}
    base.update(kw)  # type: ignore[arg-type]
    return DeployEvent(
        ts=NOW - timedelta(hours=hours_ago),
        action=action,
        result=result,
        **base,  # type: ignore[arg-type]
    )


def test_rates_count_deploy_events_only() -> None:
    # 8 deploys (6 ok, 2 failed) + 1 rollback + 1 flipback; a failed rollback still counts.
    events = [ev(i + 1) for i in range(6)]
    events += [ev(10, result="failure"), ev(11, result="failure")]
    events += [ev(12, "rollback"), ev(13, "flipback", "failure")]
    counts = tally_events(events, start=START, end=NOW).counts()
    assert (counts.deploys, counts.successes, counts.rollbacks) == (8, 6, 2)
    assert counts.success_rate == pytest.approx(0.75)
    assert counts.rollback_rate == pytest.approx(0.25)


def test_rollback_rate_is_capped_at_one() -> None:
    events = [ev(1), ev(2, "rollback"), ev(3, "rollback"), ev(4, "flipback")]
    counts = tally_events(events, start=START, end=NOW).counts()
    assert counts.rollback_rate == 1.0


def test_window_is_half_open_and_ids_deduplicate() -> None:
    events = [
        ev(0),  # exactly now: inside
        DeployEvent(START, "prod", "api", "deploy", "1", "success"),  # exactly start: outside
        ev(24 * 91),  # older: outside
        ev(5, id="a"),
        ev(6, id="a"),  # retried record: dropped
    ]
    tally = tally_events(events, start=START, end=NOW)
    assert tally.counts().deploys == 2
    assert tally.duplicates == 1 and tally.outside == 2


def test_scopes_filter_env_and_service() -> None:
    events = [ev(1), ev(2, env="stage"), ev(3, service="web", result="failure")]
    tally = tally_events(events, start=START, end=NOW)
    assert tally.scopes() == [("prod", "api"), ("prod", "web"), ("stage", "api")]
    assert tally.counts(env="prod").deploys == 2
    assert tally.counts(env="prod", service="web").success_rate == 0.0


def test_min_deploys_is_no_data_not_a_verdict() -> None:
    checks = roi_checks(DeployCounts(4, 0, 4), shipped.roi(min_deploys=5))
    assert [c.verdict for c in checks] == [Verdict.NO_DATA, Verdict.NO_DATA]
    assert "fewer than min-deploys 5" in checks[0].reason
    checks = roi_checks(DeployCounts(4, 0, 4), shipped.roi(min_deploys=5, on_no_data=OnNoData.FAIL))
    assert {c.verdict for c in checks} == {Verdict.FAIL}


def test_plain_thresholds_pass_and_fail_at_the_boundary() -> None:
    # 8/10 = 0.80 >= 0.80 passes; 2/10 = 0.20 <= 0.20 passes; one more rollback fails.
    checks = roi_checks(DeployCounts(10, 8, 2), shipped.roi())
    assert [c.verdict for c in checks] == [Verdict.PASS, Verdict.PASS]
    checks = roi_checks(DeployCounts(10, 7, 3), shipped.roi())
    assert [c.verdict for c in checks] == [Verdict.FAIL, Verdict.FAIL]


def test_wilson_known_values() -> None:
    # Hand computation, z = 1.96: 5/5 -> [0.5655, 1]; 45/50 -> [0.7864, 0.9565];
    # 48/50 -> [0.8654, 0.9890]; 0/10 -> [0, 0.2775].
    low, high = wilson_interval(5, 5)
    assert (low, high) == (pytest.approx(0.565509, abs=1e-6), 1.0)
    assert wilson_interval(45, 50) == (
        pytest.approx(0.786395, abs=1e-6),
        pytest.approx(0.956525, abs=1e-6),
    )
    assert wilson_interval(48, 50) == (
        pytest.approx(0.865397, abs=1e-6),
        pytest.approx(0.988961, abs=1e-6),
    )
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.277540, abs=1e-6))


@pytest.mark.parametrize(
    ("successes", "n", "verdict"),
    [(5, 5, Verdict.WARN), (45, 50, Verdict.WARN), (48, 50, Verdict.PASS), (30, 50, Verdict.FAIL)],
)
def test_wilson_three_way_examples_of_the_spec(successes: int, n: int, verdict: Verdict) -> None:
    assert wilson_verdict(successes, n, ">=", 0.80)[0] is verdict
    check = roi_checks(DeployCounts(n, successes, 0), shipped.roi(statistic="wilson"))[0]
    assert check.verdict is verdict
    if verdict is Verdict.WARN:
        assert "more deploys needed" in check.reason


def test_wilson_rollback_side() -> None:
    # 0 rollbacks in 30: upper bound 0.1135 <= 0.20 -> PASS; 20 of 30: lower 0.4878 > 0.20 -> FAIL.
    assert wilson_verdict(0, 30, "<=", 0.20)[0] is Verdict.PASS
    assert wilson_verdict(20, 30, "<=", 0.20)[0] is Verdict.FAIL
    assert wilson_verdict(4, 30, "<=", 0.20)[0] is Verdict.WARN


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_estimate(pair: tuple[int, int]) -> None:
    successes, n = pair
    low, high = wilson_interval(successes, n)
    assert 0 <= low <= successes / n <= high <= 1
    assert not math.isnan(low)


def test_rates_from_prometheus_without_a_deploy_count() -> None:
    counts = DeployCounts.from_rates(0.9, 0.05, None)
    assert counts.success_rate == 0.9 and not counts.deploys_known
    checks = roi_checks(counts, shipped.roi(min_deploys=5))
    assert [c.verdict for c in checks] == [Verdict.PASS, Verdict.PASS]
    counts = DeployCounts.from_rates(0.9, 0.05, 3)
    assert roi_checks(counts, shipped.roi())[0].verdict is Verdict.NO_DATA


def test_dora_known_answers() -> None:
    # One stream over 10 days: ok@0h, fail@24h, ok@30h (restore 6h), ok@48h, rollback ok@49h
    # (deploy@48h was bad: restore 1h). Commits 2h and 4h before the first two good deploys.
    base = NOW - timedelta(days=10)

    def at(
        hours: float, action: str = "deploy", result: str = "success", **kw: object
    ) -> DeployEvent:
        return DeployEvent(base + timedelta(hours=hours), "prod", "api", action, "v", result, **kw)  # type: ignore[arg-type]

    events = [
        at(0, commit_ts=base - timedelta(hours=2)),
        at(24, result="failure"),
        at(30, commit_ts=base + timedelta(hours=26)),
        at(48),
        at(49, "rollback"),
    ]
    tally = RoiTally(NOW - timedelta(days=10, hours=1), NOW - timedelta(hours=1))
    for event in reversed(events):  # arrival order must not matter
        tally.add_event(event)
    dora = tally.dora()
    assert dora.deployment_frequency == pytest.approx(3 / 10)
    assert dora.change_failure_rate == pytest.approx(2 / 4)  # the failure and the rolled-back one
    assert dora.time_to_restore_s == pytest.approx(statistics_median([6 * 3600, 3600]))
    assert dora.restores == 2
    assert dora.lead_time_s == pytest.approx(3 * 3600)  # median of 2h and 4h
    assert dora.lead_time_samples == 2


def statistics_median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def test_dora_without_data() -> None:
    dora = RoiTally(START, NOW).dora()
    assert dora.change_failure_rate is None and dora.time_to_restore_s is None
    assert dora.lead_time_s is None and dora.deployment_frequency == 0
