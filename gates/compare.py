"""Canary judgement by statistics: canary against baseline, as Kayenta's NetflixACAJudge does.

For each metric, the canary's samples and the baseline's samples (taken over the same range and
step, so under the same load) are compared with the Mann–Whitney U test. It asks whether one
sample tends to be larger than the other without assuming any distribution, which matters for
latencies and error ratios that are skewed and heavy-tailed. A p-value alone says how sure we are
that there is *a* difference, not whether it matters: with many samples a 0.1 ms shift is
"significant". So each metric also carries an effect size, the Hodges–Lehmann estimate of the
shift (the median of every canary − baseline difference) with its confidence interval, and a
minimum effect worth caring about (`allowed-increase: 10%`). A metric is High or Low only when the
difference is both statistically clear and larger than that allowance.

The metric verdicts are then combined as Kayenta does: metrics belong to weighted groups, the score
is 100 × (weight of passing metrics) / (total weight), and a pass score and a marginal score turn
it into PASS, WARN or FAIL. A failing critical metric (`key: true`) fails the judgement whatever
the score.

Pure functions over plain numbers; the result agrees with SciPy's `mannwhitneyu` (two-sided,
continuity correction, `method="auto"`) to 1e-9.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gates.result import Check, OnNoData, Verdict

# SciPy uses the exact null distribution when one sample has at most this many values and
# there are no ties; otherwise the normal approximation with tie and continuity corrections.
EXACT_MAX_SIZE = 8


class Classification(enum.StrEnum):
    """A metric's classification, as Kayenta names them."""

    HIGH = "High"
    LOW = "Low"
    PASS = "Pass"
    NO_DATA = "NoData"


class Direction(enum.StrEnum):
    """Which change is bad for a metric."""

    INCREASE = "increase"
    DECREASE = "decrease"
    EITHER = "either"


@dataclass(frozen=True)
class MannWhitney:
    """The U statistic of the canary sample and the two-sided p-value."""

    u: float
    p_value: float
    method: str  # "exact" or "asymptotic"


@dataclass(frozen=True)
class Shift:
    """Hodges–Lehmann estimate of canary − baseline, with its confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float


@dataclass(frozen=True)
class Allowance:
    """A minimum effect worth caring about: `relative` is a fraction of the baseline's median
    (`10%` → 0.10), otherwise `amount` is in the metric's own units."""

    amount: float = 0.0
    relative: bool = False

    def limit(self, baseline_median: float) -> float:
        return self.amount * abs(baseline_median) if self.relative else self.amount


@dataclass(frozen=True)
class CompareSettings:
    direction: Direction
    allowed_increase: Allowance
    allowed_decrease: Allowance
    confidence: float  # e.g. 0.95: significance level 1 − confidence
    min_samples: int


@dataclass(frozen=True)
class Comparison:
    """One metric's judgement. `bad` says whether its classification counts against the canary
    for the configured direction."""

    classification: Classification
    bad: bool
    reason: str
    samples: tuple[int, int]  # (canary, baseline) values judged
    dropped: tuple[int, int]  # non-finite values left out
    test: MannWhitney | None = None
    shift: Shift | None = None
    baseline_median: float | None = None


def _ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Average ranks (1-based) of `values` and the sizes of the tie groups."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        average = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = average
        ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def _exact_upper_tail(u: int, m: int, n: int) -> float:
    """P(U ≥ u) under the null for samples of sizes m and n, from the generating function
    ∏_{i=1..m} (1 − q^{n+i}) / (1 − q^i), whose coefficients count the arrangements."""
    m, n = min(m, n), max(m, n)
    size = m * n + 1
    counts = [0] * size
    counts[0] = 1
    for i in range(1, m + 1):
        # multiply by (1 − q^{n+i}), then divide by (1 − q^i) (a running sum with stride i)
        step = n + i
        for k in range(size - 1, step - 1, -1):
            counts[k] -= counts[k - step]
        for k in range(i, size):
            counts[k] += counts[k - i]
    total = math.comb(m + n, m)
    tail = sum(counts[max(u, 0) :])
    return float(Fraction(tail, total))


def _normal_upper_tail(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def mann_whitney_u(canary: Sequence[float], baseline: Sequence[float]) -> MannWhitney:
    """Two-sided Mann–Whitney U test with continuity correction, choosing the exact or the
    asymptotic method as SciPy's `method="auto"` does. `u` is the canary sample's statistic."""
    n1, n2 = len(canary), len(baseline)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    ranks, ties = _ranks([*canary, *baseline])
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u2 = n1 * n2 - u1
    u = max(u1, u2)
    has_ties = any(t > 1 for t in ties)
    if (n1 > EXACT_MAX_SIZE and n2 > EXACT_MAX_SIZE) or has_ties:
        n = n1 + n2
        tie_term = sum(t**3 - t for t in ties)
        variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
        if variance <= 0:  # every value equal: no evidence of any difference
            return MannWhitney(u=u1, p_value=1.0, method="asymptotic")
        z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
        p = 2 * _normal_upper_tail(z)
        method = "asymptotic"
    else:
        p = 2 * _exact_upper_tail(int(u), n1, n2)
        method = "exact"
    return MannWhitney(u=u1, p_value=min(max(p, 0.0), 1.0), method=method)


def _normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF (bisection on erfc: exact enough, no SciPy)."""
    low, high = -40.0, 40.0
    for _ in range(200):
        mid = (low + high) / 2
        if 1 - _normal_upper_tail(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def hodges_lehmann(
    canary: Sequence[float], baseline: Sequence[float], *, confidence: float = 0.95
) -> Shift:
    """The shift of canary against baseline: the median of the n1·n2 differences
    canary_i − baseline_j, and its distribution-free confidence interval (Moses): the k-th
    smallest and k-th largest differences, k = ⌊n1·n2/2 − z·√(n1·n2·(n1+n2+1)/12)⌋ with z the
    two-sided normal quantile (at least 1, so tiny samples give the full range)."""
    if not canary or not baseline:
        raise ValueError("both samples need at least one value")
    differences = sorted(c - b for c in canary for b in baseline)
    count = len(differences)
    n1, n2 = len(canary), len(baseline)
    z = _normal_quantile(1 - (1 - confidence) / 2)
    k = math.floor(n1 * n2 / 2 - z * math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12))
    k = min(max(k, 1), (count + 1) // 2)
    return Shift(
        estimate=_median(differences),
        low=differences[k - 1],
        high=differences[count - k],
        confidence=confidence,
    )


def _finite(values: Iterable[float]) -> tuple[list[float], int]:
    kept: list[float] = []
    dropped = 0
    for value in values:
        if math.isfinite(value):
            kept.append(float(value))
        else:
            dropped += 1
    return kept, dropped


def is_bad(classification: Classification, direction: Direction) -> bool:
    """High is bad unless only decreases hurt; Low is bad unless only increases hurt."""
    if classification is Classification.HIGH:
        return direction is not Direction.DECREASE
    if classification is Classification.LOW:
        return direction is not Direction.INCREASE
    return False


def compare(
    canary: Sequence[float], baseline: Sequence[float], settings: CompareSettings
) -> Comparison:
    """Classify one metric: NoData when either side has fewer than `min_samples` finite values;
    High (Low) when the difference is significant at 1 − confidence and the shift is above
    (below) the allowance; Pass otherwise. Identical samples always Pass."""
    canary_kept, canary_dropped = _finite(canary)
    baseline_kept, baseline_dropped = _finite(baseline)
    samples = (len(canary_kept), len(baseline_kept))
    dropped = (canary_dropped, baseline_dropped)
    if min(samples) < settings.min_samples:
        return Comparison(
            classification=Classification.NO_DATA,
            bad=False,
            reason=(
                f"too few samples: canary {samples[0]}, baseline {samples[1]} "
                f"(need {settings.min_samples} each)"
            ),
            samples=samples,
            dropped=dropped,
        )
    test = mann_whitney_u(canary_kept, baseline_kept)
    shift = hodges_lehmann(canary_kept, baseline_kept, confidence=settings.confidence)
    baseline_median = _median(baseline_kept)
    significant = test.p_value < 1 - settings.confidence
    classification = Classification.PASS
    if significant and shift.estimate > settings.allowed_increase.limit(baseline_median):
        classification = Classification.HIGH
    elif significant and -shift.estimate > settings.allowed_decrease.limit(baseline_median):
        classification = Classification.LOW
    if classification is Classification.PASS:
        if significant and shift.estimate != 0:
            reason = f"shift {shift.estimate:+.6g} is within the allowed change"
        else:
            reason = f"no clear difference (p={test.p_value:.3g})"
    else:
        reason = (
            f"canary is {'higher' if classification is Classification.HIGH else 'lower'} "
            f"by {shift.estimate:+.6g} [{shift.low:+.6g}, {shift.high:+.6g}] (p={test.p_value:.3g})"
        )
    return Comparison(
        classification=classification,
        bad=is_bad(classification, settings.direction),
        reason=reason,
        samples=samples,
        dropped=dropped,
        test=test,
        shift=shift,
        baseline_median=baseline_median,
    )


@dataclass(frozen=True)
class WeightedMetric:
    """A judged metric with its group's weight and whether it is critical."""

    name: str
    group: str
    weight: float
    key: bool
    comparison: Comparison


@dataclass(frozen=True)
class CanaryScore:
    score: float | None  # None when every metric was NoData
    failed_keys: tuple[str, ...]
    judged: int


def canary_score(metrics: Sequence[WeightedMetric]) -> CanaryScore:
    """100 × (weight of passing metrics) / (weight of metrics with data). NoData metrics are
    left out of both sums (the pack's `on-no-data` decides what they mean on their own)."""
    judged = [m for m in metrics if m.comparison.classification is not Classification.NO_DATA]
    total = sum(m.weight for m in judged)
    failed_keys = tuple(m.name for m in judged if m.key and m.comparison.bad)
    if not judged or total <= 0:
        return CanaryScore(score=None, failed_keys=failed_keys, judged=len(judged))
    passing = sum(m.weight for m in judged if not m.comparison.bad)
    return CanaryScore(score=100 * passing / total, failed_keys=failed_keys, judged=len(judged))


@dataclass(frozen=True)
class CompareRule:
    """A `kind: compare` rule of a metric pack: one query, run once per side over the same
    range, `${selector}` replaced by that side's label matchers."""

    id: str
    query: str
    canary: str
    baseline: str
    range_seconds: float
    step_seconds: float
    settings: CompareSettings
    group: str
    weight: float
    key: bool
    on_no_data: OnNoData
    description: str = ""
    pack: str = ""
    file: str | None = None
    line: int | None = None

    def query_for(self, side: str) -> str:
        """The query for `canary` or `baseline`."""
        selector = self.canary if side == "canary" else self.baseline
        return self.query.replace(SELECTOR_PLACEHOLDER, selector)


SELECTOR_PLACEHOLDER = "${selector}"


@dataclass(frozen=True)
class ScoreSettings:
    """How the weighted score becomes a verdict (Kayenta's pass and marginal scores)."""

    pass_score: float
    marginal_score: float
    on_no_data: OnNoData


def metric_check(rule: CompareRule, comparison: Comparison) -> Check:
    """One metric's check. A regression of a critical (`key`) metric fails the gate on its own;
    any other regression is a WARN here and counts against the score."""
    extra: dict[str, Any] = {
        "kind": "compare",
        "classification": comparison.classification.value,
        "direction": rule.settings.direction.value,
        "group": rule.group,
        "weight": rule.weight,
        "samples": {"canary": comparison.samples[0], "baseline": comparison.samples[1]},
        "u": None if comparison.test is None else comparison.test.u,
        "p_value": None if comparison.test is None else comparison.test.p_value,
        "effect": None if comparison.shift is None else comparison.shift.estimate,
        "interval": None
        if comparison.shift is None
        else [comparison.shift.low, comparison.shift.high],
        "confidence": rule.settings.confidence,
    }
    if any(comparison.dropped):
        extra["dropped"] = {"canary": comparison.dropped[0], "baseline": comparison.dropped[1]}
    effect = extra["effect"]
    if comparison.classification is Classification.NO_DATA:
        verdict = rule.on_no_data.verdict()
        reason = f"{comparison.reason} (on-no-data: {rule.on_no_data.value})"
    elif comparison.bad:
        verdict = Verdict.FAIL if rule.key else Verdict.WARN
        reason = comparison.reason + (" — critical metric" if rule.key else "")
    else:
        verdict = Verdict.PASS
        reason = comparison.reason
    return Check(
        rule.id,
        effect,
        "~",
        "baseline",
        verdict,
        reason,
        key=rule.key,
        extra=extra,
    )


def score_check(
    metrics: Sequence[WeightedMetric], settings: ScoreSettings, *, name: str = "canary_score"
) -> Check:
    """The weighted score against the pass and marginal scores."""
    result = canary_score(metrics)
    extra = {
        "kind": "compare-score",
        "judged": result.judged,
        "metrics": len(metrics),
        "pass_score": settings.pass_score,
        "marginal_score": settings.marginal_score,
    }
    if result.score is None:
        return Check(
            name,
            None,
            ">=",
            settings.pass_score,
            settings.on_no_data.verdict(),
            f"no metric had enough samples to judge (on-no-data: {settings.on_no_data.value})",
            extra=extra,
        )
    score = result.score
    failing = [m.name for m in metrics if m.comparison.bad]
    detail = f"; regressed: {', '.join(failing)}" if failing else ""
    if score >= settings.pass_score:
        verdict, how = Verdict.PASS, f"≥ pass score {settings.pass_score:g}"
    elif score >= settings.marginal_score:
        verdict, how = Verdict.WARN, f"marginal (≥ {settings.marginal_score:g})"
    else:
        verdict, how = Verdict.FAIL, f"< marginal score {settings.marginal_score:g}"
    reason = f"score {score:.1f} of 100 from {result.judged} metric(s), {how}{detail}"
    return Check(name, score, ">=", settings.pass_score, verdict, reason, extra=extra)


def judge_pack(
    judged: Sequence[tuple[CompareRule, Comparison]], settings: ScoreSettings
) -> list[Check]:
    """Every metric's check, then the score over the metrics' weights (the pack loader shares
    a group's weight among its metrics)."""
    metrics = [
        WeightedMetric(
            name=rule.id,
            group=rule.group,
            weight=rule.weight,
            key=rule.key,
            comparison=comparison,
        )
        for rule, comparison in judged
    ]
    checks = [metric_check(rule, comparison) for rule, comparison in judged]
    if judged:
        checks.append(score_check(metrics, settings))
    return checks
