"""SARIF 2.1.0 for the policy gate's findings on files (Rego findings and schema errors), the
format GitHub code scanning uploads (`github/codeql-action/upload-sarif`).

Metric rules and the findings of a combined Rego query (`--combine`) have no file to point at
and are left out; they are in the JSON and JUnit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gates.policy import COMBINED
from gates.result import Check, Verdict

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/lumen-ci/lumen-ci#policy-gate"
_LEVELS = {Verdict.FAIL: "error", Verdict.WARN: "warning"}


def _uri(file: str, root: Path) -> str:
    """A repository-relative URI with forward slashes (code scanning resolves it from the
    checkout root); files outside the root keep their absolute path."""
    path = Path(file)
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return path.resolve().as_uri()
    return relative.as_posix()


def _region(line: Any) -> dict[str, Any] | None:
    return {"startLine": int(line)} if isinstance(line, int) and line >= 1 else None


def sarif_document(
    checks: Sequence[Check], *, version: str, root: str | os.PathLike[str] = "."
) -> dict[str, Any]:
    """One run with one reporting rule per Rego rule or schema, and one result per failing or
    warning finding (schema checks: one result per kept error)."""
    base = Path(root)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []

    def rule_index(rule_id: str, text: str, level: str) -> int:
        if rule_id not in index:
            index[rule_id] = len(rules)
            rules.append(
                {
                    "id": rule_id,
                    "name": rule_id.replace(".", "_").replace("/", "_"),
                    "shortDescription": {"text": text},
                    "defaultConfiguration": {"level": level},
                }
            )
        return index[rule_id]

    for check in checks:
        excepted = bool(check.extra.get("exception"))
        # An excepted deny/violation finding is still reported, as a suppressed error (code
        # scanning lists it as dismissed), so the exception is visible where the finding is.
        level = "error" if excepted else _LEVELS.get(check.verdict)
        kind = check.extra.get("kind")
        file = check.extra.get("file")
        if level is None or kind not in ("document", "schema") or not file or file == COMBINED:
            continue
        uri = _uri(str(file), base)
        if kind == "document":
            rule_id = f"rego/{check.extra['namespace']}/{check.extra['rule']}"
            text = f"Rego rule {check.extra['namespace']}.{check.extra['rule']}"
            field = check.extra.get("field")
            reason = f"{check.reason} (field {field})" if field else check.reason
            items = [(reason, check.extra.get("line"))]
        else:
            rule_id = f"schema/{check.extra['schema']}"
            text = f"Documents must be valid against {check.extra['schema']}"
            items = [
                (f"{e['field']}: {e['message']}", e.get("line"))
                for e in check.extra.get("errors", [])
            ] or [(check.reason, None)]
        position = rule_index(rule_id, text, "error")
        for message, line in items:
            location: dict[str, Any] = {
                "physicalLocation": {"artifactLocation": {"uri": uri}},
            }
            if not uri.startswith("file:"):
                location["physicalLocation"]["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
            region = _region(line)
            if region:
                location["physicalLocation"]["region"] = region
            result: dict[str, Any] = {
                "ruleId": rule_id,
                "ruleIndex": position,
                "level": level,
                "message": {"text": message},
                "locations": [location],
            }
            if excepted:
                result["suppressions"] = [
                    {
                        "kind": "inSource",
                        "justification": f"conftest exception in package "
                        f"{check.extra.get('namespace')}",
                    }
                ]
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lumen-policy",
                        "version": version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }
