"""Pure decisions of the policy gate: AnalysisRun semantics, per-series judging, no data,
errors, severities, document and schema findings. Known answers worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.policy import (
    Finding,
    FindingKind,
    Measurement,
    MetricRule,
    OnError,
    Phase,
    Sample,
    SchemaError,
    Severity,
    assess,
    build_query,
    final_phase,
    is_decided,
    judge_documents,
    judge_rule,
    judge_schema,
    resolve_threshold,
    selector,
    summarize,
)
from gates.result import OnNoData, Verdict

S, F, I, E = Phase.SUCCESSFUL, Phase.FAILED, Phase.INCONCLUSIVE, Phase.ERROR  # noqa: E741


def rule(**kw: object) -> MetricRule:
    base: dict[str, object] = {
        "id": "R1",
        "query": "q",
        "comparator": "<=",
        "threshold": 0.05,
    }
    base.update(kw)
    return MetricRule(**base)  # type: ignore[arg-type]


def vec(*pairs: tuple[dict[str, str], float]) -> Measurement:
    return Measurement(tuple(Sample(tuple(sorted(lb.items())), v) for lb, v in pairs))


# --------------------------------------------------------------------------- queries


def test_build_query_forms() -> None:
    assert build_query("lumen_m_score", "2m", "avg") == "avg_over_time(lumen_m_score[2m])"
    assert build_query('x{job="a"}', "5m", "rate") == 'rate(x{job="a"}[5m])'
    assert build_query("lat", "10m", "p95") == "quantile_over_time(0.95, lat[10m])"
    with pytest.raises(ValueError, match="unknown aggregation 'median'"):
        build_query("x", "1m", "median")


def test_threshold_per_environment() -> None:
    guard = {"default": 0.6, "stage": 0.5, "prod": 0.4}
    assert resolve_threshold(guard, "prod") == 0.4
    assert resolve_threshold(guard, "stage") == 0.5
    assert resolve_threshold(guard, "dev") == 0.6
    assert resolve_threshold(guard, None) == 0.6
    assert resolve_threshold(3, "prod") == 3.0
    with pytest.raises(ValueError, match="no threshold for environment qa"):
        resolve_threshold({"prod": 1}, "qa")


# --------------------------------------------------------------------------- AnalysisRun


@pytest.mark.parametrize(
    ("phases", "limits", "expected"),
    [
        ([S], {}, S),
        ([F], {}, F),  # failure-limit 0: one failure is too many
        ([F, S, S], {"failure_limit": 1}, S),  # 1 failure, not more than 1
        ([F, S, F], {"failure_limit": 1}, F),  # 2 failures > 1
        ([I], {}, I),
        ([I, S], {"inconclusive_limit": 1}, S),
        ([I, I], {"inconclusive_limit": 1}, I),
        ([F, I, I], {"failure_limit": 0, "inconclusive_limit": 0}, F),  # Failed wins
        ([E, E, S], {"consecutive_error_limit": 1}, S),  # the run of errors broke
        ([S, E, E], {"consecutive_error_limit": 1}, E),  # 2 consecutive > 1
        ([E], {}, E),  # nothing measured at all: no evidence
        ([E, S], {}, S),  # Argo: an error followed by a success is fine
    ],
)
def test_analysis_run_assessment(
    phases: list[Phase], limits: dict[str, int], expected: Phase
) -> None:
    assert final_phase(rule(**limits), phases) is expected


def test_assess_is_undecided_until_a_limit_is_crossed() -> None:
    r = rule(failure_limit=2, count=5)
    assert assess(r, [F, F]) is None
    assert assess(r, [F, F, F]) is F


@given(st.lists(st.sampled_from([S, F]), min_size=1, max_size=30), st.integers(0, 30))
def test_fail_iff_failures_exceed_limit(phases: list[Phase], limit: int) -> None:
    failed = phases.count(F)
    assert (final_phase(rule(failure_limit=limit), phases) is F) == (failed > limit)


# --------------------------------------------------------------------------- judging


def test_single_series_pass_and_fail() -> None:
    ok = judge_rule(rule(), [vec(({}, 0.02))])
    (check,) = ok.checks
    assert (check.name, check.verdict, check.value) == ("R1", Verdict.PASS, 0.02)
    assert check.reason == "R1 = 0.02 <= 0.05"
    bad = judge_rule(rule(), [vec(({}, 0.07))])
    assert bad.checks[0].verdict is Verdict.FAIL
    assert bad.checks[0].reason == "R1 = 0.07 is not <= 0.05"
    assert bad.error is None


def test_vector_is_judged_per_series() -> None:
    outcome = judge_rule(
        rule(),
        [vec(({"service": "api"}, 0.01), ({"service": "web"}, 0.2), ({"service": "db"}, 0.05))],
    )
    verdicts = {c.name: c.verdict for c in outcome.checks}
    assert verdicts == {
        'R1{service="api"}': Verdict.PASS,
        'R1{service="web"}': Verdict.FAIL,
        'R1{service="db"}': Verdict.PASS,  # 0.05 <= 0.05, unrounded
    }
    assert outcome.checks[1].extra["labels"] == {"service": "web"}


@pytest.mark.parametrize(
    ("on_no_data", "verdict"),
    [
        (OnNoData.PASS, Verdict.NO_DATA),
        (OnNoData.WARN, Verdict.WARN),
        (OnNoData.FAIL, Verdict.FAIL),
    ],
)
def test_no_data_follows_on_no_data(on_no_data: OnNoData, verdict: Verdict) -> None:
    (check,) = judge_rule(rule(on_no_data=on_no_data), [Measurement()]).checks
    assert check.verdict is verdict
    assert check.value is None
    assert "no data for R1" in check.reason


def test_nan_value_is_inconclusive_not_pass() -> None:
    (check,) = judge_rule(rule(), [vec(({}, math.nan))]).checks
    assert check.verdict is Verdict.NO_DATA
    assert check.extra["phase"] == "Inconclusive"


def test_error_with_on_error_fail_is_raised_by_the_command() -> None:
    outcome = judge_rule(rule(), [Measurement(error="cannot connect")])
    assert outcome.error == "R1: cannot connect"
    assert outcome.checks[0].extra["phase"] == "Error"


@pytest.mark.parametrize(
    ("on_error", "verdict"), [(OnError.WARN, Verdict.WARN), (OnError.PASS, Verdict.NO_DATA)]
)
def test_error_recorded_when_on_error_allows(on_error: OnError, verdict: Verdict) -> None:
    outcome = judge_rule(rule(on_error=on_error), [Measurement(error="timeout")])
    assert outcome.error is None
    assert outcome.checks[0].verdict is verdict
    assert "query failed: timeout" in outcome.checks[0].reason


@pytest.mark.parametrize(
    ("severity", "verdict", "key"),
    [
        (Severity.CRITICAL, Verdict.FAIL, True),
        (Severity.ERROR, Verdict.FAIL, False),
        (Severity.WARNING, Verdict.WARN, False),
        (Severity.INFO, Verdict.PASS, False),
    ],
)
def test_severity_maps_failures(severity: Severity, verdict: Verdict, key: bool) -> None:
    (check,) = judge_rule(rule(severity=severity), [vec(({}, 1.0))]).checks
    assert (check.verdict, check.key) == (verdict, key)


def test_repeated_measurement_with_failure_limit() -> None:
    r = rule(count=4, failure_limit=1)
    values = [0.01, 0.09, 0.02, 0.08]  # two failures > limit 1
    (check,) = judge_rule(r, [vec(({}, v)) for v in values]).checks
    assert check.verdict is Verdict.FAIL
    assert check.extra["measurements"]["failed"] == 2
    assert check.extra["values"] == values
    assert "2 of 4 measurements failed, failure-limit 1" in check.reason
    (check,) = judge_rule(rule(count=4, failure_limit=2), [vec(({}, v)) for v in values]).checks
    assert check.verdict is Verdict.PASS


def test_series_missing_from_a_measurement_is_inconclusive() -> None:
    r = rule(count=2, inconclusive_limit=0)
    ms = [vec(({"s": "a"}, 0.0), ({"s": "b"}, 0.0)), vec(({"s": "a"}, 0.0))]
    verdicts = {c.name: c.extra["phase"] for c in judge_rule(r, ms).checks}
    assert verdicts == {'R1{s="a"}': "Successful", 'R1{s="b"}': "Inconclusive"}


def test_early_stop_once_decided() -> None:
    r = rule(count=5, failure_limit=1)
    assert not is_decided(r, [vec(({}, 1.0))])
    assert is_decided(r, [vec(({}, 1.0)), vec(({}, 1.0))])
    assert not is_decided(r, [Measurement(error="x")])  # 1 error <= default limit 4


def test_selector_rendering() -> None:
    assert selector(()) == ""
    assert selector((("a", "1"), ("b", "x"))) == '{a="1", b="x"}'


# --------------------------------------------------------------------------- documents


def test_finding_kinds_follow_conftest_prefixes() -> None:
    assert FindingKind.of_rule("deny") is FindingKind.DENY
    assert FindingKind.of_rule("deny_latest_tag") is FindingKind.DENY
    assert FindingKind.of_rule("violation") is FindingKind.VIOLATION
    assert FindingKind.of_rule("warn_x") is FindingKind.WARN
    with pytest.raises(ValueError):
        FindingKind.of_rule("denylist")


def test_documents_warn_and_fail_on_warn() -> None:
    files = [("a.yaml", 2), ("b.yaml", 1), ("c.yaml", 1)]
    findings = [
        Finding("a.yaml", "main", "warn", "careful", line=5, document=1),
        Finding("b.yaml", "main", "violation", "bad", line=1),
    ]
    checks = judge_documents(files, findings)
    assert [(c.name, c.verdict) for c in checks] == [
        ("main.warn a.yaml:5", Verdict.WARN),
        ("main.violation b.yaml:1", Verdict.FAIL),
        ("rego c.yaml", Verdict.PASS),
    ]
    strict = judge_documents(files, findings, fail_on_warn=True)
    assert strict[0].verdict is Verdict.FAIL


def test_schema_keeps_first_n_errors() -> None:
    errors = [SchemaError(i, f"f{i}", "bad") for i in range(1, 6)]
    check = judge_schema("e.jsonl", "loop-event", 5, errors, limit=2)
    assert check.verdict is Verdict.FAIL
    assert check.value == 5
    assert check.reason == "line 1: f1: bad (and 4 more error(s))"
    assert [e["line"] for e in check.extra["errors"]] == [1, 2]
    ok = judge_schema("e.jsonl", "loop-event", 5, [], limit=2)
    assert ok.verdict is Verdict.PASS


def test_summary_counts_by_kind() -> None:
    checks = [
        *judge_rule(rule(), [vec(({}, 1.0))]).checks,
        *judge_documents([("a", 1)], []),
        judge_schema("e", "s", 1, [SchemaError(1, "x", "y")], limit=1),
    ]
    summary = summarize(checks)
    assert summary["metrics"]["fail"] == 1
    assert summary["documents"]["pass"] == 1
    assert summary["schemas"]["fail"] == 1
    assert summary["failed"] == 2


def test_selector_leaves_out_the_metric_name() -> None:
    assert selector((("__name__", "up"), ("job", "a"))) == '{job="a"}'
    assert selector((("__name__", "up"),)) == ""
