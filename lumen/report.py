"""The edge where a GateResult meets people and machines: the stdout table, `--json`,
`--junit`, and in Actions the step outputs, job summary and annotations."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO
from xml.etree import ElementTree as ET

from gates.result import Check, GateResult, Verdict
from lumen import actions_runtime as gha
from lumen.fileio import atomic_write, write_json
from lumen.outputs import Output, OutputValue, publish

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation

_ICONS = {"PASS": "✅", "WARN": "⚠️", "FAIL": "❌", "NO_DATA": "⚪"}


def fmt_value(value: Any) -> str:
    """Values rounded to 3 decimals for people (docs/reference.md#result-schema); comparisons never
    see this."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render_table(result: GateResult) -> str:
    """The human table printed to stdout."""
    rows = [("CHECK", "VALUE", "CMP", "THRESHOLD", "VERDICT", "REASON")]
    for check in result.checks:
        rows.append(
            (
                check.name + (" (key)" if check.key else ""),
                fmt_value(check.value),
                check.comparator,
                fmt_value(check.threshold),
                check.verdict.value,
                check.reason,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [f"lumen {result.gate}: {result.verdict.value}"]
    if result.window:
        lines[0] += f"  (window {result.window})"
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(5)] + [row[5]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def render_markdown(result: GateResult, *, title: str | None = None) -> str:
    """The job-summary (and PR comment) table."""
    icon = _ICONS[result.verdict.value]
    head = title or f"Lumen {result.gate} gate"
    lines = [
        f"### {icon} {head}: **{result.verdict.value}**",
        "",
        "| Check | Value | Threshold | Verdict | Reason |",
        "|---|---:|---|---|---|",
    ]
    for check in result.checks:
        name = check.name + (" 🔑" if check.key else "")
        threshold = f"{check.comparator} {fmt_value(check.threshold)}"
        if check.baseline is not None:
            threshold += f" (baseline {fmt_value(check.baseline)})"
        lines.append(
            f"| {md_escape(name)} | {fmt_value(check.value)} | {md_escape(threshold)} | "
            f"{_ICONS[check.verdict.value]} {check.verdict.value} | {md_escape(check.reason)} |"
        )
    from lumen.reporting.compare import compare_section

    comparisons = compare_section(result.to_dict())
    if comparisons:
        lines += ["", comparisons]
    if result.window:
        lines += ["", f"Window: `{result.window}` · generated {result.generated_at}"]
    return "\n".join(lines) + "\n"


_TAG_OPEN = re.compile(r"<(?=[A-Za-z!/?])")
_MENTION = re.compile(r"(?<!\w)@(?=\w)")


def md_text(text: str) -> str:
    """Text from a result, safe to put in Markdown: no mentions (`@user`, `@org/team`), no
    HTML (so no comment markers, which would let a result pose as another gate's comment), one
    line. GitHub renders the entities as the characters they stand for."""
    # `<` opens a tag or a comment only before a letter, `!`, `/` or `?`; `<=` stays readable.
    text = _TAG_OPEN.sub("&lt;", text)
    # `@name` mentions only where no word character precedes (`rate@prod` is not one).
    text = _MENTION.sub("&#64;", text)
    return text.replace("\r", " ").replace("\n", " ")


def md_escape(text: str) -> str:
    """`md_text` for a table cell: pipes would end the cell."""
    return md_text(text).replace("|", "\\|")


VERDICTS = ("PASS", "WARN", "FAIL", "NO_DATA")


def read_result(path: str) -> dict[str, Any]:
    """A gate result written by a gate's `--json`, checked before anything is posted: its
    verdict, and each check's, is one of PASS, WARN, FAIL, NO_DATA (`MAYBE` or `5` would be
    shown, and posted, as if a gate had decided it)."""
    from gates.errors import InputError
    from lumen.fileio import display_name, read_json

    name = display_name(path)
    result = read_json(path)
    if not isinstance(result, dict) or ("verdict" not in result and "status" not in result):
        raise InputError(
            "not a gate result (no 'verdict')",
            file=name,
            expected="the JSON written by a gate's --json",
        )
    field = "verdict" if "verdict" in result else "status"
    if result[field] not in VERDICTS:
        raise InputError(
            f"{result[field]!r} is not a verdict",
            file=name,
            field=field,
            expected=" | ".join(VERDICTS),
        )
    checks = result.get("checks", [])
    if not isinstance(checks, list):
        raise InputError("expected a list of checks", file=name, field="checks")
    for index, check in enumerate(checks):
        if not isinstance(check, dict) or check.get("verdict") not in VERDICTS:
            raise InputError(
                f"{check.get('verdict') if isinstance(check, dict) else check!r} is not a verdict",
                file=name,
                field=f"checks[{index}].verdict",
                expected=" | ".join(VERDICTS),
            )
    return result


def junit_xml(result: GateResult) -> str:
    """One JUnit test case per check; FAIL is a failure, NO_DATA a skip, WARN passes."""
    suite = ET.Element(
        "testsuite",
        name=f"lumen.{result.gate}",
        tests=str(len(result.checks)),
        failures=str(sum(c.verdict is Verdict.FAIL for c in result.checks)),
        skipped=str(sum(c.verdict is Verdict.NO_DATA for c in result.checks)),
        timestamp=result.generated_at,
    )
    for check in result.checks:
        case = ET.SubElement(suite, "testcase", classname=f"lumen.{result.gate}", name=check.name)
        if check.verdict is Verdict.FAIL:
            ET.SubElement(case, "failure", message=check.reason).text = check.reason
        elif check.verdict is Verdict.NO_DATA:
            ET.SubElement(case, "skipped", message=check.reason)
        elif check.verdict is Verdict.WARN:
            ET.SubElement(case, "system-out").text = f"WARN: {check.reason}"
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def emit(
    result: GateResult,
    args: argparse.Namespace,
    declared: Sequence[Output],
    values: Mapping[str, OutputValue] | None = None,
    *,
    stream: TextIO | None = None,
    state: StateLocation | None = None,
) -> int:
    """Print, write and publish a gate result; return the exit code (2 only for FAIL).

    `declared` is the command's OUTPUTS table; `values` are its outputs beyond `verdict` and
    `json`, which every gate writes. The ledger is written first so the JSON can carry
    `ledger_head`; with `state` (the data branch) it is that path on the branch.
    """
    out = stream or sys.stdout
    ledger_path = getattr(args, "ledger", None)
    if ledger_path:
        from lumen.statefiles import append_result

        result.ledger_head = append_result(ledger_path, result, state)
    document = result.to_dict()
    if not getattr(args, "quiet", False):
        out.write(render_table(result))
        out.flush()
    json_path = getattr(args, "json", None)
    if json_path:
        write_json(json_path, document)
    junit_path = getattr(args, "junit", None)
    if junit_path:
        atomic_write(junit_path, junit_xml(result))
    if gha.in_actions():
        publish_to_actions(result, declared, json_path=json_path, values=values)
    return result.exit_code


def publish_to_actions(
    result: GateResult,
    declared: Sequence[Output],
    *,
    json_path: str | None = None,
    values: Mapping[str, OutputValue] | None = None,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Step outputs, job summary and one annotation per failing or warning check."""
    standard: dict[str, OutputValue] = {"verdict": result.verdict.value}
    publish(declared, {**standard, **(values or {})}, environ, json_path=json_path)
    gha.add_summary(render_markdown(result), environ)
    for check in result.checks:
        annotation = _annotation_for(check)
        if annotation:
            gha.annotate(
                annotation,
                check.reason,
                title=f"lumen {result.gate}: {check.name}",
                file=check.extra.get("file"),
                line=check.extra.get("line"),
                stream=stream,
            )


def _annotation_for(check: Check) -> str | None:
    if check.verdict is Verdict.FAIL:
        return "error"
    if check.verdict is Verdict.WARN:
        return "warning"
    return None
