"""The canary judgement as a reviewer sees it: the comment's table of effects and intervals, and
the chart of canary against baseline."""

from __future__ import annotations

from typing import Any

from gates.compare import Allowance, CompareRule, CompareSettings, Direction, ScoreSettings
from gates.result import GateResult, OnNoData, decide
from lumen.report import render_markdown
from lumen.reporting.comment import comment_body
from lumen.reporting.compare import CHART_POINTS, compare_section

SETTINGS = CompareSettings(
    direction=Direction.INCREASE,
    allowed_increase=Allowance(),
    allowed_decrease=Allowance(),
    confidence=0.95,
    min_samples=3,
)


def _result() -> dict[str, Any]:
    from gates.compare import compare, judge_pack

    rule = CompareRule(
        id="LATENCY",
        query="avg(latency_seconds{${selector}})",
        canary='track="canary"',
        baseline='track="stable"',
        range_seconds=1800,
        step_seconds=30,
        settings=SETTINGS,
        group="latency",
        weight=1,
        key=True,
        on_no_data=OnNoData.PASS,
    )
    canary = [0.26 + (i % 5) / 1000 for i in range(60)]
    baseline = [0.20 + (i % 5) / 1000 for i in range(60)]
    checks = judge_pack(
        [(rule, compare(canary, baseline, SETTINGS))], ScoreSettings(95, 75, OnNoData.PASS)
    )
    result = GateResult(
        gate="policy",
        verdict=decide(checks),
        checks=checks,
        inputs={
            "metrics": {
                "compare_series": {
                    "LATENCY": {
                        "canary": [[1000 + 30 * i, v] for i, v in enumerate(canary)],
                        "baseline": [[1000 + 30 * i, v] for i, v in enumerate(baseline)],
                    }
                }
            }
        },
    )
    return result.to_dict()


def test_the_comment_shows_effect_interval_and_chart() -> None:
    doc = _result()
    body = comment_body(doc)
    assert "**Canary against baseline**" in body
    row = next(line for line in body.splitlines() if line.startswith("| LATENCY 🔑 | High |"))
    assert "| 0.06 |" in row  # the Hodges–Lehmann shift, 60 ms
    assert "[0.0" in row and "| 60/60 |" in row
    chart = body.split("```mermaid", 1)[1].split("```", 1)[0]
    assert 'title "LATENCY: canary (first line) vs baseline"' in chart
    lines = [line for line in chart.splitlines() if line.strip().startswith("line [")]
    assert len(lines) == 2
    assert all(len(line.split(",")) == CHART_POINTS for line in lines)  # thinned from 60


def test_the_job_summary_shows_the_same_table() -> None:
    from gates.result import Check, Verdict

    doc = _result()
    result = GateResult(
        gate="policy",
        verdict=Verdict(doc["verdict"]),
        checks=[
            Check(
                c["name"],
                c["value"],
                c["comparator"],
                c["threshold"],
                Verdict(c["verdict"]),
                c["reason"],
                key=bool(c.get("key")),
                extra={
                    k: v
                    for k, v in c.items()
                    if k
                    not in {"name", "value", "comparator", "threshold", "verdict", "reason", "key"}
                },
            )
            for c in doc["checks"]
        ],
        inputs=doc["inputs"],
    )
    summary = render_markdown(result)
    assert "| Metric | Classification | Effect (canary − baseline) |" in summary
    assert "| LATENCY 🔑 | High |" in summary


def test_results_without_comparisons_are_unchanged() -> None:
    assert compare_section({"gate": "roi", "checks": [{"name": "success_rate"}]}) is None
    assert "Canary against baseline" not in comment_body({"gate": "roi", "verdict": "PASS"})
