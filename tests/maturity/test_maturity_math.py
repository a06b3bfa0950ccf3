"""The spectrum formulas (docs/reference.md#maturity): known answers computed by hand, and
properties."""

from __future__ import annotations

import math
import random

import pytest
import shipped
from hypothesis import given, settings
from hypothesis import strategies as st

from gates import maturity as m
from gates.result import OnNoData, Verdict

LOG3 = math.log(3)


def spec(events: list[tuple[str, float]]) -> m.Spectrum:
    result = m.spectrum_of_events(events)
    assert result is not None
    return result


# ------------------------------------------------------------------ known answers (by hand)


def test_balanced_kinds_equal_severity() -> None:
    # p = (1/3, 1/3, 1/3): H = log 3 -> sense 1; stdev 0 -> feedback e^0 = 1;
    # action ratio 1/3 / 0.30 = 1.11 -> release capped at 1; overall 0.4 + 0.3 + 0.3 = 1.
    s = spec([("signal", 0.5), ("evidence", 0.5), ("action", 0.5)])
    assert s.sense == pytest.approx(1.0, abs=1e-15)
    assert s.feedback == 1.0
    assert s.release == 1.0
    assert s.overall == pytest.approx(1.0, abs=1e-15)
    assert s.events == 3


def test_one_kind_only() -> None:
    # Everything is a signal: H = 0 -> sense 0; equal severities -> feedback 1; no action ->
    # release 0; overall = 0.3 * 1 = 0.3.
    s = spec([("signal", 0.5)] * 4)
    assert (s.sense, s.feedback, s.release) == (0.0, 1.0, 0.0)
    assert s.overall == pytest.approx(0.3)


def test_no_actions() -> None:
    # 2 signals + 2 evidence: H = log 2 -> sense log2/log3 = 0.63093; severities 0.25/0.75
    # around mean 0.5 -> population stdev 0.25 -> feedback e^-0.75 = 0.47237; release 0;
    # overall = 0.4 * 0.63093 + 0.3 * 0.47237 = 0.39408.
    s = spec([("signal", 0.25), ("signal", 0.75), ("evidence", 0.25), ("evidence", 0.75)])
    assert s.sense == pytest.approx(0.6309297535714574)
    assert s.severity_stdev == pytest.approx(0.25)
    assert s.feedback == pytest.approx(0.4723665527410147)
    assert s.release == 0.0
    assert s.overall == pytest.approx(0.39408187, abs=1e-8)


def test_single_event() -> None:
    # One action: sense 0 (one kind), feedback 1 (no spread), release 1 (ratio 1 > 0.30);
    # overall 0.3 + 0.3 = 0.6, exactly the default floor, yet sense fails the band floor.
    s = spec([("action", 0.9)])
    assert (s.sense, s.feedback, s.release) == (0.0, 1.0, 1.0)
    assert s.overall == pytest.approx(0.6)
    result = m.gate([m.window_result("24h", s, None)], shipped.maturity())
    verdicts = {c.name: c.verdict for c in result.checks}
    assert verdicts["sense[24h]"] is Verdict.FAIL
    assert verdicts["release[24h]"] is Verdict.PASS
    assert result.verdict is Verdict.FAIL


def test_spec_healthy_example_needs_h_over_log3() -> None:
    # 54 signals, 5 evidence, 16 actions (75 events, all severity 0.25):
    # H = -(0.72 ln 0.72 + 0.0667 ln 0.0667 + 0.2133 ln 0.2133) = 0.74663; / ln 3 = 0.6796
    # -> the spec's sense 0.68; release = (16/75)/0.30 = 0.7111 -> the spec's 0.71.
    # 1 - H/log 3 would give 0.32, which is why the spec settles on H/log 3.
    events = [("signal", 0.25)] * 54 + [("evidence", 0.25)] * 5 + [("action", 0.25)] * 16
    s = spec(events)
    assert round(s.sense, 2) == 0.68
    assert round(s.release, 2) == 0.71
    assert s.feedback == 1.0
    # overall = 0.4 * 0.6796 + 0.3 + 0.3 * 0.7111 = 0.7852 -> healthy, and tighten at trend 0
    assert s.overall == pytest.approx(0.4 * s.sense + 0.3 + 0.3 * (16 / 75 / 0.3))
    assert round(s.overall, 3) == 0.785
    assert m.hint_of(s.overall, None) == "tighten"  # no trend counts as 0
    assert m.hint_of(s.overall, -0.01) == "steady"  # >= 0.75 but slipping


def test_hint_on_missing_trend_counts_as_zero() -> None:
    # spec: null trend is treated as 0 by the hint
    assert m.hint_of(0.8, None) == "tighten"


def test_empty_window_is_no_data() -> None:
    assert m.spectrum_of(m.Cell()) is None
    result = m.gate([m.window_result("24h", None, None)], shipped.maturity())
    assert result.verdict is Verdict.NO_DATA
    assert all(c.verdict is Verdict.NO_DATA for c in result.checks)
    assert result.values["maturity"]["overall"] is None
    assert result.values["maturity"]["events"] == 0
    assert result.values["maturity"]["hint"] is None
    failing = m.gate(
        [m.window_result("24h", None, None)], shipped.maturity(), on_no_data=OnNoData.FAIL
    )
    assert failing.verdict is Verdict.FAIL
    warning = m.gate(
        [m.window_result("24h", None, None)], shipped.maturity(), on_no_data=OnNoData.WARN
    )
    assert warning.verdict is Verdict.WARN


@pytest.mark.parametrize(
    ("overall", "trend", "hint"),
    [
        (0.75, 0.0, "tighten"),
        (0.75, -0.01, "steady"),
        (0.90, -0.05, "relax"),
        (0.5999, 0.2, "relax"),
        (0.60, 0.0, "steady"),
        (0.70, -0.0499, "steady"),
        (0.70, None, "steady"),
        (None, None, None),
    ],
)
def test_hint_boundaries(overall: float | None, trend: float | None, hint: str | None) -> None:
    assert m.hint_of(overall, trend) == hint


def test_thresholds_from_settings_band_fallback() -> None:
    from lumen.config import Config
    from lumen.settings import Scope, Settings

    config = Config(data={"maturity": {"min-overall": 0.7, "min-band": 0.4, "min-release": 0.2}})
    t = Settings.build(config).maturity(Scope(None, None)).thresholds
    assert (t.min_overall, t.min_sense, t.min_feedback, t.min_release) == (0.7, 0.4, 0.4, 0.2)
    assert shipped.maturity() == m.Thresholds(0.60, 0.50, 0.50, 0.50)


def test_m_score_presets() -> None:
    checks = m.m_score_checks(
        {"preset": "prod"},
        m_score=0.47,
        h_eff=0.70,
        fast_burn_firing=False,
        on_no_data=OnNoData.PASS,
    )
    by_name = {c.name: c for c in checks}
    assert by_name["m-score"].threshold == 0.48
    assert by_name["m-score"].verdict is Verdict.FAIL
    assert by_name["h-eff"].threshold == 0.70
    assert by_name["h-eff"].verdict is Verdict.PASS
    stage = m.m_score_checks(
        {"preset": "stage"},
        m_score=0.47,
        h_eff=0.73,
        fast_burn_firing=True,
        on_no_data=OnNoData.PASS,
    )
    by_name = {c.name: c for c in stage}
    assert by_name["m-score"].verdict is Verdict.PASS
    assert by_name["h-eff"].verdict is Verdict.FAIL
    assert by_name["no-fast-burn"].key and by_name["no-fast-burn"].verdict is Verdict.FAIL


# ------------------------------------------------------------------------------ windows


def test_window_plan_half_open_intervals() -> None:
    hour = 3600 * m.MICROS
    now = 100 * hour
    plan = m.WindowPlan(now, [m.Window("1h", hour), m.Window("2h", 2 * hour)])
    tally = m.Tally()
    for ts, kind in [
        (now, "action"),  # included (window is (now - W, now])
        (now - hour, "signal"),  # excluded from 1h, in its previous window and in 2h
        (now - hour + 1, "evidence"),  # included in 1h
        (now + 1, "action"),  # the future: nowhere
        (now - 4 * hour, "signal"),  # older than every window
    ]:
        tally.add_event(plan, m.LoopEvent(ts, kind, 0.5))
    one, two = m.windows_from_tally(plan, tally)
    assert one.spectrum is not None and one.spectrum.kinds == {
        "signal": 0,
        "evidence": 1,
        "action": 1,
    }
    assert two.spectrum is not None and two.spectrum.events == 3
    # previous 1h window holds the single signal: overall 0 + 0.3 + 0 = 0.3
    assert one.previous_overall == pytest.approx(0.3)
    assert one.trend == pytest.approx(one.spectrum.overall - 0.3)
    # previous 2h window (now-4h, now-2h] is empty -> trend None
    assert two.previous_overall is None and two.trend is None


def test_loops_are_separate_and_overall_includes_unlooped() -> None:
    plan = m.WindowPlan(10 * m.MICROS, [m.Window("1m", 60 * m.MICROS)])
    tally = m.Tally()
    tally.add_event(plan, m.LoopEvent(5 * m.MICROS, "signal", 0.1, "a"))
    tally.add_event(plan, m.LoopEvent(5 * m.MICROS, "action", 0.1, "b"))
    tally.add_event(plan, m.LoopEvent(5 * m.MICROS, "evidence", 0.1, None))
    (result,) = m.windows_from_tally(plan, tally)
    assert set(result.loops) == {"a", "b"}
    assert result.loops["a"].kinds["signal"] == 1
    assert result.spectrum is not None and result.spectrum.sense == pytest.approx(1.0)


def test_compare_replaces_previous_window() -> None:
    plan = m.WindowPlan(10 * m.MICROS, [m.Window("1m", 60 * m.MICROS)])
    tally = m.Tally()
    tally.add_event(plan, m.LoopEvent(5 * m.MICROS, "action", 0.5))
    (result,) = m.windows_from_tally(plan, tally, compare={"1m": 0.5})
    assert result.trend == pytest.approx(0.6 - 0.5)
    assert result.trend_source == "compare"
    (none,) = m.windows_from_tally(plan, tally, compare={})
    assert none.trend is None


# ------------------------------------------------------------------------------ properties

kinds = st.sampled_from(m.KINDS)
severities = st.one_of(
    st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)
event_lists = st.lists(st.tuples(kinds, severities), min_size=1, max_size=200)


@given(event_lists)
def test_every_value_in_unit_interval(events: list[tuple[str, float]]) -> None:
    s = spec(events)
    for value in (s.sense, s.feedback, s.release, s.overall):
        assert 0.0 <= value <= 1.0


@given(event_lists, st.randoms(use_true_random=False))
def test_order_never_changes_the_result(
    events: list[tuple[str, float]], rnd: random.Random
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert spec(shuffled) == spec(events)  # exact equality, not approx


@given(event_lists)
def test_duplicating_every_event_keeps_sense_and_release(events: list[tuple[str, float]]) -> None:
    once, twice = spec(events), spec(events + events)
    assert twice.sense == once.sense
    assert twice.release == once.release
    assert twice.events == 2 * once.events


@settings(max_examples=50)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1, max_size=60))
def test_folded_statistics_equal_unfolded(values: list[float]) -> None:
    folded = m.SeverityStats()
    plain = m.SeverityStats()
    for index, value in enumerate(values):
        folded.add(value)
        plain.add(value)
        if index % 7 == 3:
            folded.fold()
    assert folded.stdev() == plain.stdev()
    assert folded.count == plain.count == len(values)


def test_million_events_do_not_drift() -> None:
    # 10^6 events alternating 0.1/0.9: population stdev is exactly 0.4. A naive running sum of
    # squares drifts in the last digits; the exact tally does not.
    stats = m.SeverityStats()
    stats.add(0.1, 500_000)
    stats.add(0.9, 500_000)
    assert stats.stdev() == pytest.approx(0.4, abs=1e-15)
    # a constant severity has no spread at all, however many events
    flat = m.SeverityStats()
    flat.add(0.3, 1_000_000)
    assert flat.stdev() == 0.0
