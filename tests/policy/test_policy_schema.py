"""Schema rules: event streams and config files validated against policy/schemas with format
checking on; the first N errors are reported with their lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lumen.cli import main


def run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str
) -> tuple[int, dict[str, Any] | None, str]:
    out_json = tmp_path / "result.json"
    out_json.unlink(missing_ok=True)
    code = main(["policy", *argv, "--json", str(out_json)])
    _, err = capsys.readouterr()
    return code, (json.loads(out_json.read_text()) if out_json.exists() else None), err


EVENTS = [
    '{"ts": "2026-11-20T10:00:00Z", "kind": "signal", "severity": 0.4}',
    '{"ts": "2026-11-20T10:01:00Z", "kind": "signal", "severity": 0.5}',
    "",
    '{"ts": "yesterday", "kind": "signal", "severity": 0.5}',  # format: date-time
    '{"ts": "2026-11-20T10:03:00Z", "kind": "noise", "severity": 0.5}',
    '{"ts": "2026-11-20T10:04:00Z", "kind": "action", "severity": 2}',
    '{"kind": "action", "severity": 0.1}',
]


def test_valid_event_stream_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(EVENTS[:2]) + "\n")
    code, doc, _ = run(capsys, tmp_path, "--schema", f"loop-event={events}")
    assert code == 0
    (check,) = doc["checks"]  # type: ignore[index]
    assert check["verdict"] == "PASS"
    assert check["reason"] == "2 document(s) valid against loop-event.schema.json"


def test_event_stream_errors_with_lines_and_format_checking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(EVENTS) + "\n")
    code, doc, _ = run(capsys, tmp_path, "--schema", f"loop-event={events}", "--max-errors", "3")
    assert code == 2
    (check,) = doc["checks"]  # type: ignore[index]
    assert check["value"] == 4  # every error is counted ...
    assert [(e["line"], e["field"]) for e in check["errors"]] == [
        (4, "ts"),  # ... the first three are kept
        (5, "kind"),
        (6, "severity"),
    ]
    assert "is not a 'date-time'" in check["errors"][0]["message"]
    assert check["reason"].startswith("line 4: ts: 'yesterday' is not a 'date-time'")
    assert check["reason"].endswith("(and 3 more error(s))")


def test_config_file_error_names_the_yaml_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text("maturity:\n  window: 24h\npolicy:\n  fail-on-warn: yes-please\n")
    code, doc, _ = run(capsys, tmp_path, "--schema", f"lumen-config={config}")
    assert code == 2
    (error,) = doc["checks"][0]["errors"]  # type: ignore[index]
    assert error["line"] == 4
    assert error["field"] == "policy.fail-on-warn"


def test_users_own_schema_file_and_folder_of_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "svc.schema.json"
    schema.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["owner"],
                "properties": {"owner": {"type": "string", "format": "email"}},
            }
        )
    )
    folder = tmp_path / "services"
    folder.mkdir()
    (folder / "a.yaml").write_text("owner: team@example.com\n")
    (folder / "b.json").write_text('{\n  "owner": "not-an-email"\n}\n')
    code, doc, _ = run(capsys, tmp_path, "--schema", f"{schema}={folder}")
    assert code == 2
    checks = {Path(c["file"]).name: c for c in doc["checks"]}  # type: ignore[index]
    assert checks["a.yaml"]["verdict"] == "PASS"
    assert checks["b.json"]["errors"] == [
        {"line": 2, "field": "owner", "message": "'not-an-email' is not a 'email'"}
    ]


def test_schema_findings_in_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(EVENTS) + "\n")
    sarif = tmp_path / "out.sarif"
    code, _, _ = run(capsys, tmp_path, "--schema", f"loop-event={events}", "--sarif", str(sarif))
    assert code == 2
    (sarif_run,) = json.loads(sarif.read_text())["runs"]
    assert [r["id"] for r in sarif_run["tool"]["driver"]["rules"]] == [
        "schema/loop-event.schema.json"
    ]
    lines = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif_run["results"]
    ]
    assert lines == [4, 5, 6, 7]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("loop-event", "--schema 'loop-event': expected SCHEMA=FILE"),
        ("no-such-schema=x.jsonl", "no-such-schema: schema not found"),
    ],
)
def test_bad_schema_flags_exit_1(
    value: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = run(capsys, tmp_path, "--schema", value)
    assert code == 1
    assert doc is None
    assert message in err


def test_unreadable_event_line_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(EVENTS[0] + "\n{not json\n")
    code, _, err = run(capsys, tmp_path, "--schema", f"loop-event={events}")
    assert code == 1
    assert f"{events}:2: not valid JSON" in err
