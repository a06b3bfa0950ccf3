"""Policy gate decisions (docs/reference.md#policy): metric rules judged like an Argo Rollouts
AnalysisRun, document findings (Rego) and schema findings, all turned into one set of checks.

Pure functions over plain data. Fetching measurements from Prometheus, evaluating Rego and
reading files happen in `lumen.policy`; this module only decides.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gates.result import Check, OnNoData, Verdict, compare

# --------------------------------------------------------------------------- metric rules


class Severity(enum.StrEnum):
    """How much a failing rule matters. `critical` rules are key checks (they veto)."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def fail_verdict(self) -> Verdict:
        if self in (Severity.CRITICAL, Severity.ERROR):
            return Verdict.FAIL
        if self is Severity.WARNING:
            return Verdict.WARN
        # An info rule is reported but never blocks: visible, not binding.
        return Verdict.PASS


class OnError(enum.StrEnum):
    """What a query that errored turns into. `fail` follows docs/reference.md#no-data: the gate
    cannot decide, so the command exits 1 naming the rule; `warn`/`pass` record the error as
    WARN/NO_DATA."""

    FAIL = "fail"
    WARN = "warn"
    PASS = "pass"


class Phase(enum.StrEnum):
    """Argo Rollouts measurement and metric phases."""

    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    INCONCLUSIVE = "Inconclusive"
    ERROR = "Error"


# Argo Rollouts' default: a metric errors only after more than 4 consecutive errors.
DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4

AGGREGATIONS = {
    "avg": "avg_over_time",
    "min": "min_over_time",
    "max": "max_over_time",
    "sum": "sum_over_time",
    "count": "count_over_time",
    "last": "last_over_time",
    "stddev": "stddev_over_time",
    "rate": "rate",
    "increase": "increase",
    "delta": "delta",
    "deriv": "deriv",
    "changes": "changes",
}
QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


def build_query(metric: str, window: str, aggregation: str) -> str:
    """PromQL for the `metric` + `window` + `aggregation` form of a rule.

    `metric` may carry a label selector (`http_requests_total{job="api"}`); quantiles use
    `quantile_over_time` (p50/p90/p95/p99).
    """
    if aggregation in QUANTILES:
        return f"quantile_over_time({QUANTILES[aggregation]}, {metric}[{window}])"
    try:
        function = AGGREGATIONS[aggregation]
    except KeyError:
        allowed = ", ".join([*AGGREGATIONS, *QUANTILES])
        raise ValueError(
            f"unknown aggregation {aggregation!r}; expected one of {allowed}"
        ) from None
    return f"{function}({metric}[{window}])"


def resolve_threshold(threshold: float | Mapping[str, float], env: str | None) -> float:
    """A threshold is a number or a mapping env -> number (with an optional `default`)."""
    if isinstance(threshold, Mapping):
        if env is not None and env in threshold:
            return float(threshold[env])
        if "default" in threshold:
            return float(threshold["default"])
        known = ", ".join(sorted(threshold))
        raise ValueError(
            f"no threshold for environment {env or '(none)'}; this rule defines {known}"
            " (pass --env or add a `default`)"
        )
    return float(threshold)


@dataclass(frozen=True)
class MetricRule:
    """One metric rule of a pack, with its threshold already resolved for the environment."""

    id: str
    query: str
    comparator: str
    threshold: float
    description: str = ""
    severity: Severity = Severity.ERROR
    on_no_data: OnNoData = OnNoData.PASS
    on_error: OnError = OnError.FAIL
    count: int = 1
    interval: float = 0.0
    failure_limit: int = 0
    inconclusive_limit: int = 0
    consecutive_error_limit: int = DEFAULT_CONSECUTIVE_ERROR_LIMIT
    timeout: float | None = None
    pack: str = ""
    file: str | None = None
    line: int | None = None

    @property
    def key(self) -> bool:
        return self.severity is Severity.CRITICAL


Labels = tuple[tuple[str, str], ...]


def labels_of(metric: Mapping[str, str]) -> Labels:
    return tuple(sorted(metric.items()))


@dataclass(frozen=True)
class Sample:
    """One series of a query result: its labels and value (NaN allowed)."""

    labels: Labels
    value: float


@dataclass(frozen=True)
class Measurement:
    """One evaluation of a rule's query: the series it returned, or the error it raised."""

    samples: tuple[Sample, ...] = ()
    error: str | None = None


def measurement_phase(rule: MetricRule, value: float) -> Phase:
    """A value that is NaN (e.g. 0/0) says nothing either way: inconclusive."""
    if math.isnan(value):
        return Phase.INCONCLUSIVE
    return Phase.SUCCESSFUL if compare(value, rule.comparator, rule.threshold) else Phase.FAILED


def assess(rule: MetricRule, phases: Sequence[Phase]) -> Phase | None:
    """Argo Rollouts' metric assessment: Failed when failures exceed failure-limit, then
    Inconclusive past inconclusive-limit, then Error past consecutive-error-limit.

    Returns None while the metric is still undecided (more measurements may change it);
    `final_phase` settles it once all `count` measurements are in.
    """
    failed = sum(p is Phase.FAILED for p in phases)
    inconclusive = sum(p is Phase.INCONCLUSIVE for p in phases)
    consecutive_errors = 0
    for p in reversed(phases):
        if p is not Phase.ERROR:
            break
        consecutive_errors += 1
    if failed > rule.failure_limit:
        return Phase.FAILED
    if inconclusive > rule.inconclusive_limit:
        return Phase.INCONCLUSIVE
    if consecutive_errors > rule.consecutive_error_limit:
        return Phase.ERROR
    return None


def final_phase(rule: MetricRule, phases: Sequence[Phase]) -> Phase:
    decided = assess(rule, phases)
    if decided is not None:
        return decided
    if phases and all(p is Phase.ERROR for p in phases):
        # Nothing was ever measured: a run of errors shorter than the limit is still no evidence.
        return Phase.ERROR
    return Phase.SUCCESSFUL


def series_phases(
    rule: MetricRule, measurements: Sequence[Measurement]
) -> dict[Labels, list[Phase]]:
    """Phases per series across measurements. A series missing from a measurement that
    returned others is inconclusive there; an errored measurement is an error for all."""
    seen: list[Labels] = []
    for m in measurements:
        for s in m.samples:
            if s.labels not in seen:
                seen.append(s.labels)
    out: dict[Labels, list[Phase]] = {labels: [] for labels in seen}
    for m in measurements:
        values = {s.labels: s.value for s in m.samples}
        for labels in seen:
            if m.error is not None:
                out[labels].append(Phase.ERROR)
            elif labels in values:
                out[labels].append(measurement_phase(rule, values[labels]))
            else:
                out[labels].append(Phase.INCONCLUSIVE)
    return out


def is_decided(rule: MetricRule, measurements: Sequence[Measurement]) -> bool:
    """True when no further measurement can change the outcome (Argo stops early then)."""
    per_series = series_phases(rule, measurements)
    if not per_series:
        return assess(rule, _rule_phases(measurements)) is not None
    return any(assess(rule, phases) is not None for phases in per_series.values())


def _rule_phases(measurements: Sequence[Measurement]) -> list[Phase]:
    """Phases of a rule that never returned a series: no data is inconclusive."""
    return [Phase.ERROR if m.error is not None else Phase.INCONCLUSIVE for m in measurements]


def selector(labels: Labels) -> str:
    """`{k="v", ...}` for a check name; the metric name is left out (it is in the query)."""
    shown = [(k, v) for k, v in labels if k != "__name__"]
    if not shown:
        return ""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in shown) + "}"


@dataclass(frozen=True)
class RuleOutcome:
    """The checks of one rule, and the error to raise when `on-error: fail` applies."""

    rule: MetricRule
    checks: tuple[Check, ...]
    error: str | None = None


def judge_rule(rule: MetricRule, measurements: Sequence[Measurement]) -> RuleOutcome:
    """Checks for one rule: one per series (a vector is judged series by series), or one for
    the whole rule when it returned nothing."""
    per_series = series_phases(rule, measurements)
    errors = [m.error for m in measurements if m.error is not None]
    last_error = errors[-1] if errors else None
    if not per_series:
        phases = _rule_phases(measurements)
        return _outcome(rule, [(), phases, None, [], last_error])
    rows: list[list[Any]] = []
    for labels, phases in per_series.items():
        values = [s.value for m in measurements for s in m.samples if s.labels == labels]
        last = values[-1] if values else None
        rows.append([labels, phases, last, values, last_error])
    return _outcome(rule, *rows)


def _outcome(rule: MetricRule, *rows: list[Any]) -> RuleOutcome:
    checks: list[Check] = []
    error: str | None = None
    for labels, phases, last, values, last_error in rows:
        phase = final_phase(rule, phases)
        name = rule.id + selector(labels)
        counts = {p.value.lower(): sum(q is p for q in phases) for p in Phase}
        what = f"{name} = {_fmt(last)}"
        if phase is Phase.SUCCESSFUL:
            verdict, reason = Verdict.PASS, f"{what} {rule.comparator} {rule.threshold:g}"
        elif phase is Phase.FAILED:
            verdict = rule.severity.fail_verdict()
            reason = f"{what} is not {rule.comparator} {rule.threshold:g}"
            if len(phases) > 1:
                reason += (
                    f" ({counts['failed']} of {len(phases)} measurements failed,"
                    f" failure-limit {rule.failure_limit})"
                )
            if rule.severity is Severity.INFO:
                reason += " (severity info: reported only)"
        elif phase is Phase.INCONCLUSIVE:
            verdict = rule.on_no_data.verdict()
            if last is None:
                reason = f"no data for {rule.id} (on-no-data: {rule.on_no_data.value})"
            else:
                reason = (
                    f"{name}: {counts['inconclusive']} of {len(phases)} measurements had no"
                    f" usable value, inconclusive-limit {rule.inconclusive_limit}"
                    f" (on-no-data: {rule.on_no_data.value})"
                )
        else:
            reason = f"{rule.id}: query failed: {last_error} (on-error: {rule.on_error.value})"
            if rule.on_error is OnError.FAIL:
                error = error or f"{rule.id}: {last_error}"
                verdict = Verdict.NO_DATA
            elif rule.on_error is OnError.WARN:
                verdict = Verdict.WARN
            else:
                verdict = Verdict.NO_DATA
        extra: dict[str, Any] = {
            "kind": "metric",
            "rule": rule.id,
            "severity": rule.severity.value,
            "phase": phase.value,
            "labels": dict(labels),
            "measurements": counts,
            "query": rule.query,
        }
        if len(values) > 1:
            extra["values"] = [None if math.isnan(v) else v for v in values]
        if rule.pack:
            extra["pack"] = rule.pack
        checks.append(
            Check(
                name,
                last,
                rule.comparator,
                rule.threshold,
                verdict,
                reason,
                key=rule.key,
                extra=extra,
            )
        )
    return RuleOutcome(rule, tuple(checks), error)


def _fmt(value: float | None) -> str:
    if value is None:
        return "no data"
    if math.isnan(value):
        return "NaN"
    return f"{value:.4g}"


# --------------------------------------------------------------------------- documents


# The file findings of a combined query (conftest `--combine`: every file in one input) are
# reported against: they belong to no one file.
COMBINED = "(combined)"


class FindingKind(enum.StrEnum):
    """conftest's rule families: `deny` and `violation` fail, `warn` warns."""

    DENY = "deny"
    VIOLATION = "violation"
    WARN = "warn"

    @classmethod
    def of_rule(cls, rule: str) -> FindingKind:
        """conftest matches rule names by prefix: `deny_latest` is a deny rule."""
        for kind in cls:
            if rule == kind.value or rule.startswith(kind.value + "_"):
                return kind
        raise ValueError(f"{rule!r} is not a deny/violation/warn rule")


@dataclass(frozen=True)
class Finding:
    """One message a document policy produced for one document."""

    file: str
    namespace: str
    rule: str
    message: str
    line: int | None = None
    document: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)
    # A conftest `exception` of the policy's package covers this rule for this document.
    excepted: bool = False

    @property
    def kind(self) -> FindingKind:
        return FindingKind.of_rule(self.rule)


def judge_documents(
    files: Sequence[tuple[str, int]],
    findings: Sequence[Finding],
    *,
    fail_on_warn: bool = False,
) -> list[Check]:
    """Checks for document policies: one per finding, and one PASS per clean file.

    `files` lists (file, number of documents). `--fail-on-warn` makes warnings FAIL
    (docs/reference.md#exit-codes: options that tighten a gate produce a FAIL verdict, never another
    exit code).
    """
    checks: list[Check] = []
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.file, []).append(finding)
    for file, documents in files:
        found = by_file.get(file, [])
        if not found:
            checks.append(
                Check(
                    f"rego {file}",
                    documents,
                    "",
                    None,
                    Verdict.PASS,
                    f"{documents} document(s), no deny/violation/warn",
                    extra={"kind": "document", "file": file},
                )
            )
            continue
        for finding in found:
            kind = finding.kind
            reason = finding.message
            if finding.excepted:
                verdict = Verdict.PASS
                reason = f"excepted by {finding.namespace}.exception: {finding.message}"
            elif kind is FindingKind.WARN:
                verdict = Verdict.FAIL if fail_on_warn else Verdict.WARN
            else:
                verdict = Verdict.FAIL
            where = file if finding.line is None else f"{file}:{finding.line}"
            extra: dict[str, Any] = {
                "kind": "document",
                "file": file,
                "namespace": finding.namespace,
                "rule": finding.rule,
                "document": finding.document,
            }
            if finding.line is not None:
                extra["line"] = finding.line
            if finding.details:
                extra["details"] = dict(finding.details)
                if isinstance(finding.details.get("field"), str):
                    # The field the rule names (its line is `line`): table, JSON and SARIF.
                    extra["field"] = finding.details["field"]
            if finding.excepted:
                extra["exception"] = True
            checks.append(
                Check(
                    f"{finding.namespace}.{finding.rule} {where}",
                    None,
                    "",
                    None,
                    verdict,
                    reason,
                    extra=extra,
                )
            )
    return checks


# --------------------------------------------------------------------------- schemas


@dataclass(frozen=True)
class SchemaError:
    """One schema violation in a file: where, which field, what went wrong."""

    line: int | None
    field: str
    message: str


def judge_schema(
    file: str, schema: str, documents: int, errors: Sequence[SchemaError], *, limit: int
) -> Check:
    """One check per validated file; the first `limit` errors are kept with their lines."""
    kept = list(errors[:limit])
    extra: dict[str, Any] = {
        "kind": "schema",
        "file": file,
        "schema": schema,
        "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in kept],
    }
    if not errors:
        return Check(
            f"schema {file}",
            0,
            "==",
            0,
            Verdict.PASS,
            f"{documents} document(s) valid against {schema}",
            extra=extra,
        )
    first = kept[0]
    where = f"line {first.line}: " if first.line is not None else ""
    reason = f"{where}{first.field}: {first.message}"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more error(s))"
    if first.line is not None:
        extra["line"] = first.line
    return Check(f"schema {file}", len(errors), "==", 0, Verdict.FAIL, reason, extra=extra)


def summarize(checks: Sequence[Check]) -> dict[str, Any]:
    """Gate-specific values of the result JSON: counts per kind and verdict."""
    out: dict[str, Any] = {}
    for kind in ("metric", "document", "schema"):
        mine = [c for c in checks if c.extra.get("kind") == kind]
        out[kind + "s"] = {
            "checks": len(mine),
            **{v.value.lower(): sum(c.verdict is v for c in mine) for v in Verdict},
        }
    out["failed"] = sum(c.verdict is Verdict.FAIL for c in checks)
    out["warned"] = sum(c.verdict is Verdict.WARN for c in checks)
    out["excepted"] = sum(bool(c.extra.get("exception")) for c in checks)
    return out
