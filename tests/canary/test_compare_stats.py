"""The statistics behind the canary judgement, held to SciPy and to hand-computed answers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from gates.compare import (
    Allowance,
    CanaryScore,
    Classification,
    CompareRule,
    CompareSettings,
    Comparison,
    Direction,
    ScoreSettings,
    WeightedMetric,
    canary_score,
    compare,
    hodges_lehmann,
    is_bad,
    judge_pack,
    mann_whitney_u,
)
from gates.result import OnNoData, Verdict, decide

EITHER = CompareSettings(
    direction=Direction.EITHER,
    allowed_increase=Allowance(),
    allowed_decrease=Allowance(),
    confidence=0.95,
    min_samples=3,
)

# Small integers make ties common (the asymptotic path with tie correction); wide floats make
# them rare (the exact path when one side has at most 8 values).
samples = st.one_of(
    st.lists(st.integers(0, 6).map(float), min_size=1, max_size=40),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=40),
)


def _scipy(canary: list[float], baseline: list[float]) -> tuple[float, float]:
    result = mannwhitneyu(canary, baseline, alternative="two-sided", method="auto")
    return float(result.statistic), float(result.pvalue)


@settings(max_examples=400, deadline=None)
@given(samples, samples)
def test_u_and_p_agree_with_scipy(canary: list[float], baseline: list[float]) -> None:
    u, p = _scipy(canary, baseline)
    ours = mann_whitney_u(canary, baseline)
    assert abs(ours.u - u) <= 1e-9
    if math.isnan(p):  # SciPy's 0/0 when every value is equal; we define it as no evidence
        assert len(set(canary + baseline)) == 1
        assert ours.p_value == 1.0
    else:
        assert abs(ours.p_value - p) <= 1e-9


@pytest.mark.parametrize(
    ("canary", "baseline", "method"),
    [
        ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], "exact"),  # smallest p the exact test gives: 0.1
        ([1.5, 2.5, 9.0, 11.0, 0.5], [3.0, 4.0] * 1 + [7.0], "exact"),
        ([float(i) for i in range(8)], [float(i) + 0.5 for i in range(200)], "exact"),
        ([float(i) for i in range(20)], [float(i) + 3.0 for i in range(25)], "asymptotic"),
        ([1.0, 1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0], "asymptotic"),  # ties
    ],
)
def test_known_sets_against_scipy(canary: list[float], baseline: list[float], method: str) -> None:
    ours = mann_whitney_u(canary, baseline)
    u, p = _scipy(canary, baseline)
    assert ours.method == method
    assert abs(ours.u - u) <= 1e-9
    assert abs(ours.p_value - p) <= 1e-9


def test_exact_p_by_hand() -> None:
    # canary entirely below baseline, 3 vs 3: U = 0, and only 1 of C(6,3) = 20 arrangements is
    # as extreme on each side, so p = 2/20.
    result = mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.u == 0.0
    assert result.p_value == pytest.approx(0.1, abs=1e-15)


def test_hodges_lehmann_by_hand() -> None:
    # differences c − b for c in (1, 2, 3, 4, 5), b in (0, 1, 2):
    # 1 0 -1 | 2 1 0 | 3 2 1 | 4 3 2 | 5 4 3 → sorted: -1 0 0 1 1 1 2 2 2 3 3 3 4 4 5
    # median (8th of 15) = 2. k = ⌊15/2 − 1.95996·√(15·9/12)⌋ = ⌊7.5 − 6.574⌋ = 0 → 1:
    # the interval is the full range [-1, 5].
    shift = hodges_lehmann([1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 1.0, 2.0])
    assert (shift.estimate, shift.low, shift.high) == (2.0, -1.0, 5.0)


def test_hodges_lehmann_interval_by_hand() -> None:
    # 10 vs 10 with canary = baseline + 10: every difference is in 1..19, 100 of them.
    # k = ⌊50 − 1.95996·√(100·21/12)⌋ = ⌊50 − 25.93⌋ = 24 → 24th smallest and 24th largest.
    baseline = [float(i) for i in range(10)]
    canary = [b + 10 for b in baseline]
    differences = sorted(c - b for c in canary for b in baseline)
    shift = hodges_lehmann(canary, baseline)
    assert shift.estimate == 10.0
    assert shift.low == differences[23]
    assert shift.high == differences[100 - 24]
    assert (shift.low, shift.high) == (7.0, 13.0)


def test_clear_regression_is_high_and_bad_when_increase_hurts() -> None:
    baseline = [100.0 + (i % 7) for i in range(40)]
    canary = [130.0 + (i % 7) for i in range(40)]
    result = compare(canary, baseline, EITHER)
    assert result.classification is Classification.HIGH
    assert result.bad
    assert result.shift is not None and result.shift.estimate == 30.0
    assert result.test is not None and result.test.p_value < 1e-10


def test_harmless_shift_inside_relative_allowance_passes() -> None:
    baseline = [100.0 + (i % 7) for i in range(40)]
    canary = [105.0 + (i % 7) for i in range(40)]  # +5 on a median of 103: under 10 %
    allowed = CompareSettings(
        direction=Direction.INCREASE,
        allowed_increase=Allowance(0.10, relative=True),
        allowed_decrease=Allowance(),
        confidence=0.95,
        min_samples=3,
    )
    result = compare(canary, baseline, allowed)
    assert result.test is not None and result.test.p_value < 0.05  # clear, but harmless
    assert result.classification is Classification.PASS
    assert not result.bad
    # the same shift with no allowance is High
    assert compare(canary, baseline, EITHER).classification is Classification.HIGH


def test_direction_decides_what_is_bad() -> None:
    assert is_bad(Classification.HIGH, Direction.INCREASE)
    assert not is_bad(Classification.HIGH, Direction.DECREASE)
    assert is_bad(Classification.LOW, Direction.DECREASE)
    assert not is_bad(Classification.LOW, Direction.INCREASE)
    assert is_bad(Classification.LOW, Direction.EITHER)
    assert not is_bad(Classification.PASS, Direction.EITHER)


def test_nan_and_too_few_samples_are_no_data() -> None:
    result = compare([math.nan] * 10, [1.0] * 10, EITHER)
    assert result.classification is Classification.NO_DATA
    assert result.dropped == (10, 0)
    assert not result.bad
    few = compare([1.0, 2.0], [1.0, 2.0, 3.0], EITHER)
    assert few.classification is Classification.NO_DATA
    assert "too few samples" in few.reason
    # a few non-finite values are left out, the rest judged
    mixed = compare([1.0, 2.0, 3.0, math.inf], [1.0, 2.0, 3.0], EITHER)
    assert mixed.classification is Classification.PASS
    assert mixed.samples == (3, 3) and mixed.dropped == (1, 0)


integers = st.lists(st.integers(-50, 50).map(float), min_size=3, max_size=30)


@settings(max_examples=300, deadline=None)
@given(integers, integers)
def test_swapping_sides_flips_high_and_low(canary: list[float], baseline: list[float]) -> None:
    forward = compare(canary, baseline, EITHER).classification
    backward = compare(baseline, canary, EITHER).classification
    flipped = {
        Classification.HIGH: Classification.LOW,
        Classification.LOW: Classification.HIGH,
        Classification.PASS: Classification.PASS,
        Classification.NO_DATA: Classification.NO_DATA,
    }
    assert backward is flipped[forward]


@settings(max_examples=300, deadline=None)
@given(integers, integers, st.integers(-1000, 1000).map(float))
def test_shifting_both_sides_keeps_the_verdict(
    canary: list[float], baseline: list[float], offset: float
) -> None:
    absolute = CompareSettings(
        direction=Direction.EITHER,
        allowed_increase=Allowance(2.0),
        allowed_decrease=Allowance(2.0),
        confidence=0.95,
        min_samples=3,
    )
    before = compare(canary, baseline, absolute)
    after = compare([c + offset for c in canary], [b + offset for b in baseline], absolute)
    assert after.classification is before.classification
    assert after.test == before.test


@settings(max_examples=200, deadline=None)
@given(integers)
def test_identical_sets_always_pass(values: list[float]) -> None:
    result = compare(values, list(values), EITHER)
    assert result.classification is Classification.PASS
    assert result.shift is not None and result.shift.estimate == 0.0


def _metric(
    name: str, weight: float, classification: Classification, *, key: bool = False
) -> WeightedMetric:
    bad = classification in (Classification.HIGH, Classification.LOW)
    return WeightedMetric(
        name=name,
        group="g",
        weight=weight,
        key=key,
        comparison=Comparison(
            classification=classification, bad=bad, reason="", samples=(5, 5), dropped=(0, 0)
        ),
    )


def test_score_is_the_passing_share_of_weight() -> None:
    score = canary_score(
        [
            _metric("latency", 50, Classification.HIGH),
            _metric("errors", 30, Classification.PASS),
            _metric("rate", 20, Classification.PASS),
            _metric("missing", 40, Classification.NO_DATA),
        ]
    )
    assert score == CanaryScore(score=50.0, failed_keys=(), judged=3)
    keyed = canary_score([_metric("errors", 1, Classification.HIGH, key=True)])
    assert keyed.failed_keys == ("errors",)
    assert canary_score([_metric("m", 1, Classification.NO_DATA)]).score is None


def _rule(name: str, *, key: bool = False, weight: float = 1.0) -> CompareRule:
    return CompareRule(
        id=name,
        query="avg(latency_seconds{${selector}})",
        canary='track="canary"',
        baseline='track="stable"',
        range_seconds=1800,
        step_seconds=30,
        settings=EITHER,
        group="latency",
        weight=weight,
        key=key,
        on_no_data=OnNoData.PASS,
    )


SCORE = ScoreSettings(pass_score=95, marginal_score=75, on_no_data=OnNoData.PASS)
REGRESSED = ([130.0 + i % 7 for i in range(40)], [100.0 + i % 7 for i in range(40)])
SAME = ([100.0 + i % 7 for i in range(40)], [100.0 + i % 7 for i in range(40)])


def test_query_for_each_side() -> None:
    rule = _rule("LATENCY")
    assert rule.query_for("canary") == 'avg(latency_seconds{track="canary"})'
    assert rule.query_for("baseline") == 'avg(latency_seconds{track="stable"})'


def test_pack_judgement_score_marginal_and_key_veto() -> None:
    regressed = compare(*REGRESSED, EITHER)
    same = compare(*SAME, EITHER)
    # 1 of 5 equal weights regresses: score 80, marginal -> WARN; the metric itself is a WARN
    checks = judge_pack([(_rule("A"), regressed)] + [(_rule(n), same) for n in "BCDE"], SCORE)
    by_name = {c.name: c for c in checks}
    assert by_name["A"].verdict is Verdict.WARN
    assert by_name["A"].extra["classification"] == "High"
    assert by_name["A"].extra["effect"] == 30.0
    assert by_name["A"].extra["samples"] == {"canary": 40, "baseline": 40}
    assert by_name["canary_score"].value == 80.0
    assert by_name["canary_score"].verdict is Verdict.WARN
    assert decide(checks) is Verdict.WARN
    # the same regression on a critical metric fails the gate whatever the score
    vetoed = judge_pack(
        [(_rule("A", key=True, weight=1), regressed)]
        + [(_rule(n, weight=100), same) for n in "BCDE"],
        SCORE,
    )
    assert {c.name: c for c in vetoed}["canary_score"].verdict is Verdict.PASS
    assert decide(vetoed) is Verdict.FAIL
    # half the weight regresses: FAIL
    failed = judge_pack([(_rule("A"), regressed), (_rule("B"), same)], SCORE)
    assert decide(failed) is Verdict.FAIL
    # identical everywhere: PASS at 100
    passed = judge_pack([(_rule(n), same) for n in "AB"], SCORE)
    assert decide(passed) is Verdict.PASS
    assert {c.name: c for c in passed}["canary_score"].value == 100.0


def test_nothing_judged_is_no_data_not_pass() -> None:
    empty = compare([], [], EITHER)
    checks = judge_pack([(_rule("A"), empty)], SCORE)
    assert [c.verdict for c in checks] == [Verdict.NO_DATA, Verdict.NO_DATA]
    assert decide(checks) is Verdict.NO_DATA
