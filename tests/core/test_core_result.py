"""The verdict model: combining, exit codes, checks, JSON shape against the published schema."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.result import (
    Check,
    GateResult,
    OnNoData,
    Verdict,
    compare,
    decide,
    threshold_check,
    worst,
)
from lumen.schema import iter_errors


def test_exit_codes_only_fail_is_2() -> None:
    assert {v: v.exit_code for v in Verdict} == {
        Verdict.PASS: 0,
        Verdict.WARN: 0,
        Verdict.FAIL: 2,
        Verdict.NO_DATA: 0,
    }


def test_worst_order() -> None:
    assert worst([]) is Verdict.NO_DATA
    assert worst([Verdict.NO_DATA, Verdict.PASS]) is Verdict.PASS
    assert worst([Verdict.PASS, Verdict.WARN, Verdict.NO_DATA]) is Verdict.WARN
    assert worst([Verdict.WARN, Verdict.FAIL, Verdict.PASS]) is Verdict.FAIL


@given(st.lists(st.sampled_from(list(Verdict))))
def test_worst_is_order_independent(verdicts: list[Verdict]) -> None:
    assert worst(verdicts) is worst(list(reversed(verdicts)))
    if Verdict.FAIL in verdicts:
        assert worst(verdicts) is Verdict.FAIL


def test_threshold_check_pass_fail_and_boundaries() -> None:
    assert threshold_check("x", 0.6, ">=", 0.6).verdict is Verdict.PASS
    assert threshold_check("x", 0.5999999, ">=", 0.6).verdict is Verdict.FAIL
    assert threshold_check("x", 0.2, "<=", 0.2).verdict is Verdict.PASS
    warn = threshold_check("x", 0.1, ">=", 0.6, fail_verdict=Verdict.WARN)
    assert warn.verdict is Verdict.WARN
    assert "0.100 is not >= 0.6" in warn.reason


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (OnNoData.PASS, Verdict.NO_DATA),
        (OnNoData.WARN, Verdict.WARN),
        (OnNoData.FAIL, Verdict.FAIL),
    ],
)
def test_no_data_is_explicit(mode: OnNoData, expected: Verdict) -> None:
    for missing in (None, math.nan):
        check = threshold_check("x", missing, ">=", 0.6, on_no_data=mode)
        assert check.verdict is expected
        assert "no data" in check.reason


def test_unknown_comparator() -> None:
    with pytest.raises(ValueError, match="unknown comparator"):
        compare(1, "=>", 1)


def test_decide_key_check_fail_wins() -> None:
    checks = [
        Check("a", 1.0, ">=", 0.5, Verdict.PASS, "ok"),
        Check("b", 0.0, ">=", 0.5, Verdict.FAIL, "bad", key=True),
    ]
    assert decide(checks) is Verdict.FAIL


def test_result_json_matches_published_schema() -> None:
    result = GateResult(
        gate="maturity",
        verdict=Verdict.PASS,
        checks=[threshold_check("maturity.overall", 0.707, ">=", 0.6)],
        inputs={"events": "x.jsonl", "env": "prod"},
        window="24h",
        generated_at="2026-11-21T10:00:00Z",
        values={"maturity": {"overall": 0.707}},
        ledger_head="a" * 64,
    )
    doc = result.to_dict()
    assert doc["verdict"] == doc["status"] == "PASS"
    assert doc["maturity"] == {"overall": 0.707}
    assert [e.message for e in iter_errors("gate-result.schema.json", doc)] == []
    doc["verdict"] = "MAYBE"
    assert list(iter_errors("gate-result.schema.json", doc))


def test_nan_values_become_null_in_json() -> None:
    check = Check("x", math.nan, ">=", 1.0, Verdict.NO_DATA, "no data")
    assert check.to_dict()["value"] is None
