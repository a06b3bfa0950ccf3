"""Run `kind: compare` rules against Prometheus: each rule's query over the same range for the
canary and the baseline, then the judgement of `gates.compare`.

Samples come from `query_range` over (now − range, now]: the first step after `now − range`
through `now`, `step` apart, so both sides are read at the same instants under the same load.
A query must return one series per side (aggregate it: `avg`, `sum`, `histogram_quantile` over
`sum by (le)`); none is NoData, several is an error, and an error is never a pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from gates.compare import CompareRule, Comparison, ScoreSettings, compare, judge_pack
from gates.errors import LumenError
from gates.result import Check, Verdict

SIDES = ("canary", "baseline")


class RangeConnection(Protocol):
    """What the runner needs of `lumen.adapters.prometheus.PrometheusConnection`."""

    def query_range(
        self, promql: str, *, start: datetime, end: datetime, step: float
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class SideSeries:
    """One side's samples: (unix seconds, value) pairs, as read."""

    points: tuple[tuple[float, float], ...]

    @property
    def values(self) -> list[float]:
        return [value for _, value in self.points]


def series_of(result: Sequence[dict[str, Any]], *, query: str) -> SideSeries:
    """The single series of a range-query result (a matrix)."""
    if not result:
        return SideSeries(())
    if len(result) > 1:
        raise ValueError(
            f"query {query!r} returned {len(result)} series; a compare query must return one "
            "series per side (aggregate it with avg, sum or histogram_quantile over sum by (le))"
        )
    points = []
    for stamp, text in result[0].get("values") or []:
        try:
            value = float(text)
        except (TypeError, ValueError):
            value = math.nan  # not a number: left out by the judge and counted as dropped
        points.append((float(stamp), value))
    return SideSeries(tuple(points))


@dataclass(frozen=True)
class CompareRun:
    """The checks of a pack's comparisons and the series read, for charts."""

    checks: list[Check]
    series: dict[str, dict[str, SideSeries]]


def run_comparisons(
    rules: Sequence[CompareRule],
    connection: RangeConnection,
    *,
    now: datetime,
    score: ScoreSettings,
) -> CompareRun:
    """Read both sides of every rule and judge them. A rule whose query fails is a FAIL check
    naming the error (it could not be evaluated, so it cannot pass)."""
    judged: list[tuple[CompareRule, Comparison]] = []
    failed: list[Check] = []
    series: dict[str, dict[str, SideSeries]] = {}
    for rule in rules:
        start = now - timedelta(seconds=rule.range_seconds) + timedelta(seconds=rule.step_seconds)
        try:
            sides = {
                side: series_of(
                    connection.query_range(
                        rule.query_for(side), start=start, end=now, step=rule.step_seconds
                    ),
                    query=rule.query_for(side),
                )
                for side in SIDES
            }
        except (LumenError, ValueError) as exc:
            text = exc.message if isinstance(exc, LumenError) else str(exc)
            failed.append(
                Check(
                    rule.id,
                    None,
                    "~",
                    "baseline",
                    Verdict.FAIL,
                    f"could not compare: {text}",
                    key=rule.key,
                    extra={"kind": "compare", "classification": "Error"},
                )
            )
            continue
        series[rule.id] = sides
        comparison = compare(sides["canary"].values, sides["baseline"].values, rule.settings)
        judged.append((rule, comparison))
    checks = judge_pack(judged, score)
    return CompareRun(checks=failed + checks, series=series)
