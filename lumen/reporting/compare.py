"""The canary judgement in a PR comment or job summary: a small table of each compared metric's
effect and interval, and a Mermaid chart of canary against baseline. Pure functions of a result
document (the policy gate's JSON)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lumen.report import md_escape, md_text

# A chart of more points is unreadable in a comment: the series are thinned to this many.
CHART_POINTS = 30
# Charts in one comment, at most (one per compared metric, in check order).
MAX_CHARTS = 3


def _number(value: Any) -> str:
    if not isinstance(value, int | float):
        return "—"
    return f"{value:.4g}"


def compare_checks(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        check
        for check in result.get("checks") or []
        if isinstance(check, Mapping) and check.get("kind") == "compare"
    ]


def compare_table(result: Mapping[str, Any]) -> str | None:
    """| Metric | Classification | Effect | Interval | p | Samples |, or None without compares."""
    checks = compare_checks(result)
    if not checks:
        return None
    lines = [
        "| Metric | Classification | Effect (canary − baseline) | Interval | p | Samples c/b |",
        "|---|---|---:|---|---:|---|",
    ]
    for check in checks:
        interval = check.get("interval")
        shown = (
            f"[{_number(interval[0])}, {_number(interval[1])}]"
            if isinstance(interval, Sequence) and len(interval) == 2
            else "—"
        )
        samples = check.get("samples") or {}
        name = str(check.get("name")) + (" 🔑" if check.get("key") else "")
        lines.append(
            f"| {md_escape(name)} | {md_escape(str(check.get('classification', '')))} | "
            f"{_number(check.get('effect'))} | {shown} | {_number(check.get('p_value'))} | "
            f"{_number(samples.get('canary'))}/{_number(samples.get('baseline'))} |"
        )
    return "\n".join(lines)


def _thin(points: Sequence[Sequence[float]]) -> list[float]:
    values = [float(p[1]) for p in points if len(p) == 2 and math.isfinite(float(p[1]))]
    if len(values) <= CHART_POINTS:
        return values
    step = len(values) / CHART_POINTS
    return [values[int(i * step)] for i in range(CHART_POINTS)]


def compare_charts(result: Mapping[str, Any]) -> list[str]:
    """A Mermaid xychart per compared metric: the canary's line, then the baseline's."""
    inputs = result.get("inputs") or {}
    metrics = inputs.get("metrics") if isinstance(inputs, Mapping) else None
    series = metrics.get("compare_series") if isinstance(metrics, Mapping) else None
    if not isinstance(series, Mapping):
        return []
    charts = []
    for name, sides in list(series.items())[:MAX_CHARTS]:
        canary = _thin(sides.get("canary") or [])
        baseline = _thin(sides.get("baseline") or [])
        if not canary or not baseline:
            continue
        count = min(len(canary), len(baseline))
        low, high = min(canary + baseline), max(canary + baseline)
        if low == high:
            low, high = low - 1, high + 1
        charts.append(
            "\n".join(
                [
                    "```mermaid",
                    "xychart-beta",
                    f'  title "{md_text(str(name))}: canary (first line) vs baseline"',
                    f"  x-axis [{', '.join(str(i + 1) for i in range(count))}]",
                    f'  y-axis "{md_text(str(name))}" {low:.4g} --> {high:.4g}',
                    f"  line [{', '.join(f'{v:.4g}' for v in canary[:count])}]",
                    f"  line [{', '.join(f'{v:.4g}' for v in baseline[:count])}]",
                    "```",
                ]
            )
        )
    return charts


def compare_section(result: Mapping[str, Any]) -> str | None:
    """The table and the charts, or None when the result has no comparisons."""
    table = compare_table(result)
    if table is None:
        return None
    return "\n\n".join(["**Canary against baseline**", table, *compare_charts(result)])
