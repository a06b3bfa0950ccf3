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


# Failing checks first, then warnings: what a reviewer needs is at the top.
_ORDER = {"FAIL": 0, "WARN": 1, "NO_DATA": 2, "PASS": 3}
# Gates whose numbers are measured on the pull request's own files, not the repository's history.
PR_GATES = frozenset({"policy", "approval", "sbom", "licence", "resonance"})


def _is_rate(name: str) -> bool:
    """A fraction shown as a percentage; burn rates are multiples of the budget, not fractions."""
    base = name.split("@", maxsplit=1)[0]
    return base.endswith("_rate") and "burn" not in base


def _is_duration(name: str) -> bool:
    base = name.split("@", maxsplit=1)[0]
    return base.endswith("_s") or base in ("lead_time", "time_to_restore")


def display_value(name: str, value: Any) -> str:
    """A check's value for people: rates as percentages (`12.5%`), durations in seconds as
    durations (`22h`, not `79200.000`), anything else as `fmt_value` rounds it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _is_rate(name) and 0 <= value <= 1:
            return f"{100 * value:.1f}%"
        if _is_duration(name) and value >= 0:
            from datetime import timedelta

            from gates.timeutil import format_duration

            return format_duration(timedelta(seconds=round(float(value))))
    return fmt_value(value)


def ordered_checks(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    checks = list(result.get("checks") or [])
    return sorted(checks, key=lambda c: _ORDER.get(str(c.get("verdict")), 4))


def checks_table(result: Mapping[str, Any]) -> str:
    lines = ["| Check | Value | Threshold | Verdict | Reason |", "|---|---:|---|---|---|"]
    for check in ordered_checks(result):
        verdict = str(check.get("verdict"))
        name = str(check.get("name"))
        threshold = (
            f"{check.get('comparator', '')} {display_value(name, check.get('threshold'))}".strip()
        )
        if check.get("baseline") is not None:
            threshold += f" (baseline {display_value(name, check.get('baseline'))})"
        shown = name + (" 🔑" if check.get("key") else "")
        lines.append(
            f"| {_cell(shown)} | {display_value(name, check.get('value'))} | {_cell(threshold)} | "
            f"{ICONS.get(verdict, '')} {_cell(verdict)} | {_cell(str(check.get('reason', '')))} |"
        )
    return "\n".join(lines)


def judged_line(result: Mapping[str, Any]) -> str:
    """One line saying what was judged: how many checks, over what, from where."""
    checks = result.get("checks") or []
    counts: dict[str, int] = {}
    for check in checks:
        verdict = str(check.get("verdict"))
        counts[verdict] = counts.get(verdict, 0) + 1
    tally = ", ".join(
        f"{n} {v}" for v, n in sorted(counts.items(), key=lambda i: _ORDER.get(i[0], 4))
    )
    window = result.get("window")
    return f"Judged {len(checks)} checks ({md_text(tally)})" + (
        f" over {_code(window)}" if window else ""
    )


def sources_line(result: Mapping[str, Any]) -> str:
    """Which numbers come from the repository's history and which from this PR."""
    gate = str(result.get("gate"))
    if gate in PR_GATES:
        return "<sub>Every number here is measured on this pull request's files.</sub>"
    inputs = result.get("inputs") or {}
    github = inputs.get("github") if isinstance(inputs, Mapping) else None
    where = (
        f"the GitHub activity of {_code(github.get('repository'))}"
        if isinstance(github, Mapping) and github.get("repository")
        else "the repository's event logs"
    )
    text = (
        f"Every number here comes from the repository's history ({where}), none from this PR's diff"
    )
    trend = result.get("trend")
    if isinstance(trend, Mapping):
        text += (
            f"; the trend checks compare the last {_code(trend.get('recent-window'))} with the "
            f"{_code(trend.get('baseline-window'))} before"
        )
    return f"<sub>{text}: the pull request is judged by the state it would merge into.</sub>"


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
    if verdict == "PASS":
        # One headline a reviewer reads in five seconds; the table is there when wanted.
        parts.append(judged_line(result))
        parts.append(
            f"<details><summary>All checks</summary>\n\n{checks_table(result)}\n\n</details>"
        )
    else:
        parts.append(judged_line(result))
        parts.append(checks_table(result))
    parts.append(sources_line(result))
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
