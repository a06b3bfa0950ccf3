"""The ROI/SLO composite: a Keptn-style weighted score 0–100 and relative criteria
(docs/reference.md#relative-criteria, docs/reference.md#score).

Each objective scores 1 (PASS), 0.5 (WARN) or 0 (FAIL); NO_DATA objectives leave both sums, so
missing evidence neither helps nor hurts. score = 100 · Σ wᵢ·sᵢ / Σ wᵢ. The composite fails below
`score-min` or when an objective marked `key` fails; with no data at all it is NO_DATA.

Relative criteria (`<= +10%`, `>= -0.05`) compare a value against a baseline: the median of the
same value over the last N passing runs. Absolute criteria (`< 600`) need no baseline.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gates.errors import ConfigError
from gates.result import Check, Verdict, compare


@dataclass(frozen=True)
class Objective:
    name: str
    verdict: Verdict
    weight: float = 1.0
    key: bool = False
    value: Any = None
    reason: str = ""


@dataclass(frozen=True)
class Contribution:
    name: str
    verdict: Verdict
    weight: float
    score: float | None  # 1, 0.5, 0 or None (NO_DATA)
    points: float | None  # share of the 100 this objective earned
    key: bool
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "verdict": self.verdict.value,
            "weight": self.weight,
            "score": self.score,
            "points": None if self.points is None else round(self.points, 3),
        }
        if self.key:
            out["key"] = True
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class ScoreResult:
    score: float | None
    verdict: Verdict
    score_min: float
    contributions: list[Contribution] = field(default_factory=list)
    key_failures: list[str] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": None if self.score is None else round(self.score, 3),
            "score_min": self.score_min,
            "verdict": self.verdict.value,
            "key_failures": self.key_failures,
            "objectives": [c.to_dict() for c in self.contributions],
        }


def weighted_score(
    objectives: Sequence[Objective], *, score_min: float = 70.0, score_warn: float | None = None
) -> ScoreResult:
    """The composite. `score_warn` (optional) turns scores in [score_min, score_warn) into WARN."""
    scored = [o for o in objectives if o.verdict.score is not None and o.weight > 0]
    total_weight = math.fsum(o.weight for o in scored)
    contributions = []
    for objective in objectives:
        s = objective.verdict.score
        counted = s is not None and objective.weight > 0 and total_weight > 0
        contributions.append(
            Contribution(
                objective.name,
                objective.verdict,
                objective.weight,
                s,
                100 * objective.weight * s / total_weight if counted and s is not None else None,
                objective.key,
                objective.value,
            )
        )
    key_failures = [o.name for o in objectives if o.key and o.verdict is Verdict.FAIL]
    if total_weight <= 0:
        verdict = Verdict.FAIL if key_failures else Verdict.NO_DATA
        reason = "no objective has data" + (
            f"; key objective failed: {', '.join(key_failures)}" if key_failures else ""
        )
        return ScoreResult(None, verdict, score_min, contributions, key_failures, reason)
    earned = math.fsum(o.weight * (o.verdict.score or 0.0) for o in scored)
    # All passing is exactly 100, not 100 plus a rounding error.
    score = 100.0 if earned == total_weight else min(100.0, 100 * earned / total_weight)
    if key_failures:
        verdict = Verdict.FAIL
        reason = f"score {score:.1f}, but key objective failed: {', '.join(key_failures)}"
    elif score < score_min:
        verdict = Verdict.FAIL
        reason = f"score {score:.1f} is below score-min {score_min:g}"
    elif score_warn is not None and score < score_warn:
        verdict = Verdict.WARN
        reason = f"score {score:.1f} is below score-warn {score_warn:g}"
    else:
        verdict = Verdict.PASS
        reason = f"score {score:.1f} >= score-min {score_min:g}"
    return ScoreResult(score, verdict, score_min, contributions, key_failures, reason)


# --- relative criteria -------------------------------------------------------------------

_CRITERION = re.compile(
    r"^\s*(?P<cmp><=|>=|<|>|==|!=)\s*(?P<num>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?P<pct>%)?\s*$"
)


@dataclass(frozen=True)
class Criterion:
    """`<= +10%` (relative, percent), `>= -0.05` (relative, absolute delta) or `< 600`.

    As in Keptn, a signed number is relative to the baseline and an unsigned one is absolute.
    """

    text: str
    comparator: str
    amount: float
    relative: bool
    percent: bool

    def threshold(self, baseline: float | None) -> float | None:
        """The concrete threshold; None when a relative criterion has no baseline."""
        if not self.relative:
            return self.amount
        if baseline is None:
            return None
        if self.percent:
            return baseline * (1 + self.amount / 100)
        return baseline + self.amount


def parse_criterion(text: str, *, field: str = "criteria") -> Criterion:
    match = _CRITERION.match(text) if isinstance(text, str) else None
    if not match:
        raise ConfigError(
            f"invalid criterion {text!r}",
            field=field,
            expected="a comparator and a number, e.g. '<= +10%', '>= -0.05' or '< 600'",
        )
    number = match["num"]
    relative = number[0] in "+-" or bool(match["pct"])
    return Criterion(
        text.strip(), match["cmp"], float(number), relative=relative, percent=bool(match["pct"])
    )


def median_baseline(history: Iterable[float | None], n: int) -> float | None:
    """Median of the last `n` known values (oldest first in `history`); None when none."""
    known = [v for v in history if v is not None]
    if n > 0:
        known = known[-n:]
    return statistics.median(known) if known else None


def criteria_check(
    name: str,
    value: float | None,
    criteria: Sequence[Criterion],
    *,
    baseline: float | None,
    warning: Sequence[Criterion] = (),
    no_data: Verdict = Verdict.NO_DATA,
    key: bool = False,
) -> Check:
    """PASS when every pass criterion holds, WARN when every warning criterion holds instead,
    else FAIL. A relative criterion without a baseline (first runs) cannot judge: NO_DATA."""
    # One criterion reads as a plain comparator; several are shown as written.
    label = criteria[0].comparator if len(criteria) == 1 else " and ".join(c.text for c in criteria)
    extra: dict[str, Any] = {"objective": name, "criteria": [c.text for c in criteria]}
    if value is None:
        return Check(name, None, label, None, no_data, f"no value for {name}", key=key, extra=extra)
    thresholds = [c.threshold(baseline) for c in criteria]
    if any(t is None for t in thresholds):
        return Check(
            name,
            value,
            label,
            None,
            no_data,
            f"{name}: no baseline yet (no earlier passing run) for a relative criterion",
            key=key,
            extra=extra,
        )
    shown = ", ".join(f"{c.comparator} {t:.4g}" for c, t in zip(criteria, thresholds, strict=True))
    base = "" if baseline is None else f" (baseline {baseline:.4g})"
    first_threshold = thresholds[0]
    if all(
        compare(value, c.comparator, t)
        for c, t in zip(criteria, thresholds, strict=True)
        if t is not None
    ):
        return Check(
            name,
            value,
            label,
            first_threshold,
            Verdict.PASS,
            f"{name} {value:.4g} {shown}{base}",
            key=key,
            baseline=baseline,
            extra=extra,
        )
    warn_thresholds = [c.threshold(baseline) for c in warning]
    if warning and all(
        t is not None and compare(value, c.comparator, t)
        for c, t in zip(warning, warn_thresholds, strict=True)
    ):
        return Check(
            name,
            value,
            label,
            first_threshold,
            Verdict.WARN,
            f"{name} {value:.4g} misses {shown}{base} but meets the warning criteria",
            key=key,
            baseline=baseline,
            extra=extra,
        )
    return Check(
        name,
        value,
        label,
        first_threshold,
        Verdict.FAIL,
        f"{name} {value:.4g} is not {shown}{base}",
        key=key,
        baseline=baseline,
        extra=extra,
    )


def objectives_from_checks(
    checks: Iterable[Check], weights: Mapping[str, Mapping[str, Any]]
) -> list[Objective]:
    """One objective per check. Its weight and `key` come from `weights[objective]`, where the
    objective is the check's `extra['objective']` (matrix rows share their objective's weight)
    or, failing that, the check name. A check already marked key stays key."""
    out = []
    for check in checks:
        objective = str(check.extra.get("objective", check.name))
        settings = weights.get(check.name) or weights.get(objective) or {}
        out.append(
            Objective(
                check.name,
                check.verdict,
                float(settings.get("weight", 1.0)),
                bool(settings.get("key", False)) or check.key,
                check.value if not isinstance(check.value, float) else round(check.value, 6),
                check.reason,
            )
        )
    return out
