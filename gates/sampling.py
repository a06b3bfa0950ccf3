"""Aggregates of a metric sampled repeatedly (`lumen sample --hz --duration`,
docs/reference.md#sampler). Pure.

mean, p95 (linear interpolation between closest ranks, as numpy's default and Prometheus's
`quantile_over_time`) and the population standard deviation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Aggregate:
    samples: int
    mean: float
    p95: float
    stdev: float


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) of non-empty `values`, linear between closest ranks."""
    if not values:
        raise ValueError("no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be in [0, 1]")
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    weight = rank - low
    return ordered[low] + (ordered[high] - ordered[low]) * weight


def aggregate(values: Sequence[float]) -> Aggregate | None:
    """mean, p95 and population stdev of the finite `values`; None when there are none."""
    finite = [float(v) for v in values if math.isfinite(v)]
    if not finite:
        return None
    n = len(finite)
    mean = math.fsum(finite) / n
    variance = math.fsum((v - mean) ** 2 for v in finite) / n
    return Aggregate(samples=n, mean=mean, p95=quantile(finite, 0.95), stdev=math.sqrt(variance))
