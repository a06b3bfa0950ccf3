"""The integrated gate's decision: its three FAIL paths, borderline=warn, QA and adaptation."""

from __future__ import annotations

import pytest
import shipped

from gates import integrated as ig
from gates.result import Verdict, decide
from gates.score import Objective, weighted_score

PASSING = weighted_score([Objective("success_rate", Verdict.PASS)])
FAILING = weighted_score([Objective("success_rate", Verdict.FAIL)])
WARNING = weighted_score(
    [Objective("a", Verdict.PASS, 3), Objective("b", Verdict.WARN, 1)], score_warn=90
)
HEALTHY = ig.Levels(overall=0.707, sense=0.68, feedback=0.74, release=0.71)  # the spec's example


def verdict(levels: ig.Levels | None, composite=PASSING, **settings: object) -> Verdict:  # type: ignore[no-untyped-def]
    return decide(ig.integrated_checks(levels, composite, shipped.integrated(**settings)))  # type: ignore[arg-type]


def test_spec_example_passes() -> None:
    assert verdict(HEALTHY) is Verdict.PASS


def test_fail_path_1_composite_fails() -> None:
    checks = ig.integrated_checks(HEALTHY, FAILING, shipped.integrated())
    assert decide(checks) is Verdict.FAIL
    assert checks[0].name == "roi_slo_score" and checks[0].verdict is Verdict.FAIL


def test_fail_path_2_maturity_floor() -> None:
    low_overall = ig.Levels(overall=0.59, sense=0.7, feedback=0.7, release=0.7)
    assert verdict(low_overall) is Verdict.FAIL
    low_band = ig.Levels(overall=0.80, sense=0.95, feedback=0.44, release=0.95)
    checks = ig.integrated_checks(low_band, PASSING, shipped.integrated())
    assert decide(checks) is Verdict.FAIL
    assert [c.name for c in checks if c.verdict is Verdict.FAIL] == ["maturity_feedback"]
    # 0.45 itself is on the floor, not below it.
    assert verdict(ig.Levels(0.80, 0.95, 0.45, 0.95)) is Verdict.PASS


def test_fail_path_3_borderline_downgrades_a_passing_composite() -> None:
    borderline = ig.Levels(overall=0.65, sense=0.7, feedback=0.6, release=0.6)
    checks = ig.integrated_checks(borderline, PASSING, shipped.integrated())
    assert decide(checks) is Verdict.FAIL
    assert [c.name for c in checks if c.verdict is Verdict.FAIL] == ["borderline"]
    # a warning composite is downgraded too
    assert verdict(borderline, WARNING) is Verdict.FAIL
    # the effective floor is min-overall + penalty = 0.70
    assert verdict(ig.Levels(0.70, 0.7, 0.7, 0.7)) is Verdict.PASS
    assert verdict(ig.Levels(0.6999, 0.7, 0.7, 0.7)) is Verdict.FAIL


def test_borderline_warn_relaxes_to_warn() -> None:
    borderline = ig.Levels(overall=0.65, sense=0.7, feedback=0.6, release=0.6)
    assert verdict(borderline, borderline="warn") is Verdict.WARN
    # ... but never rescues a failing composite or a failed floor
    assert verdict(borderline, FAILING, borderline="warn") is Verdict.FAIL
    assert verdict(ig.Levels(0.55, 0.7, 0.6, 0.6), borderline="warn") is Verdict.FAIL


def test_penalty_is_configurable() -> None:
    assert verdict(ig.Levels(0.65, 0.7, 0.6, 0.6), penalty=0.0) is Verdict.PASS


def test_no_maturity_data() -> None:
    assert verdict(None) is Verdict.PASS  # the composite passed; maturity is NO_DATA
    from gates.result import OnNoData

    assert verdict(None, on_no_data=OnNoData.FAIL) is Verdict.FAIL


def test_qa_pre_and_post() -> None:
    qa = shipped.qa()
    pre = ig.Levels(0.70, 0.60, 0.65, 0.65)
    assert decide(ig.qa_checks(pre, qa)) is Verdict.PASS
    weak = ig.Levels(0.70, 0.60, 0.59, 0.65)
    assert decide(ig.qa_checks(weak, qa)) is Verdict.FAIL
    moved = ig.Levels(0.70, 0.75, 0.65, 0.65)  # sense +0.15: not < 0.15
    checks = ig.qa_checks(moved, qa, pre=pre, mode="post")
    assert checks[-1].name == "qa_sense_delta" and checks[-1].verdict is Verdict.FAIL
    steady = ig.Levels(0.70, 0.70, 0.65, 0.65)
    assert decide(ig.qa_checks(steady, qa, pre=pre, mode="post")) is Verdict.PASS


P, F = Verdict.PASS, Verdict.FAIL


def test_adapt_raises_after_k_failures() -> None:
    start = ig.Minimums(0.65, 0.60, 0.60)
    result = ig.adapt(start, [P] * 9 + [F] * 3)
    assert result.action == "raise"
    assert result.new == ig.Minimums(pytest.approx(0.66), pytest.approx(0.61), pytest.approx(0.61))  # type: ignore[arg-type]
    assert ig.adapt(start, [P] * 10 + [F] * 2).action == "hold"


def test_adapt_lowers_after_n_passes_with_floors_and_caps() -> None:
    result = ig.adapt(ig.Minimums(0.70, 0.60, 0.60), [P] * 12)
    assert result.action == "lower"
    assert result.new.overall == pytest.approx(0.695)
    floored = ig.adapt(ig.Minimums(0.652, 0.50, 0.45), [P] * 12).new
    assert floored == ig.Minimums(0.65, 0.50, 0.45)
    capped = ig.adapt(ig.Minimums(0.895, 0.85, 0.849), [F] * 3).new
    assert capped == ig.Minimums(0.90, 0.85, 0.85)
    assert ig.adapt(ig.Minimums(0.7, 0.6, 0.6), [P] * 11).action == "hold"  # fewer than N
    # only the last N count: an old failure has rolled out of the window
    assert ig.adapt(ig.Minimums(0.7, 0.6, 0.6), [F] + [P] * 12).action == "lower"
