"""The sticky PR comment's Markdown and the check-run text: pure functions of a result.

One comment per gate, found again by a hidden marker, so re-runs edit it in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lumen.report import fmt_value, md_escape, md_text
from lumen.reporting.compare import compare_section

MARKER_PREFIX = "<!-- lumen-gate:"
ICONS = {"PASS": "✅", "WARN": "⚠️", "FAIL": "❌", "NO_DATA": "⚪"}
CHECK_CONCLUSIONS = {"PASS": "success", "WARN": "neutral", "FAIL": "failure", "NO_DATA": "neutral"}
STATUS_STATES = {"PASS": "success", "WARN": "success", "FAIL": "failure", "NO_DATA": "success"}
# GitHub limits: comment bodies and check-run output text 65,536 characters,
# a commit status description 140.
MAX_BODY = 65536
MAX_STATUS_DESCRIPTION = 140


def marker(gate: str, key: str | None = None) -> str:
    """The hidden marker; `key` separates several comments of one gate (e.g. env/service)."""
    suffix = f":{key}" if key else ""
    return f"{MARKER_PREFIX}{gate}{suffix} -->"


def _cell(text: str) -> str:
    """Result text in a table cell: no mentions, no HTML, no pipes (`lumen.report.md_escape`)."""
    return md_escape(text)


def _code(text: object) -> str:
    """Inline code: a backtick in the value would end the span early."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def verdict_of(result: Mapping[str, Any]) -> str:
    return str(result.get("verdict") or result.get("status") or "NO_DATA")


def checks_table(result: Mapping[str, Any]) -> str:
    lines = ["| Check | Value | Threshold | Verdict | Reason |", "|---|---:|---|---|---|"]
    for check in result.get("checks") or []:
        verdict = str(check.get("verdict"))
        threshold = f"{check.get('comparator', '')} {fmt_value(check.get('threshold'))}".strip()
        if check.get("baseline") is not None:
            threshold += f" (baseline {fmt_value(check.get('baseline'))})"
        name = str(check.get("name")) + (" 🔑" if check.get("key") else "")
        lines.append(
            f"| {_cell(name)} | {fmt_value(check.get('value'))} | {_cell(threshold)} | "
            f"{ICONS.get(verdict, '')} {_cell(verdict)} | {_cell(str(check.get('reason', '')))} |"
        )
    return "\n".join(lines)


def trend_line(result: Mapping[str, Any]) -> str | None:
    maturity = result.get("maturity")
    if isinstance(maturity, Mapping) and maturity.get("trend") is not None:
        trend = float(maturity["trend"])
        arrow = "↗" if trend > 0 else "↘" if trend < 0 else "→"
        hint = maturity.get("hint")
        return f"Trend {arrow} {trend:+.3f}" + (f" · policy hint **{hint}**" if hint else "")
    return None


def headline_value(result: Mapping[str, Any]) -> tuple[str, float] | None:
    """The one number a chart of this gate shows over time."""
    gate = str(result.get("gate"))
    candidates = {
        "maturity": ("maturity", "overall"),
        "integrated": ("roi_slo", "score"),
        "roi": ("roi", "success_rate"),
        "slo": ("slo", "burn_rate"),
        "resonance": ("resonance", "coherence"),
    }
    block, key = candidates.get(gate, (gate, "score"))
    inner = result.get(block)
    if isinstance(inner, Mapping) and isinstance(inner.get(key), int | float):
        return key, float(inner[key])
    return None


def mermaid_chart(label: str, values: Sequence[float]) -> str:
    """A small Mermaid xychart of recent values (GitHub renders ```mermaid blocks)."""
    shown = [round(v, 3) for v in values][-20:]
    low = min([0.0, *shown])
    high = max([1.0, *shown])
    xs = ", ".join(str(i + 1) for i in range(len(shown)))
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            f'  title "{label}, last {len(shown)} runs"',
            f"  x-axis [{xs}]",
            f'  y-axis "{label}" {low:g} --> {high:g}',
            f"  line [{', '.join(str(v) for v in shown)}]",
            "```",
        ]
    )


def comment_body(
    result: Mapping[str, Any],
    *,
    key: str | None = None,
    history: Sequence[float] = (),
    run_url: str | None = None,
    approvers: Sequence[str] = (),
) -> str:
    """The full sticky comment: marker, verdict, table, trend, chart, footer."""
    gate = str(result.get("gate", "gate"))
    verdict = verdict_of(result)
    inputs = result.get("inputs") or {}
    where = " · ".join(
        f"{k} {_code(inputs[k])}"
        for k in ("env", "service")
        if isinstance(inputs, Mapping) and inputs.get(k)
    )
    parts = [
        marker(gate, key),
        f"### {ICONS.get(verdict, '')} Lumen {md_text(gate)} gate: **{md_text(verdict)}**",
    ]
    if where:
        parts.append(where)
    parts.append(checks_table(result))
    comparisons = compare_section(result)
    if comparisons:
        parts.append(comparisons)
    trend = trend_line(result)
    if trend:
        parts.append(trend)
    if approvers:
        parts.append("Approved by " + ", ".join(f"@{a}" for a in approvers))
    headline = headline_value(result)
    if headline and history:
        parts.append(mermaid_chart(headline[0], [*history, headline[1]]))
    footer = (
        f"<sub>window {_code(result.get('window'))} · "
        f"generated {md_text(str(result.get('generated_at', '')))}"
    )
    if run_url:
        footer += f" · [run]({run_url})"
    parts.append(footer + "</sub>")
    body = "\n\n".join(parts) + "\n"
    if len(body) > MAX_BODY:
        body = (
            body[: MAX_BODY - 200] + "\n\n… (truncated: see the job summary for the full table)\n"
        )
    return body


def status_description(result: Mapping[str, Any]) -> str:
    checks = result.get("checks") or []
    failing = [c for c in checks if c.get("verdict") == "FAIL"]
    text = f"{verdict_of(result)}: " + (
        "; ".join(str(c.get("name")) for c in failing) if failing else f"{len(checks)} checks"
    )
    return text if len(text) <= MAX_STATUS_DESCRIPTION else text[: MAX_STATUS_DESCRIPTION - 1] + "…"


def incident_marker(gate: str, key: str | None = None) -> str:
    return f"<!-- lumen-incident:{gate}{':' + key if key else ''} -->"


def incident_body(
    result: Mapping[str, Any],
    *,
    key: str | None = None,
    failure_class: str | None = None,
    hint: str | None = None,
    run_url: str | None = None,
) -> str:
    gate = str(result.get("gate", "gate"))
    parts = [
        incident_marker(gate, key),
        f"### ❌ Lumen {md_text(gate)} gate failed",
        checks_table(result),
    ]
    if failure_class:
        parts.append(f"Failure class: **{failure_class}**" + (f" — {hint}" if hint else ""))
    if run_url:
        parts.append(f"Run: {run_url}")
    return "\n\n".join(parts) + "\n"
