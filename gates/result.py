"""The verdict model every gate shares: verdicts, checks and the gate result.

Plain data only. Rendering (tables, JSON files, JUnit, job summaries) lives in `lumen.report`;
this module never touches a file or the environment.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1"


class Verdict(enum.StrEnum):
    """A gate's or a check's outcome. Ordered from best to worst for `worst()`."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    NO_DATA = "NO_DATA"

    @property
    def exit_code(self) -> int:
        """Nothing but FAIL exits 2 (docs/reference.md#exit-codes); errors exit 1 elsewhere."""
        return 2 if self is Verdict.FAIL else 0

    @property
    def score(self) -> float | None:
        """Weighted-score contribution (docs/reference.md#score): pass 1, warn 0.5, fail 0, no data
        none."""
        return _SCORES[self]

    @property
    def gauge(self) -> float | None:
        """`lumen_gate_verdict` value (docs/reference.md#metrics): 1 pass, 0.5 warn, 0 fail, NO_DATA
        not pushed."""
        return _SCORES[self]


_SCORES: dict[Verdict, float | None] = {
    Verdict.PASS: 1.0,
    Verdict.WARN: 0.5,
    Verdict.FAIL: 0.0,
    Verdict.NO_DATA: None,
}

# Severity order used to combine verdicts: a FAIL anywhere wins, then WARN, then PASS.
# NO_DATA only wins when nothing else has data.
_RANK = {Verdict.NO_DATA: 0, Verdict.PASS: 1, Verdict.WARN: 2, Verdict.FAIL: 3}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """Combine verdicts: FAIL > WARN > PASS > NO_DATA; an empty input is NO_DATA."""
    result = Verdict.NO_DATA
    for verdict in verdicts:
        if _RANK[verdict] > _RANK[result]:
            result = verdict
    return result


class OnNoData(enum.StrEnum):
    """What a missing measurement turns into (docs/reference.md#no-data, default `pass` reported as
    NO_DATA)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    def verdict(self) -> Verdict:
        return {
            OnNoData.PASS: Verdict.NO_DATA,
            OnNoData.WARN: Verdict.WARN,
            OnNoData.FAIL: Verdict.FAIL,
        }[self]


COMPARATORS: dict[str, Any] = {
    ">=": lambda value, threshold: value >= threshold,
    ">": lambda value, threshold: value > threshold,
    "<=": lambda value, threshold: value <= threshold,
    "<": lambda value, threshold: value < threshold,
    "==": lambda value, threshold: value == threshold,
    "!=": lambda value, threshold: value != threshold,
}


def compare(value: float, comparator: str, threshold: float) -> bool:
    """True when `value comparator threshold` holds. Unrounded (docs/reference.md#result-schema)."""
    try:
        return bool(COMPARATORS[comparator](value, threshold))
    except KeyError:
        raise ValueError(
            f"unknown comparator {comparator!r}; expected one of {', '.join(COMPARATORS)}"
        ) from None


@dataclass(frozen=True)
class Check:
    """One criterion of a gate: a measured value against a threshold."""

    name: str
    value: float | str | bool | None
    comparator: str
    threshold: float | str | bool | None
    verdict: Verdict
    reason: str
    key: bool = False
    baseline: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "value": _json_number(self.value),
            "comparator": self.comparator,
            "threshold": _json_number(self.threshold),
            "verdict": self.verdict.value,
            "reason": self.reason,
        }
        if self.key:
            out["key"] = True
        if self.baseline is not None:
            out["baseline"] = self.baseline
        out.update(self.extra)
        return out


def threshold_check(
    name: str,
    value: float | None,
    comparator: str,
    threshold: float,
    *,
    on_no_data: OnNoData = OnNoData.PASS,
    fail_verdict: Verdict = Verdict.FAIL,
    key: bool = False,
    label: str | None = None,
) -> Check:
    """The common case: pass when `value comparator threshold`, else `fail_verdict`.

    A missing value (None or NaN) becomes the `on_no_data` verdict, never a silent pass.
    """
    what = label or name
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Check(
            name,
            None,
            comparator,
            threshold,
            on_no_data.verdict(),
            f"no data for {what} (on-no-data: {on_no_data.value})",
            key=key,
        )
    ok = compare(value, comparator, threshold)
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    if ok:
        reason = f"{what} {shown} {comparator} {threshold:g}"
        return Check(name, value, comparator, threshold, Verdict.PASS, reason, key=key)
    reason = f"{what} {shown} is not {comparator} {threshold:g}"
    return Check(name, value, comparator, threshold, fail_verdict, reason, key=key)


@dataclass
class GateResult:
    """What every gate returns: a verdict, its checks and the gate-specific values."""

    gate: str
    verdict: Verdict
    checks: Sequence[Check]
    inputs: Mapping[str, Any] = field(default_factory=dict)
    window: Any = None
    generated_at: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    ledger_head: str | None = None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "gate": self.gate,
            "verdict": self.verdict.value,
            "status": self.verdict.value,
            "checks": [check.to_dict() for check in self.checks],
            "inputs": dict(self.inputs),
            "window": self.window,
            "generated_at": self.generated_at,
        }
        for key, value in self.values.items():
            out[key] = value
        if self.ledger_head is not None:
            out["ledger_head"] = self.ledger_head
        return out


def decide(checks: Sequence[Check]) -> Verdict:
    """Gate verdict from its checks: a failed key check or any FAIL fails the gate."""
    return worst(check.verdict for check in checks)


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value
