"""Known answers for burn rates, the multi-window rules, the weighted score and criteria."""

from __future__ import annotations

from datetime import timedelta

import pytest
import shipped
from hypothesis import given
from hypothesis import strategies as st

from gates import slo
from gates.errors import ConfigError
from gates.result import OnNoData, Verdict
from gates.score import (
    Objective,
    criteria_check,
    median_baseline,
    parse_criterion,
    weighted_score,
)

M = timedelta(minutes=1)
H = timedelta(hours=1)


def samples(**rates: float) -> dict[timedelta, slo.WindowSample]:
    names = {"m5": 5 * M, "m30": 30 * M, "h1": H, "h2": 2 * H, "h6": 6 * H, "d1": 24 * H}
    return {names[k]: slo.WindowSample(rate=v) for k, v in rates.items()}


def test_error_and_burn_rate() -> None:
    assert slo.WindowSample(errors=3, requests=1200).error_rate == pytest.approx(0.0025)
    assert slo.WindowSample(errors=0, requests=0).error_rate is None  # no traffic: no data
    # 0.5% errors against a 99% objective spends budget at half speed.
    assert slo.burn_rate(0.005, 0.99) == pytest.approx(0.5)
    assert slo.burn_rate(0.144, 0.99) == pytest.approx(14.4)
    with pytest.raises(ConfigError):
        slo.burn_rate(0.1, 1.0)


def test_fast_burn_needs_both_windows() -> None:
    # 1h burns 15x, 5m only 10x: the burn has stopped, the rule stays quiet.
    calm = slo.evaluate(
        samples(h1=0.15, m5=0.10, h6=0.01, m30=0.01, d1=0.01, h2=0.01), **shipped.slo()
    )
    assert [c.verdict for c in calm.checks] == [Verdict.PASS] * 3
    hot = slo.evaluate(
        samples(h1=0.15, m5=0.20, h6=0.01, m30=0.01, d1=0.01, h2=0.01), **shipped.slo()
    )
    assert hot.checks[0].verdict is Verdict.FAIL
    assert hot.checks[0].value == pytest.approx(15.0)  # the smaller of the two burns
    assert hot.burn_rate == pytest.approx(15.0)


def test_slow_burn_rules() -> None:
    six = slo.evaluate(
        samples(h1=0.01, m5=0.01, h6=0.07, m30=0.08, d1=0.01, h2=0.01), **shipped.slo()
    )
    assert [c.verdict for c in six.checks] == [Verdict.PASS, Verdict.FAIL, Verdict.PASS]
    day = slo.evaluate(
        samples(h1=0.01, m5=0.01, h6=0.01, m30=0.01, d1=0.035, h2=0.04), **shipped.slo()
    )
    assert [c.verdict for c in day.checks] == [Verdict.PASS, Verdict.PASS, Verdict.WARN]


def test_missing_window_is_no_data() -> None:
    outcome = slo.evaluate(samples(h1=0.2, m5=0.2), **shipped.slo())
    assert [c.verdict for c in outcome.checks] == [Verdict.FAIL, Verdict.NO_DATA, Verdict.NO_DATA]
    warn = slo.evaluate({}, **shipped.slo(on_no_data=OnNoData.WARN))
    assert {c.verdict for c in warn.checks} == {Verdict.WARN}


def test_lumen_v1_preset() -> None:
    fires = slo.evaluate(samples(m5=0.15, h1=0.03), **shipped.slo(preset="lumen-v1"))
    assert fires.checks[0].verdict is Verdict.FAIL
    short_only = slo.evaluate(samples(m5=0.15, h1=0.02), **shipped.slo(preset="lumen-v1"))
    assert short_only.checks[0].verdict is Verdict.PASS
    assert slo.windows_needed("lumen-v1") == [5 * M, H]


def test_custom_rules() -> None:
    rules = slo.parse_rules([{"long": "2h", "short": "10m", "factor": 2, "verdict": "warn"}])
    outcome = slo.evaluate(
        {2 * H: slo.WindowSample(rate=0.03), 10 * M: slo.WindowSample(rate=0.05)},
        **shipped.slo(rules=rules),
    )
    assert outcome.checks[0].name == "burn_rate_2h_10m"
    assert outcome.checks[0].verdict is Verdict.WARN


# --- score -----------------------------------------------------------------------------------


def test_weighted_score_known_answer() -> None:
    # weights 2,1,1 ; scores 1, 0.5, 0 -> 100 * (2 + 0.5) / 4 = 62.5 < 70 -> FAIL.
    result = weighted_score(
        [
            Objective("a", Verdict.PASS, 2),
            Objective("b", Verdict.WARN, 1),
            Objective("c", Verdict.FAIL, 1),
            Objective("d", Verdict.NO_DATA, 5),  # leaves both sums
        ]
    )
    assert result.score == pytest.approx(62.5)
    assert result.verdict is Verdict.FAIL
    points = {c.name: c.points for c in result.contributions}
    assert points == {"a": pytest.approx(50), "b": pytest.approx(12.5), "c": 0, "d": None}


def test_score_passes_at_score_min_and_warn_band() -> None:
    objectives = [Objective("a", Verdict.PASS, 7), Objective("b", Verdict.FAIL, 3)]
    assert weighted_score(objectives).verdict is Verdict.PASS  # exactly 70
    assert weighted_score(objectives, score_warn=80).verdict is Verdict.WARN


def test_key_objective_vetoes() -> None:
    result = weighted_score(
        [Objective("a", Verdict.PASS, 10), Objective("k", Verdict.FAIL, 1, key=True)]
    )
    assert result.score == pytest.approx(100 * 10 / 11)
    assert result.verdict is Verdict.FAIL and result.key_failures == ["k"]


def test_all_no_data_is_no_data() -> None:
    result = weighted_score([Objective("a", Verdict.NO_DATA), Objective("b", Verdict.NO_DATA)])
    assert result.score is None and result.verdict is Verdict.NO_DATA


@given(st.lists(st.tuples(st.sampled_from(list(Verdict)), st.floats(0.1, 10)), min_size=1))
def test_adding_a_passing_objective_never_lowers_the_score(
    items: list[tuple[Verdict, float]],
) -> None:
    objectives = [Objective(str(i), v, w) for i, (v, w) in enumerate(items)]
    before = weighted_score(objectives).score
    after = weighted_score([*objectives, Objective("new", Verdict.PASS, 1.0)]).score
    assert after is not None
    assert 0 <= after <= 100
    if before is not None:
        assert after >= before - 1e-9


def test_relative_criteria() -> None:
    percent = parse_criterion("<= +10%")
    assert percent.relative and percent.percent
    assert percent.threshold(200.0) == pytest.approx(220.0)
    delta = parse_criterion(">= -0.05")
    assert delta.threshold(0.9) == pytest.approx(0.85)
    absolute = parse_criterion("< 600")
    assert not absolute.relative and absolute.threshold(None) == 600
    with pytest.raises(ConfigError):
        parse_criterion("about 5")


def test_criteria_check_uses_and_shows_the_baseline() -> None:
    baseline = median_baseline([100.0, 300.0, 200.0, None, 250.0], n=3)
    assert baseline == 250.0  # median of the last three known values: 300, 200, 250
    ok = criteria_check("lead", 270.0, [parse_criterion("<= +10%")], baseline=baseline)
    assert ok.verdict is Verdict.PASS and ok.baseline == 250.0 and "baseline 250" in ok.reason
    warn = criteria_check(
        "lead",
        300.0,
        [parse_criterion("<= +10%")],
        warning=[parse_criterion("<= +25%")],
        baseline=baseline,
    )
    assert warn.verdict is Verdict.WARN
    bad = criteria_check("lead", 400.0, [parse_criterion("<= +10%")], baseline=baseline)
    assert bad.verdict is Verdict.FAIL
    first = criteria_check("lead", 400.0, [parse_criterion("<= +10%")], baseline=None)
    assert first.verdict is Verdict.NO_DATA
